// The planner's guardrails, each on its own: fleet-wide caps shared between pools, growth trimmed
// without ever cutting what serves, holds on missing data (metrics, forecasts, node scores), the
// zone-loss reserve within the maximum, the migrations-per-hour alert, and route changes ahead of
// new capacity only where the instances in service carry them.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import { cost, count, plan, type PoolInputs, type PoolPlan } from '../../src/plan/plan.js';
import type { Policy } from '../../src/policy/types.js';
import { forecastOf, HOUR, MIN, nodeRisk, pool, T0, testPolicy } from './fixtures.js';

const clock = () => new FakeClock(T0);

function planOne(input: Omit<PoolInputs, 'pool' | 'policy'> & { policy?: Policy }): PoolPlan {
  return plan({ intervalMs: 15 * MIN, pools: [{ pool: 'web', policy: testPolicy(), ...input }] }, clock())
    .pools.web!;
}

/** Every state a pool passes through: the current one, then each step's. */
function states(p: PoolPlan): PoolState[] {
  return [p.current, ...p.steps.map((s) => s.state)];
}

/** Standbys synced just now, so that no sync step shows up where a test is about something else. */
function synced(s: PoolState): PoolState {
  return { ...s, standbySync: Object.fromEntries(Object.keys(s.standby).map((id) => [id, T0])) };
}

// With the test policy (100 units an instance, 20 % headroom, the shadow at the upper bound + 10 %),
// a load of 1,000 with a ±20 % interval asks for 12 primaries and 2 shadows (shadow weight 0.1).
const grows = { forecast: forecastOf(T0, HOUR, [1000]), observed: 1000 };

describe('fleet guardrails shared between pools', () => {
  const costCapped = testPolicy((p) => {
    p.capacity.hourlyCost = 1;
    p.shadow.hourlyCost = 1;
    p.guardrails.maxTotalInstances = 1000;
    p.guardrails.maxHourlyCost = 20;
  });
  const twoPools = (names: string[], policy: Policy) =>
    plan(
      {
        intervalMs: 15 * MIN,
        pools: names.map((n) => ({ pool: n, policy, current: pool(4, 1, 0.1), ...grows })),
      },
      clock(),
    );

  it('the hourly cost cap is shared: the first pool (by name) grows, the second gets only what is left', () => {
    // 20/h for the fleet, 5/h each now. a may grow to 14 (15/h left once b's 5 are counted);
    // b then has 20 − 14 = 6 left.
    const p = twoPools(['b', 'a'], costCapped);
    const a = p.pools.a!;
    const b = p.pools.b!;
    expect(count(a.desired)).toBe(14);
    expect(a.alerts).toEqual([]);
    expect(b.alerts).toEqual(['b: plan capped by guardrails']);
    expect(b.reasons).toContain(
      'capped by guardrails (986 instances and 6.00/h left for this pool): growth 14 -> 6 instances',
    );
    // Pools migrate concurrently: the fleet at its worst stays within the cap.
    const worst = (pp: PoolPlan) => Math.max(...states(pp).map((s) => cost(s, costCapped)));
    expect(worst(a) + worst(b)).toBeLessThanOrEqual(20);
    // The plan's desired state is each pool's, by name, and its steps run in name order.
    expect(p.desired.pools).toEqual({ a: a.desired, b: b.desired });
    expect([...new Set(p.steps.map((s) => s.pool))]).toEqual(['a', 'b']);
  });

  it('the same fleet gives the same plan whatever order the pools are listed in', () => {
    const instCapped = testPolicy((p) => (p.guardrails.maxTotalInstances = 20));
    const x = twoPools(['a', 'b'], instCapped);
    const y = twoPools(['b', 'a'], instCapped);
    expect(count(x.pools.a!.desired)).toBe(14);
    expect(y.pools).toEqual(x.pools);
    expect(y.steps).toEqual(x.steps);
  });

  it('lists protected pools first, then the others by name', () => {
    const policy = testPolicy((p) => (p.guardrails.protectedPools = ['db']));
    for (const names of [
      ['b', 'db', 'a'],
      ['a', 'b', 'db'],
      ['db', 'b', 'a'],
    ]) {
      const p = twoPools(names, policy);
      expect(Object.keys(p.pools)).toEqual(['db', 'a', 'b']);
      expect(Object.keys(p.desired.pools)).toEqual(['db', 'a', 'b']);
      expect(p.pools.db!.reasons).toEqual(['protected by guardrails.protectedPools: no changes']);
    }
  });
});

describe('a guardrail only ever stops growth', () => {
  it('a plan that needs exactly the instances or the cost left is not capped', () => {
    const exactCount = planOne({
      policy: testPolicy((p) => (p.guardrails.maxTotalInstances = 14)),
      current: pool(10, 1, 0),
      ...grows,
    });
    expect(count(exactCount.desired)).toBe(14);
    expect(exactCount.alerts).toEqual([]);
    const base = testPolicy();
    const exactCost = planOne({
      policy: testPolicy((p) => (p.guardrails.maxHourlyCost = cost(pool(12, 2, 0.1), base))),
      current: pool(10, 1, 0),
      ...grows,
    });
    expect(exactCost.desired).toMatchObject({ primary: 12, shadow: 2 });
    expect(exactCost.alerts).toEqual([]);
  });

  it('trims new shadows, then new standbys, then new primaries, and never an existing standby', () => {
    // Now: 10 primaries, 1 shadow, b's standby = 12. Wanted: 12 + 2 + standbys for a and b = 16.
    const web = planOne({
      policy: testPolicy((p) => (p.guardrails.maxTotalInstances = 12)),
      current: synced(pool(10, 1, 0, { b: 0 })),
      nodes: [nodeRisk('a', 0.75), nodeRisk('b', 0.75)],
      ...grows,
    });
    expect(web.desired.primary).toBe(10);
    expect(web.desired.shadow).toBe(1);
    expect(web.desired.standby).toEqual({ b: 0 });
    expect(web.steps.filter((s) => s.kind === 'decommission')).toEqual([]);
    expect(web.reasons).toContain(
      'capped by guardrails (12 instances and 50.00/h left for this pool): growth 16 -> 12 instances',
    );
    // The shadow kept one instance of the two it wanted: it is offered only what that one serves,
    // 100 of the 1,100 units the pool runs (0.1 planned).
    expect(web.desired.weights).toEqual({ primary: 0.909091, shadow: 0.090909 });
  });

  it('a guardrail that holds back only the primary leaves the planned route weights', () => {
    // A need of 600 units with 100 of it the primary's: 80 % to the shadow (5 instances, as now);
    // the primary's minimum of 4 is held at the 2 it runs.
    const policy = testPolicy((p) => {
      p.capacity.minInstances = 4;
      p.guardrails.maxTotalInstances = 7;
    });
    const web = planOne({
      policy,
      current: pool(2, 5, 0.8),
      forecast: forecastOf(T0, HOUR, [100], 1.2 / (1.1 * 0.2) - 1),
      observed: 100,
    });
    expect(web.desired).toMatchObject({ primary: 2, shadow: 5, weights: { primary: 0.2, shadow: 0.8 } });
    expect(web.steps).toEqual([]);
    expect(web.alerts).toEqual(['web: plan capped by guardrails']);
  });

  it('a pool the guardrails keep at zero instances routes nothing to a shadow it does not have', () => {
    const policy = testPolicy((p) => (p.guardrails.maxTotalInstances = 10));
    const p = plan(
      {
        intervalMs: 15 * MIN,
        pools: [
          { pool: 'big', policy, current: pool(10), forecast: forecastOf(T0, HOUR, [800]), observed: 800 },
          { pool: 'new', policy, current: pool(0), ...grows },
        ],
      },
      clock(),
    );
    expect(p.pools.new!.desired).toEqual(pool(0));
    expect(p.pools.new!.steps).toEqual([]);
  });

  it('names only the caps that are set', () => {
    const web = planOne({
      policy: testPolicy((p) => {
        p.guardrails.maxTotalInstances = 13;
        p.guardrails.maxHourlyCost = Infinity;
      }),
      current: pool(10, 1, 0),
      ...grows,
    });
    expect(web.reasons).toContain(
      'capped by guardrails (13 instances left for this pool): growth 14 -> 13 instances',
    );
    const costOnly = planOne({
      policy: testPolicy((p) => {
        p.guardrails.maxTotalInstances = Infinity;
        // Room for 12 primaries and 1 shadow, not the 12 and 2 the forecast wants.
        p.guardrails.maxHourlyCost = cost(pool(12, 1, 0), testPolicy());
      }),
      current: pool(10, 1, 0),
      ...grows,
    });
    expect(costOnly.reasons.find((r) => r.startsWith('capped by guardrails'))).toMatch(
      /^capped by guardrails \(\d+\.\d\d\/h left for this pool\): growth 14 -> 13 instances$/,
    );
  });

  it('a retired node stays retired in every step while the pool grows', () => {
    const web = planOne({
      current: synced({ ...pool(10, 1, 0, { a: 1 }), retired: ['a'] }),
      nodes: [],
      ...grows,
    });
    expect(web.steps[0]!.kind).toBe('provision');
    expect(web.steps[0]!.state.retired).toEqual(['a']);
  });
});

describe('capacity is asked for one lead time before the first target runs out', () => {
  const rising = (means: number[]) => ({ forecast: forecastOf(T0, 5 * MIN, means), observed: 480 });

  it('a shadow carrying its share of a growing load runs out on its own, however much room the primary has', () => {
    // The one shadow (125 units) carries 10 %: 132 of the 1,320 needed at t+20m is too much for
    // it (120, the primary-only need, would not be). Shadow lead 10m + 1m launch buffer: t+9m.
    const web = planOne({
      policy: testPolicy((p) => (p.shadow.unitsPerInstance = 125)),
      current: pool(20, 1, 0.1),
      ...rising([500, 500, 500, 500, 1000, 1000]),
    });
    expect(web.steps[0]).toMatchObject({ kind: 'provision', notBefore: T0 + 9 * MIN });
    expect(web.steps[0]!.state.shadow).toBe(2);
  });

  it('the primary runs out when its share of the need passes what it serves', () => {
    // 90 % of 990 (t+10m) fits 1,000 units; 90 % of 1,188 (t+20m) does not: primary lead 5m + 1m.
    const web = planOne({ current: pool(10, 5, 0.1), ...rising([500, 500, 750, 750, 900, 900]) });
    expect(web.steps[0]).toMatchObject({ kind: 'provision', notBefore: T0 + 14 * MIN });
    expect(web.steps[0]!.state.primary).toBe(11);
  });
});

describe('missing data holds', () => {
  it('a vanished metric holds the deployed state exactly, route weights as the target reports them', () => {
    const current: PoolState = {
      primary: 9,
      shadow: 2,
      standby: {},
      weights: { primary: 0.6666667, shadow: 0.3333333 },
    };
    const web = planOne({ current, forecast: forecastOf(T0, HOUR, [5000]), observed: NaN });
    expect(web.desired).toEqual(current);
    expect(web.steps).toEqual([]);
    expect(web.reasons).toEqual(['demand metric missing: holding the last good capacity']);
    expect(web.alerts).toEqual(['web: demand metric missing; capacity held at its last good size']);
  });

  it('a vanished metric reserves nothing for zone loss either: the pool holds', () => {
    const web = planOne({
      current: pool(6, 1, 0.1),
      forecast: forecastOf(T0, HOUR, [500]),
      observed: NaN,
      nodes: [
        nodeRisk('a1', 0.1, { zone: 'zone-a' }),
        nodeRisk('b1', 0.6, { zone: 'zone-b' }),
        nodeRisk('b2', 0.6, { zone: 'zone-b' }),
      ],
    });
    expect(web.desired).toEqual(pool(6, 1, 0.1));
    expect(web.steps).toEqual([]);
  });

  it('without a forecast, sizes from the observed load plus headroom, never below current', () => {
    const web = planOne({ current: pool(2, 0, 0), observed: 1000 });
    expect(web.desired).toEqual(pool(12, 1, 0)); // 1,000 × 1.2 / 100; the shadow at its minimum
    expect(web.reasons).toEqual([
      'no forecast: sized from observed load 1000 + 20% headroom, never below current',
    ]);
  });

  it('without a forecast, the zone-loss reserve covers the observed load plus headroom', () => {
    const web = planOne({
      policy: testPolicy((p) => (p.capacity.zoneLoss = 'always')),
      current: pool(2, 0, 0),
      observed: 1000,
      nodes: ['a', 'b', 'c'].map((z) => nodeRisk(`${z}1`, 0.01, { zone: `zone-${z}` })),
    });
    // 18 over three zones: losing one leaves 12, the 1,200 units needed.
    expect(web.desired.primary).toBe(18);
  });

  it('without a forecast, traffic routed to a shadow pool with no instances comes back to the primary', () => {
    const web = planOne({ current: pool(4, 0, 0.3), observed: 100 });
    expect(web.desired.weights).toEqual({ primary: 1, shadow: 0 });
  });

  it('keeps the standby of a node the risk model no longer reports, and switches none on no data', () => {
    const web = planOne({ current: synced(pool(6, 1, 0.1, { x: 0 })), nodes: [], ...grows });
    expect(web.desired.standby).toEqual({ x: 0 });
    expect(web.steps.filter((s) => s.subject.what === 'switch' || s.kind === 'decommission')).toEqual([]);
  });

  it('finishes the switch of an unreported node that was already under way', () => {
    const web = planOne({ current: synced(pool(6, 1, 0.1, { x: 0.5 })), nodes: [], ...grows });
    expect(web.steps.filter((s) => s.subject.what === 'switch').map((s) => s.subject)).toEqual([
      { what: 'switch', nodes: ['x'] },
    ]);
  });

  it('never switches a node whose score is missing, but finishes one already under way', () => {
    const noScore = planOne({
      current: synced(pool(6, 1, 0.1, { a: 0 })),
      nodes: [nodeRisk('a', NaN, { aboveTransitionMs: HOUR })],
      ...grows,
    });
    expect(noScore.desired.standby).toEqual({ a: 0 });
    expect(noScore.steps.filter((s) => s.subject.what === 'switch')).toEqual([]);
    const underWay = planOne({
      current: synced(pool(6, 1, 0.1, { a: 0.5 })),
      nodes: [nodeRisk('a', NaN)],
      ...grows,
    });
    expect(underWay.steps.filter((s) => s.subject.what === 'switch')).toHaveLength(1);
  });
});

describe('standby thresholds, dwell and release', () => {
  const withStandby = (score: number, over: Parameters<typeof nodeRisk>[2] = {}, share = 0) =>
    planOne({
      current: synced(pool(12, 2, 0.1, { a: share })),
      nodes: [nodeRisk('a', score, over)],
      ...grows,
    });
  const switches = (p: PoolPlan) => p.steps.filter((s) => s.subject.what === 'switch');

  it('switches only once the score has held at the transition threshold for the dwell time', () => {
    expect(switches(withStandby(0.95, { aboveTransitionMs: 5 * MIN }))).toEqual([]);
    expect(switches(withStandby(0.5, { aboveTransitionMs: HOUR }))).toEqual([]);
    // At the threshold, for exactly the dwell time: due.
    expect(switches(withStandby(0.9, { aboveTransitionMs: 10 * MIN }))).toHaveLength(1);
  });

  it('provisions a standby at exactly the provision threshold, once', () => {
    const fresh = planOne({ current: pool(12, 2, 0.1), nodes: [nodeRisk('a', 0.7)], ...grows });
    expect(fresh.desired.standby).toEqual({ a: 0 });
    expect(fresh.placements).toEqual({ a: 'beside the node (no zone data)' });
    const again = withStandby(0.75);
    expect(again.reasons.filter((r) => r.startsWith('standby for'))).toEqual([]);
    expect(again.placements).toEqual({});
  });

  it('releases a standby only below provision − hysteresis, for the release time', () => {
    const kept = (p: PoolPlan) => p.desired.standby;
    expect(kept(withStandby(0.65, { belowReleaseMs: HOUR }))).toEqual({ a: 0 });
    expect(kept(withStandby(0.6, { belowReleaseMs: HOUR }))).toEqual({ a: 0 });
    const released = withStandby(0.3, { belowReleaseMs: 30 * MIN });
    expect(kept(released)).toEqual({});
    expect(released.reasons).toContain('release standby of a: below 0.60 for 30m');
  });

  it('starts a standby for a down node that has none when its score calls for it', () => {
    const web = planOne({ current: pool(12, 2, 0.1), nodes: [nodeRisk('a', 0.75)], down: ['a'], ...grows });
    expect(web.desired.standby).toEqual({ a: 0 });
  });
});

describe('switch order and limits', () => {
  const due = (id: string, over: Parameters<typeof nodeRisk>[2] = {}) =>
    nodeRisk(id, 0.95, { aboveTransitionMs: HOUR, ...over });
  const moves = (current: PoolState, nodes: ReturnType<typeof nodeRisk>[]) =>
    planOne({ current: synced(current), nodes, ...grows });
  const switched = (p: PoolPlan) => p.steps.filter((s) => s.subject.what === 'switch').map((s) => s.id);

  it('moves the more critical node first, then the smaller load', () => {
    for (const nodes of [
      [due('a'), due('z', { criticality: 'critical' })],
      [due('z', { criticality: 'critical' }), due('a')],
    ]) {
      expect(switched(moves(pool(12, 2, 0.1, { a: 0, z: 0 }), nodes))).toEqual(['web#1:switch-z']);
    }
    for (const nodes of [
      [due('a', { load: 5 }), due('b', { load: 1 })],
      [due('b', { load: 1 }), due('a', { load: 5 })],
    ]) {
      expect(switched(moves(pool(12, 2, 0.1, { a: 0, b: 0 }), nodes))).toEqual(['web#1:switch-b']);
    }
  });

  it('a switch under way finishes whatever the limit, once, and a fresh one waits for room', () => {
    // x is half-way (stateful), y is due and stateless: y would go first, but x holds the one slot.
    const web = moves(pool(12, 2, 0.1, { x: 0.5, y: 0 }), [due('x', { stateless: false }), due('y')]);
    expect(switched(web)).toEqual(['web#1:switch-x']);
    expect(web.reasons.filter((r) => /switch/.test(r))).toEqual([
      'finish switching x to its standby: its switch was under way (the standby serves 0.50 of its slot)',
      'switch of y waits: 1 migration(s) at a time',
    ]);
  });

  it('places the standby of a node that goes straight to its switch, and only a new one', () => {
    const zones = [{ name: 'zone-a', spare: 3, risk: 0.1 }];
    const fresh = planOne({
      current: pool(12, 2, 0.1),
      nodes: [due('a', { zone: 'zone-a' })],
      zones,
      ...grows,
    });
    expect(fresh.placements).toEqual({ a: 'zone-a (same zone, 3 spare, risk 0.10)' });
    expect(fresh.desired.standbyZones).toEqual({ a: 'zone-a' });
    const had = planOne({
      current: synced(pool(12, 2, 0.1, { a: 0 })),
      nodes: [due('a', { zone: 'zone-a' })],
      zones,
      ...grows,
    });
    expect(switched(had)).toEqual(['web#1:switch-a']);
    expect(had.placements).toEqual({});
  });
});

describe('the zone-loss reserve stays within the policy', () => {
  const always = (over: (p: Policy) => void = () => {}) =>
    testPolicy((p) => {
      p.shadow.enabled = false;
      p.capacity.zoneLoss = 'always';
      over(p);
    });
  const zoned = (zones: string[]) => zones.map((z) => nodeRisk(`${z}1`, 0.01, { zone: `zone-${z}` }));

  it('never past the maximum, and says so', () => {
    const web = planOne({
      policy: always((p) => (p.capacity.maxInstances = 15)),
      current: pool(12),
      nodes: zoned(['a', 'b', 'c']),
      ...grows,
    });
    expect(web.desired.primary).toBe(15);
    expect(web.reasons.at(-1)).toBe(
      'reserve 3 more primary in the healthy zones: so that losing any one of 3 zones (zone-a, zone-b, zone-c) leaves 1000 units serving for a need of 1200 (at the maximum, 15)',
    );
  });

  it('reserves for one of two zones, and nothing for a pool in one zone', () => {
    expect(
      planOne({ policy: always(), current: pool(12), nodes: zoned(['a', 'b']), ...grows }).desired.primary,
    ).toBe(24);
    const one = planOne({ policy: always(), current: pool(12), nodes: zoned(['a']), ...grows });
    expect(one.desired.primary).toBe(12);
    expect(one.reasons.filter((r) => r.startsWith('reserve'))).toEqual([]);
  });

  it('reserves nothing when the minimum already survives a zone loss', () => {
    const web = planOne({
      policy: always((p) => (p.capacity.minInstances = 9)),
      current: pool(9),
      nodes: zoned(['a', 'b', 'c']),
      forecast: forecastOf(T0, HOUR, [100]),
      observed: 100,
    });
    expect(web.desired.primary).toBe(9);
    expect(web.reasons.filter((r) => r.startsWith('reserve'))).toEqual([]);
  });

  it('covers the primary’s share of the need, not the shadow’s', () => {
    // Need 1,320 units, 90 % of it (1,188) on the primary: 18 over three zones leaves 1,200.
    const web = planOne({
      policy: testPolicy((p) => (p.capacity.zoneLoss = 'always')),
      current: pool(12, 2, 0.1),
      nodes: zoned(['a', 'b', 'c']),
      ...grows,
    });
    expect(web.desired.primary).toBe(18);
  });

  it('at-risk: reserves the shortfall over the primary’s headroom, and never takes any away', () => {
    const noShadow = testPolicy((p) => (p.shadow.enabled = false));
    // 450 + 20 % = 540 units on 6 primaries: 60 units of headroom.
    const load = { forecast: forecastOf(T0, HOUR, [450]), observed: 450 };
    const risky = [
      nodeRisk('a1', 0.1, { zone: 'zone-a' }),
      nodeRisk('b1', 0.6, { zone: 'zone-b' }),
      nodeRisk('b2', 0.55, { zone: 'zone-b' }),
      nodeRisk('c1', 0.05, { zone: 'zone-c' }),
    ];
    const web = planOne({ policy: noShadow, current: pool(6), nodes: risky, ...load });
    // zone-b may lose 115 units, 55 more than the headroom: one more instance, to the nearest.
    expect(web.desired.primary).toBe(7);
    expect(web.reasons.at(-1)).toBe(
      "reserve 1 more primary in the healthy zones: zone zone-b could lose 115 units (2 nodes at risk) and the primary's headroom over its need of 540 is 60.0",
    );
    const calm = planOne({
      policy: noShadow,
      current: pool(6),
      nodes: risky.map((n) => ({ ...n, score: 0.001 })),
      ...load,
    });
    expect(calm.desired.primary).toBe(6);
  });
});

describe('the migrations-per-hour alert', () => {
  // A plan that moves traffic once (provision, warm, then one route step) ...
  const moving = (alertPerHour: number, recentMigrations: number[]) =>
    planOne({
      policy: testPolicy((p) => (p.migration.alertPerHour = alertPerHour)),
      current: pool(10, 1, 0),
      recentMigrations,
      ...grows,
    });
  // ... and one already where the forecast wants it.
  const still = (alertPerHour: number, recentMigrations: number[]) =>
    planOne({
      policy: testPolicy((p) => (p.migration.alertPerHour = alertPerHour)),
      current: pool(12, 2, 0.1),
      recentMigrations,
      ...grows,
    });

  it('counts a route change as one migration, however many steps it takes', () => {
    expect(moving(1, []).steps.map((s) => s.kind)).toEqual(['provision', 'warm', 'shift']);
    expect(moving(1, []).alerts).toEqual([]);
    expect(moving(1, [T0 - 10 * MIN]).alerts).toEqual(['web: 2 migrations within an hour (alert above 1)']);
    expect(moving(2, [T0 - 10 * MIN]).alerts).toEqual([]);
  });

  it('counts only the last hour’s migrations', () => {
    expect(moving(1, [T0 - 2 * HOUR, T0 - HOUR]).alerts).toEqual([]);
  });

  it('raises nothing for a plan that migrates nothing, however busy the hour was', () => {
    const web = still(
      6,
      Array.from({ length: 8 }, (_, i) => T0 - (i + 1) * MIN),
    );
    expect(web.steps).toEqual([]);
    expect(web.alerts).toEqual([]);
  });
});

describe('route changes ahead of new capacity', () => {
  /**
   * A plan whose forecast asks for shadow weight `to` (a load of `observed` with an interval wide
   * enough), from `current` with `inService` serving now: whether its route goes first.
   */
  function early(
    current: PoolState,
    inService: { primary: number; shadow: number },
    observed: number,
    to: number,
    over: (p: Policy) => void = () => {},
  ) {
    const policy = testPolicy(over);
    const spread = 1.2 / (1.1 * (1 - to)) - 1;
    const web = planOne({
      policy,
      current,
      inService,
      observed,
      forecast: forecastOf(T0, HOUR, [observed], spread),
    });
    expect(web.desired.weights.shadow).toBeCloseTo(to, 9);
    return web.steps.some((s) =>
      s.reason.endsWith(', before new capacity: the instances in service carry it'),
    );
  }

  it('goes first when the instances in service carry every step within the headroom', () => {
    expect(early(pool(10, 2, 0), { primary: 10, shadow: 2 }, 950, 0.1)).toBe(true);
  });

  it('waits when booting primaries leave too few in service', () => {
    expect(early(pool(10, 2, 0), { primary: 4, shadow: 2 }, 450, 0.1)).toBe(false);
  });

  it('brings traffic back at once from a shadow with nothing in service', () => {
    expect(early(pool(10, 1, 0.1), { primary: 10, shadow: 0 }, 500, 0)).toBe(true);
  });

  it('lets a step run hotter than now up to the headroom, and no further', () => {
    // The shadow instance serves 80: 60 of 600 runs it at 0.75, under 1/1.2.
    expect(
      early(pool(10, 1, 0), { primary: 10, shadow: 1 }, 600, 0.1, (p) => (p.shadow.unitsPerInstance = 80)),
    ).toBe(true);
    // 20 % of 450 on one shadow of 100 runs it at 0.9: over 1/1.2, and hotter than now.
    expect(early(pool(10, 1, 0), { primary: 10, shadow: 1 }, 450, 0.2)).toBe(false);
  });

  it('may fill a target to exactly what it serves when the pool already runs that hot', () => {
    expect(early(pool(10, 1, 0), { primary: 10, shadow: 1 }, 1000, 0.1)).toBe(true);
  });

  it('an overloaded primary sheds load to the shadow in service at once when every step relieves it', () => {
    expect(early(pool(10, 4, 0), { primary: 10, shadow: 4 }, 1100, 0.3)).toBe(true);
  });

  it('checks the steps between where the route is and where it goes, not past them', () => {
    // From 0.1 to 0.2: 80 of 400 on the one shadow; 0.3 would overload it.
    expect(early(pool(10, 1, 0.1), { primary: 10, shadow: 1 }, 400, 0.2)).toBe(true);
    // From 0.05 (off the step grid) to 0.2: steps 0.15 and 0.2, never 0.25.
    expect(
      early(
        { ...pool(10, 1, 0), weights: { primary: 0.95, shadow: 0.05 } },
        { primary: 10, shadow: 1 },
        400,
        0.2,
      ),
    ).toBe(true);
    // Down from 0.3 to 0.1: 0.2 then 0.1, never up to 0.4.
    expect(early(pool(10, 1, 0.3), { primary: 10, shadow: 1 }, 250, 0.1)).toBe(true);
    // Up from 0.1 to 0.3 on three primaries: 0.2 then 0.3, never down to 0.
    expect(early(pool(3, 3, 0.1), { primary: 3, shadow: 3 }, 260, 0.3)).toBe(true);
  });
});
