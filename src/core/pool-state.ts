// A pool state (core/plan.ts's PoolState) read, checked, compared and described in one place:
// every reader of a state from outside (a plan file, a stack's outputs) parses it here, every
// target refuses what `poolStateProblem` refuses, and the executor's read-back compares with
// `sameState`. The report's wording for people is report/format.ts's describePool.

import { type PoolState, WEIGHT_EPSILON } from './plan.js';

/** A state from JSON or YAML, checked whole: the state (a copy), or why it is not one. */
export function parsePoolState(v: unknown): PoolState | string {
  const s = v as PoolState | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s))
    return 'expected a pool state {primary, shadow, standby, weights}';
  if (typeof s.primary !== 'number' || typeof s.shadow !== 'number')
    return 'expected primary and shadow instance counts';
  if (typeof s.weights !== 'object' || s.weights === null) return 'expected weights {primary, shadow}';
  if (typeof s.weights.primary !== 'number' || typeof s.weights.shadow !== 'number')
    return 'expected weights {primary, shadow} as numbers';
  const standby = s.standby ?? {};
  if (!isMapOf(standby, 'number')) return 'expected standby {node: share}';
  const out: PoolState = {
    primary: s.primary,
    shadow: s.shadow,
    standby: { ...standby },
    weights: { primary: s.weights.primary, shadow: s.weights.shadow },
  };
  if (s.retired !== undefined) {
    if (!Array.isArray(s.retired) || !s.retired.every((n) => typeof n === 'string'))
      return 'expected retired [node, ...]';
    out.retired = [...s.retired];
  }
  if (s.standbyZones !== undefined) {
    if (!isMapOf(s.standbyZones, 'string')) return 'expected standbyZones {node: zone}';
    out.standbyZones = { ...s.standbyZones };
  }
  if (s.standbySync !== undefined) {
    if (!isMapOf(s.standbySync, 'number')) return 'expected standbySync {node: epoch ms}';
    out.standbySync = { ...s.standbySync };
  }
  return poolStateProblem(out) ?? out;
}

function isMapOf(v: unknown, type: 'string' | 'number'): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === type && (type === 'string' || Number.isFinite(x)))
  );
}

/** Why a state cannot be applied (a real stack would refuse it too), or undefined when it can. */
export function poolStateProblem(state: PoolState): string | undefined {
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

/** Same counts, same standby nodes and shares, same weights (within rounding), same retired nodes, zones and sync times. */
export function sameState(a: PoolState, b: PoolState): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= WEIGHT_EPSILON;
  const keys = Object.keys(a.standby);
  return (
    a.primary === b.primary &&
    a.shadow === b.shadow &&
    close(a.weights.primary, b.weights.primary) &&
    close(a.weights.shadow, b.weights.shadow) &&
    keys.length === Object.keys(b.standby).length &&
    keys.every((k) => Object.hasOwn(b.standby, k) && close(a.standby[k]!, b.standby[k]!)) &&
    sameList(a.retired, b.retired) &&
    sameMap(a.standbyZones, b.standbyZones) &&
    sameMap(a.standbySync, b.standbySync)
  );
}

/** Maps compared entry by entry (absent = empty). */
export function sameMap<T>(
  a: Readonly<Record<string, T>> = {},
  b: Readonly<Record<string, T>> = {},
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Node lists as sets (absent = none). */
export function sameList(a: readonly string[] = [], b: readonly string[] = []): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}

/** `primary 4, shadow 2, weights 0.9/0.1, standby web-p-3 0`: one line for journals, events and alerts. */
export function describeState(s: PoolState): string {
  const standby = Object.entries(s.standby).map(([node, share]) => `${node} ${share}`);
  const retired = s.retired?.length ? `, retired ${s.retired.join(', ')}` : '';
  return `primary ${s.primary}, shadow ${s.shadow}, weights ${s.weights.primary}/${s.weights.shadow}${standby.length > 0 ? `, standby ${standby.join(', ')}` : ''}${retired}`;
}
