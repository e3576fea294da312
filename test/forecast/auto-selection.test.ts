// `auto` reusing a previous model selection (FitHint.selection) instead of backtesting again, on
// real data: forecasts/data/storefront.csv, hourly pedestrian counts at two sensors, April 2023.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { CalendarEvent } from '../../src/core/events.js';
import type { Forecast } from '../../src/core/forecast.js';
import type { FitHint, FittedModel, Forecaster } from '../../src/core/seams.js';
import type { Series } from '../../src/core/series.js';
import { AutoForecaster, combine, type ModelSelection } from '../../src/forecast/auto.js';
import { naiveScale, prefix } from '../../src/forecast/backtest.js';
import { applyCalibration } from '../../src/forecast/calibrate.js';
import { MstlEts } from '../../src/forecast/mstl.js';
import { SeasonalNaive } from '../../src/forecast/naive.js';
import { ProphetForecaster } from '../../src/forecast/prophet.js';
import { parseCsv } from '../../src/metrics/csv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const storefront = parseCsv(
  'storefront.csv',
  readFileSync(join(root, 'forecasts', 'data', 'storefront.csv'), 'utf8'),
).series;
const location4 = storefront.find((s) => s.name === 'location_4')!;

const DAY_STEPS = 24;
const HORIZON = 48;
const LEVEL = 0.8;
/** 28 days of hourly history. */
const FOUR_WEEKS = 28 * DAY_STEPS;

/** Counts the fits of the forecaster it wraps, and the history length of each. */
class Counting implements Forecaster {
  lengths: number[] = [];
  failNext = false;
  constructor(private readonly inner: Forecaster) {}
  get name(): string {
    return this.inner.name;
  }
  minPoints(series: Series): number {
    return this.inner.minPoints(series);
  }
  fit(series: Series, events: readonly CalendarEvent[], hint?: FitHint): FittedModel {
    this.lengths.push(series.values.length);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('injected failure');
    }
    return this.inner.fit(series, events, hint);
  }
}

function counting() {
  const candidates = [new ProphetForecaster(), new MstlEts(), new SeasonalNaive()].map(
    (c) => new Counting(c),
  );
  const reset = () => candidates.forEach((c) => (c.lengths = []));
  return { candidates, reset, auto: new AutoForecaster(candidates) };
}

const hint = (selection?: ModelSelection): FitHint => ({ level: LEVEL, horizon: HORIZON, selection });
/** As a caller would keep it between runs: through JSON. */
const stored = (s: ModelSelection): ModelSelection => JSON.parse(JSON.stringify(s)) as ModelSelection;

/** A fit of the selection's models, by hand: fresh forecasters, its weights and calibration. */
function byHand(history: Series, s: ModelSelection): Forecast {
  const fresh: Forecaster[] = [new ProphetForecaster(), new MstlEts(), new SeasonalNaive()];
  const names = Object.keys(s.weights).filter((k) => s.weights[k]! > 0);
  const total = names.reduce((a, k) => a + s.weights[k]!, 0);
  const parts = names.map((k) => ({
    weight: s.weights[k]! / total,
    forecast: fresh
      .find((f) => f.name === k)!
      .fit(history, [], { level: LEVEL, horizon: HORIZON })
      .predict(HORIZON, LEVEL),
  }));
  const nonNegative = history.values.every((v) => v >= 0);
  return applyCalibration(combine(parts), s.calibration, nonNegative);
}

function mase(series: Series, origin: number, f: Forecast): number {
  const scale = naiveScale(series.values.subarray(0, origin), DAY_STEPS);
  let abs = 0;
  for (let i = 0; i < HORIZON; i++) abs += Math.abs(series.values[origin + i]! - f.mean[i]!);
  return abs / HORIZON / scale;
}

/**
 * Same forecast, to 1e-9 of its largest value: two Prophet fits of one series in one process differ
 * by up to about 1e-7 here (the wasm fit is seeded but not bit-for-bit repeatable; MSTL and naive
 * repeat exactly), while a wrong weight or calibration moves a forecast by whole units.
 */
function expectSame(a: Forecast, b: Forecast): void {
  expect(a.timestamps).toEqual(b.timestamps);
  expect(a.level).toBe(b.level);
  const peak = Math.max(...b.upper.map(Math.abs), ...b.lower.map(Math.abs));
  for (const k of ['mean', 'lower', 'upper'] as const) {
    expect(a[k]).toHaveLength(b[k].length);
    const worst = Math.max(...a[k].map((x, i) => Math.abs(x - b[k][i]!)));
    expect(worst).toBeLessThanOrEqual(1e-9 * peak);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('auto reuses a previous selection', () => {
  it('skips the backtest, fits only the weighted models, and forecasts as they do by hand', () => {
    const { auto, candidates, reset } = counting();
    const earlier = prefix(location4, FOUR_WEEKS - DAY_STEPS);
    const now = prefix(location4, FOUR_WEEKS);

    const first = auto.fit(earlier, [], hint());
    expect(first.report.reused).toBe(false);
    expect(first.report.folds).toBe(3);
    // Each candidate: 3 backtest folds on shorter prefixes, then the final fit.
    expect(candidates.map((c) => c.lengths.length)).toEqual([4, 4, 4]);
    const selection = first.report.selection;
    expect(selection).toMatchObject({ level: LEVEL, horizon: HORIZON, stepMs: 3_600_000, folds: 3 });
    expect(selection.madeAt).toBe(earlier.timestamps.at(-1));

    reset();
    const next = auto.fit(now, [], hint(stored(selection)));
    expect(next.report.reused).toBe(true);
    expect(next.report.reselectReason).toBeUndefined();
    expect(next.report.folds).toBe(0);
    expect(next.report.scores).toEqual({});
    expect(next.report.selection).toEqual(selection);
    // No backtest: each model the selection weights is fitted once, on the whole history.
    const weighted = (name: string) => selection.weights[name]! > 0;
    for (const c of candidates) expect(c.lengths).toEqual(weighted(c.name) ? [FOUR_WEEKS] : []);

    expectSame(next.predict(HORIZON, LEVEL), byHand(now, selection));
    // Reused on the very history it was made on, it forecasts as the full fit did.
    expectSame(
      auto.fit(earlier, [], hint(stored(selection))).predict(HORIZON, LEVEL),
      first.predict(HORIZON, LEVEL),
    );
  });

  it.each([
    ['level', (s: ModelSelection) => ({ ...s, level: 0.9 }), /made for level 0.9, not 0.8/],
    ['horizon', (s: ModelSelection) => ({ ...s, horizon: 24 }), /made for horizon 24, not 48/],
    [
      'step',
      (s: ModelSelection) => ({ ...s, stepMs: 1_800_000 }),
      /made for step 1800000 ms, not 3600000 ms/,
    ],
    [
      'series',
      (s: ModelSelection) => ({ ...s, series: 'location_41' }),
      /series "location_41", not "location_4"/,
    ],
    ['model', (s: ModelSelection) => ({ ...s, weights: { arima: 1 } }), /"arima" is not a candidate/],
    [
      'future',
      (s: ModelSelection) => ({ ...s, madeAt: s.madeAt + 2 * 86_400_000 }),
      /past this history's end/,
    ],
    ['malformed', (s: ModelSelection) => ({ ...s, weights: { prophet: -1 } }), /malformed/],
  ])('an incompatible selection (%s) triggers a full selection, saying why', (_, change, reason) => {
    const { auto, candidates, reset } = counting();
    const earlier = prefix(location4, FOUR_WEEKS - DAY_STEPS);
    const selection = auto.fit(earlier, [], hint()).report.selection;
    reset();
    const m = auto.fit(prefix(location4, FOUR_WEEKS), [], hint(change(selection)));
    expect(m.report.reused).toBe(false);
    expect(m.report.reselectReason).toMatch(reason);
    expect(m.report.folds).toBe(3);
    expect(candidates.map((c) => c.lengths.length)).toEqual([4, 4, 4]);
    expect(m.report.selection.madeAt).toBe(location4.timestamps[FOUR_WEEKS - 1]);
  });

  it('selects afresh when a reused model fails to fit', () => {
    const { auto, candidates } = counting();
    const selection = auto.fit(prefix(location4, FOUR_WEEKS - DAY_STEPS), [], hint()).report.selection;
    const reused = candidates.find((c) => selection.weights[c.name]! > 0)!;
    reused.failNext = true;
    const m = auto.fit(prefix(location4, FOUR_WEEKS), [], hint(selection));
    expect(m.report.reused).toBe(false);
    expect(m.report.reselectReason).toBe(`reused model "${reused.name}" failed to fit: injected failure`);
    expect(m.report.folds).toBe(3);
  });

  it('is as accurate as selecting every time, on rolling origins over both series', () => {
    // Origins every 24 h over the last 7 days that leave 48 h to score (history 504..672 h), both
    // sensors: a selection made at the first origin and reused for up to 7 days, against a full
    // selection at every origin. Measured: mean MASE 0.7477 reused, 0.7735 selected every time
    // (ratio 0.967); every full selection chose the three-model consensus, with weights moving
    // between about 0.24 and 0.46 from one day to the next.
    const auto = new AutoForecaster([new ProphetForecaster(), new MstlEts(), new SeasonalNaive()]);
    const maxAge = 7 * 86_400_000;
    const every: number[] = [];
    const reusing: number[] = [];
    for (const series of storefront) {
      let selection: ModelSelection | undefined;
      for (
        let origin = FOUR_WEEKS - 7 * DAY_STEPS;
        origin + HORIZON <= series.values.length;
        origin += DAY_STEPS
      ) {
        const history = prefix(series, origin);
        const full = auto.fit(history, [], hint());
        every.push(mase(series, origin, full.predict(HORIZON, LEVEL)));
        const last = history.timestamps.at(-1)!;
        if (selection === undefined || last - selection.madeAt > maxAge) selection = full.report.selection;
        const m = auto.fit(history, [], hint(selection));
        expect(m.report.reused).toBe(true);
        reusing.push(mase(series, origin, m.predict(HORIZON, LEVEL)));
      }
    }
    expect(every).toHaveLength(16);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(reusing)).toBeLessThanOrEqual(1.03 * mean(every));
  });

  it('is much faster than a full fit', () => {
    // 28 days of hourly history, horizon 48, fit and predict. Medians of 9 interleaved runs, the
    // two series summed. Both choose the three-model consensus, so a reuse fits 3 models where a
    // full fit fits 12, 9 of them on shorter prefixes (counted in the first test): the speed-up
    // cannot pass about 3.7x. Measured 3.4x to 5.2x alone (e.g. 80 ms full, 21 ms reused), 2.8x
    // once beside other test files; the bound is 2.5x so that a busy machine does not fail it.
    const auto = new AutoForecaster([new ProphetForecaster(), new MstlEts(), new SeasonalNaive()]);
    let full = 0;
    let reused = 0;
    for (const series of storefront) {
      const history = prefix(series, FOUR_WEEKS);
      const selection = auto.fit(history, [], hint()).report.selection; // also warms up
      const f: number[] = [];
      const r: number[] = [];
      for (let k = 0; k < 9; k++) {
        let t = performance.now();
        auto.fit(history, [], hint()).predict(HORIZON, LEVEL);
        f.push(performance.now() - t);
        t = performance.now();
        auto.fit(history, [], hint(selection)).predict(HORIZON, LEVEL);
        r.push(performance.now() - t);
      }
      full += median(f);
      reused += median(r);
    }
    expect(full / reused).toBeGreaterThanOrEqual(2.5);
  });
});
