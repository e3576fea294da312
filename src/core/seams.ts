// The seams: small interfaces that each implementation (one file each) satisfies.
// See README, "Development"; signatures may grow, but stay small.

import type { CalendarEvent } from './events.js';
import type { Forecast } from './forecast.js';
import type { PoolState } from './plan.js';
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
  /**
   * Frees what the model holds outside the JavaScript heap (augurs' WebAssembly objects, which
   * the garbage collector does not see grow): call it once done; predict may not be called after.
   * Without it, a process that fits often (run's schedule, a replay) grows by every fit.
   */
  dispose?(): void;
}

/** What the caller will ask of the fitted model, so a model can prepare for it (Prophet's interval). */
export interface FitHint {
  level?: number;
  horizon?: number;
  /**
   * A selection an earlier fit made (`auto`'s `report.selection`), to reuse instead of backtesting
   * again while it still suits this history. Forecasters that select nothing ignore it.
   */
  selection?: ModelSelection;
}

/**
 * Which model(s) `auto` forecasts with, and how its interval is calibrated: plain JSON, so a caller
 * can keep it between fits (or runs) and pass it back in `FitHint.selection`.
 */
export interface ModelSelection {
  /** A candidate's name, or "consensus". */
  chosen: string;
  /** The weight each candidate's forecast got; only those above 0 are fitted. */
  weights: Record<string, number>;
  /** Interval scale factors from the backtest folds (forecast/calibrate.ts), for `level` only. */
  calibration: { lower: number; upper: number; points: number };
  /** The interval level, horizon (steps) and sampling step the backtest was run for. */
  level: number;
  horizon: number;
  stepMs: number;
  stepMonths?: number;
  /** Backtest folds behind it: 0 when the history was too short to backtest anything. */
  folds: number;
  /** The series it was made on, and the timestamp (epoch ms) of that history's last point. */
  series: string;
  madeAt: number;
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

/** What a deployer reports while it works: for the journal, the progress display and the report. */
export interface DeployEvent {
  at: number;
  pool: string;
  kind:
    'update-started' | 'update-done' | 'update-failed' | 'instance-ready' | 'instance-failed' | 'rollback';
  message: string;
}

export interface ApplyOptions {
  /** The plan step being applied, for the journal and for idempotence. */
  stepId?: string;
  onEvent?: (event: DeployEvent) => void;
}

export interface ApplyResult {
  ok: boolean;
  /** The pool's state as the target has it after the update (unchanged when the update failed). */
  state: PoolState;
  /** Why it failed, when it did. */
  reason?: string;
}

/** Applies one pool's desired state as one update (a Pulumi stack update, or the simulated fleet). */
export interface Deployer {
  current(pool: string): Promise<PoolState>;
  apply(pool: string, desired: PoolState, options?: ApplyOptions): Promise<ApplyResult>;
  rollback(pool: string, to: PoolState, options?: ApplyOptions): Promise<ApplyResult>;
  /**
   * Optional: stops an update under way (Pulumi: `stack.cancel()`), so a rollback after a step's
   * deadline can take the stack. A deployer whose updates cannot hang leaves it out.
   */
  cancel?(pool: string): Promise<void>;
}

/** A threshold a gate's window broke: the metric, which bound at what limit, and the worst value seen. */
export interface GateBreach {
  metric: string;
  bound: 'max' | 'min';
  limit: number;
  /** The highest value in the window for a max, the lowest for a min. */
  worst: number;
}

/**
 * A gate's verdict. A failure from thresholds says which, each with its worst value
 * (`breaches`): the executor then holds a step to the health the pool had before it; a failure
 * without them (missing data, an unreadable source, an injected fault) always fails the step.
 */
export type GateResult = { pass: true } | { pass: false; reason: string; breaches?: GateBreach[] };

/** Reads health metrics over a window after a step; fails with the metric and value that broke. */
export interface HealthGate {
  check(pool: string, start: number, end: number): Promise<GateResult>;
}
