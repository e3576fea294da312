// Validation of the failure-risk model on labelled public sets it was never trained or tuned on:
// whole hosts left out (the four SMD machines the built-in model learned from are skipped). Each
// series is scored causally, row by row, by the built-in model and by the rolling z-score, and
// judged event by event (src/risk/evaluate.ts): a labelled anomaly is detected when an alarm starts
// within the horizon before it or while it lasts; any other alarm is false. Reported per set at
// the policy's provision threshold (0.7) and at each detector's best single threshold over the
// whole set (the same footing for every detector: a ranking judged without a tuned threshold),
// searched over a fixed sweep and the detector's own upper quantiles. Beside them, each detector's
// NAB-style windowed score, standard profile (src/risk/window-score.ts), at its best threshold of
// the same thresholds over the whole set. Its probation is NAB's (15% of a series, at most 750
// rows) or the series' warm-up (its first day) when that is longer, as it is for every series of a
// minute's step: alarms in the warm-up are ignored by both judges.
//
// The sets live outside the repository (SHADOWCAST_VALIDATION_DATA; layout: one folder a set, a
// manifest.json listing {id, host, file, labels, stepSeconds}, series CSVs `timestamp,m0,...` and
// labels CSVs `start,end` with both ends inclusive). Without it the section is skipped, saying so.
//
// A third detector, "previous model", joins when SHADOWCAST_PREVIOUS names the folder of another
// built shadowcast (package.json and dist/, e.g. an older commit built outside the repository):
// each series, the very rows and columns the others score, is written to a CSV and scored by that
// build's own `risk score` command as a whole process. A series it refuses (exit 2: bad input for
// it) counts as never alarming and is reported as refused; anything else it does fails the bench.
// SHADOWCAST_PREVIOUS_LABEL names it in the text (e.g. its commit).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultModel } from '../src/risk/default-model.js';
import { alarmRuns, evaluate, type EventMetrics, type Segment } from '../src/risk/evaluate.js';
import { MODEL_PARTS, type ModelPart, NodeScorer } from '../src/risk/model.js';
import { lowerBound } from '../src/risk/stats.js';
import { bestWindowScore, type WindowScore } from '../src/risk/window-score.js';
import { RollingZ, zCoverage } from './zscore.js';
import { progress, repoRoot } from './common.js';
import { SMD_MACHINES } from './risk-data.js';

interface ManifestEntry {
  id: string;
  host: string;
  file: string;
  labels: string;
  stepSeconds: number;
}

interface Scored {
  /** `set/host`, to name the series in errors. */
  id: string;
  truth: { warmup: number; events: Segment[] };
  /** Every detector's score a row; the previous model's only when it is configured. */
  scores: Record<InProcess, Float64Array> & Partial<Record<Detector, Float64Array>>;
  /** Detectors that refused the series (their scores there are all 0: never alarming), and why. */
  refused: Partial<Record<Detector, string>>;
  /** The part of the model that said the most at each row (shadowcast). */
  lead: (string | undefined)[];
  minutesPerRow: number;
}

const DETECTOR_NAMES = ['shadowcast', 'rolling z-score', 'previous model'] as const;
type Detector = (typeof DETECTOR_NAMES)[number];
/** The detectors this process runs itself, on every run; the others are optional. */
type InProcess = Exclude<Detector, 'previous model'>;

/** Another build of shadowcast whose `risk score` command scores the series as a third detector. */
export interface PreviousModel {
  /** Its CLI entry (a .js file run with this Node). */
  cli: string;
  /** How the text names it (SHADOWCAST_PREVIOUS_LABEL, e.g. its commit). */
  label: string;
}

/** The horizon the model's probability speaks of: an alarm this long before an anomaly anticipates it. */
const LEAD_MINUTES = 60;
const SWEEP = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999,
];

export interface ValidationRow {
  set: string;
  detector: Detector;
  series: number;
  /** Series the detector refused, `set/host: why` (they count as never alarming); all of them: no figures. */
  refused: string[];
  events: number;
  policy: EventMetrics;
  best: EventMetrics;
  /** NAB-style windowed score (standard profile) at the detector's best threshold of the sweep. */
  window: WindowScore;
  /** The model's alarms at its best threshold, by the part that said the most as each began (shares). */
  led?: Record<ModelPart, number>;
}

/** Each part's share of the alarms that start at `threshold` after the warm-up: the part leading at an alarm's first row. */
function alarmsLed(scored: readonly Scored[], threshold: number): Record<ModelPart, number> {
  const counts = Object.fromEntries(MODEL_PARTS.map((p) => [p, 0])) as Record<ModelPart, number>;
  let total = 0;
  for (const s of scored) {
    for (const run of alarmRuns(
      s.scores.shadowcast,
      threshold,
      s.truth.warmup,
      Math.round(30 / s.minutesPerRow),
    )) {
      const part = s.lead[run.start] as ModelPart | undefined;
      if (part === undefined) continue;
      counts[part]++;
      total++;
    }
  }
  for (const p of MODEL_PARTS) counts[p] = total > 0 ? counts[p] / total : Number.NaN;
  return counts;
}

export function validationDir(): string | undefined {
  const dir = process.env.SHADOWCAST_VALIDATION_DATA;
  return dir && existsSync(dir) ? dir : undefined;
}

/**
 * The previous model when SHADOWCAST_PREVIOUS is set: its CLI entry, from its package.json's bin
 * or the two places a build puts it. Set but not a built shadowcast fails the bench, plainly.
 */
export function previousModel(): PreviousModel | undefined {
  const dir = process.env.SHADOWCAST_PREVIOUS;
  if (!dir) return undefined;
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) throw new Error(`SHADOWCAST_PREVIOUS=${dir}: no package.json there`);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.shadowcast;
  const candidates = [
    ...(bin ? [bin] : []),
    join('dist', 'src', 'cli', 'main.js'),
    join('dist', 'cli', 'main.js'),
  ].map((f) => resolve(dir, f));
  const cli = candidates.find((f) => existsSync(f));
  if (!cli) {
    throw new Error(
      `SHADOWCAST_PREVIOUS=${dir}: not built (none of ${candidates.join(', ')}); run \`npm ci && npx tsc -p tsconfig.json\` there`,
    );
  }
  return { cli, label: process.env.SHADOWCAST_PREVIOUS_LABEL || 'the previous model' };
}

/** The detector's scores of a series; a detector not run on it is a bug of the bench. */
function scoresOf(s: Scored, detector: Detector): Float64Array {
  const scores = s.scores[detector];
  if (!scores) throw new Error(`${s.id}: no ${detector} scores`);
  return scores;
}

/**
 * Every set under `dir`, every series of it but the hosts the built-in model trained on; with
 * `previous`, its rows beside the others'.
 */
export function benchValidation(
  dir: string,
  maxRowsPerSeries = Infinity,
  previous?: PreviousModel,
): ValidationRow[] {
  const rows: ValidationRow[] = [];
  const detectors = DETECTOR_NAMES.filter((d) => d !== 'previous model' || previous !== undefined);
  const sets = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'manifest.json')));
  const scratch = previous ? mkdtempSync(join(tmpdir(), 'shadowcast-previous-')) : undefined;
  try {
    for (const set of sets.sort()) {
      const manifest = JSON.parse(readFileSync(join(dir, set, 'manifest.json'), 'utf8')) as ManifestEntry[];
      const kept = manifest.filter((m) => !(SMD_MACHINES as readonly string[]).includes(m.host));
      const scored = kept.map((m, k) => {
        progress(`[risk validation] ${set} ${k + 1}/${kept.length} ${m.host}`);
        const id = `${set}/${m.host}`;
        return scoreSeries(
          join(dir, set),
          id,
          m,
          maxRowsPerSeries,
          previous && { ...previous, scratch: scratch! },
        );
      });
      rows.push(...judgeSet(set, scored, detectors));
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

/** One row a detector: a set's series judged at 0.7, at the best F1 threshold and by the window score. */
function judgeSet(set: string, scored: readonly Scored[], detectors: readonly Detector[]): ValidationRow[] {
  const events = scored.reduce((a, s) => a + s.truth.events.length, 0);
  return detectors.map((detector) => {
    const judge = (threshold: number) => evaluateSet(scored, detector, threshold);
    // One set of thresholds for both judges: the fixed sweep and the detector's own upper quantiles.
    const thresholds = windowThresholds(scored, detector);
    const best = thresholds.map(judge).reduce((a, b) => ((b.f1 || 0) > (a.f1 || 0) ? b : a));
    const window = bestWindowScore(
      scored.map((s) => ({
        scores: scoresOf(s, detector),
        labels: s.truth.events,
        minProbation: s.truth.warmup,
      })),
      thresholds,
    );
    const row: ValidationRow = {
      set,
      detector,
      series: scored.length,
      refused: scored.flatMap((s) => {
        const why = s.refused[detector];
        return why === undefined ? [] : [`${s.id}: ${why}`];
      }),
      events,
      policy: judge(0.7),
      best,
      window,
    };
    if (detector === 'shadowcast') row.led = alarmsLed(scored, best.threshold);
    return row;
  });
}

/**
 * Thresholds for the best F1 and the window score: the sweep, and the detector's own upper
 * quantiles over the set (the top 30% down to the top millionth of its rows after the warm-up, in
 * the series it did not refuse), so a detector whose scores crowd near 1 is judged at thresholds
 * that tell its rows apart.
 */
function windowThresholds(scored: readonly Scored[], detector: Detector): number[] {
  const all = Float64Array.from(
    scored
      .filter((s) => s.refused[detector] === undefined)
      .flatMap((s) => Array.from(scoresOf(s, detector).subarray(s.truth.warmup)))
      .filter(Number.isFinite),
  ).sort();
  const quantiles: number[] = [];
  for (let x = 0.5; x <= 6; x += 0.25) {
    const q = all[Math.min(all.length - 1, Math.floor(all.length * (1 - 10 ** -x)))];
    if (q !== undefined) quantiles.push(q);
  }
  return [...new Set([...SWEEP, ...quantiles])].sort((a, b) => a - b);
}

function evaluateSet(scored: readonly Scored[], detector: Detector, threshold: number): EventMetrics {
  // Series of one set share their step; evaluate per step so lead times and days are right.
  const steps = [...new Set(scored.map((s) => s.minutesPerRow))];
  const parts = steps.map((step) => {
    const group = scored.filter((s) => s.minutesPerRow === step);
    return evaluate(
      group.map((s) => ({ truth: s.truth, scores: scoresOf(s, detector) })),
      threshold,
      {
        minutesPerRow: step,
        maxLeadRows: Math.round(LEAD_MINUTES / step),
        refractoryRows: Math.round(30 / step),
      },
    );
  });
  return parts.length === 1 ? parts[0]! : merge(parts);
}

/** Event metrics of several groups as one (counts add; leads are the detected-weighted median's stand-in). */
function merge(parts: EventMetrics[]): EventMetrics {
  const sum = (k: 'failures' | 'detected' | 'anticipated' | 'falseAlarms' | 'episodes' | 'evaluatedDays') =>
    parts.reduce((a, p) => a + p[k], 0);
  const detected = sum('detected');
  const falseAlarms = sum('falseAlarms');
  const failures = sum('failures');
  const days = sum('evaluatedDays');
  const leads = parts.filter((p) => p.detected > 0).sort((a, b) => b.detected - a.detected);
  return {
    threshold: parts[0]!.threshold,
    episodes: sum('episodes'),
    failures,
    detected,
    anticipated: sum('anticipated'),
    falseAlarms,
    precision: detected / (detected + falseAlarms),
    recall: detected / failures,
    f1: (2 * detected) / (2 * detected + falseAlarms + (failures - detected)),
    lead: leads[0]?.lead ?? { q1: NaN, median: NaN, q3: NaN },
    falseAlarmsPerDay: days > 0 ? falseAlarms / days : NaN,
    evaluatedDays: days,
  };
}

function scoreSeries(
  dir: string,
  id: string,
  m: ManifestEntry,
  maxRows: number,
  previous?: PreviousModel & { scratch: string },
): Scored {
  const { timestamps, columns } = readSeries(join(dir, m.file), maxRows);
  const n = timestamps.length;
  const stepMs = m.stepSeconds * 1000;
  const names = Object.keys(columns);
  const scorer = new NodeScorer(defaultModel(), stepMs);
  const z = new RollingZ();
  const scores: Scored['scores'] = {
    shadowcast: new Float64Array(n),
    'rolling z-score': new Float64Array(n),
  };
  const refused: Scored['refused'] = {};
  const values: Record<string, number> = {};
  const lead: (string | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    for (const name of names) values[name] = columns[name]![i]!;
    const s = scorer.update({ t: timestamps[i]!, values });
    scores.shadowcast[i] = s.score;
    lead[i] = s.lead;
    scores['rolling z-score'][i] = zCoverage(z.update(values));
  }
  if (previous) {
    const p = scorePrevious(previous, id, timestamps, columns);
    if (typeof p === 'string') {
      refused['previous model'] = p;
      scores['previous model'] = new Float64Array(n);
    } else scores['previous model'] = p;
  }
  return {
    id,
    truth: {
      warmup: Math.min(n, Math.round(86_400 / m.stepSeconds)),
      events: readLabels(join(dir, m.labels), timestamps),
    },
    scores,
    refused,
    lead,
    minutesPerRow: m.stepSeconds / 60,
  };
}

/**
 * The previous model's score of every row, from its own `risk score` run on the series written as
 * `timestamp,<the same columns>` (ISO-8601 UTC times; a value that is not a number as an empty
 * cell, which it refuses); or, when it refuses the series (exit 2, bad input for it), its reason.
 * Anything else (a crash, another exit, a score missing or for another time) fails the bench.
 */
function scorePrevious(
  previous: PreviousModel & { scratch: string },
  id: string,
  timestamps: readonly number[],
  columns: Readonly<Record<string, Float64Array>>,
): Float64Array | string {
  const names = Object.keys(columns);
  const cell = (v: number) => (Number.isFinite(v) ? String(v) : '');
  const lines = [`timestamp,${names.join(',')}`];
  timestamps.forEach((t, i) => {
    const time = Number.isFinite(t) ? new Date(t).toISOString() : '';
    lines.push(`${time},${names.map((name) => cell(columns[name]![i]!)).join(',')}`);
  });
  const file = join(previous.scratch, `${id.replace(/[^\w.-]+/g, '_')}.csv`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = spawnSync(process.execPath, [previous.cli, 'risk', 'score', '--input', file, '--format', 'csv'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  rmSync(file, { force: true });
  const fail = (why: string) => new Error(`previous model (${previous.cli}) on ${id}: ${why}`);
  if (r.error) throw fail(r.error.message);
  if (r.status === 2) {
    // `shadowcast: FILE:LINE: why` -> `line LINE: why`.
    const why = r.stderr
      .trim()
      .replace(/^shadowcast: /, '')
      .split(file)
      .join('');
    return why.replace(/^:(\d+):/, 'line $1:').replace(/^: /, '');
  }
  if (r.status !== 0) throw fail(`exit ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const out = r.stdout.trimEnd().split('\n');
  if (out[0] !== 'timestamp,score') throw fail(`expected the header timestamp,score, got "${out[0]}"`);
  const rows = out.slice(1);
  if (rows.length !== timestamps.length) {
    throw fail(`${rows.length} scores for ${timestamps.length} rows`);
  }
  const scores = new Float64Array(rows.length);
  rows.forEach((line, i) => {
    const comma = line.lastIndexOf(',');
    const score = Number(line.slice(comma + 1));
    if (Date.parse(line.slice(0, comma)) !== timestamps[i] || !(score >= 0 && score <= 1)) {
      throw fail(`row ${i + 1}: "${line}" is not a score for ${new Date(timestamps[i]!).toISOString()}`);
    }
    scores[i] = score;
  });
  return scores;
}

function readSeries(
  file: string,
  maxRows: number,
): { timestamps: number[]; columns: Record<string, Float64Array> } {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split(',').slice(1);
  const body = lines.slice(1, 1 + Math.min(lines.length - 1, maxRows));
  const timestamps = body.map((l) => Date.parse(l.slice(0, l.indexOf(','))));
  const columns: Record<string, Float64Array> = {};
  header.forEach((h) => (columns[h] = new Float64Array(body.length)));
  body.forEach((l, i) => {
    const cells = l.split(',');
    header.forEach((h, k) => (columns[h]![i] = Number(cells[k + 1])));
  });
  return { timestamps, columns };
}

/** Label windows as row segments [start, end + 1), from inclusive timestamps. */
function readLabels(file: string, timestamps: readonly number[]): Segment[] {
  const out: Segment[] = [];
  const last = timestamps.at(-1) ?? -Infinity;
  for (const line of readFileSync(file, 'utf8').trimEnd().split('\n').slice(1)) {
    const [a, b] = line.split(',').map((s) => Date.parse(s));
    if (!(a! <= last)) continue;
    out.push({ start: lowerBound(timestamps, a!), end: lowerBound(timestamps, b! + 1) });
  }
  return out;
}

/** Which part raised the model's alarms, per set. */
export function ledTable(rows: readonly ValidationRow[]): string {
  const out = [
    `| set | ${MODEL_PARTS.join(' | ')} |`,
    `| --- | ${MODEL_PARTS.map(() => '---:').join(' | ')} |`,
  ];
  for (const r of rows) {
    if (!r.led) continue;
    const led = r.led;
    out.push(
      `| ${r.set} | ${MODEL_PARTS.map((p) => (Number.isFinite(led[p]) ? `${Math.round(100 * led[p])}%` : '–')).join(' | ')} |`,
    );
  }
  return out.join('\n');
}

export function validationTable(rows: readonly ValidationRow[]): string {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const out = [
    '| set | series | anomalies | detector | F1 at 0.7 | found | median lead (min) | false alarms a day | best threshold | F1 | found | median lead | false alarms a day | window score | its threshold |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const t = (x: number) => Number(x.toPrecision(6));
  for (const r of rows) {
    const p = r.policy;
    const b = r.best;
    const w = r.window;
    const refused = r.refused.length;
    const series = refused > 0 ? `${r.series} (${refused} refused)` : `${r.series}`;
    if (refused === r.series) {
      out.push(`| ${r.set} | ${series} | ${r.events} | ${r.detector} |${' refused |'.repeat(11)}`);
      continue;
    }
    out.push(
      `| ${r.set} | ${series} | ${r.events} | ${r.detector} | ${f(p.f1)} | ${p.detected} | ${f(p.lead.median, 0)} | ${f(p.falseAlarmsPerDay, 2)} | ${t(b.threshold)} | ${f(b.f1)} | ${b.detected} | ${f(b.lead.median, 0)} | ${f(b.falseAlarmsPerDay, 2)} | ${f(w.score, 1)} | ${t(w.threshold)} |`,
    );
  }
  return out.join('\n');
}

/** Rows scored per series at most (the KPI set's series run to 100,000 rows and more). */
export const VALIDATION_MAX_ROWS = Number(process.env.BENCH_VALIDATION_ROWS ?? 50_000);

/**
 * `npm run bench` section: the validation table, and the speed of `risk score` on one metric as a
 * whole process, beside the rolling z-score in the same run.
 */
export async function benchRiskValidation(): Promise<{ json: unknown; markdown: string }> {
  const speed = scoringSpeed();
  const dir = validationDir();
  const speedText =
    `Scoring speed, one metric, 4,000 rows a minute apart, whole process (\`risk score\`, median of 5 runs): ` +
    `${Math.round(speed.processRowsPerSecond).toLocaleString('en-US')} rows/s (${speed.processSeconds.toFixed(3)} s); ` +
    `in process ${Math.round(speed.modelRowsPerSecond).toLocaleString('en-US')} rows/s for the model against ` +
    `${Math.round(speed.zRowsPerSecond).toLocaleString('en-US')} for the rolling z-score.`;
  if (!dir) {
    const markdown = `Validation sets not found (set SHADOWCAST_VALIDATION_DATA): skipped.\n\n${speedText}`;
    return { json: { skipped: true, speed }, markdown };
  }
  const previous = previousModel();
  const rows = benchValidation(dir, VALIDATION_MAX_ROWS, previous);
  const markdown = [
    `Hosts never trained on (the four SMD machines the built-in model learned from are left out); the first ` +
      `${VALIDATION_MAX_ROWS.toLocaleString('en-US')} rows of each series, its first day as warm-up. ` +
      `An anomaly counts as found when an alarm starts within an hour before it or while it lasts; a negative ` +
      `lead means it was caught after it began. "Best threshold" is each detector's best F1 over one threshold for the whole set, ` +
      `searched over fixed thresholds (0.01 to 0.9999) and the detector's own upper quantiles (top 30% to top millionth of ` +
      `its rows after the warm-up). "Window score" is a NAB-style windowed score, standard profile, at each detector's best ` +
      `threshold of the same thresholds for the whole set: ` +
      `the first alarm in an anomaly's window (10% of the series shared among its anomalies, centred on each) earns up to 1 ` +
      `the earlier it comes, a missed window costs 1 and every alarmed row outside the windows up to 0.11, scaled so that 0 ` +
      `is never alarming and 100 perfect; it too ignores the warm-up.` +
      (previous ? ` ${previousText(previous, rows)}` : ''),
    '',
    validationTable(rows),
    '',
    `Which model raised shadowcast's alarms at its best threshold: the share of alarms whose first row each part led ` +
      `(added the most to the log-odds of the stack that said the most):`,
    '',
    ledTable(rows),
    '',
    speedText,
  ].join('\n');
  return { json: { rows, speed }, markdown };
}

/** What the "previous model" rows are, and the series it refused. */
function previousText(previous: PreviousModel, rows: readonly ValidationRow[]): string {
  const mine = rows.filter((r) => r.detector === 'previous model');
  const total = mine.reduce((a, r) => a + r.series, 0);
  const refused = mine.flatMap((r) => r.refused);
  return (
    `"Previous model" is ${previous.label}, scored by its own \`risk score\` command, as a whole process, on each ` +
    `series written to a CSV file (the same rows and columns the others score; its scores as it prints them, to 4 ` +
    `decimals). ` +
    (refused.length === 0
      ? `It refused none of the ${total} series.`
      : `It refused ${refused.length} of the ${total} series (counted as never alarming): ${refused.join('; ')}.`)
  );
}

/** Whole-process and in-process scoring speed on one synthetic metric of 4,000 rows. */
function scoringSpeed() {
  const n = 4000;
  const t0 = Date.UTC(2026, 0, 1);
  const values = Array.from(
    { length: n },
    (_, i) => 0.4 + 0.1 * Math.sin((2 * Math.PI * i) / 1440) + 0.02 * Math.sin(i * 7.3),
  );
  const file = join(mkdtempSync(join(tmpdir(), 'shadowcast-bench-')), 'metric.csv');
  writeFileSync(
    file,
    ['timestamp,value', ...values.map((v, i) => `${new Date(t0 + i * 60_000).toISOString()},${v}`)].join(
      '\n',
    ),
  );
  const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [cli, 'risk', 'score', '--input', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`risk score failed: ${r.stderr}`);
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const processSeconds = times[2]!;
  const inProcess = (update: (t: number, v: number) => void) => {
    const start = performance.now();
    values.forEach((v, i) => update(t0 + i * 60_000, v));
    return n / ((performance.now() - start) / 1000);
  };
  const scorer = new NodeScorer(defaultModel(), 60_000);
  const z = new RollingZ();
  return {
    processSeconds,
    processRowsPerSecond: n / processSeconds,
    modelRowsPerSecond: inProcess((t, v) => scorer.update({ t, values: { value: v } })),
    zRowsPerSecond: inProcess((_, v) => z.update({ value: v })),
  };
}
