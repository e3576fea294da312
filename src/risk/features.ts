// Causal features of a node's metrics, row by row: how far each metric has climbed above the top
// of its own normal range (a trailing day that ended 6 hours ago), past its own earlier
// excursions, for how long, how fast, and how far it sits above its seasonal forecast. Failure
// precursors push resource metrics up (memory, disk, latency, errors, temperature, CPU steal), so
// deviations count upward: feed "used", not "free". Each metric is described on its own, so one
// model serves nodes with any set of metrics, named or not.

import {
  DETECTOR_DEFAULTS,
  DETECTORS,
  type DetectorName,
  type DetectorRow,
  type DetectorSettings,
  MetricDetectors,
} from './detectors.js';
import { EwStats, lowerBound, Ring, RollingMin, zScore } from './stats.js';

export interface FeatureSettings {
  /** The normal range is the trailing window of this many minutes... */
  rangeMinutes: number;
  /** ...ending this long ago, so a degradation under way does not widen its own yardstick. */
  rangeLagMinutes: number;
  /** The span a climb is measured over. */
  climbMinutes: number;
  /** Half-life of the slow level compared with the range. */
  slowMinutes: number;
  /**
   * Where every metric's resource runs out. Metrics are fed as a share of their limit (used /
   * capacity, latency / timeout, errors / budget, temperature / trip point), so the default is 1.
   */
  limit: number;
  /** A projected time to the limit this long reads 0.5 on the exhaustion features. */
  exhaustionMinutes: number;
}

export const FEATURE_DEFAULTS: FeatureSettings = {
  rangeMinutes: 1440,
  rangeLagMinutes: 360,
  climbMinutes: 180,
  slowMinutes: 30,
  limit: 1,
  exhaustionMinutes: 360,
};

/** The short span a climb is projected from, beside the long `climbMinutes`. */
const SHORT_CLIMB_MINUTES = 30;

export interface MetricRow {
  /**
   * How far above the top of its normal range the metric's 5-minute level is, in range spreads.
   */
  excessFast: number;
  /** The same for the slow level: sustained, not a spike. */
  excessSlow: number;
  /** Share of recent rows above the top of the normal range. */
  aboveShare: number;
  /** Rise of the slow level over the climb span, in spreads. */
  climb: number;
  /** Signed error against the seasonal forecast, in robust units (see detectors.ts). */
  resid: number;
  /** Fast level against a slow exponentially weighted mean and spread, as a z-score. */
  level: number;
  /** Typical minute-to-minute change, in range spreads: spiky metrics cross their range often. */
  jitter: number;
  /** How far the excess now passes the highest this metric showed over a day ending 6 hours ago. */
  novelty: number;
  /** The fast level as a share of the limit, clipped to [-1, 2]. */
  fill: number;
  /**
   * How soon the slow level reaches the limit at its climb over the long span: E / (E + eta), eta
   * the projected minutes to the limit and E `exhaustionMinutes`; 0 when it is not climbing, 1 at
   * the limit. The same projected from the short span.
   */
  exhaustionSlow: number;
  exhaustionFast: number;
}

/** What the classifier sees of one metric at one row, in this order. */
export const METRIC_FEATURES = [
  'excess_fast',
  'excess_slow',
  'above_share',
  'climb',
  'resid',
  'level',
  'jitter',
  'novelty',
  'fill',
  'exhaustion_slow',
  'exhaustion_fast',
] as const;

export function metricVector(r: MetricRow): Float64Array {
  return metricVectorInto(r, new Float64Array(METRIC_FEATURES.length));
}

/** metricVector written into `out` (scoring reuses one buffer a row instead of allocating). */
export function metricVectorInto(r: MetricRow, out: Float64Array): Float64Array {
  out[0] = r.excessFast;
  out[1] = r.excessSlow;
  out[2] = r.aboveShare;
  out[3] = r.climb;
  out[4] = r.resid;
  out[5] = r.level;
  out[6] = r.jitter;
  out[7] = r.novelty;
  out[8] = r.fill;
  out[9] = r.exhaustionSlow;
  out[10] = r.exhaustionFast;
  return out;
}

const MINUTE = 60_000;
const RANGE_BUCKET_MINUTES = 5;

/** The normal range of a metric: median and top of its 5-minute means over a lagged trailing window. */
class NormalRange {
  private readonly ring: Ring;
  /** The window's bucket means, ascending. */
  private readonly sorted: number[] = [];
  private bucket = Number.NaN;
  private sum = 0;
  private n = 0;
  median = Number.NaN;
  top = Number.NaN;

  constructor(
    private readonly windowBuckets: number,
    private readonly lagBuckets: number,
  ) {
    this.ring = new Ring(windowBuckets + lagBuckets);
  }

  push(t: number, x: number): void {
    const b = Math.floor(t / (RANGE_BUCKET_MINUTES * MINUTE));
    if (b !== this.bucket) {
      if (this.n > 0) this.close(this.sum / this.n);
      this.bucket = b;
      this.sum = 0;
      this.n = 0;
    }
    this.sum += x;
    this.n++;
  }

  /**
   * A bucket closes: the bucket `lag` back enters the window, the oldest leaves it. The window is
   * kept sorted (a binary search and a shift each), so its median and top cost no sort per row.
   */
  private close(mean: number): void {
    const full = this.ring.length === this.ring.size;
    const leaving = full ? this.ring.ago(this.ring.size - 1) : Number.NaN;
    this.ring.push(mean);
    if (full && this.sorted.length > 0) this.sorted.splice(lowerBound(this.sorted, leaving), 1);
    if (this.ring.length > this.lagBuckets) {
      const entering = this.ring.ago(this.lagBuckets);
      this.sorted.splice(lowerBound(this.sorted, entering), 0, entering);
    }
    // A range needs a few hours behind it; until then there is no yardstick.
    if (this.sorted.length < Math.min(36, this.windowBuckets)) return;
    this.median = this.sorted[this.sorted.length >> 1]!;
    this.top = this.sorted[this.sorted.length - 1]!;
  }

  get ready(): boolean {
    return Number.isFinite(this.top);
  }

  /** At least a few typical minute-to-minute changes: a metric that is flat most of the day
   * would otherwise read every blip as a leap. */
  noise = 0;

  private get spread(): number {
    return Math.max(this.top - this.median, 3 * this.noise, 1e-9 + 0.02 * Math.abs(this.top));
  }

  /** (x - top) / spread: above 0 means beyond anything the window saw. */
  excess(x: number): number {
    if (!Number.isFinite(this.top)) return 0;
    return Math.max(-20, Math.min(20, (x - this.top) / this.spread));
  }

  /** A difference in spreads. */
  relative(d: number): number {
    if (!Number.isFinite(this.top)) return 0;
    return Math.min(20, d / this.spread);
  }
}

/** One metric's online state. */
class MetricState {
  private readonly fast = new EwStats(5);
  private readonly slow: EwStats;
  private readonly baseline: EwStats;
  private readonly above: EwStats;
  private readonly climbRing: Ring;
  private readonly shortClimbRing: Ring;
  private readonly range: NormalRange;
  private readonly detectors: MetricDetectors;
  /** The detectors' surprises at the newest row. */
  detected: DetectorRow = { seasonal: 0, shift: 0, limit: 0 };
  private readonly change: EwStats;
  private last = Number.NaN;
  /** Running maximum of the excess over a day that ended `rangeLag` ago, as a minimum of its negation. */
  private readonly pastExcess: RollingMin;
  private readonly delayedExcess: Ring;
  private previousMax = Number.NaN;

  private readonly minutesPerRow: number;

  constructor(
    rowsPerMinute: number,
    private readonly s: FeatureSettings,
    detectors: DetectorSettings,
  ) {
    const r = (minutes: number) => Math.max(1, Math.round(minutes * rowsPerMinute));
    this.detectors = new MetricDetectors(MINUTE / rowsPerMinute, { ...detectors, limit: s.limit });
    this.slow = new EwStats(r(s.slowMinutes));
    this.baseline = new EwStats(r(s.rangeMinutes / 2));
    this.above = new EwStats(r(s.climbMinutes / 2));
    this.change = new EwStats(r(s.rangeMinutes / 4));
    this.pastExcess = new RollingMin(r(s.rangeMinutes));
    this.delayedExcess = new Ring(r(s.rangeLagMinutes) + 1);
    this.climbRing = new Ring(r(s.climbMinutes) + 1);
    this.shortClimbRing = new Ring(r(SHORT_CLIMB_MINUTES) + 1);
    this.minutesPerRow = 1 / rowsPerMinute;
    this.range = new NormalRange(
      Math.round(s.rangeMinutes / RANGE_BUCKET_MINUTES),
      Math.round(s.rangeLagMinutes / RANGE_BUCKET_MINUTES),
    );
  }

  get ready(): boolean {
    return this.range.ready;
  }

  push(t: number, x: number): MetricRow {
    this.detected = this.detectors.push(t, x);
    const resid = this.detectors.z;
    if (!Number.isFinite(x))
      return {
        excessFast: 0,
        excessSlow: 0,
        aboveShare: 0,
        climb: 0,
        resid,
        level: 0,
        jitter: 0,
        novelty: 0,
        fill: 0,
        exhaustionSlow: 0,
        exhaustionFast: 0,
      };
    this.fast.push(x);
    this.slow.push(x);
    // The range and baseline as they stood before this row, so a row never explains itself.
    this.range.noise = this.change.count ? this.change.mean : 0;
    const excessFast = this.range.excess(this.fast.mean);
    const excessSlow = this.range.excess(this.slow.mean);
    this.above.push(excessFast > 0 ? 1 : 0);
    this.climbRing.push(this.slow.mean);
    this.shortClimbRing.push(this.slow.mean);
    const then = this.climbRing.ago(this.climbRing.size - 1);
    const climb = Number.isFinite(then) ? this.range.excess(this.slow.mean) - this.range.excess(then) : 0;
    const level = zScore(this.fast.mean, this.baseline.mean, this.baseline.std, this.baseline.mean);
    const jitter = this.range.relative(this.change.count ? this.change.mean : 0);
    // Compared with the excursions of a day that ended as long ago as the range does, so a
    // degradation under way never becomes its own yardstick.
    const novelty =
      this.range.ready && Number.isFinite(this.previousMax) ? Math.min(20, excessFast - this.previousMax) : 0;
    if (this.range.ready) {
      this.delayedExcess.push(excessFast);
      const delayed = this.delayedExcess.ago(this.delayedExcess.size - 1);
      if (Number.isFinite(delayed)) this.previousMax = -this.pastExcess.push(-delayed);
    }
    if (Number.isFinite(this.last)) this.change.push(Math.abs(x - this.last));
    this.last = x;
    this.baseline.push(x);
    this.range.push(t, x);
    return {
      excessFast,
      excessSlow,
      aboveShare: this.above.mean,
      climb,
      resid,
      level,
      jitter,
      novelty,
      // A metric that ran far past the limit is not a share of it: how full it is means nothing.
      fill: this.detectors.hasLimit ? Math.max(-1, Math.min(2, this.fast.mean / this.s.limit)) : 0,
      exhaustionSlow: this.detectors.hasLimit ? this.exhaustion(this.climbRing) : 0,
      exhaustionFast: this.detectors.hasLimit ? this.exhaustion(this.shortClimbRing) : 0,
    };
  }

  /** How soon the slow level reaches the limit at the climb held in `ring` (see MetricRow). */
  private exhaustion(ring: Ring): number {
    const span = ring.size - 1;
    const then = ring.ago(span);
    if (!Number.isFinite(then) || span <= 0) return 0;
    const room = this.s.limit - this.slow.mean;
    if (room <= 0) return 1;
    const perMinute = (this.slow.mean - then) / (span * this.minutesPerRow);
    if (!(perMinute > 0)) return 0;
    const eta = room / perMinute;
    return this.s.exhaustionMinutes / (this.s.exhaustionMinutes + eta);
  }
}

export interface NodeRow {
  rows: Map<string, MetricRow>;
  /** Each detector's surprise: its most surprising metric's. */
  detectors: DetectorRow;
  /** The metric behind each detector's surprise, where one spoke. */
  detectorBlame: Partial<Record<DetectorName, string>>;
  ready: boolean;
}

/** A node's features, row by row, for whatever metrics its rows carry. */
export class NodeFeatures {
  private readonly metrics = new Map<string, MetricState>();
  private readonly rowsPerMinute: number;

  constructor(
    stepMs: number,
    private readonly settings: FeatureSettings = FEATURE_DEFAULTS,
    private readonly detectorSettings: DetectorSettings = DETECTOR_DEFAULTS,
  ) {
    this.rowsPerMinute = MINUTE / stepMs;
  }

  /** Every metric's row, each detector's surprise and the metric behind it, and whether any metric has a normal range yet. */
  push(t: number, values: Readonly<Record<string, number>>): NodeRow {
    const rows = new Map<string, MetricRow>();
    const detectors: DetectorRow = { seasonal: 0, shift: 0, limit: 0 };
    const detectorBlame: Partial<Record<DetectorName, string>> = {};
    for (const [name, x] of Object.entries(values)) {
      let state = this.metrics.get(name);
      if (!state) {
        state = new MetricState(this.rowsPerMinute, this.settings, this.detectorSettings);
        this.metrics.set(name, state);
      }
      rows.set(name, state.push(t, x));
      for (const k of DETECTORS) {
        if (state.detected[k] > detectors[k]) {
          detectors[k] = state.detected[k];
          detectorBlame[k] = name;
        }
      }
    }
    // The most surprising of k metrics is surprising by chance k times as often: a node of thirty
    // metrics and a single series must mean the same by the same surprise.
    const chance = Math.log10(Math.max(1, rows.size));
    for (const k of DETECTORS) detectors[k] = Math.max(0, detectors[k] - chance);
    let ready = false;
    for (const state of this.metrics.values()) ready ||= state.ready;
    return { rows, detectors, detectorBlame, ready };
  }
}
