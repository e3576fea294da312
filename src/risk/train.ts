// Training from labelled history: features for every row (computed causally, exactly as the
// scorer will see them), a row's label is "a failure follows within the horizon", the classifier
// is fitted on some nodes and every calibration is fitted on the others, so no calibration has
// seen the rows its model learned from.

import { FEATURE_DEFAULTS, FEATURE_NAMES, type FeatureSettings, NodeFeatures } from './features.js';
import { applyIsotonic, fitIsotonic } from './isotonic.js';
import { fitLogistic, predictLogistic } from './logistic.js';
import { MODEL_FORMAT, type RiskModelFile, residualRaw } from './model.js';

export interface LabeledNode {
  id: string;
  timestamps: readonly number[];
  metrics: Readonly<Record<string, Float64Array>>;
  /**
   * When the node failed (epoch ms), and when its degradation began if that is known: rows before
   * the onset cannot foretell the failure, so they are not taught as its warning.
   */
  failures: readonly { at: number; onset?: number }[];
  /** Spans [start, end) whose rows teach nothing: an incident in progress, or the detector's warm-up. */
  exclude?: readonly { start: number; end: number }[];
}

export interface TrainOptions {
  horizonMinutes: number;
  features: FeatureSettings;
  /** Share of nodes kept back for calibration. */
  calibrationShare: number;
  seed: number;
  source: string;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  horizonMinutes: 360,
  features: FEATURE_DEFAULTS,
  calibrationShare: 0.4,
  seed: 1,
  source: 'labelled history',
};

/** The step of a node's rows: the median gap between timestamps. */
export function stepOf(timestamps: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < Math.min(timestamps.length, 1001); i++) gaps.push(timestamps[i]! - timestamps[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1] ?? 60_000;
}

/** The folded feature vector of every row of a node, in order. */
export function featureRows(
  timestamps: readonly number[],
  metrics: Readonly<Record<string, Float64Array>>,
  settings: FeatureSettings = FEATURE_DEFAULTS,
): Float64Array[] {
  const features = new NodeFeatures(stepOf(timestamps), settings);
  const names = Object.keys(metrics);
  const out: Float64Array[] = [];
  for (let i = 0; i < timestamps.length; i++) {
    const values: Record<string, number> = {};
    for (const name of names) values[name] = metrics[name]![i]!;
    out.push(features.push(timestamps[i]!, values).vector);
  }
  return out;
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
    if (node.exclude?.some((x) => t >= x.start && t < x.end)) labels[i] = Number.NaN;
  }
  return labels;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rows {
  vectors: Float64Array[];
  labels: number[];
}

function collect(nodes: readonly LabeledNode[], settings: FeatureSettings, horizonMs: number): Rows {
  const vectors: Float64Array[] = [];
  const labels: number[] = [];
  for (const node of nodes) {
    const rows = featureRows(node.timestamps, node.metrics, settings);
    const y = rowLabels(node, horizonMs);
    for (let i = 0; i < rows.length; i++) {
      if (Number.isNaN(y[i]!)) continue;
      vectors.push(rows[i]!);
      labels.push(y[i]!);
    }
  }
  return { vectors, labels };
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

export function trainRiskModel(
  nodes: readonly LabeledNode[],
  options: Partial<TrainOptions> = {},
): RiskModelFile {
  const o = { ...TRAIN_DEFAULTS, ...options };
  const failures = nodes.reduce((s, n) => s + n.failures.length, 0);
  if (failures < 2)
    throw new Error(`need at least 2 labelled failures to train and calibrate; found ${failures}`);
  const horizonMs = o.horizonMinutes * 60_000;
  const { fit, calibrate } = splitNodes(nodes, o.calibrationShare, o.seed);
  const fitRows = collect(fit, o.features, horizonMs);
  const calRows = collect(calibrate, o.features, horizonMs);
  if (!fitRows.labels.includes(1) || !calRows.labels.includes(1))
    throw new Error(
      'the labelled failures fall on too few nodes to both fit and calibrate; add labelled nodes',
    );
  const classifier = fitLogistic(fitRows.vectors, fitRows.labels);
  const residualRawScores = calRows.vectors.map(residualRaw);
  const classifierRaw = calRows.vectors.map((v) => predictLogistic(classifier, v));
  const residual = fitIsotonic(residualRawScores, calRows.labels);
  const classifierMap = fitIsotonic(classifierRaw, calRows.labels);
  const apply = (map: typeof residual, raw: number[]) => raw.map((r) => applyIsotonic(map, r));
  const pResidual = apply(residual, residualRawScores);
  const pClassifier = apply(classifierMap, classifierRaw);
  const skillR = brierSkill(pResidual, calRows.labels);
  const skillC = brierSkill(pClassifier, calRows.labels);
  const total = skillR + skillC;
  const weights =
    total > 0 ? { residual: skillR / total, classifier: skillC / total } : { residual: 0.5, classifier: 0.5 };
  const mixed = pResidual.map((p, i) => weights.residual * p + weights.classifier * pClassifier[i]!);
  const all = [...fitRows.labels, ...calRows.labels];
  return {
    format: MODEL_FORMAT,
    version: 1,
    horizonMinutes: o.horizonMinutes,
    features: o.features,
    featureNames: [...FEATURE_NAMES],
    classifier,
    calibration: { residual, classifier: classifierMap, consensus: fitIsotonic(mixed, calRows.labels) },
    weights,
    trained: {
      nodes: nodes.length,
      rows: all.length,
      failures,
      positiveRows: all.filter((v) => v === 1).length,
      source: o.source,
    },
  };
}
