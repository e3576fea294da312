// Scoring a node's whole history row by row, as the online scorer would have seen it live: each
// row's score, every model's part, the metric to blame and the standby decision under the policy.

import type { Criticality } from '../core/graph.js';
import type { NodeSample } from '../core/risk.js';
import { type ModelPart, NodeScorer, type RiskModelFile } from './model.js';
import { STANDBY_DEFAULTS, StandbyDecider, type StandbyPolicy, type StandbyState } from './standby.js';
import { stepOf } from './stats.js';

export interface ScoredRow {
  t: number;
  score: number;
  /** Each model's part of the consensus (see model.ts). */
  parts: Record<ModelPart, number>;
  blame: string | undefined;
  /** The model that says the most at this row (see NodeScorer). */
  lead: ModelPart | undefined;
  state: StandbyState;
}

export interface ScoreOptions {
  policy?: StandbyPolicy;
  criticality?: Criticality;
}

export function scoreNode(
  timestamps: readonly number[],
  metrics: Readonly<Record<string, Float64Array>>,
  model: RiskModelFile,
  options: ScoreOptions = {},
): ScoredRow[] {
  const scorer = new NodeScorer(model, stepOf(timestamps));
  const decider = new StandbyDecider(options.policy ?? STANDBY_DEFAULTS, options.criticality ?? 'normal');
  const sample = samples(timestamps, metrics);
  return timestamps.map((t, i) => {
    const s = scorer.update(sample(i));
    return {
      t,
      score: s.score,
      parts: {
        seasonal: s.parts.seasonal ?? 0,
        shift: s.parts.shift ?? 0,
        limit: s.parts.limit ?? 0,
        classifier: s.parts.classifier ?? 0,
      } satisfies Record<ModelPart, number>,
      blame: s.blame,
      lead: s.lead as ModelPart | undefined,
      state: decider.update(t, s.score),
    };
  });
}

/** Only each row's score, for output that shows nothing else (`risk score --format csv`). */
export function scoreOnly(
  timestamps: readonly number[],
  metrics: Readonly<Record<string, Float64Array>>,
  model: RiskModelFile,
): Float64Array {
  const scorer = new NodeScorer(model, stepOf(timestamps), false);
  const sample = samples(timestamps, metrics);
  return Float64Array.from(timestamps, (_, i) => scorer.update(sample(i)).score);
}

/**
 * Row i as the scorer reads it. One values object, refilled for each row: the scorer reads it
 * during update and keeps nothing of it.
 */
function samples(
  timestamps: readonly number[],
  metrics: Readonly<Record<string, Float64Array>>,
): (i: number) => NodeSample {
  const names = Object.keys(metrics);
  const columns = names.map((n) => metrics[n]!);
  const values: Record<string, number> = {};
  return (i) => {
    for (let k = 0; k < names.length; k++) values[names[k]!] = columns[k]![i]!;
    return { t: timestamps[i]!, values };
  };
}
