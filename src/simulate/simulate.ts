// `shadowcast simulate`: replays a pool's real demand through forecast → plan → apply on the
// simulated fleet, with the simulator's clock and the code `run` ships (its planner, the journaled
// Executor, the same alerts), and runs the baselines users would otherwise pick
// on the same trace and the same fleet model: reactive target tracking (an HPA or an ASG target
// tracking policy, with its metric lag and scale-in stabilisation) and static over-provisioning
// (N+k, sized on the history's peak). All three pay for instances from the moment they are asked
// for and serve only with instances that are ready.

import { isoMinute } from '../core/time-format.js';
import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { PoolState } from '../core/plan.js';
import type { Series } from '../core/series.js';
import type { Deployer } from '../core/seams.js';
import { Executor } from '../deploy/executor.js';
import type { JournalWriter } from '../deploy/journal.js';
import { ReplayClock } from '../deploy/sim/clock.js';
import { clamp, sizedFor } from '../plan/size.js';
import type { Policy } from '../policy/types.js';
import { CronTimes, FitAhead, samplesKnown } from './fit-ahead.js';
import { FitPool } from '../pipeline/fit-pool.js';
import { type Fleet, type FleetFactory } from './fleet.js';
import type { InjectedFault } from './inject.js';
import { planRecord } from '../pipeline/plan-file.js';
import { planOnce } from '../pipeline/plan-once.js';
import { migrationRateAlert, recentStarts } from '../pipeline/rate-alert.js';

const MINUTE = 60_000;

export type Resample = 'linear' | 'step';

export interface SimulateOptions {
  pool: string;
  /** Demand at its own resolution (hourly counts, per-minute requests...). */
  demand: Series;
  policy: Policy;
  /** Calendar events the forecaster knows about. */
  events?: readonly CalendarEvent[];
  /** Leading part of the trace used only as history for the first forecast (ms). */
  historyMs: number;
  /** How demand between two samples is filled in, minute by minute. */
  resample: Resample;
  /** The forecast is refitted when a new sample has arrived, at most this often (ms). */
  refitMs: number;
  /** Minutes between a demand sample and its being visible to any controller. */
  metricLagMs: number;
  /** Static baseline: instances above the history's peak need. */
  staticExtra: number;
  /** Reactive baseline: scale-in waits until the need has stayed lower this long (HPA: 5 min). */
  stabilizationMs: number;
  /** Builds a fresh simulated fleet for each contender (same seed, same failures, same faults). */
  fleet: FleetFactory;
  /** What `--inject` throws at every contender alike; missed events are the caller's to drop. */
  faults?: readonly InjectedFault[];
  onProgress?: (contender: string, done: number, total: number) => void;
  /** Keep every arm's minute-by-minute record (result.timeline). */
  timeline?: boolean;
  /** Where shadowcast's executor journals (default: nowhere; the records still reach the timeline). */
  journal?: JournalWriter;
  /** Threads fitting forecasts ahead of the replay (default 0: on this thread, as needed). */
  fitWorkers?: number;
  /** Zones the fleet spreads over: the planner places standbys and reserves against zone loss there. */
  zones?: readonly string[];
}

/** The arms of a replay, in the order the timeline lists them. */
export const ARMS = ['shadowcast', 'reactive', 'static', 'staticMatched'] as const;
export type Arm = (typeof ARMS)[number];

/** One arm's record, one entry a replayed minute. */
export interface ArmTimeline {
  /** Demand units its ready instances serve (primary, standby and shadow). */
  ready: Float64Array;
  /** Instances paid for, booting or serving. */
  paid: Float64Array;
  /** Demand above ready capacity (units). */
  shortfall: Float64Array;
  /** The share of traffic routed to the shadow pool. */
  shadowWeight: Float64Array;
  /** The share routed to the primary pool (and its standbys). */
  primaryWeight: Float64Array;
}

/** A migration's start or a rollback, on shadowcast's arm. */
export interface TimelineMarker {
  at: number;
  kind: 'migration' | 'rollback';
  label: string;
}

/** Every arm's minute by minute (see `timelineCsv`). */
export interface Timeline {
  start: number;
  demand: Float64Array;
  arms: Record<Arm, ArmTimeline>;
  /** Shadowcast's step in progress each minute (`3 shift`, `rollback 1`), '' between steps. */
  steps: string[];
  /** Shadowcast's migrations and rollbacks, in time order. */
  markers: TimelineMarker[];
}

export interface Figures {
  /** Demand above ready capacity, summed over minutes (unit-minutes). */
  shortfallUnitMinutes: number;
  /** Minutes with any shortfall. */
  shortfallMinutes: number;
  /** Instance-hours paid for, from request to removal. */
  nodeHours: number;
  /** Cost of those hours under the policy's prices. */
  cost: number;
  /** Traffic migrations started (route shift sequences and node moves). */
  migrations: number;
  /** Steps that failed or failed their health gate and were rolled back. */
  rollbacks: number;
  /** Stack updates applied. */
  updates: number;
}

export interface SimulationResult {
  /** With `timeline: true`: every arm's minute-by-minute record; its sums are the figures. */
  timeline?: Timeline;
  pool: string;
  start: number;
  end: number;
  minutes: number;
  shadowcast: Figures & {
    alerts: string[];
    plans: number;
    refits: number;
    /** Refits that backtested `auto`'s candidates afresh (the others reused the selection). */
    selections: number;
    model: string;
    /** The pool as the fleet declares it when the replay ends. */
    final: PoolState;
  };
  baselines: {
    reactive: Figures;
    static: Figures & { instances: number };
    /**
     * Static provisioning at shadowcast's shortfall: the fewest instances held all the time that
     * fall short no more than shadowcast did (what N+k costs at equal or lower shortfall).
     */
    staticMatched: Figures & { instances: number };
  };
}

/** Demand per minute over [start, end) from a series at any step. */
export function perMinute(series: Series, start: number, end: number, mode: Resample): Float64Array {
  const ts = series.timestamps;
  const vs = series.values;
  const out = new Float64Array(Math.max(0, Math.ceil((end - start) / MINUTE)));
  let j = 0;
  for (let k = 0; k < out.length; k++) {
    const t = start + k * MINUTE;
    while (j + 1 < ts.length && ts[j + 1]! <= t) j++;
    const a = Math.max(0, vs[j]!);
    if (mode === 'step' || j + 1 >= ts.length || t < ts[j]!) {
      out[k] = a;
    } else {
      const b = Math.max(0, vs[j + 1]!);
      out[k] = a + ((b - a) * (t - ts[j]!)) / (ts[j + 1]! - ts[j]!);
    }
  }
  return out;
}

/** The three contenders on one trace. */
export async function simulate(opts: SimulateOptions): Promise<SimulationResult> {
  const ts = opts.demand.timestamps;
  const start = ceilMinute(ts[0]! + opts.historyMs);
  const end = ts[ts.length - 1]! + opts.demand.stepMs;
  if (!(end - start >= 60 * MINUTE)) {
    throw new RangeError('the trace is shorter than its history plus one hour');
  }
  const demand = perMinute(opts.demand, start, end, opts.resample);
  const trace = { start, end, demand };
  const shadowcast = await runShadowcast(opts, trace);
  const reactive = await runReactive(opts, trace);
  const n = staticSize(opts, trace);
  const fixed = await runStatic(opts, trace, n);
  const matched = await matchStatic(opts, trace, n, fixed, shadowcast.shortfallUnitMinutes);
  const result: SimulationResult = {
    pool: opts.pool,
    start,
    end,
    minutes: demand.length,
    shadowcast: bare(shadowcast),
    baselines: { reactive: bare(reactive), static: bare(fixed), staticMatched: bare(matched) },
  };
  if (opts.timeline) {
    const arms = { shadowcast, reactive, static: fixed, staticMatched: matched };
    result.timeline = {
      start,
      demand,
      arms: Object.fromEntries(ARMS.map((a) => [a, arms[a].record!])) as Record<Arm, ArmTimeline>,
      steps: shadowcast.steps ?? [],
      markers: shadowcast.markers ?? [],
    };
  }
  return result;
}

/**
 * The timeline as CSV, one row a replayed minute: `minute` (ISO-8601 UTC), `demand`, then for each
 * arm `ARM_ready` (units its ready instances serve), `ARM_paid` (instances paid for), `ARM_shortfall`
 * (demand above ready capacity), then shadowcast's route weights (`shadowcast_primary_weight`,
 * `shadowcast_shadow_weight`) and `shadowcast_step`, the step in progress (`3 shift`,
 * `rollback 1`; empty between steps). Sums of the shortfall columns are the figures' shortfall;
 * `paid` summed over minutes, over 60, their node-hours to within the minutes where instances
 * came and went.
 */
export function timelineCsv(t: Timeline): string {
  const header = ['minute', 'demand'];
  for (const a of ARMS) header.push(`${a}_ready`, `${a}_paid`, `${a}_shortfall`);
  header.push('shadowcast_primary_weight', 'shadowcast_shadow_weight', 'shadowcast_step');
  const lines = [header.join(',')];
  const num = (v: number) => String(Math.round(v * 1e6) / 1e6);
  const sc = t.arms.shadowcast;
  for (let k = 0; k < t.demand.length; k++) {
    const row = [new Date(t.start + k * MINUTE).toISOString(), num(t.demand[k]!)];
    for (const a of ARMS) {
      const r = t.arms[a];
      row.push(num(r.ready[k]!), String(r.paid[k]!), num(r.shortfall[k]!));
    }
    row.push(num(sc.primaryWeight[k]!), num(sc.shadowWeight[k]!), t.steps[k] ?? '');
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

interface Trace {
  start: number;
  end: number;
  demand: Float64Array;
}

/** Serves each minute's demand on the fleet and keeps the tally. */
class Meter {
  shortfallUnitMinutes = 0;
  shortfallMinutes = 0;
  private readonly outages: [number, number][] = [];
  /** Failed-step faults wait for their time; the rest are armed at once. */
  private readonly pending: Extract<InjectedFault, { kind: 'failed-step' }>[] = [];

  /** The arm's minute-by-minute record, when the replay keeps one. */
  readonly record: ArmTimeline | undefined;
  /** The step in progress each minute, when the replay keeps a record. */
  readonly steps: string[] | undefined;
  /** The step in progress now (the executor says). */
  step = '';
  /** The step that ran since the previous minute, though it is over now. */
  private ran = '';

  /** The executor began `step` ('' when the one in progress ended). */
  stepNow(step: string): void {
    if (this.step !== '') this.ran = this.step;
    this.step = step;
  }

  constructor(
    private readonly fleet: Fleet,
    private readonly pool: string,
    private readonly trace: Trace,
    faults: readonly InjectedFault[] = [],
    keep = false,
  ) {
    const n = trace.demand.length;
    this.record = keep
      ? {
          ready: new Float64Array(n),
          paid: new Float64Array(n),
          shortfall: new Float64Array(n),
          shadowWeight: new Float64Array(n),
          primaryWeight: new Float64Array(n),
        }
      : undefined;
    this.steps = keep ? new Array<string>(n).fill('') : undefined;
    for (const f of faults) {
      if (f.kind === 'crash') fleet.inject({ kind: 'crash', at: f.at, pool, instance: f.instance });
      else if (f.kind === 'slow-provisioning') {
        fleet.inject({ kind: 'slow-provisioning', from: f.at, to: f.until, factor: f.factor, pool });
      } else if (f.kind === 'metrics-outage') {
        fleet.inject({ kind: 'metrics-outage', from: f.at, to: f.until, pool });
        this.outages.push([f.at, f.until]);
      } else if (f.kind === 'zone-outage') {
        fleet.inject({ kind: 'zone-outage', zone: f.zone, from: f.at, to: f.until, pool });
      } else if (f.kind === 'failed-step') this.pending.push(f);
    }
    this.pending.sort((a, b) => a.at - b.at);
  }

  minute = (m: number): void => {
    while (this.pending.length > 0 && this.pending[0]!.at <= m) {
      const f = this.pending.shift()!;
      this.fleet.inject({
        kind: 'failed-step',
        count: f.count,
        pool: this.pool,
        reason: 'injected: failed-step',
      });
    }
    const k = (m - this.trace.start) / MINUTE;
    if (k < 0 || k >= this.trace.demand.length) return;
    const d = this.trace.demand[k]!;
    const { shortfall } = this.fleet.serve(this.pool, m, d);
    const short = shortfall > 1e-9 ? shortfall : 0;
    if (short > 0) {
      this.shortfallUnitMinutes += short;
      this.shortfallMinutes++;
    }
    const r = this.record;
    if (r) {
      // Minute k's row: the step under way at its start, or one that ran since the previous row.
      const ready = this.fleet.ready(this.pool, m);
      r.ready[k] = ready.primary + ready.shadow;
      r.paid[k] = this.fleet.paid(this.pool, m);
      r.shortfall[k] = short;
      const w = this.fleet.weights(this.pool, m);
      r.shadowWeight[k] = w.shadow;
      r.primaryWeight[k] = w.primary;
      this.steps![k] = this.step || this.ran;
      this.ran = '';
    }
  };

  /** Demand as a controller sees it at `t`: the last minute that is `lag` old, or NaN in an outage. */
  observed(t: number, lag: number): number {
    if (this.outages.some(([a, b]) => t >= a && t < b)) return Number.NaN;
    const k = Math.floor((t - lag - this.trace.start) / MINUTE);
    return this.trace.demand[Math.min(this.trace.demand.length - 1, Math.max(0, k))]!;
  }
}

function figures(
  fleet: Fleet,
  meter: Meter,
  pool: string,
  counts: { migrations: number; rollbacks: number; updates: number },
): Figures & Recorded {
  const hours = fleet.nodeHours(pool);
  const out: Figures & Recorded = {
    shortfallUnitMinutes: round(meter.shortfallUnitMinutes),
    shortfallMinutes: meter.shortfallMinutes,
    nodeHours: round(hours.nodeHours),
    cost: round(hours.cost),
    ...counts,
  };
  if (meter.record) {
    out.record = meter.record;
    out.steps = meter.steps;
  }
  return out;
}

/** An arm's figures carry its record until `simulate` gathers them into the timeline. */
interface Recorded {
  record?: ArmTimeline;
  steps?: string[];
  markers?: TimelineMarker[];
}

/** The figures without the record they carried. */
function bare<T extends Recorded>(f: T): Omit<T, keyof Recorded> {
  const { record: _record, steps: _steps, markers: _markers, ...rest } = f;
  return rest;
}

async function runShadowcast(
  opts: SimulateOptions,
  trace: Trace,
): Promise<SimulationResult['shadowcast'] & Recorded> {
  const { schedule } = opts.policy;
  const cron = new CronTimes(schedule.cron, schedule.timezone, trace.start);
  const pool = new FitPool(opts.fitWorkers ?? 0);
  const fits = new FitAhead({
    pool,
    demand: opts.demand,
    policy: opts.policy,
    events: opts.events ?? [],
    cron,
    start: trace.start,
    end: trace.end,
    refitMs: opts.refitMs,
  });
  try {
    return await replayShadowcast(opts, trace, cron, fits);
  } finally {
    await pool.close();
  }
}

async function replayShadowcast(
  opts: SimulateOptions,
  trace: Trace,
  cron: CronTimes,
  fits: FitAhead,
): Promise<SimulationResult['shadowcast'] & Recorded> {
  const { policy, pool } = opts;
  // eslint-disable-next-line prefer-const -- assigned once the fleet exists; the clock calls it before
  let meter!: Meter;
  const clock = new ReplayClock(trace.start, (m) => meter?.minute(m));
  // The pool starts as `run`'s first run finds it: sized for the newest sample known then.
  const fleet = opts.fleet(clock, { [pool]: sizedFor(opts.policy, knownAt(opts.demand, trace), true) });
  meter = new Meter(fleet, pool, trace, opts.faults, opts.timeline);
  meter.minute(trace.start);
  const counts = { migrations: 0, rollbacks: 0, updates: 0 };
  const alerts: string[] = [];
  const markers: TimelineMarker[] = [];
  // The shipped executor, on the replay's clock, journaling in memory: the same steps, waits,
  // gates and rollback to the last known-good state as `run` applies to any target.
  const counted: Deployer = {
    current: (p) => fleet.current(p),
    apply: (p, s, o) => {
      counts.updates++;
      return fleet.apply(p, s, o);
    },
    rollback: (p, s, o) => {
      counts.updates++;
      return fleet.rollback(p, s, o);
    },
  };
  let serial = 0;
  const executor = new Executor({
    deployer: counted,
    gate: fleet.gate(policy.migration.gates),
    clock,
    journal: opts.journal ?? { append: (r) => ({ v: 1, ...r }) },
    stepTimeoutMs: policy.migration.stepTimeoutMs,
    readiness: { ready: async (p, gain) => fleet.serves(p, gain, clock.now()) },
    newId: (p) => `${p}-${++serial}`,
    onRecord: (r) => {
      const at = Date.parse(r.at);
      if (r.kind === 'step-intent' && r.step) meter.stepNow(`${r.step.index} ${r.step.kind}`);
      else if (r.kind === 'gate-passed' || r.kind === 'step-failed' || r.kind === 'migration-rolled-back')
        meter.stepNow('');
      else if (r.kind === 'rollback-intent') meter.stepNow(`rollback ${r.attempt ?? 1}`);
      if (!opts.timeline) return;
      if (r.kind === 'migration-started')
        markers.push({ at, kind: 'migration', label: `${r.migration}: ${r.reason ?? ''}` });
      else if (r.kind === 'migration-rolled-back')
        markers.push({ at, kind: 'rollback', label: `${r.migration}: ${r.reason ?? ''}` });
    },
  });
  const zones = (opts.zones ?? []).map((name) => ({ name, spare: Infinity, risk: 0 }));
  let starts: number[] = [];
  let ongoing = new Set<string>();
  let forecast: Forecast | undefined;
  let model = policy.forecast.model as string;
  let plans = 0;
  const total = trace.end - trace.start;
  let lastDay = -1;
  while (clock.now() < trace.end) {
    const now = clock.now();
    // The newest forecast due by now (fitted ahead of the replay, as fit-ahead.ts explains).
    const fitted = await fits.at(now);
    forecast = fitted?.forecast;
    if (fitted?.forecast) model = fitted.model;
    const known = samplesKnown(opts.demand, now);
    const day = Math.floor((now - trace.start) / 86_400_000);
    if (day !== lastDay) {
      lastDay = day;
      opts.onProgress?.('shadowcast', now - trace.start, total);
    }
    // What `run` sees: the newest whole sample of the pool's metric; in an outage, nothing, and
    // then the plan holds the pool as it is (no forecast, no observation), as `run`'s does.
    const outage = Number.isNaN(meter.observed(now, opts.metricLagMs));
    const observed = outage || known === 0 ? Number.NaN : opts.demand.values[known - 1]!;
    const current = await fleet.current(pool);
    const planned = planOnce(
      {
        pool,
        policy,
        forecast: outage ? undefined : forecast,
        observed,
        nodes: [],
        current,
        ...(zones.length ? { zones } : {}),
      },
      clock,
    );
    plans++;
    // A condition the planner reports at every run (a missing metric, a flapping pool) is alerted
    // when it starts, not again at each plan while it lasts.
    for (const a of planned.pool.alerts) if (!ongoing.has(a)) alerts.push(`${isoMinute(now)} ${a}`);
    ongoing = new Set(planned.pool.alerts);
    const steps = planned.pool.steps;
    if (steps.length > 0) {
      // The run lasts as long as its migration: scheduled runs that fall inside it are skipped, as
      // `run`'s are (a pool's runs never overlap).
      const result = await executor.start(pool, planRecord(pool, planned.plan.at, current, steps));
      counts.migrations++;
      if (result.outcome === 'rolled_back') counts.rollbacks++;
      for (const a of result.alerts) alerts.push(`${isoMinute(clock.now())} ${a}`);
      starts = recentStarts(starts, now);
      starts.push(now);
      const rate = migrationRateAlert(starts, policy);
      if (rate) alerts.push(`${isoMinute(clock.now())} ${pool}: ${rate}`);
    }
    await advanceTo(clock, Math.min(trace.end, cron.after(clock.now())));
  }
  opts.onProgress?.('shadowcast', total, total);
  const final = await fleet.current(pool);
  const { fits: refits, selections } = fits;
  const out = { ...figures(fleet, meter, pool, counts), alerts, plans, refits, selections, model, final };
  if (out.record) out.markers = markers;
  return out;
}

/** The newest sample known when the replay starts (the first replayed minute's, when none is). */
function knownAt(s: Series, trace: Trace): number {
  const known = samplesKnown(s, trace.start);
  return known > 0 ? Math.max(0, s.values[known - 1]!) : trace.demand[0]!;
}

/** How long the reactive baseline's resize takes to land (an API call; the boot comes after). */
export const REACTIVE_UPDATE_MS = 5_000;

/**
 * Reactive target tracking: each minute, the need seen (one metric lag late) plus the same
 * headroom as shadowcast's policy, in instances; scale out at once, scale in only to the highest
 * need of the stabilisation window.
 */
async function runReactive(opts: SimulateOptions, trace: Trace): Promise<Figures & Recorded> {
  const { policy, pool } = opts;
  const { capacity } = policy;
  // eslint-disable-next-line prefer-const -- assigned once the fleet exists; the clock calls it before
  let meter!: Meter;
  const clock = new ReplayClock(trace.start, (m) => meter?.minute(m));
  // An autoscaler changes a group's desired count with one API call, not a stack update.
  const fleet = opts.fleet(
    clock,
    { [pool]: sizedFor(opts.policy, knownAt(opts.demand, trace), false) },
    REACTIVE_UPDATE_MS,
  );
  meter = new Meter(fleet, pool, trace, opts.faults, opts.timeline);
  meter.minute(trace.start);
  const head = 1 + capacity.headroomPercent / 100;
  const window: number[] = [];
  const counts = { migrations: 0, rollbacks: 0, updates: 0 };
  const stable = Math.max(1, Math.round(opts.stabilizationMs / MINUTE));
  let lastDay = -1;
  let held = (await fleet.current(pool)).primary;
  while (clock.now() < trace.end) {
    const now = clock.now();
    const seen = meter.observed(now, opts.metricLagMs);
    if (Number.isFinite(seen)) {
      const want = clamp(
        Math.ceil((seen * head) / capacity.unitsPerInstance - 1e-9),
        capacity.minInstances,
        capacity.maxInstances,
      );
      window.push(want);
      if (window.length > stable) window.shift();
      const target = want > held ? want : Math.max(...window);
      if (target !== held) {
        const cur = await fleet.current(pool);
        const result = await fleet.apply(pool, { ...cur, primary: target }, { stepId: `reactive@${now}` });
        counts.updates++;
        // A failed update changed nothing: the next evaluation tries again, as a real autoscaler does.
        if (result.ok) held = target;
      }
    }
    const day = Math.floor((now - trace.start) / 86_400_000);
    if (day !== lastDay) {
      lastDay = day;
      opts.onProgress?.('reactive', now - trace.start, trace.end - trace.start);
    }
    await advanceTo(clock, Math.max(clock.now(), Math.floor(now / MINUTE) * MINUTE + MINUTE));
  }
  return figures(fleet, meter, pool, counts);
}

/** Static N+k: the history's peak need plus k instances, set once. */
/** N+k: the history's peak need (with the policy's headroom), plus k, within the pool's maximum. */
function staticSize(opts: SimulateOptions, trace: Trace): number {
  const { capacity } = opts.policy;
  const s = opts.demand;
  let peak = 0;
  for (let i = 0; i < s.timestamps.length && s.timestamps[i]! < trace.start; i++)
    peak = Math.max(peak, s.values[i]!);
  const head = 1 + capacity.headroomPercent / 100;
  return Math.min(
    capacity.maxInstances,
    Math.ceil((peak * head) / capacity.unitsPerInstance - 1e-9) + opts.staticExtra,
  );
}

/**
 * The fewest instances held all the time whose shortfall is at most `target`: a bisection over
 * static runs on the same trace and faults (shortfall only grows as instances are taken away).
 * Above N+k it is not searched: N+k itself is reported when even it falls short of the target.
 */
async function matchStatic(
  opts: SimulateOptions,
  trace: Trace,
  n: number,
  atN: Figures & { instances: number } & Recorded,
  target: number,
): Promise<Figures & { instances: number } & Recorded> {
  if (atN.shortfallUnitMinutes > target) return atN;
  let lo = 0;
  let hi = n;
  let best = atN;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const r = await runStatic(opts, trace, mid);
    if (r.shortfallUnitMinutes <= target + 1e-6) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  return best;
}

async function runStatic(
  opts: SimulateOptions,
  trace: Trace,
  instances: number,
): Promise<Figures & { instances: number } & Recorded> {
  const { pool } = opts;
  // eslint-disable-next-line prefer-const -- assigned once the fleet exists; the clock calls it before
  let meter!: Meter;
  const clock = new ReplayClock(trace.start, (m) => meter?.minute(m));
  const fleet = opts.fleet(clock, {
    [pool]: { primary: instances, shadow: 0, standby: {}, weights: { primary: 1, shadow: 0 } },
  });
  meter = new Meter(fleet, pool, trace, opts.faults, opts.timeline);
  meter.minute(trace.start);
  opts.onProgress?.('static', 0, trace.end - trace.start);
  await advanceTo(clock, trace.end);
  return { ...figures(fleet, meter, pool, { migrations: 0, rollbacks: 0, updates: 0 }), instances };
}

/** Sleeps until `t` (serving each minute on the way); no-op when it is already past. */
async function advanceTo(clock: ReplayClock, t: number): Promise<void> {
  if (t > clock.now()) await clock.sleep(t - clock.now());
}

function ceilMinute(t: number): number {
  return Math.ceil(t / MINUTE) * MINUTE;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
