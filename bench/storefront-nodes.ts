// Derives forecasts/data/storefront-nodes.csv, the example pool's node metrics, from the real SMD
// server metrics in bench/data/smd (provenance in its README): one SMD machine per simulated
// node, a few of its metrics, the last WINDOW_ROWS minutes of a stretch clear of SMD's labelled
// anomalies, and on one node a memory leak from the project's own generator (bench/degrade.ts)
// that is heading to the metric's limit when the file ends. Timestamps are re-based so the last
// row is the minute before the storefront demand history ends (the forecast's origin).
//
//   npm run build && node dist/bench/storefront-nodes.js   (same data in, same file out)

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject, type Injection } from './degrade.js';
import { loadSeries } from '../src/pipeline/forecast-pool.js';
import { seriesRequestFor } from '../src/metrics/sources.js';
import { parseSpec } from '../src/pipeline/spec.js';
import { repoRoot } from './common.js';
import { DAY_ROWS, type Episode, SMD_LIMIT, smdLabelledEpisodes } from './risk-data.js';

/**
 * 28 hours a minute apart: the risk model's seasonal-residual part fits first after a day of
 * history (src/risk/residual.ts; its classifier needs nine hours), then four hours are scored.
 */
const WINDOW_ROWS = 1680;
/** Metrics kept per node (the ones that vary most over the window): two keep the file small. */
const METRICS_PER_NODE = 2;
/** No labelled anomaly in the window's last 6 hours, nor this long after it. */
const CLEAR_TAIL_ROWS = 360;
const CLEAR_ROWS = 120;
/**
 * The degraded node, its generator and first seed; the onset falls after the residual model's
 * first fit, and the failure after the file ends.
 */
const DEGRADED = {
  node: 'storefront-p-3',
  kind: 'memory-leak',
  seed: 1,
} as const;
const ONSET_BEFORE_END = 230;
const FAILURE_AFTER_END = 30;
const MIN_DEGRADED_ROWS = 150;
/** Decimals written: SMD's values have at most six; four keep the file small and change no score much. */
const DECIMALS = 4;
const MINUTE = 60_000;

const NODES = [
  { node: 'storefront-p-1', machine: 'machine-1-6' },
  { node: 'storefront-p-2', machine: 'machine-2-1' },
  { node: 'storefront-p-3', machine: 'machine-2-8' },
  { node: 'storefront-p-4', machine: 'machine-3-3' },
];

/**
 * The first window end (after a day of history) whose last CLEAR_TAIL_ROWS, and CLEAR_ROWS after
 * it, hold no labelled anomaly: a real incident earlier in the window is history the scorer
 * should live through, but the node must look healthy now.
 */
function clearEnd(e: Episode): number {
  const events = e.events ?? [];
  for (let end = DAY_ROWS + WINDOW_ROWS; end + CLEAR_ROWS <= e.timestamps.length; end += 60) {
    const from = end - CLEAR_TAIL_ROWS;
    if (events.every((s) => s.end <= from || s.start >= end + CLEAR_ROWS)) return end;
  }
  throw new Error(`${e.node}: no ${WINDOW_ROWS}-row window ending clear of labelled anomalies`);
}

function spread(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  return s[Math.floor(0.995 * (s.length - 1))]! - s[Math.floor(0.005 * (s.length - 1))]!;
}

/** The metrics that vary most over the window, by name for ties, so the pick is stable. */
function pickMetrics(e: Episode, end: number): string[] {
  return Object.keys(e.metrics)
    .map((name) => ({ name, spread: spread(e.metrics[name]!.subarray(end - WINDOW_ROWS, end)) }))
    .sort((a, b) => b.spread - a.spread || a.name.localeCompare(b.name))
    .slice(0, METRICS_PER_NODE)
    .map((m) => m.name)
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

/**
 * The degradation: the first seed from DEGRADED.seed on whose failure falls within
 * FAILURE_AFTER_END minutes after the file ends, at least MIN_DEGRADED_ROWS after its onset, so
 * the node is well on its way to its limit but still reporting.
 */
function degrade(
  metrics: Record<string, Float64Array>,
  end: number,
  avoid: readonly { start: number; end: number }[],
): Injection & { seed: number } {
  for (let seed = DEGRADED.seed; seed < DEGRADED.seed + 1000; seed++) {
    const injection = inject(DEGRADED.kind, metrics, {
      seed,
      from: end - ONSET_BEFORE_END,
      to: end + FAILURE_AFTER_END,
      avoid,
      limit: SMD_LIMIT,
    });
    if (!injection || injection.failureAt <= end || end - injection.onsetAt < MIN_DEGRADED_ROWS) continue;
    return { ...injection, seed };
  }
  throw new Error(`${DEGRADED.node}: no ${DEGRADED.kind} fits before the end of the window`);
}

async function main(): Promise<void> {
  const root = repoRoot();
  const specFile = join(root, 'forecasts', 'storefront.yaml');
  const spec = parseSpec(specFile, readFileSync(specFile, 'utf8'));
  const { series } = await loadSeries(await seriesRequestFor(spec, Date.now()));
  const origin = series.timestamps.at(-1)! + series.stepMs;
  const episodes = new Map(smdLabelledEpisodes().map((e) => [e.node, e]));
  const lines = ['node,metric,timestamp,value'];
  const notes: string[] = [];
  for (const { node, machine } of NODES) {
    const e = episodes.get(machine)!;
    const end = clearEnd(e);
    const names = pickMetrics(e, end);
    let metrics = Object.fromEntries(names.map((n) => [n, e.metrics[n]!]));
    let note = `${node} <- ${machine} rows ${end - WINDOW_ROWS}-${end - 1} (train day + test split), ${names.join(', ')}`;
    if (node === DEGRADED.node) {
      const injection = degrade(metrics, end, e.events ?? []);
      metrics = injection.metrics;
      note += `; ${DEGRADED.kind} (seed ${injection.seed}) on ${injection.affected.join(', ')} from ${end - injection.onsetAt} min before the end, failure ${injection.failureAt - end} min after it`;
    }
    notes.push(note);
    for (const name of names) {
      const v = metrics[name]!;
      for (let k = 0; k < WINDOW_ROWS; k++) {
        const t = new Date(origin - (WINDOW_ROWS - k) * MINUTE).toISOString().replace(':00.000Z', 'Z');
        lines.push(`${node},${name},${t},${Number(v[end - WINDOW_ROWS + k]!.toFixed(DECIMALS))}`);
      }
    }
  }
  const out = join(root, 'forecasts', 'data', 'storefront-nodes.csv');
  const text = `${lines.join('\n')}\n`;
  writeFileSync(out, text);
  process.stdout.write(`${notes.join('\n')}\nwrote ${out}: ${lines.length - 1} rows, ${text.length} bytes\n`);
}

await main();
