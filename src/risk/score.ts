// Scoring a node's whole history row by row, as the online scorer would have seen it live: each
// row's score, every model's part, the metric to blame and the standby decision under the policy.

import type { Criticality } from '../core/graph.js';
import { MODEL_PARTS, type ModelPart, NodeScorer, type RiskModelFile } from './model.js';
import { STANDBY_DEFAULTS, StandbyDecider, type StandbyPolicy, type StandbyState } from './standby.js';
import { stepOf } from './train.js';

export interface ScoredRow {
  t: number;
  score: number;
  /** Each model's part of the consensus (see model.ts). */
  parts: Record<ModelPart, number>;
  blame: string | undefined;
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
  const names = Object.keys(metrics);
  return timestamps.map((t, i) => {
    const values: Record<string, number> = {};
    for (const n of names) values[n] = metrics[n]![i]!;
    const s = scorer.update({ t, values });
    return {
      t,
      score: s.score,
      parts: Object.fromEntries(MODEL_PARTS.map((p) => [p, s.parts[p] ?? 0])) as Record<ModelPart, number>,
      blame: s.blame,
      state: decider.update(t, s.score),
    };
  });
}
