// A trained risk model as plain JSON, and the online scorer that applies it to one node. Four
// models of different kinds score each row: three detectors that need no labels from the host they
// watch (seasonal forecast error, level shift, time to the limit; see detectors.ts) and the
// logistic classifier on each metric's features (learned; a node's classifier score is its most
// alarming metric's). Two monotone logistic stacks weigh them, each fitted on nodes the classifier
// never saw: one on degradations that end in a failure (a leak, a disk filling), hearing every
// part; one on incidents (the labelled anomalies of real servers, which come with a jump, a shift
// or a drop rather than a slow climb), hearing the two detectors that see an incident as it begins
// (see STACK_VOICES in train.ts). The consensus is the chance that either happens,
// 1 − (1 − a)(1 − b): a continuous probability of a failure within the model's horizon that never
// falls when any model's evidence grows. One stack over both kinds could not say both "a leak at
// its limit is near-certain" and "a jump is sometimes nothing": the rare sure cases drown in the
// many unsure ones. The time to the limit is heard through the degradation stack, not on its own:
// alone it read every climb toward a scaled metric's top as a failure on every real set we
// validated on.

import type { NodeSample, RiskModel, RiskScore } from '../core/risk.js';
import { DETECTOR_DEFAULTS, DETECTORS, type DetectorRow, type DetectorSettings } from './detectors.js';
import {
  FEATURE_DEFAULTS,
  type FeatureSettings,
  METRIC_FEATURES,
  type MetricRow,
  metricVectorInto,
  NodeFeatures,
} from './features.js';
import { contributions, type LogisticModel, predictLogistic } from './logistic.js';

export const MODEL_FORMAT = 'shadowcast-risk-model';

export const STACKS = ['degradation', 'incident'] as const;
export type StackName = (typeof STACKS)[number];

/** The models in the consensus, in the order the stack takes them. */
export const MODEL_PARTS = [...DETECTORS, 'classifier'] as const;
export type ModelPart = (typeof MODEL_PARTS)[number];

export interface RiskModelFile {
  format: typeof MODEL_FORMAT;
  version: 2;
  /** A score is the probability of a failure within this many minutes. */
  horizonMinutes: number;
  features: FeatureSettings;
  detectors: DetectorSettings;
  featureNames: string[];
  classifier: LogisticModel;
  /** The stacks: logistic models over the parts' evidence (see `evidence`), weights ≥ 0. Either may be absent (no such labels). */
  consensus: Partial<Record<StackName, LogisticModel>>;
  /** Each part's share of the consensus: |weight| per standardised unit, summing to 1. */
  weights: Record<ModelPart, number>;
  trained: {
    nodes: number;
    rows: number;
    failures: number;
    positiveRows: number;
    source: string;
    /** The consensus on the nodes it was fitted on: Brier skill against the base rate. */
    skill?: number;
  };
}

/** One metric's feature vector, refilled for each metric of each row (scoring is single-threaded). */
const scratch = new Float64Array(METRIC_FEATURES.length);

/** The classifier's output for a node: its highest per-metric probability, and that metric. */
export function classifierRaw(
  model: RiskModelFile,
  rows: ReadonlyMap<string, MetricRow>,
): { raw: number; metric: string | undefined } {
  let raw = 0;
  let metric: string | undefined;
  for (const [name, r] of rows) {
    const p = predictLogistic(model.classifier, metricVectorInto(r, scratch));
    if (p > raw) [raw, metric] = [p, name];
  }
  return { raw, metric };
}

/**
 * What the consensus reads, in MODEL_PARTS order: each detector's surprise (−log10 of a tail
 * probability) and the classifier's log-odds, both log-scale evidence, so the stack weighs them
 * linearly.
 */
export function evidence(detectors: DetectorRow, classifier: number): Float64Array {
  const p = Math.min(1 - 1e-6, Math.max(1e-6, classifier));
  return Float64Array.of(detectors.seasonal, detectors.shift, detectors.limit, Math.log(p / (1 - p)));
}

export type ModelParts = Record<ModelPart, number> & { consensus: number };

/** The chance that a degradation or an incident follows: 1 − (1 − a)(1 − b) over the fitted stacks. */
export function combined(model: Pick<RiskModelFile, 'consensus'>, x: ArrayLike<number>): number {
  return combine(voicesOf(model, x));
}

/** What each stack of the consensus says at one row's evidence. */
interface Voices {
  x: ArrayLike<number>;
  stacks: { model: LogisticModel; p: number }[];
}

function voicesOf(model: Pick<RiskModelFile, 'consensus'>, x: ArrayLike<number>): Voices {
  const stacks = STACKS.flatMap((n) => {
    const m = model.consensus[n];
    return m ? [{ model: m, p: predictLogistic(m, x) }] : [];
  });
  return { x, stacks };
}

function combine(v: Voices): number {
  let none = 1;
  for (const s of v.stacks) none *= 1 - s.p;
  return 1 - none;
}

/**
 * One row's parts and consensus. A detector's part is the probability its surprise is not chance
 * (1 − its tail probability); the classifier's is its own probability; the consensus is the stack.
 */
export function scoreRow(
  model: RiskModelFile,
  detectors: DetectorRow,
  rows: ReadonlyMap<string, MetricRow>,
): ModelParts & { metric: string | undefined; voices: Voices } {
  const { raw, metric } = classifierRaw(model, rows);
  const voices = voicesOf(model, evidence(detectors, raw));
  const consensus = combine(voices);
  const unusual = (s: number) => 1 - 10 ** -s;
  return {
    seasonal: unusual(detectors.seasonal),
    shift: unusual(detectors.shift),
    limit: unusual(detectors.limit),
    classifier: raw,
    consensus,
    metric,
    voices,
  };
}

/** The online scorer of one node (the RiskModel seam). */
export class NodeScorer implements RiskModel {
  readonly name = 'consensus';
  private readonly features: NodeFeatures;

  /**
   * `explain: false` leaves out what only a person reads (the lead part and the metrics to blame):
   * the score and parts are the same, for less work a row.
   */
  constructor(
    private readonly model: RiskModelFile,
    stepMs: number,
    private readonly explain = true,
  ) {
    this.features = new NodeFeatures(
      stepMs,
      model.features ?? FEATURE_DEFAULTS,
      model.detectors ?? DETECTOR_DEFAULTS,
    );
  }

  update(sample: NodeSample): RiskScore {
    const { rows, detectors, detectorBlame, ready } = this.features.push(sample.t, sample.values);
    // Until some metric has a normal range (nine hours of history: three, six hours back), there
    // is nothing to judge.
    if (!ready) {
      return { t: sample.t, score: 0, parts: { seasonal: 0, shift: 0, limit: 0, classifier: 0 } };
    }
    const parts = scoreRow(this.model, detectors, rows);
    const out: RiskScore = {
      t: sample.t,
      score: parts.consensus,
      parts: {
        seasonal: parts.seasonal,
        shift: parts.shift,
        limit: parts.limit,
        classifier: parts.classifier,
      },
    };
    if (!this.explain) return out;
    const partBlame: Record<string, string> = { ...detectorBlame } as Record<string, string>;
    if (parts.metric !== undefined) partBlame.classifier = parts.metric;
    out.partBlame = partBlame;
    const { part, metric } = mostTelling(parts.voices, partBlame);
    if (part !== undefined) out.lead = part;
    if (metric !== undefined) out.blame = metric;
    return out;
  }
}

/**
 * The part that says the most at this row (in the stack that says the most, the part adding most
 * to its log-odds), and the metric behind it.
 */
function mostTelling(v: Voices, blame: Record<string, string>): { part?: ModelPart; metric?: string } {
  const speaker = v.stacks.reduce<Voices['stacks'][number] | undefined>(
    (a, b) => (a && a.p >= b.p ? a : b),
    undefined,
  );
  if (!speaker) return {};
  const adds = contributions(speaker.model, v.x);
  let part: ModelPart | undefined;
  let top = -Infinity;
  MODEL_PARTS.forEach((name, j) => {
    if (speaker.model.weights[j + 1] !== 0 && adds[j]! > top) [part, top] = [name, adds[j]!];
  });
  return part === undefined ? {} : { part, metric: blame[part] };
}
