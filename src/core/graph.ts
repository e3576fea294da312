// The service communication graph as plain data, and the Propagation seam that spreads each
// node's failure probability over it. Typed arrays by node index, so the graph can cross into
// worker threads (and be shared there) without conversion.

export const CRITICALITIES = ['low', 'normal', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export interface GraphNode {
  id: string;
  /** Peers that share load: when one fails its load moves to the others. Default: its own id (no peers). */
  group: string;
  /** Free text for reports (edge, api, service, data...); default 'default'. */
  tier: string;
  criticality: Criticality;
  /** Load the node can carry, in the same units as `load`; Infinity (the default) never overloads. */
  capacity: number;
  /** Load it carries now; default 0. */
  load: number;
}

/**
 * Nodes, and the calls between them as a compressed sparse row by caller: the dependencies
 * (callees) of node i are `callee[edgeStart[i] .. edgeStart[i + 1])`, sorted by index, each once,
 * with `weight` (>= 0, e.g. calls per second) beside it. Cycles are allowed.
 */
export interface ServiceGraph {
  nodes: GraphNode[];
  edgeStart: Uint32Array;
  callee: Uint32Array;
  weight: Float64Array;
}

export interface PropagationOptions {
  /** How strongly a dependency's failure takes down its caller (default 0.5). */
  coupling?: number;
  /** Multiplier of the cascade probability by the criticality of the failed dependency. */
  critFactor?: Partial<Record<Criticality, number>>;
  /** Utilisation above which a node may fail by overload; at 100% it fails surely (default 0.8). */
  safeUtil?: number;
}

/** A mean with a 95% interval. */
export interface Estimate {
  mean: number;
  lower: number;
  upper: number;
}

/** Per node arrays are in graph order (`graph.nodes`). */
export interface PropagationResult {
  trials: number;
  seed: number;
  /** Probability that the node fails, with a 95% Wilson interval. */
  risk: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Probability that it fails without having failed on its own (by cascade or overload). */
  cascade: Float64Array;
  /** Part of `cascade`: probability that it fails by overload. */
  overload: Float64Array;
  /** Number of failed nodes per trial. */
  expectedFailed: Estimate;
  /** Load per trial that no healthy peer could take. */
  expectedUnserved: number;
}

export interface Propagation {
  /** `initialRisk[i]` in [0, 1] is node i's own failure probability; same seed, same result. */
  simulate(
    graph: ServiceGraph,
    initialRisk: Float64Array,
    trials: number,
    seed: number,
    options?: PropagationOptions,
  ): PropagationResult;
}
