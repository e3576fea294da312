import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import { count, cost, type NodeRisk, place, plan, type PoolInputs, units } from '../../src/plan/plan.js';
import { needs } from '../../src/plan/size.js';
import type { Policy } from '../../src/policy/types.js';
import { forecastOf, HOUR, MIN, nodeRisk, pool, T0, testPolicy } from './fixtures.js';

const clock = () => new FakeClock(T0);

/** Every state a pool passes through: the current one, then each step's. */
function states(current: PoolState, steps: { state: PoolState }[]): PoolState[] {
  return [current, ...steps.map((s) => s.state)];
}

describe('plan: a hand-computed case', () => {
  it('sizes primary from the mean, shadow from the upper bound, and orders the steps', () => {
    // Mean 1,000 units now, 2,000 in 10 minutes; upper = mean × 1.2.
    const fc1 = forecastOf(T0, 10 * MIN, [1000, 2000, 1500]);
    const p = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          { pool: 'web', policy: testPolicy(), current: pool(12, 1, 0.08), forecast: fc1, observed: 950 },
        ],
      },
      clock(),
    );
    const web = p.pools.web!;
    // Window [now, now + 15m + 10m] holds 1000, 2000 (t+10m) and 1500 (t+20m).
    // Primary need: 2000 × 1.2 = 2400. Total: upper 2400 × 1.1 = 2640; the shadow's share,
    // (2640 − 2400) / 2640 = 0.09, rounds to one step of 0.1. Primary: 0.9 × 2640 / 100 → 24;
    // shadow: 0.1 × 2640 / 100 → 3.
    expect(web.desired.primary).toBe(24);
    expect(web.desired.shadow).toBe(3);
    expect(web.desired.weights).toEqual({ primary: 0.9, shadow: 0.1 });
    expect(web.steps.map((s) => s.kind)).toEqual(['provision', 'warm', 'shift']);
    // Need at t+10m; primary lead 5m → t+5m, shadow lead 10m → now: the earlier wins.
    expect(web.steps[0]!.notBefore).toBe(T0);
    // Ready one lead time plus the 1m launch buffer after it starts.
    expect(web.steps[1]!.notBefore).toBe(T0 + 11 * MIN);
    expect(web.steps[0]!.state).toMatchObject({ primary: 24, shadow: 3 });
    expect(web.reasons[0]).toContain('forecast mean peak 2000');
    expect(web.reasons[0]).toContain('p95 upper peak 2400');
    expect(web.reasons[2]).toContain('shadow 3 for the 10%');
  });

  // "forecast p90 upper peak 2985 × 100% + 0% buffer = 3978": the observed load set the total,
  // and the reason named the forecast with the wrong arithmetic; level 0.99 printed as "p100".
  it('says the arithmetic it did: observed load above the upper bound, and p99.5 for level 0.99', () => {
    const policy = testPolicy((p) => {
      p.shadow.peakPercent = 100;
      p.shadow.bufferPercent = 0;
    });
    const fc1 = { ...forecastOf(T0, HOUR, [2000, 2100], 0.1), level: 0.99 };
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [{ pool: 'web', policy, current: pool(20), forecast: fc1, observed: 3000 }],
      },
      clock(),
    ).pools.web!;
    const reason = web.reasons[0]!;
    expect(reason).toContain('observed load 3000 (above the forecast p99.5 upper bound 2200)');
    expect(reason).not.toContain('p100');
    const [, factor, sum] = /× (\d+)% \+ 0% buffer = (\d+)/.exec(reason)!;
    expect(Number(sum)).toBe(3000 * (Number(factor) / 100));
  });

  it('provisions just in time: one lead time before the forecast needs it', () => {
    const fc1 = forecastOf(T0, 5 * MIN, [500, 500, 500, 500, 1500, 1500]);
    const policy = testPolicy((p) => (p.shadow.enabled = false));
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [{ pool: 'web', policy, current: pool(6), forecast: fc1, observed: 480 }],
      },
      clock(),
    ).pools.web!;
    // 1500 × 1.2 = 1800 needed at t+20m: provisioned at t+14m (primary lead 5m, launch buffer 1m).
    expect(web.steps[0]).toMatchObject({ kind: 'provision', notBefore: T0 + 14 * MIN });
    expect(web.steps[0]!.state.primary).toBe(18);
  });

  it('holds the last good capacity when the demand metric vanishes', () => {
    const current = pool(9, 2, 0.2);
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          { pool: 'web', policy: testPolicy(), current, forecast: forecastOf(T0, HOUR, [10]), observed: NaN },
        ],
      },
      clock(),
    ).pools.web!;
    expect(web.desired).toEqual(current);
    expect(web.steps).toEqual([]);
    expect(web.alerts[0]).toContain('demand metric missing');
  });

  it('never sizes below the observed load, whatever the forecast says', () => {
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          {
            pool: 'web',
            policy: testPolicy(),
            current: pool(4),
            forecast: forecastOf(T0, HOUR, [100, 100]),
            observed: 1000,
          },
        ],
      },
      clock(),
    ).pools.web!;
    expect(web.desired.primary).toBe(12); // 1000 × 1.2 / 100
    expect(web.reasons[0]).toContain('observed load 1000');
  });

  it('leaves a protected pool alone', () => {
    const policy = testPolicy((p) => (p.guardrails.protectedPools = ['db']));
    const db = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          { pool: 'db', policy, current: pool(3), forecast: forecastOf(T0, HOUR, [5000]), observed: 5000 },
        ],
      },
      clock(),
    ).pools.db!;
    expect(db.steps).toEqual([]);
    expect(db.desired).toEqual(pool(3));
  });

  it('caps the plan by the fleet-wide instance guardrail, shadow first', () => {
    const policy = testPolicy((p) => (p.guardrails.maxTotalInstances = 20));
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          {
            pool: 'web',
            policy,
            current: pool(10, 1, 0.1),
            forecast: forecastOf(T0, HOUR, [1500]),
            observed: 1500,
          },
        ],
      },
      clock(),
    ).pools.web!;
    // Wanted 18 primary + 2 shadow = 20 (fits), so raise demand past the cap instead.
    expect(count(web.desired)).toBeLessThanOrEqual(20);
    const big = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          {
            pool: 'web',
            policy,
            current: pool(10, 1, 0.1),
            forecast: forecastOf(T0, HOUR, [2500]),
            observed: 2500,
          },
        ],
      },
      clock(),
    ).pools.web!;
    expect(count(big.desired)).toBe(20);
    expect(big.desired.primary).toBe(20 - big.desired.shadow);
    expect(big.alerts).toContain('web: plan capped by guardrails');
  });

  // A cost cap below what the pool already costs (4 primary + 1 shadow at 0.17/h and 0.05/h)
  // once planned the pool to zero: "decommission primary 4 -> 0" with no bake and no gate.
  it.each([
    ['maxHourlyCost below what the pool costs now', (p: Policy) => (p.guardrails.maxHourlyCost = 0.6)],
    ['maxTotalInstances below what the pool runs now', (p: Policy) => (p.guardrails.maxTotalInstances = 3)],
  ])('a guardrail never shrinks a pool below what it serves now: %s', (_, set) => {
    const policy = testPolicy((p) => {
      p.capacity.hourlyCost = 0.17;
      p.shadow.hourlyCost = 0.05;
      p.capacity.minInstances = 2;
      set(p);
    });
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          {
            pool: 'web',
            policy,
            current: pool(4, 1, 0.1),
            forecast: forecastOf(T0, HOUR, [450, 500]),
            observed: 450,
          },
        ],
      },
      clock(),
    ).pools.web!;
    for (const s of states(web.current, web.steps)) {
      expect(s.primary).toBeGreaterThanOrEqual(4);
      expect(s.shadow).toBeGreaterThanOrEqual(1);
    }
    expect(web.steps.filter((s) => s.kind === 'decommission')).toEqual([]);
    expect(web.alerts.join('\n')).toMatch(/already over its guardrails.*size held/);
    expect(web.reasons.join('\n')).toMatch(/never shrink a pool below what it serves/);
  });
});

describe('plan: without a forecast', () => {
  const noForecast = (current: ReturnType<typeof pool>, observed: number) =>
    plan(
      { intervalMs: 15 * MIN, pools: [{ pool: 'web', policy: testPolicy(), current, observed, nodes: [] }] },
      clock(),
    ).pools.web!;

  it('never shrinks on observed load alone: a quiet pool keeps what it runs', () => {
    const quiet = noForecast(pool(10, 3, 0.2), 1);
    expect(quiet.desired.primary).toBe(10);
    expect(quiet.desired.shadow).toBe(3);
    expect(quiet.desired.weights.shadow).toBe(0.2);
    expect(quiet.steps).toEqual([]);
    expect(quiet.reasons.some((r) => r.includes('never below current'))).toBe(true);
  });

  it('still grows when what it sees outgrows what it runs', () => {
    const busy = noForecast(pool(2, 0, 0), 5_000);
    expect(busy.desired.primary + busy.desired.shadow).toBeGreaterThan(2);
    expect(busy.steps.length).toBeGreaterThan(0);
  });
});

describe('plan: standby nodes', () => {
  const node = nodeRisk;
  /** Its standbys' data synced just now, unless it says when (the sync steps have a test of their own). */
  const fresh = (s: PoolState): PoolState =>
    s.standbySync
      ? s
      : {
          ...s,
          ...(Object.keys(s.standby).length
            ? { standbySync: Object.fromEntries(Object.keys(s.standby).map((id) => [id, T0])) }
            : {}),
        };
  const run = (current: PoolState, nodes: NodeRisk[], policy: Policy = testPolicy()) =>
    plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          {
            pool: 'web',
            policy,
            current: fresh(current),
            forecast: forecastOf(T0, HOUR, [500]),
            observed: 500,
            nodes,
          },
        ],
      },
      clock(),
    ).pools.web!;

  it('provisions a standby at the provision threshold, earlier for a critical workload', () => {
    const web = run(pool(6, 1, 0.1), [
      node('a', 0.72),
      node('b', 0.65, { criticality: 'critical' }),
      node('c', 0.65),
    ]);
    expect(Object.keys(web.desired.standby).sort()).toEqual(['a', 'b']);
    expect(web.steps[0]!.kind).toBe('provision');
  });

  it('switches a node only after the dwell time, in one step (a node serves or it does not), one at a time', () => {
    const early = run(pool(6, 1, 0.1, { a: 0 }), [node('a', 0.95, { aboveTransitionMs: 5 * MIN })]);
    expect(early.desired.standby).toEqual({ a: 0 });
    const due = run(pool(6, 1, 0.1, { a: 0, b: 0 }), [
      node('a', 0.95, { aboveTransitionMs: 12 * MIN, stateless: false }),
      node('b', 0.95, { aboveTransitionMs: 12 * MIN }),
    ]);
    const moves = due.steps.filter((s) => s.kind === 'shift');
    expect(moves.map((s) => s.id)).toEqual(['web#1:switch-b']); // stateless first
    expect(moves[0]!.state.standby).toEqual({ a: 0, b: 1 });
    expect(moves[0]!.reason).toMatch(/^switch b to its standby: drain b and take it out of service/);
    expect(moves[0]!.bakeMs).toBeGreaterThan(0);
    expect(due.reasons.some((r) => r.includes('switch of a waits'))).toBe(true);
  });

  it('keeps a warm standby’s data in step: a sync step every standby.sync, and one more at the switch', () => {
    const at = (min: number) => ({
      ...pool(6, 1, 0.1, { a: 0, b: 0 }),
      standbySync: { a: T0 - min * MIN, b: T0 - 2 * MIN },
    });
    // a last synced 20 min ago (the policy's sync is 15 min): one step brings it in step; b is recent.
    const due = run(at(20), [node('a', 0.75), node('b', 0.8)]);
    expect(due.steps.map((st) => [st.id, st.kind])).toEqual([['web#1:sync', 'warm']]);
    expect(due.steps[0]!.reason).toBe("sync the standby of a: its node's data as of 2026-11-23T00:00Z");
    expect(due.steps[0]!.state.standbySync).toEqual({ a: T0, b: T0 - 2 * MIN });
    expect(due.steps[0]!.state.standby).toEqual({ a: 0, b: 0 });
    expect(due.desired.standbySync).toEqual({ a: T0, b: T0 - 2 * MIN });
    expect(run(at(10), [node('a', 0.75), node('b', 0.8)]).steps).toEqual([]);
    // A new standby gets its first copy with its provision; a switch takes the newest data.
    const grows = run(at(10), [
      node('a', 0.95, { aboveTransitionMs: HOUR }),
      node('b', 0.8),
      node('c', 0.72),
    ]);
    expect(grows.steps.map((st) => st.id)).toEqual(['web#1:provision', 'web#2:warm', 'web#3:switch-a']);
    expect(grows.steps[0]!.state.standbySync).toEqual({ a: T0 - 10 * MIN, b: T0 - 2 * MIN, c: T0 });
    expect(grows.steps[2]!.state.standbySync).toEqual({ a: T0, b: T0 - 2 * MIN, c: T0 });
  });

  it('retires a switched node, waits for its replacement, then releases its standby', () => {
    const web = run(pool(6, 1, 0.1, { a: 0, b: 1 }), [node('a', 0.75), node('b', 0.97)]);
    expect(web.steps.map((s) => [s.id, s.kind])).toEqual([
      ['web#1:retire', 'decommission'],
      ['web#2:replace', 'warm'],
      ['web#3:decommission', 'decommission'],
    ]);
    // Retired: out of the group for good, its standby still serving its slot, the primary count kept
    // (the group replaces the node); then the standby goes once the replacement is ready.
    expect(web.steps[0]!.state).toMatchObject({ primary: 6, standby: { a: 0, b: 1 }, retired: ['b'] });
    expect(web.steps[1]!.state).toEqual(web.steps[0]!.state);
    expect(web.steps[2]!.state.standby).toEqual({ a: 0 });
    expect(web.steps[2]!.state.retired).toBeUndefined();
    expect(web.steps[2]!.reason).toContain('standby of b (retired, replaced)');
    expect(web.desired).toEqual(web.steps[2]!.state);
    // A migration paused after the retirement: the next plan waits for the replacement and releases.
    const later = run({ ...pool(6, 1, 0.1, { b: 1 }), retired: ['b'] }, [node('b', 0.97)]);
    expect(later.steps.map((s) => s.kind)).toEqual(['warm', 'decommission']);
    expect(later.desired.standby).toEqual({});
    expect(later.reasons.join('\n')).not.toMatch(/standby for b|switch b/);
  });

  it('switches a down node to its standby at once, whatever its score and the concurrency limit', () => {
    const web = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          {
            pool: 'web',
            policy: testPolicy(),
            current: { ...pool(6, 1, 0.1, { a: 0, b: 0, c: 0 }), standbySync: { a: T0, b: T0, c: T0 } },
            forecast: forecastOf(T0, HOUR, [500]),
            observed: 500,
            nodes: [node('b', 0.95, { aboveTransitionMs: 12 * MIN }), node('c', 0.1)],
            down: ['a', 'c'],
          },
        ],
      },
      clock(),
    ).pools.web!;
    // maxConcurrent is 1: both down nodes switch, the at-risk one that still serves waits.
    expect(web.steps.map((s) => s.id)).toEqual(['web#1:switch-c', 'web#2:switch-a']); // stateless first
    expect(web.reasons).toContain('switch a to its standby now: the node is down');
    expect(web.reasons).toContain('switch of b waits: 1 migration(s) at a time');
  });

  it('counts a node move as one migration, whatever the pool is called (a pool named router too)', () => {
    const alerts = (name: string) => {
      const policy = testPolicy((p) => {
        p.migration.alertPerHour = 1;
      });
      const current = pool(6, 1, 0.1, { b: 0 });
      return plan(
        {
          intervalMs: 15 * MIN,
          pools: [
            {
              pool: name,
              policy,
              current,
              forecast: forecastOf(T0, HOUR, [500]),
              observed: 500,
              nodes: [node('b', 0.95, { aboveTransitionMs: 12 * MIN })],
              recentMigrations: [T0 - 10 * MIN],
            },
          ],
        },
        clock(),
      ).pools[name]!.alerts;
    };
    // One migration in the last hour and one move now: two, over the policy's one.
    expect(alerts('web')).toEqual(['web: 2 migrations within an hour (alert above 1)']);
    expect(alerts('router')).toEqual(['router: 2 migrations within an hour (alert above 1)']);
  });

  it('releases a standby only after the score stays low for the release time', () => {
    const held = run(pool(6, 1, 0.1, { a: 0 }), [node('a', 0.3, { belowReleaseMs: 10 * MIN })]);
    expect(held.desired.standby).toEqual({ a: 0 });
    const released = run(pool(6, 1, 0.1, { a: 0 }), [node('a', 0.3, { belowReleaseMs: 31 * MIN })]);
    expect(released.desired.standby).toEqual({});
    expect(released.steps.at(-1)!.kind).toBe('decommission');
  });

  it('writes each new standby’s zone into the desired state and its steps, from the nodes’ zones', () => {
    const web = run(pool(6, 1, 0.1), [
      node('a', 0.75, { zone: 'zone-a' }),
      node('b', 0.2, { zone: 'zone-b' }),
      node('c', 0.4, { zone: 'zone-a' }),
    ]);
    expect(web.desired.standby).toEqual({ a: 0 });
    expect(web.desired.standbyZones).toEqual({ a: 'zone-a' });
    expect(web.placements.a).toBe('zone-a (same zone, risk 0.57)');
    expect(web.steps[0]!.state.standbyZones).toEqual({ a: 'zone-a' });
    // Kept while the standby lives, dropped with it.
    const later = run({ ...pool(6, 1, 0.1, { a: 0 }), standbyZones: { a: 'zone-a' } }, [
      node('a', 0.1, { zone: 'zone-a', belowReleaseMs: HOUR }),
    ]);
    expect(later.desired.standby).toEqual({});
    expect(later.desired.standbyZones).toBeUndefined();
    expect(later.steps.at(-1)!.state.standbyZones).toBeUndefined();
  });

  it('reserves primaries in the healthy zones when a zone’s expected loss exceeds the headroom (zoneLoss at-risk)', () => {
    // Need 500 + 20 % = 600 units, primary 6 of 100 (the shadow disabled): no headroom at all.
    const noShadow = testPolicy((p) => {
      p.shadow.enabled = false;
    });
    const nodes = [
      node('a1', 0.1, { zone: 'zone-a' }),
      node('b1', 0.8, { zone: 'zone-b' }),
      node('b2', 0.75, { zone: 'zone-b' }),
      node('c1', 0.05, { zone: 'zone-c' }),
    ];
    const web = run(pool(6), nodes, noShadow);
    expect(web.desired.primary).toBe(8); // zone-b may lose 1.55 instances' worth: 2 more
    expect(web.reasons).toContain(
      'reserve 2 more primary in the healthy zones: zone zone-b could lose 155 units (2 nodes at risk) and the primary’s headroom over its need of 600 is 0.00'.replace(
        '’',
        "'",
      ),
    );
    // Quiet zones, or no zones at all: nothing reserved.
    const calm = nodes.map((n) => ({ ...n, score: 0.001 }));
    expect(run(pool(6), calm, noShadow).desired.primary).toBe(6);
    expect(
      run(
        pool(6),
        nodes.map((n) => ({ ...n, zone: undefined })),
        noShadow,
      ).desired.primary,
    ).toBe(6);
    const ignore = testPolicy((p) => {
      p.shadow.enabled = false;
      p.capacity.zoneLoss = 'ignore';
    });
    expect(run(pool(6), nodes, ignore).desired.primary).toBe(6);
  });

  it('sizes so that any one zone can be lost (zoneLoss always)', () => {
    const always = testPolicy((p) => {
      p.shadow.enabled = false;
      p.capacity.zoneLoss = 'always';
    });
    const nodes = ['a', 'b', 'c'].map((z) => node(`${z}1`, 0.01, { zone: `zone-${z}` }));
    const web = run(pool(6), nodes, always);
    // 9 spread over 3 zones: losing one leaves 6, the need of 600 units.
    expect(web.desired.primary).toBe(9);
    expect(web.reasons.at(-1)).toBe(
      'reserve 3 more primary in the healthy zones: so that losing any one of 3 zones (zone-a, zone-b, zone-c) leaves 600 units serving for a need of 600',
    );
  });

  it('places a standby in the nearest zone with room, then the most stable', () => {
    const zones = [
      { name: 'eu-west-1a', region: 'eu-west-1', spare: 0, risk: 0.01 },
      { name: 'eu-west-1b', region: 'eu-west-1', spare: 4, risk: 0.2 },
      { name: 'eu-west-1c', region: 'eu-west-1', spare: 4, risk: 0.05 },
      { name: 'us-east-1a', region: 'us-east-1', spare: 9, risk: 0 },
    ];
    expect(place({ zone: 'eu-west-1a', region: 'eu-west-1' }, zones).text).toMatch(
      /^eu-west-1c \(same region/,
    );
    expect(place({ zone: 'eu-west-1b', region: 'eu-west-1' }, zones).text).toMatch(/^eu-west-1b \(same zone/);
  });
});

// ── properties ──

/** The value type an arbitrary draws. */
type Drawn<A> = A extends fc.Arbitrary<infer T> ? T : never;

const policyArb = fc.record({
  units: fc.integer({ min: 10, max: 500 }),
  shadowUnits: fc.integer({ min: 5, max: 500 }),
  min: fc.integer({ min: 0, max: 5 }),
  max: fc.integer({ min: 5, max: 80 }),
  headroom: fc.integer({ min: 0, max: 100 }),
  peak: fc.integer({ min: 50, max: 150 }),
  buffer: fc.integer({ min: 0, max: 50 }),
  shadowOn: fc.boolean(),
  step: fc.constantFrom(0.05, 0.1, 0.2, 0.25, 0.5, 1),
  provisionMin: fc.integer({ min: 1, max: 30 }),
  bufferMin: fc.integer({ min: 0, max: 3 }),
  leadMin: fc.integer({ min: 1, max: 60 }),
  maxTotal: fc.integer({ min: 5, max: 300 }),
  maxCost: fc.double({ min: 1, max: 100, noNaN: true }),
});

function policyFrom(r: Drawn<typeof policyArb>, protect: string[] = []): Policy {
  return testPolicy((p) => {
    p.capacity.unitsPerInstance = r.units;
    p.capacity.minInstances = r.min;
    p.capacity.maxInstances = r.max;
    p.capacity.headroomPercent = r.headroom;
    p.capacity.provisionMs = r.provisionMin * MIN;
    p.capacity.launchBufferMs = r.bufferMin * MIN;
    p.shadow.enabled = r.shadowOn;
    p.shadow.unitsPerInstance = r.shadowUnits;
    p.shadow.hourlyCost = 0.05;
    p.shadow.peakPercent = r.peak;
    p.shadow.bufferPercent = r.buffer;
    p.shadow.leadTimeMs = r.leadMin * MIN;
    p.migration.stepSize = r.step;
    p.guardrails.maxTotalInstances = r.maxTotal;
    p.guardrails.maxHourlyCost = r.maxCost;
    p.guardrails.protectedPools = protect;
  });
}

const nodeArb = (i: number) =>
  fc.record({
    id: fc.constant(`n${i}`),
    score: fc.double({ min: 0, max: 1, noNaN: true }),
    criticality: fc.constantFrom('low', 'normal', 'high', 'critical' as const),
    stateless: fc.boolean(),
    load: fc.double({ min: 0, max: 1, noNaN: true }),
    aboveTransitionMs: fc.integer({ min: 0, max: 30 * MIN }),
    belowReleaseMs: fc.integer({ min: 0, max: 60 * MIN }),
  });

const poolArb = (name: string) =>
  fc.record({
    pool: fc.constant(name),
    means: fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }), { minLength: 1, maxLength: 30 }),
    stepMin: fc.constantFrom(1, 5, 15, 60),
    spread: fc.double({ min: 0, max: 1, noNaN: true }),
    observed: fc.oneof(fc.double({ min: 0, max: 20_000, noNaN: true }), fc.constant(Number.NaN)),
    primary: fc.integer({ min: 0, max: 40 }),
    shadow: fc.integer({ min: 0, max: 10 }),
    ws: fc.integer({ min: 0, max: 100 }).map((v) => v / 100),
    standby: fc.dictionary(
      fc.constantFrom('n0', 'n1', 'n2', 'n3'),
      fc.integer({ min: 0, max: 10 }).map((v) => v / 10),
    ),
    nodes: fc.tuple(nodeArb(0), nodeArb(1), nodeArb(2), nodeArb(3)),
    offsetMin: fc.integer({ min: -30, max: 30 }),
    // Instances still booting, by target; null: the deployer does not say what serves.
    booting: fc.option(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }))),
  });

type PoolDraw = Drawn<ReturnType<typeof poolArb>>;

function inputsFrom(d: PoolDraw, policy: Policy): PoolInputs {
  return {
    pool: d.pool,
    policy,
    current: pool(d.primary, d.shadow, d.ws, d.standby),
    forecast: forecastOf(T0 + d.offsetMin * MIN, d.stepMin * MIN, d.means, d.spread),
    observed: d.observed,
    inService: d.booting
      ? { primary: Math.max(0, d.primary - d.booting[0]), shadow: Math.max(0, d.shadow - d.booting[1]) }
      : undefined,
    nodes: [...d.nodes],
  };
}

/**
 * Cases drawn for the rarer properties, and how many must reach their checks. Measured with the
 * seeds below: 310 of 4,239 forecast needs over 1,200 cases were unmet (the others were already
 * served) and checked; 111 of 4,000 plans routed ahead of a provision. Half of each is required,
 * so a change to the generators or the planner that starves a property fails it.
 */
const PROVISION_RUNS = 1200;
const PROVISION_CHECKED = 150;
const EARLY_RUNS = 4000;
const EARLY_REACHED = 55;

describe('plan: properties', () => {
  it('no step of any pool takes the fleet past its guardrails (when it starts within them)', () => {
    let checked = 0;
    let binding = 0;
    fc.assert(
      fc.property(
        policyArb,
        fc.array(poolArb('x'), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (r, draws, protect, tightness) => {
          // Small fleets, so that the forecast usually asks them to grow: guardrails only hold growth.
          const named = draws.map((d, i) => ({
            ...d,
            pool: `p${i}`,
            primary: Math.min(d.primary, 3),
            shadow: Math.min(d.shadow, 1),
            // Missing metrics hold capacity (a property of its own below): here the plan sizes.
            observed: Number.isFinite(d.observed) ? d.observed : 0,
          }));
          const protectedPools = protect ? ['p0'] : [];
          // The guardrails are drawn between where the fleet starts and what the plan wants
          // without them, so that they usually have something to hold (a draw from the policy's
          // own ranges let the plan past them in 2 of 400 cases).
          const free = policyFrom({ ...r, maxTotal: 1e9, maxCost: 1e12 }, protectedPools);
          const start = named.map((d) => inputsFrom(d, free));
          const startCount = start.reduce((a, p) => a + count(p.current), 0);
          const startCost = start.reduce((a, p) => a + cost(p.current, free), 0);
          const loose = plan({ intervalMs: 15 * MIN, pools: start }, clock());
          const wantCount = Object.values(loose.pools).reduce((a, p) => a + count(p.desired), 0);
          const wantCost = Object.values(loose.pools).reduce((a, p) => a + cost(p.desired, free), 0);
          const maxTotal = startCount + Math.floor(tightness * Math.max(0, wantCount - startCount));
          const maxCost = startCost + tightness * Math.max(0, wantCost - startCost);
          const policy = policyFrom(
            { ...r, maxTotal: Math.max(1, maxTotal), maxCost: Math.max(1e-6, maxCost) },
            protectedPools,
          );
          const inputs = named.map((d) => inputsFrom(d, policy));
          const out = plan({ intervalMs: 15 * MIN, pools: inputs }, clock());
          // Pools migrate concurrently, so the worst case is every pool at its largest state at once.
          let worstCount = 0;
          let worstCost = 0;
          for (const p of inputs) {
            const all = states(p.current, out.pools[p.pool]!.steps);
            worstCount += Math.max(...all.map(count));
            worstCost += Math.max(...all.map((s) => cost(s, policy)));
          }
          expect(worstCount).toBeLessThanOrEqual(policy.guardrails.maxTotalInstances);
          expect(worstCost).toBeLessThanOrEqual(policy.guardrails.maxHourlyCost + 1e-9);
          for (const p of inputs) {
            if (protect && p.pool === 'p0') expect(out.pools.p0!.steps).toEqual([]);
          }
          checked++;
          if (
            wantCount > policy.guardrails.maxTotalInstances ||
            wantCost > policy.guardrails.maxHourlyCost + 1e-9
          )
            binding++;
        },
      ),
      { numRuns: 400, seed: 432 },
    );
    // Not vacuous: a quarter of the cases at least have a guardrail to hold (the unguarded plan
    // would pass it); drawn from the policy's ranges alone, 2 of 400 had.
    expect(binding, `${binding} of ${checked} cases checked had a guardrail to hold`).toBeGreaterThanOrEqual(
      checked / 4,
    );
  });

  it('guardrails stop growth only: no step goes below the current size or the unguarded plan', () => {
    fc.assert(
      fc.property(policyArb, poolArb('web'), (r, d) => {
        const policy = policyFrom(r);
        const input = inputsFrom(d, policy);
        const out = plan({ intervalMs: 15 * MIN, pools: [input] }, clock()).pools.web!;
        const free = testPolicy((p) => {
          Object.assign(p, structuredClone(policy));
          p.guardrails.maxTotalInstances = 1e9;
          p.guardrails.maxHourlyCost = 1e12;
        });
        const unguarded = plan({ intervalMs: 15 * MIN, pools: [{ ...input, policy: free }] }, clock()).pools
          .web!.desired;
        const floor = {
          primary: Math.min(input.current.primary, unguarded.primary),
          shadow: Math.min(input.current.shadow, unguarded.shadow),
        };
        for (const s of [...states(input.current, out.steps), out.desired]) {
          expect(s.primary).toBeGreaterThanOrEqual(floor.primary);
          expect(s.shadow).toBeGreaterThanOrEqual(floor.shadow);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('route weights always sum to 1 and no weight moves more than the step size per step, and a node switches in a step of its own', () => {
    fc.assert(
      fc.property(policyArb, poolArb('web'), (r, d) => {
        const policy = policyFrom(r);
        const input = inputsFrom(d, policy);
        const out = plan({ intervalMs: 15 * MIN, pools: [input] }, clock()).pools.web!;
        const all = states(input.current, out.steps);
        for (const s of [...all, out.desired]) {
          expect(Math.abs(s.weights.primary + s.weights.shadow - 1)).toBeLessThan(1e-9);
          expect(s.weights.shadow).toBeGreaterThanOrEqual(0);
          expect(s.weights.primary).toBeGreaterThanOrEqual(0);
        }
        for (let i = 1; i < all.length; i++) {
          const a = all[i - 1]!;
          const b = all[i]!;
          expect(Math.abs(b.weights.shadow - a.weights.shadow)).toBeLessThanOrEqual(r.step + 1e-9);
          // A switch is a step of its own: one node, onto a standby that was there before it, with
          // the route weights unchanged; no share ever goes down.
          const switched = Object.keys(b.standby).filter((id) => b.standby[id]! !== (a.standby[id] ?? 0));
          for (const id of switched) {
            if (!Object.hasOwn(a.standby, id)) expect(b.standby[id]).toBe(0);
            else {
              expect(b.standby[id]).toBe(1);
              expect(out.steps[i - 1]!.kind).toBe('shift');
              expect(switched).toHaveLength(1);
              expect(b.weights).toEqual(a.weights);
            }
          }
          expect(out.steps[i - 1]!.notBefore).toBeGreaterThanOrEqual(
            i > 1 ? out.steps[i - 2]!.notBefore : T0,
          );
        }
        // Traffic only moves onto capacity that exists: no step adds traffic to an empty shadow pool.
        for (let i = 1; i < all.length; i++) {
          if (all[i]!.weights.shadow > all[i - 1]!.weights.shadow) expect(all[i]!.shadow).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('provisions capacity at least the lead time before the forecast needs it, when the forecast allows', () => {
    let needed = 0;
    let checked = 0;
    fc.assert(
      fc.property(policyArb, poolArb('web'), (r, d) => {
        const policy = policyFrom(r);
        policy.guardrails.maxTotalInstances = 10_000; // not capped here: that is the property above
        policy.guardrails.maxHourlyCost = 1e9;
        fc.pre(Number.isFinite(d.observed));
        const input = inputsFrom({ ...d, standby: {} }, policy);
        const interval = 15 * MIN;
        const out = plan({ intervalMs: interval, pools: [{ ...input, nodes: [] }] }, clock()).pools.web!;
        const buffer = policy.capacity.launchBufferMs;
        const lead = Math.max(policy.capacity.provisionMs, policy.shadow.leadTimeMs) + buffer;
        const prov = out.steps.find((s) => s.kind === 'provision');
        const have = units(input.current, policy);
        for (const n of needs(input.forecast!, d.observed, policy, T0, T0 + interval + lead)) {
          const total = Math.max(n.primary, n.total);
          // Needed, and possible (not already at the most the policy allows)?
          needed++;
          if (have >= total - 1e-6 || units(out.desired, policy) <= have) continue;
          checked++;
          // Needed: a provision step that brings the capacity, asked for a lead time ahead of the
          // need (of each pool it grows) plus the launch buffer, or now when that is already past.
          expect(prov).toBeDefined();
          const s = prov!.state;
          if (s.primary < policy.capacity.maxInstances)
            expect(units(s, policy)).toBeGreaterThanOrEqual(total - 1e-6);
          const grows = [
            s.primary > input.current.primary ? policy.capacity.provisionMs : 0,
            s.shadow > input.current.shadow ? policy.shadow.leadTimeMs : 0,
          ];
          expect(prov!.notBefore).toBeLessThanOrEqual(Math.max(T0, n.t - Math.max(...grows) - buffer));
        }
        // ...and no target is offered more of the observed load (plus headroom) than it can serve,
        // up to the primary's maximum size.
        const seen = d.observed * (1 + policy.capacity.headroomPercent / 100);
        const w = out.desired.weights;
        const primaryCap = out.desired.primary * policy.capacity.unitsPerInstance;
        if (out.desired.primary < policy.capacity.maxInstances) {
          expect(primaryCap).toBeGreaterThanOrEqual(w.primary * seen - 1e-6);
        }
        expect(out.desired.shadow * policy.shadow.unitsPerInstance).toBeGreaterThanOrEqual(
          w.shadow * seen - 1e-6,
        );
      }),
      { numRuns: PROVISION_RUNS, seed: 7 },
    );
    // Not vacuous: most needs are already met; enough of them are not, and reach the checks.
    expect(checked, `${checked} of ${needed} needs were unmet and checked`).toBeGreaterThanOrEqual(
      PROVISION_CHECKED,
    );
  });

  it('moves traffic ahead of new capacity only where the instances in service carry it', () => {
    let reached = 0;
    fc.assert(
      fc.property(policyArb, poolArb('web'), (r, d) => {
        const policy = policyFrom(r);
        const input = inputsFrom(d, policy);
        const out = plan({ intervalMs: 15 * MIN, pools: [input] }, clock()).pools.web!;
        // Route steps ahead of a provision step run on the instances there are now.
        const prov = out.steps.findIndex((s) => s.kind === 'provision');
        const early = out.steps.slice(0, Math.max(0, prov)).filter((s) => s.id.includes('route'));
        if (early.length === 0) return;
        reached++;
        // Only with a load seen and instances known to serve, and never beyond what they serve.
        expect(Number.isFinite(d.observed)).toBe(true);
        expect(input.inService).toBeDefined();
        const serves = {
          primary:
            Math.min(input.inService!.primary, input.current.primary) * policy.capacity.unitsPerInstance,
          shadow: Math.min(input.inService!.shadow, input.current.shadow) * policy.shadow.unitsPerInstance,
        };
        for (const s of early) {
          const w = s.state.weights;
          expect(w.primary * d.observed).toBeLessThanOrEqual(serves.primary + 1e-6);
          expect(w.shadow * d.observed).toBeLessThanOrEqual(serves.shadow + 1e-6);
          if (w.shadow > 0) expect(serves.shadow).toBeGreaterThan(0);
        }
      }),
      { numRuns: EARLY_RUNS, seed: 11 },
    );
    // Not vacuous: few plans route ahead of a provision, so many are drawn for enough that do.
    expect(reached, `${reached} of ${EARLY_RUNS} plans routed ahead of a provision`).toBeGreaterThanOrEqual(
      EARLY_REACHED,
    );
  });

  it('is pure: the same inputs give the same plan', () => {
    fc.assert(
      fc.property(policyArb, poolArb('web'), (r, d) => {
        const input = inputsFrom(d, policyFrom(r));
        const a = plan({ intervalMs: 15 * MIN, pools: [input] }, clock());
        const b = plan({ intervalMs: 15 * MIN, pools: [structuredClone(input)] }, clock());
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 100 },
    );
  });
});
