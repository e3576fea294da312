// The reasons a plan gives, word for word: they are what an operator reads to decide whether to
// trust it (the sizing arithmetic, each step, each standby decision, where a standby goes).

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import { place, plan, type PoolInputs, type PoolPlan, zonesOf } from '../../src/plan/plan.js';
import type { Policy } from '../../src/policy/types.js';
import { forecastOf, HOUR, MIN, nodeRisk, pool, T0, testPolicy } from './fixtures.js';

function planOne(input: Omit<PoolInputs, 'pool' | 'policy'> & { policy?: Policy }): PoolPlan {
  return plan(
    { intervalMs: 15 * MIN, pools: [{ pool: 'web', policy: testPolicy(), ...input }] },
    new FakeClock(T0),
  ).pools.web!;
}

/** Standbys synced just now, so that no sync step shows up where a test is about something else. */
function synced(s: PoolState): PoolState {
  return { ...s, standbySync: Object.fromEntries(Object.keys(s.standby).map((id) => [id, T0])) };
}

const reasonsOf = (p: PoolPlan) => p.steps.map((s) => s.reason);
// A load of 1,000 (±20 %): 12 primaries and 2 shadows at shadow weight 0.1 with the test policy.
const steady = { forecast: forecastOf(T0, HOUR, [1000]), observed: 1000 };
const SIZED_1000 = [
  'need 1320 units: the larger of forecast mean peak 1000 at 2026-11-23T00:00Z + 20% headroom = 1200 units and the forecast p95 upper peak 1200 at 2026-11-23T00:00Z × 100% + 10% buffer = 1320',
  'primary 12 for 90% of it (100 units each)',
  "shadow 2 for the 10% above the primary's need, in steps of 10% (100 units each, at least 1)",
];

describe('sizing reasons', () => {
  it('show the need, the primary’s share and the shadow’s, with the numbers behind them', () => {
    const web = planOne({
      current: pool(12, 1, 0.08),
      forecast: forecastOf(T0, 10 * MIN, [1000, 2000, 1500]),
      observed: 950,
    });
    expect(web.reasons).toEqual([
      'need 2640 units: the larger of forecast mean peak 2000 at 2026-11-23T00:10Z + 20% headroom = 2400 units and the forecast p95 upper peak 2400 at 2026-11-23T00:10Z × 100% + 10% buffer = 2640',
      'primary 24 for 90% of it (100 units each)',
      "shadow 3 for the 10% above the primary's need, in steps of 10% (100 units each, at least 1)",
    ]);
    expect(reasonsOf(web)).toEqual([
      'provision primary 12 -> 24; shadow 1 -> 3, ready by 2026-11-23T00:11Z',
      'wait until the new instances are ready and warm (lead time 11m)',
      'route 0.08 -> 0.10 of traffic to the shadow pool, step 1/1: shadow 0.10',
    ]);
  });

  it('name the forecast when the observed load is no higher than its mean', () => {
    expect(planOne({ current: pool(12, 2, 0.1), ...steady }).reasons).toEqual(SIZED_1000);
  });

  it('show the shadow’s peak share and buffer as configured', () => {
    const web = planOne({
      policy: testPolicy((p) => (p.shadow.peakPercent = 120)),
      current: pool(12, 2, 0.1),
      ...steady,
    });
    expect(web.reasons[0]).toBe(
      'need 1584 units: the larger of forecast mean peak 1000 at 2026-11-23T00:00Z + 20% headroom = 1200 units and the forecast p95 upper peak 1200 at 2026-11-23T00:00Z × 120% + 10% buffer = 1584',
    );
  });

  it('name the observed load when the forecast starts later than now', () => {
    const web = planOne({
      current: pool(20),
      forecast: forecastOf(T0 + 30 * MIN, HOUR, [100]),
      observed: 3000,
    });
    expect(web.reasons[0]).toBe(
      'need 3600 units: the larger of observed load 3000 + 20% headroom = 3600 units and observed load 3000 (above the forecast p95 upper bound) × 100% + 10% buffer = 3300',
    );
    expect(web.reasons[1]).toBe('primary 36 for 100% of it (100 units each)');
  });

  it('say the shadow pool is disabled, and size the primary alone', () => {
    const web = planOne({
      policy: testPolicy((p) => (p.shadow.enabled = false)),
      current: pool(6),
      forecast: forecastOf(T0, 5 * MIN, [500, 500, 500, 500, 1500, 1500]),
      observed: 480,
    });
    expect(web.reasons).toEqual([
      'primary 18: forecast mean peak 1500 at 2026-11-23T00:20Z + 20% headroom = 1800 units, / 100 per instance',
      'shadow pool disabled by policy',
    ]);
    expect(reasonsOf(web)[0]).toBe('provision primary 6 -> 18, ready by 2026-11-23T00:25Z');
  });

  it('say when the primary’s minimum holds the whole need, and when the shadow is kept warm anyway', () => {
    const night = (minSize: number) =>
      testPolicy((p) => {
        p.capacity.unitsPerInstance = 250;
        p.capacity.minInstances = 4;
        p.shadow.minSize = minSize;
      });
    const quiet = { forecast: forecastOf(T0, HOUR, [300]), observed: 290 };
    const warm = planOne({ policy: night(1), current: pool(4, 1, 0), ...quiet });
    expect(warm.reasons.slice(1)).toEqual([
      'primary 4 for 100% of it (250 units each) (at the minimum, 4)',
      "shadow 1: the primary's minimum of 4 (1000 units) holds all of it; the shadow keeps its minimum size, 1, warm",
    ]);
    const none = planOne({ policy: night(0), current: pool(4, 0, 0), ...quiet });
    expect(none.reasons[2]).toBe("shadow 0: the primary's minimum of 4 (1000 units) holds all of it");
  });

  it('say when the primary is at its maximum', () => {
    const web = planOne({
      current: pool(40, 5, 0.1),
      forecast: forecastOf(T0, HOUR, [5000]),
      observed: 5000,
    });
    expect(web.reasons[1]).toBe('primary 50 for 90% of it (100 units each) (at the maximum, 50)');
  });

  it('print the observed load without a forecast: whole units from 100, one decimal from 10', () => {
    expect(planOne({ current: pool(2, 1, 0), observed: 100 }).reasons).toEqual([
      'no forecast: sized from observed load 100 + 20% headroom, never below current',
    ]);
    expect(planOne({ current: pool(2, 1, 0), observed: 10 }).reasons).toEqual([
      'no forecast: sized from observed load 10.0 + 20% headroom, never below current',
    ]);
  });

  it('name the zone at risk, the first of equally risky ones, and the one node at risk', () => {
    const web = planOne({
      policy: testPolicy((p) => (p.shadow.enabled = false)),
      current: pool(6),
      nodes: [nodeRisk('a1', 0.6, { zone: 'zone-a' }), nodeRisk('b1', 0.6, { zone: 'zone-b' })],
      forecast: forecastOf(T0, HOUR, [500]),
      observed: 500,
    });
    expect(web.reasons.at(-1)).toBe(
      "reserve 1 more primary in the healthy zones: zone zone-a could lose 60.0 units (1 node at risk) and the primary's headroom over its need of 600 is 0.00",
    );
  });
});

describe('step reasons', () => {
  it('provision names every pool that grows and each new standby', () => {
    const web = planOne({
      current: pool(10, 1, 0),
      nodes: [nodeRisk('b', 0.75), nodeRisk('a', 0.8)],
      ...steady,
    });
    expect(reasonsOf(web)[0]).toBe(
      'provision primary 10 -> 12; shadow 1 -> 2; standby for b, a, ready by 2026-11-23T00:11Z',
    );
    expect(web.reasons.slice(3)).toEqual([
      'standby for b: failure probability 0.75 ≥ provision threshold 0.70 (normal)',
      'standby for a: failure probability 0.80 ≥ provision threshold 0.70 (normal)',
    ]);
  });

  it('provision names only the pools that grow', () => {
    expect(reasonsOf(planOne({ current: pool(12, 1, 0), ...steady }))[0]).toBe(
      'provision shadow 1 -> 2, ready by 2026-11-23T00:11Z',
    );
  });

  it('route steps say where the route goes, step by step, in steps no larger than the policy’s', () => {
    // An interval wide enough for shadow weight 0.2: two steps of 0.1 from 0.
    const web = planOne({
      current: pool(12, 3, 0),
      forecast: forecastOf(T0, HOUR, [1000], 1.2 / (1.1 * 0.8) - 1),
      observed: 1000,
    });
    expect(reasonsOf(web)).toEqual([
      'route 0.00 -> 0.20 of traffic to the shadow pool, step 1/2: shadow 0.10',
      'route 0.00 -> 0.20 of traffic to the shadow pool, step 2/2: shadow 0.20',
    ]);
  });

  it('a route the instances in service carry goes first, and says why', () => {
    const web = planOne({ current: pool(12, 2, 0), inService: { primary: 12, shadow: 2 }, ...steady });
    expect(reasonsOf(web)).toEqual([
      'route 0.00 -> 0.10 of traffic to the shadow pool, step 1/1: shadow 0.10, before new capacity: the instances in service carry it',
    ]);
  });

  it('no route step for weights the target reports a hair off the plan’s', () => {
    const current = { ...pool(12, 2), weights: { primary: 0.9 - 5e-10, shadow: 0.1 + 5e-10 } };
    expect(planOne({ current, ...steady }).steps).toEqual([]);
  });

  it('decommission names only what shrinks', () => {
    expect(reasonsOf(planOne({ current: pool(20, 2, 0.1), ...steady }))).toEqual([
      'decommission primary 20 -> 12: not needed before the next plan',
    ]);
    expect(reasonsOf(planOne({ current: pool(12, 4, 0.1), ...steady }))).toEqual([
      'decommission shadow 4 -> 2: not needed before the next plan',
    ]);
    const kept = planOne({
      current: synced(pool(20, 2, 0.1, { a: 0 })),
      nodes: [nodeRisk('a', 0.75)],
      ...steady,
    });
    expect(reasonsOf(kept)).toEqual(['decommission primary 20 -> 12: not needed before the next plan']);
    const released = planOne({
      current: synced(pool(24, 3, 0.1, { a: 0 })),
      nodes: [nodeRisk('a', 0.2, { belowReleaseMs: HOUR })],
      ...steady,
    });
    expect(reasonsOf(released)).toEqual([
      'decommission primary 24 -> 12; shadow 3 -> 2; standby of a: not needed before the next plan',
    ]);
    expect(released.reasons.at(-1)).toBe('release standby of a: below 0.60 for 1h');
  });

  it('retiring switched nodes: one step names them all, in order, whatever order the target lists them in', () => {
    const web = planOne({
      current: synced(pool(12, 2, 0.1, { b: 1, a: 1 })),
      nodes: [nodeRisk('a', 0.5), nodeRisk('b', 0.5)],
      ...steady,
    });
    expect(web.reasons.slice(3)).toEqual([
      'retire a: switched to its standby and out of service; the group replaces it',
      'retire b: switched to its standby and out of service; the group replaces it',
    ]);
    expect(web.steps.map((s) => [s.kind, s.reason, s.subject])).toEqual([
      [
        'decommission',
        'retire a, b: out of service since the switch; terminate, the group replaces them',
        { what: 'retire', nodes: ['a', 'b'] },
      ],
      ['warm', 'wait until the replacement of a, b is ready', { what: 'replace', nodes: ['a', 'b'] }],
      [
        'decommission',
        'decommission standby of b (retired, replaced); standby of a (retired, replaced): not needed before the next plan',
        { what: 'decommission' },
      ],
    ]);
  });

  it('retiring one switched node says "it"', () => {
    const web = planOne({
      current: synced(pool(12, 2, 0.1, { a: 1 })),
      nodes: [nodeRisk('a', 0.5)],
      ...steady,
    });
    expect(web.steps.slice(0, 2).map((s) => [s.reason, s.subject])).toEqual([
      [
        'retire a: out of service since the switch; terminate, the group replaces it',
        { what: 'retire', nodes: ['a'] },
      ],
      ['wait until the replacement of a is ready', { what: 'replace', nodes: ['a'] }],
    ]);
  });

  it('a retired node’s standby is released once its replacement serves', () => {
    const web = planOne({
      current: synced({ ...pool(12, 2, 0.1, { a: 1 }), retired: ['a'] }),
      nodes: [],
      ...steady,
    });
    expect(web.reasons.at(-1)).toBe(
      'release the standby of a once the replacement of the retired node serves',
    );
    expect(reasonsOf(web)).toEqual([
      'wait until the replacement of a is ready',
      'decommission standby of a (retired, replaced): not needed before the next plan',
    ]);
  });

  it('syncs several standbys in one step, and says whose', () => {
    const web = planOne({
      current: { ...pool(12, 2, 0.1, { a: 0, b: 0 }), standbySync: { a: T0 - HOUR, b: T0 - HOUR } },
      nodes: [nodeRisk('a', 0.75), nodeRisk('b', 0.75)],
      ...steady,
    });
    expect(reasonsOf(web)).toEqual(["sync the standbys of a, b: their node's data as of 2026-11-23T00:00Z"]);
  });

  it('syncs a standby exactly one sync interval old', () => {
    const web = planOne({
      current: { ...pool(12, 2, 0.1, { a: 0 }), standbySync: { a: T0 - 15 * MIN } },
      nodes: [nodeRisk('a', 0.75)],
      ...steady,
    });
    expect(reasonsOf(web)).toEqual(["sync the standby of a: its node's data as of 2026-11-23T00:00Z"]);
  });

  it('a switch says how long the score held and the dwell it waited, or that the node is down', () => {
    const due = planOne({
      current: synced(pool(12, 2, 0.1, { a: 0 })),
      nodes: [nodeRisk('a', 0.95, { aboveTransitionMs: 12 * MIN })],
      ...steady,
    });
    expect(due.reasons.slice(3)).toEqual([
      'switch a to its standby: failure probability 0.95 ≥ 0.90 for 12m (dwell 10m)',
    ]);
    const down = planOne({
      current: synced(pool(12, 2, 0.1, { a: 0 })),
      nodes: [nodeRisk('a', 0.95)],
      down: ['a'],
      ...steady,
    });
    expect(down.reasons.slice(3)).toEqual(['switch a to its standby now: the node is down']);
  });
});

describe('where a standby goes, in words', () => {
  it('beside the node when no zone is known or has room', () => {
    expect(place({ zone: 'z1' }, [])).toEqual({ text: 'beside the node (no zone data)' });
    expect(place({ zone: 'z1' }, [{ name: 'z1', spare: 0, risk: 0 }])).toEqual({
      text: 'beside the node (no zone data)',
    });
  });

  it('a zone with no region named is in the node’s region when the node names none either', () => {
    expect(place({ zone: 'z1' }, [{ name: 'z2', spare: Infinity, risk: 0.1 }]).text).toBe(
      'z2 (same region, risk 0.10)',
    );
  });

  it('another region as a last resort, with its room and risk', () => {
    const p = place({ zone: 'eu-1a', region: 'eu' }, [{ name: 'us-1a', region: 'us', spare: 9, risk: 0 }]);
    expect(p).toEqual({ zone: 'us-1a', text: 'us-1a (other region, 9 spare, risk 0.00)' });
  });

  it('between equally near and stable zones, the roomiest', () => {
    const zones = [
      { name: 'eu-1b', region: 'eu', spare: 2, risk: 0.1 },
      { name: 'eu-1c', region: 'eu', spare: 5, risk: 0.1 },
    ];
    expect(place({ zone: 'eu-1a', region: 'eu' }, zones).zone).toBe('eu-1c');
    expect(place({ zone: 'eu-1a', region: 'eu' }, [...zones].reverse()).zone).toBe('eu-1c');
  });

  it('the zones of a pool’s nodes: by name, in their region, risk the mean of the known scores', () => {
    expect(
      zonesOf([
        { zone: 'b', region: 'eu', score: 0.4 },
        { zone: 'a', region: 'eu', score: Number.NaN },
        { zone: 'a', region: 'eu', score: 0.2 },
        { region: 'eu', score: 0.9 },
      ]),
    ).toEqual([
      { name: 'a', region: 'eu', spare: Infinity, risk: 0.2 },
      { name: 'b', region: 'eu', spare: Infinity, risk: 0.4 },
    ]);
  });
});
