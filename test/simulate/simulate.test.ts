// `simulate()` on short synthetic traces (three days of hourly history, one day replayed), with the
// real forecasters, planner and simulated fleet: resampling to minutes, what each contender costs
// and leaves unserved on cases worked out by hand, determinism, and the injected faults.

import { describe, expect, it, vi } from 'vitest';
import type { PoolState } from '../../src/core/plan.js';
import type { Series } from '../../src/core/series.js';
import { SIM_DEFAULTS, SimFleet } from '../../src/deploy/sim/fleet.js';
import type { Policy } from '../../src/policy/types.js';
import { type FleetFactory, type SimFleetSettings, simFleetFactory } from '../../src/simulate/fleet.js';
import type { InjectedFault } from '../../src/simulate/inject.js';
import {
  ARMS,
  perMinute,
  type SimulateOptions,
  simulate,
  type SimulationResult,
  timelineCsv,
} from '../../src/simulate/simulate.js';
import { HOUR, MIN, testPolicy } from '../plan/fixtures.js';

const DAY = 24 * HOUR;
/** A Monday; the replay starts three days later. */
const T0 = Date.UTC(2026, 0, 5);
const S = T0 + 3 * DAY;
const POOL = 'web';

/** `days` of hourly demand from T0, `f(hour of day, day)`. */
function hourly(days: number, f: (hour: number, day: number) => number): Series {
  const n = days * 24;
  return {
    name: 'demand',
    timestamps: Array.from({ length: n }, (_, i) => T0 + i * HOUR),
    values: Float64Array.from({ length: n }, (_, i) => f(i % 24, Math.floor(i / 24))),
    stepMs: HOUR,
  };
}

/** Quiet nights, a step up to 1,000 at 09:00, 300 in the evening: the same every day. */
const daily = hourly(4, (h) => (h >= 9 && h < 18 ? 1000 : h >= 18 ? 300 : 100));
/** 100 at night, climbing 150 an hour from 06:00 to 1,600 at 15:00, then back to 100. */
const ramp = hourly(4, (h) => (h >= 6 && h < 16 ? 100 + (h - 5) * 150 : 100));

function policyFor(model: 'naive' | 'mstl' = 'naive'): Policy {
  return testPolicy((p) => {
    p.forecast.model = model;
  });
}

function options(
  demand: Series,
  over: Partial<SimulateOptions> = {},
  settings: Partial<SimFleetSettings> = {},
): SimulateOptions {
  const policy = over.policy ?? policyFor();
  return {
    pool: POOL,
    demand,
    policy,
    historyMs: 3 * DAY,
    resample: 'step',
    refitMs: HOUR,
    metricLagMs: MIN,
    staticExtra: 2,
    stabilizationMs: 5 * MIN,
    fleet: simFleetFactory(POOL, policy, { seed: 1, ...settings }),
    ...over,
  };
}

interface Apply {
  at: number;
  stepId: string;
  before: PoolState;
  after: PoolState;
}

/** The factory's fleets, with every update (apply or rollback) they were asked for. */
function recording(inner: FleetFactory, log: Apply[]): FleetFactory {
  return (clock, initial) => {
    const fleet = inner(clock, initial);
    const wrap =
      (fn: typeof fleet.apply): typeof fleet.apply =>
      async (pool, state, opts) => {
        const before = await fleet.current(pool);
        log.push({ at: clock.now(), stepId: opts?.stepId ?? '', before, after: state });
        return fn(pool, state, opts);
      };
    return { ...fleet, apply: wrap(fleet.apply), rollback: wrap(fleet.rollback) };
  };
}

const capacity = (s: PoolState) => s.primary + s.shadow;

describe('perMinute', () => {
  // Three hourly samples: 60, 120, then a negative one (clamped to 0).
  const s: Series = {
    name: 'd',
    timestamps: [T0, T0 + HOUR, T0 + 2 * HOUR],
    values: Float64Array.from([60, 120, -30]),
    stepMs: HOUR,
  };
  const step = (k: number) => (k < 60 ? 60 : k < 120 ? 120 : 0);
  const linear = (k: number) => (k < 60 ? 60 + k : k < 120 ? 120 - 2 * (k - 60) : 0);

  it.each([
    ['step', step],
    ['linear', linear],
  ] as const)('%s: holds or interpolates each sample, minute by minute', (mode, expected) => {
    const out = perMinute(s, T0, T0 + 3 * HOUR, mode);
    expect(out).toHaveLength(180);
    expect([...out]).toEqual(Array.from({ length: 180 }, (_, k) => expected(k)));
  });

  it.each([
    ['step', 90, 93, [120, 120, 120]],
    ['linear', 90, 93, [60, 58, 56]],
    ['linear', 30, 30 + 1 / 60_000, [90]],
    // Before the first sample, the first sample holds; past the last, the last.
    ['linear', -2, 1, [60, 60, 60]],
    ['linear', 180, 182, [0, 0]],
    ['step', 0, 0, []],
  ] as const)('%s from minute %d to %d: %j', (mode, from, to, values) => {
    expect([...perMinute(s, T0 + from * MIN, T0 + to * MIN, mode)]).toEqual(values);
  });
});

describe('simulate: a daily step the forecast knows', () => {
  const result = simulate(options(daily));

  it('leaves shadowcast less short than reactive target tracking', async () => {
    const r = await result;
    expect(r.minutes).toBe(24 * 60);
    expect(r.start).toBe(S);
    expect(r.end).toBe(S + DAY);
    // Reactive is short at every step up: the jump to 1,000 at 09:00 is seen only after it happens.
    expect(r.baselines.reactive.shortfallMinutes).toBeGreaterThan(0);
    expect(r.shadowcast.shortfallUnitMinutes).toBeLessThan(r.baselines.reactive.shortfallUnitMinutes);
    expect(r.shadowcast.shortfallMinutes).toBeLessThan(r.baselines.reactive.shortfallMinutes);
    expect(r.shadowcast.model).toBe('naive');
    expect(r.shadowcast.refits).toBeGreaterThan(0);
  });

  it('sizes static N+k on the history peak: never short when the replay stays below it, paid every hour', async () => {
    const r = await result;
    const { capacity: c } = policyFor();
    const instances = Math.ceil((1000 * (1 + c.headroomPercent / 100)) / c.unitsPerInstance) + 2;
    expect(instances).toBe(14);
    expect(r.baselines.static).toEqual({
      shortfallUnitMinutes: 0,
      shortfallMinutes: 0,
      nodeHours: instances * 24,
      cost: Math.round(instances * 24 * c.hourlyCost * 1000) / 1000,
      migrations: 0,
      rollbacks: 0,
      updates: 0,
      instances,
    });
  });

  it('matches static to shadowcast: the fewest instances held all day that are no shorter', async () => {
    const r = await result;
    const m = r.baselines.staticMatched;
    // 1,000 at the daily peak fits on 10 instances of 100 and not on 9: shadowcast's shortfall
    // (if any) is far below the 100 units a minute for hours that 9 would lose.
    expect(r.shadowcast.shortfallUnitMinutes).toBeLessThan(100);
    expect(m.instances).toBe(10);
    expect(m.shortfallUnitMinutes).toBe(0);
    expect(m.nodeHours).toBe(10 * 24);
    expect(r.shadowcast.nodeHours).toBeLessThan(m.nodeHours);
  });

  it('pays for fewer node-hours than static N+k, shadowcast and reactive alike', async () => {
    const r = await result;
    expect(r.shadowcast.nodeHours).toBeLessThan(r.baselines.static.nodeHours);
    expect(r.baselines.reactive.nodeHours).toBeLessThan(r.baselines.static.nodeHours);
  });
});

describe('simulate: reactive target tracking on a flat trace that jumps', () => {
  // 100 for three days and the replay's morning, then 1,000 from noon on.
  const jump = hourly(4, (h, d) => (d === 3 && h >= 12 ? 1000 : 100));
  const result = simulate(options(jump));

  it('is short from the jump until its metric lag, one update and one boot have passed', async () => {
    const r = await result;
    const policy = policyFor();
    const { updateMs, updateJitter } = SIM_DEFAULTS;
    const before = MIN + policy.capacity.provisionMs;
    // Minutes served while the new instances boot: from the jump to lag + update + provisioning.
    const fewest = Math.ceil((before + updateMs * (1 - updateJitter)) / MIN);
    const most = Math.ceil((before + updateMs * (1 + updateJitter)) / MIN);
    const rx = r.baselines.reactive;
    expect(rx.shortfallMinutes).toBeGreaterThanOrEqual(fewest);
    expect(rx.shortfallMinutes).toBeLessThanOrEqual(most);
    // Until then it serves on its minimum of 2 instances (100 + 20 % fits on 2): 800 short a minute.
    expect(rx.shortfallUnitMinutes).toBe(rx.shortfallMinutes * (1000 - 2 * policy.capacity.unitsPerInstance));
    // One scale-out; demand never falls, so no scale-in.
    expect(rx.updates).toBe(1);
  });

  it('leaves static N+k, sized on a history that never saw the surge, short all afternoon', async () => {
    const r = await result;
    // ceil(100 * 1.2 / 100) + 2 = 4 instances, 400 units, against 1,000 for 12 hours.
    expect(r.baselines.static.instances).toBe(4);
    expect(r.baselines.static.shortfallMinutes).toBe(12 * 60);
    expect(r.baselines.static.shortfallUnitMinutes).toBe(12 * 60 * 600);
    // Shadowcast re-plans on the load it sees and is short for minutes, not hours; no static fleet
    // up to N+k (the most the match searches) is that short, so the match reports N+k itself.
    expect(r.shadowcast.shortfallUnitMinutes).toBeLessThan(r.baselines.static.shortfallUnitMinutes);
    expect(r.baselines.staticMatched).toEqual(r.baselines.static);
  });
});

describe('simulate: determinism', () => {
  const faults: InjectedFault[] = [
    { kind: 'crash', at: S + 10 * HOUR },
    { kind: 'failed-step', at: S + 8 * HOUR, count: 1 },
  ];
  const run = (seed: number) =>
    simulate(options(daily, { faults }, { seed, failureRatePerHour: 0.02 })).then((r) => JSON.stringify(r));

  it('gives byte-identical JSON for the same inputs and seed', async () => {
    const a = await run(7);
    const b = await run(7);
    expect(b).toBe(a);
  });

  it('changes with the seed when the fleet draws random crashes (the seed is used)', async () => {
    expect(await run(8)).not.toBe(await run(7));
  });
});

describe('simulate: injected faults', () => {
  it('metrics outage: shadowcast holds its capacity, alerts, and scales in only once metrics return', async () => {
    const from = S + 17 * HOUR;
    const until = S + 20 * HOUR;
    const log: Apply[] = [];
    const base = options(daily);
    const r = await simulate({
      ...base,
      faults: [{ kind: 'metrics-outage', at: from, until }],
      fleet: recording(base.fleet, log),
    });
    const clear = await simulate(options(daily));
    const alerts = r.shadowcast.alerts.filter((a) => a.includes('demand metric missing'));
    // Once, when it starts: the plans every 15 minutes while it lasts do not repeat it.
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toBe(
      '2026-01-08T17:00Z web: demand metric missing; capacity held at its last good size',
    );
    const own = log.filter((a) => !a.stepId.startsWith('reactive@'));
    const shrinks = own.filter((a) => capacity(a.after) < capacity(a.before));
    expect(shrinks.length).toBeGreaterThan(0);
    for (const a of shrinks) expect(a.at < from || a.at >= until).toBe(true);
    // The evening's scale-in (demand falls to 300 at 18:00) waits for the metric: more node-hours.
    expect(shrinks.some((a) => a.at >= until)).toBe(true);
    expect(r.shadowcast.nodeHours).toBeGreaterThan(clear.shadowcast.nodeHours);
    // Reactive target tracking cannot see the fall either, and holds too.
    const reactive = log.filter((a) => a.stepId.startsWith('reactive@'));
    for (const a of reactive) expect(a.at < from || a.at >= until).toBe(true);
  });

  it('failed step: shadowcast rolls back and raises an alert naming the step', async () => {
    const r = await simulate(
      options(daily, { faults: [{ kind: 'failed-step', at: S + 7 * HOUR, count: 1 }] }),
    );
    expect(r.shadowcast.rollbacks).toBeGreaterThanOrEqual(1);
    const rolled = r.shadowcast.alerts.filter((a) => a.includes('rolled back'));
    expect(rolled).toHaveLength(r.shadowcast.rollbacks);
    expect(rolled[0]).toMatch(
      /^2026-01-08T\d\d:\d\dZ web: rolled back to the last known-good routing, capacity kept \(primary \d+, shadow \d+, weights [\d.]+\/[\d.]+\): step \d+ \(web#\d+:[a-z]+\) failed: update failed: update web-\d+\/web#\d+:[a-z]+ failed after [\d.]+ s: injected: failed-step$/,
    );
    // The first update after the fault's time fails; the next plan gets the capacity up after all.
    const clear = await simulate(options(daily));
    expect(r.shadowcast.updates).toBeGreaterThan(clear.shadowcast.updates);
    expect(r.shadowcast.shortfallMinutes).toBeLessThanOrEqual(clear.baselines.reactive.shortfallMinutes);
  });

  it('failed step: reactive target tracking tries again at its next evaluation', async () => {
    const r = await simulate(
      options(daily, { faults: [{ kind: 'failed-step', at: S + 7 * HOUR, count: 1 }] }),
    );
    const clear = await simulate(options(daily));
    // Its 09:01 scale-out fails after one update's time; the retry a minute later succeeds, so the
    // morning is short by at most two more minutes (not until the evening's demand changes).
    expect(r.baselines.reactive.updates).toBe(clear.baselines.reactive.updates + 1);
    expect(r.baselines.reactive.shortfallMinutes).toBeLessThanOrEqual(
      clear.baselines.reactive.shortfallMinutes + 2,
    );
  });

  it('crash: each fleet replaces the instance after its detection delay, and the run completes', async () => {
    const at = S + 12 * HOUR;
    const fleets: SimFleet[] = [];
    const serve = SimFleet.prototype.serve;
    const spy = vi.spyOn(SimFleet.prototype, 'serve').mockImplementation(function (this: SimFleet, ...args) {
      if (!fleets.includes(this)) fleets.push(this);
      return serve.apply(this, args);
    });
    let r: SimulationResult;
    try {
      r = await simulate(options(daily, { faults: [{ kind: 'crash', at }] }));
    } finally {
      spy.mockRestore();
    }
    expect(r.minutes).toBe(24 * 60);
    // Shadowcast, reactive, static N+k and each static run of the match (a bisection, at least
    // one run) lose one instance at noon and get a replacement.
    expect(fleets.length).toBeGreaterThanOrEqual(4);
    for (const fleet of fleets) {
      const failed = fleet.events(POOL).filter((e) => e.kind === 'instance-failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.at).toBe(at);
      expect(failed[0]!.message).toContain('(injected)');
      const victim = fleet.instances(POOL).find((i) => i.failedAt !== undefined)!;
      const replacement = fleet.instances(POOL).find((i) => i.replaces === victim.id)!;
      expect(replacement.requestedAt).toBe(at + SIM_DEFAULTS.detectionMs);
      expect(replacement.readyAt).toBe(at + SIM_DEFAULTS.detectionMs + policyFor().capacity.provisionMs);
    }
    // Static N+k pays for every hour but the detection delay; 13 of its 14 cover the peak.
    expect(r.baselines.static.nodeHours).toBe(
      Math.round((14 * 24 - SIM_DEFAULTS.detectionMs / HOUR) * 1000) / 1000,
    );
    expect(r.baselines.static.shortfallMinutes).toBe(0);
  });

  it('slow provisioning: more shortfall on a ramp than without it, for the same node-hours reactive asks for', async () => {
    const slow: InjectedFault[] = [{ kind: 'slow-provisioning', at: S, until: S + DAY, factor: 4 }];
    const clear = await simulate(options(ramp));
    const r = await simulate(options(ramp, { faults: slow }));
    expect(r.shadowcast.shortfallUnitMinutes).toBeGreaterThan(clear.shadowcast.shortfallUnitMinutes);
    expect(r.baselines.reactive.shortfallUnitMinutes).toBeGreaterThan(
      clear.baselines.reactive.shortfallUnitMinutes,
    );
    // Reactive asks for the same instances at the same times; they only take longer to serve.
    expect(r.baselines.reactive.nodeHours).toBe(clear.baselines.reactive.nodeHours);
    expect(r.baselines.static).toEqual(clear.baselines.static);
  });
});

describe('simulate: the result is a contract', () => {
  it('has shadowcast, baselines.reactive and baselines.static, each with the documented figures', async () => {
    const r = JSON.parse(
      JSON.stringify(await simulate(options(daily, { policy: policyFor('mstl') }))),
    ) as Record<string, unknown>;
    expect(Object.keys(r)).toEqual(['pool', 'start', 'end', 'minutes', 'shadowcast', 'baselines']);
    const baselines = r.baselines as Record<string, Record<string, unknown>>;
    expect(Object.keys(baselines)).toEqual(['reactive', 'static', 'staticMatched']);
    const contenders = { shadowcast: r.shadowcast as Record<string, unknown>, ...baselines };
    for (const [name, figures] of Object.entries(contenders)) {
      for (const key of [
        'shortfallUnitMinutes',
        'shortfallMinutes',
        'nodeHours',
        'cost',
        'migrations',
        'rollbacks',
        'updates',
      ]) {
        expect(typeof figures[key], `${name}.${key}`).toBe('number');
        expect(figures[key] as number, `${name}.${key}`).toBeGreaterThanOrEqual(0);
      }
    }
    const sc = r.shadowcast as Record<string, unknown>;
    expect(Array.isArray(sc.alerts)).toBe(true);
    for (const key of ['plans', 'refits']) expect(typeof sc[key]).toBe('number');
    expect(sc.model).toBe('mstl');
    expect(typeof baselines.static!.instances).toBe('number');
    expect(typeof baselines.staticMatched!.instances).toBe('number');
  });

  it('refuses a trace shorter than its history plus an hour', async () => {
    await expect(simulate(options(daily, { historyMs: 4 * DAY - 30 * MIN }))).rejects.toThrow(
      'the trace is shorter than its history plus one hour',
    );
  });
});

describe('simulate: the timeline', () => {
  // The ramp outruns reactive scaling at times: there is shortfall to add up.
  const run = simulate(options(ramp, { timeline: true }));

  it('has one row a replayed minute for every arm, and its sums are the figures', async () => {
    const r = await run;
    const t = r.timeline!;
    expect(t.start).toBe(r.start);
    expect(t.demand.length).toBe(r.minutes);
    const figures = {
      shadowcast: r.shadowcast,
      reactive: r.baselines.reactive,
      static: r.baselines.static,
      staticMatched: r.baselines.staticMatched,
    };
    for (const arm of ARMS) {
      const line = t.arms[arm];
      const f = figures[arm];
      expect(line.ready.length, arm).toBe(r.minutes);
      const short = line.shortfall.reduce((a, b) => a + b, 0);
      expect(short, arm).toBeCloseTo(f.shortfallUnitMinutes, 2);
      expect(line.shortfall.filter((v) => v > 0).length, arm).toBe(f.shortfallMinutes);
      // Paid instances, a minute at a time, against node-hours paid to the millisecond: equal but
      // for the minutes in which instances came or went.
      const hours = line.paid.reduce((a, b) => a + b, 0) / 60;
      expect(Math.abs(hours - f.nodeHours), arm).toBeLessThan(0.02 * f.nodeHours + 0.5);
      // Never short where ready capacity covered demand.
      for (let k = 0; k < t.demand.length; k++) {
        if (line.ready[k]! >= t.demand[k]! + 1e-9) expect(line.shortfall[k], `${arm} minute ${k}`).toBe(0);
      }
    }
    // The shadow pool's share of traffic: within [0, 1], and 0 throughout when no migration moved it.
    const w = r.timeline!.arms.shadowcast.shadowWeight;
    expect(w.every((v) => v >= 0 && v <= 1)).toBe(true);
    if (r.shadowcast.migrations === 0) expect(Math.max(...w)).toBe(0);
    expect(r.shadowcast.shortfallMinutes + r.baselines.reactive.shortfallMinutes).toBeGreaterThan(0);
  });

  it('writes as CSV: a header, then a row a minute with every arm', async () => {
    const r = await run;
    const lines = timelineCsv(r.timeline!).trimEnd().split('\n');
    expect(lines[0]).toBe(
      'minute,demand,shadowcast_ready,shadowcast_paid,shadowcast_shortfall,reactive_ready,reactive_paid,reactive_shortfall,static_ready,static_paid,static_shortfall,staticMatched_ready,staticMatched_paid,staticMatched_shortfall,shadowcast_primary_weight,shadowcast_shadow_weight,shadowcast_step',
    );
    expect(lines).toHaveLength(r.minutes + 1);
    expect(lines[1]!.startsWith(`${new Date(r.start).toISOString()},`)).toBe(true);
    expect(lines.slice(1).every((l) => l.split(',').length === 17)).toBe(true);
  });

  it("shows shadowcast's route weights, its step in progress, and a marker for each migration and rollback", async () => {
    const r = await run;
    const t = r.timeline!;
    const sc = t.arms.shadowcast;
    for (let k = 0; k < t.demand.length; k++) {
      expect(sc.primaryWeight[k]! + sc.shadowWeight[k]!, `minute ${k}`).toBeCloseTo(1, 9);
    }
    const started = t.markers.filter((m) => m.kind === 'migration');
    expect(started).toHaveLength(r.shadowcast.migrations);
    expect(t.markers.filter((m) => m.kind === 'rollback')).toHaveLength(r.shadowcast.rollbacks);
    expect(started.length).toBeGreaterThan(0);
    for (let i = 1; i < t.markers.length; i++)
      expect(t.markers[i]!.at).toBeGreaterThanOrEqual(t.markers[i - 1]!.at);
    for (const m of t.markers) expect(m.at >= r.start && m.at < r.end).toBe(true);
    // A step is shown only while the executor runs one: between the migration's start and its end.
    const busy = t.steps.filter((s) => s !== '');
    expect(busy.length).toBeGreaterThan(0);
    for (const s of busy)
      expect(s).toMatch(/^(\d+ (provision|warm|shift|decommission|standby)|rollback \d+)$/);
  });

  it('is left out unless asked for', async () => {
    expect((await simulate(options(daily))).timeline).toBeUndefined();
  });
});
