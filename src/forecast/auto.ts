// `auto`: scores every candidate model on a rolling-origin backtest, then forecasts with the
// consensus of the candidates weighted by inverse squared MASE, or with the single best model
// when the consensus did worse on the same folds. Its interval is calibrated on those folds.
// All of it on the most recent MAX_FIT_POINTS points, as each candidate would fit.

import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { FitHint, FittedModel, Forecaster } from '../core/seams.js';
import { type Series, seasonLength } from '../core/series.js';
import { backtest, type Fold, rollingOrigins, type Scores, scoreFolds } from './backtest.js';
import { applyCalibration, type Calibration, calibrationFromFolds } from './calibrate.js';
import { fitHistory } from './history.js';
import { isNonNegative } from './quantile.js';
import { failureMessage } from './wasm.js';

export interface AutoReport {
  /** "prophet", or "consensus" when the weighted combination won. */
  chosen: string;
  weights: Record<string, number>;
  /** Backtest scores per candidate and for the consensus. */
  scores: Record<string, Scores>;
  /** Candidates left out, with why. */
  skipped: Record<string, string>;
  folds: number;
  horizon: number;
  calibration: Calibration;
}

export interface AutoModel extends FittedModel {
  report: AutoReport;
}

export interface AutoSettings {
  folds: number;
}

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
    const nonNegative = isNonNegative(series.values);
    const fitted: { weight: number; model: FittedModel }[] = [];
    for (const name of pool.filter((n) => weights[n]! > 0)) {
      try {
        const model = this.candidates.find((c) => c.name === name)!.fit(series, events, { level, horizon });
        fitted.push({ weight: weights[name]!, model });
      } catch (err) {
        skipped[name] = `final fit failed: ${failureMessage(err)}`;
      }
    }
    if (fitted.length === 0)
      throw new Error(`no model could fit "${series.name}": ${JSON.stringify(skipped)}`);
    const total = fitted.reduce((a, f) => a + f.weight, 0);
    for (const f of fitted) f.weight /= total;
    const report: AutoReport = {
      chosen,
      weights,
      scores,
      skipped,
      folds: origins.length,
      horizon,
      calibration,
    };
    return {
      report,
      predict(h: number, lvl: number): Forecast {
        const parts = fitted.map(({ weight, model }) => ({ weight, forecast: model.predict(h, lvl) }));
        const c = lvl === level ? calibration : { lower: 1, upper: 1, points: 0 };
        return applyCalibration(combine(parts), c, nonNegative);
      },
    };
  }
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
