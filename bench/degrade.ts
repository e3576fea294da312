// Degradations that come before a node failure, for labelling risk benchmarks. Each one is laid over
// a real host series, so the series keeps its own noise and daily rhythm, and each ends at a known
// failure row. Pure and seeded (no I/O, no clock): the same seed gives the same degradation.
//
// The section below is the README's description of the generators (strip the "// ").
//
// ## Injected degradations
//
// Each degradation runs over rows [onset, failure) of a real host metric x (one row a minute);
// D = failure - onset, and u = (t + 1 - onset) / D is the share of the way to the failure: just
// above 0 at the onset row, 1 at the last row the node reports. It is sized from the metric's own
// last 24 h before onset: median L, normal range [lo, hi] (its 0.5 % and 99.5 % quantiles). Each
// aims at a failure level F = max(C, hi + m·(hi - L)): the resource's limit C, where a node
// fails (a full disk, memory at its limit, the client's timeout), or further if that day already
// came close. The benchmark takes C = 1, the top of SMD's scale: SMD scales every metric to
// [0, 1] over the publisher's data, so 1 is the worst the machine was ever seen at. Most shapes pull the host toward F,
// y = x + g·(F - x) with g rising from 0 to 1: early on y keeps the host's noise and rhythm, at the
// end it reads F. All parameters are drawn uniformly from the ranges given.
//
// - **Ground truth:** the failure row. The episode's rows end there (the node is gone); the onset
//   row is recorded too, and alarms before it are false.
// - **Subtle, then obvious:** on SMD (the 79 failures of the benchmark's five seeds), the median
//   share of first-half rows that the degradation pushes out of [lo, hi] is 0-5 % for every kind
//   but the memory leak (41 %: a heap heading for its limit leaves its usual range early); in the
//   last tenth it is 100 % (noisy neighbour: 67 %, between its bursts the host is itself).
// - **Which metric:** a seeded pick among the machine's columns that vary (hi - lo >= 0.02), have
//   room above the median (hi - L >= 0.01) and are not at their top right now (the last hour's
//   mean is at least 20 % of the range below hi), preferring those whose day looks like the
//   resource: smooth (lag-1 autocorrelation >= 0.9) for memory, disk and temperature; busy (never idle:
//   median >= 0.05, under 30 % of the day near the floor; jittery: autocorrelation < 0.9) for
//   latency and CPU steal; quiet (half the day near the floor) for error rates.
//
// | kind | D | metrics | shape |
// | --- | --- | --- | --- |
// | `memory-leak` | 2–12 h | 1 smooth | g = u^p·(1 - a·(1 - u)·(1 - s)), s = ((t + 1 - onset) mod P) / P: a steady, slightly accelerating climb (p in [1.2, 1.6]) with garbage-collection dips every P in [10, 40] min that give back a share a in [0.15, 0.35], less as the heap fills; m in [0.5, 1] |
// | `disk-fill` | 4–20 h | 1 smooth | g = (C(t) / C(failure))^γ, C a running sum of Exp(1) write bursts that come each minute with chance b·(1 + k·u²): monotone, bursty, convex near full; b in [0.05, 0.2], k in [3, 8], γ in [1.2, 1.8], m in [0.4, 0.8] |
// | `latency-creep` | 1–6 h | 1 busy | y = x·(F / ℓ(t))^(u^p)·e^(σ·u·ε)·(1 + spike), ℓ the host's trailing 60-min mean, ε ~ N(0, 1): multiplicative growth that brings the typical value to F, with rising variance; spikes of (F / ℓ - 1)·u·U(0.5, 1.5) with chance c·u² a minute; p in [2, 3], σ in [0.05, 0.15], c in [0.02, 0.08], m in [0.3, 0.8] |
// | `error-rate-climb` | 0.5–4 h | 1 quiet | y = x + max(spike, sustained): spikes of (F - L)·u^q·U(0.3, 1) with chance r0·(r1 / r0)^u a minute, and from u_s on a sustained (F - L)·(u - u_s) / (1 - u_s)·U(0.8, 1.2); r0 in [0.005, 0.02], r1 in [0.3, 0.6], q in [1.5, 2.5], u_s in [0.7, 0.85], m in [0.5, 1] |
// | `thermal-runaway` | 20–90 min | 2 smooth: a temperature and a coupled one (fans, throttled CPU) | g = α·u + (1 - α)·(e^(κu) - 1) / (e^κ - 1): a slow rise, then exponential; the coupled metric is pulled by c·g(u - lag / D) toward its own F; α in [0.1, 0.3], κ in [4, 7], c in [0.3, 0.6], lag in [2, 8] min, m in [0.5, 1] |
// | `noisy-neighbour` | 1–8 h | 1 busy | CPU-steal bursts from an on/off chain with mean burst B in [3, 10] min and a duty cycle d0 + (d1 - d0)·u² (d0 in [0.02, 0.08], d1 in [0.5, 0.85]); while on, g = (0.3 + 0.7·u^q)·U(0.85, 1), q in [1.5, 2.5]; m in [0.3, 0.7] |
//
// In SMD's test split, onsets keep an hour clear of any labelled anomaly, so the two never mix.

export type DegradationKind =
  'memory-leak' | 'disk-fill' | 'latency-creep' | 'error-rate-climb' | 'thermal-runaway' | 'noisy-neighbour';

export const DEGRADATION_KINDS: readonly DegradationKind[] = [
  'memory-leak',
  'disk-fill',
  'latency-creep',
  'error-rate-climb',
  'thermal-runaway',
  'noisy-neighbour',
];

import { mulberry32, type Rng } from '../src/core/random.js';

export { mulberry32, type Rng };

function between(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** What a metric looked like over its recent history; degradations are sized from it. */
export interface HostProfile {
  /** Median. */
  level: number;
  /** The normal range: 0.5 % and 99.5 % quantiles. */
  lo: number;
  hi: number;
  range: number;
  /** Lag-1 autocorrelation: near 1 for slow, smooth metrics (memory, disk, temperature). */
  smoothness: number;
  /** Share of rows within a tenth of the range above the floor: high for idle, spiky metrics. */
  quiet: number;
  /** Mean of the last hour: where the metric is now. */
  recent: number;
}

function sortedQuantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const a = sorted[i] ?? Number.NaN;
  return a + ((sorted[Math.ceil(pos)] ?? a) - a) * (pos - i);
}

function lag1(v: Float64Array, mean: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v[i]! - mean;
    den += d * d;
    if (i > 0) num += d * (v[i - 1]! - mean);
  }
  return den > 0 ? num / den : 0;
}

/** The profile of rows [from, to) of a metric. */
export function hostProfile(values: Float64Array, from: number, to: number): HostProfile {
  const v = values.slice(Math.max(0, from), to).filter(Number.isFinite);
  const sorted = Float64Array.from(v).sort();
  const lo = sortedQuantile(sorted, 0.005);
  const hi = sortedQuantile(sorted, 0.995);
  let sum = 0;
  let nearFloor = 0;
  for (const x of v) {
    sum += x;
    if (x <= lo + 0.1 * (hi - lo)) nearFloor++;
  }
  const lastHour = v.subarray(Math.max(0, v.length - 60));
  return {
    level: sortedQuantile(sorted, 0.5),
    lo,
    hi,
    range: hi - lo,
    smoothness: lag1(v, sum / v.length),
    quiet: nearFloor / v.length,
    recent: lastHour.reduce((a, b) => a + b, 0) / lastHour.length,
  };
}

/** What a generator works on: copies of the affected series, degraded in place over [onset, failure). */
export interface DegradeContext {
  series: Float64Array[];
  profiles: HostProfile[];
  onset: number;
  failure: number;
  rng: Rng;
  /** Where the resource runs out (see InjectOptions.limit); -Infinity when none is given. */
  limit: number;
}

export interface Generator {
  /** Range of the time from onset to failure, in minutes (rows). */
  minutes: readonly [number, number];
  /** How many metrics it affects. */
  metricCount: 1 | 2;
  /** Which host metrics it fits; others are used only when none fits. */
  prefers(p: HostProfile): boolean;
  describe: string;
  /** Degrades ctx.series in place; returns the parameters it drew, for the record. */
  apply(ctx: DegradeContext): Record<string, number>;
}

const smooth = (p: HostProfile): boolean => p.smoothness >= 0.9;
const busy = (p: HostProfile): boolean => p.level >= 0.05 && p.quiet < 0.3 && p.smoothness < 0.9;
const quiet = (p: HostProfile): boolean => p.quiet >= 0.5;

/**
 * Where the metric ends when the node fails: m times the room between median and top, past the
 * top, and at least the resource's limit, since a node fails when the resource runs out. The room
 * above rather than the whole range, so a metric that sits near its top with a long lower tail is
 * not pushed out of range at once.
 */
function failureLevel(p: HostProfile, m: number, limit: number): number {
  return Math.max(limit, p.hi + m * (p.hi - p.level));
}

function pull(x: number, target: number, g: number): number {
  return x + g * (target - x);
}

/**
 * Calls f(row, u) for every degraded row, u the share of the way from onset to failure: just
 * above 0 at the onset row, exactly 1 at the last row the node reports before it fails.
 */
function overRows(ctx: DegradeContext, f: (row: number, u: number) => void): void {
  const span = ctx.failure - ctx.onset;
  for (let t = ctx.onset; t < ctx.failure; t++) f(t, (t + 1 - ctx.onset) / span);
}

function affected(ctx: DegradeContext, k: number): { x: Float64Array; p: HostProfile } {
  const x = ctx.series[k];
  const p = ctx.profiles[k];
  if (!x || !p) throw new Error(`degradation: metric ${k} missing`);
  return { x, p };
}

/** Trailing mean over `rows` rows, ending at each row: the host's local level. */
function trailingMean(x: Float64Array, rows: number): Float64Array {
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let t = 0; t < x.length; t++) {
    sum += x[t]! - (t >= rows ? x[t - rows]! : 0);
    out[t] = sum / Math.min(t + 1, rows);
  }
  return out;
}

const memoryLeak: Generator = {
  minutes: [120, 720],
  metricCount: 1,
  prefers: smooth,
  describe:
    'memory leak: a steady, slightly accelerating climb toward saturation, with garbage-collection dips that shrink as the heap fills (2-12 h)',
  apply(ctx) {
    const { rng } = ctx;
    const { x, p } = affected(ctx, 0);
    const m = between(rng, 0.5, 1);
    const power = between(rng, 1.2, 1.6);
    const period = Math.round(between(rng, 10, 40));
    const reclaim = between(rng, 0.15, 0.35);
    const level = failureLevel(p, m, ctx.limit);
    overRows(ctx, (t, u) => {
      const saw = ((t + 1 - ctx.onset) % period) / period;
      x[t] = pull(x[t]!, level, u ** power * (1 - reclaim * (1 - u) * (1 - saw)));
    });
    return { failureLevel: level, power, gcPeriod: period, reclaim };
  },
};

const diskFill: Generator = {
  minutes: [240, 1200],
  metricCount: 1,
  prefers: smooth,
  describe:
    'disk filling: monotone, bursty writes that come faster as the disk fills, convex near full (4-20 h)',
  apply(ctx) {
    const { rng } = ctx;
    const { x, p } = affected(ctx, 0);
    const m = between(rng, 0.4, 0.8);
    const chance = between(rng, 0.05, 0.2);
    const growth = between(rng, 3, 8);
    const gamma = between(rng, 1.2, 1.8);
    const level = failureLevel(p, m, ctx.limit);
    const written = new Float64Array(ctx.failure - ctx.onset);
    let total = 0;
    overRows(ctx, (t, u) => {
      const burst = -Math.log(1 - rng());
      // The last write before the failure is the one that fills the disk.
      if (rng() < chance * (1 + growth * u * u) || t === ctx.failure - 1) total += burst;
      written[t - ctx.onset] = total;
    });
    overRows(ctx, (t) => {
      x[t] = pull(x[t]!, level, (written[t - ctx.onset]! / total) ** gamma);
    });
    return { failureLevel: level, burstChance: chance, growth, gamma };
  },
};

const latencyCreep: Generator = {
  minutes: [60, 360],
  metricCount: 1,
  prefers: busy,
  describe:
    'latency creep: multiplicative growth with rising variance and occasional spikes, mostly in the last third (1-6 h)',
  apply(ctx) {
    const { rng } = ctx;
    const { x, p } = affected(ctx, 0);
    const m = between(rng, 0.3, 0.8);
    const power = between(rng, 2, 3);
    const jitter = between(rng, 0.05, 0.15);
    const spikeChance = between(rng, 0.02, 0.08);
    const level = failureLevel(p, m, ctx.limit);
    // Growth is relative to the host's level of the last hour, so the metric reaches the failure
    // level at the end whether the failure falls at the daily peak or in the night's trough.
    const local = trailingMean(x, 60);
    overRows(ctx, (t, u) => {
      const ratio = Math.max(1, level / Math.max(local[t]!, 1e-3));
      const noise = normal(rng);
      const spike = rng() < spikeChance * u * u ? (ratio - 1) * u * between(rng, 0.5, 1.5) : 0;
      x[t] = x[t]! * ratio ** (u ** power) * Math.exp(jitter * u * noise) * (1 + spike);
    });
    return { failureLevel: level, power, jitter, spikeChance };
  },
};

const errorRateClimb: Generator = {
  minutes: [30, 240],
  metricCount: 1,
  prefers: quiet,
  describe: 'error-rate climb: sparse spikes that come more often and grow, then a sustained rise (0.5-4 h)',
  apply(ctx) {
    const { rng } = ctx;
    const { x, p } = affected(ctx, 0);
    const m = between(rng, 0.5, 1);
    const r0 = between(rng, 0.005, 0.02);
    const r1 = between(rng, 0.3, 0.6);
    const power = between(rng, 1.5, 2.5);
    const sustainFrom = between(rng, 0.7, 0.85);
    const level = failureLevel(p, m, ctx.limit);
    const top = level - p.level;
    overRows(ctx, (t, u) => {
      const hit = rng() < r0 * (r1 / r0) ** u;
      const spike = hit ? top * u ** power * between(rng, 0.3, 1) : 0;
      const rise = Math.max(0, (u - sustainFrom) / (1 - sustainFrom));
      x[t] = x[t]! + Math.max(spike, top * rise * between(rng, 0.8, 1.2));
    });
    return { failureLevel: level, rateStart: r0, rateEnd: r1, power, sustainFrom };
  },
};

function runaway(u: number, alpha: number, kappa: number): number {
  if (u <= 0) return 0;
  return alpha * u + ((1 - alpha) * Math.expm1(kappa * u)) / Math.expm1(kappa);
}

const thermalRunaway: Generator = {
  minutes: [20, 90],
  metricCount: 2,
  prefers: smooth,
  describe:
    'thermal runaway: a slow rise, then exponential acceleration; a coupled metric follows a few minutes behind (20-90 min)',
  apply(ctx) {
    const { rng } = ctx;
    const hot = affected(ctx, 0);
    const coupled = affected(ctx, 1);
    const m = between(rng, 0.5, 1);
    const alpha = between(rng, 0.1, 0.3);
    const kappa = between(rng, 4, 7);
    const coupling = between(rng, 0.3, 0.6);
    const lag = Math.round(between(rng, 2, 8));
    const level = failureLevel(hot.p, m, ctx.limit);
    const coupledLevel = failureLevel(coupled.p, m, ctx.limit);
    const lagU = lag / (ctx.failure - ctx.onset);
    overRows(ctx, (t, u) => {
      hot.x[t] = pull(hot.x[t]!, level, runaway(u, alpha, kappa));
      coupled.x[t] = pull(coupled.x[t]!, coupledLevel, coupling * runaway(u - lagU, alpha, kappa));
    });
    return { failureLevel: level, alpha, kappa, coupling, lag };
  },
};

const noisyNeighbour: Generator = {
  minutes: [60, 480],
  metricCount: 1,
  prefers: busy,
  describe:
    'noisy neighbour (CPU steal): intermittent bursts whose duty cycle and height grow toward the failure (1-8 h)',
  apply(ctx) {
    const { rng } = ctx;
    const { x, p } = affected(ctx, 0);
    const m = between(rng, 0.3, 0.7);
    const d0 = between(rng, 0.02, 0.08);
    const d1 = between(rng, 0.5, 0.85);
    const burst = between(rng, 3, 10);
    const power = between(rng, 1.5, 2.5);
    const level = failureLevel(p, m, ctx.limit);
    let on = false;
    overRows(ctx, (t, u) => {
      // A two-state chain: bursts last `burst` minutes on average and cover `duty` of the time.
      const duty = d0 + (d1 - d0) * u * u;
      const draw = rng();
      on = on ? draw >= 1 / burst : draw < duty / (1 - duty) / burst;
      const height = (0.3 + 0.7 * u ** power) * between(rng, 0.85, 1);
      if (on) x[t] = pull(x[t]!, level, height);
    });
    return { failureLevel: level, dutyStart: d0, dutyEnd: d1, burstMinutes: burst, power };
  },
};

export const GENERATORS: Readonly<Record<DegradationKind, Generator>> = {
  'memory-leak': memoryLeak,
  'disk-fill': diskFill,
  'latency-creep': latencyCreep,
  'error-rate-climb': errorRateClimb,
  'thermal-runaway': thermalRunaway,
  'noisy-neighbour': noisyNeighbour,
};

export interface InjectOptions {
  seed: number;
  /** Earliest onset row; the `historyRows` before it size the degradation. */
  from: number;
  /** Latest failure row. */
  to: number;
  /** Rows the degradation and the hour before it must keep clear of (real incidents). */
  avoid?: readonly { start: number; end: number }[];
  /** Rows of history the host profile is taken from; default one day. */
  historyRows?: number;
  /**
   * The value at which the resource runs out (a full disk, memory at its limit, the client's
   * timeout): the failure level is at least this. Default: none, the level is sized from the host.
   */
  limit?: number;
}

export interface Injection {
  kind: DegradationKind;
  onsetAt: number;
  /** The ground truth: the row at which the node fails; rows from here on do not exist. */
  failureAt: number;
  /** Names of the degraded metrics. */
  affected: string[];
  /** The parameters drawn, for the record. */
  params: Record<string, number>;
  /** Every metric: degraded copies for the affected ones, the caller's arrays for the others. */
  metrics: Record<string, Float64Array>;
}

const CLEAR_BEFORE_ONSET = 60;
/**
 * A metric a degradation can be sized from: it varies, has room above its median, and is not at
 * its top right now (a climb from there would leave the normal range at once).
 */
function degradable(p: HostProfile): boolean {
  return p.range >= 0.02 && p.hi - p.level >= 0.01 && p.hi - p.recent >= 0.2 * p.range;
}

function clear(start: number, end: number, avoid: readonly { start: number; end: number }[]): boolean {
  return avoid.every((s) => s.end <= start - CLEAR_BEFORE_ONSET || s.start >= end);
}

/** A seeded onset and failure inside [from, to), clear of `avoid`; undefined when none fits. */
function place(
  gen: Generator,
  opts: InjectOptions,
  rng: Rng,
): { onset: number; failure: number } | undefined {
  const avoid = opts.avoid ?? [];
  const [shortest, longest] = gen.minutes;
  if (opts.to - opts.from < shortest) return undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const span = Math.round(between(rng, shortest, Math.min(longest, opts.to - opts.from)));
    const onsets: number[] = [];
    for (let o = opts.from; o + span <= opts.to; o++) if (clear(o, o + span, avoid)) onsets.push(o);
    const onset = onsets[Math.floor(rng() * onsets.length)];
    if (onset !== undefined) return { onset, failure: onset + span };
  }
  return undefined;
}

interface Picked {
  name: string;
  profile: HostProfile;
}

/** Seeded choice of the metrics a generator affects, those it fits first; undefined if too few. */
function pickMetrics(gen: Generator, profiles: Map<string, HostProfile>, rng: Rng): Picked[] | undefined {
  const usable = [...profiles].filter(([, p]) => degradable(p));
  if (usable.length < gen.metricCount) return undefined;
  const fitting = usable.filter(([, p]) => gen.prefers(p));
  const others = usable.filter(([, p]) => !gen.prefers(p));
  const picked: Picked[] = [];
  for (let k = 0; k < gen.metricCount; k++) {
    const pool = fitting.length > 0 ? fitting : others;
    const [name, profile] = pool.splice(Math.floor(rng() * pool.length), 1)[0]!;
    picked.push({ name, profile });
  }
  return picked;
}

/** A seeded onset and the metrics to degrade from it; retried where every metric is at its top. */
function choose(
  gen: Generator,
  metrics: Readonly<Record<string, Float64Array>>,
  opts: InjectOptions,
  rng: Rng,
): { onset: number; failure: number; picked: Picked[] } | undefined {
  for (let attempt = 0; attempt < 8; attempt++) {
    const slot = place(gen, opts, rng);
    if (!slot) return undefined;
    const historyFrom = slot.onset - (opts.historyRows ?? 1440);
    const profiles = new Map(
      Object.entries(metrics).map(([name, v]) => [name, hostProfile(v, historyFrom, slot.onset)]),
    );
    const picked = pickMetrics(gen, profiles, rng);
    if (picked) return { ...slot, picked };
  }
  return undefined;
}

/**
 * Lays one seeded degradation of `kind` over a node's metrics, ending in a failure inside
 * [opts.from, opts.to]. Undefined when no onset fits clear of `opts.avoid` with metrics to degrade.
 */
export function inject(
  kind: DegradationKind,
  metrics: Readonly<Record<string, Float64Array>>,
  opts: InjectOptions,
): Injection | undefined {
  const gen = GENERATORS[kind];
  const rng = mulberry32(opts.seed);
  const chosen = choose(gen, metrics, opts, rng);
  if (!chosen) return undefined;
  const { onset, failure, picked } = chosen;
  const out: Record<string, Float64Array> = { ...metrics };
  const series = picked.map(({ name }) => Float64Array.from(metrics[name]!));
  for (const [k, { name }] of picked.entries()) out[name] = series[k]!;
  const params = gen.apply({
    series,
    profiles: picked.map((p) => p.profile),
    onset,
    failure,
    rng,
    limit: opts.limit ?? -Infinity,
  });
  return {
    kind,
    onsetAt: onset,
    failureAt: failure,
    affected: picked.map((p) => p.name),
    params,
    metrics: out,
  };
}
