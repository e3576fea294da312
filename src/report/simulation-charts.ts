// The simulation report's charts, as Vega-Lite specs rendered headless to SVG strings by the
// forecast chart's renderer (renderVegaLiteSvg: vega-lite → vega, renderer 'none', no canvas).
// All four share the time axis, its width and the width of the y axis, so they line up on the
// page: demand against every arm's ready capacity with shadowcast's shortfall shaded and the
// migrations and rollbacks marked; where each arm fell short; instances paid for; shadowcast's
// shadow weight. They draw buckets (simulation-buckets.ts), never minutes. Hovering a marker or a
// shortfall cell shows its <title>, added to the SVG after rendering (vega's own tooltips need
// a script). Pure and deterministic.

import type { TopLevelSpec } from 'vega-lite';
import { ARMS, type Arm } from '../simulate/simulate.js';
import { renderVegaLiteSvg, timeTicks } from './chart.js';
import { utcMinute } from '../core/time-format.js';
import { esc, num } from './format.js';
import type { Buckets } from './simulation-buckets.js';
import type { TimelineMarker } from '../simulate/simulate.js';

/** How each arm is named on the page. */
export const ARM_NAMES: Record<Arm, string> = {
  shadowcast: 'shadowcast',
  reactive: 'reactive',
  static: 'static N+k',
  staticMatched: 'static, matched',
};

const MINUTE = 60_000;

const DEMAND = 'demand';
const SHORT = 'shadowcast short';
const INK = {
  demand: '#111827',
  shadowcast: '#2563eb',
  reactive: '#d97706',
  static: '#6b7280',
  staticMatched: '#7c3aed',
  short: '#dc2626',
  migration: '#0d9488',
  rollback: '#db2777',
  weight: '#2563eb',
};
const SHORT_OPACITY = 0.4;
const DASHED = [5, 3];
const SOLID = [1, 0];
/** Static arms hold one count all along: dashed, so the lines that move stand out. */
const DASHED_ARMS = new Set<Arm>(['static', 'staticMatched']);
/**
 * Width kept for every chart's y axis, so the plots line up: the widest arm name ("static,
 * matched") as vega estimates text without a canvas (0.8 em a character), plus the label padding.
 */
const Y_AXIS_PX = 140;
/** The narrowest a shortfall cell or a marker's span is (pixels): buckets are gathered up to it. */
const MIN_CELL_PX = 4;
/** Labels listed in one marker's title before "… and n more", and the most characters of each. */
const TITLE_LINES = 8;
const LABEL_CHARS = 160;
/** Whole image width in pixels, unless told. */
const WIDTH = 940;

export interface ChartsInput {
  buckets: Buckets;
  markers: readonly TimelineMarker[];
  /** Whole image width in pixels; default 940. */
  width?: number;
}

/**
 * Buckets gathered into one cell (of shortfall) or one marker's span: as many as make
 * MIN_CELL_PX on the plot, so a few minutes short in a long replay stay in sight, and 200 days
 * of markers or shortfall draw at most a few hundred shapes a row.
 */
export function cellBuckets(b: Buckets, width = WIDTH): number {
  return Math.max(1, Math.ceil((MIN_CELL_PX * b.starts.length) / plotPx(width)));
}

export interface SimulationSvgs {
  capacity: string;
  shortfall: string;
  paid: string;
  shadowWeight: string;
}

/** The four charts, rendered. */
export async function simulationSvgs(input: ChartsInput): Promise<SimulationSvgs> {
  const specs = simulationChartSpecs(input);
  const groups = markerGroups(input.buckets, input.markers, input.width);
  const cells = shortCells(input.buckets, input.width);
  let capacity = await renderVegaLiteSvg(specs.capacity);
  capacity = withTitles(capacity, 'migrations_marks', titlesOf(groups, 'migration'));
  capacity = withTitles(capacity, 'rollbacks_marks', titlesOf(groups, 'rollback'));
  capacity = withTitles(capacity, 'rollbackrules_marks', titlesOf(groups, 'rollback'));
  capacity = withTitles(capacity, 'short_marks', shadowcastCellTitles(cells));
  const shortfall = withTitles(
    await renderVegaLiteSvg(specs.shortfall),
    'cells_marks',
    cells.map((c) => cellTitle(c)),
  );
  return {
    capacity: tidy(capacity, 'sim-capacity'),
    shortfall: tidy(shortfall, 'sim-shortfall'),
    paid: tidy(await renderVegaLiteSvg(specs.paid), 'sim-paid'),
    shadowWeight: tidy(await renderVegaLiteSvg(specs.shadowWeight), 'sim-weight'),
  };
}

/** The Vega-Lite specs behind the charts (for tests, and callers that embed them elsewhere). */
export function simulationChartSpecs(input: ChartsInput): Record<keyof SimulationSvgs, TopLevelSpec> {
  const width = input.width ?? WIDTH;
  const b = input.buckets;
  const groups = markerGroups(b, input.markers, width);
  const cells = shortCells(b, width);
  return {
    capacity: capacitySpec(b, groups, cells, width),
    shortfall: shortfallSpec(b, cells, width),
    paid: paidSpec(b, width),
    shadowWeight: weightSpec(b, width),
  };
}

/** Markers of one kind that fall in one cell (cellBuckets), drawn as one symbol at the first one's time. */
export interface MarkerGroup {
  kind: TimelineMarker['kind'];
  at: number;
  cell: number;
  markers: TimelineMarker[];
}

/** The markers inside the replay, grouped by cell and kind, in time order (rollbacks after migrations). */
export function markerGroups(b: Buckets, markers: readonly TimelineMarker[], width = WIDTH): MarkerGroup[] {
  const end = b.ends[b.ends.length - 1] ?? b.start;
  const size = b.bucketMinutes * MINUTE * cellBuckets(b, width);
  const byKey = new Map<string, MarkerGroup>();
  const sorted = markers
    .filter((m) => Number.isFinite(m.at) && m.at >= b.start && m.at < end)
    .sort((x, y) => x.at - y.at);
  for (const m of sorted) {
    const cell = Math.floor((m.at - b.start) / size);
    const key = `${m.kind}:${cell}`;
    const g = byKey.get(key);
    if (g) g.markers.push(m);
    else byKey.set(key, { kind: m.kind, at: m.at, cell, markers: [m] });
  }
  return [...byKey.values()].sort((x, y) =>
    x.kind === y.kind ? x.at - y.at : x.kind === 'migration' ? -1 : 1,
  );
}

/** A cell (cellBuckets) in which one arm fell short. */
interface ShortCell {
  arm: Arm;
  start: number;
  end: number;
  /** Unit-minutes short, and minutes with any shortfall, in the cell. */
  sum: number;
  minutes: number;
  /** The cell's worst minute: how much was short, and the demand then. */
  peak: number;
  peakDemand: number;
}

function shortCells(b: Buckets, width = WIDTH): ShortCell[] {
  const size = cellBuckets(b, width);
  const n = b.starts.length;
  const out: ShortCell[] = [];
  for (const arm of ARMS) {
    const a = b.arms[arm];
    for (let lo = 0; lo < n; lo += size) {
      const hi = Math.min(n, lo + size);
      const cell: ShortCell = {
        arm,
        start: b.starts[lo]!,
        end: b.ends[hi - 1]!,
        sum: 0,
        minutes: 0,
        peak: 0,
        peakDemand: 0,
      };
      for (let i = lo; i < hi; i++) {
        cell.sum += a.shortfall[i]!;
        cell.minutes += a.shortMinutes[i]!;
        if (a.shortPeak[i]! > cell.peak) {
          cell.peak = a.shortPeak[i]!;
          cell.peakDemand = a.shortPeakDemand[i]!;
        }
      }
      if (cell.sum > 0) out.push(cell);
    }
  }
  return out;
}

function titlesOf(groups: MarkerGroup[], kind: TimelineMarker['kind']): string[] {
  return groups.filter((g) => g.kind === kind).map(markerTitle);
}

/** "2023-04-16 08:02 UTC migration: label", or one line per marker under a count. */
function markerTitle(g: MarkerGroup): string {
  const what = (n: number) =>
    g.kind === 'migration' ? `migration${n === 1 ? '' : 's'}` : `rollback${n === 1 ? '' : 's'}`;
  if (g.markers.length === 1) {
    const m = g.markers[0]!;
    return `${utcMinute(m.at)} UTC ${what(1)}: ${clip(m.label)}`;
  }
  const lines = g.markers.slice(0, TITLE_LINES).map((m) => `${utcMinute(m.at).slice(11)} ${clip(m.label)}`);
  const more = g.markers.length - TITLE_LINES;
  if (more > 0) lines.push(`… and ${more} more`);
  return [`${g.markers.length} ${what(g.markers.length)} from ${utcMinute(g.at)} UTC:`, ...lines].join('\n');
}

function clip(label: string): string {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

function shadowcastCellTitles(cells: ShortCell[]): string[] {
  return cells.filter((c) => c.arm === 'shadowcast').map((c) => cellTitle(c));
}

function cellTitle(c: ShortCell): string {
  const span = `${utcMinute(c.start)} to ${utcMinute(c.end).slice(11)} UTC`;
  return `${ARM_NAMES[c.arm]}, ${span}: ${num(c.sum)} unit-minutes short in ${c.minutes} minute${c.minutes === 1 ? '' : 's'}; worst minute ${num(c.peak)} short of ${num(c.peakDemand)}`;
}

/**
 * Adds a <title> to each item of the named mark group, in order: vega draws one element per datum
 * in the order of the data, which is the order of `titles`. A count that differs adds none.
 */
export function withTitles(svg: string, markName: string, titles: readonly string[]): string {
  const open = svg.indexOf(` ${markName}"`);
  if (open < 0 || titles.length === 0) return svg;
  const from = svg.indexOf('>', open) + 1;
  const to = svg.indexOf('</g>', from);
  const body = svg.slice(from, to);
  const items = body.match(/<(path|line)\b[^>]*\/>/g) ?? [];
  if (items.length !== titles.length) return svg;
  let i = 0;
  const titled = body.replace(/<(path|line)\b([^>]*)\/>/g, (_all, tag: string, attrs: string) => {
    return `<${tag}${attrs}><title>${esc(titles[i++]!)}</title></${tag}>`;
  });
  return svg.slice(0, from) + titled + svg.slice(to);
}

/** Path coordinates to 2 decimals (vega writes up to 16): a hundredth of a pixel is plenty, and the page halves. */
function shortPaths(svg: string): string {
  return svg.replace(/ d="([^"]*)"/g, (_all, d: string) => ` d="${d.replace(/(\.\d\d)\d+/g, '$1')}"`);
}

/** Ids (clip paths, gradients) prefixed, so several inline SVGs on one page do not share them; paths shortened. */
function tidy(svg: string, prefix: string): string {
  return shortPaths(svg)
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`);
}

// ---------------------------------------------------------------------------------------------
// Specs

/** Chart-wide settings shared by the four: `width` of the whole image, `height` of the plot. */
function frame(title: string, width: number, height: number) {
  return {
    width,
    height,
    // The width is the whole image's (the plots line up); the height is the plot's own.
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'white',
    padding: 8,
    title: { text: title, anchor: 'start', fontSize: 14, fontWeight: 600, color: '#111827', offset: 10 },
    config: {
      // Default mark descriptions format times in the process's local zone (see chart.ts).
      aria: false,
      font: 'Helvetica, Arial, sans-serif',
      view: { stroke: null },
      axis: {
        labelColor: '#374151',
        titleColor: '#374151',
        gridColor: '#e5e7eb',
        domainColor: '#9ca3af',
        labelFontSize: 11,
      },
      axisY: { minExtent: Y_AXIS_PX, maxExtent: Y_AXIS_PX },
      legend: { labelColor: '#374151', labelFontSize: 11 },
    },
  };
}

const T = { field: 't', type: 'temporal' };

/** The shared time axis: utc, the replay's span exactly, ticks that fit. */
function timeX(b: Buckets, width: number, axis = true) {
  const end = b.ends[b.ends.length - 1] ?? b.start + MINUTE;
  return {
    ...T,
    title: null,
    scale: { type: 'utc', domain: [b.start, end], nice: false },
    axis: axis ? { ...timeTicks(end - b.start, width, Y_AXIS_PX, 90), labelFlush: false } : null,
  };
}

/** Plot width in pixels: the image less the y axis and the padding. */
function plotPx(width: number): number {
  return width - Y_AXIS_PX - 16;
}

/**
 * Steps while a bucket is a few pixels wide or more; narrower, a line through the bucket values
 * draws the same picture with half the path.
 */
function interpolation(b: Buckets, width: number): 'step-after' | 'linear' {
  return plotPx(width) / Math.max(1, b.starts.length) >= 3 ? 'step-after' : 'linear';
}

interface LineRow {
  t: number;
  v: number;
  s: string;
}

/**
 * One row per bucket start and one at the replay's end, for a step-after line: each bucket's
 * value holds over the whole bucket.
 */
function stepRows(b: Buckets, s: string, values: Float64Array, digits = 3): LineRow[] {
  const n = values.length;
  const rows: LineRow[] = new Array(n + (n > 0 ? 1 : 0));
  const f = 10 ** digits;
  for (let i = 0; i < n; i++) rows[i] = { t: b.starts[i]!, v: Math.round(values[i]! * f) / f, s };
  if (n > 0) rows[n] = { t: b.ends[n - 1]!, v: rows[n - 1]!.v, s };
  return rows;
}

/** The legend's entries and colours, and how each entry's symbol is drawn. */
function legendColor(
  entries: { name: string; color: string; symbol: 'line' | 'dashed' | 'area' | 'marker' }[],
  columns = 0,
) {
  const test = (kind: string) =>
    `indexof(${JSON.stringify(entries.filter((e) => e.symbol === kind).map((e) => e.name))}, datum.value) >= 0`;
  return {
    field: 's',
    type: 'nominal',
    title: null,
    scale: { domain: entries.map((e) => e.name), range: entries.map((e) => e.color) },
    legend: {
      orient: 'top',
      direction: 'horizontal',
      offset: 4,
      columns,
      symbolSize: 200,
      symbolStrokeWidth: 2,
      encode: {
        symbols: {
          update: {
            shape: [
              { test: test('area'), value: 'square' },
              { test: test('marker'), value: 'triangle-down' },
              { value: 'stroke' },
            ],
            fillOpacity: [
              { test: test('area'), value: SHORT_OPACITY + 0.2 },
              { test: test('marker'), value: 1 },
              { value: 0 },
            ],
            strokeOpacity: [{ test: test('line') + ' || ' + test('dashed'), value: 1 }, { value: 0 }],
            strokeDash: [{ test: test('dashed'), value: DASHED }, { value: SOLID }],
          },
        },
      },
    },
  };
}

function capacitySpec(b: Buckets, groups: MarkerGroup[], cells: ShortCell[], width: number): TopLevelSpec {
  // Drawn in reverse: shadowcast's line over the baselines'.
  const rows = [...ARMS].reverse().flatMap((a) => stepRows(b, ARM_NAMES[a], b.arms[a].readyMin));
  const demand = stepRows(b, DEMAND, b.demandMax);
  const short = cells
    .filter((c) => c.arm === 'shadowcast')
    .map((c) => ({ t: c.start, t2: c.end, v: c.peakDemand - c.peak, v2: c.peakDemand, s: SHORT }));
  const migrations = groups.filter((g) => g.kind === 'migration').map((g) => ({ t: g.at, s: 'migration' }));
  const rollbacks = groups.filter((g) => g.kind === 'rollback').map((g) => ({ t: g.at, s: 'rollback' }));
  const entries = [
    { name: DEMAND, color: INK.demand, symbol: 'line' as const },
    ...ARMS.map((a) => ({
      name: ARM_NAMES[a],
      color: INK[a],
      symbol: DASHED_ARMS.has(a) ? ('dashed' as const) : ('line' as const),
    })),
    ...(short.length ? [{ name: SHORT, color: INK.short, symbol: 'area' as const }] : []),
    ...(migrations.length ? [{ name: 'migration', color: INK.migration, symbol: 'marker' as const }] : []),
    ...(rollbacks.length ? [{ name: 'rollback', color: INK.rollback, symbol: 'marker' as const }] : []),
  ];
  const color = legendColor(entries, 4);
  const x = timeX(b, width);
  const y = {
    field: 'v',
    type: 'quantitative',
    title: null,
    // Headroom over the highest line, for the markers along the top.
    scale: { domain: [0, topOf(b) * 1.1], zero: true, nice: true },
    axis: { tickCount: 6 },
  };
  const dashed = JSON.stringify([...DASHED_ARMS].map((a) => ARM_NAMES[a]));
  return {
    ...frame('Demand against each arm’s ready capacity (demand units)', width, 300),
    layer: [
      {
        name: 'rollbackrules',
        data: { values: rollbacks },
        mark: { type: 'rule', strokeWidth: 1.2, strokeDash: [3, 2], opacity: 0.8 },
        encoding: { x: { ...T }, color },
      },
      {
        name: 'lines',
        data: { values: rows },
        mark: { type: 'line', interpolate: interpolation(b, width), strokeWidth: 1.3 },
        encoding: {
          x,
          y,
          color,
          strokeDash: {
            condition: { test: `indexof(${dashed}, datum.s) >= 0`, value: DASHED },
            value: SOLID,
          },
        },
      },
      {
        // Demand over the arms' lines.
        name: 'demand',
        data: { values: demand },
        mark: { type: 'line', interpolate: interpolation(b, width), strokeWidth: 1.5 },
        encoding: { x: { ...T }, y: { field: 'v', type: 'quantitative' }, color },
      },
      {
        // Over the demand line, translucent: the shortfall stays in sight.
        name: 'short',
        data: { values: short },
        mark: {
          type: 'rect',
          fillOpacity: SHORT_OPACITY,
          stroke: INK.short,
          strokeWidth: 1.5,
          strokeOpacity: 0.7,
        },
        encoding: { x: { ...T }, x2: { field: 't2' }, y: { ...y }, y2: { field: 'v2' }, color },
      },
      {
        name: 'migrations',
        data: { values: migrations },
        mark: { type: 'point', shape: 'triangle-down', filled: true, size: 55, opacity: 0.9, yOffset: 5 },
        encoding: { x: { ...T }, y: { value: 0 }, color },
      },
      {
        name: 'rollbacks',
        data: { values: rollbacks },
        mark: { type: 'point', shape: 'triangle-down', filled: true, size: 90, opacity: 1, yOffset: 14 },
        encoding: { x: { ...T }, y: { value: 0 }, color },
      },
      // A layer without data would still draw an empty mark group.
    ].filter((l) => l.data.values.length > 0),
  } as TopLevelSpec;
}

/** The highest value the capacity chart draws (at least 1). */
function topOf(b: Buckets): number {
  let top = 1;
  for (const v of b.demandMax) if (v > top) top = v;
  for (const a of ARMS) for (const v of b.arms[a].readyMin) if (v > top) top = v;
  return top;
}

function shortfallSpec(b: Buckets, cells: ShortCell[], width: number): TopLevelSpec {
  const values = cells.map((c) => ({ t: c.start, t2: c.end, arm: ARM_NAMES[c.arm], sum: c.sum }));
  const max = Math.max(1, ...cells.map((c) => c.sum));
  return {
    ...frame('Where each arm fell short (darker: more unit-minutes short)', width, 4 * 20),
    layer: [
      {
        name: 'cells',
        data: { values },
        mark: { type: 'rect', stroke: INK.short, strokeWidth: 0.8, strokeOpacity: 0.5, fill: INK.short },
        encoding: {
          x: timeX(b, width),
          x2: { field: 't2' },
          y: {
            field: 'arm',
            type: 'nominal',
            title: null,
            scale: { domain: ARMS.map((a) => ARM_NAMES[a]), paddingInner: 0.25 },
            axis: {
              ticks: false,
              domain: false,
              labelPadding: 6,
              // No limit: without a canvas, vega overestimates text widths and would cut the names.
              labelLimit: 0,
            },
          },
          fillOpacity: {
            field: 'sum',
            type: 'quantitative',
            scale: { type: 'sqrt', domain: [0, max], range: [0.25, 1] },
            legend: null,
          },
        },
      },
    ],
  } as TopLevelSpec;
}

function paidSpec(b: Buckets, width: number): TopLevelSpec {
  const rows = ARMS.flatMap((a) => stepRows(b, ARM_NAMES[a], b.arms[a].paidMean, 2));
  const color = legendColor(
    ARMS.map((a) => ({ name: ARM_NAMES[a], color: INK[a], symbol: DASHED_ARMS.has(a) ? 'dashed' : 'line' })),
  );
  const dashed = JSON.stringify([...DASHED_ARMS].map((a) => ARM_NAMES[a]));
  return {
    ...frame('Instances paid for (booting or serving; bucket mean)', width, 150),
    data: { values: rows },
    mark: { type: 'line', interpolate: interpolation(b, width), strokeWidth: 1.3 },
    encoding: {
      x: timeX(b, width),
      y: {
        field: 'v',
        type: 'quantitative',
        title: null,
        scale: { zero: true, nice: true },
        axis: { tickCount: 4 },
      },
      color,
      strokeDash: { condition: { test: `indexof(${dashed}, datum.s) >= 0`, value: DASHED }, value: SOLID },
    },
  } as TopLevelSpec;
}

function weightSpec(b: Buckets, width: number): TopLevelSpec {
  const rows = stepRows(b, 'shadow weight', b.arms.shadowcast.shadowWeightMean);
  return {
    ...frame('shadowcast’s shadow weight (share of traffic on the shadow pool; bucket mean)', width, 40),
    data: { values: rows },
    mark: {
      type: 'area',
      interpolate: interpolation(b, width),
      color: INK.weight,
      fillOpacity: 0.35,
      line: { strokeWidth: 1 },
    },
    encoding: {
      x: timeX(b, width),
      y: {
        field: 'v',
        type: 'quantitative',
        title: null,
        scale: { domain: [0, 1] },
        axis: { values: [0, 0.5, 1], format: '.0%' },
      },
    },
  } as TopLevelSpec;
}
