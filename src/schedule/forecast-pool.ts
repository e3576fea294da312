// One pool's forecast, wired end to end: read the metric series, read the calendars, check the
// history is long enough for the model, fit, predict. Used by `forecast` and by `run`.

import { readFile } from 'node:fs/promises';
import { eventsFromFiles } from '../calendars/index.js';
import { parseHorizon } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { Repair, Series } from '../core/series.js';
import { futureTimestamps } from '../core/series.js';
import type { AutoReport } from '../forecast/index.js';
import { createForecaster, type ModelName } from '../forecast/index.js';
import { CsvSource } from '../metrics/csv.js';

export interface SeriesRequest {
  input: string;
  /** Series to forecast when the file holds several. */
  series?: string;
  zone?: string;
  maxGap?: number;
  sort?: boolean;
}

export interface ForecastRequest extends SeriesRequest {
  events: string[];
  horizon: string;
  level: number;
  model: ModelName;
}

export interface ForecastResult {
  series: Series;
  forecast: Forecast;
  events: CalendarEvent[];
  repairs: Repair[];
  model: string;
  report?: AutoReport;
}

export async function loadSeries(req: SeriesRequest): Promise<{ series: Series; repairs: Repair[] }> {
  const source = new CsvSource(req.input, readInput, {
    zone: req.zone,
    maxGap: req.maxGap,
    sort: req.sort,
  });
  const set = await source.range(req.series ?? '', -Infinity, Infinity);
  if (set.series.length > 1) {
    throw new InputError(
      req.input,
      undefined,
      `holds ${set.series.length} series (${set.series.map((s) => s.name).join(', ')}); choose one with --series`,
    );
  }
  return { series: set.series[0]!, repairs: set.repairs };
}

/** Reads an input file; a missing or unreadable file is bad input (exit 2), named plainly. */
export async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError(file, undefined, `cannot read: ${why}`);
  }
}

export async function forecastPool(req: ForecastRequest): Promise<ForecastResult> {
  const { series, repairs } = await loadSeries(req);
  const horizon = parseHorizon(req.horizon, series.stepMs);
  const future = futureTimestamps(series, horizon);
  const events = await eventsFromFiles(req.events, series.timestamps[0]!, future[future.length - 1]! + 1, {
    timezone: req.zone,
  });
  const forecaster = createForecaster(req.model);
  const need = forecaster.minPoints(series);
  if (series.values.length < need) {
    throw new InputError(
      req.input,
      series.source?.lastLine,
      `"${series.name}" has ${series.values.length} points; model ${req.model} needs at least ${need} at this sampling step (two seasonal cycles)`,
    );
  }
  const model = forecaster.fit(series, events, { level: req.level, horizon });
  const forecast = model.predict(horizon, req.level);
  const report = 'report' in model ? (model.report as AutoReport) : undefined;
  return { series, forecast, events, repairs, model: report ? `auto:${report.chosen}` : req.model, report };
}
