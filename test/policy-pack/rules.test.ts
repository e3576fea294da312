// The pack's rules on passing and violating resources, with their exact messages; the policy
// lookup over the planner's own YAML; and the validate functions the pack registers, driven the
// way the policy engine drives them (properties behind its unknown-checking proxy).

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ResourceValidation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
  unknownCheckingProxy,
} from '@pulumi/policy';
import { describe, expect, it, vi } from 'vitest';
import { guardrailsFrom, loadGuardrails } from '../../policies/pack/guardrails.js';
import { guardrailPolicies, plain } from '../../policies/pack/policies.js';
import {
  checkHourlyCost,
  checkPoolMaximum,
  checkProtectedPool,
  checkRecordWeights,
  checkRouteWeights,
  checkShadowMinimum,
  checkTags,
  checkTotalInstances,
  type PlainResource,
  TAGGED_TYPES,
  TYPES,
  UNKNOWN,
} from '../../policies/pack/rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The engine's sentinel for a number not known during preview.
const UNKNOWN_NUMBER = '3eeb2bf0-c639-47a8-9e75-3b44932eb421';

const DEFAULTS = `
guardrails:
  maxTotalInstances: 120
  maxHourlyCost: 30
  protectedPools: [checkout-api]
`;
const STOREFRONT = `
capacity: { maxInstances: 40, hourlyCost: 0.17 }
shadow: { minSize: 0 }
`;
const CHECKOUT = `
capacity: { minInstances: 3, maxInstances: 24 }
shadow: { minSize: 2 }
`;

const policies = guardrailsFrom({
  defaults: { file: 'policies/defaults.yaml', text: DEFAULTS },
  pools: [
    { pool: 'storefront', file: 'policies/pools/storefront.yaml', text: STOREFRONT },
    { pool: 'checkout-api', file: 'policies/pools/checkout-api.yaml', text: CHECKOUT },
  ],
});

// Resources shaped as the stacks declare them (stacks/tags.ts).
const awsTags = (pool: string, role: string) => ({
  'managed-by': 'shadowcast',
  'shadowcast:pool': pool,
  'shadowcast:role': role,
});
const k8sLabels = (pool: string, role: string) => ({
  'app.kubernetes.io/managed-by': 'shadowcast',
  'shadowcast.dev/pool': pool,
  'shadowcast.dev/role': role,
});
const groupTags = (pool: string, role: string) =>
  Object.entries(awsTags(pool, role)).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));

function group(pool: string, role: string, props: Record<string, unknown> = {}): PlainResource {
  return {
    type: TYPES.group,
    name: `${pool}-${role}`,
    urn: `urn:pulumi:test::shadowcast::${TYPES.group}::${pool}-${role}`,
    props: { desiredCapacity: 4, minSize: 4, maxSize: 4, tags: groupTags(pool, role), ...props },
  };
}
function deployment(pool: string, role: string, replicas: unknown): PlainResource {
  return {
    type: TYPES.deployment,
    name: `${pool}-${role}`,
    props: { metadata: { labels: k8sLabels(pool, role) }, spec: { replicas } },
  };
}
const standby = (pool: string, node: string): PlainResource => ({
  type: TYPES.instance,
  name: `${pool}-standby-${node}`,
  props: { tags: { ...awsTags(pool, 'standby'), 'shadowcast:shadows': node } },
});
const messages = (violations: { message: string }[]) => violations.map((v) => v.message);

describe('guardrails: the planner’s policy files, resolved as it resolves them', () => {
  it('names the file that set each limit, and gives pools without a file the defaults', () => {
    expect(policies('storefront').policy.capacity.maxInstances).toBe(40);
    expect(policies('storefront').from('capacity.maxInstances')).toBe('policies/pools/storefront.yaml');
    expect(policies('storefront').from('guardrails.maxTotalInstances')).toBe('policies/defaults.yaml');
    expect(policies('web').policy.capacity.maxInstances).toBe(50);
    expect(policies('web').from('capacity.maxInstances')).toBe('the built-in default');
    expect(policies('web').policy.guardrails.protectedPools).toEqual(['checkout-api']);
  });

  it('reads the repository’s policies/ directory', async () => {
    const repo = await loadGuardrails(join(ROOT, 'policies'));
    expect(repo('storefront').policy.capacity.maxInstances).toBe(40);
    expect(repo('storefront').from('capacity.maxInstances')).toBe('policies/pools/storefront.yaml');
    expect(repo('checkout-api').policy.capacity.maxInstances).toBe(24);
    expect(repo('no-such-pool').from('guardrails.maxTotalInstances')).toBe('policies/defaults.yaml');
  });

  it('refuses policy files that do not resolve, with every complaint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shadowcast-pack-'));
    try {
      await mkdir(join(dir, 'pools'));
      await writeFile(join(dir, 'defaults.yaml'), 'capacity:\n  maxInstance: 10\n');
      await writeFile(join(dir, 'pools', 'web.yaml'), 'capacity: { maxInstances: -1 }\n');
      await expect(loadGuardrails(dir)).rejects.toThrow(/the policy files do not resolve:\n.*maxInstance/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('(a) instances per pool: capacity.maxInstances', () => {
  it('lets a primary group up to the limit through', () => {
    expect(
      checkPoolMaximum(group('storefront', 'primary', { desiredCapacity: 40, maxSize: 40 }), policies),
    ).toEqual([]);
  });

  it('stops a primary group that asks for more, or may grow past it', () => {
    expect(
      messages(
        checkPoolMaximum(group('storefront', 'primary', { desiredCapacity: 60, maxSize: 60 }), policies),
      ),
    ).toEqual([
      'storefront primary group "storefront-primary" asks for 60 instances (desiredCapacity); policies/pools/storefront.yaml allows at most 40 (capacity.maxInstances)',
      'storefront primary group "storefront-primary" may grow to 60 instances (maxSize); policies/pools/storefront.yaml allows at most 40 (capacity.maxInstances)',
    ]);
  });

  it('stops a primary Deployment with more replicas, and names a built-in limit as such', () => {
    expect(messages(checkPoolMaximum(deployment('checkout-api', 'primary', 25), policies))).toEqual([
      'checkout-api primary Deployment "checkout-api-primary" asks for 25 replicas; policies/pools/checkout-api.yaml allows at most 24 (capacity.maxInstances)',
    ]);
    expect(messages(checkPoolMaximum(deployment('web', 'primary', 51), policies))).toEqual([
      'web primary Deployment "web-primary" asks for 51 replicas; the built-in default allows at most 50 (capacity.maxInstances)',
    ]);
    expect(checkPoolMaximum(deployment('checkout-api', 'primary', 24), policies)).toEqual([]);
  });

  it('leaves shadow groups and values unknown during preview alone', () => {
    expect(
      checkPoolMaximum(group('storefront', 'shadow', { desiredCapacity: 90, maxSize: 90 }), policies),
    ).toEqual([]);
    expect(
      checkPoolMaximum(
        group('storefront', 'primary', { desiredCapacity: UNKNOWN, maxSize: UNKNOWN }),
        policies,
      ),
    ).toEqual([]);
  });
});

describe('(a) instances across pools: guardrails.maxTotalInstances', () => {
  const fleet = (primary: number) => [
    group('storefront', 'primary', { desiredCapacity: primary }),
    group('storefront', 'shadow', { desiredCapacity: 10 }),
    standby('storefront', 'i-0abc'),
    deployment('checkout-api', 'primary', 20),
    deployment('checkout-api', 'shadow', undefined), // Kubernetes' default: 1
  ];

  it('counts groups, standby instances and replicas: 120 passes', () => {
    expect(checkTotalInstances(fleet(88), policies)).toEqual([]);
  });

  it('stops 121, with each pool’s count and where the limit is set', () => {
    expect(messages(checkTotalInstances(fleet(89), policies))).toEqual([
      'the stack asks for 121 instances across its pools (checkout-api 21, storefront 100); policies/defaults.yaml allows at most 120 (guardrails.maxTotalInstances)',
    ]);
  });

  it('applies the tightest pool’s limit, as the planner does', () => {
    const tight = guardrailsFrom({
      defaults: { file: 'policies/defaults.yaml', text: DEFAULTS },
      pools: [
        {
          pool: 'checkout-api',
          file: 'policies/pools/checkout-api.yaml',
          text: 'guardrails: { maxTotalInstances: 100 }',
        },
      ],
    });
    expect(messages(checkTotalInstances(fleet(80), tight))).toEqual([
      'the stack asks for 112 instances across its pools (checkout-api 21, storefront 91); policies/pools/checkout-api.yaml allows at most 100 (guardrails.maxTotalInstances)',
    ]);
  });

  it('ignores resources that are not shadowcast’s, and judges nothing with a count unknown', () => {
    const theirs = {
      ...group('storefront', 'primary', { desiredCapacity: 500 }),
      props: { desiredCapacity: 500 },
    };
    expect(checkTotalInstances([...fleet(88), theirs], policies)).toEqual([]);
    expect(
      checkTotalInstances([...fleet(200), group('web', 'primary', { desiredCapacity: UNKNOWN })], policies),
    ).toEqual([]);
  });

  it('holds the fleet to guardrails.maxHourlyCost at the policies’ prices', () => {
    // storefront: 0.17/h each; checkout-api: the built-in 0.096/h.
    expect(checkHourlyCost(fleet(88), policies)).toEqual([]);
    expect(
      messages(checkHourlyCost([group('storefront', 'primary', { desiredCapacity: 177 })], policies)),
    ).toEqual([
      'the stack costs $30.09/h (storefront $30.09/h); policies/defaults.yaml allows at most $30.00/h (guardrails.maxHourlyCost)',
    ]);
  });
});

describe('(b) route weights', () => {
  const listener = (...weights: unknown[]): PlainResource => ({
    type: TYPES.listener,
    name: 'storefront-http',
    props: {
      tags: awsTags('storefront', 'routing'),
      defaultActions: [
        {
          type: 'forward',
          forward: { targetGroups: weights.map((weight, i) => ({ arn: `arn:tg/${i}`, weight })) },
        },
      ],
    },
  });

  it('passes ALB forwards summing to 100, and a lone target group without a weight', () => {
    expect(checkRouteWeights(listener(80, 20))).toEqual([]);
    expect(checkRouteWeights(listener(100, 0))).toEqual([]);
    expect(checkRouteWeights(listener(undefined))).toEqual([]);
  });

  it('stops forwards that do not sum to 100, or are not whole percents', () => {
    expect(messages(checkRouteWeights(listener(80, 30)))).toEqual([
      'storefront routing listener "storefront-http" weighs its target groups 80 + 30 = 110; route weights must sum to 100',
    ]);
    expect(messages(checkRouteWeights(listener(12.5, 87.5)))).toEqual([
      'storefront routing listener "storefront-http" weighs its target groups 12.5 + 87.5 = 100; route weights are whole percents from 0 to 100 that sum to 100',
    ]);
    expect(messages(checkRouteWeights(listener(100, undefined, -5)))).toEqual([
      'storefront routing listener "storefront-http" weighs its target groups 100 + (none) + -5 = 95; route weights are whole percents from 0 to 100 that sum to 100',
    ]);
  });

  it('skips a forward with a weight unknown during preview', () => {
    expect(checkRouteWeights(listener(80, UNKNOWN))).toEqual([]);
  });

  it('checks every HTTPRoute rule on its own', () => {
    const route = (second: number): PlainResource => ({
      type: TYPES.httpRoute,
      name: 'storefront',
      props: {
        metadata: { labels: k8sLabels('storefront', 'routing') },
        spec: {
          rules: [
            {
              backendRefs: [
                { name: 'storefront-primary', port: 80, weight: 80 },
                { name: 'storefront-shadow', port: 80, weight: 20 },
              ],
            },
            {
              backendRefs: [
                { name: 'storefront-primary', port: 80, weight: 100 - second },
                { name: 'storefront-shadow', port: 80, weight: second },
              ],
            },
          ],
        },
      },
    });
    expect(checkRouteWeights(route(30))).toEqual([]);
    const broken = route(30);
    (
      broken.props.spec as { rules: { backendRefs: { weight: number }[] }[] }
    ).rules[1]!.backendRefs[1]!.weight = 40;
    expect(messages(checkRouteWeights(broken))).toEqual([
      'storefront routing HTTPRoute "storefront" weighs rule 2\'s backends storefront-primary 70 + storefront-shadow 40 = 110; route weights must sum to 100',
    ]);
  });

  it('keeps an nginx canary weight within 0..100 (or canary-weight-total)', () => {
    const ingress = (annotations: Record<string, string>): PlainResource => ({
      type: TYPES.ingress,
      name: 'storefront-canary',
      props: { metadata: { labels: k8sLabels('storefront', 'shadow'), annotations } },
    });
    const weight = 'nginx.ingress.kubernetes.io/canary-weight';
    expect(checkRouteWeights(ingress({ [weight]: '20' }))).toEqual([]);
    expect(checkRouteWeights(ingress({}))).toEqual([]);
    expect(messages(checkRouteWeights(ingress({ [weight]: '130' })))).toEqual([
      'storefront shadow Ingress "storefront-canary" sets nginx.ingress.kubernetes.io/canary-weight to "130"; it must be a whole number from 0 to 100',
    ]);
    expect(messages(checkRouteWeights(ingress({ [weight]: '0.2' })))).toHaveLength(1);
    expect(
      checkRouteWeights(
        ingress({ [weight]: '130', 'nginx.ingress.kubernetes.io/canary-weight-total': '1000' }),
      ),
    ).toEqual([]);
  });

  it('sums Route 53 weighted records per pool', () => {
    const record = (pool: string, role: string, weight: unknown): PlainResource => ({
      type: TYPES.record,
      name: `${pool}-${role}`,
      urn: `urn:${pool}-${role}`,
      props: {
        name: `${pool}.example.com`,
        type: 'CNAME',
        setIdentifier: `${pool}-${role}`,
        weightedRoutingPolicies: [{ weight }],
      },
    });
    const ok = [record('storefront', 'primary', 80), record('storefront', 'shadow', 20)];
    expect(checkRecordWeights([...ok, record('checkout-api', 'primary', 100)])).toEqual([]);
    expect(
      checkRecordWeights([
        ...ok,
        record('checkout-api', 'primary', 70),
        record('checkout-api', 'shadow', 40),
      ]),
    ).toEqual([
      {
        message:
          'checkout-api Route 53 weighted record set "checkout-api.example.com" weighs its records checkout-api-primary 70 + checkout-api-shadow 40 = 110; route weights must sum to 100',
        urn: 'urn:checkout-api-primary',
      },
    ]);
    expect(
      checkRecordWeights([record('storefront', 'primary', 80), record('storefront', 'shadow', UNKNOWN)]),
    ).toEqual([]);
  });
});

describe('(c) the shadow pool’s minimum: shadow.minSize', () => {
  it('passes a shadow at the minimum, and pools whose minimum is 0', () => {
    expect(
      checkShadowMinimum(
        [
          group('checkout-api', 'primary'),
          group('checkout-api', 'shadow', { desiredCapacity: 2 }),
          group('storefront', 'primary'),
        ],
        policies,
      ),
    ).toEqual([]);
  });

  it('stops a shadow below the minimum, naming its group', () => {
    expect(
      checkShadowMinimum(
        [group('checkout-api', 'primary'), group('checkout-api', 'shadow', { desiredCapacity: 1 })],
        policies,
      ),
    ).toEqual([
      {
        message:
          'checkout-api shadow pool runs 1 instance (group "checkout-api-shadow" desiredCapacity 1); policies/pools/checkout-api.yaml asks for at least 2 (shadow.minSize)',
        urn: `urn:pulumi:test::shadowcast::${TYPES.group}::checkout-api-shadow`,
      },
    ]);
  });

  it('stops a pool declared without any shadow, on either target', () => {
    expect(messages(checkShadowMinimum([deployment('checkout-api', 'primary', 3)], policies))).toEqual([
      'checkout-api shadow pool runs 0 instances (it has no shadow group or Deployment); policies/pools/checkout-api.yaml asks for at least 2 (shadow.minSize)',
    ]);
    expect(
      messages(
        checkShadowMinimum([deployment('web', 'primary', 3), deployment('web', 'shadow', 0)], policies),
      ),
    ).toEqual([
      'web shadow pool runs 0 instances (Deployment "web-shadow" 0 replicas); the built-in default asks for at least 1 (shadow.minSize)',
    ]);
  });

  it('asks nothing of a pool whose shadow is disabled', () => {
    const off = guardrailsFrom({
      pools: [{ pool: 'web', file: 'policies/pools/web.yaml', text: 'shadow: { enabled: false }' }],
    });
    expect(checkShadowMinimum([deployment('web', 'primary', 3)], off)).toEqual([]);
  });
});

describe('(d) tags and labels on every resource that carries them', () => {
  it('passes a group whose tags all propagate at launch', () => {
    expect(checkTags(group('storefront', 'primary'))).toEqual([]);
  });

  it('stops a group lacking its role, or not propagating a tag to its instances', () => {
    const tags = [
      { key: 'managed-by', value: 'shadowcast', propagateAtLaunch: true },
      { key: 'shadowcast:pool', value: 'storefront', propagateAtLaunch: false },
    ];
    expect(messages(checkTags(group('storefront', 'primary', { tags })))).toEqual([
      'storefront group "storefront-primary" lacks tag shadowcast:role; tag shadowcast:pool does not propagate at launch (propagateAtLaunch: true), so the group\'s instances would lack it',
    ]);
  });

  it('stops wrong values: another manager, an unknown role, an empty pool', () => {
    const instance: PlainResource = {
      type: TYPES.instance,
      name: 'standby-1',
      props: { tags: { 'managed-by': 'terraform', 'shadowcast:pool': '', 'shadowcast:role': 'spare' } },
    };
    expect(messages(checkTags(instance))).toEqual([
      'instance "standby-1" tag managed-by is "terraform", not "shadowcast"; tag shadowcast:pool is empty; tag shadowcast:role is "spare", not one of primary, shadow, standby, routing',
    ]);
  });

  it('stops an object without labels', () => {
    const service: PlainResource = {
      type: TYPES.service,
      name: 'storefront-primary',
      props: { metadata: {} },
    };
    expect(messages(checkTags(service))).toEqual([
      'Service "storefront-primary" lacks labels app.kubernetes.io/managed-by, shadowcast.dev/pool, shadowcast.dev/role',
    ]);
  });

  it.each(TAGGED_TYPES)('checks %s', (type) => {
    const aws = type.startsWith('aws:');
    const tagged = aws
      ? type === TYPES.group
        ? { tags: groupTags('storefront', 'routing') }
        : { tags: awsTags('storefront', 'routing') }
      : { metadata: { labels: k8sLabels('storefront', 'routing') } };
    expect(checkTags({ type, name: 'x', props: tagged })).toEqual([]);
    expect(
      checkTags({ type, name: 'x', props: aws ? { tags: {} } : { metadata: { labels: {} } } }),
    ).toHaveLength(1);
  });

  it('reads aws:alb tokens as their aws:lb aliases, and leaves untagged types alone', () => {
    expect(checkTags({ type: 'aws:alb/targetGroup:TargetGroup', name: 'tg', props: {} })).toHaveLength(1);
    expect(checkTags({ type: TYPES.record, name: 'r', props: {} })).toEqual([]);
  });

  it('does not judge tags unknown during preview', () => {
    expect(checkTags({ type: TYPES.loadBalancer, name: 'lb', props: { tags: UNKNOWN } })).toEqual([]);
  });
});

describe('(e) protected pools never scale to zero', () => {
  it('stops a protected pool’s primary group at 0, naming where it is protected', () => {
    expect(
      messages(
        checkProtectedPool(group('checkout-api', 'primary', { desiredCapacity: 0, minSize: 0 }), policies),
      ),
    ).toEqual([
      'checkout-api primary group "checkout-api-primary" scales to 0 (desiredCapacity 0, minSize 0); checkout-api is protected (guardrails.protectedPools in policies/defaults.yaml), so it never scales to zero',
    ]);
    expect(
      messages(checkProtectedPool(group('checkout-api', 'primary', { minSize: 0 }), policies)),
    ).toHaveLength(1);
  });

  it('stops a protected pool’s primary Deployment at 0 replicas', () => {
    expect(messages(checkProtectedPool(deployment('checkout-api', 'primary', 0), policies))).toEqual([
      'checkout-api primary Deployment "checkout-api-primary" scales to 0 replicas; checkout-api is protected (guardrails.protectedPools in policies/defaults.yaml), so it never scales to zero',
    ]);
  });

  it('lets unprotected pools, shadows and running primaries be', () => {
    expect(
      checkProtectedPool(group('storefront', 'primary', { desiredCapacity: 0, minSize: 0 }), policies),
    ).toEqual([]);
    expect(checkProtectedPool(deployment('checkout-api', 'shadow', 0), policies)).toEqual([]);
    expect(checkProtectedPool(deployment('checkout-api', 'primary', 3), policies)).toEqual([]);
  });
});

describe('the pack’s registered policies, driven as the engine drives them', () => {
  const registered = guardrailPolicies(policies);
  const byName = (name: string) => registered.find((p) => p.name === name)!;

  function resourceArgs(r: PlainResource): ResourceValidationArgs {
    return {
      type: r.type,
      name: r.name,
      urn: r.urn ?? `urn:${r.name}`,
      props: unknownCheckingProxy(r.props),
      opts: {} as ResourceValidationArgs['opts'],
      stackTags: new Map(),
      isType: () => false,
      asType: () => undefined,
      getConfig: <T extends object>() => ({}) as T,
      notApplicable: () => {
        throw new Error('not applicable');
      },
    };
  }
  async function validateResource(name: string, r: PlainResource) {
    const spy = vi.fn();
    const policy = byName(name) as ResourceValidationPolicy;
    expect(typeof policy.validateResource).toBe('function');
    await (policy.validateResource as ResourceValidation)(resourceArgs(r), spy);
    return spy;
  }
  async function validateStack(name: string, rs: PlainResource[]) {
    const spy = vi.fn();
    const policy = byName(name) as StackValidationPolicy;
    const args = {
      resources: rs.map((r) => ({ ...resourceArgs(r), dependencies: [], propertyDependencies: {} })),
      getConfig: <T extends object>() => ({}) as T,
      stackTags: new Map(),
      notApplicable: () => {
        throw new Error('not applicable');
      },
    } as unknown as StackValidationArgs;
    await policy.validateStack(args, spy);
    return spy;
  }

  it('registers one policy per guardrail, resource or stack as each needs', () => {
    const kinds = Object.fromEntries(
      registered.map((p) => [p.name, 'validateStack' in p ? 'stack' : 'resource']),
    );
    expect(kinds).toEqual({
      'pool-max-instances': 'resource',
      'max-total-instances': 'stack',
      'max-hourly-cost': 'stack',
      'route-weights': 'resource',
      'route53-weights': 'stack',
      'shadow-min-size': 'stack',
      'required-tags': 'resource',
      'protected-pools': 'resource',
    });
    // The pack sets mandatory for all; no policy lowers it.
    expect(registered.every((p) => p.enforcementLevel === undefined)).toBe(true);
  });

  it('reports a violation through reportViolation, and nothing for a compliant resource', async () => {
    const spy = await validateResource(
      'pool-max-instances',
      group('storefront', 'primary', { desiredCapacity: 60 }),
    );
    expect(spy.mock.calls).toEqual([
      [
        'storefront primary group "storefront-primary" asks for 60 instances (desiredCapacity); policies/pools/storefront.yaml allows at most 40 (capacity.maxInstances)',
        undefined,
      ],
    ]);
    expect((await validateResource('pool-max-instances', group('storefront', 'primary'))).mock.calls).toEqual(
      [],
    );
    expect(
      (await validateResource('required-tags', group('storefront', 'primary', { tags: [] }))).mock.calls,
    ).toHaveLength(1);
    expect(
      (await validateResource('route-weights', deployment('storefront', 'primary', 3))).mock.calls,
    ).toEqual([]);
    expect(
      (await validateResource('protected-pools', group('checkout-api', 'primary', { desiredCapacity: 0 })))
        .mock.calls,
    ).toHaveLength(1);
  });

  it('reads through the engine’s proxy: an unknown value skips one check, not the policy', async () => {
    const r = group('storefront', 'primary', { desiredCapacity: UNKNOWN_NUMBER, maxSize: 60 });
    const spy = await validateResource('pool-max-instances', r);
    expect(spy.mock.calls.map(([m]) => m)).toEqual([
      'storefront primary group "storefront-primary" may grow to 60 instances (maxSize); policies/pools/storefront.yaml allows at most 40 (capacity.maxInstances)',
    ]);
  });

  it('reports stack violations with the resource at fault', async () => {
    const spy = await validateStack('shadow-min-size', [
      group('checkout-api', 'primary'),
      group('checkout-api', 'shadow', { desiredCapacity: 1 }),
    ]);
    expect(spy.mock.calls).toEqual([
      [
        expect.stringContaining('checkout-api shadow pool runs 1 instance'),
        group('checkout-api', 'shadow').urn,
      ],
    ]);
    const total = await validateStack('max-total-instances', [
      group('storefront', 'primary', { desiredCapacity: 121 }),
    ]);
    expect(total.mock.calls).toEqual([
      [expect.stringContaining('the stack asks for 121 instances'), undefined],
    ]);
    expect((await validateStack('route53-weights', [group('storefront', 'primary')])).mock.calls).toEqual([]);
    expect((await validateStack('max-hourly-cost', [group('storefront', 'primary')])).mock.calls).toEqual([]);
  });
});

describe('plain: properties out of the engine’s proxy', () => {
  it('copies mappings and lists, marking values unknown during preview', () => {
    const proxied = unknownCheckingProxy({
      a: [1, { b: UNKNOWN_NUMBER }],
      c: { d: 'x' },
      e: null,
    });
    expect(plain(proxied)).toEqual({ a: [1, { b: UNKNOWN }], c: { d: 'x' }, e: null });
  });
});
