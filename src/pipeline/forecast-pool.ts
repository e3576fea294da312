// One pool's forecast, wired end to end: read the metric series, read the calendars, check the
// history is long enough for the model, fit, predict. Used by `forecast` and by `run`.

import { readInput } from '../metrics/read-input.js';
import { parseHorizon } from '../core/duration.js';
import { formatDuration } from '../core/time-format.js';
import { describeError, InputError, UsageError } from '../core/errors.js';
import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { ModelSelection } from '../core/seams.js';
import type { Repair, Series } from '../core/series.js';
import { futureTimestamps } from '../core/series.js';
import type { AutoReport } from '../forecast/index.js';
import type { LeadingSignal, SignalReport, SignalSpike } from '../forecast/signals.js';
import { createForecaster, type ModelName } from '../forecast/index.js';
import { historyWindow } from '../forecast/window.js';
import { CsvSource } from '../metrics/csv.js';
import { regularizeFetched } from '../metrics/regularize.js';
import { type Fitter, IN_PROCESS } from './fit-job.js';
import type { SeriesRequest, SourceSeriesRequest } from '../metrics/series-request.js';

export type ForecastRequest = SeriesRequest & {
  events: string[];
  horizon: string;
  level: number;
  model: ModelName;
  /** Fit on the newest this much of the series only (the policy's forecast.history); default all of it. */
  historyMs?: number;
  /** `auto`'s selection from the pool's previous forecast: reused while it is fresh (selectionToReuse). */
  selection?: ModelSelection;
  /** Where the fit runs (default: this thread). */
  fitter?: Fitter;
  /**
   * Asked once the series is read, before the fit: a reason to select `auto`'s models afresh
   * instead of reusing `selection` (the forecast drifted), or undefined to reuse it.
   */
  reselect?: (series: Series) => string | undefined;
  /** Series that may run ahead of demand, each tried as a lagged regressor (forecast/signals.ts). */
  signals?: SignalRequest[];
};

/**
 * A leading signal to read: its name, where it comes from, and the longest lag to try. Without a
 * name, a CSV file's every series is a signal, named by its column.
 */
export interface SignalRequest {
  name?: string;
  request: SeriesRequest;
  maxLagMs: number;
}

/** What the signals did for a forecast: which were used and dropped, spikes seen, reads that failed. */
export interface SignalOutcome {
  report?: SignalReport;
  spikes: SignalSpike[];
  /** Signals whose live read failed or came back empty: forecast without them (an alert, not a failure). */
  vanished: { name: string; reason: string }[];
}

export interface ForecastResult {
  series: Series;
  forecast: Forecast;
  events: CalendarEvent[];
  repairs: Repair[];
  model: string;
  report?: AutoReport;
  /** Present when the request named signals. */
  signals?: SignalOutcome;
  /** What `series` measures (the spec's `resource:`), and the pool's further resources' forecasts. */
  resource?: string;
  resources?: ResourceForecast[];
}

/** One further resource of a pool: its series and forecast, or why it could not be read. */
export interface ResourceForecast {
  name: string;
  series?: Series;
  forecast?: Forecast;
  model?: string;
  /** Its newest value; NaN when its live metric vanished (the plan then holds capacity). */
  observed: number;
  error?: string;
}

/** Where a request's series comes from, as error messages name it: the file, or the source and query. */
export function seriesPlace(req: SeriesRequest): string {
  return req.kind === 'source' ? req.label : req.input;
}

export async function loadSeries(req: SeriesRequest): Promise<{ series: Series; repairs: Repair[] }> {
  if (req.kind === 'source') return loadFromSource(req);
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

/** A live query that matched nothing in its window: bad input for `forecast`, vanished metrics for `run`. */
export class NoSeriesError extends UsageError {}

async function loadFromSource(req: SourceSeriesRequest): Promise<{ series: Series; repairs: Repair[] }> {
  const set = await req.source.range(req.query, req.start, req.end, req.stepMs);
  const only = set.series[0];
  if (!only) {
    const span = `${new Date(req.start).toISOString()} .. ${new Date(req.end).toISOString()}`;
    throw new NoSeriesError(`${req.label} returned no series between ${span}`);
  }
  if (set.series.length > 1) {
    throw new UsageError(
      `${req.label} returned ${set.series.length} series (${listNames(set.series)}); choose one with label matchers or an aggregation in the query`,
    );
  }
  const out = regularizeFetched(only, req.maxGap ?? 6, req.label);
  return { series: out.series, repairs: [...set.repairs, ...out.repairs] };
}

/** The first few series names, enough to pick from on one line. */
function listNames(series: readonly Series[], most = 10): string {
  const names = series.slice(0, most).map((s) => s.name);
  return series.length > most ? `${names.join(', ')}, … ${series.length - most} more` : names.join(', ');
}

export async function forecastPool(req: ForecastRequest): Promise<ForecastResult> {
  const { series, repairs } = await loadSeries(req);
  const horizon = parseHorizon(req.horizon, series.stepMs);
  const future = futureTimestamps(series, horizon);
  // The calendar readers (ICS, YAML and their schemas) load only when there are calendars to read.
  let events: CalendarEvent[] = [];
  if (req.events.length) {
    const { eventsFromFiles } = await import('../calendars/index.js');
    const end = future[future.length - 1]! + 1;
    events = await eventsFromFiles(req.events, series.timestamps[0]!, end, { timezone: req.zone });
  }
  const forecaster = createForecaster(req.model);
  const fitted = historyWindow(series, req.historyMs);
  const need = forecaster.minPoints(fitted);
  if (fitted.values.length < need) {
    const window =
      fitted === series ? '' : ` in its forecast.history window of ${formatDuration(req.historyMs!)}`;
    throw new InputError(
      seriesPlace(req),
      series.source?.lastLine,
      `"${series.name}" has ${fitted.values.length} points${window}; model ${req.model} needs at least ${need} at this sampling step (two seasonal cycles)`,
    );
  }
  const dropped = req.selection ? req.reselect?.(series) : undefined;
  const previous = dropped === undefined ? req.selection : undefined;
  const read = req.signals?.length ? await loadSignals(req.signals, series.stepMs) : undefined;
  const out = await (req.fitter ?? IN_PROCESS).fit({
    model: req.model,
    window: fitted,
    events,
    level: req.level,
    horizon,
    ...(previous ? { previous } : {}),
    ...(read?.series.length ? { signals: read.series } : {}),
  });
  const forecast = out.forecast!;
  const report =
    out.report && dropped !== undefined ? { ...out.report, reselectReason: dropped } : out.report;
  return {
    series,
    forecast,
    events,
    repairs,
    model: report ? `auto:${report.chosen}` : req.model,
    report,
    ...(read
      ? {
          signals: {
            ...(out.signals ? { report: out.signals } : {}),
            spikes: out.spikes ?? [],
            vanished: read.vanished,
          },
        }
      : {}),
  };
}

/**
 * The signals' series, named as the spec names them, each with its longest lag in steps of demand.
 * A live signal that cannot be read (its source down, its query empty, its data bad) is left out
 * and said why: demand is forecast without it, never a failed run. A signal file that cannot be
 * read is bad input, like the demand file.
 */
async function loadSignals(
  requests: readonly SignalRequest[],
  stepMs: number,
): Promise<{ series: LeadingSignal[]; vanished: { name: string; reason: string }[] }> {
  const series: LeadingSignal[] = [];
  const vanished: { name: string; reason: string }[] = [];
  for (const r of requests) {
    const maxLag = Math.max(1, Math.floor(r.maxLagMs / stepMs));
    const req = r.request;
    if (req.kind !== 'source') {
      // A signal file that cannot be read is bad input, like the demand file.
      const source = new CsvSource(req.input, readInput, {
        zone: req.zone,
        maxGap: req.maxGap,
        sort: req.sort,
      });
      const set = await source.range(req.series ?? '', -Infinity, Infinity);
      for (const s of set.series) {
        const name = set.series.length === 1 && r.name !== undefined ? r.name : s.name;
        if (series.some((x) => x.name === name))
          throw new UsageError(`two signals are named "${name}" (${req.input}); name each once`);
        series.push({ name, timestamps: s.timestamps, values: s.values, stepMs: s.stepMs, maxLag });
      }
      continue;
    }
    const name = r.name ?? req.query;
    try {
      const { series: s } = await loadSeries(req);
      series.push({ name, timestamps: s.timestamps, values: s.values, stepMs: s.stepMs, maxLag });
    } catch (err) {
      vanished.push({ name, reason: describeError(err) });
    }
  }
  return { series, vanished };
}
