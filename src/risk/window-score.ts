// A windowed anomaly-detection score in the manner of the Numenta Anomaly Benchmark (Lavin & Ahmad
// 2015; the rules below follow its published description and its public scorer, NAB 1.x
// `sweeper.py` and `labeler.py`). Pure: score arrays and labelled segments in, plain objects out.
//
// Windows, per series of n rows with k labels (labels starting at or past row n are not in it):
// - Each label gets a window of floor(0.10 · n / k) rows centred on its start row s: rows
//   [s - h, s + h] (both inclusive) with h = floor(floor(0.10 · n / k) / 2), clipped to the series.
//   NAB's labels are single timestamps; ours are segments, so when a segment outlasts s + h the
//   window is extended to its last row (the window always covers the whole segment).
// - Probation: the first min(floor(0.15 · n), 750) rows (NAB caps it at 15% of 5,000 rows), or
//   `minProbation` when that is longer (a detector's own warm-up). Alarms there are ignored, and a
//   window starting there is dropped entirely, its labels still counted in k (NAB drops it when
//   building the windows; an alarm in the part of a dropped window past probation is then a false
//   positive like any other).
// - Windows that overlap (one starts on or before the other's last row) merge into one. Adjacent
//   windows stay apart.
//
// Scoring at a threshold, with the application profile's weights A_TP, A_FP, A_FN (standard:
// 1, -0.11, -1):
// - A detection is a row (after probation) whose score is >= threshold; NaN never is. Every such
//   row counts, as in NAB: there is no grouping of consecutive rows into one alarm.
// - A window with detections scores only its first, at A_TP · σ(y) / σ(-1), where y = -(r - i + 1)/w
//   for the first detected row i of a window of w rows whose last row is r, and σ is NAB's scaled
//   sigmoid σ(y) = 2/(1 + e^(5y)) - 1 (-1 when y >= 3). So a detection on the window's first row
//   earns exactly A_TP, and later ones less, down to about 0 at its last row.
// - A window without detections scores A_FN.
// - A detection outside every window is a false positive. Before the series' first window it costs
//   A_FP in full. After a window (the nearest one before it, last row r, w rows) it costs
//   -A_FP · σ(y) with y = (i - r)/(w - 1): almost nothing just past the window, nearly all of A_FP
//   one window-width later, all of it from three widths on. (NAB divides by zero for a one-row
//   window; here w - 1 is taken as at least 1.)
// - Raw score: the sum over windows and false positives of every series; the threshold is one for
//   all the series together. Normalised: 100 · (raw - null) / (perfect - null), where null =
//   A_FN · windows (a detector that never alarms) and perfect = A_TP · windows (one detection on
//   each window's first row, nothing else). NAB takes "perfect" as A_TP times the number of labels,
//   which exceeds what is reachable when windows merged or were dropped; here perfect is reachable,
//   so a perfect detector scores exactly 100. NaN when there is no window at all.
//
// NAB's counts are of rows (flagged rows in and out of windows); here windows detected and missed,
// and false-positive rows.

import type { Segment } from './evaluate.js';

/** Application-profile weights, signed as in the paper: A_TP > 0, A_FP < 0, A_FN < 0. */
export interface WindowProfile {
  tp: number;
  fp: number;
  fn: number;
}

/** NAB's "standard" application profile. */
export const STANDARD_PROFILE: Readonly<WindowProfile> = { tp: 1, fp: -0.11, fn: -1 };

export interface WindowScoreOptions {
  profile?: WindowProfile;
  /** Share of a series' rows that its windows span together; default 0.10. */
  windowFraction?: number;
  /** Share of a series' rows in probation; default 0.15. */
  probationFraction?: number;
  /** Probation never exceeds this many rows (NAB: 15% of 5,000); default 750. */
  maxProbationRows?: number;
}

/** One series: a score per row, its labelled anomalies (row segments), and an optional warm-up. */
export interface WindowSeries {
  scores: ArrayLike<number>;
  labels: readonly Segment[];
  /** Rows the detector needs before its scores mean anything: probation is at least this long. */
  minProbation?: number;
}

export interface WindowScore {
  threshold: number;
  /** Normalised: 0 never alarms, 100 perfect; NaN without windows. */
  score: number;
  raw: number;
  windows: number;
  /** Windows with at least one detection. */
  detected: number;
  /** Windows without any. */
  missed: number;
  /** Detections (rows) outside every window, after probation. */
  falsePositives: number;
}

const DEFAULTS: Required<WindowScoreOptions> = {
  profile: STANDARD_PROFILE,
  windowFraction: 0.1,
  probationFraction: 0.15,
  maxProbationRows: 750,
};

/** NAB's scaled sigmoid: about 1 at y = -1 (a window's first row), 0 at y = 0, -1 from y = 3 on. */
export function scaledSigmoid(y: number): number {
  return y >= 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Rows of probation of a series of `rows` rows: NAB's share, capped, or the warm-up when longer. */
export function probationRows(rows: number, minProbation = 0, options: WindowScoreOptions = {}): number {
  const { probationFraction, maxProbationRows } = { ...DEFAULTS, ...options };
  const nab = Math.min(Math.floor(probationFraction * rows), maxProbationRows);
  return Math.min(rows, Math.max(nab, Math.ceil(minProbation)));
}

/** The scoring windows of a series (row segments, end exclusive, in order); see the header. */
export function scoringWindows(
  rows: number,
  labels: readonly Segment[],
  probation: number,
  options: WindowScoreOptions = {},
): Segment[] {
  const { windowFraction } = { ...DEFAULTS, ...options };
  const inSeries = labels.filter((l) => l.start < rows).sort((a, b) => a.start - b.start);
  if (inSeries.length === 0) return [];
  const half = Math.floor(Math.floor((windowFraction * rows) / inSeries.length) / 2);
  // Inclusive [first, last] while building, as NAB's limits are.
  const raw = inSeries
    .map((l) => {
      const s = Math.max(0, l.start);
      return { first: Math.max(0, s - half), last: Math.min(rows - 1, Math.max(s + half, l.end - 1)) };
    })
    .filter((w) => w.first >= probation);
  const merged: { first: number; last: number }[] = [];
  for (const w of raw) {
    const prev = merged[merged.length - 1];
    if (prev && w.first <= prev.last) prev.last = Math.max(prev.last, w.last);
    else merged.push({ ...w });
  }
  return merged.map((w) => ({ start: w.first, end: w.last + 1 }));
}

interface Prepared {
  scores: ArrayLike<number>;
  probation: number;
  windows: Segment[];
}

function prepare(series: WindowSeries, options: WindowScoreOptions): Prepared {
  const rows = series.scores.length;
  const probation = probationRows(rows, series.minProbation, options);
  return {
    scores: series.scores,
    probation,
    windows: scoringWindows(rows, series.labels, probation, options),
  };
}

interface Tally {
  raw: number;
  windows: number;
  detected: number;
  falsePositives: number;
}

function scorePrepared(p: Prepared, threshold: number, profile: WindowProfile, into: Tally): void {
  const maxTp = scaledSigmoid(-1);
  const { scores, windows } = p;
  let next = 0; // the window the scan is in or before
  let hit = false; // whether windows[next] has had its detection
  let previous: Segment | undefined; // the last window the scan has passed
  const close = () => {
    if (hit) into.detected++;
    else into.raw += profile.fn;
    previous = windows[next];
    next++;
    hit = false;
  };
  for (let i = p.probation; i < scores.length; i++) {
    while (next < windows.length && windows[next]!.end <= i) close();
    if (!(scores[i]! >= threshold)) continue;
    const w = windows[next];
    if (w && i >= w.start) {
      if (!hit) {
        hit = true;
        const y = -(w.end - i) / (w.end - w.start);
        into.raw += (profile.tp * scaledSigmoid(y)) / maxTp;
      }
    } else {
      into.falsePositives++;
      if (!previous) into.raw += profile.fp;
      else {
        const y = (i - (previous.end - 1)) / Math.max(previous.end - previous.start - 1, 1);
        into.raw += profile.fp * -scaledSigmoid(y);
      }
    }
  }
  while (next < windows.length) close();
  into.windows += windows.length;
}

function scoreAll(prepared: readonly Prepared[], threshold: number, profile: WindowProfile): WindowScore {
  const t: Tally = { raw: 0, windows: 0, detected: 0, falsePositives: 0 };
  for (const p of prepared) scorePrepared(p, threshold, profile, t);
  const nullRaw = profile.fn * t.windows;
  const perfect = profile.tp * t.windows;
  return {
    threshold,
    score: t.windows > 0 ? (100 * (t.raw - nullRaw)) / (perfect - nullRaw) : Number.NaN,
    raw: t.raw,
    windows: t.windows,
    detected: t.detected,
    missed: t.windows - t.detected,
    falsePositives: t.falsePositives,
  };
}

/** The windowed score of a set of series at one threshold. */
export function windowScore(
  series: readonly WindowSeries[],
  threshold: number,
  options: WindowScoreOptions = {},
): WindowScore {
  const profile = options.profile ?? DEFAULTS.profile;
  return scoreAll(
    series.map((s) => prepare(s, options)),
    threshold,
    profile,
  );
}

/**
 * The best of the given thresholds for the set as a whole (one threshold for every series), and
 * its score. Ties go to the higher threshold (fewer alarms for the same score), as NAB's sweep,
 * which runs from high thresholds to low, keeps the first best.
 */
export function bestWindowScore(
  series: readonly WindowSeries[],
  thresholds: readonly number[],
  options: WindowScoreOptions = {},
): WindowScore {
  if (thresholds.length === 0) throw new Error('bestWindowScore: no thresholds');
  const profile = options.profile ?? DEFAULTS.profile;
  const prepared = series.map((s) => prepare(s, options));
  const byThreshold = [...thresholds].sort((a, b) => b - a).map((t) => scoreAll(prepared, t, profile));
  return byThreshold.reduce((best, s) => (s.raw > best.raw ? s : best));
}
