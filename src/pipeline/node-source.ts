// A pool's nodes scored from wherever the spec reads their metrics: the node metrics CSV, or one
// query per metric on the spec's Prometheus, each series naming its node by a label (`instance`),
// read over `lookback` at `step` up to the run's time. Rows are kept as read: a metric missing at
// a time is NaN there, as in a long-form file; nothing is filled.

import { parseDuration } from '../core/duration.js';
import type { NodeRows } from '../metrics/node-csv.js';
import type { Policy } from '../policy/types.js';
import type { RiskModelFile } from '../risk/model.js';
import { type NodeReport, readNodeFile, scoreNodeRows } from './node-risk.js';
import { loadRiskModel } from './risk-model.js';
import { seriesRequestFor } from '../metrics/sources.js';
import type { ForecastSpec } from './spec.js';

/** The pool's nodes scored by `model` (default: the policy's `risk.model`). */
export async function poolNodes(
  spec: ForecastSpec,
  policy: Policy,
  now: number,
  model?: RiskModelFile,
): Promise<NodeReport[]> {
  const n = spec.nodes;
  if (!n) return [];
  const rows = await poolNodeRows(spec, now);
  return scoreNodeRows(rows, n, policy, model ?? (await loadRiskModel(policy.risk.model)));
}

/** Each node's metric rows: the spec's node file, or its queries over `lookback` up to `now`. */
export async function poolNodeRows(spec: ForecastSpec, now: number): Promise<NodeRows[]> {
  const n = spec.nodes;
  if (!n) return [];
  if (n.file) return readNodeFile(n);
  const req = await seriesRequestFor(spec, now);
  if (req.kind !== 'source' || !n.queries) return [];
  const stepMs = parseDuration(n.step)!;
  const end = Math.floor(now / stepMs) * stepMs;
  const start = end - parseDuration(n.lookback)!;
  const byNode = new Map<string, Map<string, Map<number, number>>>();
  const zones = new Map<string, string>();
  for (const [metric, query] of Object.entries(n.queries)) {
    const set = await req.source.range(query, start, end, stepMs);
    for (const s of set.series) {
      const node = s.labels?.[n.node_label];
      if (!node) continue;
      const zone = n.zone_label === undefined ? undefined : s.labels?.[n.zone_label];
      if (zone) zones.set(node, zone);
      const metrics = byNode.get(node) ?? new Map<string, Map<number, number>>();
      byNode.set(node, metrics);
      const values = metrics.get(metric) ?? new Map<number, number>();
      metrics.set(metric, values);
      s.timestamps.forEach((t, i) => values.set(t, s.values[i]!));
    }
  }
  return rowsOf(byNode).map((r) => (zones.has(r.node) ? { ...r, zone: zones.get(r.node)! } : r));
}

/** Nodes by name, each with the union of its metrics' times and NaN where a metric has none. */
export function rowsOf(
  byNode: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<number, number>>>,
): NodeRows[] {
  return [...byNode.keys()].sort().map((node) => {
    const metrics = byNode.get(node)!;
    const times = new Set<number>();
    for (const values of metrics.values()) for (const t of values.keys()) times.add(t);
    const timestamps = [...times].sort((a, b) => a - b);
    const out: Record<string, Float64Array> = {};
    for (const [metric, values] of metrics) {
      out[metric] = Float64Array.from(timestamps, (t) => values.get(t) ?? Number.NaN);
    }
    return { node, timestamps, metrics: out, lines: timestamps.map(() => 0) };
  });
}
