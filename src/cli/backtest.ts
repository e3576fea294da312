// `shadowcast backtest`: every model on the same rolling origins, with MASE, sMAPE,
// interval coverage and width; progress goes to stderr when it is a terminal. Each fold fits
// on the most recent points before its origin, as many as a model fits on (noted when fewer).

import { eventsFromFiles } from '../calendars/index.js';
import { parseHorizon } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { futureTimestamps, seasonLength } from '../core/series.js';
import { backtest, rollingOrigins, type Scores, scoreFolds } from '../forecast/backtest.js';
import { createForecaster, MODEL_NAMES } from '../forecast/index.js';
import { loadSeries, seriesPlace } from '../pipeline/forecast-pool.js';
import { checkHorizonFlag, noteFitWindow, withMessage } from './forecast.js';
import { type InputFlags, seriesRequest } from './input-flags.js';
import { table } from './output.js';

export interface BacktestFlags extends InputFlags {
  folds: number;
}

export async function backtestCommand(flags: BacktestFlags): Promise<void> {
  if (flags.folds < 1) throw new UsageError('--folds must be at least 1');
  checkHorizonFlag(flags.horizon);
  const request = await seriesRequest(flags);
  const { series } = await loadSeries(request);
  const horizon = parseHorizon(flags.horizon, series.stepMs);
  const end = futureTimestamps(series, 1)[0]!;
  const events = await eventsFromFiles(flags.events, series.timestamps[0]!, end, { timezone: flags.tz });
  const m = seasonLength(series);
  noteFitWindow(series);
  const results: Record<string, Scores & { seconds: number }> = {};
  const progress = process.stderr.isTTY;
  const models = [...MODEL_NAMES];
  for (const [i, name] of models.entries()) {
    const forecaster = createForecaster(name);
    const origins = rollingOrigins(series.values.length, horizon, flags.folds, forecaster.minPoints(series));
    if (origins.length < flags.folds) {
      throw new UsageError(
        `${seriesPlace(request)}: ${series.values.length} points allow only ${origins.length} folds of ${horizon} steps for ${name}; lower --folds or --horizon`,
      );
    }
    if (progress) process.stderr.write(`\r[${i + 1}/${models.length}] ${name}: ${flags.folds} folds…   `);
    const t0 = performance.now();
    const folds = await withMessage(`backtest of ${name} failed`, async () =>
      backtest(forecaster, series, events, origins, horizon, flags.level),
    );
    const seconds = (performance.now() - t0) / 1000 / folds.length;
    results[name] = { ...scoreFolds(series, folds, m), seconds };
  }
  if (progress) process.stderr.write('\r\x1b[K');
  if (flags.format === 'json') {
    process.stdout.write(
      `${JSON.stringify({ series: series.name, horizon, folds: flags.folds, level: flags.level, season_length: m, models: results })}\n`,
    );
    return;
  }
  process.stdout.write(
    `${series.name}: ${flags.folds} folds of ${horizon} steps, ${Math.round(flags.level * 100)}% intervals, MASE scaled by seasonal naive (m=${m})\n\n`,
  );
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    r.mase,
    r.smape,
    r.coverage,
    r.width,
    r.seconds,
  ]);
  process.stdout.write(`${table(['model', 'MASE', 'sMAPE %', 'coverage', 'rel. width', 's/fit'], rows)}\n`);
}
