// The service graph of a pool's run, from traffic metrics: the spec's `graph:` query (caller →
// callee request rates, read from its Prometheus over the last `window`) becomes call
// observations, added to the previous runs' edges decayed by `half_life` (kept in
// STATE/graphs/POOL.json), and the pool's own service starts the propagation with its nodes'
// highest failure probability: how likely each service that calls it fails with it.

import fs from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { writeFileAtomically } from '../deploy/sim-store.js';
import { decayTraffic, trafficObservations, trafficServiceGraph } from '../risk/graph-traffic.js';
import { formatTrafficState, parseTrafficState } from '../risk/graph-traffic-state.js';
import { simulatePropagation } from '../risk/propagate.js';
import type { NodeReport } from './node-risk.js';
import { seriesRequestFor } from './sources.js';
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
  const service = g.service ?? spec.pool;
  const initial = new Float64Array(graph.nodes.length);
  const at = graph.nodes.findIndex((n) => n.id === service);
  const notesAll = [...seen.notes, ...notes];
  if (at < 0) notesAll.push(`service "${service}" is not in the traffic graph: no propagation`);
  else initial[at] = nodes.reduce((m, n) => Math.max(m, n.score), 0);
  if (graph.nodes.length === 0 || at < 0) {
    return { file, edges: state.edges.length, services: [], expectedFailed: 0, notes: notesAll };
  }
  const r = simulatePropagation(graph, initial, g.trials, 1);
  const services = graph.nodes
    .map((n, i) => ({ service: n.id, risk: r.risk[i]!, lower: r.lower[i]!, upper: r.upper[i]! }))
    .sort((a, b) => b.risk - a.risk || (a.service < b.service ? -1 : 1));
  return {
    file,
    edges: state.edges.length,
    services,
    expectedFailed: r.expectedFailed.mean,
    notes: notesAll,
  };
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
