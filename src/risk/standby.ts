// From a node's score stream to a standby decision: at the provision threshold a shadow node is
// pre-provisioned; the work moves only when the score has stayed at or above the transition
// threshold for the dwell time, so one spike never moves a workload. Critical workloads act
// earlier: their thresholds are lowered by the policy's criticality adjustment.

import type { Criticality } from '../core/graph.js';
import { type StandbyPolicy, thresholdsFor, type Thresholds } from '../core/risk.js';

export type { StandbyPolicy } from '../core/risk.js';

export const STANDBY_DEFAULTS: StandbyPolicy = {
  provision: 0.7,
  transition: 0.9,
  dwellMs: 10 * 60_000,
  releaseMs: 30 * 60_000,
  syncMs: 15 * 60_000,
  hysteresis: 0.1,
  criticality: { low: -0.05, normal: 0, high: 0.05, critical: 0.1 },
};

export type StandbyState = 'ok' | 'provision' | 'transition';

export { thresholdsFor, type Thresholds } from '../core/risk.js';

/** One node's decision, fed its scores in time order. `transition` holds until `reset` (the move is done). */
export class StandbyDecider {
  private state: StandbyState = 'ok';
  private aboveTransitionSince = Number.NaN;
  private belowReleaseSince = Number.NaN;
  readonly thresholds: Thresholds;

  constructor(
    private readonly policy: StandbyPolicy = STANDBY_DEFAULTS,
    criticality: Criticality = 'normal',
  ) {
    this.thresholds = thresholdsFor(policy, criticality);
  }

  update(t: number, score: number): StandbyState {
    const { provision, transition } = this.thresholds;
    if (this.state === 'transition') return this.state;
    if (score >= transition) {
      if (Number.isNaN(this.aboveTransitionSince)) this.aboveTransitionSince = t;
    } else this.aboveTransitionSince = Number.NaN;
    if (score >= provision) {
      this.state = 'provision';
      this.belowReleaseSince = Number.NaN;
    } else if (this.state === 'provision' && score < provision - this.policy.hysteresis) {
      if (Number.isNaN(this.belowReleaseSince)) this.belowReleaseSince = t;
      if (t - this.belowReleaseSince >= this.policy.releaseMs) this.state = 'ok';
    } else this.belowReleaseSince = Number.NaN;
    if (!Number.isNaN(this.aboveTransitionSince) && t - this.aboveTransitionSince >= this.policy.dwellMs) {
      this.state = 'transition';
    }
    return this.state;
  }

  /** After the work has moved (or the node was replaced), start over. */
  reset(): void {
    this.state = 'ok';
    this.aboveTransitionSince = Number.NaN;
    this.belowReleaseSince = Number.NaN;
  }
}

/** How long a node's score has held where the planner's standby rules look. */
export interface Dwell {
  /** At or above the transition threshold, up to the last sample (0 when it is not there now). */
  aboveTransitionMs: number;
  /** Below provision - hysteresis, up to the last sample (0 when it is not there now). */
  belowReleaseMs: number;
}

/**
 * The dwell times the planner's NodeRisk needs, read off the end of a node's score stream (in
 * time order) the way StandbyDecider times them: from the first sample of the current run to the
 * last sample, so a single sample above the threshold has held for 0 ms. A NaN score ends both runs.
 */
export function dwellTimes(
  rows: readonly { t: number; score: number }[],
  thresholds: Thresholds,
  hysteresis: number,
): Dwell {
  const last = rows.at(-1);
  if (!last) return { aboveTransitionMs: 0, belowReleaseMs: 0 };
  const since = (holds: (score: number) => boolean): number => {
    let i = rows.length;
    while (i > 0 && holds(rows[i - 1]!.score)) i--;
    return i === rows.length ? 0 : last.t - rows[i]!.t;
  };
  return {
    aboveTransitionMs: since((s) => s >= thresholds.transition),
    belowReleaseMs: since((s) => s < thresholds.provision - hysteresis),
  };
}
