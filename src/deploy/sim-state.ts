// The pool state as the simulated fleet reads it: whether a desired state can be applied at all
// (a real stack would refuse it too), the routing it declares, and a one-line description of both
// for the event log.

import { type PoolState, WEIGHT_EPSILON } from '../core/plan.js';
import { sameList, sameMap } from './pool-state.js';
import type { Routing } from './sim-serve.js';

export function routingOf(state: PoolState): Routing {
  const r: Routing = { weights: { ...state.weights }, standby: { ...state.standby } };
  if (state.retired?.length) r.retired = [...state.retired];
  if (state.standbyZones && Object.keys(state.standbyZones).length)
    r.standbyZones = { ...state.standbyZones };
  if (state.standbySync && Object.keys(state.standbySync).length) r.standbySync = { ...state.standbySync };
  return r;
}

export function sameRouting(a: Routing, b: Routing): boolean {
  return (
    a.weights.primary === b.weights.primary &&
    a.weights.shadow === b.weights.shadow &&
    sameMap(a.standby, b.standby) &&
    sameList(a.retired, b.retired) &&
    sameMap(a.standbyZones, b.standbyZones) &&
    sameMap(a.standbySync, b.standbySync)
  );
}

/** Why a state cannot be applied, or undefined when it can. */
export function invalidState(state: PoolState): string | undefined {
  for (const role of ['primary', 'shadow'] as const) {
    const n = state[role];
    if (!Number.isInteger(n) || n < 0) return `${role} must be a whole number >= 0, got ${n}`;
  }
  const { primary, shadow } = state.weights;
  if (!(primary >= 0 && primary <= 1 && shadow >= 0 && shadow <= 1)) {
    return `weights must be in [0, 1], got primary ${primary}, shadow ${shadow}`;
  }
  if (Math.abs(primary + shadow - 1) > WEIGHT_EPSILON)
    return `weights must sum to 1, got ${primary + shadow}`;
  for (const [node, share] of Object.entries(state.standby)) {
    if (!(share >= 0 && share <= 1)) return `standby share of ${node} must be in [0, 1], got ${share}`;
  }
  for (const node of state.retired ?? []) {
    // A node leaves for good only once its standby serves in its place.
    if (state.standby[node] !== 1) return `retires ${node}, which is not switched to a standby (share 1)`;
  }
  return undefined;
}

export function describeRouting(r: Routing): string {
  const standby = Object.entries(r.standby).map(([node, share]) => `${node} ${share}`);
  const retired = r.retired?.length ? `, retired ${r.retired.join(', ')}` : '';
  return `weights ${r.weights.primary}/${r.weights.shadow}${standby.length > 0 ? `, standby ${standby.join(', ')}` : ''}${retired}`;
}

export function describe(state: PoolState): string {
  return `primary ${state.primary}, shadow ${state.shadow}, ${describeRouting(state)}`;
}
