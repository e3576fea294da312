// The forecast's own accuracy, monitored run after run: each run's forecast is kept, and the next
// runs score the points they have since observed against it. Pure: the state, the previous
// forecast and the observed series in, the new state and its error out; the caller keeps the state.

import type { Forecast } from '../core/forecast.js';
import type { Series } from '../core/series.js';

/** One forecast point once its actual value is known. */
export interface ScoredPoint {
  /** Epoch ms of the point. */
  t: number;
  mean: number;
  lower: number;
  upper: number;
  actual: number;
}

/** What a pool keeps between runs (STATE/forecasts/POOL/accuracy.json). */
export interface AccuracyState {
  v: 1;
  /** Scored points in time order, only those inside the window of the latest update. */
  points: ScoredPoint[];
}

export interface AccuracySummary {
  /** Points scored inside the window. */
  points: number;
  /** Mean absolute percentage error, in % (points whose actual is 0 are left out); NaN with no points. */
  mape: number;
  /** Share of points inside [lower, upper]; NaN with no points. */
  coverage: number;
  /** The interval's nominal coverage, to compare `coverage` with. */
  level?: number;
}

export const EMPTY_ACCURACY: AccuracyState = { v: 1, points: [] };

/**
 * Adds the points of `previous` that `observed` now covers (by exact timestamp, first prediction
 * of a point kept), drops points older than `windowMs` before the newest observation, and scores
 * what is left.
 */
export function updateAccuracy(
  state: AccuracyState,
  previous: Forecast | undefined,
  observed: Pick<Series, 'timestamps' | 'values'>,
  windowMs: number,
): { state: AccuracyState; summary: AccuracySummary } {
  const byTime = new Map<number, ScoredPoint>();
  for (const p of state.points) byTime.set(p.t, p);
  if (previous) {
    const actualAt = new Map<number, number>();
    observed.timestamps.forEach((t, i) => actualAt.set(t, observed.values[i]!));
    previous.timestamps.forEach((t, i) => {
      const actual = actualAt.get(t);
      if (actual === undefined || !Number.isFinite(actual) || byTime.has(t)) return;
      byTime.set(t, {
        t,
        mean: previous.mean[i]!,
        lower: previous.lower[i]!,
        upper: previous.upper[i]!,
        actual,
      });
    });
  }
  const newest = observed.timestamps.at(-1) ?? -Infinity;
  const points = [...byTime.values()].filter((p) => p.t > newest - windowMs).sort((a, b) => a.t - b.t);
  return { state: { v: 1, points }, summary: summarize(points, previous?.level) };
}

export function summarize(points: readonly ScoredPoint[], level?: number): AccuracySummary {
  let ape = 0;
  let counted = 0;
  let inside = 0;
  for (const p of points) {
    if (p.actual !== 0) {
      ape += Math.abs(p.actual - p.mean) / Math.abs(p.actual);
      counted++;
    }
    if (p.actual >= p.lower && p.actual <= p.upper) inside++;
  }
  return {
    points: points.length,
    mape: counted ? (100 * ape) / counted : NaN,
    coverage: points.length ? inside / points.length : NaN,
    ...(level === undefined ? {} : { level }),
  };
}
