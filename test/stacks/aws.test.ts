// The AWS side of the Pulumi program, declared against Pulumi's mocks (no engine, no cloud): every
// resource's inputs are recorded as the engine would receive them, and the tests read those and
// the outputs declareAws returns. Each scenario uses its own pool name, so its resources can be
// told apart from the others' in the one mocked stack this file runs.

import { readFile } from 'node:fs/promises';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStackConfig, StackConfigError, type StackConfig } from '../../stacks/config.js';
import { AWS_TAGS, MANAGED_BY } from '../../stacks/tags.js';

interface Created {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: Record<string, any>;
  provider?: string;
  custom: boolean;
}

const created: Created[] = [];

await pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs as Record<string, unknown>,
        provider: args.provider,
        custom: args.custom ?? false,
      });
      const kind = args.type.split(':').pop()!;
      return {
        id: `${args.name}-id`,
        state: {
          ...args.inputs,
          name: (args.inputs as { name?: string }).name ?? args.name,
          arn: `arn:aws:mock:${kind}/${args.name}`,
          arnSuffix: `${kind}/${args.name}/0123`,
          dnsName: `${args.name}.elb.example`,
          latestVersion: 1,
          ...(kind === 'Snapshot' ? { volumeSize: 100 } : {}),
        },
      };
    },
    call(args) {
      // The node volume a standby's copy is checked against: 100 GiB.
      if (args.token === 'aws:ebs/getVolume:getVolume') return { ...args.inputs, size: 100 };
      return args.inputs as Record<string, unknown>;
    },
  },
  'shadowcast',
  'test',
);

type Stack = typeof import('../../stacks/aws/index.js');
let declareAws: Stack['declareAws'];
let percentWeights: typeof import('../../stacks/aws/weighted-routing.js').percentWeights;
let shortPoolName: typeof import('../../stacks/aws/names.js').shortPoolName;
let SHADOWS_TAG: string;

beforeAll(async () => {
  ({ declareAws } = await import('../../stacks/aws/index.js'));
  ({ percentWeights } = await import('../../stacks/aws/weighted-routing.js'));
  ({ shortPoolName } = await import('../../stacks/aws/names.js'));
  ({ SHADOWS_TAG } = await import('../../stacks/aws/standby-nodes.js'));
});

const SUBNETS = {
  'eu-west-1a': 'subnet-0aaaaaaaaaaaaaaaa',
  'eu-west-1b': 'subnet-0bbbbbbbbbbbbbbbb',
  'eu-west-1c': 'subnet-0cccccccccccccccc',
};
const ALL_SUBNETS = [SUBNETS['eu-west-1a'], SUBNETS['eu-west-1b'], SUBNETS['eu-west-1c']];
const EXTRA = { team: 'shop' };

type AwsConfig = Extract<StackConfig, { target: 'aws' }>;

/** A checked config for one pool, through parseStackConfig as the program would get it. */
function config(
  pool: string,
  state: Record<string, unknown>,
  opts: {
    aws?: Record<string, unknown>;
    pool?: Record<string, unknown>;
    nodes?: Record<string, unknown>;
  } = {},
): AwsConfig {
  const parsed = parseStackConfig({
    target: 'aws',
    desired: { pools: { [pool]: state } },
    nodes: opts.nodes ?? {},
    aws: {
      vpcId: 'vpc-0123456789abcdef0',
      subnets: SUBNETS,
      tags: EXTRA,
      ...opts.aws,
      pools: {
        [pool]: {
          ami: 'ami-0123456789abcdef0',
          instanceType: 'm6i.xlarge',
          port: 8080,
          healthCheckPath: '/ready',
          ...opts.pool,
        },
      },
    },
  });
  if (parsed.target !== 'aws') throw new Error('not aws');
  return parsed;
}

function resolve<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((ok) => o.apply((v) => ok(v)));
}

/** Waits until the mocks have seen every registration (none new for a few timer turns). */
async function settle(): Promise<void> {
  let seen = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((ok) => setTimeout(ok, 5));
    if (created.length === seen) quiet++;
    else {
      seen = created.length;
      quiet = 0;
    }
  }
}

/** Declares `cfg` and returns the pool's outputs and the resources this declaration registered. */
async function declare(cfg: AwsConfig, pool: string) {
  await settle();
  const from = created.length;
  const outputs = declareAws(cfg);
  const out = await resolve(outputs[pool]!);
  await settle();
  const resources = created.slice(from);
  const one = (type: string, name: string): Created => {
    const found = resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
      throw new Error(
        `${found.length} ${type} named ${name}; have ${resources.map((r) => r.name).join(', ')}`,
      );
    }
    return found[0]!;
  };
  const all = (type: string) => resources.filter((r) => r.type === type);
  return { out, resources, one, all };
}

const T = {
  asg: 'aws:autoscaling/group:Group',
  template: 'aws:ec2/launchTemplate:LaunchTemplate',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  lb: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  record: 'aws:route53/record:Record',
  instance: 'aws:ec2/instance:Instance',
  snapshot: 'aws:ebs/snapshot:Snapshot',
  volume: 'aws:ebs/volume:Volume',
  attachment: 'aws:ec2/volumeAttachment:VolumeAttachment',
  registration: 'aws:lb/targetGroupAttachment:TargetGroupAttachment',
  provider: 'pulumi:providers:aws',
};

/** Resource types that take no tags (the rest must carry shadowcast's). */
const UNTAGGED = new Set([T.attachment, T.registration, T.record, T.provider]);

function expectTags(r: Created, pool: string, role: string): void {
  const want = { ...EXTRA, [AWS_TAGS.managedBy]: MANAGED_BY, [AWS_TAGS.pool]: pool, [AWS_TAGS.role]: role };
  if (r.type === T.asg) {
    // Auto Scaling tags are a list; each must reach the instances the group launches.
    expect(r.inputs.tags).toEqual(
      Object.entries(want).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    );
  } else {
    expect(r.inputs.tags, `${r.type} ${r.name}`).toMatchObject(want);
  }
}

describe('an alb pool: 6 primary, 2 shadow, weights 0.7/0.3, two standbys', () => {
  const pool = 'web';
  const cfg = () =>
    config(
      pool,
      {
        primary: 6,
        shadow: 2,
        standby: { 'i-0node1': 0, 'i-0node2': 0.5 },
        weights: { primary: 0.7, shadow: 0.3 },
        standbyZones: { 'i-0node2': 'eu-west-1c' },
      },
      {
        pool: { shadowInstanceType: 'm6i.large', warmPool: { state: 'Hibernated', minSize: 1 } },
        nodes: {
          'i-0node1': { zone: 'eu-west-1a', volumeId: 'vol-0123456789abcdef0' },
          'i-0node2': { zone: 'eu-west-1b' },
        },
      },
    );
  let d: Awaited<ReturnType<typeof declare>>;
  beforeAll(async () => {
    d = await declare(cfg(), pool);
  });

  it('sizes the primary group exactly and the shadow group with room for its warm pool', () => {
    const primary = d.one(T.asg, 'web-primary').inputs;
    expect([primary.desiredCapacity, primary.minSize, primary.maxSize]).toEqual([6, 6, 6]);
    expect(primary.warmPool).toBeUndefined();
    const shadow = d.one(T.asg, 'web-shadow').inputs;
    // warm = minSize 1 + two standbys not fully moved (shares 0 and 0.5) = 3
    expect([shadow.desiredCapacity, shadow.minSize, shadow.maxSize]).toEqual([2, 2, 5]);
    expect(shadow.warmPool).toEqual({ poolState: 'Hibernated', minSize: 3, maxGroupPreparedCapacity: 5 });
    expect(primary.vpcZoneIdentifiers).toEqual(ALL_SUBNETS);
    expect(shadow.vpcZoneIdentifiers).toEqual(ALL_SUBNETS);
  });

  it('launches the shadow group from a smaller type, hibernation-ready for its warm pool', () => {
    const primary = d.one(T.template, 'web-primary').inputs;
    const shadow = d.one(T.template, 'web-shadow').inputs;
    expect([primary.instanceType, shadow.instanceType]).toEqual(['m6i.xlarge', 'm6i.large']);
    expect(primary.imageId).toBe('ami-0123456789abcdef0');
    expect(primary.hibernationOptions).toBeUndefined();
    expect(shadow.hibernationOptions).toEqual({ configured: true });
    expect(d.one(T.asg, 'web-shadow').inputs.launchTemplate).toEqual({ id: 'web-shadow-id', version: '1' });
  });

  it('registers each group with its own target group, on the pool port and health path', () => {
    for (const role of ['primary', 'shadow']) {
      const tg = d.one(T.targetGroup, `web-${role}`).inputs;
      expect(tg).toMatchObject({ port: 8080, protocol: 'HTTP', vpcId: 'vpc-0123456789abcdef0' });
      expect(tg.healthCheck).toMatchObject({ path: '/ready', port: 'traffic-port' });
      expect(d.one(T.asg, `web-${role}`).inputs.targetGroupArns).toEqual([
        `arn:aws:mock:TargetGroup/web-${role}`,
      ]);
    }
  });

  it('forwards 70 % to the primary and 30 % to the shadow target group', () => {
    const listener = d.one(T.listener, 'web-http').inputs;
    expect(listener.port).toBe(80);
    expect(listener.defaultActions).toEqual([
      {
        type: 'forward',
        forward: {
          targetGroups: [
            { arn: 'arn:aws:mock:TargetGroup/web-primary', weight: 70 },
            { arn: 'arn:aws:mock:TargetGroup/web-shadow', weight: 30 },
          ],
        },
      },
    ]);
    expect(d.one(T.lb, 'web-lb').inputs).toMatchObject({ internal: true, subnets: ALL_SUBNETS });
    expect(d.all(T.record)).toEqual([]);
  });

  it("places a standby in its node's own zone and subnet, from the primary's template", () => {
    const standby = d.one(T.instance, 'web-standby-i-0node1').inputs;
    expect(standby.subnetId).toBe(SUBNETS['eu-west-1a']);
    expect(standby.launchTemplate).toEqual({ id: 'web-primary-id', version: '1' });
    expect(standby.tags[SHADOWS_TAG]).toBe('i-0node1');
  });

  it('places a standby in the zone the planner chose over its node’s', () => {
    const standby = d.one(T.instance, 'web-standby-i-0node2').inputs;
    expect(standby.subnetId).toBe(SUBNETS['eu-west-1c']);
    expect(standby.tags[SHADOWS_TAG]).toBe('i-0node2');
  });

  it("copies a node's volume to its standby: snapshot, volume in the standby's zone, attachment", () => {
    const snapshot = d.one(T.snapshot, 'web-standby-i-0node1-data').inputs;
    expect(snapshot.volumeId).toBe('vol-0123456789abcdef0');
    const volume = d.one(T.volume, 'web-standby-i-0node1-data').inputs;
    expect(volume).toMatchObject({
      availabilityZone: 'eu-west-1a',
      snapshotId: 'web-standby-i-0node1-data-id',
    });
    const attachment = d.one(T.attachment, 'web-standby-i-0node1-data').inputs;
    expect(attachment).toEqual({
      instanceId: 'web-standby-i-0node1-id',
      volumeId: 'web-standby-i-0node1-data-id',
      deviceName: '/dev/sdf',
    });
  });

  it('copies nothing for a node without a volume', () => {
    for (const type of [T.snapshot, T.volume, T.attachment]) {
      expect(d.all(type).map((r) => r.name)).toEqual(['web-standby-i-0node1-data']);
    }
  });

  it('puts a standby in the primary target group only once its share is above 0', () => {
    expect(d.all(T.registration).map((r) => r.inputs)).toEqual([
      {
        targetGroupArn: 'arn:aws:mock:TargetGroup/web-primary',
        targetId: 'web-standby-i-0node2-id',
        port: 8080,
      },
    ]);
  });

  it("tags every resource that takes tags with the pool, its role and the stack's extra tags", () => {
    const custom = d.resources.filter((r) => r.custom);
    const count = (type: string) => custom.filter((r) => r.type === type).length;
    expect(custom.length).toBe(20);
    expect(
      [T.asg, T.template, T.targetGroup, T.instance, T.snapshot, T.volume, T.attachment].map(count),
    ).toEqual([2, 2, 2, 2, 1, 1, 1]);
    expect([T.registration, T.lb, T.listener].map(count)).toEqual([1, 1, 1]);
    // Two security groups (instances, load balancer) and four rules.
    expect(count('aws:ec2/securityGroup:SecurityGroup')).toBe(2);
    expect(count('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')).toBe(2);
    expect(count('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule')).toBe(2);
    const roleOf = (r: Created): string => {
      if ([T.instance, T.snapshot, T.volume].includes(r.type)) return 'standby';
      if (r.type === T.lb || r.type === T.listener || r.name.includes('lb') || r.name.endsWith('from-lb')) {
        return 'routing';
      }
      return r.name.includes('shadow') ? 'shadow' : 'primary';
    };
    for (const r of custom) {
      if (UNTAGGED.has(r.type)) expect(r.inputs.tags, r.type).toBeUndefined();
      else expectTags(r, pool, roleOf(r));
    }
    // The launch templates tag what the groups launch, instances and their volumes.
    expect(d.one(T.template, 'web-shadow').inputs.tagSpecifications).toEqual([
      { resourceType: 'instance', tags: d.one(T.template, 'web-shadow').inputs.tags },
      { resourceType: 'volume', tags: d.one(T.template, 'web-shadow').inputs.tags },
    ]);
    for (const type of [T.instance, T.snapshot, T.volume]) {
      for (const r of d.all(type)) expect(r.inputs.tags[SHADOWS_TAG]).toMatch(/^i-0node[12]$/);
    }
  });

  it('declares no explicit provider without shadowcast:aws.region', () => {
    expect(d.all(T.provider)).toEqual([]);
    for (const r of d.resources.filter((x) => x.custom))
      expect(r.provider ?? '').not.toContain('shadowcast-aws');
  });

  it('outputs what the deployer reads: groups, target groups, metric dimensions, listener, standbys', () => {
    expect(d.out).toEqual({
      routing: 'alb',
      primary: {
        autoScalingGroup: 'web-primary',
        instanceType: 'm6i.xlarge',
        size: 6,
        targetGroupArn: 'arn:aws:mock:TargetGroup/web-primary',
        metrics: { TargetGroup: 'TargetGroup/web-primary/0123', LoadBalancer: 'LoadBalancer/web-lb/0123' },
      },
      shadow: {
        autoScalingGroup: 'web-shadow',
        instanceType: 'm6i.large',
        size: 2,
        targetGroupArn: 'arn:aws:mock:TargetGroup/web-shadow',
        metrics: { TargetGroup: 'TargetGroup/web-shadow/0123', LoadBalancer: 'LoadBalancer/web-lb/0123' },
      },
      warmPool: { state: 'Hibernated', size: 3 },
      weights: { primary: 70, shadow: 30 },
      listenerArn: 'arn:aws:mock:Listener/web-http',
      dnsName: 'web-lb.elb.example',
      standby: {
        'i-0node1': {
          instanceId: 'web-standby-i-0node1-id',
          zone: 'eu-west-1a',
          subnetId: SUBNETS['eu-west-1a'],
          share: 0,
          dataVolumeId: 'web-standby-i-0node1-data-id',
          snapshotId: 'web-standby-i-0node1-data-id',
        },
        'i-0node2': {
          instanceId: 'web-standby-i-0node2-id',
          zone: 'eu-west-1c',
          subnetId: SUBNETS['eu-west-1c'],
          share: 0.5,
        },
      },
    });
  });
});

describe('listener weights in whole percent', () => {
  const cases: [string, { primary: number; shadow: number }, number, number][] = [
    ['all-primary', { primary: 1, shadow: 0 }, 100, 0],
    ['quarter', { primary: 0.25, shadow: 0.75 }, 25, 75],
  ];
  for (const [pool, weights, primary, shadow] of cases) {
    it(`${weights.primary}/${weights.shadow} → ${primary}/${shadow}, both target groups listed`, async () => {
      const d = await declare(config(pool, { primary: 4, shadow: 2, weights }), pool);
      const forward = d.one(T.listener, `${pool}-http`).inputs.defaultActions[0].forward;
      expect(forward.targetGroups).toEqual([
        { arn: `arn:aws:mock:TargetGroup/${pool}-primary`, weight: primary },
        { arn: `arn:aws:mock:TargetGroup/${pool}-shadow`, weight: shadow },
      ]);
      expect(d.out.weights).toEqual({ primary, shadow });
    });
  }

  it('rounds the shadow share and gives the primary the rest, so they sum to 100', () => {
    expect(percentWeights({ primary: 0.7, shadow: 0.3 })).toEqual({ primary: 70, shadow: 30 });
    expect(percentWeights({ primary: 2 / 3, shadow: 1 / 3 })).toEqual({ primary: 67, shadow: 33 });
    expect(percentWeights({ primary: 0.663, shadow: 0.337 })).toEqual({ primary: 66, shadow: 34 });
    // Half a percent each way: rounding both would make 101; the primary takes what is left.
    expect(percentWeights({ primary: 0.875, shadow: 0.125 })).toEqual({ primary: 87, shadow: 13 });
    expect(percentWeights({ primary: 0.996, shadow: 0.004 })).toEqual({ primary: 100, shadow: 0 });
    expect(percentWeights({ primary: 0, shadow: 1 })).toEqual({ primary: 0, shadow: 100 });
  });
});

describe('the warm pool', () => {
  it('is minSize plus the standbys not fully moved, in the configured state', async () => {
    const pool = 'warm';
    const d = await declare(
      config(
        pool,
        {
          primary: 3,
          shadow: 1,
          standby: { 'i-0moved': 1, 'i-0half': 0.2, 'i-0new': 0 },
          weights: { primary: 1, shadow: 0 },
        },
        {
          pool: { warmPool: { state: 'Running', minSize: 2 } },
          nodes: {
            'i-0moved': { zone: 'eu-west-1a' },
            'i-0half': { zone: 'eu-west-1b' },
            'i-0new': { zone: 'eu-west-1c' },
          },
        },
      ),
      pool,
    );
    // 2 + i-0half + i-0new; i-0moved's work is on its standby already.
    const shadow = d.one(T.asg, 'warm-shadow').inputs;
    expect(shadow.warmPool).toEqual({ poolState: 'Running', minSize: 4, maxGroupPreparedCapacity: 5 });
    expect([shadow.desiredCapacity, shadow.minSize, shadow.maxSize]).toEqual([1, 1, 5]);
    expect(d.out.warmPool).toEqual({ state: 'Running', size: 4 });
    expect(d.one(T.template, 'warm-shadow').inputs.hibernationOptions).toBeUndefined();
    // Shares 1 and 0.2 serve; 0 does not.
    expect(d.all(T.registration).map((r) => r.inputs.targetId)).toEqual([
      'warm-standby-i-0half-id',
      'warm-standby-i-0moved-id',
    ]);
  });

  it('defaults to Stopped and empty, with the shadow group pinned at its size', async () => {
    const pool = 'cold';
    const d = await declare(
      config(pool, { primary: 2, shadow: 0, weights: { primary: 1, shadow: 0 } }),
      pool,
    );
    const shadow = d.one(T.asg, 'cold-shadow').inputs;
    expect(shadow.warmPool).toEqual({ poolState: 'Stopped', minSize: 0, maxGroupPreparedCapacity: 0 });
    expect([shadow.desiredCapacity, shadow.minSize, shadow.maxSize]).toEqual([0, 0, 0]);
    expect(d.one(T.template, 'cold-shadow').inputs.instanceType).toBe('m6i.xlarge');
  });
});

describe('route53 routing', () => {
  const pool = 'dns';
  let d: Awaited<ReturnType<typeof declare>>;
  beforeAll(async () => {
    d = await declare(
      config(
        pool,
        { primary: 5, shadow: 2, weights: { primary: 0.7, shadow: 0.3 } },
        {
          aws: {
            routing: 'route53',
            route53: { zoneId: 'Z0123456789ABC', recordName: 'shop.example.com', ttl: 20 },
          },
        },
      ),
      pool,
    );
  });

  it('weighs two records 70/30, one per group, each pointing at its own load balancer', () => {
    const record = (role: string) => d.one(T.record, `dns-${role}`).inputs;
    expect(record('primary')).toEqual({
      zoneId: 'Z0123456789ABC',
      name: 'shop.example.com',
      type: 'CNAME',
      ttl: 20,
      records: ['dns-primary.elb.example'],
      setIdentifier: 'dns-primary',
      weightedRoutingPolicies: [{ weight: 70 }],
    });
    expect(record('shadow')).toMatchObject({
      records: ['dns-shadow.elb.example'],
      setIdentifier: 'dns-shadow',
      weightedRoutingPolicies: [{ weight: 30 }],
    });
  });

  it("forwards each load balancer to its group's target group only", () => {
    expect(d.all(T.lb).map((r) => r.name)).toEqual(['dns-primary', 'dns-shadow']);
    for (const role of ['primary', 'shadow']) {
      expect(d.one(T.listener, `dns-${role}-http`).inputs.defaultActions).toEqual([
        { type: 'forward', targetGroupArn: `arn:aws:mock:TargetGroup/dns-${role}` },
      ]);
    }
  });

  it('outputs the record name, set identifiers and per-group metric dimensions', () => {
    expect(d.out.records).toEqual({ name: 'shop.example.com', primary: 'dns-primary', shadow: 'dns-shadow' });
    expect(d.out.listenerArn).toBeUndefined();
    expect(d.out.weights).toEqual({ primary: 70, shadow: 30 });
    expect(d.out.primary.metrics.LoadBalancer).toBe('LoadBalancer/dns-primary/0123');
    expect(d.out.shadow.metrics.LoadBalancer).toBe('LoadBalancer/dns-shadow/0123');
  });

  it('refuses a second pool on the one record name', () => {
    const cfg = config(
      'one',
      { primary: 1, shadow: 0, weights: { primary: 1, shadow: 0 } },
      {
        aws: { routing: 'route53', route53: { zoneId: 'Z0123456789ABC', recordName: 'shop.example.com' } },
      },
    );
    const two: AwsConfig = {
      ...cfg,
      desired: { pools: { ...cfg.desired.pools, two: cfg.desired.pools.one! } },
      aws: { ...cfg.aws, pools: { ...cfg.aws.pools, two: cfg.aws.pools.one! } },
    };
    expect(() => declareAws(two)).toThrow(StackConfigError);
    expect(() => declareAws(two)).toThrow(
      /one record name serves one pool, and the stack has 2 \(one, two\)/,
    );
  });
});

describe('the provider and the subnets', () => {
  it('declares an explicit provider for shadowcast:aws.region and uses it for every resource', async () => {
    const pool = 'regional';
    const d = await declare(
      config(
        pool,
        { primary: 1, shadow: 0, weights: { primary: 1, shadow: 0 } },
        { aws: { region: 'us-east-2' } },
      ),
      pool,
    );
    expect(d.all(T.provider).map((r) => [r.name, r.inputs.region])).toEqual([
      ['shadowcast-aws', 'us-east-2'],
    ]);
    const aws = d.resources.filter((r) => r.custom && r.type.startsWith('aws:'));
    expect(aws.length).toBeGreaterThan(10);
    for (const r of aws) expect(r.provider, r.name).toMatch(/::shadowcast-aws::/);
  });

  it('refuses a load balancer with subnets in one zone only, when the config is read', () => {
    const cfg = () =>
      config(
        'lonely',
        { primary: 1, shadow: 0, weights: { primary: 1, shadow: 0 } },
        {
          aws: { subnets: { 'eu-west-1a': 'subnet-0aaaaaaaaaaaaaaaa' } },
        },
      );
    expect(cfg).toThrow(
      'shadowcast:aws.subnets: an Application Load Balancer needs subnets in at least two zones, got eu-west-1a',
    );
  });

  it('keeps load balancer names within 32 characters for the longest pool names', () => {
    const long = 'a'.repeat(40) + '-checkout';
    const other = 'a'.repeat(40) + '-payments';
    expect(shortPoolName('storefront')).toBe('storefront');
    expect(shortPoolName(long).length).toBeLessThanOrEqual(16);
    expect(shortPoolName(long)).not.toBe(shortPoolName(other));
    expect(`${shortPoolName(long)}-primary-1234567`.length).toBeLessThanOrEqual(32);
  });
});

describe('Pulumi.example-aws.yaml', () => {
  it('is a valid stack config: storefront 6 + 2, weights 0.8/0.2, one standby at share 0', async () => {
    const text = await readFile(new URL('../../Pulumi.example-aws.yaml', import.meta.url), 'utf8');
    const file = parse(text) as { config: Record<string, unknown> };
    expect(file.config['aws:region']).toBe('eu-west-1');
    const raw = Object.fromEntries(
      Object.entries(file.config)
        .filter(([key]) => key.startsWith('shadowcast:'))
        .map(([key, value]) => [key.slice('shadowcast:'.length), value]),
    );
    const cfg = parseStackConfig(raw);
    expect(cfg.target).toBe('aws');
    expect(cfg.desired.pools.storefront).toEqual({
      primary: 6,
      shadow: 2,
      standby: { 'i-0a1b2c3d4e5f60718': 0 },
      weights: { primary: 0.8, shadow: 0.2 },
    });
    if (cfg.target !== 'aws') throw new Error('not aws');
    expect(cfg.aws.pools.storefront!.shadowInstanceType).toBe('c6i.large');
    expect(cfg.nodes['i-0a1b2c3d4e5f60718']).toEqual({
      zone: 'eu-west-1a',
      volumeId: 'vol-0f1e2d3c4b5a69788',
    });
  });

  it('declares against the mocks: 80/20, one warm standby with its data', async () => {
    const text = await readFile(new URL('../../Pulumi.example-aws.yaml', import.meta.url), 'utf8');
    const file = parse(text) as { config: Record<string, unknown> };
    const raw = Object.fromEntries(
      Object.entries(file.config)
        .filter(([key]) => key.startsWith('shadowcast:'))
        .map(([key, value]) => [key.slice('shadowcast:'.length), value]),
    );
    const cfg = parseStackConfig(raw) as AwsConfig;
    const d = await declare(cfg, 'storefront');
    expect(d.out.weights).toEqual({ primary: 80, shadow: 20 });
    expect(d.out.warmPool).toEqual({ state: 'Stopped', size: 2 });
    expect(Object.keys(d.out.standby)).toEqual(['i-0a1b2c3d4e5f60718']);
    expect(d.out.standby['i-0a1b2c3d4e5f60718']!.dataVolumeId).toBe(
      'storefront-standby-i-0a1b2c3d4e5f60718-data-id',
    );
    expect(d.all(T.registration)).toEqual([]);
    const userData = d.one(T.template, 'storefront-primary').inputs.userData as string;
    expect(Buffer.from(userData, 'base64').toString('utf8')).toBe(
      '#!/bin/bash\nsystemctl start storefront\n',
    );
  });
});

describe('a switched node: drained by a NodeDrain once its standby is registered, terminated when retired', () => {
  const NODE_DRAIN = 'shadowcast:aws:NodeDrain';
  const state = (retired?: string[]) => ({
    primary: 4,
    shadow: 0,
    standby: { 'i-0node1': 0, 'i-0node2': 1 },
    weights: { primary: 1, shadow: 0 },
    ...(retired ? { retired } : {}),
  });
  const nodes = { 'i-0node1': { zone: 'eu-west-1a' }, 'i-0node2': { zone: 'eu-west-1b' } };

  it('declares one NodeDrain per switched node, with its group, target group, port and the group size', async () => {
    const d = await declare(config('web', state(), { nodes, aws: { region: 'eu-west-1' } }), 'web');
    const drains = d.all(NODE_DRAIN);
    expect(drains.map((r) => r.name)).toEqual(['web-drain-i-0node2']); // not the warm one
    expect(drains[0]!.custom).toBe(true);
    expect(drains[0]!.inputs).toEqual({
      instanceId: 'i-0node2',
      autoScalingGroup: 'web-primary',
      targetGroupArns: ['arn:aws:mock:TargetGroup/web-primary'],
      port: 8080,
      groupSize: 4,
      retired: false,
      timeoutSeconds: 600,
      region: 'eu-west-1',
    });
    // Traffic goes to the standby first: it is registered in the primary target group.
    expect(d.one(T.registration, 'web-standby-i-0node2').inputs.targetGroupArn).toBe(
      'arn:aws:mock:TargetGroup/web-primary',
    );
    expect(d.out.standby['i-0node2']).toMatchObject({ share: 1 });
    expect(d.out.standby['i-0node2']!.retired).toBeUndefined();
  });

  it('marks the NodeDrain retired (terminate, group back to its size) and says so in the outputs', async () => {
    const cfg = config('web', state(['i-0node2']), { nodes, aws: { drainTimeoutSeconds: 900 } });
    const d = await declare(cfg, 'web');
    expect(d.one(NODE_DRAIN, 'web-drain-i-0node2').inputs).toMatchObject({
      retired: true,
      timeoutSeconds: 900,
    });
    expect(d.out.standby['i-0node2']).toMatchObject({ share: 1, retired: true });
  });

  it('syncs the copy at each sync time, and checks the hand-off: the snapshot holds as many GiB as the node’s volume', async () => {
    const at = Date.UTC(2026, 11, 5, 7, 45);
    const cfg = config(
      'web',
      { ...state(), standbySync: { 'i-0node1': at - 900_000, 'i-0node2': at } },
      { nodes: { ...nodes, 'i-0node2': { zone: 'eu-west-1b', volumeId: 'vol-0abcdef0123456789' } } },
    );
    const d = await declare(cfg, 'web');
    expect(d.one(T.snapshot, 'web-standby-i-0node2-data').inputs.description).toBe(
      'shadowcast web: data of i-0node2 (vol-0abcdef0123456789) for its standby as of 2026-12-05T07:45:00.000Z',
    );
    expect(d.one(NODE_DRAIN, 'web-drain-i-0node2').inputs.handoff).toEqual({
      snapshotId: 'web-standby-i-0node2-data-id',
      snapshotGiB: 100,
      nodeGiB: 100,
    });
    expect(d.out.standby['i-0node2']).toMatchObject({ share: 1, syncedAt: at });
    // A node without a volume has nothing to hand off.
    const bare = await declare(config('web', state(), { nodes }), 'web');
    expect(bare.one(NODE_DRAIN, 'web-drain-i-0node2').inputs.handoff).toBeUndefined();
  });

  it('refuses to retire a node whose standby is not switched', () => {
    expect(() => config('web', { ...state(['i-0node1']) }, { nodes })).toThrow(
      /retires i-0node1, which is not switched to its standby \(standby.i-0node1 must be 1\)/,
    );
  });
});
