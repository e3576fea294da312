// Leading signals (forecast/signals.ts) on a real public signal: Peyton Manning's daily Wikipedia
// page views (Prophet's example series, bench/data/prophet-examples), a mention-volume index if
// there ever was one. Demand is built to follow it three days later; R's page views, over the same
// days, are the unrelated signal. Every comparison is on held-out weeks after each fit's history.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import type { Series } from '../../src/core/series.js';
import { prefix, scoreFolds, type Fold } from '../../src/forecast/backtest.js';
import { createForecaster } from '../../src/forecast/index.js';
import { alignSignal, learnLag, SignalForecaster, signalSpikes } from '../../src/forecast/signals.js';
import { parseCsv } from '../../src/metrics/csv.js';

const DAY = 86_400_000;
const LAG = 3;

function pageViews(file: string, name: string): Series {
  const path = `bench/data/prophet-examples/${file}`;
  const s = parseCsv(path, readFileSync(path, 'utf8'), { sort: true, maxGap: 60 }).series[0]!;
  return { ...s, name };
}

const manning = pageViews('example_wp_log_peyton_manning.csv', 'manning-views');
const rViews = pageViews('example_wp_log_R.csv', 'r-views');

/** 700 days of demand: a weekly rhythm, 80 units per unit of log page views three days earlier, noise. */
function demandFollowing(signal: Series, lag: number, seed = 7): Series {
  const n = 700;
  const start = signal.values.length - n;
  const rng = mulberry32(seed);
  const weekly = [0, 10, 12, 12, 10, 4, -20];
  const timestamps = signal.timestamps.slice(start);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dow = new Date(timestamps[i]!).getUTCDay();
    values[i] = 400 + weekly[dow]! + 80 * (signal.values[start + i - lag]! - 8) + (rng() - 0.5) * 20;
  }
  return { name: 'demand', timestamps, values, stepMs: DAY };
}

interface HeldOut {
  mase: number;
  coverage: number;
  /** Mean interval (Winkler) score at 80 %: width plus 2/alpha times each miss; lower is better. */
  intervalScore: number;
  folds: Fold[];
  lags: number[];
  dropped: string[];
}

/** Fits on each prefix ending at one of `weeks` weekly origins and scores the next 7 days. */
function heldOut(demand: Series, signals: Series[] | undefined, weeks: number): HeldOut {
  const n = demand.values.length;
  const folds: Fold[] = [];
  const lags: number[] = [];
  const dropped: string[] = [];
  let score = 0;
  let points = 0;
  for (let origin = n - weeks * 7; origin < n; origin += 7) {
    const base = createForecaster('auto');
    const forecaster = signals
      ? new SignalForecaster(base, signals, { maxLag: 7, minGain: 0.01, folds: 3 })
      : base;
    const model = forecaster.fit(prefix(demand, origin), [], { level: 0.8, horizon: 7 });
    const forecast = model.predict(7, 0.8);
    if ('signals' in model) {
      const report = (model as ReturnType<SignalForecaster['fit']>).signals;
      lags.push(...report.used.map((u) => u.lag));
      dropped.push(...report.dropped.map((d) => d.name));
    }
    model.dispose?.();
    const actual = demand.values.slice(origin, origin + 7);
    folds.push({ origin, actual, forecast });
    for (let i = 0; i < 7; i++) {
      const lo = forecast.lower[i]!;
      const hi = forecast.upper[i]!;
      const y = actual[i]!;
      score += hi - lo + (y < lo ? (2 / 0.2) * (lo - y) : 0) + (y > hi ? (2 / 0.2) * (y - hi) : 0);
      points++;
    }
  }
  const s = scoreFolds(demand, folds, 7);
  return { mase: s.mase, coverage: s.coverage, intervalScore: score / points, folds, lags, dropped };
}

describe('a demand series that follows a public signal three days later', () => {
  const demand = demandFollowing(manning, LAG);
  const weeks = 10;
  let without: HeldOut;
  let withSignal: HeldOut;
  let withUnrelated: HeldOut;
  beforeAll(() => {
    without = heldOut(demand, undefined, weeks);
    withSignal = heldOut(demand, [manning], weeks);
    withUnrelated = heldOut(demand, [rViews], weeks);
  }, 300_000);

  it('is forecast better with the signal: MASE, interval score and coverage on 10 held-out weeks', () => {
    console.log(
      `held-out weeks ${weeks}: MASE ${without.mase.toFixed(3)} -> ${withSignal.mase.toFixed(3)}, ` +
        `coverage (80 %) ${without.coverage.toFixed(2)} -> ${withSignal.coverage.toFixed(2)}, ` +
        `interval score ${without.intervalScore.toFixed(1)} -> ${withSignal.intervalScore.toFixed(1)}`,
    );
    expect(withSignal.mase).toBeLessThan(0.75 * without.mase);
    expect(withSignal.intervalScore).toBeLessThan(0.85 * without.intervalScore);
    expect(Math.abs(withSignal.coverage - 0.8)).toBeLessThanOrEqual(Math.abs(without.coverage - 0.8) + 0.05);
  });

  it('learns the true lag at every fit', () => {
    expect(withSignal.lags).toHaveLength(weeks);
    expect(new Set(withSignal.lags)).toEqual(new Set([LAG]));
  });

  it('drops an unrelated signal, and it makes the forecast no worse by more than 2 %', () => {
    expect(withUnrelated.dropped).toEqual(Array(weeks).fill('r-views'));
    expect(withUnrelated.mase).toBeLessThanOrEqual(1.02 * without.mase);
    // Dropped means not used at all: the very same forecast as without it.
    withUnrelated.folds.forEach((f, k) =>
      expect(Array.from(f.forecast.mean)).toEqual(Array.from(without.folds[k]!.forecast.mean)),
    );
  });
});

/** An hourly series of `n` points from `f(i)`. */
function hourly(name: string, n: number, f: (i: number) => number, start = Date.UTC(2026, 0, 5)): Series {
  const timestamps = Array.from({ length: n }, (_, i) => start + i * 3_600_000);
  return { name, timestamps, values: Float64Array.from({ length: n }, (_, i) => f(i)), stepMs: 3_600_000 };
}

describe('learning a lag', () => {
  const rng = mulberry32(11);
  // A random walk with a daily rhythm: sign-ups, say.
  let walk = 0;
  const signupsValues = Array.from({ length: 24 * 40 }, (_, i) => {
    walk += rng() - 0.5;
    return 50 + 10 * Math.sin((2 * Math.PI * i) / 24) + 5 * walk;
  });
  const signups = hourly('signups', 24 * 40, (i) => signupsValues[i]!);
  const noise = mulberry32(12);

  it('finds the lag and the sign of the effect, even when more signal means less demand', () => {
    const demand = hourly(
      'demand',
      24 * 40,
      (i) => 300 + 30 * Math.cos((2 * Math.PI * i) / 24) - 4 * (signupsValues[i - 6] ?? 50) + noise(),
    );
    const learned = learnLag(demand, signups, 24, 12);
    expect(learned).toMatchObject({ name: 'signups', lag: 6 });
    if (typeof learned === 'string') throw new Error(learned);
    expect(learned.effect).toBeCloseTo(-4, 0);
  });

  it("refuses a signal that only shares demand's daily rhythm", () => {
    const demand = hourly(
      'demand',
      24 * 40,
      (i) => 300 + 30 * Math.sin((2 * Math.PI * i) / 24) + 10 * noise(),
    );
    const rhythm = hourly('rhythm', 24 * 40, (i) => 5 + Math.sin((2 * Math.PI * i) / 24));
    expect(learnLag(demand, rhythm, 24, 12)).toMatch(/does not overlap|no lag up to 12 steps tracks demand/);
  });
});

describe('reading a signal', () => {
  const signal = hourly('s', 10, (i) => i);

  it('never reads a value taken after the cutoff (no look-ahead in a backtest fold)', () => {
    const grid = signal.timestamps;
    const aligned = alignSignal(signal, grid, grid[4]!, 3_600_000);
    expect(Array.from(aligned.slice(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(aligned.slice(5)).every(Number.isNaN)).toBe(true);
  });

  it('takes the latest sample no older than a step, and nothing when the signal has a hole', () => {
    const sparse: Series = {
      ...signal,
      timestamps: [0, 3_600_000, 4 * 3_600_000],
      values: Float64Array.from([1, 2, 5]),
    };
    const grid = [0, 1, 2, 3, 4, 5].map((h) => h * 3_600_000 + 60_000);
    const aligned = alignSignal(sparse, grid, Infinity, 3_600_000);
    expect(Array.from(aligned).map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, 2, null, null, 5, null]);
  });
});

describe('a signal that vanished', () => {
  it("is dropped with vanished set, and the forecast is the base model's own", () => {
    const rng = mulberry32(5);
    const demand = hourly('demand', 24 * 30, (i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 24) + rng() * 4);
    const stale = hourly('mentions', 24 * 20, (i) => i % 7);
    const base = createForecaster('mstl');
    const model = new SignalForecaster(base, [stale]).fit(demand, [], { level: 0.8, horizon: 24 });
    expect(model.signals.used).toEqual([]);
    expect(model.signals.dropped).toEqual([
      {
        name: 'mentions',
        reason: "the signal stops 10d before demand's newest point: forecast without it",
        vanished: true,
      },
    ]);
    const own = base.fit(demand, [], { level: 0.8, horizon: 24 }).predict(24, 0.8);
    expect(Array.from(model.predict(24, 0.8).mean)).toEqual(Array.from(own.mean));
  });
});

describe('a spike in a signal', () => {
  it('becomes an event with an expected effect, reaching demand one lag later', () => {
    const rng = mulberry32(9);
    const n = 24 * 14;
    const demand = hourly('demand', n, () => 200 + rng());
    const mentions = hourly('mentions', n, (i) => (i === n - 1 ? 100 : 10 + rng()));
    const { spikes, events } = signalSpikes(
      demand,
      [mentions],
      [{ name: 'mentions', lag: 6, lagMs: 6 * 3_600_000, effect: 2, correlation: 0.9, gain: 0.3 }],
    );
    expect(spikes).toHaveLength(1);
    expect(spikes[0]!.reachesAt).toBe(demand.timestamps[n - 1]! + 6 * 3_600_000);
    // About 90 mentions above baseline at 2 units each, on demand near 200.
    expect(spikes[0]!.expectedEffect).toBeGreaterThan(0.85);
    expect(spikes[0]!.expectedEffect).toBeLessThan(0.95);
    expect(events).toEqual([
      expect.objectContaining({ name: 'signal mentions spike', start: spikes[0]!.reachesAt, kind: 'event' }),
    ]);
    const quiet = hourly('mentions', n, () => 10 + rng());
    expect(
      signalSpikes(
        demand,
        [quiet],
        [{ name: 'mentions', lag: 6, lagMs: 0, effect: 2, correlation: 0.9, gain: 0.3 }],
      ).spikes,
    ).toEqual([]);
  });
});

describe('an hourly signal: one pedestrian sensor two hours ahead of demand', () => {
  // Prophet's hourly pedestrian counts (30 days); demand has its own daily rhythm, follows the
  // sensor two hours later, and is noisy. Seven held-out days, one fit a day, 24 hours ahead.
  it('learns the 2-hour lag at every fit and lowers the held-out MASE', () => {
    const path = 'bench/data/prophet-examples/example_pedestrians_multivariate.csv';
    const sensor = parseCsv(path, readFileSync(path, 'utf8'), { maxGap: 6 }).series.find(
      (s) => s.name === 'location_4',
    )!;
    const rng = mulberry32(3);
    const n = sensor.values.length;
    const values = Float64Array.from(
      { length: n },
      (_, i) =>
        300 +
        50 * Math.sin((2 * Math.PI * i) / 24) +
        0.3 * sensor.values[Math.max(0, i - 2)]! +
        (rng() - 0.5) * 40,
    );
    const demand: Series = { name: 'demand', timestamps: sensor.timestamps, values, stepMs: 3_600_000 };
    const score = (withSignal: boolean) => {
      const folds: Fold[] = [];
      const lags: number[] = [];
      for (let origin = n - 7 * 24; origin < n; origin += 24) {
        const base = createForecaster('mstl');
        const model = withSignal
          ? new SignalForecaster(base, [sensor], { maxLag: 12, minGain: 0.01, folds: 3 }).fit(
              prefix(demand, origin),
              [],
              { level: 0.8, horizon: 24 },
            )
          : base.fit(prefix(demand, origin), [], { level: 0.8, horizon: 24 });
        if ('signals' in model)
          lags.push(...(model as ReturnType<SignalForecaster['fit']>).signals.used.map((u) => u.lag));
        folds.push({ origin, actual: values.slice(origin, origin + 24), forecast: model.predict(24, 0.8) });
      }
      return { mase: scoreFolds(demand, folds, 24).mase, lags };
    };
    const without = score(false);
    const withSignal = score(true);
    console.log(`hourly, 7 held-out days: MASE ${without.mase.toFixed(3)} -> ${withSignal.mase.toFixed(3)}`);
    expect(withSignal.lags).toEqual(Array(7).fill(2));
    expect(withSignal.mase).toBeLessThan(0.97 * without.mase);
  }, 120_000);
});
