// A complete policy for planner tests (the built-in defaults, written out), and small builders.

import type { Forecast } from '../../src/core/forecast.js';
import type { PoolState } from '../../src/core/plan.js';
import type { Policy } from '../../src/policy/types.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const T0 = Date.UTC(2026, 10, 23, 0, 0);

export function testPolicy(over: (p: Policy) => void = () => {}): Policy {
  const p: Policy = {
    mode: 'recommend',
    forecast: { horizonMs: 24 * HOUR, level: 0.9, model: 'auto' },
    capacity: {
      unitsPerInstance: 100,
      minInstances: 2,
      maxInstances: 50,
      headroomPercent: 20,
      instanceType: 'm6i.large',
      hourlyCost: 0.096,
      provisionMs: 5 * MIN,
    },
    shadow: {
      enabled: true,
      peakPercent: 100,
      bufferPercent: 10,
      minSize: 1,
      instanceType: 'm6i.large',
      unitsPerInstance: 100,
      hourlyCost: 0.096,
      leadTimeMs: 10 * MIN,
    },
    standby: {
      provision: 0.7,
      transition: 0.9,
      dwellMs: 10 * MIN,
      releaseMs: 30 * MIN,
      hysteresis: 0.1,
      criticality: { low: -0.05, normal: 0, high: 0.05, critical: 0.1 },
    },
    migration: {
      stepSize: 0.1,
      bakeMs: 2 * MIN,
      gates: [{ metric: 'error_rate', max: 0.01 }],
      maxConcurrent: 1,
      alertPerHour: 6,
      stepTimeoutMs: 15 * MIN,
    },
    guardrails: { maxTotalInstances: 200, maxHourlyCost: 50, protectedPools: [] },
    schedule: { cron: '*/15 * * * *', timezone: 'UTC' },
  };
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
