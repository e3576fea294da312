// MSTL decomposition (one seasonal term per natural period) with an AutoETS trend model,
// from augurs. MSTL has no holiday term, so events are learned from in-sample residuals.
// Fits on the most recent MAX_FIT_POINTS points; calls into augurs are guarded (wasm.ts).

import type { CalendarEvent } from '../core/events.js';
import type { FittedModel, Forecaster } from '../core/seams.js';
import { futureTimestamps, naturalPeriods, type Series, seasonLength } from '../core/series.js';
import { applyEventEffects, separateEvents } from './events.js';
import { fitHistory } from './history.js';
import { isNonNegative } from './quantile.js';
import { shapeForecast } from './shape.js';
import { guardWasm, mstlModule } from './wasm.js';

export function mstlPeriods(series: Series): number[] {
  return naturalPeriods(series.stepMs, series.stepMonths).filter((p) => series.values.length >= 2 * p);
}

export class MstlEts implements Forecaster {
  readonly name = 'mstl';

  minPoints(series: Series): number {
    const first = naturalPeriods(series.stepMs, series.stepMonths)[0];
    return Math.max(10, first ? 2 * first : 0);
  }

  fit(history: Series, events: readonly CalendarEvent[]): FittedModel {
    const series = fitHistory(history);
    const { MSTL } = mstlModule();
    const { clean, effects: learned } = separateEvents(
      series.timestamps,
      series.values,
      events,
      seasonLength(series),
    );
    const model = guardWasm(`mstl could not fit "${series.name}"`, () => {
      const m = MSTL.ets(mstlPeriods(series));
      m.fit(clean);
      return m;
    });
    const nonNegative = isNonNegative(series.values);
    return {
      predict(horizon: number, level: number) {
        const out = guardWasm(`mstl could not forecast "${series.name}"`, () =>
          model.predict(horizon, level),
        );
        const timestamps = futureTimestamps(series, horizon);
        const raw = {
          mean: out.point,
          lower: out.intervals?.lower ?? out.point,
          upper: out.intervals?.upper ?? out.point,
        };
        return shapeForecast(
          applyEventEffects(timestamps, raw, events, learned),
          timestamps,
          level,
          nonNegative,
        );
      },
      dispose: () => model.free(),
    };
  }
}
