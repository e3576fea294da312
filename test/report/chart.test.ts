// Renders the forecast chart with the real vega-lite and vega (headless, no canvas) and checks the SVG text.
// Visual quality was checked by eye on a PNG; these tests pin the contract: what is drawn and that it is deterministic.

import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import type { CalendarEvent } from '../../src/core/events.js';
import type { Forecast } from '../../src/core/forecast.js';
import type { Series } from '../../src/core/series.js';
import { type ChartInput, forecastChartSpec, renderForecastSvg } from '../../src/report/chart.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 10, 20);
const TITLE = 'checkout-api requests/s — auto (prophet+mstl), 80% interval';

function input(opts: { offset?: number; horizon?: number } = {}): ChartInput {
  const offset = opts.offset ?? 0;
  const horizon = opts.horizon ?? 48;
  const daily = (i: number) => offset + 150 + 50 * Math.sin((2 * Math.PI * i) / 24);
  const n = 300;
  const history: Series = {
    name: 'checkout-api',
    timestamps: Array.from({ length: n }, (_, i) => T0 + i * HOUR),
    values: Float64Array.from({ length: n }, (_, i) => daily(i) + ((i * 7) % 5)),
    stepMs: HOUR,
  };
  const mean = Float64Array.from({ length: horizon }, (_, i) => daily(n + i));
  const forecast: Forecast = {
    timestamps: Array.from({ length: horizon }, (_, i) => T0 + (n + i) * HOUR),
    mean,
    lower: mean.map((m) => m - 20),
    upper: mean.map((m) => m + 20),
    level: 0.8,
  };
  const event = (name: string, start: number, hours: number): CalendarEvent => ({
    name,
    kind: 'campaign',
    start,
    end: start + hours * HOUR,
    lowerWindowMs: HOUR,
    upperWindowMs: 0,
  });
  const events = [
    event('black friday sale', T0 + (n + 10) * HOUR, 12),
    event('ancient outage', T0 - 90 * 24 * HOUR, 2),
  ];
  return { title: TITLE, history, forecast, events, unit: 'requests/s' };
}

describe('renderForecastSvg', () => {
  it.each([
    ['is an svg element of the default size', /^<svg [^>]*width="900" height="360"/],
    ['has a white background', /<rect width="900" height="360" fill="white"\/>/],
    ['shows the title', `>${TITLE}</text>`],
    [
      'draws the history as a dark line',
      /class="mark-line[^"]*"[^>]*><path [^>]*d="M[^"]+"[^>]*stroke="#1f2937"/,
    ],
    [
      'draws the forecast mean as a dashed line',
      /class="mark-line[^"]*"[^>]*><path [^>]*d="M[^"]+"[^>]*stroke="#2563eb"[^>]*stroke-dasharray="6,3"/,
    ],
    [
      'draws the band as a translucent area',
      /class="mark-area[^"]*"[^>]*><path [^>]*d="M[^"]+"[^>]*fill="#[0-9a-f]{6}" fill-opacity="0\.\d+"/,
    ],
    ['labels the band in the legend', /role-legend-label[\s\S]*>80% interval</],
    ['draws a rule at the forecast origin', /class="mark-rule role-mark[^"]*"[^>]*><line /],
    ['labels the origin "now"', '>now</text>'],
    [
      'shades the event in the window',
      /class="mark-rect role-mark[^"]*"[^>]*><path [^>]*d="M[^"]+"[^>]*opacity="0\.\d+"/,
    ],
    ['names the event in the window', '>black friday sale</text>'],
    ['labels the time axis in UTC days', '>Fri 29 Nov</text>'],
    ['loads nothing from outside', /^(?![\s\S]*(@import|url\(http|href="http))/],
  ] as [string, string | RegExp][])('%s', async (what, pattern) => {
    const svg = await renderForecastSvg(input());
    // A boolean keeps a failure message short; toMatch would print the whole SVG.
    expect(typeof pattern === 'string' ? svg.includes(pattern) : pattern.test(svg), what).toBe(true);
  });

  it('leaves out events outside the drawn window', async () => {
    expect((await renderForecastSvg(input())).includes('ancient outage')).toBe(false);
  });

  it.each([
    ['non-negative data starts the y axis at 0', 0, true],
    ['negative data does not force 0 into the y axis', -1000, false],
  ])('%s', async (_what, offset, hasZero) => {
    const svg = await renderForecastSvg(input({ offset }));
    expect(/role-axis-label[\s\S]*?>0<\/text>/.test(svg)).toBe(hasZero);
  });

  it('renders identically twice, and in any local time zone', async () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const first = await renderForecastSvg(input());
      const second = await renderForecastSvg(input());
      process.env.TZ = 'Asia/Kolkata';
      const elsewhere = await renderForecastSvg(input());
      expect(second === first, 'second render').toBe(true);
      expect(elsewhere === first, 'render in Asia/Kolkata').toBe(true);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('builds a spec vega-lite compiles without warnings', () => {
    const warnings: unknown[] = [];
    const note = (...args: unknown[]) => {
      warnings.push(args);
      return logger;
    };
    const logger = { level: () => logger, error: note, warn: note, info: () => logger, debug: () => logger };
    compile(forecastChartSpec(input()), { logger });
    expect(warnings).toEqual([]);
  });

  it.each([
    [
      'history values',
      (c: ChartInput) => (c.history.values = c.history.values.subarray(1)),
      /300 timestamps but 299 values/,
    ],
    [
      'forecast mean',
      (c: ChartInput) => (c.forecast.mean = c.forecast.mean.subarray(1)),
      /48 timestamps but 47 mean/,
    ],
    [
      'forecast lower',
      (c: ChartInput) => (c.forecast.lower = new Float64Array(3)),
      /48 timestamps but 3 lower/,
    ],
    [
      'forecast upper',
      (c: ChartInput) => (c.forecast.upper = new Float64Array(49)),
      /48 timestamps but 49 upper/,
    ],
    [
      'empty forecast',
      (c: ChartInput) => (c.forecast = { ...c.forecast, timestamps: [] }),
      /forecast is empty/,
    ],
  ])('throws on mismatched lengths: %s', async (_what, breakIt, message) => {
    const broken = input();
    breakIt(broken);
    await expect(renderForecastSvg(broken)).rejects.toThrow(message);
  });
});
