// The propagation engine over worker threads when the work is large enough to pay for starting
// them. This thread and threads - 1 workers each run a contiguous range of chunks over the compiled
// graph on shared memory; chunks draw from streams seeded by (seed, chunk), so the result equals
// the one-thread engine's bit for bit.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PropagationOptions, PropagationResult, ServiceGraph } from '../core/graph.js';
import { type CompiledGraph, compileGraph } from './propagate-compile.js';
import {
  type ChunkTotals,
  checkRun,
  chunkCount,
  runChunks,
  simulatePropagation,
  summarize,
} from './propagate.js';
import type { WorkerJob } from './propagate-worker.js';

export interface ParallelOptions extends PropagationOptions {
  /** Threads to use, this one included; default: one per core when trials * (nodes + edges) is large, else 1. */
  threads?: number;
  /** The compiled worker entry; default ./propagate-worker.js beside this module (tests under vitest point at dist). */
  workerUrl?: URL;
}

/**
 * Below this many trial-node-or-edge visits (about 0.25 s on one thread) workers do not pay: each
 * starts in ~40 ms and compiles the trial loop afresh. On 10,000 nodes and 100,000 edges, two
 * cores: 1,000 trials take 0.25 s on one thread and about as long on two; 10,000 trials 2.1 s vs 1.3 s.
 */
export const PARALLEL_MIN_WORK = 100_000_000;

export function autoThreads(graph: ServiceGraph, trials: number): number {
  const work = trials * (graph.nodes.length + graph.callee.length);
  return work < PARALLEL_MIN_WORK ? 1 : availableParallelism();
}

/** Same result as simulatePropagation, bit for bit, computed on `threads` threads. */
export async function simulateParallel(
  graph: ServiceGraph,
  initialRisk: Float64Array,
  trials: number,
  seed: number,
  options: ParallelOptions = {},
): Promise<PropagationResult> {
  checkRun(trials, seed);
  const chunks = chunkCount(trials);
  const threads = Math.min(options.threads ?? autoThreads(graph, trials), chunks);
  if (threads <= 1) return simulatePropagation(graph, initialRisk, trials, seed, options);
  const compiled = compileGraph(graph, initialRisk, options, true);
  const url = options.workerUrl ?? new URL('./propagate-worker.js', import.meta.url);
  const bounds = Array.from({ length: threads + 1 }, (_, k) => Math.round((k * chunks) / threads));
  // Workers take the later ranges; this thread, whose loop may already be compiled, runs the first
  // while they start up.
  const workers = bounds
    .slice(2)
    .map((end, k) => runWorker(url, { graph: compiled, trials, seed, first: bounds[k + 1]!, end }));
  const own = runChunks(compiled, trials, seed, 0, bounds[1]!);
  const parts = [own, ...(await Promise.all(workers))];
  return summarize(merge(compiled, parts), compiled.n, trials, seed);
}

function runWorker(url: URL, job: WorkerJob): Promise<ChunkTotals> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: job });
    let done = false;
    worker.once('message', (totals: ChunkTotals) => {
      done = true;
      resolve(totals);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`propagation worker exited with code ${code} before reporting`));
    });
  });
}

/** Totals of consecutive chunk ranges, in order: counts add exactly, per-chunk unserved loads line up. */
function merge(g: CompiledGraph, parts: ChunkTotals[]): ChunkTotals {
  const all: ChunkTotals = {
    failed: new Float64Array(g.n),
    cascade: new Float64Array(g.n),
    overload: new Float64Array(g.n),
    failedSum: 0,
    failedSumSq: 0,
    unserved: new Float64Array(parts.reduce((s, p) => s + p.unserved.length, 0)),
  };
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < g.n; i++) {
      all.failed[i]! += p.failed[i]!;
      all.cascade[i]! += p.cascade[i]!;
      all.overload[i]! += p.overload[i]!;
    }
    all.failedSum += p.failedSum;
    all.failedSumSq += p.failedSumSq;
    all.unserved.set(p.unserved, at);
    at += p.unserved.length;
  }
  return all;
}
