// Leading signals: series that may run ahead of demand (a mention or sentiment index, ticket
// sales, sign-ups, marketing sends), each tried as a lagged regressor on top of a base forecaster.
//
// For one signal and the demand history, the lag L (1..maxLag steps) is the one whose seasonally
// differenced signal, L steps earlier, correlates best with the seasonally differenced demand;
// its effect is the least-squares slope of the one on the other. Differencing by a season removes
// the level and the seasons both series share, so neither a common daily rhythm nor a trend makes
// an unrelated signal look useful, and a correlation that does not stand out from noise drops the
// signal before any backtest.
//
// A signal is only known L steps ahead, so it only forecasts those steps: there the base model is
// fitted on demand minus the contributions of the signals known that far ahead, and the (known)
// contributions are added back to its forecast. Steps beyond every signal's lag are the base
// model's forecast of demand itself, exactly as without signals: a signal never guesses its own
// future.
//
// A signal is kept only when a rolling-origin backtest of the whole thing (lag and effect learned
// again on each fold's training prefix, the signal cut at the fold's origin, as it would have been
// known then) beats the forecast without it in MASE by at least `minGain`; signals are tried in
// the order given, each on top of those kept before it. The model says which were used, at what
// lag, with what effect and what each added, and why the others were dropped.
//
// Pure: no I/O, no clock. Signals arrive as series; reading them is the caller's business.

import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { FitHint, FittedModel, Forecaster } from '../core/seams.js';
import { type Series, seasonLength } from '../core/series.js';
import { backtest, type Fold, prefix, rollingOrigins, type Scores, scoreFolds } from './backtest.js';
import { applyCalibration, type Calibration, calibrationFromFolds } from './calibrate.js';
import { formatDuration } from '../core/time-format.js';
import { fitHistory } from './history.js';
import { isNonNegative, quantile } from './quantile.js';

/** A signal: its series, and optionally its own longest lag (steps) instead of the settings'. */
export type LeadingSignal = Series & { maxLag?: number };

export interface SignalSettings {
  /** Longest lag tried, in steps of the demand series (at least 1), for signals without their own. */
  maxLag: number;
  /** Relative backtest MASE improvement a signal must bring to be kept (0.01 = 1 % lower). */
  minGain: number;
  /** Backtest folds. */
  folds: number;
}

export const DEFAULT_SIGNAL_SETTINGS: Readonly<SignalSettings> = { maxLag: 24, minGain: 0.01, folds: 3 };

/**
 * How far a lagged correlation must stand out from noise before the signal is even backtested: a
 * z-score of the correlation over the pairs it rests on, high enough that the best of a few dozen
 * lags of an unrelated series rarely passes by chance.
 */
const MIN_CORRELATION_Z = 3.5;

export interface SignalUse {
  name: string;
  /** Steps the signal runs ahead of demand, and the same in milliseconds. */
  lag: number;
  lagMs: number;
  /** Demand units per signal unit. */
  effect: number;
  /** Correlation of the differenced series at that lag, on the whole history. */
  correlation: number;
  /** Relative backtest MASE improvement it brought (0.31 = 31 % lower). */
  gain: number;
}

export interface SignalDrop {
  name: string;
  reason: string;
  vanished?: true;
}

export interface SignalReport {
  used: SignalUse[];
  /** Signals left out and why; `vanished` when the signal had no recent data (an alert, not a failure). */
  dropped: SignalDrop[];
  /** Backtest scores without any signal and with the signals used (absent without a backtest). */
  baseScores?: Scores;
  scores?: Scores;
  folds: number;
  /**
   * Interval calibration of the steps the signals forecast, from the backtest folds (the base
   * model's own calibration covers the rest).
   */
  calibration: Calibration;
}

export interface SignalModel extends FittedModel {
  signals: SignalReport;
  /** The base model's own report (auto's selection, made on demand itself), when it has one. */
  report?: unknown;
}

/** A signal's lag and effect as learned on some history. */
export interface Lagged {
  name: string;
  lag: number;
  effect: number;
  correlation: number;
  /** The signal's mean over the history: contributions are effect * (value - centre). */
  centre: number;
}

const NO_CALIBRATION: Calibration = { lower: 1, upper: 1, points: 0 };

/** Wraps `base` so each fit tries `signals` as lagged regressors (see the file's head). */
export class SignalForecaster implements Forecaster {
  readonly name: string;

  constructor(
    private readonly base: Forecaster,
    private readonly signals: readonly LeadingSignal[],
    private readonly settings: SignalSettings = { ...DEFAULT_SIGNAL_SETTINGS },
  ) {
    this.name = base.name;
  }

  minPoints(series: Series): number {
    return this.base.minPoints(series);
  }

  fit(history: Series, events: readonly CalendarEvent[], hint: FitHint = {}): SignalModel {
    const series = fitHistory(history);
    const level = hint.level ?? 0.8;
    const m = seasonLength(series);
    const horizon = hint.horizon ?? Math.max(m, 1);
    const maxLag = Math.max(1, Math.floor(this.settings.maxLag));
    const longest = Math.max(maxLag, ...this.signals.map((s) => lagBound(s, maxLag)));
    const n = series.values.length;
    const dropped: SignalDrop[] = [];
    const last = series.timestamps[n - 1]!;
    const usable = this.signals.filter((s) => {
      if (s.values.length < 2) {
        dropped.push({ name: s.name, reason: 'the signal has fewer than 2 points', vanished: true });
        return false;
      }
      const newest = s.timestamps[s.timestamps.length - 1]!;
      if (last - newest >= Math.max(series.stepMs, s.stepMs)) {
        dropped.push({
          name: s.name,
          reason: `the signal stops ${formatDuration(last - newest)} before demand's newest point: forecast without it`,
          vanished: true,
        });
        return false;
      }
      return true;
    });
    const minTrain = this.base.minPoints(series) + longest + m;
    const origins = usable.length > 0 ? rollingOrigins(n, horizon, this.settings.folds, minTrain) : [];
    if (usable.length > 0 && origins.length === 0) {
      for (const s of usable)
        dropped.push({
          name: s.name,
          reason: `too little history to backtest it: ${n} points, needs ${minTrain + horizon}`,
        });
    }
    let kept: LeadingSignal[] = [];
    const used: SignalUse[] = [];
    let baseScores: Scores | undefined;
    let scores: Scores | undefined;
    let keptFolds: LayeredFold[] = [];
    if (origins.length > 0) {
      const baseFolds = backtest(this.base, series, events, origins, horizon, level);
      baseScores = scoreFolds(series, baseFolds, m);
      scores = baseScores;
      for (const signal of usable) {
        const whole = learnLag(
          learnAll(series, kept, m, maxLag).deflated,
          signal,
          m,
          lagBound(signal, maxLag),
        );
        if (typeof whole === 'string') {
          dropped.push({ name: signal.name, reason: whole });
          continue;
        }
        const trial = [...kept, signal];
        const folds = baseFolds.map((fold) =>
          signalFold(this.base, series, events, trial, fold, horizon, level, m, maxLag),
        );
        const trialScores = scoreFolds(series, folds, m);
        const gain = 1 - trialScores.mase / scores.mase;
        if (!(gain >= this.settings.minGain)) {
          dropped.push({
            name: signal.name,
            reason: `no backtest gain: MASE ${fmt(scores.mase)} without it, ${fmt(trialScores.mase)} with it (lag ${whole.lag}); needs ${fmt(this.settings.minGain * 100, 1)} % lower`,
          });
          continue;
        }
        kept = trial;
        scores = trialScores;
        keptFolds = folds;
        used.push({
          name: signal.name,
          lag: whole.lag,
          lagMs: whole.lag * series.stepMs,
          effect: whole.effect,
          correlation: whole.correlation,
          gain,
        });
      }
    }
    const calibration = keptFolds.length > 0 ? signalCalibration(keptFolds, level) : NO_CALIBRATION;
    const report: SignalReport = {
      used,
      dropped,
      ...(baseScores ? { baseScores } : {}),
      ...(scores && used.length > 0 ? { scores } : {}),
      folds: origins.length,
      calibration,
    };
    const raw = this.base.fit(series, events, { ...hint, level, horizon });
    const layers = fitLayers(this.base, series, events, kept, level, horizon, m, maxLag);
    const nonNegative = isNonNegative(series.values);
    return {
      signals: report,
      ...('report' in raw ? { report: (raw as { report: unknown }).report } : {}),
      predict(h: number, lvl: number): Forecast {
        const c = lvl === level ? calibration : NO_CALIBRATION;
        return layered(raw.predict(h, lvl), layers, h, lvl, c, nonNegative);
      },
      dispose: () => {
        raw.dispose?.();
        for (const l of layers) l.model.dispose?.();
      },
    };
  }
}

/** A base model fitted on demand less the signals known `steps` ahead, and their contributions. */
interface Layer {
  /** The forecast steps [from, to) this layer forecasts (0-based). */
  from: number;
  to: number;
  model: FittedModel;
  /** The known contribution at each of those steps. */
  add: Float64Array;
}

/**
 * One layer per distinct lag of the kept signals: steps 0..lag-1 are forecast by a model fitted
 * without the signals known that far ahead (all of them for the shortest lag). Lags and effects
 * are learned in the order the signals were kept, on the whole `series`.
 */
function fitLayers(
  base: Forecaster,
  series: Series,
  events: readonly CalendarEvent[],
  signals: readonly Series[],
  level: number,
  horizon: number,
  m: number,
  maxLag: number,
): Layer[] {
  if (signals.length === 0) return [];
  const { lagged, known } = learnAll(series, signals, m, maxLag);
  const cutoff = series.timestamps[series.timestamps.length - 1]!;
  const lags = [...new Set(lagged.map((l) => l.lag))].sort((a, b) => a - b);
  const layers: Layer[] = [];
  let from = 0;
  for (const lag of lags) {
    const to = lag;
    const subset = lagged.filter((l) => l.lag >= lag);
    const deflated = deflate(series, known, subset, cutoff);
    const model = base.fit({ ...deflated, name: `${series.name} less signals` }, events, { level, horizon });
    layers.push({ from, to, model, add: contribution(series, known, subset, cutoff, to) });
    from = to;
  }
  return layers;
}

/** The raw forecast with each layer's steps replaced by that layer's forecast plus its contributions. */
function layered(
  raw: Forecast,
  layers: readonly Layer[],
  h: number,
  level: number,
  calibration: Calibration,
  nonNegative: boolean,
): Forecast {
  const mean = Float64Array.from(raw.mean);
  const lower = Float64Array.from(raw.lower);
  const upper = Float64Array.from(raw.upper);
  for (const layer of layers) {
    if (layer.from >= h) break;
    const to = Math.min(layer.to, h);
    const f = applyCalibration(layer.model.predict(to, level), calibration, false);
    for (let i = layer.from; i < to; i++) {
      const a = layer.add[i]!;
      mean[i] = f.mean[i]! + a;
      lower[i] = f.lower[i]! + a;
      upper[i] = f.upper[i]! + a;
    }
  }
  return clampNonNegative({ ...raw, mean, lower, upper, level }, nonNegative);
}

/** A backtest fold with its steps that the signals forecast marked. */
interface LayeredFold extends Fold {
  signalSteps: number;
}

/** One backtest fold with `signals`, learned and cut at the fold's origin, as they would have been known. */
function signalFold(
  base: Forecaster,
  series: Series,
  events: readonly CalendarEvent[],
  signals: readonly Series[],
  rawFold: Fold,
  horizon: number,
  level: number,
  m: number,
  maxLag: number,
): LayeredFold {
  const train = prefix(series, rawFold.origin);
  const layers = fitLayers(base, train, events, signals, level, horizon, m, maxLag);
  try {
    return {
      ...rawFold,
      forecast: layered(
        rawFold.forecast,
        layers,
        horizon,
        level,
        NO_CALIBRATION,
        isNonNegative(train.values),
      ),
      signalSteps: layers.length ? Math.min(horizon, layers[layers.length - 1]!.to) : 0,
    };
  } finally {
    for (const l of layers) l.model.dispose?.();
  }
}

/** Interval calibration from the folds' steps the signals forecast. */
function signalCalibration(folds: readonly LayeredFold[], level: number): Calibration {
  const cut = folds
    .filter((f) => f.signalSteps > 0)
    .map((f) => ({
      origin: f.origin,
      actual: f.actual.slice(0, f.signalSteps),
      forecast: {
        ...f.forecast,
        mean: f.forecast.mean.slice(0, f.signalSteps),
        lower: f.forecast.lower.slice(0, f.signalSteps),
        upper: f.forecast.upper.slice(0, f.signalSteps),
      },
    }));
  return cut.length ? calibrationFromFolds(cut, level) : NO_CALIBRATION;
}

/**
 * The lag (1..maxLag) at which `signal`'s seasonal differences best track demand's, with its
 * effect; or why it cannot be used.
 */
export function learnLag(series: Series, signal: Series, m: number, maxLag: number): Lagged | string {
  const cutoff = series.timestamps[series.timestamps.length - 1]!;
  const y = series.values;
  const n = y.length;
  const d = Math.max(1, m);
  const aligned = alignSignal(signal, series.timestamps, cutoff, series.stepMs);
  const dy = new Float64Array(n).fill(Number.NaN);
  for (let i = d; i < n; i++) dy[i] = y[i]! - y[i - d]!;
  let best: { lag: number; r: number; beta: number; pairs: number } | undefined;
  for (let lag = 1; lag <= maxLag; lag++) {
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    let k = 0;
    for (let i = d + lag; i < n; i++) {
      const a = aligned[i - lag]!;
      const b = aligned[i - lag - d]!;
      const yv = dy[i]!;
      if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(yv)) continue;
      const x = a - b;
      sx += x;
      sy += yv;
      sxx += x * x;
      syy += yv * yv;
      sxy += x * yv;
      k++;
    }
    if (k < 3) continue;
    const cov = sxy - (sx * sy) / k;
    const vx = sxx - (sx * sx) / k;
    const vy = syy - (sy * sy) / k;
    if (!(vx > 0 && vy > 0)) continue;
    const r = cov / Math.sqrt(vx * vy);
    if (best === undefined || Math.abs(r) > Math.abs(best.r)) best = { lag, r, beta: cov / vx, pairs: k };
  }
  if (best === undefined) return 'the signal does not overlap the demand history (or never changes)';
  const z = Math.abs(best.r) * Math.sqrt(best.pairs);
  if (z < MIN_CORRELATION_Z)
    return `no lag up to ${maxLag} steps tracks demand: best correlation ${fmt(best.r)} at lag ${best.lag} over ${best.pairs} points`;
  let centre = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = aligned[i]!;
    if (!Number.isNaN(v)) {
      centre += v;
      count++;
    }
  }
  return {
    name: signal.name,
    lag: best.lag,
    effect: best.beta,
    correlation: best.r,
    centre: count ? centre / count : 0,
  };
}

/**
 * Demand minus the contributions of `signals`, each learned in turn on demand with the earlier
 * ones already taken out; a signal that no longer tracks demand here is left out.
 */
function learnAll(
  series: Series,
  signals: readonly LeadingSignal[],
  m: number,
  maxLag: number,
): { deflated: Series; lagged: Lagged[]; known: Series[] } {
  const cutoff = series.timestamps[series.timestamps.length - 1]!;
  let deflated = series;
  const lagged: Lagged[] = [];
  const known: Series[] = [];
  for (const s of signals) {
    const l = learnLag(deflated, s, m, lagBound(s, maxLag));
    if (typeof l === 'string') continue;
    lagged.push(l);
    known.push(s);
    deflated = deflate(deflated, [s], [l], cutoff);
  }
  return { deflated, lagged, known };
}

/** Demand minus each signal's contribution (a missing signal value contributes nothing). */
function deflate(
  series: Series,
  signals: readonly Series[],
  lagged: readonly Lagged[],
  cutoff: number,
): Series {
  const values = Float64Array.from(series.values);
  for (const l of lagged) {
    const signal = signals.find((s) => s.name === l.name);
    if (!signal) continue;
    const aligned = alignSignal(signal, series.timestamps, cutoff, series.stepMs);
    for (let i = l.lag; i < values.length; i++) {
      const v = aligned[i - l.lag]!;
      if (!Number.isNaN(v)) values[i]! -= l.effect * (v - l.centre);
    }
  }
  return { ...series, values };
}

/** The signals' contributions over the `h` steps after the history, from signal values known by `cutoff`. */
function contribution(
  series: Series,
  signals: readonly Series[],
  lagged: readonly Lagged[],
  cutoff: number,
  h: number,
): Float64Array {
  const n = series.values.length;
  const out = new Float64Array(h);
  for (const l of lagged) {
    const signal = signals.find((s) => s.name === l.name);
    if (!signal) continue;
    const aligned = alignSignal(signal, series.timestamps, cutoff, series.stepMs);
    for (let step = 0; step < h; step++) {
      const v = aligned[n + step - l.lag];
      if (v !== undefined && !Number.isNaN(v)) out[step]! += l.effect * (v - l.centre);
    }
  }
  return out;
}

/**
 * The signal's value at each grid time: its latest sample at or before that time, no older than
 * one of its own steps (or the grid's, if longer), and never one taken after `cutoff`. NaN where
 * there is none.
 */
export function alignSignal(
  signal: Series,
  grid: readonly number[],
  cutoff: number,
  gridStepMs: number,
): Float64Array {
  const ts = signal.timestamps;
  const tolerance = Math.max(gridStepMs, signal.stepMs > 0 ? signal.stepMs : gridStepMs);
  const out = new Float64Array(grid.length).fill(Number.NaN);
  let j = -1;
  for (let i = 0; i < grid.length; i++) {
    const t = grid[i]!;
    if (t > cutoff) continue;
    while (j + 1 < ts.length && ts[j + 1]! <= t) j++;
    if (j >= 0 && t - ts[j]! < tolerance) {
      const v = signal.values[j]!;
      if (Number.isFinite(v)) out[i] = v;
    }
  }
  return out;
}

/** Signals whose newest value is a spike: far above their recent seasonal baseline. */
export interface SignalSpike {
  name: string;
  /** When the spike was seen, and when its effect reaches demand (seen + lag). */
  seenAt: number;
  reachesAt: number;
  /** How far above its baseline, in robust standard deviations. */
  score: number;
  /** Expected extra demand, relative to demand's recent mean (0.3 = 30 % more). */
  expectedEffect: number;
}

/**
 * Spikes in the signals a fit used: the newest signal value at least `threshold` robust standard
 * deviations (1.4826 * MAD of its seasonal differences) above the median of its same phase over the
 * last three seasons. Each becomes a calendar event the planner can see, as long as one lag.
 */
export function signalSpikes(
  series: Series,
  signals: readonly Series[],
  used: readonly SignalUse[],
  threshold = 6,
): { spikes: SignalSpike[]; events: CalendarEvent[] } {
  const spikes: SignalSpike[] = [];
  const events: CalendarEvent[] = [];
  const m = Math.max(1, seasonLength(series));
  const n = series.values.length;
  let level = 0;
  for (let i = Math.max(0, n - m); i < n; i++) level += Math.abs(series.values[i]!);
  level /= Math.max(1, Math.min(m, n));
  const cutoff = series.timestamps[n - 1]!;
  for (const u of used) {
    const signal = signals.find((s) => s.name === u.name);
    if (!signal) continue;
    const aligned = alignSignal(signal, series.timestamps, cutoff, series.stepMs);
    const last = aligned[n - 1]!;
    if (Number.isNaN(last)) continue;
    const same: number[] = [];
    for (let k = 1; k <= 3; k++) {
      const v = aligned[n - 1 - k * m];
      if (v !== undefined && !Number.isNaN(v)) same.push(v);
    }
    const diffs: number[] = [];
    for (let i = Math.max(m, n - 8 * m); i < n - 1; i++) {
      const a = aligned[i]!;
      const b = aligned[i - m]!;
      if (!Number.isNaN(a) && !Number.isNaN(b)) diffs.push(a - b);
    }
    if (same.length === 0 || diffs.length < 3) continue;
    const baseline = quantile(same, 0.5);
    const mid = quantile(diffs, 0.5);
    const spread =
      1.4826 *
      quantile(
        diffs.map((x) => Math.abs(x - mid)),
        0.5,
      );
    if (!(spread > 0)) continue;
    const score = (last - baseline) / spread;
    if (score < threshold) continue;
    const extra = u.effect * (last - baseline);
    const expectedEffect = level > 0 ? extra / level : 0;
    const reachesAt = cutoff + u.lagMs;
    spikes.push({ name: u.name, seenAt: cutoff, reachesAt, score, expectedEffect });
    events.push({
      name: `signal ${u.name} spike`,
      kind: 'event',
      start: reachesAt,
      end: reachesAt + series.stepMs,
      lowerWindowMs: 0,
      upperWindowMs: 0,
      expectedEffect,
    });
  }
  return { spikes, events };
}

function clampNonNegative(f: Forecast, nonNegative: boolean): Forecast {
  if (!nonNegative) return f;
  const mean = f.mean.map((x) => Math.max(0, x));
  const upper = f.upper.map((x, i) => Math.max(mean[i]!, x));
  const lower = f.lower.map((x, i) => Math.min(mean[i]!, Math.max(0, x)));
  return { ...f, mean, lower, upper };
}

/** A signal's own longest lag, or the default, as a whole number of steps of at least 1. */
function lagBound(signal: LeadingSignal, fallback: number): number {
  return Math.max(1, Math.floor(signal.maxLag ?? fallback));
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}
