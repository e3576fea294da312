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
// A snapshot is taken for each sync time the state gives the standby (`standbySync`: the planner
// moves it on every `standby.sync` while the standby waits, and once more with the switch), and is
// crash-consistent: what a power cut would leave. Each is restored as a new volume attached in
// place of the last one. Once the standby serves (share 1) the planner moves its sync time no
// more, so the disk is never swapped under a standby that serves. The switch's NodeDrain checks
// the hand-off before it takes the node out: the snapshot it restores holds as many GiB as the
// node's volume. So the standby holds the node's data as of its last sync, and nothing after it.
// What that means for the workload:
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
  /** Present when the node has a volume: the copy, and the node's volume size (GiB) it must match. */
  data?: {
    snapshot: aws.ebs.Snapshot;
    volume: aws.ebs.Volume;
    attachment: aws.ec2.VolumeAttachment;
    nodeGiB: pulumi.Output<number>;
    /** The time the copy is as of (the state's standbySync), when the planner set one. */
    syncedAt?: number;
  };
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
        // Each sync time is a new snapshot (EBS snapshots are incremental: only the blocks changed
        // since the last one are copied), restored as a new volume and attached in place of the
        // old one: the old attachment goes first, as both use the same device.
        const syncedAt = config.desired.pools[pool]?.standbySync?.[node];
        const asOf = syncedAt === undefined ? '' : ` as of ${new Date(syncedAt).toISOString()}`;
        const snapshot = new aws.ebs.Snapshot(
          `${id}-data`,
          {
            volumeId,
            description: `shadowcast ${pool}: data of ${node} (${volumeId}) for its standby${asOf}`,
            tags,
          },
          { ...child, replaceOnChanges: ['description'] },
        );
        const volume = new aws.ebs.Volume(
          `${id}-data`,
          { availabilityZone: zone, snapshotId: snapshot.id, type: 'gp3', tags },
          child,
        );
        const attachment = new aws.ec2.VolumeAttachment(
          `${id}-data`,
          { instanceId: instance.id, volumeId: volume.id, deviceName: DATA_DEVICE },
          { ...child, deleteBeforeReplace: true },
        );
        const nodeGiB = aws.ebs
          .getVolumeOutput({ filters: [{ name: 'volume-id', values: [volumeId] }] }, child)
          .apply((v) => v.size);
        standby.data = {
          snapshot,
          volume,
          attachment,
          nodeGiB,
          ...(syncedAt !== undefined ? { syncedAt } : {}),
        };
      }

      if (share > 0) {
        // Registered once its newest copy is attached (a switch syncs in the same update).
        standby.registration = new aws.lb.TargetGroupAttachment(
          id,
          { targetGroupArn: args.targetGroup.arn, targetId: instance.id, port: args.port },
          { ...child, dependsOn: standby.data ? [standby.data.attachment] : [] },
        );
      }
      this.standbys[node] = standby;
    }

    this.registerOutputs({
      instances: Object.fromEntries(Object.entries(this.standbys).map(([n, s]) => [n, s.instance.id])),
    });
  }
}
