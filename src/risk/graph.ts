// Builds the service communication graph from node specs and observed calls (pure: the as-of
// time comes from the caller, never the clock). Repeated observations of a call add up, older
// ones weighing less when a half-life is given. Cycles are fine: propagation fails a node once.

import { InputError } from '../core/errors.js';
import { CRITICALITIES, type Criticality, type GraphNode, type ServiceGraph } from '../core/graph.js';

/** Where an item was read, so a refusal names the file and line. */
export interface Place {
  file: string;
  line: number;
}

export interface NodeSpec {
  id: string;
  group?: string;
  tier?: string;
  criticality?: string;
  capacity?: number;
  load?: number;
  source?: Place;
}

/** One observation of calls from a caller (dependent) to a callee (dependency). */
export interface EdgeObservation {
  from: string;
  to: string;
  weight: number;
  /** Epoch ms when observed; without it the observation counts fully. */
  at?: number;
  source?: Place;
}

export interface DecayOptions {
  /** An observation's weight halves every `halfLifeMs` before `asOf`; without it nothing decays. */
  halfLifeMs?: number;
  /** The time weights are valued at (epoch ms); default the latest observation's time. */
  asOf?: number;
}

function refuse(source: Place | undefined, detail: string): InputError {
  return new InputError(source?.file ?? 'graph', source?.line, detail);
}

const isCriticality = (s: string): s is Criticality => (CRITICALITIES as readonly string[]).includes(s);

function toNode(spec: NodeSpec): GraphNode {
  const fail = (detail: string) => refuse(spec.source, `node ${JSON.stringify(spec.id)}: ${detail}`);
  const { capacity = Infinity, load = 0, criticality = 'normal' } = spec;
  if (!isCriticality(criticality))
    throw fail(`criticality ${JSON.stringify(criticality)} is not one of ${CRITICALITIES.join(', ')}`);
  if (!(capacity > 0)) throw fail(`capacity ${capacity} must be a number > 0 (omit it for unlimited)`);
  if (!(load >= 0 && Number.isFinite(load))) throw fail(`load ${load} must be a number >= 0`);
  return {
    id: spec.id,
    group: spec.group || spec.id,
    tier: spec.tier || 'default',
    criticality,
    capacity,
    load,
  };
}

function nodeIndex(specs: readonly NodeSpec[]): { nodes: GraphNode[]; index: Map<string, number> } {
  const index = new Map<string, number>();
  const nodes: GraphNode[] = [];
  for (const spec of specs) {
    if (!spec.id) throw refuse(spec.source, 'a node needs a non-empty id');
    const seen = index.get(spec.id);
    if (seen !== undefined) {
      const first = specs[seen]?.source?.line;
      throw refuse(
        spec.source,
        `node ${JSON.stringify(spec.id)} is listed twice${first ? ` (first at line ${first})` : ''}`,
      );
    }
    index.set(spec.id, nodes.length);
    nodes.push(toNode(spec));
  }
  return { nodes, index };
}

function checkEdge(e: EdgeObservation, index: Map<string, number> | undefined, asOf: number): void {
  const fail = (detail: string) =>
    refuse(e.source, `edge from ${JSON.stringify(e.from)} to ${JSON.stringify(e.to)}: ${detail}`);
  if (e.from === e.to) throw fail('a node cannot depend on itself (self-loop)');
  if (index) {
    for (const id of [e.from, e.to])
      if (!index.has(id)) throw fail(`unknown node ${JSON.stringify(id)} (not in the node list)`);
  }
  if (!(e.weight >= 0 && Number.isFinite(e.weight))) throw fail(`weight ${e.weight} must be a number >= 0`);
  if (e.at !== undefined && e.at > asOf)
    throw fail(
      `observed at ${new Date(e.at).toISOString()}, after the as-of time ${new Date(asOf).toISOString()}`,
    );
}

/**
 * The graph of `nodes` (or, without a node list, of every node the edges name, with default
 * metadata, in order of first mention) and `edges`. Observations of the same call are summed as
 * value * 0.5^((asOf - at) / halfLife). Throws InputError naming the place of the first problem.
 */
export function buildServiceGraph(
  nodes: readonly NodeSpec[] | undefined,
  edges: readonly EdgeObservation[],
  opts: DecayOptions = {},
): ServiceGraph {
  const { halfLifeMs } = opts;
  if (halfLifeMs !== undefined && !(halfLifeMs > 0))
    throw new RangeError(`half-life ${halfLifeMs} must be > 0`);
  const known = nodes ? nodeIndex(nodes) : undefined;
  const inferred = new Map<string, number>();
  const index = known?.index ?? inferred;
  const latest = edges.reduce((t, e) => (e.at !== undefined && e.at > t ? e.at : t), -Infinity);
  const asOf = opts.asOf ?? latest;

  // Summed weight per (caller, callee) pair, in order of first observation.
  const pairs: { from: number; to: number; weight: number }[] = [];
  const pairOf = new Map<string, number>();
  for (const e of edges) {
    checkEdge(e, known?.index, asOf);
    if (!known) for (const id of [e.from, e.to]) if (!inferred.has(id)) inferred.set(id, inferred.size);
    const age = e.at === undefined ? 0 : asOf - e.at;
    const w = halfLifeMs === undefined ? e.weight : e.weight * 0.5 ** (age / halfLifeMs);
    const from = index.get(e.from)!;
    const to = index.get(e.to)!;
    const key = `${from} ${to}`;
    const k = pairOf.get(key);
    if (k === undefined) {
      pairOf.set(key, pairs.length);
      pairs.push({ from, to, weight: w });
    } else {
      pairs[k]!.weight += w;
    }
  }
  const graphNodes = known?.nodes ?? [...inferred.keys()].map((id) => toNode({ id }));
  return toCsr(graphNodes, pairs);
}

function toCsr(nodes: GraphNode[], pairs: { from: number; to: number; weight: number }[]): ServiceGraph {
  const n = nodes.length;
  pairs.sort((a, b) => a.from - b.from || a.to - b.to);
  const edgeStart = new Uint32Array(n + 1);
  const callee = new Uint32Array(pairs.length);
  const weight = new Float64Array(pairs.length);
  for (const [k, p] of pairs.entries()) {
    edgeStart[p.from + 1]!++;
    callee[k] = p.to;
    weight[k] = p.weight;
  }
  for (let i = 0; i < n; i++) edgeStart[i + 1]! += edgeStart[i]!;
  return { nodes, edgeStart, callee, weight };
}
