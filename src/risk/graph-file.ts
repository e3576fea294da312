// Service graph files, text in and graph out (the CLI reads the file): JSON with nodes and edges,
// or CSV edges `from,to,weight[,timestamp]` with an optional nodes CSV. Every refusal is an
// InputError naming the file and line; the checks of the graph itself live in ./graph.ts.

import type { ServiceGraph } from '../core/graph.js';
import { InputError } from '../core/errors.js';
import { type DecayOptions, type EdgeObservation, type NodeSpec, buildServiceGraph } from './graph.js';
import { type CsvRow, type JsonText, parseTime, readCsv, readJson } from './graph-text.js';

const NODE_FIELDS = ['id', 'group', 'tier', 'criticality', 'capacity', 'load'];
const EDGE_FIELDS = ['from', 'to', 'weight', 'at'];
const TIME_HINT = 'an ISO time like 2026-03-01T12:00:00Z';

/**
 * A JSON graph: `{"nodes": [{"id", "group"?, "tier"?, "criticality"?, "capacity"?, "load"?}],
 * "edges": [{"from", "to", "weight"?, "at"?}]}`. Without "nodes" the edges name them; a missing or
 * null capacity is unlimited; a missing weight is 1; "at" is an ISO time, for decay.
 */
export function parseGraphJson(file: string, text: string, decay: DecayOptions = {}): ServiceGraph {
  const json = readJson(file, text, 'a graph like {"nodes": [...], "edges": [...]}');
  const top = json.object([], 'the graph', ['nodes', 'edges']);
  if (top.edges === undefined) throw json.fail([], 'missing "edges" (the list of calls between nodes)');
  const nodes =
    top.nodes === undefined
      ? undefined
      : json.list(['nodes'], '"nodes"').map((_, i) => jsonNode(json, ['nodes', i]));
  const edges = json.list(['edges'], '"edges"').map((_, i) => jsonEdge(json, ['edges', i]));
  return buildServiceGraph(nodes, edges, decay);
}

function jsonNode(json: JsonText, path: (string | number)[]): NodeSpec {
  const label = `node ${Number(path[1]) + 1}`;
  const raw = json.object(path, label, NODE_FIELDS);
  const id = json.text([...path, 'id'], label, true)!;
  const what = `node ${JSON.stringify(id)}`;
  return {
    id,
    group: json.text([...path, 'group'], what),
    tier: json.text([...path, 'tier'], what),
    criticality: json.text([...path, 'criticality'], what),
    capacity: raw.capacity === null ? Infinity : json.number([...path, 'capacity'], what),
    load: json.number([...path, 'load'], what),
    source: { file: json.file, line: json.line(path) },
  };
}

function jsonEdge(json: JsonText, path: (string | number)[]): EdgeObservation {
  const label = `edge ${Number(path[1]) + 1}`;
  json.object(path, label, EDGE_FIELDS);
  const from = json.text([...path, 'from'], label, true)!;
  const to = json.text([...path, 'to'], label, true)!;
  const what = `edge from ${JSON.stringify(from)} to ${JSON.stringify(to)}`;
  const at = json.text([...path, 'at'], what);
  const atMs = at === undefined ? undefined : parseTime(at);
  if (at !== undefined && atMs === undefined)
    throw json.fail([...path, 'at'], `${what}: at ${JSON.stringify(at)} is not ${TIME_HINT}`);
  return {
    from,
    to,
    weight: json.number([...path, 'weight'], what) ?? 1,
    at: atMs,
    source: { file: json.file, line: json.line(path) },
  };
}

/** CSV edges with the header `from,to,weight` and optionally `timestamp`, one call observation a row. */
export function parseEdgeCsv(file: string, text: string): EdgeObservation[] {
  const { rows, col } = readCsv(file, text, ['from', 'to', 'weight'], ['timestamp']);
  return rows.map((r) => {
    const from = r.fields[col.from!]!;
    const to = r.fields[col.to!]!;
    const what = `edge from ${JSON.stringify(from)} to ${JSON.stringify(to)}`;
    if (!from || !to) throw new InputError(file, r.line, `${what}: "from" and "to" must name nodes`);
    const stamp = col.timestamp === undefined ? '' : r.fields[col.timestamp]!;
    const at = stamp === '' ? undefined : parseTime(stamp);
    if (stamp !== '' && at === undefined)
      throw new InputError(file, r.line, `${what}: timestamp ${JSON.stringify(stamp)} is not ${TIME_HINT}`);
    return {
      from,
      to,
      weight: csvNumber(file, r, r.fields[col.weight!]!, `${what}: weight`),
      at,
      source: place(file, r),
    };
  });
}

/** CSV nodes with the header `id` and any of `group,tier,criticality,capacity,load`; empty cells take defaults. */
export function parseNodeCsv(file: string, text: string): NodeSpec[] {
  const [, ...optional] = NODE_FIELDS;
  const { rows, col } = readCsv(file, text, ['id'], optional);
  return rows.map((r) => {
    const cell = (name: string) => (col[name] === undefined ? '' : r.fields[col[name]]!);
    const id = cell('id');
    const what = `node ${JSON.stringify(id)}`;
    const capacity = cell('capacity');
    const load = cell('load');
    return {
      id,
      group: cell('group') || undefined,
      tier: cell('tier') || undefined,
      criticality: cell('criticality') || undefined,
      capacity:
        capacity === '' || /^\+?inf(inity)?$/i.test(capacity)
          ? Infinity
          : csvNumber(file, r, capacity, `${what}: capacity`),
      load: load === '' ? undefined : csvNumber(file, r, load, `${what}: load`),
      source: place(file, r),
    };
  });
}

/** A CSV graph: the edges file, and the nodes file when given (else nodes come from the edges). */
export function parseGraphCsv(
  edges: { file: string; text: string },
  nodes: { file: string; text: string } | undefined,
  decay: DecayOptions = {},
): ServiceGraph {
  const specs = nodes ? parseNodeCsv(nodes.file, nodes.text) : undefined;
  return buildServiceGraph(specs, parseEdgeCsv(edges.file, edges.text), decay);
}

/** JSON when the text starts with `{`, CSV edges otherwise. */
export function parseGraph(
  edges: { file: string; text: string },
  nodes: { file: string; text: string } | undefined,
  decay: DecayOptions = {},
): ServiceGraph {
  if (!edges.text.trimStart().startsWith('{')) return parseGraphCsv(edges, nodes, decay);
  if (nodes)
    throw new InputError(
      nodes.file,
      undefined,
      `a nodes file goes with CSV edges; ${edges.file} lists its own nodes`,
    );
  return parseGraphJson(edges.file, edges.text, decay);
}

function place(file: string, r: CsvRow) {
  return { file, line: r.line };
}

function csvNumber(file: string, r: CsvRow, text: string, what: string): number {
  const v = text === '' ? NaN : Number(text);
  if (!Number.isFinite(v))
    throw new InputError(file, r.line, `${what} ${JSON.stringify(text)} is not a number`);
  return v;
}

/**
 * Each node's own failure probability, in graph order: CSV `node,score`, the long output of
 * `risk score` (`node,timestamp,score`: each node's latest row counts) or JSON `{"node": p}`.
 * Nodes the file does not list get 0; a node the graph does not know is refused.
 */
export function parseInitialRisk(file: string, text: string, graph: ServiceGraph): Float64Array {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const risk = new Float64Array(graph.nodes.length);
  const unknown = (id: string) => `unknown node ${JSON.stringify(id)} (not in the graph)`;
  const notProbability = (id: string, v: unknown) =>
    `node ${JSON.stringify(id)}: score ${String(v)} must be a probability between 0 and 1`;

  if (text.trimStart().startsWith('{')) {
    const json = readJson(file, text, 'scores like {"api-1": 0.02}');
    const scores = json.at([]);
    if (typeof scores !== 'object' || scores === null || Array.isArray(scores))
      throw json.fail([], 'expected an object of scores like {"api-1": 0.02}');
    for (const id of Object.keys(scores)) {
      const i = index.get(id);
      if (i === undefined) throw json.fail([id], unknown(id));
      const p = json.number([id], `node ${JSON.stringify(id)}`)!;
      if (!(p >= 0 && p <= 1)) throw json.fail([id], notProbability(id, p));
      risk[i] = p;
    }
    return risk;
  }

  const { rows, col } = readCsv(file, text, ['node', 'score'], ['timestamp']);
  // The time (long form) or line (short form) of the row each node's score came from.
  const chosen = new Map<number, { at: number; line: number }>();
  for (const r of rows) {
    const id = r.fields[col.node!]!;
    const i = index.get(id);
    if (i === undefined) throw new InputError(file, r.line, unknown(id));
    const cell = r.fields[col.score!]!;
    const p = cell === '' ? NaN : Number(cell);
    if (!(p >= 0 && p <= 1)) throw new InputError(file, r.line, notProbability(id, JSON.stringify(cell)));
    const before = chosen.get(i);
    if (col.timestamp === undefined) {
      if (before)
        throw new InputError(
          file,
          r.line,
          `node ${JSON.stringify(id)} is listed twice (first at line ${before.line})`,
        );
      chosen.set(i, { at: 0, line: r.line });
      risk[i] = p;
      continue;
    }
    const stamp = r.fields[col.timestamp]!;
    const at = parseTime(stamp);
    if (at === undefined)
      throw new InputError(
        file,
        r.line,
        `node ${JSON.stringify(id)}: timestamp ${JSON.stringify(stamp)} is not ${TIME_HINT}`,
      );
    if (before && at < before.at) continue;
    chosen.set(i, { at, line: r.line });
    risk[i] = p;
  }
  return risk;
}
