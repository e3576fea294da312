// Merging with provenance: the built-in defaults as the brief fixes them, mappings merged and lists
// replaced, shadow fields taken from capacity, and a property over random valid files: the merge
// always validates, each value is the most specific file's, and each source points at its key.

import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { formatSource, type Source } from '../../src/policy/provenance.js';
import { builtinPolicy, type PolicyField, resolvePolicies } from '../../src/policy/resolve.js';
import { BUILTIN_DEFAULTS, FIELDS, type ResolvedPolicySchema } from '../../src/policy/schema.js';
import type { Policy } from '../../src/policy/types.js';
import { STANDBY_DEFAULTS } from '../../src/risk/standby.js';

const MIN = 60_000;
const DEFAULTS = 'policies/defaults.yaml';
const POOL = 'policies/pools/web.yaml';

function resolveOne(pool: string, defaults?: string) {
  const set = resolvePolicies({
    defaults: defaults === undefined ? undefined : { file: DEFAULTS, text: defaults },
    pools: [{ pool: 'web', file: POOL, text: pool }],
  });
  expect(set.errors.map((e) => e.message)).toEqual([]);
  const r = set.pools.get('web')!;
  const field = (name: string) => r.fields.find((f) => f.field === name)!;
  return { ...r, field, source: (name: string) => formatSource(field(name).source) };
}

describe('built-in defaults', () => {
  it('are the documented ones, in milliseconds', () => {
    const expected: Policy = {
      mode: 'recommend',
      forecast: {
        horizonMs: 24 * 60 * MIN,
        level: 0.9,
        model: 'auto',
        maxErrorPercent: 30,
        errorWindowMs: 24 * 60 * MIN,
        historyMs: 28 * 24 * 60 * MIN,
      },
      capacity: {
        unitsPerInstance: 100,
        minInstances: 2,
        maxInstances: 50,
        headroomPercent: 20,
        instanceType: 'm6i.large',
        hourlyCost: 0.096,
        provisionMs: 5 * MIN,
        launchBufferMs: MIN,
        resources: {},
        zoneLoss: 'at-risk',
      },
      shadow: {
        enabled: true,
        peakPercent: 100,
        bufferPercent: 10,
        minSize: 1,
        instanceType: 'm6i.large',
        unitsPerInstance: 100,
        hourlyCost: 0.096,
        leadTimeMs: 10 * MIN,
      },
      standby: {
        provision: 0.7,
        transition: 0.9,
        dwellMs: 10 * MIN,
        releaseMs: 30 * MIN,
        syncMs: 15 * MIN,
        hysteresis: 0.1,
        criticality: { low: -0.05, normal: 0, high: 0.05, critical: 0.1 },
      },
      risk: { model: 'built-in', holdout: 0.3 },
      migration: {
        stepSize: 0.1,
        bakeMs: 2 * MIN,
        gates: [
          { metric: 'error_rate', max: 0.01 },
          { metric: 'latency_p99_ms', max: 500 },
        ],
        maxConcurrent: 1,
        alertPerHour: 6,
        stepTimeoutMs: 15 * MIN,
      },
      guardrails: { maxTotalInstances: 200, maxHourlyCost: 50, protectedPools: [] },
      schedule: { cron: '*/15 * * * *', timezone: 'UTC' },
    };
    expect(builtinPolicy().policy).toEqual(expected);
    expect(builtinPolicy().fields.every((f) => f.source.kind === 'built-in')).toBe(true);
  });

  it("standby's equal the risk module's STANDBY_DEFAULTS (policy may not import risk, so a test holds them)", () => {
    expect(builtinPolicy().policy.standby).toEqual(STANDBY_DEFAULTS);
  });

  it('the resolved schema yields exactly Policy (types)', () => {
    expectTypeOf<z.output<typeof ResolvedPolicySchema>>().toEqualTypeOf<Policy>();
  });

  it('list every leaf once, in schema order', () => {
    expect(new Set(FIELDS).size).toBe(FIELDS.length);
    expect(FIELDS.slice(0, 3)).toEqual(['mode', 'forecast.horizon', 'forecast.level']);
    expect(FIELDS).toContain('standby.criticality.critical');
    expect(FIELDS).toContain('migration.gates');
  });
});

describe('merging', () => {
  it('merges mappings key by key: a pool setting one criticality keeps the other three', () => {
    const r = resolveOne(
      'standby:\n  criticality:\n    critical: 0.2\n',
      'standby:\n  criticality: { low: 0 }\n',
    );
    expect(r.policy.standby.criticality).toEqual({ low: 0, normal: 0, high: 0.05, critical: 0.2 });
    expect(r.source('standby.criticality.critical')).toBe(`${POOL}:3`);
    expect(r.source('standby.criticality.low')).toBe(`${DEFAULTS}:2`);
    expect(r.source('standby.criticality.high')).toBe('built-in default');
  });

  it('replaces lists whole: gates and protected pools', () => {
    const r = resolveOne(
      'migration:\n  gates: [{ metric: availability, min: 0.999 }]\n',
      'guardrails: { protectedPools: [ledger] }\nmigration:\n  gates:\n    - { metric: error_rate, max: 0.02 }\n    - { metric: x, max: 1 }\n',
    );
    expect(r.policy.migration.gates).toEqual([{ metric: 'availability', min: 0.999 }]);
    expect(r.policy.guardrails.protectedPools).toEqual(['ledger']);
    expect(r.source('migration.gates')).toBe(`${POOL}:2`);
  });

  it("gives shadow capacity's instance fields unless a file sets them, saying so", () => {
    const r = resolveOne('capacity:\n  instanceType: c6i.xlarge\nshadow: { hourlyCost: 0.05 }\n');
    expect(r.policy.shadow.instanceType).toBe('c6i.xlarge');
    expect(r.source('shadow.instanceType')).toBe(`${POOL}:2 (via capacity.instanceType)`);
    expect(r.policy.shadow.unitsPerInstance).toBe(100);
    expect(r.source('shadow.unitsPerInstance')).toBe('built-in default (via capacity.unitsPerInstance)');
    expect(r.source('shadow.hourlyCost')).toBe(`${POOL}:3`);
  });

  it('reads durations in any unit parseDuration knows', () => {
    const r = resolveOne('forecast: { horizon: 1.5d }\nmigration: { bake: 90s, stepTimeout: 1h }\n');
    expect(r.policy.forecast.horizonMs).toBe(36 * 60 * MIN);
    expect(r.policy.migration.bakeMs).toBe(90_000);
    expect(r.field('forecast.horizon').value).toBe('1.5d');
  });

  it('resolves pools independently: one broken pool does not hide the others', () => {
    const set = resolvePolicies({
      pools: [
        { pool: 'a', file: 'a.yaml', text: 'mode: apply\n' },
        { pool: 'b', file: 'b.yaml', text: 'mode: maybe\n' },
      ],
    });
    expect([...set.pools.keys()]).toEqual(['a']);
    expect([...set.poolFiles.keys()]).toEqual(['a', 'b']);
    expect(set.errors.map((e) => e.message)).toEqual([
      'b.yaml:1:7: mode: "maybe" must be one of recommend, apply',
    ]);
  });
});

// ── property: any valid partial override merges to a valid policy with exact provenance ──

const duration = (maxMinutes: number, minMinutes = 0) =>
  fc
    .tuple(fc.integer({ min: minMinutes, max: maxMinutes }), fc.constantFrom('m', 's'))
    .map(([n, unit]) => (unit === 'm' ? `${n}m` : `${n * 60}s`));
const fraction = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true }).map((v) => Math.round(v * 1000) / 1000);

/** Values within every bound, chosen so that the rules joining two fields hold whatever merges. */
const VALUES: Record<string, fc.Arbitrary<unknown>> = {
  mode: fc.constantFrom('recommend', 'apply'),
  'forecast.horizon': duration(48 * 60, 1),
  'forecast.level': fraction(0.5, 0.99),
  'forecast.model': fc.constantFrom('auto', 'prophet', 'mstl', 'naive'),
  'capacity.unitsPerInstance': fc.integer({ min: 1, max: 1000 }),
  'capacity.minInstances': fc.integer({ min: 0, max: 2 }),
  'capacity.maxInstances': fc.integer({ min: 2, max: 500 }),
  'capacity.headroomPercent': fc.integer({ min: 0, max: 200 }),
  'capacity.instanceType': fc.constantFrom('m6i.large', 'c6i.xlarge', 'n2-standard-4'),
  'capacity.hourlyCost': fraction(0, 5),
  'capacity.provision': duration(2),
  'shadow.enabled': fc.boolean(),
  'shadow.minSize': fc.integer({ min: 0, max: 10 }),
  'shadow.instanceType': fc.constantFrom('c6i.large', 't3.medium'),
  'shadow.unitsPerInstance': fc.integer({ min: 1, max: 1000 }),
  'shadow.leadTime': duration(60),
  'standby.provision': fraction(0.2, 0.7),
  'standby.transition': fraction(0.7, 0.99),
  'standby.hysteresis': fraction(0, 0.19),
  'standby.dwell': duration(60),
  'standby.criticality.critical': fraction(-0.5, 0.5),
  'standby.criticality.low': fraction(-0.5, 0.5),
  'migration.stepSize': fraction(0.01, 1),
  'migration.bake': duration(2),
  'migration.gates': fc.array(
    fc.record({ metric: fc.constantFrom('error_rate', 'latency_p99_ms'), max: fraction(0, 1000) }),
    { minLength: 1, maxLength: 3 },
  ),
  'migration.stepTimeout': duration(60, 6),
  'guardrails.protectedPools': fc.uniqueArray(fc.constantFrom('ledger', 'search', 'auth-2')),
  'schedule.cron': fc.constantFrom('*/15 * * * *', '0 * * * *', '5,35 8-20 * * mon-fri'),
  'schedule.timezone': fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
};

/** A random subset of VALUES' fields with random values, as a nested mapping. */
const partial = fc.subarray(Object.keys(VALUES)).chain((fields) =>
  fc.tuple(...fields.map((f) => VALUES[f]!)).map((values) => {
    const out: Record<string, unknown> = {};
    fields.forEach((field, i) => {
      const path = field.split('.');
      let node = out;
      for (const step of path.slice(0, -1)) node = (node[step] ??= {}) as Record<string, unknown>;
      node[path.at(-1)!] = values[i];
    });
    return { fields: new Set(fields), data: out };
  }),
);

const style = fc.constantFrom<'block' | 'flow'>('block', 'flow');

/** The key a source points at, read back from the text at that line and column. */
function keyAt(text: string, source: Source): string | undefined {
  if (source.kind !== 'file') return undefined;
  const line = text.split('\n')[source.line - 1] ?? '';
  return /^[\w-]+/.exec(line.slice(source.column - 1))?.[0];
}

describe('property: valid partial overrides', () => {
  it('merge to a policy that validates; each value and source is the most specific file that set it', () => {
    fc.assert(
      fc.property(partial, partial, style, style, (defaults, pool, defaultsStyle, poolStyle) => {
        const texts: Record<string, string> = {
          [DEFAULTS]: stringify(defaults.data, { collectionStyle: defaultsStyle }),
          [POOL]: stringify(pool.data, { collectionStyle: poolStyle }),
        };
        const set = resolvePolicies({
          defaults: { file: DEFAULTS, text: texts[DEFAULTS]! },
          pools: [{ pool: 'web', file: POOL, text: texts[POOL]! }],
        });
        expect(set.errors.map((e) => e.message)).toEqual([]);
        const r = set.pools.get('web')!;
        for (const { field, value, source } of r.fields) {
          const [setBy, data] = pool.fields.has(field)
            ? [POOL, pool.data]
            : defaults.fields.has(field)
              ? [DEFAULTS, defaults.data]
              : [undefined, BUILTIN_DEFAULTS];
          if (source.via) continue; // inherited from capacity: checked below
          expect(source.kind === 'file' ? source.file : undefined, field).toBe(setBy);
          expect(value, field).toEqual(field.split('.').reduce<unknown>((n, k) => (n as never)[k], data));
          if (setBy) expect(keyAt(texts[setBy]!, source), field).toBe(field.split('.').at(-1));
        }
        const inherited = (f: string) => r.fields.find((x: PolicyField) => x.field === f)!;
        if (!pool.fields.has('shadow.instanceType') && !defaults.fields.has('shadow.instanceType')) {
          expect(r.policy.shadow.instanceType).toBe(r.policy.capacity.instanceType);
          expect(inherited('shadow.instanceType').source.via).toBe('capacity.instanceType');
        }
      }),
      { numRuns: 150 },
    );
  });
});
