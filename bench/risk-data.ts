// The labelled node-failure set of the risk benchmark, built from the real SMD server metrics in
// bench/data/smd (provenance in its README): two-day windows of each machine, about half of
// them ending in a seeded degradation and failure (bench/degrade.ts), and the real SMD anomaly
// labels as events to anticipate. Each file is parsed once per process and kept in memory.
//
// Choices a reader of the results should know:
// - Metrics keep their SMD names (dim_k); an injected episode lists the degraded ones in `affected`.
//   Columns constant over a machine's train or test file are dropped from both splits, so a model
//   trained on one split sees the same metrics in the other.
// - Windows start every day: the first day is warm-up (scored, never evaluated), the second is
//   evaluated, so each day is evaluated once while every window has a full day of history.
// - In the test split, the real labelled anomalies inside a window are `ignore` segments: alarms
//   on them are neither detections nor false alarms, and no degradation is placed within an hour
//   of one. The train split has no labels; whatever anomalies it holds are unmarked.
// - `smdLabelledEpisodes`: one episode per machine, the last train day as warm-up followed by the
//   whole test split (not truncated); each labelled segment is an event, with the metrics the
//   interpretation file names for it.

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { InputError } from '../src/core/errors.js';
import { DEGRADATION_KINDS, type DegradationKind, inject, mulberry32, type Rng } from './degrade.js';
import type { EpisodeTruth, Segment } from '../src/risk/evaluate.js';
import { repoRoot } from './common.js';
import { dataDir } from './series.js';

export const SMD_MACHINES = ['machine-1-6', 'machine-2-1', 'machine-2-8', 'machine-3-3'] as const;

/**
 * Where an SMD metric's resource runs out: SMD scales every metric to [0, 1] over the publisher's
 * data, so 1 is the worst the machine was ever seen at, and the injected failures end there or
 * beyond (a node fails when its disk is full, not when it is a little fuller than yesterday).
 */
export const SMD_LIMIT = 1;

/** Rows per day on SMD's one-minute grid. */
export const DAY_ROWS = 1440;

/** A labelled SMD anomaly, with the metrics its interpretation line names (flat ones left out). */
export interface LabelledSegment extends Segment {
  metrics: string[];
}

export interface Episode extends EpisodeTruth {
  /** e.g. 'machine-1-6/test/07-memory-leak'. */
  id: string;
  node: string;
  /** Epoch ms, one-minute grid. */
  timestamps: number[];
  /** Metric name -> values, as long as timestamps. */
  metrics: Record<string, Float64Array>;
  /** Rows [0, warmup) are history for the detector: scored, never evaluated. */
  warmup: number;
  /** Row of the failure; the rows end there (the node is gone). Undefined: a healthy episode. */
  failureAt?: number;
  /** Row where the degradation starts. */
  onsetAt?: number;
  /** Degradation kind, or 'smd-anomaly' for the real labels. */
  kind?: DegradationKind | 'smd-anomaly';
  /** The degraded metrics. */
  affected?: string[];
  /** SMD labelled episodes: each anomaly segment is an event to anticipate. */
  events?: LabelledSegment[];
  /** Real labelled anomalies inside an injected test episode (see above). */
  ignore?: Segment[];
}

interface SmdTable {
  timestamps: number[];
  columns: Map<string, Float64Array>;
  label?: Uint8Array;
}

const MINUTE = 60_000;
const tables = new Map<string, SmdTable>();

function smdDir(): string {
  return join(dataDir(repoRoot()), 'smd');
}

/**
 * Reads one SMD CSV. Its format is fixed and documented (no quoting, complete one-minute grid), so
 * a direct split is ten times faster than the general CSV reader, which builds an object per cell
 * to repair gaps SMD does not have.
 */
function parseSmd(file: string, text: string): SmdTable {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').split(',');
  if (header[0] !== 'timestamp') throw new InputError(file, 1, 'expected a header starting with "timestamp"');
  const hasLabel = header[header.length - 1] === 'label';
  const names = header.slice(1, hasLabel ? -1 : undefined);
  const rows = lines.length - 1 - (lines[lines.length - 1] === '' ? 1 : 0);
  const values = names.map(() => new Float64Array(rows));
  const label = hasLabel ? new Uint8Array(rows) : undefined;
  const timestamps: number[] = [];
  for (let r = 0; r < rows; r++) {
    const fields = lines[r + 1]!.split(',');
    if (fields.length !== header.length) {
      throw new InputError(file, r + 2, `${fields.length} fields; the header has ${header.length}`);
    }
    const t = Date.parse(fields[0]!);
    if (r > 0 && t !== timestamps[r - 1]! + MINUTE) {
      throw new InputError(file, r + 2, `"${fields[0]}" is not one minute after the row before`);
    }
    timestamps.push(t);
    for (let c = 0; c < names.length; c++) {
      const v = Number(fields[c + 1]);
      if (!Number.isFinite(v) || fields[c + 1] === '') {
        throw new InputError(file, r + 2, `"${fields[c + 1]}" in ${names[c]} is not a number`);
      }
      values[c]![r] = v;
    }
    if (label) label[r] = fields[names.length + 1] === '1' ? 1 : 0;
  }
  return { timestamps, columns: new Map(names.map((n, c) => [n, values[c]!])), label };
}

function table(machine: string, split: 'train' | 'test'): SmdTable {
  // Stored gzipped (bench/data/smd); a plain copy (SHADOWCAST_DATA) is read as it is.
  const plain = join(smdDir(), `${machine}.${split}.csv`);
  const file = existsSync(plain) ? plain : `${plain}.gz`;
  let t = tables.get(file);
  if (!t) {
    const bytes = readFileSync(file);
    t = parseSmd(file, (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
    tables.set(file, t);
  }
  return t;
}

function isFlat(v: Float64Array): boolean {
  return v.every((x) => x === v[0]);
}

/** The machine's metric names, without the columns constant over its train or its test file. */
function keptColumns(machine: string): string[] {
  const train = table(machine, 'train').columns;
  const test = table(machine, 'test').columns;
  return [...train.keys()].filter(
    (n) => !isFlat(train.get(n)!) && !isFlat(test.get(n) ?? new Float64Array(1)),
  );
}

/** Maximal runs of label 1 (half-open). */
function labelRuns(label: Uint8Array | undefined): Segment[] {
  const runs: Segment[] = [];
  if (!label) return runs;
  for (let i = 0; i < label.length; i++) {
    if (label[i] !== 1) continue;
    const last = runs[runs.length - 1];
    if (last && last.end === i) last.end = i + 1;
    else runs.push({ start: i, end: i + 1 });
  }
  return runs;
}

/** Segments overlapping [from, to), shifted so `from` is row 0 and clipped to the window. */
function within(segments: readonly Segment[], from: number, to: number): Segment[] {
  return segments
    .filter((s) => s.end > from && s.start < to)
    .map((s) => ({ start: Math.max(s.start, from) - from, end: Math.min(s.end, to) - from }));
}

function sliceMetrics(
  t: SmdTable,
  names: readonly string[],
  from: number,
  to: number,
): Record<string, Float64Array> {
  return Object.fromEntries(names.map((n) => [n, t.columns.get(n)!.slice(from, to)]));
}

/** A seed drawn from the split's generator, so each episode has its own stream. */
function nextSeed(rng: Rng): number {
  return Math.floor(rng() * 2 ** 32);
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Degradation kinds in seeded order, every kind once per round of six, so kinds stay balanced. */
function kindDealer(rng: Rng): () => DegradationKind {
  let deck: DegradationKind[] = [];
  return () => {
    if (deck.length === 0) deck = shuffled(DEGRADATION_KINDS, rng);
    return deck.pop()!;
  };
}

function truncate(e: Episode, rows: number): void {
  e.timestamps = e.timestamps.slice(0, rows);
  for (const name of Object.keys(e.metrics)) e.metrics[name] = e.metrics[name]!.subarray(0, rows);
  if (e.ignore) e.ignore = within(e.ignore, 0, rows);
}

/** Lays the dealt degradation over a window; the episode stays healthy if none fits. */
function degradeEpisode(e: Episode, kind: DegradationKind, seed: number): void {
  const injection = inject(kind, e.metrics, {
    seed,
    from: e.warmup,
    to: e.timestamps.length,
    avoid: e.ignore ?? [],
    limit: SMD_LIMIT,
  });
  if (!injection) return;
  e.metrics = injection.metrics;
  e.onsetAt = injection.onsetAt;
  e.failureAt = injection.failureAt;
  e.kind = kind;
  e.affected = injection.affected;
  truncate(e, injection.failureAt);
}

function machineEpisodes(
  machine: string,
  split: 'train' | 'test',
  rng: Rng,
  deal: () => DegradationKind,
): Episode[] {
  const t = table(machine, split);
  const names = keptColumns(machine);
  const incidents = labelRuns(t.label);
  const starts: number[] = [];
  for (let s = 0; s + 2 * DAY_ROWS <= t.timestamps.length; s += DAY_ROWS) starts.push(s);
  const failing = new Set(shuffled(starts, rng).slice(0, Math.round(starts.length / 2)));
  return starts.map((s, k) => {
    const to = s + 2 * DAY_ROWS;
    const e: Episode = {
      id: '',
      node: machine,
      timestamps: t.timestamps.slice(s, to),
      metrics: sliceMetrics(t, names, s, to),
      warmup: DAY_ROWS,
    };
    const ignore = within(incidents, s, to);
    if (ignore.length > 0) e.ignore = ignore;
    const seed = nextSeed(rng);
    if (failing.has(s)) degradeEpisode(e, deal(), seed);
    e.id = `${machine}/${split}/${String(k).padStart(2, '0')}-${e.kind ?? 'healthy'}`;
    return e;
  });
}

/**
 * Day-long evaluation windows of every machine's split, each after a day of warm-up; in about
 * half of them (seeded) one degradation ends in a failure, the others stay healthy.
 */
export function injectedEpisodes(split: 'train' | 'test', seed: number): Episode[] {
  const rng = mulberry32(seed);
  const deal = kindDealer(rng);
  return SMD_MACHINES.flatMap((m) => machineEpisodes(m, split, rng, deal));
}

/** `start-end:d1,d2,...` lines: half-open test rows and 1-based metric numbers. */
function interpretation(machine: string): { start: number; end: number; metrics: string[] }[] {
  const file = join(smdDir(), `${machine}.interpretation.txt`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const m = /^(\d+)-(\d+):([\d,]+)$/.exec(line.trim());
      if (!m) throw new InputError(file, i + 1, `expected "start-end:d1,d2,..." but found "${line}"`);
      const metrics = m[3]!.split(',').map((d) => `dim_${Number(d) - 1}`);
      return { start: Number(m[1]), end: Number(m[2]), metrics };
    });
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function labelledEpisode(machine: string): Episode {
  const train = table(machine, 'train');
  const test = table(machine, 'test');
  const from = train.timestamps.length - DAY_ROWS;
  if (test.timestamps[0] !== train.timestamps[train.timestamps.length - 1]! + MINUTE) {
    throw new Error(`${machine}: the test split does not follow the train split`);
  }
  const names = keptColumns(machine);
  const notes = interpretation(machine);
  const events = labelRuns(test.label).map((run): LabelledSegment => {
    const named = notes.filter((n) => n.start < run.end && n.end > run.start).flatMap((n) => n.metrics);
    const metrics = [...new Set(named)].filter((n) => names.includes(n));
    return { start: run.start + DAY_ROWS, end: run.end + DAY_ROWS, metrics };
  });
  return {
    id: `${machine}/test/smd-labels`,
    node: machine,
    timestamps: [...train.timestamps.slice(from), ...test.timestamps],
    metrics: Object.fromEntries(
      names.map((n) => [n, concat(train.columns.get(n)!.subarray(from), test.columns.get(n)!)]),
    ),
    warmup: DAY_ROWS,
    kind: 'smd-anomaly',
    events,
  };
}

/** The real SMD test labels: per machine, the whole test split with each anomaly segment as an event. */
export function smdLabelledEpisodes(): Episode[] {
  return SMD_MACHINES.map(labelledEpisode);
}
