// A migration's journal on a time axis, as an inline SVG drawn by hand (a few rects, paths and
// text: no renderer needed): one lane per step with a bar from its intent to its gate, a marker
// per record (intent, applied, gate passed, step failed, rollback, alert), a lane for the
// rollback, and one for the migration's start and end. Every marker carries a <title> with the
// record's time and reason, for a reader who hovers. Pure and deterministic.

import type { JournalRecord, RecordKind } from '../deploy/journal.js';
import { utcSecond } from '../core/time-format.js';
import { esc } from './format.js';

export interface TimelineOptions {
  /** Whole image width in pixels; default 900. */
  width?: number;
}

type Shape = 'circle' | 'ring' | 'diamond' | 'cross' | 'square' | 'box' | 'triangle' | 'play';

interface Mark {
  shape: Shape;
  colour: string;
  label: string;
}

const INK = {
  text: '#111827',
  muted: '#4b5563',
  grid: '#e5e7eb',
  lane: '#f9fafb',
  intent: '#6b7280',
  applied: '#2563eb',
  passed: '#16a34a',
  failed: '#dc2626',
  rollback: '#ea580c',
  alert: '#d97706',
};

/** How each record kind is drawn; the legend lists them in this order. */
const MARKS: Record<RecordKind, Mark> = {
  'step-intent': { shape: 'ring', colour: INK.intent, label: 'intent' },
  'step-applied': { shape: 'circle', colour: INK.applied, label: 'applied' },
  'gate-passed': { shape: 'diamond', colour: INK.passed, label: 'gate passed' },
  'step-failed': { shape: 'cross', colour: INK.failed, label: 'step failed' },
  'rollback-intent': { shape: 'box', colour: INK.rollback, label: 'rollback intent' },
  'rollback-done': { shape: 'square', colour: INK.rollback, label: 'rolled back' },
  'rollback-failed': { shape: 'cross', colour: '#7f1d1d', label: 'rollback failed' },
  alert: { shape: 'triangle', colour: INK.alert, label: 'alert' },
  'migration-started': { shape: 'play', colour: INK.muted, label: 'started' },
  'migration-completed': { shape: 'diamond', colour: INK.passed, label: 'completed' },
  'migration-rolled-back': { shape: 'diamond', colour: INK.failed, label: 'migration rolled back' },
  'migration-paused': { shape: 'box', colour: INK.intent, label: 'paused (graceful stop)' },
  'lock-takeover': { shape: 'box', colour: INK.muted, label: 'lock taken over' },
  'journal-repaired': { shape: 'box', colour: INK.muted, label: 'journal repaired' },
};

const BARS = {
  passed: '#bbf7d0',
  failed: '#fecaca',
  running: '#bfdbfe',
  rollback: '#fed7aa',
  'rollback-failed': '#fecaca',
};

const FONT = 'Helvetica, Arial, sans-serif';
const LABEL_W = 170;
const RIGHT = 24;
const LEGEND_H = 26;
const LANE_H = 26;
const AXIS_H = 40;
const R = 5;

interface Rec {
  t: number;
  r: JournalRecord;
}

interface Lane {
  key: string;
  label: string;
  role: 'pool' | 'migration' | 'step' | 'rollback' | 'alerts';
  recs: Rec[];
}

/** The timeline of these records (in journal order); '' when none has a time. */
export function migrationTimelineSvg(all: readonly JournalRecord[], options: TimelineOptions = {}): string {
  // A record whose time does not parse cannot be placed; the report's record table still lists it.
  const records = all.filter((r) => Number.isFinite(Date.parse(r.at)));
  if (records.length === 0) return '';
  const width = options.width ?? 900;
  const lanes = lanesOf(records);
  const times = records.map((r) => Date.parse(r.at));
  const x = timeScale(Math.min(...times), Math.max(...times), LABEL_W, width - RIGHT);
  const top = LEGEND_H + 6;
  const height = top + lanes.length * LANE_H + AXIS_H;
  const laneY = (i: number) => top + i * LANE_H + LANE_H / 2;
  const ticks = timeTicks(x.start, x.end, Math.max(2, Math.floor((width - LABEL_W - RIGHT) / 90)));

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="${FONT}" font-size="11">`,
    `<title>Migration timeline: ${records.length} journal records, ${esc(utcSecond(x.first))} to ${esc(utcSecond(x.last))} UTC</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    legend(records, width),
  ];
  lanes.forEach((lane, i) => {
    const y = laneY(i);
    if (i % 2 === 0) {
      out.push(
        `<rect x="0" y="${top + i * LANE_H}" width="${width}" height="${LANE_H}" fill="${INK.lane}"/>`,
      );
    }
    const text = lane.label.length > 26 ? `${lane.label.slice(0, 25)}…` : lane.label;
    const weight = lane.role === 'migration' || lane.role === 'pool' ? ' font-weight="600"' : '';
    out.push(
      `<text x="8" y="${y + 4}" fill="${INK.text}"${weight}><title>${esc(lane.label)}</title>${esc(text)}</text>`,
    );
  });
  for (const t of ticks.values) {
    const px = fix(x(t));
    out.push(
      `<line x1="${px}" x2="${px}" y1="${top}" y2="${top + lanes.length * LANE_H}" stroke="${INK.grid}"/>`,
    );
  }
  lanes.forEach((lane, i) => out.push(laneBar(lane, laneY(i), x)));
  lanes.forEach((lane, i) => {
    for (const rec of lane.recs) out.push(marker(rec, fix(x(rec.t)), laneY(i)));
  });
  out.push(axis(ticks, x, top + lanes.length * LANE_H, width));
  out.push('</svg>');
  return out.join('\n');
}

/** Pool-level records first, then per migration: its own lane, one per step, one for its rollback, one for its alerts. */
function lanesOf(records: readonly JournalRecord[]): Lane[] {
  const lanes = new Map<string, Lane>();
  const migrations = new Set(records.flatMap((r) => (r.migration === undefined ? [] : [r.migration])));
  const lane = (key: string, label: string, role: Lane['role']) => {
    let l = lanes.get(key);
    if (!l) lanes.set(key, (l = { key, label, role, recs: [] }));
    return l;
  };
  if (records.some((r) => r.migration === undefined)) lane('pool', 'pool', 'pool');
  for (const r of records) {
    const rec = { t: Date.parse(r.at), r };
    const m = r.migration;
    if (m === undefined) {
      lane('pool', 'pool', 'pool').recs.push(rec);
      continue;
    }
    const head = lane(`m:${m}`, migrations.size > 1 ? `migration ${m}` : 'migration', 'migration');
    if (r.kind.startsWith('rollback-')) lane(`r:${m}`, 'rollback', 'rollback').recs.push(rec);
    else if (r.kind === 'alert') lane(`a:${m}`, 'alerts', 'alerts').recs.push(rec);
    else if (r.step) {
      lane(`s:${m}#${r.step.index}`, `#${r.step.index} ${r.step.kind}`, 'step').recs.push(rec);
    } else head.recs.push(rec);
  }
  return [...lanes.values()];
}

/** A step's bar from its first record to its last, coloured by how it ended; the migration's span as a line. */
function laneBar(lane: Lane, y: number, x: Scale): string {
  const ts = lane.recs.map((r) => r.t);
  if (ts.length === 0) return '';
  const x0 = x(Math.min(...ts));
  const x1 = x(Math.max(...ts));
  const kinds = lane.recs.map((r) => r.r.kind);
  if (lane.role === 'alerts') return '';
  if (lane.role === 'migration' || lane.role === 'pool') {
    return x1 > x0
      ? `<line class="span" x1="${fix(x0)}" x2="${fix(x1)}" y1="${y}" y2="${y}" stroke="#9ca3af" stroke-width="2"/>`
      : '';
  }
  let fill: string;
  if (lane.role === 'rollback') {
    fill = kinds.at(-1) === 'rollback-failed' ? BARS['rollback-failed'] : BARS.rollback;
  } else {
    fill = kinds.includes('step-failed')
      ? BARS.failed
      : kinds.includes('gate-passed')
        ? BARS.passed
        : BARS.running;
  }
  const w = Math.max(2, x1 - x0);
  return `<rect class="bar" x="${fix(x0)}" y="${y - 6}" width="${fix(w)}" height="12" rx="3" fill="${fill}"/>`;
}

function marker(rec: Rec, px: number, y: number): string {
  const r = rec.r;
  const m = MARKS[r.kind];
  const what = [
    `${utcSecond(rec.t)} UTC`,
    r.kind,
    r.step ? `step #${r.step.index} ${r.step.kind}` : '',
    r.attempt ? `attempt ${r.attempt}` : '',
    r.recovered ? 'recovered' : '',
    r.reason ?? '',
  ]
    .filter(Boolean)
    .join(' · ');
  return `<g class="rec" data-kind="${esc(r.kind)}"><title>${esc(what)}</title>${shape(m.shape, m.colour, px, y)}</g>`;
}

function shape(s: Shape, colour: string, px: number, y: number, size = R): string {
  const p = (dx: number, dy: number) => `${fix(px + dx)},${fix(y + dy)}`;
  switch (s) {
    case 'circle':
      return `<circle cx="${px}" cy="${y}" r="${size}" fill="${colour}"/>`;
    case 'ring':
      return `<circle cx="${px}" cy="${y}" r="${size - 0.75}" fill="white" stroke="${colour}" stroke-width="1.5"/>`;
    case 'diamond': {
      const d = size + 1.5;
      return `<path d="M${p(0, -d)}L${p(d, 0)}L${p(0, d)}L${p(-d, 0)}Z" fill="${colour}"/>`;
    }
    case 'cross':
      return `<path d="M${p(-size, -size)}L${p(size, size)}M${p(size, -size)}L${p(-size, size)}" stroke="${colour}" stroke-width="2.5" stroke-linecap="round"/>`;
    case 'square':
      return `<rect x="${fix(px - size)}" y="${fix(y - size)}" width="${2 * size}" height="${2 * size}" fill="${colour}"/>`;
    case 'box':
      return `<rect x="${fix(px - size + 0.75)}" y="${fix(y - size + 0.75)}" width="${2 * size - 1.5}" height="${2 * size - 1.5}" fill="white" stroke="${colour}" stroke-width="1.5"/>`;
    case 'triangle':
      return `<path d="M${p(0, -size - 1)}L${p(size + 1, size)}L${p(-size - 1, size)}Z" fill="${colour}"/>`;
    case 'play':
      return `<path d="M${p(-size + 1, -size)}L${p(size + 1, 0)}L${p(-size + 1, size)}Z" fill="${colour}"/>`;
  }
}

/** The marks of the record kinds present, in MARKS order, along the top. */
function legend(records: readonly JournalRecord[], width: number): string {
  const present = new Set(records.map((r) => r.kind));
  const out: string[] = ['<g class="legend">'];
  let px = 8;
  for (const [kind, m] of Object.entries(MARKS) as [RecordKind, Mark][]) {
    if (!present.has(kind)) continue;
    const w = 2 * R + 4 + m.label.length * 5.6 + 14;
    if (px + w > width) break;
    out.push(shape(m.shape, m.colour, px + R, 14, 4));
    out.push(`<text x="${px + 2 * R + 4}" y="18" fill="${INK.muted}">${esc(m.label)}</text>`);
    px = fix(px + w);
  }
  out.push('</g>');
  return out.join('');
}

interface Scale {
  (t: number): number;
  /** The drawn window, padded. */
  start: number;
  end: number;
  /** The first and last record's times. */
  first: number;
  last: number;
}

/** Linear time → x, padded a little so the first and last markers are not cut at the edges. */
function timeScale(t0: number, t1: number, x0: number, x1: number): Scale {
  const pad = t1 > t0 ? (t1 - t0) * 0.03 : 30_000;
  const start = t0 - pad;
  const end = t1 + pad;
  const f = ((t: number) => x0 + ((t - start) / (end - start)) * (x1 - x0)) as Scale;
  f.start = start;
  f.end = end;
  f.first = t0;
  f.last = t1;
  return f;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [
  ...[1, 2, 5, 10, 15, 30].map((s) => s * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((s) => s * MINUTE),
  ...[1, 2, 3, 6, 12].map((s) => s * HOUR),
  ...[1, 2, 7].map((s) => s * DAY),
];

/** Round UTC times at the finest step that keeps at most `max` ticks. */
function timeTicks(start: number, end: number, max: number): { values: number[]; step: number } {
  const step = STEPS.find((s) => (end - start) / s <= max) ?? STEPS.at(-1)!;
  const values: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) values.push(t);
  return { values, step };
}

function axis(ticks: { values: number[]; step: number }, x: Scale, y: number, width: number): string {
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  // Ticks carry the date when the records span midnight; the padding alone does not count.
  const multiDay = day(x.first) !== day(x.last);
  const label = (t: number) => {
    const iso = new Date(t).toISOString();
    const time = ticks.step < MINUTE ? iso.slice(11, 19) : iso.slice(11, 16);
    return multiDay ? `${iso.slice(5, 10)} ${time}` : time;
  };
  const out = [
    `<g class="axis"><line x1="${LABEL_W}" x2="${width - RIGHT}" y1="${y}" y2="${y}" stroke="#9ca3af"/>`,
  ];
  for (const t of ticks.values) {
    const px = fix(x(t));
    out.push(`<line x1="${px}" x2="${px}" y1="${y}" y2="${y + 4}" stroke="#9ca3af"/>`);
    out.push(`<text x="${px}" y="${y + 16}" text-anchor="middle" fill="${INK.muted}">${label(t)}</text>`);
  }
  out.push(`<text x="8" y="${y + 16}" fill="${INK.muted}">UTC ${day(x.first)}</text></g>`);
  return out.join('');
}

/** Two decimals are plenty for pixels and keep the text short and stable. */
function fix(v: number): number {
  return Math.round(v * 100) / 100;
}
