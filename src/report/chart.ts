// The forecast chart: history tail, forecast mean, interval band, "now" and calendar events,
// rendered headless to a standalone SVG string (vega-lite → vega, renderer 'none', no canvas).
// Pure: the caller decides where the SVG goes.

import { type LoggerInterface, parse, resetSVGDefIds, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { type CalendarEvent, eventsInRange } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { Series } from '../core/series.js';

export interface ChartInput {
  /** e.g. "checkout-api requests/s — auto (prophet+mstl), 80% interval". */
  title: string;
  /** Only the tail is drawn. */
  history: Series;
  forecast: Forecast;
  /** Drawn as shaded spans with their names, only those overlapping the drawn window. */
  events?: readonly CalendarEvent[];
  /** Trailing history points to draw; default max(3 * horizon, 200), capped at the history length. */
  historyPoints?: number;
  /** Whole image size in pixels; defaults 900 x 360. */
  width?: number;
  height?: number;
  /** Y-axis title. */
  unit?: string;
}

/** One point of one line or of the band (then `v` is the lower edge and `v2` the upper). */
interface Row {
  t: number;
  v: number;
  v2?: number;
  series: string;
}

interface Span {
  start: number;
  end: number;
  name: string;
}

/** A label along the top of the plot; `lane` stacks labels that would otherwise overlap. */
interface TopLabel {
  t: number;
  text: string;
  kind: 'now' | 'event';
  lane: number;
}

const HISTORY = 'history';
const MEAN = 'forecast';
const INK = {
  history: '#1f2937',
  mean: '#2563eb',
  band: '#93c5fd',
  now: '#4b5563',
  event: '#d97706',
  eventText: '#92400e',
};
const BAND_OPACITY = 0.45;
const SOLID = [1, 0];
const DASHED = [6, 3];
const LABEL_FONT_PX = 10;
const LANE_PX = 13;
const MAX_LANES = 4;

/**
 * The chart of a forecast, drawn once: `run` draws each pool's for its forecast files and again
 * for its report, from the same objects, so the second is the first's SVG (an object's entry
 * goes when the forecast does).
 */
const drawn = new WeakMap<Forecast, { input: ChartInput; svg: string }>();

export async function renderForecastSvg(input: ChartInput): Promise<string> {
  const before = drawn.get(input.forecast);
  if (before && sameChart(before.input, input)) return before.svg;
  const svg = await renderVegaLiteSvg(forecastChartSpec(input));
  drawn.set(input.forecast, { input: { ...input }, svg });
  return svg;
}

function sameChart(a: ChartInput, b: ChartInput): boolean {
  return (
    a.title === b.title &&
    a.history === b.history &&
    a.events === b.events &&
    a.historyPoints === b.historyPoints &&
    a.width === b.width &&
    a.height === b.height &&
    a.unit === b.unit
  );
}

/** Any Vega-Lite spec to a standalone SVG string, headless; an error in the spec throws. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile(spec, { logger: failOnError }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none', logger: failOnError });
  // Clip and gradient ids come from module-level counters; resetting them keeps the output a function of the input.
  resetSVGDefIds();
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The Vega-Lite spec behind the chart, for callers that embed it elsewhere (and for tests). */
export function forecastChartSpec(input: ChartInput): TopLevelSpec {
  checkLengths(input.history, input.forecast);
  const width = input.width ?? 900;
  const w = drawnWindow(input);
  const bandName = `${Math.round(input.forecast.level * 100)}% interval`;
  const rows = [...historyRows(input.history, w.first), ...forecastRows(input.forecast, bandName)];
  const spans = visibleSpans(input.events ?? [], w.start, w.end);
  // Label widths are estimated in time units from the approximate plot width (the y axis takes ~70px).
  const msPerPx = (w.end - w.start) / Math.max(1, width - 70);
  const labels = laneLabels(
    [
      { t: w.now, text: 'now', kind: 'now' },
      ...spans.map((s) => ({ t: s.start, text: s.name, kind: 'event' as const })),
    ],
    msPerPx,
  );

  const x = { field: 't', type: 'temporal' };
  // Scale and axis are declared once, on the history line; the other layers share them.
  const xAxis = {
    ...x,
    title: 'UTC',
    scale: { type: 'utc', domain: [w.start, w.end], nice: false },
    // Flush end labels collide with their neighbours, and vega then hides every other label.
    axis: { ...timeTicks(w.end - w.start, width), labelFlush: false },
  };
  const y = {
    field: 'v',
    type: 'quantitative',
    title: input.unit ?? null,
    scale: { zero: rows.every((r) => r.v >= 0 && (r.v2 ?? 0) >= 0), nice: true },
    axis: { tickCount: 6 },
  };

  return {
    width,
    height: input.height ?? 360,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: 8,
    title: {
      text: input.title,
      anchor: 'start',
      fontSize: 14,
      fontWeight: 600,
      color: '#111827',
      offset: 10,
    },
    config: {
      // Default mark descriptions format times in the process's local zone, which would make the SVG depend on TZ.
      aria: false,
      font: 'Helvetica, Arial, sans-serif',
      view: { stroke: null },
      axis: { labelColor: '#374151', titleColor: '#374151', gridColor: '#e5e7eb', domainColor: '#9ca3af' },
      legend: { labelColor: '#374151', labelFontSize: 11 },
    },
    layer: [
      eventLayer(spans, x),
      bandLayer(rows, bandName, x, y),
      lineLayer(rows, HISTORY, SOLID, bandName, xAxis, y),
      lineLayer(rows, MEAN, DASHED, bandName, x, y),
      nowLayer(w.now, x),
      ...labelLayers(labels, x),
    ],
  } as TopLevelSpec;
}

/** Vega logs errors and carries on into a broken render; here they throw. Warnings stay quiet (no console in a pure function). */
const failOnError: LoggerInterface = {
  level(level?: number) {
    return level === undefined ? 1 : failOnError;
  },
  error(...args: unknown[]): never {
    throw new Error(`chart: ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}`);
  },
  warn: () => failOnError,
  info: () => failOnError,
  debug: () => failOnError,
};

function checkLengths(history: Series, forecast: Forecast): void {
  if (history.values.length !== history.timestamps.length) {
    throw new Error(
      `chart: history "${history.name}" has ${history.timestamps.length} timestamps but ${history.values.length} values`,
    );
  }
  const n = forecast.timestamps.length;
  if (n === 0) throw new Error('chart: forecast is empty');
  const arrays = { mean: forecast.mean, lower: forecast.lower, upper: forecast.upper };
  for (const [name, arr] of Object.entries(arrays)) {
    if (arr.length !== n)
      throw new Error(`chart: forecast has ${n} timestamps but ${arr.length} ${name} values`);
  }
}

/** Which history points are drawn, the time span on screen, and where "now" is. */
function drawnWindow({ history, forecast, historyPoints }: ChartInput) {
  const horizon = forecast.timestamps.length;
  const keep = Math.max(0, Math.min(history.timestamps.length, historyPoints ?? Math.max(3 * horizon, 200)));
  const first = history.timestamps.length - keep;
  const [f0, f1] = forecast.timestamps as [number, number | undefined];
  // The origin is the last observation the forecast was made from; stepping back from the first
  // forecast point is only a fallback, as stepMs is approximate on calendar-month grids.
  const observed = history.timestamps.findLast((t) => t < f0);
  const now = observed ?? f0 - (history.stepMs > 0 ? history.stepMs : f1 !== undefined ? f1 - f0 : 0);
  const start = keep > 0 ? Math.min(history.timestamps[first]!, now) : now;
  // History may run past the origin (actuals drawn over a backtest); keep all of it on screen.
  const end = Math.max(forecast.timestamps[horizon - 1]!, history.timestamps.at(-1) ?? -Infinity);
  return { first, now, start, end };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Vega's runtime wants the plural 'minutes'/'hours' although its typings say 'minute'/'hour' (vega/vega#3703).
const TICKS = [
  ...[1, 5, 15, 30].map((step) => ({ interval: 'minutes', step, ms: step * MINUTE, format: '%d %b %H:%M' })),
  ...[1, 3, 6, 12].map((step) => ({ interval: 'hours', step, ms: step * HOUR, format: '%d %b %H:%M' })),
  ...[1, 2].map((step) => ({ interval: 'day', step, ms: step * DAY, format: '%a %d %b' })),
  ...[1, 2].map((step) => ({ interval: 'week', step, ms: step * 7 * DAY, format: '%d %b' })),
  ...[1, 3].map((step) => ({ interval: 'month', step, ms: step * 30 * DAY, format: '%b %Y' })),
  { interval: 'year', step: 1, ms: 365 * DAY, format: '%Y' },
];

/**
 * The finest tick spacing whose labels still fit side by side on a plot `width` px wide, with a
 * format that says enough at it; `axisPx` is what the y axis takes, `labelPx` a label's room.
 */
export function timeTicks(spanMs: number, width: number, axisPx = 70, labelPx = 110) {
  const maxTicks = Math.max(2, Math.floor((width - axisPx) / labelPx));
  const tick = TICKS.find((t) => spanMs / t.ms <= maxTicks) ?? TICKS[TICKS.length - 1]!;
  return { tickCount: { interval: tick.interval, step: tick.step }, format: tick.format };
}

function historyRows(history: Series, first: number): Row[] {
  const rows: Row[] = [];
  for (let i = first; i < history.timestamps.length; i++) {
    rows.push({ t: history.timestamps[i]!, v: history.values[i]!, series: HISTORY });
  }
  return rows;
}

function forecastRows(forecast: Forecast, bandName: string): Row[] {
  return forecast.timestamps.flatMap((t, i) => [
    { t, v: forecast.mean[i]!, series: MEAN },
    { t, v: forecast.lower[i]!, v2: forecast.upper[i]!, series: bandName },
  ]);
}

/** Event spans including their windows, clamped to the drawn window so labels stay on the plot. */
function visibleSpans(events: readonly CalendarEvent[], start: number, end: number): Span[] {
  return eventsInRange(events, start, end + 1)
    .map((e) => ({
      start: Math.max(start, e.start - e.lowerWindowMs),
      end: Math.min(end, e.end + e.upperWindowMs),
      name: e.name,
    }))
    .sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
}

/** Greedy lanes: a label takes the first lane whose previous label has ended, else the lane freed soonest. */
function laneLabels(items: Omit<TopLabel, 'lane'>[], msPerPx: number): TopLabel[] {
  const laneEnds: number[] = [];
  return [...items]
    .sort((a, b) => a.t - b.t)
    .map((item) => {
      let lane = laneEnds.findIndex((end) => end < item.t);
      if (lane < 0)
        lane = laneEnds.length < MAX_LANES ? laneEnds.length : laneEnds.indexOf(Math.min(...laneEnds));
      laneEnds[lane] = item.t + (item.text.length * LABEL_FONT_PX * 0.6 + 10) * msPerPx;
      return { ...item, lane };
    });
}

function eventLayer(spans: Span[], x: object) {
  return {
    data: { values: spans },
    mark: {
      type: 'rect',
      color: INK.event,
      opacity: 0.1,
      stroke: INK.event,
      strokeOpacity: 0.35,
      strokeWidth: 1,
    },
    encoding: { x: { ...x, field: 'start' }, x2: { field: 'end' } },
  };
}

function bandLayer(rows: Row[], bandName: string, x: object, y: object) {
  return {
    data: { values: rows },
    transform: [{ filter: { field: 'series', equal: bandName } }],
    mark: { type: 'area', fillOpacity: BAND_OPACITY },
    encoding: { x, y, y2: { field: 'v2' }, color: seriesColor(bandName) },
  };
}

function lineLayer(rows: Row[], series: string, dash: number[], bandName: string, x: object, y: object) {
  return {
    data: { values: rows },
    transform: [{ filter: { field: 'series', equal: series } }],
    mark: { type: 'line', strokeWidth: 1.6, strokeDash: dash },
    encoding: { x, y, color: seriesColor(bandName) },
  };
}

/**
 * One colour scale for lines and band so they share one legend; its symbols are then drawn per
 * entry (solid stroke, dashed stroke, translucent square) to match what is on the plot.
 */
function seriesColor(bandName: string) {
  const isBand = `datum.value === ${JSON.stringify(bandName)}`;
  const isMean = `datum.value === ${JSON.stringify(MEAN)}`;
  return {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: [HISTORY, MEAN, bandName], range: [INK.history, INK.mean, INK.band] },
    legend: {
      orient: 'top',
      direction: 'horizontal',
      offset: 4,
      symbolSize: 220,
      symbolStrokeWidth: 2,
      encode: {
        symbols: {
          update: {
            shape: [{ test: isBand, value: 'square' }, { value: 'stroke' }],
            fillOpacity: [{ test: isBand, value: BAND_OPACITY }, { value: 0 }],
            strokeOpacity: [{ test: isBand, value: 0 }, { value: 1 }],
            strokeDash: [{ test: isMean, value: DASHED }, { value: SOLID }],
          },
        },
      },
    },
  };
}

function nowLayer(now: number, x: object) {
  return {
    data: { values: [{ t: now }] },
    mark: { type: 'rule', color: INK.now, strokeWidth: 1.2, strokeDash: [2, 3] },
    encoding: { x },
  };
}

/** One text layer per lane, because a lane's vertical offset is a pixel constant, not a data scale. */
function labelLayers(labels: TopLabel[], x: object) {
  const lanes = [...new Set(labels.map((l) => l.lane))].sort();
  return lanes.map((lane) => ({
    data: { values: labels.filter((l) => l.lane === lane) },
    mark: {
      type: 'text',
      align: 'left',
      baseline: 'top',
      dx: 3,
      dy: 3 + lane * LANE_PX,
      fontSize: LABEL_FONT_PX,
    },
    encoding: {
      x,
      y: { value: 0 },
      text: { field: 'text' },
      color: { condition: { test: "datum.kind === 'now'", value: INK.now }, value: INK.eventText },
    },
  }));
}
