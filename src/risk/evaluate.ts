// Event-based scores of a failure-risk detector: alarms are runs of rows at or above a threshold,
// a failure counts once however long its alarm lasts, and every alarm that anticipates nothing is a
// false alarm. Pure: episodes and score arrays in, plain objects out.
//
// How an episode is judged:
// - Rows [0, warmup) are history: their scores are ignored. An alarm still on at `warmup` starts there.
// - An alarm is a maximal run of rows with score >= threshold; runs fewer than `refractoryRows` apart
//   merge (a score wobbling around the threshold raises one alarm, not ten). NaN is below threshold.
// - Each event has a detection window. An injected failure: [onsetAt, failureAt), or the
//   `maxLeadRows` before failureAt when there is no onset; its anchor is failureAt. A labelled
//   anomaly segment: [start - maxLeadRows, end), anchored at its start. A window never reaches back
//   past the end of the event before it, so one alarm cannot anticipate two events.
// - An event is detected when an alarm starts in its window; its lead time is anchor minus that
//   alarm's first row (negative: caught only after the anomaly began).
// - An alarm is false when it starts outside every window, so an alarm raised before onset is false,
//   and detects nothing even if it is still on when the degradation begins: otherwise a detector
//   that is always on would detect every failure, each with the longest possible lead.
// - `ignore` segments (real anomalies inside an injected episode) have windows like events; alarms
//   starting there are neither true nor false, and the segments are not events to detect.
// - Attribution, when the detector names the metric behind each row (`blame`) and the event names
//   the metrics it shows in (`affected`, or a segment's `metrics`): an alarm detects the event only
//   when its first row blames one of them; an alarm in the window that blames another metric is
//   false. Without it, a detector alarming at random on any of a node's thirty metrics would be
//   credited with every long degradation it happened to fall inside, with a lead as long as the
//   degradation. Events that name no metric, and detectors that name none, are judged without it.

export interface Segment {
  /** First row, inclusive. */
  start: number;
  /** Row after the last, exclusive. */
  end: number;
  /** The metrics the event shows in, when known (see attribution above). */
  metrics?: readonly string[];
}

/** What evaluation needs to know about an episode; the bench's episodes carry more. */
export interface EpisodeTruth {
  warmup: number;
  failureAt?: number;
  onsetAt?: number;
  /** The metrics the injected failure degrades, when known. */
  affected?: readonly string[];
  /** Labelled anomaly segments, each an event to anticipate. */
  events?: readonly Segment[];
  /** Real anomalies that are not the events under test: alarms on them are neither true nor false. */
  ignore?: readonly Segment[];
}

export interface EvaluateOptions {
  /** Alarms less than this many rows apart merge; default 30. */
  refractoryRows?: number;
  /** How far before an event without an onset an alarm still anticipates it; default 120. */
  maxLeadRows?: number;
  /** Minutes per row, for lead times and false alarms per day; default 1. */
  minutesPerRow?: number;
}

export interface EventOutcome {
  anchor: number;
  /** First alarm row inside the event's window, if any. */
  detectedAt?: number;
  /** anchor - detectedAt, in minutes. */
  leadMinutes?: number;
}

export interface EpisodeOutcome {
  alarms: Segment[];
  falseAlarms: number;
  events: EventOutcome[];
  evaluatedRows: number;
}

export interface EventMetrics {
  threshold: number;
  episodes: number;
  /** Events to detect: injected failures, or labelled anomaly segments. */
  failures: number;
  detected: number;
  /** Detected with a positive lead: the alarm came before the failure or the anomaly's start. */
  anticipated: number;
  falseAlarms: number;
  /** detected / (detected + false alarms); NaN when there was no alarm at all. */
  precision: number;
  /** detected / failures; NaN when there were no failures. */
  recall: number;
  /** 2·detected / (2·detected + false alarms + missed): the harmonic mean of the two; NaN when all are 0. */
  f1: number;
  /** Quartiles of the lead time of detected events, in minutes; NaN when none was detected. */
  lead: { q1: number; median: number; q3: number };
  falseAlarmsPerDay: number;
  evaluatedDays: number;
}

const DEFAULTS: Required<EvaluateOptions> = { refractoryRows: 30, maxLeadRows: 120, minutesPerRow: 1 };

/** Alarms of rows [from, scores.length): runs at or above threshold, merged across short gaps. */
export function alarmRuns(
  scores: ArrayLike<number>,
  threshold: number,
  from = 0,
  refractoryRows = DEFAULTS.refractoryRows,
): Segment[] {
  const runs: Segment[] = [];
  let start = -1;
  for (let i = Math.max(0, from); i <= scores.length; i++) {
    const on = i < scores.length && scores[i]! >= threshold;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      const last = runs[runs.length - 1];
      if (last && start - last.end < refractoryRows) last.end = i;
      else runs.push({ start, end: i });
      start = -1;
    }
  }
  return runs;
}

interface Window extends Segment {
  anchor: number;
  /** Metrics an alarm must blame to count here; undefined or empty: any. */
  metrics?: readonly string[];
  /** False for `ignore` segments and events in the warm-up: they excuse alarms but are not scored. */
  scored: boolean;
}

/** Detection windows of an episode's events and ignored segments, in row order. */
function windows(truth: EpisodeTruth, rows: number, maxLead: number): Window[] {
  const raw: Window[] = [];
  if (truth.failureAt !== undefined) {
    const start = truth.onsetAt ?? truth.failureAt - maxLead;
    raw.push({
      start,
      end: truth.failureAt,
      anchor: truth.failureAt,
      scored: true,
      metrics: truth.affected,
    });
  }
  for (const e of truth.events ?? []) {
    raw.push({
      start: e.start - maxLead,
      end: e.end,
      anchor: e.start,
      scored: e.start >= truth.warmup,
      metrics: e.metrics,
    });
  }
  for (const e of truth.ignore ?? []) {
    raw.push({ start: e.start - maxLead, end: e.end, anchor: e.start, scored: false });
  }
  raw.sort((a, b) => a.anchor - b.anchor);
  let previousEnd = 0;
  return raw.map((w) => {
    const clipped = { ...w, start: Math.max(w.start, previousEnd, 0), end: Math.min(w.end, rows) };
    previousEnd = Math.max(previousEnd, w.end);
    return clipped;
  });
}

/** Whether an alarm starting at `row` counts for window w (see attribution above). */
function counts(w: Window, row: number, blame: ArrayLike<string | undefined> | undefined): boolean {
  if (row < w.start || row >= w.end) return false;
  if (!blame || !w.scored || !w.metrics?.length) return true;
  const named = blame[row];
  return named !== undefined && w.metrics.includes(named);
}

/** Judges one episode's scores (aligned with its rows) at one threshold. */
export function scoreEpisode(
  truth: EpisodeTruth,
  scores: ArrayLike<number>,
  threshold: number,
  options: EvaluateOptions = {},
  blame?: ArrayLike<string | undefined>,
): EpisodeOutcome {
  const opts = { ...DEFAULTS, ...options };
  const rows = scores.length;
  if (truth.failureAt !== undefined && truth.failureAt > rows) {
    throw new Error(`scoreEpisode: ${rows} scores but the failure is at row ${truth.failureAt}`);
  }
  const alarms = alarmRuns(scores, threshold, truth.warmup, opts.refractoryRows);
  const wins = windows(truth, rows, opts.maxLeadRows);
  const falseAlarms = alarms.filter((a) => !wins.some((w) => counts(w, a.start, blame))).length;
  const events = wins
    .filter((w) => w.scored)
    .map((w): EventOutcome => {
      const detectedAt = alarms.find((a) => counts(w, a.start, blame))?.start;
      if (detectedAt === undefined) return { anchor: w.anchor };
      return { anchor: w.anchor, detectedAt, leadMinutes: (w.anchor - detectedAt) * opts.minutesPerRow };
    });
  return { alarms, falseAlarms, events, evaluatedRows: Math.max(0, rows - truth.warmup) };
}

/** Type-7 quantile of sorted values (linear interpolation, as R and numpy default to). */
function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = sorted[Math.floor(pos)]!;
  return lo + (sorted[Math.ceil(pos)]! - lo) * (pos - Math.floor(pos));
}

/** Sums episode outcomes into precision, recall, F1, lead-time quartiles and false alarms per day. */
export function summarise(
  outcomes: readonly EpisodeOutcome[],
  threshold: number,
  minutesPerRow = DEFAULTS.minutesPerRow,
): EventMetrics {
  const events = outcomes.flatMap((o) => o.events);
  const leads = events.flatMap((e) => (e.leadMinutes === undefined ? [] : [e.leadMinutes]));
  leads.sort((a, b) => a - b);
  const detected = leads.length;
  const falseAlarms = outcomes.reduce((n, o) => n + o.falseAlarms, 0);
  const missed = events.length - detected;
  const evaluatedDays = (outcomes.reduce((n, o) => n + o.evaluatedRows, 0) * minutesPerRow) / 1440;
  return {
    threshold,
    episodes: outcomes.length,
    failures: events.length,
    detected,
    anticipated: leads.filter((l) => l > 0).length,
    falseAlarms,
    precision: detected + falseAlarms > 0 ? detected / (detected + falseAlarms) : Number.NaN,
    recall: events.length > 0 ? detected / events.length : Number.NaN,
    f1:
      detected + falseAlarms + missed > 0
        ? (2 * detected) / (2 * detected + falseAlarms + missed)
        : Number.NaN,
    lead: {
      q1: quantileOfSorted(leads, 0.25),
      median: quantileOfSorted(leads, 0.5),
      q3: quantileOfSorted(leads, 0.75),
    },
    falseAlarmsPerDay: evaluatedDays > 0 ? falseAlarms / evaluatedDays : Number.NaN,
    evaluatedDays,
  };
}

/** Scores every episode at one threshold and sums the outcomes. */
export function evaluate(
  scored: readonly {
    truth: EpisodeTruth;
    scores: ArrayLike<number>;
    blame?: ArrayLike<string | undefined>;
  }[],
  threshold: number,
  options: EvaluateOptions = {},
): EventMetrics {
  const outcomes = scored.map((s) => scoreEpisode(s.truth, s.scores, threshold, options, s.blame));
  return summarise(outcomes, threshold, options.minutesPerRow);
}

/**
 * Row labels for training a failure model: 1 where a failure or an anomaly is due within
 * `horizonRows`. For an injected failure, rows in [failureAt - horizonRows, failureAt) that also
 * follow the onset (before the onset nothing in the data can foretell it). For a labelled segment
 * (events and ignored ones alike: both are real anomalies), rows in [start - horizonRows, end): the
 * approach and the anomaly itself. Warm-up rows are labelled too; leaving them out is the caller's call.
 */
export function failureLabels(
  episode: EpisodeTruth & { timestamps: { length: number } },
  horizonRows: number,
): Uint8Array {
  const rows = episode.timestamps.length;
  const labels = new Uint8Array(rows);
  const mark = (start: number, end: number): void => {
    labels.fill(1, Math.max(0, start), Math.min(rows, end));
  };
  if (episode.failureAt !== undefined) {
    mark(Math.max(episode.failureAt - horizonRows, episode.onsetAt ?? 0), episode.failureAt);
  }
  for (const s of [...(episode.events ?? []), ...(episode.ignore ?? [])]) mark(s.start - horizonRows, s.end);
  return labels;
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

/** A markdown table, one row per detector and threshold. */
export function metricsTable(rows: readonly { name: string; metrics: EventMetrics }[]): string {
  const head = [
    '| detector | threshold | failures | detected | false alarms | precision | recall | F1 | lead median (q1–q3), min | false alarms / day |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const body = rows.map(({ name, metrics: m }) => {
    const lead = Number.isFinite(m.lead.median)
      ? `${fixed(m.lead.median, 0)} (${fixed(m.lead.q1, 0)}–${fixed(m.lead.q3, 0)})`
      : '–';
    // A pipe inside a cell (|z|) would split it; markdown escapes it.
    return `| ${name.replaceAll('|', '\\|')} | ${m.threshold} | ${m.failures} | ${m.detected} | ${m.falseAlarms} | ${fixed(m.precision, 3)} | ${fixed(m.recall, 3)} | ${fixed(m.f1, 3)} | ${lead} | ${fixed(m.falseAlarmsPerDay, 2)} |`;
  });
  return [...head, ...body].join('\n');
}
