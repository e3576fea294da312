// The stack config is checked in full before the program declares anything: each bad value gives
// one message naming its config key and what is wrong.

import { describe, expect, it } from 'vitest';
import { parseStackConfig, StackConfigError, standbyZone } from '../../stacks/config.js';

const awsSettings = {
  vpcId: 'vpc-0123abcd',
  subnets: { 'eu-west-1a': 'subnet-0aaa1111', 'eu-west-1b': 'subnet-0bbb2222' },
  pools: { web: { ami: 'ami-0123456789abcdef0', instanceType: 'm6i.large' } },
};

const k8sSettings = {
  namespace: 'shop',
  gateway: { name: 'edge', namespace: 'gateways' },
  pools: { web: { image: 'ghcr.io/example/web:1.2.3' } },
};

const pool = (over: Record<string, unknown> = {}) => ({
  primary: 6,
  shadow: 2,
  standby: {},
  weights: { primary: 0.8, shadow: 0.2 },
  ...over,
});

function raw(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { target: 'aws', desired: { pools: { web: pool() } }, aws: awsSettings, ...over };
}

function message(input: Record<string, unknown>): string {
  try {
    parseStackConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('parseStackConfig: a good config', () => {
  it('fills the target defaults and keeps the DesiredState as given', () => {
    const c = parseStackConfig(raw());
    expect(c.target).toBe('aws');
    if (c.target !== 'aws') return;
    expect(c.desired.pools.web).toEqual(pool());
    expect(c.aws.routing).toBe('alb');
    expect(c.aws.pools.web!.port).toBe(80);
    expect(c.aws.pools.web!.warmPool).toEqual({ state: 'Stopped', minSize: 0 });
    expect(c.nodes).toEqual({});
  });

  it('reads the kubernetes target with its own defaults', () => {
    const c = parseStackConfig({
      target: 'kubernetes',
      desired: { pools: { web: pool() } },
      kubernetes: k8sSettings,
    });
    if (c.target !== 'kubernetes') throw new Error('expected kubernetes');
    expect(c.kubernetes.routing).toBe('gateway');
    expect(c.kubernetes.standby).toBe('placeholder');
    expect(c.kubernetes.pools.web).toMatchObject({ port: 8080, cpu: '500m', shadowRequestShare: 0.5 });
  });

  it("places a standby in its node's zone unless the planner placed it elsewhere", () => {
    const c = parseStackConfig(
      raw({
        desired: {
          pools: {
            web: pool({ standby: { 'i-0aaa': 0, 'i-0bbb': 0.3 }, standbyZones: { 'i-0bbb': 'eu-west-1a' } }),
          },
        },
        nodes: {
          'i-0aaa': { zone: 'eu-west-1b' },
          'i-0bbb': { zone: 'eu-west-1b', volumeId: 'vol-0123abcd' },
        },
      }),
    );
    expect(standbyZone(c, 'web', 'i-0aaa')).toBe('eu-west-1b');
    expect(standbyZone(c, 'web', 'i-0bbb')).toBe('eu-west-1a');
  });
});

describe('parseStackConfig: refuses, naming the key', () => {
  it.each([
    {
      what: 'weights that do not sum to 1',
      input: raw({ desired: { pools: { web: pool({ weights: { primary: 0.6, shadow: 0.3 } }) } } }),
      error:
        'shadowcast:desired.pools.web.weights: primary 0.6 + shadow 0.3 = 0.9: route weights must sum to 1',
    },
    {
      what: 'a negative size',
      input: raw({ desired: { pools: { web: pool({ primary: -1 }) } } }),
      error: 'shadowcast:desired.pools.web.primary: primary must not be negative',
    },
    {
      what: 'a fractional size',
      input: raw({ desired: { pools: { web: pool({ shadow: 1.5 }) } } }),
      error: 'shadowcast:desired.pools.web.shadow: shadow must be a whole number',
    },
    {
      what: 'weights outside [0, 1]',
      input: raw({ desired: { pools: { web: pool({ weights: { primary: -0.2, shadow: 1.2 } }) } } }),
      error:
        'shadowcast:desired.pools.web.weights.primary: weights.primary must be at least 0; shadowcast:desired.pools.web.weights.shadow: weights.shadow must be at most 1',
    },
    {
      what: 'traffic sent to an empty shadow pool',
      input: raw({ desired: { pools: { web: pool({ shadow: 0 }) } } }),
      error: 'shadowcast:desired.pools.web.weights.shadow: sends 0.2 of the traffic to an empty shadow pool',
    },
    {
      what: 'a standby share outside [0, 1]',
      input: raw({ desired: { pools: { web: pool({ standby: { 'i-0aaa': 1.5 } }) } } }),
      error: 'shadowcast:desired.pools.web.standby.i-0aaa: a standby share must be at most 1',
    },
    {
      what: 'an unknown field in a pool',
      input: raw({ desired: { pools: { web: pool({ replicas: 3 }) } } }),
      error: 'shadowcast:desired.pools.web: Unrecognized key: "replicas"',
    },
    {
      what: 'an unknown pool',
      input: raw({ desired: { pools: { web: pool(), checkout: pool() } } }),
      error: 'shadowcast:desired.pools.checkout: unknown pool: shadowcast:aws.pools defines web',
    },
    {
      what: 'a standby for a node nobody described',
      input: raw({ desired: { pools: { web: pool({ standby: { 'i-0ccc': 0 } }) } } }),
      error:
        'shadowcast:desired.pools.web.standby.i-0ccc: unknown node: add it to shadowcast:nodes with its zone, or place it in standbyZones',
    },
    {
      what: 'a standby zone with no subnet',
      input: raw({
        desired: { pools: { web: pool({ standby: { 'i-0aaa': 0 } }) } },
        nodes: { 'i-0aaa': { zone: 'eu-west-1c' } },
      }),
      error:
        'shadowcast:desired.pools.web.standby.i-0aaa: zone eu-west-1c has no subnet in shadowcast:aws.subnets',
    },
    {
      what: 'no target',
      input: raw({ target: undefined }),
      error: 'shadowcast:target is not set: aws, kubernetes or local',
    },
    {
      what: 'an unknown target',
      input: raw({ target: 'gcp' }),
      error: 'shadowcast:target: "gcp" must be aws, kubernetes or local',
    },
    {
      what: 'no DesiredState',
      input: raw({ desired: undefined }),
      error: 'shadowcast:desired is not set: the DesiredState to declare, {pools: {...}}',
    },
    {
      what: 'no settings for the target',
      input: raw({ aws: undefined }),
      error: "shadowcast:aws is not set: the aws target's settings",
    },
    {
      what: 'a malformed AMI id',
      input: raw({ aws: { ...awsSettings, pools: { web: { ami: 'ubuntu', instanceType: 'm6i.large' } } } }),
      error: 'shadowcast:aws.pools.web.ami: must be an AMI id like ami-0123456789abcdef0',
    },
    {
      what: 'route53 routing without its zone',
      input: raw({ aws: { ...awsSettings, routing: 'route53' } }),
      error: 'shadowcast:aws.route53: routing is route53, so set {zoneId, recordName}',
    },
    {
      what: 'gateway routing without a gateway',
      input: {
        target: 'kubernetes',
        desired: { pools: { web: pool() } },
        kubernetes: { pools: k8sSettings.pools },
      },
      error: 'shadowcast:kubernetes.gateway: routing is gateway, so set {name, namespace}',
    },
  ])('$what', ({ input, error }) => {
    expect(message(input)).toBe(error);
  });

  it('lists every problem of one key in one message', () => {
    const m = message(raw({ desired: { pools: { web: pool({ primary: -1, shadow: -2 }) } } }));
    expect(m).toContain('shadowcast:desired.pools.web.primary: primary must not be negative');
    expect(m).toContain('shadowcast:desired.pools.web.shadow: shadow must not be negative');
    expect(m.split('\n')).toHaveLength(1);
  });
});
