// `auto`: scores every candidate model on a rolling-origin backtest, then forecasts with the
// consensus of the candidates weighted by inverse squared MASE, or with the single best model
// when the consensus did worse on the same folds. Its interval is calibrated on those folds.
// All of it on the most recent MAX_FIT_POINTS points, as each candidate would fit.
//
// That choice (report.selection: plain JSON) can be handed back in `FitHint.selection`: while it
// suits the history (same series, level, horizon and step, made on no later data, and every model
// it weights still a candidate with enough points), a fit skips the backtest, fits only the models
// the selection weights and applies its stored weights and calibration. Otherwise, or when such a
// model fails to fit, it selects afresh and says why (report.reselectReason). When to select
// again is the caller's choice (selection.madeAt tells how old one is); nothing here reads a clock.

import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { FitHint, FittedModel, Forecaster, ModelSelection } from '../core/seams.js';
import { type Series, seasonLength } from '../core/series.js';
import { backtest, type Fold, rollingOrigins, type Scores, scoreFolds } from './backtest.js';
import { applyCalibration, type Calibration, calibrationFromFolds } from './calibrate.js';
import { fitHistory } from './history.js';
import { isNonNegative } from './quantile.js';
import { failureMessage } from './wasm.js';
import { iso } from '../core/time-format.js';

export type { ModelSelection };

export interface AutoReport {
  /** "prophet", or "consensus" when the weighted combination won. */
  chosen: string;
  weights: Record<string, number>;
  /** Backtest scores per candidate and for the consensus (none when the selection was reused). */
  scores: Record<string, Scores>;
  /** Candidates left out, with why. */
  skipped: Record<string, string>;
  /** Backtest folds this fit ran: 0 when it reused a selection. */
  folds: number;
  horizon: number;
  calibration: Calibration;
  /** The selection this fit made or reused: pass it back in `FitHint.selection` to reuse it. */
  selection: ModelSelection;
  /** True when the fit reused `FitHint.selection` and ran no backtest. */
  reused: boolean;
  /** Why a selection given in the hint was not reused, when it was not. */
  reselectReason?: string;
}

export interface AutoModel extends FittedModel {
  report: AutoReport;
}

export interface AutoSettings {
  folds: number;
}

type Fitted = { name: string; weight: number; model: FittedModel }[];

export class AutoForecaster implements Forecaster {
  readonly name = 'auto';

  constructor(
    private readonly candidates: readonly Forecaster[],
    private readonly settings: AutoSettings = { folds: 3 },
  ) {}

  minPoints(series: Series): number {
    return Math.min(...this.candidates.map((c) => c.minPoints(series)));
  }

  fit(history: Series, events: readonly CalendarEvent[], hint: FitHint = {}): AutoModel {
    const series = fitHistory(history);
    const level = hint.level ?? 0.8;
    const m = seasonLength(series);
    const horizon = hint.horizon ?? Math.max(m, 1);
    let reselectReason: string | undefined;
    if (hint.selection !== undefined) {
      const selection = hint.selection;
      reselectReason = this.unsuitable(selection, series, level, horizon);
      if (reselectReason === undefined) {
        const { fitted, failed } = this.fitModels(series, events, level, horizon, selection.weights);
        const first = Object.entries(failed)[0];
        if (first === undefined) {
          const report: AutoReport = {
            chosen: selection.chosen,
            weights: { ...selection.weights },
            scores: {},
            skipped: {},
            folds: 0,
            horizon,
            calibration: { ...selection.calibration },
            selection: copySelection(selection),
            reused: true,
          };
          return combinedModel(report, fitted, level, isNonNegative(series.values));
        }
        for (const f of fitted) f.model.dispose?.();
        reselectReason = `reused model "${first[0]}" failed to fit: ${first[1]}`;
      }
    }
    return this.select(series, events, level, horizon, m, reselectReason);
  }

  /** Why `selection` cannot be reused on `series` (undefined when it can). */
  private unsuitable(
    selection: ModelSelection,
    series: Series,
    level: number,
    horizon: number,
  ): string | undefined {
    const malformed = malformedSelection(selection);
    if (malformed !== undefined) return `the selection is malformed: ${malformed}`;
    const last = series.timestamps[series.timestamps.length - 1]!;
    if (selection.series !== series.name)
      return `the selection was made for series "${selection.series}", not "${series.name}"`;
    if (selection.level !== level) return `the selection was made for level ${selection.level}, not ${level}`;
    if (selection.horizon !== horizon)
      return `the selection was made for horizon ${selection.horizon}, not ${horizon}`;
    if (selection.stepMs !== series.stepMs || (selection.stepMonths ?? 0) !== (series.stepMonths ?? 0))
      return `the selection was made for step ${describeStep(selection)}, not ${describeStep(series)}`;
    if (selection.madeAt > last)
      return `the selection was made on history up to ${iso(selection.madeAt)}, past this history's end ${iso(last)}`;
    if (selection.folds === 0) return 'the selection was made without a backtest';
    const n = series.values.length;
    for (const [name, weight] of Object.entries(selection.weights)) {
      if (weight <= 0) continue;
      const c = this.candidates.find((x) => x.name === name);
      if (c === undefined) return `"${name}" is not a candidate`;
      const need = c.minPoints(series);
      if (n < need) return `"${name}" needs ${need} points, has ${n}`;
    }
    return undefined;
  }

  /** Fits every named model whose weight is above 0, on the whole (fit) history. */
  private fitModels(
    series: Series,
    events: readonly CalendarEvent[],
    level: number,
    horizon: number,
    weights: Record<string, number>,
  ): { fitted: Fitted; failed: Record<string, string> } {
    const fitted: Fitted = [];
    const failed: Record<string, string> = {};
    for (const name of Object.keys(weights).filter((k) => weights[k]! > 0)) {
      try {
        const model = this.candidates.find((c) => c.name === name)!.fit(series, events, { level, horizon });
        fitted.push({ name, weight: weights[name]!, model });
      } catch (err) {
        failed[name] = failureMessage(err);
      }
    }
    const total = fitted.reduce((a, f) => a + f.weight, 0);
    for (const f of fitted) f.weight /= total;
    return { fitted, failed };
  }

  /** The full selection: backtest every candidate, weigh, choose, calibrate, fit the chosen. */
  private select(
    series: Series,
    events: readonly CalendarEvent[],
    level: number,
    horizon: number,
    m: number,
    reselectReason: string | undefined,
  ): AutoModel {
    const skipped: Record<string, string> = {};
    const n = series.values.length;
    const usable = this.candidates.filter((c) => {
      const need = c.minPoints(series) + horizon;
      if (n >= need) return true;
      skipped[c.name] = `needs ${need} points for a backtest, has ${n}`;
      return false;
    });
    const minTrain = Math.max(...usable.map((c) => c.minPoints(series)), 1);
    const origins = rollingOrigins(n, horizon, this.settings.folds, minTrain);

    const folds = new Map<string, Fold[]>();
    const scores: Record<string, Scores> = {};
    for (const c of usable) {
      try {
        const f = backtest(c, series, events, origins, horizon, level);
        folds.set(c.name, f);
        scores[c.name] = scoreFolds(series, f, m);
      } catch (err) {
        skipped[c.name] = `backtest failed: ${failureMessage(err)}`;
      }
    }
    const scored = [...folds.keys()];
    // Too little history to backtest anything: an unweighted consensus of whatever can fit.
    const pool =
      scored.length > 0 ? scored : this.candidates.filter((c) => n >= c.minPoints(series)).map((c) => c.name);
    if (pool.length === 0)
      throw new Error(`no model can forecast "${series.name}": ${JSON.stringify(skipped)}`);

    const weights = inverseSquareWeights(pool, scores);
    let chosen = 'consensus';
    let chosenFolds: Fold[] = [];
    if (origins.length > 0 && scored.length > 0) {
      const consensus = combineFolds(pool, weights, folds);
      scores.consensus = scoreFolds(series, consensus, m);
      const best = pool.reduce((a, b) => (scores[a]!.mase <= scores[b]!.mase ? a : b));
      if (pool.length === 1 || scores[best]!.mase < scores.consensus.mase) {
        chosen = best;
        for (const k of Object.keys(weights)) weights[k] = k === best ? 1 : 0;
        chosenFolds = folds.get(best)!;
      } else {
        chosenFolds = consensus;
      }
    }
    const calibration = calibrationFromFolds(chosenFolds, level);
    const { fitted, failed } = this.fitModels(series, events, level, horizon, weights);
    for (const [name, why] of Object.entries(failed)) skipped[name] = `final fit failed: ${why}`;
    if (fitted.length === 0)
      throw new Error(`no model could fit "${series.name}": ${JSON.stringify(skipped)}`);
    // The selection keeps the weights the forecast was actually combined with.
    const used = new Map(fitted.map((f) => [f.name, f.weight]));
    const selection: ModelSelection = {
      chosen,
      weights: Object.fromEntries(Object.keys(weights).map((k) => [k, used.get(k) ?? 0])),
      calibration: { ...calibration },
      level,
      horizon,
      stepMs: series.stepMs,
      ...(series.stepMonths !== undefined ? { stepMonths: series.stepMonths } : {}),
      folds: origins.length,
      series: series.name,
      madeAt: series.timestamps[series.timestamps.length - 1]!,
    };
    const report: AutoReport = {
      chosen,
      weights,
      scores,
      skipped,
      folds: origins.length,
      horizon,
      calibration,
      selection,
      reused: false,
      ...(reselectReason !== undefined ? { reselectReason } : {}),
    };
    return combinedModel(report, fitted, level, isNonNegative(series.values));
  }
}

function combinedModel(report: AutoReport, fitted: Fitted, level: number, nonNegative: boolean): AutoModel {
  const calibration = report.calibration;
  return {
    report,
    predict(h: number, lvl: number): Forecast {
      const parts = fitted.map(({ weight, model }) => ({ weight, forecast: model.predict(h, lvl) }));
      const c = lvl === level ? calibration : { lower: 1, upper: 1, points: 0 };
      return applyCalibration(combine(parts), c, nonNegative);
    },
    dispose: () => {
      for (const f of fitted) f.model.dispose?.();
    },
  };
}

/** What is wrong with a selection's fields (it may come from a file), or undefined. */
function malformedSelection(s: ModelSelection): string | undefined {
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (typeof s !== 'object' || s === null) return 'not an object';
  if (typeof s.weights !== 'object' || s.weights === null) return 'no weights';
  const weights = Object.values(s.weights);
  if (!weights.every((w) => finite(w) && w >= 0)) return 'a weight is not a finite number >= 0';
  if (!weights.some((w) => w > 0)) return 'no weight is above 0';
  const c = s.calibration as Partial<Calibration> | undefined;
  if (!(finite(c?.lower) && c.lower > 0 && finite(c.upper) && c.upper > 0))
    return 'calibration factors are not finite numbers > 0';
  if (![s.level, s.horizon, s.stepMs, s.folds, s.madeAt].every(finite)) return 'a numeric field is missing';
  if (typeof s.chosen !== 'string' || typeof s.series !== 'string') return 'a text field is missing';
  return undefined;
}

function copySelection(s: ModelSelection): ModelSelection {
  return { ...s, weights: { ...s.weights }, calibration: { ...s.calibration } };
}

function describeStep(s: { stepMs: number; stepMonths?: number }): string {
  return s.stepMonths ? `${s.stepMonths} month(s)` : `${s.stepMs} ms`;
}

/** Weights proportional to 1/MASE^2 (equal when nothing was scored). */
export function inverseSquareWeights(
  names: readonly string[],
  scores: Record<string, Scores>,
): Record<string, number> {
  const raw = names.map((n) => {
    const mase = scores[n]?.mase;
    return mase !== undefined && Number.isFinite(mase) ? 1 / Math.max(mase, 1e-6) ** 2 : 1;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return Object.fromEntries(names.map((n, i) => [n, raw[i]! / total]));
}

export function combine(parts: readonly { weight: number; forecast: Forecast }[]): Forecast {
  const first = parts[0]!.forecast;
  const len = first.mean.length;
  const mean = new Float64Array(len);
  const lower = new Float64Array(len);
  const upper = new Float64Array(len);
  for (const { weight, forecast } of parts) {
    for (let i = 0; i < len; i++) {
      mean[i]! += weight * forecast.mean[i]!;
      lower[i]! += weight * forecast.lower[i]!;
      upper[i]! += weight * forecast.upper[i]!;
    }
  }
  return { timestamps: first.timestamps, mean, lower, upper, level: first.level };
}

function combineFolds(
  names: readonly string[],
  weights: Record<string, number>,
  folds: Map<string, Fold[]>,
): Fold[] {
  const base = folds.get(names[0]!)!;
  return base.map((fold, k) => ({
    origin: fold.origin,
    actual: fold.actual,
    forecast: combine(names.map((n) => ({ weight: weights[n]!, forecast: folds.get(n)![k]!.forecast }))),
  }));
}
