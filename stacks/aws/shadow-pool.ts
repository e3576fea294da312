// One pool's primary and shadow capacity on EC2: a launch template per group, an Auto Scaling
// group per group sized exactly as the planner says, a target group per group for the load
// balancer and the health metrics, and a warm pool beside the shadow group.
//
// Sizes. The primary group is pinned (min = desired = max = primary): the planner's count is the
// capacity, and nothing else scales it. The shadow group runs `shadow` instances (min = desired =
// shadow) and may grow into its warm pool (max = shadow + warm), so an operator or a scaling
// policy can bring warm capacity into service in the time a warm start takes; the next stack
// update sets it back to the planner's count.
//
// Warm pool. An EC2 Auto Scaling warm pool holds instances that are launched and initialised but
// not in service, Stopped (pays for storage only), Running (starts fastest) or Hibernated (keeps
// memory), as `warmPool.state` says. Its size is
//
//     warm = warmPool.minSize + the standby nodes whose share is below 1
//
// `minSize` is the reserve the operator always wants. On top of it, one warm instance per node
// that has a standby but whose work has not fully moved: such a node is the one expected to fail,
// and until its standby carries all of its traffic a failure would leave its slot short. The warm
// instance lets the shadow group make up that slot in a warm start instead of a cold boot. Once
// the share reaches 1 the standby serves the node's work (see standby-nodes.ts), so that node no
// longer needs a reserve and the warm pool shrinks. Both bounds are set (minSize = warm,
// maxGroupPreparedCapacity = shadow + warm), which AWS documents as the way to give a warm pool an
// absolute size: max(minSize, maxGroupPreparedCapacity - desired) = warm.
//
// Hibernated needs hibernation in the launch template (set on the shadow's when the state is
// Hibernated), an instance type that supports it and an encrypted root volume (the AMI's, or the
// account's default EBS encryption).

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsPoolSettings, StackPoolState } from '../config.js';
import { awsTags, type Role } from '../tags.js';
import { shortPoolName } from './names.js';

export interface ShadowPoolArgs {
  pool: string;
  settings: AwsPoolSettings;
  state: StackPoolState;
  vpcId: string;
  /** Subnet id by zone: the groups span all of them. */
  subnets: Record<string, string>;
  /** The stack's extra tags (shadowcast:aws.tags). */
  tags: Record<string, string>;
}

export type WarmPoolState = AwsPoolSettings['warmPool']['state'];

/** The warm pool beside the shadow group: see the top of this file for why this size. */
export function warmPoolSize(settings: AwsPoolSettings, state: StackPoolState): number {
  const notMoved = Object.values(state.standby).filter((share) => share < 1).length;
  return settings.warmPool.minSize + notMoved;
}

/** One group (primary or shadow) of a ShadowPool. */
export interface PoolGroup {
  launchTemplate: aws.ec2.LaunchTemplate;
  group: aws.autoscaling.Group;
  targetGroup: aws.lb.TargetGroup;
  instanceType: string;
  size: number;
}

export class ShadowPool extends pulumi.ComponentResource {
  /** The security group of every instance of the pool (primary, shadow and standby). */
  readonly instanceSecurityGroup: aws.ec2.SecurityGroup;
  readonly primary: PoolGroup;
  readonly shadow: PoolGroup;
  readonly warmPool: { state: WarmPoolState; size: number };

  constructor(name: string, args: ShadowPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super('shadowcast:aws:ShadowPool', name, {}, opts);
    const { pool, settings, state } = args;
    const child = { parent: this };
    const subnetIds = Object.keys(args.subnets)
      .sort()
      .map((zone) => args.subnets[zone]!);
    const tags = (role: Role) => awsTags(pool, role, args.tags);

    // Inbound traffic is opened by the routing (from its load balancers only); outbound is open.
    this.instanceSecurityGroup = new aws.ec2.SecurityGroup(
      `${pool}-instances`,
      { vpcId: args.vpcId, description: `shadowcast ${pool}: the pool's instances`, tags: tags('primary') },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${pool}-instances-egress`,
      {
        securityGroupId: this.instanceSecurityGroup.id,
        ipProtocol: '-1',
        cidrIpv4: '0.0.0.0/0',
        description: 'all outbound',
        tags: tags('primary'),
      },
      child,
    );

    this.warmPool = { state: settings.warmPool.state, size: warmPoolSize(settings, state) };
    const warm = this.warmPool.size;

    const group = (role: 'primary' | 'shadow', instanceType: string, size: number): PoolGroup => {
      const launchTemplate = new aws.ec2.LaunchTemplate(
        `${pool}-${role}`,
        {
          description: `shadowcast ${pool}: ${role} instances`,
          imageId: settings.ami,
          instanceType,
          vpcSecurityGroupIds: [this.instanceSecurityGroup.id],
          userData: settings.userData === undefined ? undefined : toBase64(settings.userData),
          metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
          hibernationOptions:
            role === 'shadow' && settings.warmPool.state === 'Hibernated' ? { configured: true } : undefined,
          updateDefaultVersion: true,
          tagSpecifications: [
            { resourceType: 'instance', tags: tags(role) },
            { resourceType: 'volume', tags: tags(role) },
          ],
          tags: tags(role),
        },
        child,
      );
      const targetGroup = new aws.lb.TargetGroup(
        `${shortPoolName(pool)}-${role}`,
        {
          vpcId: args.vpcId,
          port: settings.port,
          protocol: 'HTTP',
          targetType: 'instance',
          // Short, so a shift or a move drains in seconds rather than the default 5 minutes.
          deregistrationDelay: 30,
          healthCheck: {
            enabled: true,
            path: settings.healthCheckPath,
            port: 'traffic-port',
            protocol: 'HTTP',
            matcher: '200-399',
            interval: 15,
            timeout: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
          },
          tags: tags(role),
        },
        child,
      );
      const max = role === 'shadow' ? size + warm : size;
      const asg = new aws.autoscaling.Group(
        `${pool}-${role}`,
        {
          vpcZoneIdentifiers: subnetIds,
          desiredCapacity: size,
          minSize: size,
          maxSize: max,
          launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
          targetGroupArns: [targetGroup.arn],
          // Replace instances the target group finds unhealthy, not only those EC2 finds down.
          healthCheckType: 'ELB',
          healthCheckGracePeriod: 120,
          warmPool:
            role === 'shadow'
              ? { poolState: settings.warmPool.state, minSize: warm, maxGroupPreparedCapacity: size + warm }
              : undefined,
          forceDeleteWarmPool: role === 'shadow' ? true : undefined,
          tags: Object.entries(tags(role)).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        },
        child,
      );
      return { launchTemplate, group: asg, targetGroup, instanceType, size };
    };

    this.primary = group('primary', settings.instanceType, state.primary);
    this.shadow = group('shadow', settings.shadowInstanceType ?? settings.instanceType, state.shadow);

    this.registerOutputs({
      primaryGroup: this.primary.group.name,
      shadowGroup: this.shadow.group.name,
      primaryTargetGroup: this.primary.targetGroup.arn,
      shadowTargetGroup: this.shadow.targetGroup.arn,
      warmPool: this.warmPool,
    });
  }
}

function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
