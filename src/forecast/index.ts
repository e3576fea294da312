// The forecaster factory: maps a model name (CLI flag, forecast spec) to an implementation.

import type { Forecaster } from '../core/seams.js';
import { AutoForecaster } from './auto.js';
import { MstlEts } from './mstl.js';
import { SeasonalNaive } from './naive.js';
import { ProphetForecaster } from './prophet.js';

import { type ModelName, MODEL_NAMES } from './names.js';

export { type ModelName, MODEL_NAMES };

export function createForecaster(name: ModelName, opts: { folds?: number } = {}): Forecaster {
  switch (name) {
    case 'prophet':
      return new ProphetForecaster();
    case 'mstl':
      return new MstlEts();
    case 'naive':
      return new SeasonalNaive();
    case 'auto':
      return new AutoForecaster([new ProphetForecaster(), new MstlEts(), new SeasonalNaive()], {
        folds: opts.folds ?? 3,
      });
  }
}

export type { AutoModel, AutoReport, ModelSelection } from './auto.js';
export { type Fold, type Scores, scoreFolds } from './backtest.js';
