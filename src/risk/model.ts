// A trained risk model as plain JSON, and the online scorer that applies it to one node. Two
// models of different kinds score each row: the seasonal-forecast residual detector (unsupervised)
// and the logistic classifier on each metric's features (learned; a node's classifier score is its
// most alarming metric's). Each is calibrated into the probability of a failure within the
// model's horizon; the consensus is their skill-weighted mean, calibrated once more.

import { z } from 'zod';
import type { NodeSample, RiskModel, RiskScore } from '../core/risk.js';
import {
  FEATURE_DEFAULTS,
  type FeatureSettings,
  type MetricRow,
  metricVector,
  NodeFeatures,
} from './features.js';
import { applyIsotonic, type IsotonicMap } from './isotonic.js';
import { type LogisticModel, predictLogistic } from './logistic.js';

export const MODEL_FORMAT = 'shadowcast-risk-model';

export interface RiskModelFile {
  format: typeof MODEL_FORMAT;
  version: 1;
  /** A calibrated score is the probability of a failure within this many minutes. */
  horizonMinutes: number;
  features: FeatureSettings;
  featureNames: string[];
  classifier: LogisticModel;
  calibration: { residual: IsotonicMap; classifier: IsotonicMap; consensus: IsotonicMap };
  /** Consensus weights, summing to 1: each model's Brier skill on the calibration rows. */
  weights: { residual: number; classifier: number };
  trained: { nodes: number; rows: number; failures: number; positiveRows: number; source: string };
}

const iso = z.object({ x: z.array(z.number()), y: z.array(z.number().min(0).max(1)) });

export const RiskModelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(1),
  horizonMinutes: z.number().positive(),
  features: z.object({
    rangeMinutes: z.number().positive(),
    rangeLagMinutes: z.number().nonnegative(),
    climbMinutes: z.number().positive(),
    slowMinutes: z.number().positive(),
    limit: z.number().positive(),
    exhaustionMinutes: z.number().positive(),
  }),
  featureNames: z.array(z.string()),
  classifier: z.object({
    centre: z.array(z.number()),
    scale: z.array(z.number()),
    weights: z.array(z.number()),
  }),
  calibration: z.object({ residual: iso, classifier: iso, consensus: iso }),
  weights: z.object({ residual: z.number().min(0), classifier: z.number().min(0) }),
  trained: z.object({
    nodes: z.number(),
    rows: z.number(),
    failures: z.number(),
    positiveRows: z.number(),
    source: z.string(),
  }),
});

export interface ModelParts {
  residual: number;
  classifier: number;
  consensus: number;
}

/** The classifier's raw output for a node: its highest per-metric probability, and that metric. */
export function classifierRaw(
  model: RiskModelFile,
  rows: ReadonlyMap<string, MetricRow>,
): { raw: number; metric: string | undefined } {
  let raw = 0;
  let metric: string | undefined;
  for (const [name, r] of rows) {
    const p = predictLogistic(model.classifier, metricVector(r));
    if (p > raw) [raw, metric] = [p, name];
  }
  return { raw, metric };
}

/** Calibrated parts and consensus of one row, from the residual detector's raw score and the metrics' rows. */
export function scoreRow(
  model: RiskModelFile,
  residualRaw: number,
  rows: ReadonlyMap<string, MetricRow>,
): ModelParts & { metric: string | undefined } {
  const residual = applyIsotonic(model.calibration.residual, residualRaw);
  const { raw, metric } = classifierRaw(model, rows);
  const classifier = applyIsotonic(model.calibration.classifier, raw);
  const mixed = model.weights.residual * residual + model.weights.classifier * classifier;
  return { residual, classifier, consensus: applyIsotonic(model.calibration.consensus, mixed), metric };
}

/** The online scorer of one node (the RiskModel seam). */
export class NodeScorer implements RiskModel {
  readonly name = 'consensus';
  private readonly features: NodeFeatures;

  constructor(
    private readonly model: RiskModelFile,
    stepMs: number,
  ) {
    this.features = new NodeFeatures(stepMs, model.features ?? FEATURE_DEFAULTS);
  }

  update(sample: NodeSample): RiskScore {
    const { rows, residual, residualMetric, ready } = this.features.push(sample.t, sample.values);
    // Until some metric has a normal range (nine hours of history: three, six hours back), there
    // is nothing to judge.
    if (!ready) return { t: sample.t, score: 0, parts: { residual: 0, classifier: 0 } };
    const parts = scoreRow(this.model, residual, rows);
    const blame = parts.metric;
    const out: RiskScore = {
      t: sample.t,
      score: parts.consensus,
      parts: { residual: parts.residual, classifier: parts.classifier },
    };
    if (blame !== undefined) out.blame = blame;
    const partBlame: Record<string, string> = {};
    if (blame !== undefined) partBlame.classifier = blame;
    if (residualMetric !== undefined) partBlame.residual = residualMetric;
    out.partBlame = partBlame;
    return out;
  }
}
