// The service graph turned into what the trial loop reads: reverse adjacency (dependents of each
// node) with each edge's cascade probability worked out once, peer groups as index lists, loads
// and capacities. Plain typed arrays, optionally on shared memory so workers read them in place.

import type { Criticality, PropagationOptions, ServiceGraph } from '../core/graph.js';

export const DEFAULT_COUPLING = 0.5;
export const DEFAULT_CRIT_FACTOR: Record<Criticality, number> = {
  low: 0.5,
  normal: 1,
  high: 1.5,
  critical: 2,
};
export const DEFAULT_SAFE_UTIL = 0.8;

export interface CompiledGraph {
  n: number;
  /** Node i fails on its own with probability initialRisk[i]. */
  initialRisk: Float64Array;
  /** Dependents (callers) of j: dependent[depStart[j] .. depStart[j + 1]), with the probability that j's failure fails each. */
  depStart: Uint32Array;
  dependent: Uint32Array;
  cascadeP: Float64Array;
  /** Members of group g (in node order): member[groupStart[g] .. groupStart[g + 1]); groupOf[i] is i's group. */
  groupOf: Uint32Array;
  groupStart: Uint32Array;
  member: Uint32Array;
  capacity: Float64Array;
  load: Float64Array;
  safeUtil: number;
}

type ArrayOf<T> = new (buffer: ArrayBufferLike) => T;

function alloc<T>(Ctor: ArrayOf<T> & { BYTES_PER_ELEMENT: number }, length: number, shared: boolean): T {
  const bytes = Ctor.BYTES_PER_ELEMENT * length;
  return new Ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

function checkOptions(options: PropagationOptions): {
  coupling: number;
  crit: Record<Criticality, number>;
  safeUtil: number;
} {
  const coupling = options.coupling ?? DEFAULT_COUPLING;
  const safeUtil = options.safeUtil ?? DEFAULT_SAFE_UTIL;
  const crit = { ...DEFAULT_CRIT_FACTOR, ...options.critFactor };
  if (!(coupling >= 0 && Number.isFinite(coupling)))
    throw new RangeError(`coupling ${coupling} must be >= 0`);
  if (!(safeUtil >= 0 && safeUtil <= 1)) throw new RangeError(`safeUtil ${safeUtil} must be between 0 and 1`);
  for (const [k, v] of Object.entries(crit))
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`critFactor.${k} ${v} must be >= 0`);
  return { coupling, crit, safeUtil };
}

/** Checks the inputs and precomputes everything a trial needs; `shared` puts the arrays on SharedArrayBuffers. */
export function compileGraph(
  graph: ServiceGraph,
  initialRisk: Float64Array,
  options: PropagationOptions = {},
  shared = false,
): CompiledGraph {
  const { coupling, crit, safeUtil } = checkOptions(options);
  const { nodes, edgeStart, callee, weight } = graph;
  const n = nodes.length;
  const m = callee.length;
  if (initialRisk.length !== n)
    throw new RangeError(`initialRisk has ${initialRisk.length} entries for ${n} nodes`);
  const risk = alloc(Float64Array, n, shared);
  for (let i = 0; i < n; i++) {
    const p = initialRisk[i]!;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`initialRisk of ${nodes[i]!.id} is ${p}, not in [0, 1]`);
    risk[i] = p;
  }

  // Reverse the caller CSR: count dependents per callee, then fill in caller order.
  const depStart = alloc(Uint32Array, n + 1, shared);
  for (let e = 0; e < m; e++) depStart[callee[e]! + 1]! += 1;
  for (let j = 0; j < n; j++) depStart[j + 1]! += depStart[j]!;
  const fill = depStart.slice(0, n);
  const dependent = alloc(Uint32Array, m, shared);
  const cascadeP = alloc(Float64Array, m, shared);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let e = edgeStart[i]!; e < edgeStart[i + 1]!; e++) total += weight[e]!;
    for (let e = edgeStart[i]!; e < edgeStart[i + 1]!; e++) {
      const j = callee[e]!;
      const share = total > 0 ? weight[e]! / total : 0;
      const slot = fill[j]!++;
      dependent[slot] = i;
      cascadeP[slot] = Math.min(1, coupling * share * crit[nodes[j]!.criticality]);
    }
  }

  const groupIds = new Map<string, number>();
  const groupOf = alloc(Uint32Array, n, shared);
  const capacity = alloc(Float64Array, n, shared);
  const load = alloc(Float64Array, n, shared);
  for (const [i, node] of nodes.entries()) {
    let g = groupIds.get(node.group);
    if (g === undefined) groupIds.set(node.group, (g = groupIds.size));
    groupOf[i] = g;
    capacity[i] = node.capacity;
    load[i] = node.load;
  }
  const groupStart = alloc(Uint32Array, groupIds.size + 1, shared);
  for (let i = 0; i < n; i++) groupStart[groupOf[i]! + 1]! += 1;
  for (let g = 0; g < groupIds.size; g++) groupStart[g + 1]! += groupStart[g]!;
  const next = groupStart.slice(0, groupIds.size);
  const member = alloc(Uint32Array, n, shared);
  for (let i = 0; i < n; i++) member[next[groupOf[i]!]!++] = i;

  return {
    n,
    initialRisk: risk,
    depStart,
    dependent,
    cascadeP,
    groupOf,
    groupStart,
    member,
    capacity,
    load,
    safeUtil,
  };
}
