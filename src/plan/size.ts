// How big each pool should be over the next stretch of time, from the forecast, the observed load
// and the policy. Capacity is max(forecast, observed): a forecast never sizes below the load we
// can see (docs/design.md, rule 2). The primary pool carries the forecast mean plus headroom; the shadow
// pool covers the rest of the forecast's upper bound plus a buffer, so the two together are ready
// for the high end of the interval without paying for it in the primary.

import type { Forecast } from '../core/forecast.js';
import type { PoolState } from '../core/plan.js';
import type { Policy } from '../policy/types.js';

/** What the pool needs at one instant, in demand units. */
export interface Need {
  t: number;
  /** Forecast mean (or observed load, whichever is higher) plus headroom: the primary's share. */
  primary: number;
  /** Upper bound × peak share plus buffer (never below `primary`): both pools together. */
  total: number;
  /** The forecast values behind it, for the reasons. */
  mean: number;
  upper: number;
  /** What the shadow formula covers: the upper bound, or the observed load when that is higher. */
  cover: number;
}

/** Needs at each forecast timestamp in [from, to], and at `from` itself. */
export function needs(
  forecast: Forecast,
  observed: number,
  policy: Policy,
  from: number,
  to: number,
): Need[] {
  const head = 1 + policy.capacity.headroomPercent / 100;
  const peak = (policy.shadow.peakPercent / 100) * (1 + policy.shadow.bufferPercent / 100);
  const floor = Number.isFinite(observed) ? Math.max(0, observed) : 0;
  const out: Need[] = [];
  const ts = forecast.timestamps;
  for (let i = 0; i < ts.length; i++) {
    // The point whose interval covers `from` counts too: demand at `from` is between it and the next.
    const next = ts[i + 1] ?? Infinity;
    if (next <= from || ts[i]! > to) continue;
    const mean = Math.max(0, forecast.mean[i]!);
    const upper = Math.max(mean, forecast.upper[i]!);
    const primary = Math.max(mean, floor) * head;
    const cover = Math.max(upper, floor);
    const total = policy.shadow.enabled ? Math.max(primary, cover * peak) : primary;
    out.push({ t: Math.max(ts[i]!, from), primary, total, mean, upper, cover });
  }
  if (out.length === 0 || out[0]!.t > from) {
    // Before the forecast's first point (or past its end) only the observed load is known.
    const primary = floor * head;
    out.unshift({ t: from, primary, total: primary, mean: Number.NaN, upper: Number.NaN, cover: floor });
  }
  return out;
}

export interface Sizes {
  primary: number;
  shadow: number;
  /** The shadow pool's share of traffic: a multiple of the step size, so it moves only in whole steps. */
  shadowWeight: number;
}

/**
 * Instances that meet `need`, and the traffic split between them. The shadow pool takes the share
 * of the total that lies above the primary's need, rounded to the policy's step; each pool is then
 * sized for its share of the total, so both run at the same utilisation and neither is offered more
 * than it can serve (the router does not spill over). The shadow keeps at least its minimum size,
 * warm, even when it takes no traffic.
 */
export function sizesFor(need: Pick<Need, 'primary' | 'total'>, policy: Policy): Sizes {
  const { capacity, shadow, migration } = policy;
  const total = Math.max(need.primary, need.total);
  const step = migration.stepSize;
  // The primary's minimum already holds the whole need (quiet hours): the shadow would only cost.
  const raw =
    shadow.enabled && total > 0 && !minimumHolds(policy, total) ? (total - need.primary) / total : 0;
  const shadowWeight = Math.min(1, Math.round(Math.round(raw / step) * step * 1e6) / 1e6);
  const primary = clamp(
    Math.ceil(((1 - shadowWeight) * total) / capacity.unitsPerInstance - 1e-9),
    capacity.minInstances,
    capacity.maxInstances,
  );
  if (!shadow.enabled) return { primary, shadow: 0, shadowWeight: 0 };
  const shadowSize = Math.max(
    shadow.minSize,
    Math.ceil((shadowWeight * total) / shadow.unitsPerInstance - 1e-9),
  );
  return { primary, shadow: shadowSize, shadowWeight };
}

/** The primary pool at its minimum size serves `total` units on its own. */
export function minimumHolds(policy: Policy, total: number): boolean {
  return policy.capacity.minInstances * policy.capacity.unitsPerInstance >= total - 1e-9;
}

/** The need with the largest total in `list` (ties: the earliest), and the largest primary share. */
export function peakNeed(list: readonly Need[]): { total: Need; primary: Need } {
  let total = list[0]!;
  let primary = list[0]!;
  for (const n of list) {
    if (n.total > total.total) total = n;
    if (n.primary > primary.primary) primary = n;
  }
  return { total, primary };
}

/** The state a pool starts in: primary sized for `load` with the policy's headroom, shadow at its minimum. */
export function sizedFor(policy: Policy, load: number, withShadow: boolean): PoolState {
  const { capacity, shadow } = policy;
  const head = 1 + capacity.headroomPercent / 100;
  const primary = Math.min(
    capacity.maxInstances,
    Math.max(capacity.minInstances, Math.ceil((load * head) / capacity.unitsPerInstance)),
  );
  const s = withShadow && shadow.enabled ? shadow.minSize : 0;
  return { primary, shadow: s, standby: {}, weights: { primary: 1, shadow: 0 } };
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
