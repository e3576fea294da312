// Training from labelled history: features for every row (computed causally, exactly as the
// scorer will see them), a row's label is "a failure follows within the horizon", the classifier
// is fitted on some nodes and the consensus over it and the detectors on the others, so the
// consensus never weighs a model by rows that model learned from.

import { mulberry32 } from '../core/random.js';
import { DETECTOR_DEFAULTS, type DetectorRow, type DetectorSettings } from './detectors.js';
import {
  FEATURE_DEFAULTS,
  type FeatureSettings,
  METRIC_FEATURES,
  type MetricRow,
  metricVector,
  NodeFeatures,
  type NodeRow,
} from './features.js';
import { stepOf } from './stats.js';
import { fitLogistic } from './logistic-fit.js';
import { type LogisticModel, predictLogistic } from './logistic.js';
import {
  combined,
  evidence,
  MODEL_FORMAT,
  MODEL_PARTS,
  type ModelPart,
  type RiskModelFile,
  STACKS,
  type StackName,
} from './model.js';

export interface LabeledNode {
  id: string;
  timestamps: readonly number[];
  metrics: Readonly<Record<string, Float64Array>>;
  /**
   * When the node failed (epoch ms), and when its degradation began if that is known: rows before
   * the onset cannot foretell the failure, so they are not taught as its warning. A failure that
   * lasts (an incident) has `until`: its rows up to then are positive too, the node failing. `metrics` names
   * the metrics that carried the warning when known; otherwise each warning row teaches the
   * classifier with its most deviant metric.
   */
  failures: readonly { at: number; onset?: number; until?: number; metrics?: readonly string[] }[];
  /** Spans [start, end) whose rows teach nothing: an incident in progress, or the detector's warm-up. */
  exclude?: readonly { start: number; end: number }[];
  /**
   * `consensus`: the node teaches only the consensus, never the classifier. For incidents without a
   * known onset (real anomaly labels): the classifier learns what comes before a degradation ends
   * in failure, and an incident's hour before holds no such precursor to learn from.
   */
  teaches?: 'all' | 'consensus';
}

export interface TrainOptions {
  horizonMinutes: number;
  features: FeatureSettings;
  detectors: DetectorSettings;
  /** Share of nodes kept back for calibration. */
  calibrationShare: number;
  seed: number;
  source: string;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  horizonMinutes: 60,
  features: FEATURE_DEFAULTS,
  detectors: DETECTOR_DEFAULTS,
  calibrationShare: 0.4,
  seed: 1,
  source: 'labelled history',
};

/** Each row's features, computed causally as the scorer sees them. */
export function* featureRows(
  timestamps: readonly number[],
  metrics: Readonly<Record<string, Float64Array>>,
  settings: FeatureSettings = FEATURE_DEFAULTS,
  detectors: DetectorSettings = DETECTOR_DEFAULTS,
): Generator<NodeRow> {
  const features = new NodeFeatures(stepOf(timestamps), settings, detectors);
  const names = Object.keys(metrics);
  for (let i = 0; i < timestamps.length; i++) {
    const values: Record<string, number> = {};
    for (const name of names) values[name] = metrics[name]![i]!;
    yield features.push(timestamps[i]!, values);
  }
}

/** 1 where a failure follows within the horizon, 0 where none does, NaN where the row is excluded. */
export function rowLabels(node: LabeledNode, horizonMs: number): Float64Array {
  const failures = [...node.failures].sort((a, b) => a.at - b.at);
  const labels = new Float64Array(node.timestamps.length);
  let k = 0;
  for (let i = 0; i < node.timestamps.length; i++) {
    const t = node.timestamps[i]!;
    while (k < failures.length && failures[k]!.at <= t) k++;
    const next = failures[k];
    labels[i] = next !== undefined && next.at - t <= horizonMs && t >= (next.onset ?? -Infinity) ? 1 : 0;
    // A failure that lasts (an incident) is one while it lasts: the node is failing.
    if (k > 0 && t < (failures[k - 1]!.until ?? -Infinity)) labels[i] = 1;
    if (node.exclude?.some((x) => t >= x.start && t < x.end)) labels[i] = Number.NaN;
  }
  return labels;
}

/** Share of (row, metric) pairs of healthy rows kept to teach the classifier; each weighs 1 / share. */
const NEGATIVE_SHARE = 0.05;

/** Per-metric instances for the classifier: warning metrics of warning rows, a sample of healthy ones. */
interface Instances {
  vectors: Float64Array[];
  labels: number[];
  weights: number[];
}

/** Node-level rows for the consensus: the detectors' surprises, every metric's features, the label. */
interface CalRows {
  detectors: DetectorRow[];
  metrics: Float64Array[][];
  labels: number[];
}

function warningMetrics(node: LabeledNode, t: number, rows: Map<string, MetricRow>): readonly string[] {
  const failure = node.failures.find((f) => f.at > t);
  if (failure?.metrics?.length) return failure.metrics;
  let best: string | undefined;
  let worst = -Infinity;
  for (const [name, r] of rows) if (r.excessSlow > worst) [best, worst] = [name, r.excessSlow];
  return best === undefined ? [] : [best];
}

/** Whether t falls between a failure's known onset and the failure. */
function degrading(node: LabeledNode, t: number): boolean {
  return node.failures.some((f) => f.onset !== undefined && t >= f.onset && t < f.at);
}

function instances(nodes: readonly LabeledNode[], o: TrainOptions, horizonMs: number): Instances {
  const rand = mulberry32(o.seed + 1);
  const out: Instances = { vectors: [], labels: [], weights: [] };
  for (const node of nodes) {
    const y = rowLabels(node, horizonMs);
    let i = 0;
    for (const { rows, ready } of featureRows(node.timestamps, node.metrics, o.features, o.detectors)) {
      const label = y[i]!;
      const t = node.timestamps[i++]!;
      if (Number.isNaN(label) || !ready) continue;
      // A degradation under way whose failure is still beyond the horizon is neither a warning
      // nor health: teaching it as health would teach that a slow leak is nothing to fear.
      if (label === 0 && degrading(node, t)) continue;
      if (label === 1) {
        for (const m of warningMetrics(node, t, rows)) {
          const r = rows.get(m);
          if (!r) continue;
          out.vectors.push(metricVector(r));
          out.labels.push(1);
          out.weights.push(1);
        }
        continue;
      }
      for (const r of rows.values()) {
        if (rand() >= NEGATIVE_SHARE) continue;
        out.vectors.push(metricVector(r));
        out.labels.push(0);
        out.weights.push(1 / NEGATIVE_SHARE);
      }
    }
  }
  return out;
}

function calibrationRows(nodes: readonly LabeledNode[], o: TrainOptions, horizonMs: number): CalRows {
  const out: CalRows = { detectors: [], metrics: [], labels: [] };
  for (const node of nodes) {
    const y = rowLabels(node, horizonMs);
    let i = 0;
    for (const { detectors, rows, ready } of featureRows(
      node.timestamps,
      node.metrics,
      o.features,
      o.detectors,
    )) {
      const label = y[i++]!;
      if (Number.isNaN(label) || !ready) continue;
      out.detectors.push(detectors);
      out.metrics.push([...rows.values()].map(metricVector));
      out.labels.push(label);
    }
  }
  return out;
}

/** Brier skill score against always predicting the base rate; 0 when it is no better. */
function brierSkill(p: number[], y: number[]): number {
  const base = y.reduce((s, v) => s + v, 0) / y.length;
  let brier = 0;
  let ref = 0;
  for (let i = 0; i < y.length; i++) {
    brier += (p[i]! - y[i]!) ** 2;
    ref += (base - y[i]!) ** 2;
  }
  return ref > 0 ? Math.max(0, 1 - brier / ref) : 0;
}

/** Split nodes so both halves hold failures when they can: failing and healthy nodes are split separately. */
function splitNodes(nodes: readonly LabeledNode[], share: number, seed: number) {
  const rand = mulberry32(seed);
  const fit: LabeledNode[] = [];
  const calibrate: LabeledNode[] = [];
  for (const group of [nodes.filter((n) => n.failures.length > 0), nodes.filter((n) => !n.failures.length)]) {
    const shuffled = group.map((n) => ({ n, r: rand() })).sort((a, b) => a.r - b.r);
    const cut = Math.round(shuffled.length * share);
    shuffled.forEach(({ n }, i) => (i < cut ? calibrate : fit).push(n));
  }
  return { fit, calibrate };
}

/**
 * The parts each stack hears. Degradations that end in failure (a leak, a disk filling) are what
 * the classifier learned and what the time to the limit projects; incidents (a jump, a shift, a
 * dead node's drop) are what the detectors that need no labels see as they begin, while the hour
 * before one holds no precursor the classifier knows. A stack that heard the classifier on
 * incidents would let its steady voice drown the detectors' sharp one.
 */
const STACK_VOICES: Record<StackName, readonly ModelPart[]> = {
  degradation: MODEL_PARTS,
  incident: ['seasonal', 'shift'],
};

export function trainRiskModel(
  nodes: readonly LabeledNode[],
  options: Partial<TrainOptions> = {},
): RiskModelFile {
  const o = { ...TRAIN_DEFAULTS, ...options };
  const failures = nodes.reduce((s, n) => s + n.failures.length, 0);
  if (failures < 2)
    throw new Error(`need at least 2 labelled failures to train and calibrate; found ${failures}`);
  const horizonMs = o.horizonMinutes * 60_000;
  const split = splitNodes(
    nodes.filter((n) => n.teaches !== 'consensus'),
    o.calibrationShare,
    o.seed,
  );
  const fit = split.fit;
  const teach = instances(fit, o, horizonMs);
  const classifier = fitClassifier(teach);
  // Each stack from its own kind of node: degradations held back from the classifier, incidents.
  const kinds: Record<StackName, readonly LabeledNode[]> = {
    degradation: split.calibrate,
    incident: nodes.filter((n) => n.teaches === 'consensus'),
  };
  const consensus: RiskModelFile['consensus'] = {};
  const all: { x: Float64Array[]; y: number[] } = { x: [], y: [] };
  for (const kind of STACKS) {
    const cal = calibrationRows(kinds[kind], o, horizonMs);
    if (!cal.labels.includes(1)) continue;
    const x = evidenceRows(cal, classifier);
    // More evidence from any model never lowers the consensus: every weight is kept >= 0.
    consensus[kind] = fitLogistic(x, cal.labels, {
      monotone: MODEL_PARTS.map(() => true),
      unused: MODEL_PARTS.map((part) => !STACK_VOICES[kind].includes(part)),
      linear: true,
    });
    all.x.push(...x);
    all.y.push(...cal.labels);
  }
  if (!consensus.degradation && !consensus.incident)
    throw new Error(
      'the labelled failures fall on too few nodes to both fit and calibrate; add labelled nodes',
    );
  const p = all.x.map((x) => combined({ consensus }, x));
  return {
    format: MODEL_FORMAT,
    version: 2,
    horizonMinutes: o.horizonMinutes,
    features: o.features,
    detectors: o.detectors,
    featureNames: [...METRIC_FEATURES],
    classifier,
    consensus,
    weights: shares(consensus),
    trained: {
      nodes: nodes.length,
      rows: teach.labels.length + all.y.length,
      failures,
      positiveRows: teach.labels.filter((v) => v === 1).length + all.y.filter((v) => v === 1).length,
      source: o.source,
      skill: Number(brierSkill(p, all.y).toFixed(4)),
    },
  };
}

function fitClassifier(teach: Instances): LogisticModel {
  if (!teach.labels.includes(1))
    throw new Error(
      'the labelled failures fall on too few nodes to both fit and calibrate; add labelled nodes',
    );
  return fitLogistic(teach.vectors, teach.labels, {
    weights: teach.weights,
    // More deviation never means less risk; jitter is context (a spiky metric's crossings matter less).
    monotone: METRIC_FEATURES.map((name) => name !== 'jitter'),
  });
}

/** Each calibration row as the stacks read it. */
function evidenceRows(cal: CalRows, classifier: LogisticModel): Float64Array[] {
  return cal.detectors.map((d, i) =>
    evidence(d, Math.max(0, ...cal.metrics[i]!.map((v) => predictLogistic(classifier, v)))),
  );
}

/**
 * Each part's share of the consensus: within each stack, its weight per standardised unit of
 * evidence as a share of the stack's; then the stacks' shares averaged, since the consensus hears
 * each stack alike (1 − (1 − a)(1 − b)). A part a stack does not hear has no share of it.
 */
function shares(c: RiskModelFile['consensus']): Record<ModelPart, number> {
  const fitted = STACKS.flatMap((n) => (c[n] ? [c[n]] : []));
  const out = MODEL_PARTS.map(() => 0);
  for (const m of fitted) {
    const w = MODEL_PARTS.map((_, j) => Math.abs(m.weights[j + 1] ?? 0));
    const total = w.reduce((a, b) => a + b, 0);
    if (total > 0) w.forEach((v, j) => (out[j]! += v / total / fitted.length));
  }
  return Object.fromEntries(MODEL_PARTS.map((part, j) => [part, Number(out[j]!.toFixed(4))])) as Record<
    ModelPart,
    number
  >;
}
