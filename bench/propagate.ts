// Speed of failure propagation at fleet scale: seeded synthetic topologies of 10,000 instances
// and 100,000 calls, and of 100,000 and 1,000,000 (edge -> api -> service -> data tiers, peer
// groups with load and capacity, heavy-tailed fan-out), 1,000 trials on one thread and on worker
// threads, each size in its own process (so its peak memory is its own). Called from bench/run.ts.

import { availableParallelism } from 'node:os';
import type { Criticality, ServiceGraph } from '../src/core/graph.js';
import { buildServiceGraph, type EdgeObservation, type NodeSpec } from '../src/risk/graph.js';
import { simulateParallel } from '../src/risk/propagate-parallel.js';
import { Xoshiro128 } from '../src/risk/propagate-rng.js';
import { simulatePropagation } from '../src/risk/propagate.js';
import { childJson } from './common.js';

const SIZES = [
  { nodes: 10_000, edges: 100_000 },
  { nodes: 100_000, edges: 1_000_000 },
];
const TRIALS = 1_000;
const SEED = 42;

const TIERS: { name: string; share: number; criticality: Criticality }[] = [
  { name: 'edge', share: 0.03, criticality: 'high' },
  { name: 'api', share: 0.17, criticality: 'high' },
  { name: 'service', share: 0.5, criticality: 'normal' },
  { name: 'data', share: 0.3, criticality: 'critical' },
];

interface Service {
  name: string;
  tier: number;
  instances: number[];
  deps: number[];
}

/** The synthetic fleet: services of heavy-tailed size and fan-out, each instance a node. */
export function syntheticFleet(
  seed = SEED,
  nodeCount = SIZES[0]!.nodes,
  edgeCount = SIZES[0]!.edges,
): { graph: ServiceGraph; initialRisk: Float64Array } {
  const rng = new Xoshiro128(seed, 0);
  const pareto = (min: number, alpha: number, max: number) =>
    Math.min(max, Math.floor(min / (1 - rng.next()) ** (1 / alpha)));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;

  const services: Service[] = [];
  const nodes: NodeSpec[] = [];
  for (const [t, tier] of TIERS.entries()) {
    const quota = Math.round(nodeCount * tier.share);
    for (let made = 0; made < quota;) {
      const size = Math.min(quota - made, pareto(2, 1.3, 120));
      const s: Service = { name: `${tier.name}-${services.length}`, tier: t, instances: [], deps: [] };
      const capacity = 100 * pareto(1, 2, 8);
      for (let k = 0; k < size; k++) {
        s.instances.push(nodes.length);
        const load = capacity * (0.3 + 0.45 * rng.next());
        nodes.push({
          id: `${s.name}-${k}`,
          group: s.name,
          tier: tier.name,
          criticality: tier.criticality,
          capacity,
          load,
        });
      }
      services.push(s);
      made += size;
    }
  }
  // Services call the next tier down (and services also other services), popular callees more often.
  const indexOf = new Map(services.map((s, i) => [s, i]));
  const inTier = TIERS.map((_, t) => services.filter((d) => d.tier === t));
  for (const s of services) {
    const next = inTier[s.tier + 1] ?? [];
    const below = s.tier === 2 ? [...inTier[2]!.filter((d) => d !== s), ...next] : next;
    if (below.length === 0) continue;
    const fanOut = pareto(1, 1.2, 40);
    for (let k = 0; k < fanOut; k++) {
      const d = indexOf.get(below[Math.floor(below.length * rng.next() ** 2)]!)!; // skewed towards the first (popular) ones
      if (!s.deps.includes(d)) s.deps.push(d);
    }
  }
  const callers = services.filter((s) => s.deps.length > 0);
  const seen = new Set<number>();
  const edges: EdgeObservation[] = [];
  while (edges.length < edgeCount) {
    const s = pick(callers);
    const from = pick(s.instances);
    const to = pick(services[pick(s.deps)]!.instances);
    if (seen.has(from * nodeCount + to)) continue;
    seen.add(from * nodeCount + to);
    edges.push({ from: nodes[from]!.id, to: nodes[to]!.id, weight: pareto(1, 1.5, 10_000) });
  }
  const graph = buildServiceGraph(nodes, edges);
  // Most nodes are healthy; a heavy tail is not.
  const initialRisk = Float64Array.from(graph.nodes, () => Math.min(1, 0.002 * pareto(1, 1.1, 250)));
  return { graph, initialRisk };
}

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

async function timedAsync<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

interface Measured {
  nodes: number;
  edges: number;
  trials: number;
  seed: number;
  threads: number;
  buildSeconds: number;
  singleSeconds: number;
  parallelSeconds: number;
  singleTrialsPerSecond: number;
  parallelTrialsPerSecond: number;
  parallelEqualsSingle: boolean;
  peakRssMb: number;
  heapUsedMb: number;
  expectedFailed: { mean: number; lower: number; upper: number };
  expectedUnserved: number;
}

/** One size, in this process: its figures as one JSON line on stdout. */
async function measureHere(nodes: number, edges: number): Promise<void> {
  const build = timed(() => syntheticFleet(SEED, nodes, edges));
  const { graph, initialRisk } = build.value;
  const single = timed(() => simulatePropagation(graph, initialRisk, TRIALS, SEED));
  const threads = availableParallelism();
  const parallel = await timedAsync(() => simulateParallel(graph, initialRisk, TRIALS, SEED, { threads }));
  const same =
    single.value.expectedUnserved === parallel.value.expectedUnserved &&
    single.value.risk.every((r, i) => r === parallel.value.risk[i]);
  const r = single.value;
  const out: Measured = {
    nodes: graph.nodes.length,
    edges: graph.callee.length,
    trials: TRIALS,
    seed: SEED,
    threads,
    buildSeconds: build.seconds,
    singleSeconds: single.seconds,
    parallelSeconds: parallel.seconds,
    singleTrialsPerSecond: TRIALS / single.seconds,
    parallelTrialsPerSecond: TRIALS / parallel.seconds,
    parallelEqualsSingle: same,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    expectedFailed: r.expectedFailed,
    expectedUnserved: r.expectedUnserved,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function measure(nodes: number, edges: number): Promise<Measured> {
  return childJson<Measured>(
    import.meta.url,
    [String(nodes), String(edges)],
    `propagation at ${nodes} nodes`,
  );
}

export async function benchPropagation(): Promise<{ markdown: string; json: unknown }> {
  const rows: Measured[] = [];
  for (const { nodes, edges } of SIZES) rows.push(await measure(nodes, edges));
  const f = (x: number, d = 2) => x.toFixed(d);
  const n = (x: number) => x.toLocaleString('en-US');
  const threads = rows[0]!.threads;
  const markdown = [
    `Failure propagation, ${TRIALS} trials (seed ${SEED}), each size in its own process; peak RSS is the whole process's.`,
    '',
    `| nodes | edges | expected failed | one thread s | trials/s | ${threads} threads s | trials/s | same result | peak RSS MB | graph built in s |`,
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${n(r.nodes)} | ${n(r.edges)} | ${f(r.expectedFailed.mean, 1)} [${f(r.expectedFailed.lower, 1)}, ${f(r.expectedFailed.upper, 1)}] | ${f(r.singleSeconds)} | ${f(r.singleTrialsPerSecond, 0)} | ${f(r.parallelSeconds)} | ${f(r.parallelTrialsPerSecond, 0)} | ${r.parallelEqualsSingle ? 'yes' : 'NO'} | ${f(r.peakRssMb, 0)} | ${f(r.buildSeconds)} |`,
    ),
    '',
    `"${threads} threads": ${threads - 1} worker${threads > 2 ? 's' : ''} and this one; "same result": the parallel result equals the one-thread result bit for bit. Building the synthetic graph is not in the timings.`,
  ].join('\n');
  return { markdown, json: rows };
}

if (process.argv[2] === '--child') {
  measureHere(Number(process.argv[3]), Number(process.argv[4])).catch((err: unknown) => {
    process.stderr.write(`propagate: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
