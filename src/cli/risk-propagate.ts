// `shadowcast risk propagate`: reads the service graph and each node's own failure probability,
// spreads failures over the graph by Monte Carlo (on worker threads when it pays) and prints the
// riskiest nodes (table) or every node (json).
//
// --format json, one line, a contract (numbers rounded to 8 significant digits):
//   {"trials": N, "seed": S,
//    "expectedFailed": {"mean", "lower", "upper"},   failed nodes per trial, 95% interval
//    "expectedUnserved": U,                           load per trial no healthy peer could take
//    "nodes": [{"id", "risk", "lower", "upper", "cascade"}, ...]}
// nodes in graph order; risk = P(fails) with its 95% Wilson interval; cascade = P(fails by cascade
// or overload without failing on its own).

import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import type { PropagationResult, ServiceGraph } from '../core/graph.js';
import type { DecayOptions } from '../risk/graph.js';
import { parseGraph, parseInitialRisk } from '../risk/graph-file.js';
import { parseTime } from '../risk/graph-text.js';
import { simulateParallel } from '../risk/propagate-parallel.js';
import { readInput } from '../metrics/read-input.js';

import { fmt, round, table } from './output.js';

export interface RiskPropagateFlags {
  graph: string;
  nodes?: string;
  initial: string;
  trials: number;
  seed: number;
  coupling?: number;
  halfLife?: string;
  asOf?: string;
  format: 'json' | 'table';
}

/** Rows of the table: the riskiest nodes; json lists them all. */
const TABLE_ROWS = 20;

function decayOptions(flags: RiskPropagateFlags): DecayOptions {
  const decay: DecayOptions = {};
  if (flags.halfLife !== undefined) {
    const ms = parseDuration(flags.halfLife);
    if (ms === undefined || !(ms > 0))
      throw new UsageError(`--half-life "${flags.halfLife}": expected a duration like 12h, 7d or 90m`);
    decay.halfLifeMs = ms;
  }
  if (flags.asOf !== undefined) {
    decay.asOf = parseTime(flags.asOf);
    if (decay.asOf === undefined)
      throw new UsageError(`--as-of "${flags.asOf}": expected an ISO time like 2026-03-01T12:00:00Z`);
  }
  return decay;
}

export function propagationJson(graph: ServiceGraph, r: PropagationResult): Record<string, unknown> {
  return {
    trials: r.trials,
    seed: r.seed,
    expectedFailed: {
      mean: round(r.expectedFailed.mean),
      lower: round(r.expectedFailed.lower),
      upper: round(r.expectedFailed.upper),
    },
    expectedUnserved: round(r.expectedUnserved),
    nodes: graph.nodes.map((n, i) => ({
      id: n.id,
      risk: round(r.risk[i]!),
      lower: round(r.lower[i]!),
      upper: round(r.upper[i]!),
      cascade: round(r.cascade[i]!),
    })),
  };
}

function propagationTable(graph: ServiceGraph, r: PropagationResult): string {
  const e = r.expectedFailed;
  const order = graph.nodes.map((_, i) => i).sort((a, b) => r.risk[b]! - r.risk[a]! || a - b);
  const rows = order
    .slice(0, TABLE_ROWS)
    .map((i) => [
      graph.nodes[i]!.id,
      graph.nodes[i]!.tier,
      r.risk[i]!,
      r.lower[i]!,
      r.upper[i]!,
      r.cascade[i]!,
    ]);
  const more = order.length - rows.length;
  return [
    `${graph.nodes.length} nodes, ${graph.callee.length} edges, ${r.trials} trials (seed ${r.seed}): ` +
      `expected failed nodes ${fmt(e.mean)} [${fmt(e.lower)}, ${fmt(e.upper)}], ` +
      `expected unserved load ${fmt(r.expectedUnserved)}`,
    '',
    table(['node', 'tier', 'risk', 'lower', 'upper', 'cascade'], rows),
    ...(more > 0 ? ['', `… and ${more} more nodes (--format json lists every node)`] : []),
  ].join('\n');
}

export async function riskPropagateCommand(flags: RiskPropagateFlags): Promise<void> {
  if (flags.trials < 1) throw new UsageError('--trials must be at least 1');
  if (!Number.isSafeInteger(flags.seed)) throw new UsageError(`--seed ${flags.seed}: too large`);
  const decay = decayOptions(flags);
  const edges = { file: flags.graph, text: await readInput(flags.graph) };
  const nodes =
    flags.nodes === undefined ? undefined : { file: flags.nodes, text: await readInput(flags.nodes) };
  const graph = parseGraph(edges, nodes, decay);
  const initial = parseInitialRisk(flags.initial, await readInput(flags.initial), graph);
  const result = await simulateParallel(graph, initial, flags.trials, flags.seed, {
    coupling: flags.coupling,
  });
  const out =
    flags.format === 'json'
      ? JSON.stringify(propagationJson(graph, result))
      : propagationTable(graph, result);
  process.stdout.write(`${out}\n`);
}
