// A pool's forecast with leading signals, end to end through forecastPool: signal files read like
// the demand file, live signals that fail leave the forecast as it would be without them (said,
// never a failed run), and the lines `forecast` prints and `run` notes say what each did.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../src/core/errors.js';
import type { MetricSource } from '../../src/core/seams.js';
import { parseCsv } from '../../src/metrics/csv.js';
import { forecastPool, type SignalRequest } from '../../src/pipeline/forecast-pool.js';
import { signalLines, signalsJson } from '../../src/pipeline/signal-report.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'signals-pool-'));

// Peyton Manning's daily page views (Prophet's example data) and demand that follows them 3 days later.
const path = 'bench/data/prophet-examples/example_wp_log_peyton_manning.csv';
const views = parseCsv(path, readFileSync(path, 'utf8'), { sort: true, maxGap: 60 }).series[0]!;
const n = 400;
const start = views.values.length - n;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const demandRows = Array.from({ length: n }, (_, i) => {
  const t = views.timestamps[start + i]!;
  const weekly = [0, 10, 12, 12, 10, 4, -20][new Date(t).getUTCDay()]!;
  const noise = Math.sin(i * 12.9898) * 10;
  return `${day(t)},${(400 + weekly + 80 * (views.values[start + i - 3]! - 8) + noise).toFixed(2)}`;
});
const demandFile = join(dir, 'demand.csv');
writeFileSync(demandFile, `timestamp,demand\n${demandRows.join('\n')}\n`);
const viewsFile = join(dir, 'views.csv');
writeFileSync(
  viewsFile,
  `timestamp,mentions\n${Array.from(views.timestamps, (t, i) => `${day(t)},${views.values[i]!.toFixed(4)}`).join('\n')}\n`,
);

const base = {
  input: demandFile,
  zone: 'UTC',
  maxGap: 6,
  events: [],
  horizon: '7d',
  level: 0.8,
  model: 'mstl' as const,
};
const csvSignal = (name?: string): SignalRequest => ({
  ...(name ? { name } : {}),
  request: { input: viewsFile, zone: 'UTC', maxGap: 60 },
  maxLagMs: 7 * DAY,
});
const live = (range: MetricSource['range']): SignalRequest => ({
  name: 'sentiment',
  request: {
    kind: 'source',
    source: { range },
    label: 'json feed https://feeds.example/sentiment',
    query: '',
    start: 0,
    end: 1,
    stepMs: DAY,
    maxGap: 6,
  },
  maxLagMs: 7 * DAY,
});

describe('forecastPool with signals', () => {
  it('uses a signal file that leads demand (named after the file), at its true lag, and says so', async () => {
    const r = await forecastPool({ ...base, signals: [csvSignal()] });
    expect(r.signals?.report?.used).toEqual([
      expect.objectContaining({ name: 'views', lag: 3, lagMs: 3 * DAY }),
    ]);
    // 80 demand units per unit of log page views, learned within 10 %.
    expect(r.signals!.report!.used[0]!.effect).toBeGreaterThan(72);
    expect(r.signals!.report!.used[0]!.effect).toBeLessThan(88);
    expect(r.signals?.report?.scores?.mase).toBeLessThan(r.signals!.report!.baseScores!.mase);
    const lines = signalLines(r.signals!, r.series.stepMs);
    expect(lines[0]).toMatch(
      /^signal views: used, 3d ahead of demand, \d\d\.\d per unit, backtest MASE \d+ % lower$/,
    );
    expect(signalsJson(r.signals!)).toMatchObject({ used: [{ name: 'views', lag: 3 }], dropped: [] });
  });

  it('names a one-series signal file as the request names it', async () => {
    const r = await forecastPool({ ...base, signals: [csvSignal('page-views')] });
    expect(r.signals?.report?.used.map((u) => u.name)).toEqual(['page-views']);
  });

  it('forecasts without a live signal whose source is down, and says why', async () => {
    const without = await forecastPool(base);
    const r = await forecastPool({
      ...base,
      signals: [
        live(() =>
          Promise.reject(
            new DependencyError('json feed https://feeds.example/sentiment: 503 after 3 attempts'),
          ),
        ),
      ],
    });
    expect(r.signals?.vanished).toEqual([
      { name: 'sentiment', reason: 'json feed https://feeds.example/sentiment: 503 after 3 attempts' },
    ]);
    expect(r.signals?.report).toBeUndefined();
    expect(Array.from(r.forecast.mean)).toEqual(Array.from(without.forecast.mean));
    expect(signalLines(r.signals!, DAY)).toEqual([
      'signal sentiment: dropped: json feed https://feeds.example/sentiment: 503 after 3 attempts',
    ]);
  });

  it('forecasts without a live signal that returned no series', async () => {
    const r = await forecastPool({
      ...base,
      signals: [live(() => Promise.resolve({ series: [], repairs: [] }))],
    });
    expect(r.signals?.vanished).toEqual([
      {
        name: 'sentiment',
        reason: expect.stringMatching(/^json feed https:\/\/feeds.example\/sentiment returned no series/),
      },
    ]);
  });

  it('refuses a signal file that is not there: bad input, like the demand file', async () => {
    const missing: SignalRequest = {
      request: { input: join(dir, 'nope.csv'), zone: 'UTC', maxGap: 6 },
      maxLagMs: DAY,
    };
    await expect(forecastPool({ ...base, signals: [missing] })).rejects.toThrow(/nope\.csv/);
  });
});
