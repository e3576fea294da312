// How a pool's traffic is split between its primary and shadow groups, in whole percent:
// shadow = round(100 · weights.shadow), primary = 100 − shadow, so the two always sum to 100.
//
// routing 'alb': one Application Load Balancer across the stack's subnets, whose listener forwards
// to both target groups with those weights. A group at weight 0 stays in the forward action with
// weight 0, so shifting traffic back is a weight change, never a change of the action's shape.
//
// routing 'route53': one load balancer per group, each forwarding to its own target group, and two
// weighted CNAME records for `route53.recordName` (set identifiers `<pool>-primary` and
// `<pool>-shadow`) pointing at them, with the same weights and `route53.ttl`. Resolvers cache for
// the TTL, so a shift takes effect over about one TTL rather than at once. Route 53 weighs every
// record of a name together, so one record name serves one pool.
//
// The load balancers are internal: they sit in the pool's own subnets, which may be private, and
// answer inside the VPC (and networks joined to it). Their security group admits the listener port
// from anywhere that can reach them and reaches the instances on the pool's port only. The
// listener speaks HTTP; an ALB needs subnets in at least two zones.

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { RouteWeights } from '../../src/core/plan.js';
import { StackConfigError, type AwsPoolSettings, type AwsSettings } from '../config.js';
import { awsTags } from '../tags.js';
import { type PercentWeights, percentWeights } from '../weights.js';
import { shortPoolName } from './names.js';

export { type PercentWeights, percentWeights };

export interface WeightedRoutingArgs {
  pool: string;
  aws: AwsSettings;
  settings: AwsPoolSettings;
  weights: RouteWeights;
  primaryTargetGroup: aws.lb.TargetGroup;
  shadowTargetGroup: aws.lb.TargetGroup;
  /** The pool's instances' security group: opened to the load balancers on the pool's port. */
  instanceSecurityGroupId: pulumi.Input<string>;
}

export class WeightedRouting extends pulumi.ComponentResource {
  readonly weights: PercentWeights;
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** alb: the one load balancer; route53: one per group. */
  readonly loadBalancers: { primary: aws.lb.LoadBalancer; shadow: aws.lb.LoadBalancer };
  /** alb: the weighted listener. */
  readonly listener?: aws.lb.Listener;
  /** route53: the weighted records. */
  readonly records?: { primary: aws.route53.Record; shadow: aws.route53.Record };

  constructor(name: string, args: WeightedRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('shadowcast:aws:WeightedRouting', name, {}, opts);
    const { pool, settings } = args;
    const child = { parent: this };
    const tags = awsTags(pool, 'routing', args.aws.tags);
    const short = shortPoolName(pool);
    const zones = Object.keys(args.aws.subnets).sort();
    if (zones.length < 2) {
      throw new StackConfigError(
        `shadowcast:aws.subnets: an Application Load Balancer needs subnets in at least two zones, got ${zones.join(', ')}`,
      );
    }
    const subnets = zones.map((zone) => args.aws.subnets[zone]!);
    this.weights = percentWeights(args.weights);

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${pool}-lb`,
      { vpcId: args.aws.vpcId, description: `shadowcast ${pool}: load balancer`, tags },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${pool}-lb-listener`,
      {
        securityGroupId: this.securityGroup.id,
        ipProtocol: 'tcp',
        fromPort: args.aws.listenerPort,
        toPort: args.aws.listenerPort,
        cidrIpv4: '0.0.0.0/0',
        description: 'listener',
        tags,
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${pool}-lb-to-instances`,
      {
        securityGroupId: this.securityGroup.id,
        ipProtocol: 'tcp',
        fromPort: settings.port,
        toPort: settings.port,
        referencedSecurityGroupId: args.instanceSecurityGroupId,
        description: 'requests and health checks to the instances',
        tags,
      },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${pool}-instances-from-lb`,
      {
        securityGroupId: args.instanceSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: settings.port,
        toPort: settings.port,
        referencedSecurityGroupId: this.securityGroup.id,
        description: 'requests and health checks from the load balancer',
        tags,
      },
      child,
    );

    const loadBalancer = (suffix: string) =>
      new aws.lb.LoadBalancer(
        `${short}-${suffix}`,
        {
          loadBalancerType: 'application',
          internal: true,
          subnets,
          securityGroups: [this.securityGroup.id],
          dropInvalidHeaderFields: true,
          tags,
        },
        child,
      );

    if (args.aws.routing === 'alb') {
      const lb = loadBalancer('lb');
      this.loadBalancers = { primary: lb, shadow: lb };
      this.listener = new aws.lb.Listener(
        `${pool}-http`,
        {
          loadBalancerArn: lb.arn,
          port: args.aws.listenerPort,
          protocol: 'HTTP',
          defaultActions: [
            {
              type: 'forward',
              forward: {
                targetGroups: [
                  { arn: args.primaryTargetGroup.arn, weight: this.weights.primary },
                  { arn: args.shadowTargetGroup.arn, weight: this.weights.shadow },
                ],
              },
            },
          ],
          tags,
        },
        child,
      );
    } else {
      const route53 = args.aws.route53;
      if (route53 === undefined) {
        throw new StackConfigError('shadowcast:aws.route53: routing is route53, so set {zoneId, recordName}');
      }
      const group = (role: 'primary' | 'shadow', targetGroup: aws.lb.TargetGroup) => {
        const lb = loadBalancer(role);
        new aws.lb.Listener(
          `${pool}-${role}-http`,
          {
            loadBalancerArn: lb.arn,
            port: args.aws.listenerPort,
            protocol: 'HTTP',
            defaultActions: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
            tags,
          },
          child,
        );
        const record = new aws.route53.Record(
          `${pool}-${role}`,
          {
            zoneId: route53.zoneId,
            name: route53.recordName,
            type: 'CNAME',
            ttl: route53.ttl,
            records: [lb.dnsName],
            setIdentifier: `${pool}-${role}`,
            weightedRoutingPolicies: [{ weight: this.weights[role] }],
          },
          child,
        );
        return { lb, record };
      };
      const primary = group('primary', args.primaryTargetGroup);
      const shadow = group('shadow', args.shadowTargetGroup);
      this.loadBalancers = { primary: primary.lb, shadow: shadow.lb };
      this.records = { primary: primary.record, shadow: shadow.record };
    }

    this.registerOutputs({ weights: this.weights, listener: this.listener?.arn });
  }
}
