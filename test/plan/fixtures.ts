// A complete policy for planner tests (the built-in defaults, test/policy checks them), and small
// builders of forecasts and pool states.

import type { Forecast } from '../../src/core/forecast.js';
import type { PoolState } from '../../src/core/plan.js';
import type { NodeRisk } from '../../src/plan/plan.js';
import { builtinPolicy } from '../../src/policy/resolve.js';
import type { Policy } from '../../src/policy/types.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const T0 = Date.UTC(2026, 10, 23, 0, 0);

export function testPolicy(over: (p: Policy) => void = () => {}): Policy {
  const p = structuredClone(builtinPolicy().policy);
  over(p);
  return p;
}

/** A forecast at `stepMs` from `start` with these means and a symmetric ±`spread` share interval. */
export function forecastOf(start: number, stepMs: number, mean: number[], spread = 0.2): Forecast {
  return {
    timestamps: mean.map((_, i) => start + i * stepMs),
    mean: Float64Array.from(mean),
    lower: Float64Array.from(mean, (m) => m * (1 - spread)),
    upper: Float64Array.from(mean, (m) => m * (1 + spread)),
    level: 0.9,
  };
}

export function pool(primary: number, shadow = 0, ws = 0, standby: Record<string, number> = {}): PoolState {
  return { primary, shadow, standby, weights: { primary: 1 - ws, shadow: ws } };
}

/** A node as the risk model sees it: normal, stateless, one unit of load, no dwell, unless `over` says. */
export function nodeRisk(id: string, score: number, over: Partial<NodeRisk> = {}): NodeRisk {
  return {
    id,
    score,
    criticality: 'normal',
    stateless: true,
    load: 1,
    aboveTransitionMs: 0,
    belowReleaseMs: 0,
    ...over,
  };
}
