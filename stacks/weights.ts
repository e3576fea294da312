// Route weights as load balancers and routes take them: whole percent, shadow rounded and the
// primary the rest, so the two always sum to 100 (the policy pack checks exactly that).

import type { RouteWeights } from '../src/core/plan.js';

/** Route weights in whole percent, summing to 100. */
export interface PercentWeights {
  primary: number;
  shadow: number;
}

/** shadow = round(100 · w.shadow) within 0..100, primary = 100 − shadow. */
export function percentWeights(weights: RouteWeights): PercentWeights {
  const shadow = Math.min(100, Math.max(0, Math.round(100 * weights.shadow)));
  return { primary: 100 - shadow, shadow };
}
