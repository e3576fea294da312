// Detectors that need no labels from the host they watch. Each adapts online to one metric's own
// level, noise and daily season, and says how surprising the newest row is on a scale every metric
// shares, so one threshold serves CPU in percent, bytes on a network card and request latency in
// seconds alike:
// - seasonal: how far the row sits from a level-plus-daily-season forecast, in robust units of the
//   forecast's own recent error (two-sided: a dead node's load drops);
// - shift: the mean of the last few rows against the few before them, in the same robust units, for
//   a level that jumped (the seasonal forecast follows a new level within the hour, so a step
//   shows there only briefly; a slow daily swing moves little between two short spans);
// - limit: how soon the metric, climbing at its recent pace, reaches the limit of its resource
//   (only for metrics fed as a share of that limit; a metric far past it, or below 0, has no known limit).
// Every statistic uses rows before the newest only to set its yardstick, so appending rows never
// changes an earlier row's output. O(1) state and work per row, apart from one slot per row of the
// day for the season.

import { alphaFor } from './stats.js';

export const DETECTORS = ['seasonal', 'shift', 'limit'] as const;
export type DetectorName = (typeof DETECTORS)[number];

export interface DetectorSettings {
  /** Half-life of the forecast's level, in minutes: how fast it follows a new normal. */
  levelMinutes: number;
  /** Half-life of the robust error scale, in minutes. */
  scaleMinutes: number;
  /** Rows before any detector speaks (its yardsticks need that many). */
  warmupRows: number;
  /** Days of history before the daily season is used. */
  seasonDays: number;
  /** The shift compares the mean of the last this many minutes with the same span before it. */
  shiftMinutes: number;
  /** Span the climb towards the limit is measured over, in minutes. */
  climbMinutes: number;
  /** Horizon of the time-to-limit: reaching the limit this soon reads 0.5. */
  limitMinutes: number;
  /** The value at which the metric's resource runs out (1: metrics fed as a share). */
  limit: number;
  /**
   * Half-life, in rows, of the short average every surprise is taken over: half a row, so the
   * newest row weighs three quarters (an incident is seen on its first row, a lone noisy row a little damped).
   */
  smoothRows: number;
  /** Half-life of the history each statistic's rarity is judged against, in minutes. */
  tailMinutes: number;
}

export const DETECTOR_DEFAULTS: DetectorSettings = {
  levelMinutes: 60,
  scaleMinutes: 1440,
  warmupRows: 60,
  seasonDays: 3,
  shiftMinutes: 15,
  climbMinutes: 60,
  limitMinutes: 60,
  limit: 1,
  smoothRows: 0.5,
  tailMinutes: 1440,
};

/** One row's outputs: each detector's surprise (≥ 0, in units of −log10 of a tail probability). */
export interface DetectorRow {
  seasonal: number;
  shift: number;
  limit: number;
}

const ZERO: DetectorRow = { seasonal: 0, shift: 0, limit: 0 };

/** Surprises stop growing here: a tail probability of 1e-12 is as sure as evidence gets. */
export const MAX_SURPRISE = 12;

/** P(|Z| ≥ z) for a standard normal Z. */
export function normalTail(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

const TAIL_BINS = 72;
const TAIL_BASE = Math.log(1.1);

/**
 * How rare a value of a non-negative statistic is in this metric's own history: the decayed share
 * of earlier values at least as large, blended with a prior worth `priorRows` rows: the upper tail
 * of a normal fitted to the same history (its spread floored at `minSpread`). A heavy-tailed metric
 * so learns that its large values are ordinary, a value far beyond its history stays rare, and a
 * statistic that drifts up slowly (a season not learned yet) is judged against where it has been.
 * Log-spaced bins: O(bins) a row.
 */
export class TailEstimator {
  /** Decayed counts, all scaled by `scale` (the weight of the newest row): decay costs nothing a row. */
  private readonly counts = new Float64Array(TAIL_BINS);
  private scaledTotal = 0;
  private scale = 1;
  private readonly keep: number;
  private mean = 0;
  private variance = 0;

  constructor(
    halfLifeRows: number,
    private readonly minSpread: number,
    private readonly priorRows = 50,
  ) {
    this.keep = 1 - alphaFor(halfLifeRows);
  }

  /** The decayed number of rows seen. */
  private get total(): number {
    return this.scaledTotal / this.scale;
  }

  /** −log10 of the tail probability of `v`, judged on the values pushed before it. */
  surprise(v: number): number {
    if (!(v > 0) || this.scaledTotal === 0) return 0;
    const bin = binOf(v);
    let above = 0;
    for (let k = bin; k < TAIL_BINS; k++) above += this.counts[k]!;
    // Values in v's own bin count half: the bin straddles v.
    above = (above - this.counts[bin]! / 2) / this.scale;
    const spread = Math.max(this.minSpread, Math.sqrt(this.variance));
    const z = (v - this.mean) / spread;
    const prior = z <= 0 ? 1 : normalTail(z) / 2;
    const p = (above + this.priorRows * prior) / (this.total + this.priorRows);
    return Math.min(MAX_SURPRISE, -Math.log10(Math.max(1e-300, p)));
  }

  push(v: number): void {
    if (!Number.isFinite(v)) return;
    // Every older row's weight falls by `keep`: the same as the newest row's rising by 1 / keep.
    if (this.scaledTotal > 0) this.scale /= this.keep;
    if (this.scale > 1e150) {
      for (let k = 0; k < TAIL_BINS; k++) this.counts[k]! /= this.scale;
      this.scaledTotal /= this.scale;
      this.scale = 1;
    }
    this.counts[binOf(Math.max(0, v))]! += this.scale;
    this.scaledTotal += this.scale;
    // West's weighted mean and variance, equal weights until the half-life has filled.
    const a = Math.max(1 - this.keep, 1 / this.total);
    const d = v - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
  }
}

function binOf(v: number): number {
  return Math.min(TAIL_BINS - 1, Math.floor(Math.log1p(v) / TAIL_BASE));
}

const MINUTE = 60_000;
/** A climb over the climb span must pass this many noise sigmas before it is projected. */
const CLIMB_SIGMAS = 4;
/** Near the limit: at or above this share of it; a metric there on more than NEAR_LIMIT_SHARE of a day lives there. */
const NEAR_LIMIT = 0.95;
const NEAR_LIMIT_SHARE = 0.1;
/** Minutes near the limit, in all, after which a metric is known to live through touching it. */
const LIVED_AT_LIMIT_MINUTES = 60;
/** Mean absolute difference of two independent normal values, in standard deviations: 2 / √π. */
const MAD_TO_SIGMA = 2 / Math.sqrt(Math.PI);
const DAY = 1440 * MINUTE;
/** Mean absolute error of a normal variable, in standard deviations. */
const MAE_TO_SIGMA = Math.sqrt(Math.PI / 2);

/** One metric's detectors. */
export class MetricDetectors {
  private rows = 0;
  private level = Number.NaN;
  private readonly season: Float64Array | undefined;
  private readonly seasonSeen: Uint16Array | undefined;
  private readonly slotMs: number;
  private mae = Number.NaN;
  private readonly recent: Float64Array;
  private seasonalAvg = 0;
  private shiftAvg = 0;
  private maxSeen = -Infinity;
  private minSeen = Infinity;
  private readonly climb: Float64Array;
  private climbAt = 0;
  private slowLevel = Number.NaN;
  /** The slow level without the day's season. */
  private slowTrend = Number.NaN;
  /** Mean absolute change from one row to the next. */
  private noise = Number.NaN;
  /** Share of the last day's rows near the limit (decayed). */
  private nearLimit = 0;
  /** Minutes spent near the limit so far, in all. */
  private minutesNearLimit = 0;
  private last = Number.NaN;
  private readonly aLevel: number;
  private readonly aScale: number;
  private readonly aSeason: number;
  private readonly aSlow: number;
  private readonly aSmooth: number;
  private readonly aDay: number;
  private readonly stepMinutes: number;
  private readonly seasonalTail: TailEstimator;
  /** The newest row's signed error against the seasonal forecast, in robust units (0 until known). */
  z = 0;
  private readonly shiftTail: TailEstimator;

  constructor(
    stepMs: number,
    private readonly s: DetectorSettings = DETECTOR_DEFAULTS,
  ) {
    const perRow = (minutes: number) => Math.max(1, (minutes * MINUTE) / stepMs);
    this.stepMinutes = stepMs / MINUTE;
    this.aLevel = alphaFor(perRow(s.levelMinutes));
    this.aScale = alphaFor(perRow(s.scaleMinutes));
    this.aSlow = alphaFor(perRow(Math.min(5, s.climbMinutes / 4)));
    this.aSmooth = alphaFor(s.smoothRows);
    this.aDay = alphaFor(perRow(1440));
    const tailRows = Math.max(200, perRow(s.tailMinutes));
    this.seasonalTail = new TailEstimator(tailRows, 0.5);
    this.shiftTail = new TailEstimator(tailRows, 0.5);
    // A slot's value moves by about a third each day it is seen.
    this.aSeason = 0.3;
    const slots = Math.round(DAY / stepMs);
    // A daily season needs sub-daily rows, and more than a few slots to be worth keeping.
    if (stepMs < DAY && slots >= 4 && slots <= 2880) {
      this.season = new Float64Array(slots);
      this.seasonSeen = new Uint16Array(slots);
    }
    this.slotMs = DAY / slots;
    // Two spans of at least five rows each, so one noisy row cannot make a step.
    this.recent = new Float64Array(2 * Math.max(5, Math.round(perRow(s.shiftMinutes)))).fill(Number.NaN);
    this.climb = new Float64Array(Math.max(2, Math.round(perRow(s.climbMinutes)) + 1)).fill(Number.NaN);
  }

  push(t: number, x: number): DetectorRow {
    this.z = 0;
    if (!Number.isFinite(x)) return ZERO;
    this.rows++;
    const slot = this.season ? Math.floor(t / this.slotMs) % this.season.length : 0;
    const seasonal = this.seasonalTerm(slot);
    let out = ZERO;
    if (Number.isFinite(this.level)) {
      const error = x - (this.level + seasonal);
      // The yardstick as it stood before this row.
      const sigma = Math.max(this.mae * MAE_TO_SIGMA, 1e-9 * (1 + Math.abs(this.level)));
      const z = Number.isFinite(sigma) && this.mae > 0 ? error / sigma : 0;
      this.z = Math.max(-50, Math.min(50, z));
      this.learnScale(Math.abs(error), sigma);
      const step = this.step(x, sigma);
      this.seasonalAvg += this.aSmooth * (Math.abs(z) - this.seasonalAvg);
      this.shiftAvg += this.aSmooth * (step - this.shiftAvg);
      const limit = this.timeToLimit(x, seasonal);
      if (this.rows > this.s.warmupRows) {
        out = {
          seasonal: this.seasonalTail.surprise(this.seasonalAvg),
          shift: this.shiftTail.surprise(this.shiftAvg),
          limit,
        };
      }
      this.seasonalTail.push(this.seasonalAvg);
      this.shiftTail.push(this.shiftAvg);
      this.level += this.aLevel * (x - seasonal - this.level);
    } else {
      this.level = x;
      this.slowLevel = x;
    }
    this.learnSeason(slot, x);
    this.maxSeen = Math.max(this.maxSeen, x);
    this.minSeen = Math.min(this.minSeen, x);
    return out;
  }

  /** |mean of the newer span − mean of the older| in standard errors of that difference. */
  private step(x: number, sigma: number): number {
    const n = this.recent.length;
    this.recent[(this.rows - 1) % n] = x;
    if (this.rows < n || !(sigma > 0)) return 0;
    const half = n / 2;
    let newer = 0;
    let older = 0;
    for (let k = 0; k < half; k++) {
      newer += this.recent[(this.rows - 1 - k) % n]!;
      older += this.recent[(this.rows - 1 - half - k) % n]!;
    }
    const z = Math.abs(newer - older) / half / (sigma * Math.sqrt(2 / half));
    return Number.isFinite(z) ? Math.min(50, z) : 0;
  }

  private seasonalTerm(slot: number): number {
    if (!this.season || !this.seasonSeen) return 0;
    return this.seasonSeen[slot]! >= this.s.seasonDays ? this.season[slot]! : 0;
  }

  private learnSeason(slot: number, x: number): void {
    if (!this.season || !this.seasonSeen || !Number.isFinite(this.level)) return;
    const deviation = x - this.level;
    const seen = this.seasonSeen[slot]!;
    // The first visits average equally; later ones weigh a third each.
    const a = Math.max(this.aSeason, 1 / (seen + 1));
    this.season[slot] = this.season[slot]! + a * (deviation - this.season[slot]!);
    if (seen < 65535) this.seasonSeen[slot] = seen + 1;
  }

  /** Mean absolute error, with each error capped at 5 sigma so an incident does not widen its own yardstick. */
  private learnScale(absError: number, sigma: number): void {
    if (!Number.isFinite(this.mae)) {
      this.mae = absError;
      return;
    }
    const capped = this.mae > 0 ? Math.min(absError, 5 * sigma) : absError;
    const a = Math.max(this.aScale, 1 / this.rows);
    this.mae += a * (capped - this.mae);
  }

  /**
   * How soon the slow level reaches the limit at its climb over the climb span: L / (L + eta) with
   * eta the projected minutes and L the horizon (0 when not climbing, 1 at the limit), as a
   * surprise. A metric that has run far past the limit is not a share of it: no limit known.
   */
  /**
   * Whether the metric reads as a share of its limit: it never ran far past it, and never below 0
   * (a share cannot: a metric that did is centred or standardised, and 1 is nothing to it).
   */
  get hasLimit(): boolean {
    return !(this.maxSeen > 2 * this.s.limit) && !(this.minSeen < 0);
  }

  private timeToLimit(x: number, seasonal: number): number {
    const step = Number.isFinite(this.last) ? Math.abs(x - this.last) : Number.NaN;
    // The noise of one row, from its typical change: a trend adds little to a row's change.
    const sigma = Number.isFinite(this.noise) ? this.noise / MAD_TO_SIGMA : Number.NaN;
    if (Number.isFinite(step))
      this.noise = Number.isFinite(this.noise) ? this.noise + this.aScale * (step - this.noise) : step;
    this.last = x;
    const wasNear = this.nearLimit;
    // Equal weights until a day has been seen, so a metric near its limit from the start is known as such.
    const a = Math.max(this.aDay, 1 / this.rows);
    const near = x >= NEAR_LIMIT * this.s.limit;
    this.nearLimit += a * ((near ? 1 : 0) - this.nearLimit);
    if (near) this.minutesNearLimit += this.stepMinutes;
    this.slowLevel += this.aSlow * (x - this.slowLevel);
    // The climb is measured without the day's season: a ramp the metric makes every morning is
    // not a trend toward the limit (until the season is learned, it counts as one).
    const trend = Number.isFinite(this.slowTrend) ? this.slowTrend : x - seasonal;
    this.slowTrend = trend + this.aSlow * (x - seasonal - trend);
    const n = this.climb.length;
    const then = this.climb[this.climbAt % n]!;
    this.climb[this.climbAt % n] = this.slowTrend;
    this.climbAt++;
    // A climb within a few times the metric's own row-to-row noise is a wander, not a trend to
    // project; a metric that lives near its limit (a scale whose top is its everyday value, a
    // cache kept full) is not running out when it touches it.
    if (!this.hasLimit || !Number.isFinite(then) || !(this.slowTrend - then > CLIMB_SIGMAS * sigma)) return 0;
    if (wasNear > NEAR_LIMIT_SHARE) return 0;
    // Nor is one that has already spent an hour there and run on: its "limit" is only its top
    // (a metric scaled to the largest value it ever had), not where its resource runs out.
    if (this.minutesNearLimit > LIVED_AT_LIMIT_MINUTES) return 0;
    const perMinute = (this.slowTrend - then) / ((n - 1) * this.stepMinutes);
    // An exponentially weighted mean trails a steady climb by (1 - a) / a rows: add that back.
    const now = this.slowLevel + Math.max(0, perMinute) * this.stepMinutes * ((1 - this.aSlow) / this.aSlow);
    const room = this.s.limit - now;
    // Only a metric on its way there: one that sits at its limit (a scale whose top is its
    // everyday value) is not running out.
    let share: number;
    if (!(perMinute > 0)) share = 0;
    else if (room <= 0) share = 1;
    else share = this.s.limitMinutes / (this.s.limitMinutes + room / perMinute);
    return share <= 0 ? 0 : Math.min(MAX_SURPRISE, -Math.log10(Math.max(1e-12, 1 - share)));
  }
}
