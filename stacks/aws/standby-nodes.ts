// Standby nodes on EC2: for each node in the pool's `standby` map, one instance launched ahead of
// need from the primary's launch template (same AMI, type, user data and security group), in the
// standby's zone (standbyZone(): the node's own unless the planner placed it elsewhere) and that
// zone's subnet. It is tagged role `standby` and `shadowcast:shadows` = the node it stands in for.
//
// Data hand-off, through the EBS volume the workload already uses (`shadowcast:nodes.<id>.volumeId`):
//
//   node's volume --snapshot--> aws.ebs.Snapshot --restore--> aws.ebs.Volume in the standby's zone
//     --attach (as DATA_DEVICE)--> the standby
//
// The snapshot is taken once, when the standby is first declared (the planner provisions it at
// share 0), and is crash-consistent: what a power cut would leave. It is not retaken on later updates: raising the
// share must never swap the disk under a standby that already serves. So the standby holds the
// node's data as of the snapshot, and nothing after it. What that means for the workload:
//
// - Share 0: the standby is running with the copy attached and takes no traffic. The workload
//   mounts the device (user data can do it) and, if it keeps state, catches up on writes made
//   since the snapshot by its own means: replication from the node or its peers, replaying a log,
//   or re-reading from the system of record. Data that is a cache or rebuildable needs nothing.
// - Share 1, switched: the standby joins the primary target group (aws.lb.TargetGroupAttachment)
//   and serves from the restored copy (plus whatever the workload caught up). The node leaves:
//   the stack declares a NodeDrain for it (stacks/node-drain.ts), which deregisters it from the
//   target group, waits out the deregistration delay and puts it in its Auto Scaling group's
//   Standby state; writes must now go to the standby only. When the plan retires the node, the
//   NodeDrain terminates it and sets the group back to its size, which launches the replacement.
//   (Pulumi declares groups, not their members, so the one member is handled by the provider.)
//
// A workload that writes and cannot catch up by itself should not rely on the copy alone. To take
// a fresh copy while the share is still 0, replace the snapshot (`pulumi up --replace <its URN>`):
// the volume and the attachment follow it. A node without a volumeId gets a standby without a copy.

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { StackConfigError, standbyZone, type StackConfig } from '../config.js';
import { awsTags } from '../tags.js';

/** Tag on a standby (and its data) naming the node it shadows. */
export const SHADOWS_TAG = 'shadowcast:shadows';
/** Where the copy of the node's data is attached on the standby (NVMe on Nitro: find it by volume id). */
export const DATA_DEVICE = '/dev/sdf';

export interface StandbyNodesArgs {
  pool: string;
  config: Extract<StackConfig, { target: 'aws' }>;
  /** The primary's launch template: a standby does the work of a primary node. */
  launchTemplate: aws.ec2.LaunchTemplate;
  /** The primary's target group, which a standby joins once it is switched (share 1). */
  targetGroup: aws.lb.TargetGroup;
  port: number;
}

/** One standby and the copy of its node's data. */
export interface Standby {
  node: string;
  share: number;
  zone: string;
  subnetId: string;
  instance: aws.ec2.Instance;
  /** Present when the node has a volume. */
  data?: { snapshot: aws.ebs.Snapshot; volume: aws.ebs.Volume; attachment: aws.ec2.VolumeAttachment };
  /** Present when the share is above 0. */
  registration?: aws.lb.TargetGroupAttachment;
}

export class StandbyNodes extends pulumi.ComponentResource {
  /** By node id. */
  readonly standbys: Record<string, Standby> = {};

  constructor(name: string, args: StandbyNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('shadowcast:aws:StandbyNodes', name, {}, opts);
    const { pool, config } = args;
    const child = { parent: this };
    const shares = config.desired.pools[pool]?.standby ?? {};

    for (const node of Object.keys(shares).sort()) {
      const share = shares[node]!;
      const zone = standbyZone(config, pool, node);
      const subnetId = config.aws.subnets[zone];
      if (subnetId === undefined) {
        throw new StackConfigError(
          `shadowcast:desired.pools.${pool}.standby.${node}: zone ${zone} has no subnet in shadowcast:aws.subnets`,
        );
      }
      const tags = { ...awsTags(pool, 'standby', config.aws.tags), [SHADOWS_TAG]: node };
      const id = `${pool}-standby-${node}`;

      const instance = new aws.ec2.Instance(
        id,
        {
          launchTemplate: {
            id: args.launchTemplate.id,
            version: args.launchTemplate.latestVersion.apply(String),
          },
          subnetId,
          tags,
        },
        // A new template version (a new AMI, say) reaches standbys when they are next created, as
        // it reaches Auto Scaling instances when they are next launched: never by replacing one
        // that may be serving.
        { ...child, ignoreChanges: ['launchTemplate.version'] },
      );
      const standby: Standby = { node, share, zone, subnetId, instance };

      const volumeId = config.nodes[node]?.volumeId;
      if (volumeId !== undefined) {
        const snapshot = new aws.ebs.Snapshot(
          `${id}-data`,
          {
            volumeId,
            description: `shadowcast ${pool}: data of ${node} (${volumeId}) for its standby`,
            tags,
          },
          child,
        );
        const volume = new aws.ebs.Volume(
          `${id}-data`,
          { availabilityZone: zone, snapshotId: snapshot.id, type: 'gp3', tags },
          child,
        );
        const attachment = new aws.ec2.VolumeAttachment(
          `${id}-data`,
          { instanceId: instance.id, volumeId: volume.id, deviceName: DATA_DEVICE },
          child,
        );
        standby.data = { snapshot, volume, attachment };
      }

      if (share > 0) {
        standby.registration = new aws.lb.TargetGroupAttachment(
          id,
          { targetGroupArn: args.targetGroup.arn, targetId: instance.id, port: args.port },
          child,
        );
      }
      this.standbys[node] = standby;
    }

    this.registerOutputs({
      instances: Object.fromEntries(Object.entries(this.standbys).map(([n, s]) => [n, s.instance.id])),
    });
  }
}
