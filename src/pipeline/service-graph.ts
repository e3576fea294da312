// The service graph of a pool's run, from traffic metrics: the spec's `graph:` query (caller →
// callee request rates, read from its Prometheus over the last `window`) becomes call
// observations, added to the previous runs' edges decayed by `half_life` (kept in
// STATE/graphs/POOL.json), and the pool's own service starts the propagation with its nodes'
// highest failure probability: how likely each service that calls it fails with it.

import fs from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { writeFileAtomically } from '../deploy/sim/store.js';
import { decayTraffic, trafficObservations, trafficServiceGraph } from '../risk/graph-traffic.js';
import { formatTrafficState, parseTrafficState } from '../risk/graph-traffic-state.js';
import { simulatePropagation } from '../risk/propagate.js';
import type { ServiceGraph } from '../core/graph.js';
import type { NodeReport } from './node-risk.js';
import { seriesRequestFor } from '../metrics/sources.js';
import type { ForecastSpec } from './spec.js';

export interface ServiceRisk {
  service: string;
  /** Probability it fails, with a 95% interval, when the pool's service fails as its nodes say. */
  risk: number;
  lower: number;
  upper: number;
}

export interface ServiceGraphReport {
  file: string;
  edges: number;
  services: ServiceRisk[];
  expectedFailed: number;
  notes: string[];
}

export function graphFile(stateDir: string, pool: string): string {
  return join(stateDir, 'graphs', `${pool}.json`);
}

/** Reads the traffic, updates the decayed graph, saves it, and propagates the pool's risk over it. */
export async function serviceGraphOf(
  stateDir: string,
  spec: ForecastSpec,
  nodes: readonly NodeReport[],
  now: number,
): Promise<ServiceGraphReport | undefined> {
  const g = spec.graph;
  if (!g) return undefined;
  const windowMs = parseDuration(g.window)!;
  const req = await seriesRequestFor(spec, now);
  if (req.kind !== 'source') return undefined;
  const end = Math.floor(now / 60_000) * 60_000;
  const window = { start: end - windowMs, end };
  const set = await req.source.range(g.query, window.start, window.end, Math.max(60_000, windowMs / 12));
  const seen = trafficObservations(set, window, {
    sourceLabel: g.source_label,
    destinationLabel: g.destination_label,
    ignore: g.ignore,
  });
  const file = graphFile(stateDir, spec.pool);
  const text = readIfThere(file);
  const previous = text === undefined ? undefined : parseTrafficState(file, text);
  const state = decayTraffic(previous, seen.observations, {
    asOf: end,
    halfLifeMs: parseDuration(g.half_life)!,
  });
  writeFileAtomically(file, formatTrafficState(state));
  const { graph, notes } = trafficServiceGraph(state);
  const r = propagateOver(graph, g.service ?? spec.pool, nodes, g.trials);
  return { file, edges: state.edges.length, ...r, notes: [...seen.notes, ...notes, ...r.notes] };
}

/**
 * The pool's risk spread over a service graph: the pool's service starts at its nodes' highest
 * failure probability, and each of the pool's nodes the graph names (traffic labelled by node)
 * at its own, so a node that calls a failing one gets the risk of failing with it.
 */
export function propagateOver(
  graph: ServiceGraph,
  service: string,
  nodes: readonly Pick<NodeReport, 'id' | 'score'>[],
  trials: number,
): Pick<ServiceGraphReport, 'services' | 'expectedFailed' | 'notes'> {
  const initial = new Float64Array(graph.nodes.length);
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const at = index.get(service);
  const notes: string[] = [];
  if (at === undefined) notes.push(`service "${service}" is not in the traffic graph: no propagation`);
  else initial[at] = nodes.reduce((m, n) => Math.max(m, Number.isFinite(n.score) ? n.score : 0), 0);
  let seeded = at !== undefined;
  for (const n of nodes) {
    const i = index.get(n.id);
    if (i === undefined || !Number.isFinite(n.score)) continue;
    initial[i] = Math.max(initial[i]!, n.score);
    seeded = true;
  }
  if (graph.nodes.length === 0 || !seeded) return { services: [], expectedFailed: 0, notes };
  const r = simulatePropagation(graph, initial, trials, 1);
  const services = graph.nodes
    .map((n, i) => ({ service: n.id, risk: r.risk[i]!, lower: r.lower[i]!, upper: r.upper[i]! }))
    .sort((a, b) => b.risk - a.risk || (a.service < b.service ? -1 : 1));
  return { services, expectedFailed: r.expectedFailed.mean, notes };
}

/**
 * The pool's nodes with the risk propagated to them: a node the graph gives a higher failure
 * probability than its own score (it depends on one likely to fail) is planned for at that
 * probability, so it gets a standby (and moves) like a node scored that high directly.
 */
export function withPropagatedRisk<T extends Pick<NodeReport, 'id' | 'score'>>(
  nodes: readonly T[],
  services: readonly ServiceRisk[],
): (T & { ownScore?: number })[] {
  const risk = new Map(services.map((s) => [s.service, s.risk]));
  return nodes.map((n) => {
    const r = risk.get(n.id);
    return r !== undefined && r > n.score + 1e-9 ? { ...n, score: r, ownScore: n.score } : n;
  });
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
