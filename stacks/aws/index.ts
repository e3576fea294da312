// The AWS target: per pool of the DesiredState, a ShadowPool (primary and shadow Auto Scaling
// groups, target groups, warm pool), its StandbyNodes (standby instances and the copy of each
// node's data) and its WeightedRouting (load balancer weights or weighted DNS records).
//
// Resources go to the region of the default AWS provider (`aws:region`), or to
// `shadowcast:aws.region` through an explicit provider when that is set.

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { StackConfigError, type StackConfig } from '../config.js';
import { AwsNodeDrain, switchedNodes } from '../node-drain.js';
import { ShadowPool, type PoolGroup, type WarmPoolState } from './shadow-pool.js';
import { StandbyNodes, type Standby } from './standby-nodes.js';
import { WeightedRouting, type PercentWeights } from './weighted-routing.js';

export type AwsStackConfig = Extract<StackConfig, { target: 'aws' }>;

/** A group as the deployer reads it. */
export interface AwsGroupOutputs {
  autoScalingGroup: string;
  instanceType: string;
  /** Desired = min (= max for the primary): the planner's count. */
  size: number;
  targetGroupArn: string;
  /**
   * The CloudWatch dimensions (namespace AWS/ApplicationELB) of this group's health metrics,
   * `TargetResponseTime` and `HTTPCode_Target_5XX_Count`: both are per target group and load balancer.
   */
  metrics: { TargetGroup: string; LoadBalancer: string };
}

export interface AwsStandbyOutputs {
  instanceId: string;
  zone: string;
  subnetId: string;
  /** 1: switched (the standby is in the primary target group, the node drained and in Standby); 0: warm. */
  share: number;
  /** Switched and retired: the node is terminated and its group replaces it. */
  retired?: boolean;
  /** The time the standby's copy of the node's data is as of (epoch ms), when the planner synced it. */
  syncedAt?: number;
  /** The copy of the node's data attached to the standby, when the node has a volume. */
  dataVolumeId?: string;
  snapshotId?: string;
}

export interface AwsPoolOutputs {
  routing: 'alb' | 'route53';
  primary: AwsGroupOutputs;
  shadow: AwsGroupOutputs;
  warmPool: { state: WarmPoolState; size: number };
  /** The weights applied, in percent (sum 100). */
  weights: PercentWeights;
  /** alb: the weighted listener and the load balancer's DNS name. */
  listenerArn?: string;
  dnsName?: string;
  /** route53: the record name and each group's set identifier. */
  records?: { name: string; primary: string; shadow: string };
  /** By node id. */
  standby: Record<string, AwsStandbyOutputs>;
}

/** Declares every pool of the DesiredState on AWS; the outputs per pool, by pool name. */
export function declareAws(config: AwsStackConfig): Record<string, pulumi.Output<AwsPoolOutputs>> {
  const pools = Object.keys(config.desired.pools).sort();
  if (config.aws.routing === 'route53' && pools.length > 1) {
    throw new StackConfigError(
      `shadowcast:aws.route53: one record name serves one pool, and the stack has ${pools.length} (${pools.join(', ')}): give each its own stack, or use routing alb`,
    );
  }
  const provider =
    config.aws.region === undefined
      ? undefined
      : new aws.Provider('shadowcast-aws', { region: config.aws.region });
  const opts: pulumi.ComponentResourceOptions = provider ? { providers: [provider] } : {};

  const outputs: Record<string, pulumi.Output<AwsPoolOutputs>> = {};
  for (const pool of pools) {
    const state = config.desired.pools[pool]!;
    const settings = config.aws.pools[pool];
    if (settings === undefined) {
      throw new StackConfigError(
        `shadowcast:desired.pools.${pool}: unknown pool: not in shadowcast:aws.pools`,
      );
    }
    const shadowPool = new ShadowPool(
      pool,
      { pool, settings, state, vpcId: config.aws.vpcId, subnets: config.aws.subnets, tags: config.aws.tags },
      opts,
    );
    const standby = new StandbyNodes(
      pool,
      {
        pool,
        config,
        launchTemplate: shadowPool.primary.launchTemplate,
        targetGroup: shadowPool.primary.targetGroup,
        port: settings.port,
      },
      opts,
    );
    // Each switched node: deregistered (its deregistration delay waited out) and put in Standby
    // once its standby is registered in the target group; registered again if the switch is rolled
    // back; terminated, with the group back to its size, when retired.
    const region = config.aws.region ?? new pulumi.Config('aws').get('region');
    for (const { node, retired } of switchedNodes(state)) {
      const sb = standby.standbys[node];
      const registration = sb?.registration;
      const data = sb?.data;
      new AwsNodeDrain(
        `${pool}-drain-${node}`,
        {
          instanceId: node,
          autoScalingGroup: shadowPool.primary.group.name,
          targetGroupArns: shadowPool.primary.targetGroup.arn.apply((arn) => [arn]),
          port: settings.port,
          groupSize: state.primary,
          retired,
          timeoutSeconds: config.aws.drainTimeoutSeconds,
          ...(region !== undefined ? { region } : {}),
          ...(data
            ? {
                handoff: pulumi
                  .all([data.snapshot.id, data.snapshot.volumeSize, data.nodeGiB])
                  .apply(([snapshotId, snapshotGiB, nodeGiB]) => ({ snapshotId, snapshotGiB, nodeGiB })),
              }
            : {}),
        },
        { dependsOn: registration ? [registration] : [] },
      );
    }
    const routing = new WeightedRouting(
      pool,
      {
        pool,
        aws: config.aws,
        settings,
        weights: state.weights,
        primaryTargetGroup: shadowPool.primary.targetGroup,
        shadowTargetGroup: shadowPool.shadow.targetGroup,
        instanceSecurityGroupId: shadowPool.instanceSecurityGroup.id,
      },
      opts,
    );

    const group = (g: PoolGroup, lb: aws.lb.LoadBalancer) =>
      pulumi
        .all([g.group.name, g.targetGroup.arn, g.targetGroup.arnSuffix, lb.arnSuffix])
        .apply(([name, arn, tgSuffix, lbSuffix]): AwsGroupOutputs => ({
          autoScalingGroup: name,
          instanceType: g.instanceType,
          size: g.size,
          targetGroupArn: arn,
          metrics: { TargetGroup: tgSuffix, LoadBalancer: lbSuffix },
        }));
    const standbys = pulumi
      .all(Object.values(standby.standbys).map((s) => standbyOutputs(s, state.retired ?? [])))
      .apply((list) => Object.fromEntries(list.map(([node, out]) => [node, out])));
    const route53 = config.aws.route53;

    outputs[pool] = pulumi
      .all([
        group(shadowPool.primary, routing.loadBalancers.primary),
        group(shadowPool.shadow, routing.loadBalancers.shadow),
        standbys,
        routing.listener?.arn,
        routing.listener ? routing.loadBalancers.primary.dnsName : undefined,
      ])
      .apply(([primary, shadow, standbyOut, listenerArn, dnsName]): AwsPoolOutputs => ({
        routing: config.aws.routing,
        primary,
        shadow,
        warmPool: shadowPool.warmPool,
        weights: routing.weights,
        ...(listenerArn === undefined ? {} : { listenerArn, dnsName }),
        ...(routing.records && route53
          ? { records: { name: route53.recordName, primary: `${pool}-primary`, shadow: `${pool}-shadow` } }
          : {}),
        standby: standbyOut,
      }));
  }
  return outputs;
}

function standbyOutputs(s: Standby, retired: readonly string[]): pulumi.Output<[string, AwsStandbyOutputs]> {
  return pulumi
    .all([s.instance.id, s.data?.volume.id, s.data?.snapshot.id])
    .apply(([instanceId, dataVolumeId, snapshotId]): [string, AwsStandbyOutputs] => [
      s.node,
      {
        instanceId,
        zone: s.zone,
        subnetId: s.subnetId,
        share: s.share,
        ...(retired.includes(s.node) ? { retired: true } : {}),
        ...(s.data?.syncedAt !== undefined ? { syncedAt: s.data.syncedAt } : {}),
        ...(dataVolumeId === undefined ? {} : { dataVolumeId, snapshotId }),
      },
    ]);
}
