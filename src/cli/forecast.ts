// `shadowcast forecast`: one series in, one forecast out (json or table), optionally written
// with its chart to --out. A history longer than a model fits on is noted on stderr, once.

import { join } from 'node:path';
import { MAX_FIT_POINTS } from '../forecast/history.js';
import type { ModelName } from '../forecast/index.js';
import { failureMessage } from '../forecast/wasm.js';
import { horizonProblem, parseDuration, quoted } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { type ForecastResult, forecastPool } from '../pipeline/forecast-pool.js';
import { signalLines, signalsJson } from '../pipeline/signal-report.js';
import { type InputFlags, seriesRequest } from './input-flags.js';
import { fmt, forecastJson, table, writeAtomically } from './output.js';

export interface ForecastFlags extends InputFlags {
  model: ModelName;
  out?: string;
  /** Leading signal files (default none), and the longest lag tried (default 1d). */
  signal?: string[];
  maxLag?: string;
}

export function resultJson(r: ForecastResult): Record<string, unknown> {
  return forecastJson(r.forecast, {
    series: r.series.name,
    model: r.model,
    step_seconds: r.series.stepMs / 1000,
    history_points: r.series.values.length,
    events: r.events.length,
    repairs: r.repairs.map((x) => ({ ...x, at: new Date(x.at).toISOString() })),
    ...(r.report
      ? {
          weights: r.report.weights,
          backtest: { folds: r.report.folds, horizon: r.report.horizon, scores: r.report.scores },
          calibration: r.report.calibration,
          // What the next run reuses instead of backtesting again (reused: this fit did so).
          selection: r.report.selection,
          reused: r.report.reused,
          ...(r.report.reselectReason ? { reselectReason: r.report.reselectReason } : {}),
        }
      : {}),
    ...(r.signals ? { signals: signalsJson(r.signals) } : {}),
  });
}

export function chartTitle(r: ForecastResult, pool?: string): string {
  const name = pool && pool !== r.series.name ? `${pool} (${r.series.name})` : r.series.name;
  return `${name} — ${r.model}, ${Math.round(r.forecast.level * 100)}% interval`;
}

/** forecast.json and forecast.svg in `dir`, both or neither. */
export async function writeForecastFiles(dir: string, r: ForecastResult, pool?: string): Promise<void> {
  // Loaded here, not at start-up: charting (vega) is a good part of the CLI's load time, and a
  // forecast printed to the terminal draws nothing.
  const { renderForecastSvg } = await import('../report/chart.js');
  const svg = await renderForecastSvg({
    title: chartTitle(r, pool),
    history: r.series,
    forecast: r.forecast,
    events: r.events,
  });
  await writeAtomically([
    { path: join(dir, 'forecast.json'), content: `${JSON.stringify(resultJson(r), null, 2)}\n` },
    { path: join(dir, 'forecast.svg'), content: svg },
  ]);
}

/**
 * forecast.json and forecast.svg in `dir`, and each further resource's in `dir/RESOURCE/`: the
 * chart of every resource the pool is sized by.
 */
export async function writePoolForecastFiles(dir: string, r: ForecastResult, pool: string): Promise<void> {
  await writeForecastFiles(dir, r, pool);
  for (const res of r.resources ?? []) {
    if (!res.series || !res.forecast) continue;
    const one: ForecastResult = {
      series: res.series,
      forecast: res.forecast,
      events: r.events,
      repairs: [],
      model: res.model ?? r.model,
    };
    await writeForecastFiles(join(dir, res.name), one, `${pool} ${res.name}`);
  }
}

/** Refuses a --horizon past its limits before any file is read (the step is checked later). */
export function checkHorizonFlag(text: string): void {
  const problem = horizonProblem(text);
  if (problem) throw new UsageError(`--horizon ${quoted(text.trim())} ${problem}`);
}

/** Says on stderr when the model saw only the latest part of the history, and how much. */
export function noteFitWindow(series: { name: string; values: ArrayLike<number> }): void {
  const n = series.values.length;
  if (n <= MAX_FIT_POINTS) return;
  const count = (v: number) => v.toLocaleString('en-US');
  process.stderr.write(
    `shadowcast: note: "${series.name}" has ${count(n)} points; models fit on the most recent ${count(MAX_FIT_POINTS)}\n`,
  );
}

/** Runs `work`, so that whatever it throws reaches the user as an Error with a message. */
export async function withMessage<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && err.message) throw err;
    throw new Error(`${what}: ${failureMessage(err)}`, { cause: err });
  }
}

export async function forecastCommand(flags: ForecastFlags): Promise<void> {
  checkHorizonFlag(flags.horizon);
  const request = await seriesRequest(flags);
  const maxLag = flags.maxLag ?? '1d';
  const maxLagMs = parseDuration(maxLag);
  if (maxLagMs === undefined || !(maxLagMs > 0))
    throw new UsageError(`--max-lag ${quoted(maxLag)}: expected a duration like 6h or 3d`);
  const signals = (flags.signal ?? []).map((file) => ({
    request: { input: file, zone: flags.tz, maxGap: flags.maxGap, sort: flags.sort },
    maxLagMs,
  }));
  const result = await withMessage('forecast failed', () =>
    forecastPool({
      ...request,
      events: flags.events,
      horizon: flags.horizon,
      level: flags.level,
      model: flags.model,
      ...(signals.length ? { signals } : {}),
    }),
  );
  noteFitWindow(result.series);
  const json = resultJson(result);
  if (flags.out) await writeForecastFiles(flags.out, result);
  if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  const f = result.forecast;
  process.stdout.write(
    `${result.series.name}: ${result.model}, ${f.mean.length} steps, ${Math.round(f.level * 100)}% interval, ` +
      `${result.series.values.length} points of history, ${result.events.length} events, ${result.repairs.length} repairs\n\n`,
  );
  const rows = f.timestamps.map((t, i) => [new Date(t).toISOString(), f.lower[i]!, f.mean[i]!, f.upper[i]!]);
  process.stdout.write(`${table(['timestamp', 'lower', 'mean', 'upper'], rows)}\n`);
  if (result.report) {
    const s = result.report.scores;
    process.stdout.write(
      `\nbacktest (${result.report.folds} folds): ` +
        Object.entries(s)
          .map(([k, v]) => `${k} MASE ${fmt(v.mase)}`)
          .join(', ') +
        '\n',
    );
  }
  if (result.signals)
    process.stdout.write(`\n${signalLines(result.signals, result.series.stepMs).join('\n')}\n`);
}
