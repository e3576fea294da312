// One forecast fit as plain data in and out, so it can run on this thread or in a worker
// (fit-pool.ts) with the same result: the policy's model fitted on a history window, with `auto`
// reusing the selection it is handed while that selection is fresh (forecast/window.ts), then the
// forecast over the policy's horizon at its level. `simulate` fits this way; `run`'s pool path
// makes the same calls on the pool's own series.

import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { ModelSelection } from '../core/seams.js';
import type { Series } from '../core/series.js';
import { type AutoModel, type AutoReport, createForecaster, type ModelName } from '../forecast/index.js';
import { selectionToReuse } from '../forecast/window.js';
import {
  type LeadingSignal,
  SignalForecaster,
  type SignalModel,
  type SignalReport,
  type SignalSpike,
  signalSpikes,
} from '../forecast/signals.js';

export interface FitRequest {
  model: ModelName;
  /** The history to fit: already cut to the policy's window. */
  window: Pick<Series, 'name' | 'timestamps' | 'values' | 'stepMs' | 'stepMonths'>;
  events: readonly CalendarEvent[];
  level: number;
  /** Forecast steps. */
  horizon: number;
  /** The previous fit's selection (`auto`): reused while it is fresh and suits the window. */
  previous?: ModelSelection;
  /** Leading signals to try as lagged regressors (forecast/signals.ts). */
  signals?: LeadingSignal[];
}

export interface FitResult {
  /** Undefined when the window has fewer points than the model needs. */
  forecast?: Forecast;
  /** The model that forecast: `mstl`, or `auto:CHOSEN`. */
  model: string;
  /** `auto`'s selection after this fit (reused or made afresh). */
  selection?: ModelSelection;
  /** True when `auto` backtested its candidates afresh. */
  reselected: boolean;
  /** `auto`'s report: what it chose, the backtest's scores, the calibration. */
  report?: AutoReport;
  /** With signals: which were used (lag, effect, gain) and dropped, and spikes in those used. */
  signals?: SignalReport;
  spikes?: SignalSpike[];
}

/** What fits (a FitPool): `workers` fits at once on other threads, or 0 when each runs as asked. */
export interface Fitter {
  readonly workers: number;
  fit(request: FitRequest): Promise<FitResult>;
}

/** Fits on the calling thread, one at a time. */
export const IN_PROCESS: Fitter = {
  workers: 0,
  fit: (request) => {
    try {
      return Promise.resolve(fitJob(request));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  },
};

export function fitJob(req: FitRequest): FitResult {
  const base = createForecaster(req.model);
  const forecaster = req.signals?.length ? new SignalForecaster(base, req.signals) : base;
  const window: Series = { ...req.window };
  if (window.values.length < forecaster.minPoints(window)) {
    return { model: forecaster.name, reselected: false };
  }
  const reuse = selectionToReuse(req.previous, window);
  const fitted = forecaster.fit(window, req.events, {
    level: req.level,
    horizon: req.horizon,
    ...(reuse ? { selection: reuse } : {}),
  });
  try {
    const report = (fitted as Partial<AutoModel>).report;
    const signals = (fitted as Partial<SignalModel>).signals;
    return {
      forecast: fitted.predict(req.horizon, req.level),
      model: report ? `auto:${report.chosen}` : forecaster.name,
      ...(report ? { selection: report.selection, report } : {}),
      reselected: report !== undefined && !report.reused,
      ...(signals ? { signals, spikes: signalSpikes(window, req.signals ?? [], signals.used).spikes } : {}),
    };
  } finally {
    fitted.dispose?.();
  }
}
