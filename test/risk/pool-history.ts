// A pool's node history for retraining tests: memory metrics as a share of their limit, a day's
// rhythm and noise, some nodes leaking toward the limit until they fail (their rows end there).
// Seeded: the same arguments give the same rows.

import { mulberry32 as rng } from '../../src/core/random.js';
import type { LabeledNode } from '../../src/risk/train.js';

export const T0 = Date.UTC(2026, 0, 5);
const MINUTE = 60_000;

export interface HistoryOptions {
  nodes: number;
  /** Nodes that leak and fail; the rest stay healthy. */
  failing: number;
  days: number;
  seed: number;
  /** Node names: `${prefix}-${k}`. */
  prefix?: string;
}

/** Nodes with their true failures (each leaking node fails once, in its last day). */
export function poolHistory(o: HistoryOptions): LabeledNode[] {
  const out: LabeledNode[] = [];
  for (let k = 0; k < o.nodes; k++) {
    const r = rng(o.seed * 1000 + k);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const rows = o.days * 1440;
    const base = 0.35 + 0.15 * r();
    const amp = 0.05 + 0.05 * r();
    const noise = 0.01 + 0.01 * r();
    const fails = k < o.failing;
    // A leak of 2 to 5 hours that reaches the limit, failing in the last day.
    const leakRows = Math.round(120 + 180 * r());
    const failAt = rows - Math.round(60 + (1440 - leakRows - 120) * r());
    const n = fails ? failAt : rows;
    const timestamps: number[] = [];
    const memory = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      timestamps.push(T0 + i * MINUTE);
      let v = base + amp * Math.sin((2 * Math.PI * i) / 1440) + noise * gauss();
      const into = i - (failAt - leakRows);
      if (fails && into > 0) v += (1.02 - base) * (into / leakRows) ** 1.5;
      memory[i] = v;
    }
    out.push({
      id: `${o.prefix ?? 'node'}-${k}`,
      timestamps,
      metrics: { memory },
      failures: fails ? [{ at: T0 + failAt * MINUTE }] : [],
    });
  }
  return out;
}

/** The same nodes labelled with failures at random healthy times instead of the true ones. */
export function mislabelled(nodes: readonly LabeledNode[], seed: number): LabeledNode[] {
  const r = rng(seed);
  return nodes.map((n, k) => {
    if (k % 2 === 1 && !n.failures.length) return n;
    // Somewhere in the node's first day, where nothing happens.
    const at = n.timestamps[Math.round(600 + 600 * r())]!;
    return { ...n, failures: [{ at }] };
  });
}

/** The node rows as a long-form CSV (`node,metric,timestamp,value`), and the labels CSV (`node,timestamp`). */
export function historyCsv(nodes: readonly LabeledNode[]): { rows: string; labels: string } {
  const rows = ['node,metric,timestamp,value'];
  const labels = ['node,timestamp'];
  for (const n of nodes) {
    for (const [metric, values] of Object.entries(n.metrics)) {
      n.timestamps.forEach((t, i) =>
        rows.push(`${n.id},${metric},${new Date(t).toISOString()},${values[i]!.toFixed(4)}`),
      );
    }
    for (const f of n.failures) labels.push(`${n.id},${new Date(f.at).toISOString()}`);
  }
  return { rows: `${rows.join('\n')}\n`, labels: `${labels.join('\n')}\n` };
}
