// Speed of failure propagation at fleet scale: a seeded synthetic topology of 10,000 instances and
// 100,000 calls (edge -> api -> service -> data tiers, peer groups with load and capacity,
// heavy-tailed fan-out), 1,000 trials on one thread and on worker threads. Called from bench/run.ts.

import { availableParallelism } from 'node:os';
import type { Criticality, ServiceGraph } from '../src/core/graph.js';
import { buildServiceGraph, type EdgeObservation, type NodeSpec } from '../src/risk/graph.js';
import { simulateParallel } from '../src/risk/propagate-parallel.js';
import { Xoshiro128 } from '../src/risk/propagate-rng.js';
import { simulatePropagation } from '../src/risk/propagate.js';

const NODES = 10_000;
const EDGES = 100_000;
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
export function syntheticFleet(seed = SEED): { graph: ServiceGraph; initialRisk: Float64Array } {
  const rng = new Xoshiro128(seed, 0);
  const pareto = (min: number, alpha: number, max: number) =>
    Math.min(max, Math.floor(min / (1 - rng.next()) ** (1 / alpha)));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;

  const services: Service[] = [];
  const nodes: NodeSpec[] = [];
  for (const [t, tier] of TIERS.entries()) {
    const quota = Math.round(NODES * tier.share);
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
  for (const s of services) {
    const below = services.filter((d) => d.tier === s.tier + 1 || (s.tier === 2 && d.tier === 2 && d !== s));
    if (below.length === 0) continue;
    const fanOut = pareto(1, 1.2, 40);
    for (let k = 0; k < fanOut; k++) {
      const d = below[Math.floor(below.length * rng.next() ** 2)]!; // skewed towards the first (popular) ones
      if (!s.deps.includes(services.indexOf(d))) s.deps.push(services.indexOf(d));
    }
  }
  const callers = services.filter((s) => s.deps.length > 0);
  const seen = new Set<number>();
  const edges: EdgeObservation[] = [];
  while (edges.length < EDGES) {
    const s = pick(callers);
    const from = pick(s.instances);
    const to = pick(services[pick(s.deps)]!.instances);
    if (seen.has(from * NODES + to)) continue;
    seen.add(from * NODES + to);
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

export async function benchPropagation(): Promise<{ markdown: string; json: unknown }> {
  const build = timed(() => syntheticFleet());
  const { graph, initialRisk } = build.value;
  const single = timed(() => simulatePropagation(graph, initialRisk, TRIALS, SEED));
  const threads = availableParallelism();
  const parallel = await timedAsync(() => simulateParallel(graph, initialRisk, TRIALS, SEED, { threads }));
  const same =
    single.value.expectedUnserved === parallel.value.expectedUnserved &&
    single.value.risk.every((r, i) => r === parallel.value.risk[i]);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const r = single.value;
  const json = {
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
    peakRssMb: rssMb,
    heapUsedMb: heapMb,
    expectedFailed: r.expectedFailed,
    expectedUnserved: r.expectedUnserved,
  };
  const f = (x: number, d = 2) => x.toFixed(d);
  const markdown = [
    `Failure propagation: ${json.nodes} nodes, ${json.edges} edges, ${TRIALS} trials (seed ${SEED}); ` +
      `expected failed ${f(r.expectedFailed.mean, 1)} [${f(r.expectedFailed.lower, 1)}, ${f(r.expectedFailed.upper, 1)}]`,
    '',
    '| run | seconds | trials/s |',
    '| --- | ---: | ---: |',
    `| one thread | ${f(single.seconds)} | ${f(json.singleTrialsPerSecond, 0)} |`,
    `| ${threads} threads (${threads - 1} worker${threads > 2 ? 's' : ''} + this one) | ${f(parallel.seconds)} | ${f(json.parallelTrialsPerSecond, 0)} |`,
    '',
    `Parallel result equals one-thread result bit for bit: ${same ? 'yes' : 'NO'}. Peak RSS ${f(rssMb, 0)} MB, ` +
      `heap used ${f(heapMb, 0)} MB; building the synthetic graph took ${f(build.seconds)} s (not timed above).`,
  ].join('\n');
  return { markdown, json };
}
