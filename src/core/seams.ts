// The seams: small interfaces that each implementation (one file each) satisfies.
// See DESIGN.md; signatures may grow, but stay small.

import type { CalendarEvent } from './events.js';
import type { Forecast } from './forecast.js';
import type { Series, SeriesSet } from './series.js';

export interface MetricSource {
  /** Series for `query` between start and end (epoch ms), at `stepMs` when the source can resample. */
  range(query: string, start: number, end: number, stepMs?: number): Promise<SeriesSet>;
}

export interface EventCalendar {
  /** Occurrences overlapping [start, end), recurring events expanded. */
  events(start: number, end: number): Promise<CalendarEvent[]>;
}

export interface FittedModel {
  /** Predict `horizon` steps past the end of the fitted series at interval `level` in (0, 1). */
  predict(horizon: number, level: number): Forecast;
}

/** What the caller will ask of the fitted model, so a model can prepare for it (Prophet's interval). */
export interface FitHint {
  level?: number;
  horizon?: number;
}

export interface Forecaster {
  readonly name: string;
  /** Fewest points this forecaster needs for `series` to be trusted (depends on its seasonality). */
  minPoints(series: Series): number;
  /** Fit on a series, with the events that touch its history and its future. */
  fit(series: Series, events: readonly CalendarEvent[], hint?: FitHint): FittedModel;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
