// Node failure risk as plain data: what the RiskModel seam takes (one node's metric samples, in
// time order) and what it gives (a failure probability score in [0, 1], with its parts), and the
// thresholds a node's score is held to, lowered for critical workloads so they act earlier.

import type { Criticality } from './graph.js';

/** One row of a node's resource metrics; a metric missing from a row is simply absent or NaN. */
export interface NodeSample {
  /** Epoch milliseconds; strictly increasing per node. */
  t: number;
  values: Readonly<Record<string, number>>;
}

/** The score of one sample and what it was made of, so a person can see why a node looks risky. */
export interface RiskScore {
  t: number;
  /** Consensus failure probability score in [0, 1]. */
  score: number;
  /** Each model's calibrated probability, by model name. */
  parts: Record<string, number>;
  /** The metric behind the consensus at this sample (that of the part saying the most), if any. */
  blame?: string;
  /** The model that says the most at this sample (adds most to the loudest stack's log-odds). */
  lead?: string;
  /** The metric behind each model's part, by model name, where the model names one. */
  partBlame?: Record<string, string>;
}

/** An online scorer for one node: `update` sees samples in time order and never looks ahead. */
export interface RiskModel {
  readonly name: string;
  update(sample: NodeSample): RiskScore;
}

/** When a node gets a standby, when its work moves, and when the standby is released. */
export interface StandbyPolicy {
  /** Score at which a standby node is provisioned (0.7). */
  provision: number;
  /** Score at which the work moves, once it has held for `dwellMs` (0.9). */
  transition: number;
  dwellMs: number;
  /** A provisioned standby is released after the score stays below provision - hysteresis this long. */
  releaseMs: number;
  hysteresis: number;
  /** A warm standby's data is brought in step with its node's this often (ms). */
  syncMs: number;
  /** Subtracted from both thresholds: a critical workload acts earlier. */
  criticality: Record<Criticality, number>;
}

export interface Thresholds {
  /** Score at which a standby node is provisioned. */
  provision: number;
  /** Score at which the work moves, once held for the dwell time. */
  transition: number;
}

/** Both thresholds lowered by the criticality's shift (raised for a negative one), kept in [0.01, 0.99]. */
export function thresholdsFor(
  base: Thresholds & { criticality: Readonly<Record<Criticality, number>> },
  criticality: Criticality,
): Thresholds {
  const shift = base.criticality[criticality] ?? 0;
  const clamp = (v: number) => Math.min(0.99, Math.max(0.01, v));
  const provision = clamp(base.provision - shift);
  return { provision, transition: Math.max(provision, clamp(base.transition - shift)) };
}
