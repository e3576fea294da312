// The seasonal-forecast residual detector: how far a metric sits from what augurs' MSTL (with
// AutoETS) expected of it, in units of the forecast's own interval. The model is refitted on a
// trailing window of 30-minute means at fixed points of the stream and forecasts until the next
// refit, so the z-score at a row uses only rows before it (the refit points depend on the row
// count alone, so appending rows never changes an earlier score).

import { etsModule, mstlModule } from '../forecast/wasm.js';
import { EwStats } from './stats.js';

export interface ResidualSettings {
  /** Width of one bucket the model sees, in ms (30 minutes: a daily season of 48 keeps MSTL's
   * decomposition at ~6 ms a fit, against ~25 ms for 96 fifteen-minute buckets). */
  bucketMs: number;
  /** Buckets of history the model is fitted on (3 days). */
  windowBuckets: number;
  /** Buckets between refits, and so the forecast's horizon (6 hours). */
  refitBuckets: number;
  /** Buckets in one season (a day). */
  seasonBuckets: number;
  /** Fewest buckets before the first fit (a day). */
  minBuckets: number;
}

export const RESIDUAL_DEFAULTS: ResidualSettings = {
  bucketMs: 30 * 60_000,
  windowBuckets: 3 * 48,
  refitBuckets: 12,
  seasonBuckets: 48,
  minBuckets: 48,
};

const LEVEL = 0.95;
const Z_95 = 1.959964;

/** One metric's detector; `push` returns the residual z of the newest value (0 while warming up). */
export class SeasonalResidual {
  private readonly buckets: number[] = [];
  private bucket = Number.NaN;
  private sum = 0;
  private n = 0;
  private completed = 0;
  private mean: Float64Array | undefined;
  private half: Float64Array | undefined;
  private fittedAt = 0;
  private readonly recent = new EwStats(30);

  constructor(private readonly settings: ResidualSettings = RESIDUAL_DEFAULTS) {}

  push(t: number, x: number): number {
    const b = Math.floor(t / this.settings.bucketMs);
    if (b !== this.bucket) this.closeBucket(b);
    if (Number.isFinite(x)) {
      this.sum += x;
      this.n++;
      this.recent.push(x);
    }
    return this.z(b);
  }

  private closeBucket(next: number): void {
    if (this.n > 0) {
      this.buckets.push(this.sum / this.n);
      if (this.buckets.length > this.settings.windowBuckets) this.buckets.shift();
      this.completed++;
      if (this.completed >= this.settings.minBuckets && this.completed % this.settings.refitBuckets === 0) {
        this.refit();
      }
    }
    this.bucket = next;
    this.sum = 0;
    this.n = 0;
  }

  private refit(): void {
    const s = this.settings;
    const history = Float64Array.from(this.buckets);
    const periods = history.length >= 2 * s.seasonBuckets ? [s.seasonBuckets] : [];
    const forecast = fitAndForecast(history, periods, s.refitBuckets);
    this.fittedAt = this.completed;
    this.mean = forecast?.mean;
    this.half = forecast?.half;
  }

  private z(bucket: number): number {
    if (!this.mean || !this.half) return 0;
    const ahead = this.completed - this.fittedAt;
    if (ahead >= this.mean.length || !Number.isFinite(bucket)) return 0;
    const expected = this.mean[ahead]!;
    const sigma = Math.max(this.half[ahead]! / Z_95, 1e-9 + 0.01 * Math.abs(expected));
    const z = (this.recent.mean - expected) / sigma;
    return Number.isFinite(z) ? Math.max(-50, Math.min(50, z)) : 0;
  }
}

interface Prediction {
  point: ArrayLike<number>;
  intervals?: { lower: ArrayLike<number>; upper: ArrayLike<number> } | null;
}

function fitAndForecast(
  history: Float64Array,
  periods: number[],
  horizon: number,
): { mean: Float64Array; half: Float64Array } | undefined {
  const first = history[0]!;
  // AutoETS finds no model for a constant window; a flat metric has no residual to speak of.
  if (history.every((v) => v === first)) return undefined;
  // Until the window holds two seasons, and whenever STL fails, AutoETS alone (no seasonal term).
  const models: (() => {
    fit(y: Float64Array): void;
    predict(h: number, level: number): Prediction;
    free(): void;
  })[] = [() => new (etsModule().AutoETS)(1, 'ZZN')];
  if (periods.length) models.unshift(() => mstlModule().MSTL.ets(periods));
  for (const make of models) {
    try {
      const model = make();
      let out: Prediction;
      try {
        model.fit(history);
        out = model.predict(horizon, LEVEL);
      } finally {
        model.free();
      }
      const mean = Float64Array.from(out.point);
      const upper = out.intervals?.upper ?? out.point;
      const lower = out.intervals?.lower ?? out.point;
      const half = mean.map((_, i) => Math.max(0, (upper[i]! - lower[i]!) / 2));
      if (mean.every(Number.isFinite) && half.every(Number.isFinite)) return { mean, half };
    } catch {
      // Try the next model; with none, no forecast (and a z of 0) until the next refit.
    }
  }
  return undefined;
}
