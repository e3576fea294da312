// Failure propagation over the service graph by Monte Carlo (the Propagation seam). Pure and
// deterministic: the same graph, risks, trials and seed give the same result bit for bit,
// however the trials are split across workers (see ./propagate-parallel.ts).
//
// One trial, exactly:
//  1. Node i fails on its own with probability initialRisk[i] (one draw per node with 0 < p < 1;
//     p = 0 never fails, p = 1 always does). Failures are queued in node order.
//  2. Failed nodes are taken from the queue in order. Cascade (independent cascade): failed node j
//     gets one chance to fail each healthy dependent i (edge i -> j), with probability
//     min(1, coupling * share_ij * critFactor[criticality of j]), where share_ij = w_ij / sum of i's
//     outgoing weights is the fraction of i's calls that go to j (0 when all of them weigh 0).
//  3. Load: j's current load (its own plus what it had absorbed) moves to the healthy nodes of its
//     group, split in proportion to their spare capacity (capacity - load, at least 0), each taking
//     at most its spare; what does not fit is unserved. Healthy peers of unlimited capacity, if any,
//     take it all in equal parts instead. A peer whose utilisation u = load / capacity rises above
//     safeUtil fails by overload with probability clamp((u - safeUtil) / (1 - safeUtil), 0, 1): it
//     draws one tolerance U per trial (the first time it matters) and fails once that probability
//     exceeds U, so the chance depends only on the highest utilisation reached, not on how the load
//     arrived. At u >= 1 it fails surely, whatever safeUtil. Overload failures cascade like any other.
//  4. The trial ends when the queue is empty. Cycles are fine: a node fails at most once.
// Trials run in chunks of CHUNK_TRIALS, chunk c drawing from its own stream seeded by (seed, c).

import type { PropagationOptions, PropagationResult, Propagation, ServiceGraph } from '../core/graph.js';
import { type CompiledGraph, compileGraph } from './propagate-compile.js';
import { Xoshiro128 } from './propagate-rng.js';

export const CHUNK_TRIALS = 64;

/** Integer counts (exact in float64) over a range of chunks, and each chunk's unserved load. */
export interface ChunkTotals {
  failed: Float64Array<ArrayBuffer>;
  cascade: Float64Array<ArrayBuffer>;
  overload: Float64Array<ArrayBuffer>;
  failedSum: number;
  failedSumSq: number;
  /** Unserved load summed over each chunk's trials, one entry per chunk in the range. */
  unserved: Float64Array<ArrayBuffer>;
}

const HEALTHY = 0;
const INITIAL = 1;
const CASCADE = 2;
const OVERLOAD = 3;

export function chunkCount(trials: number): number {
  return Math.ceil(trials / CHUNK_TRIALS);
}

/** Runs chunks [first, end) of a `trials`-trial simulation. */
export function runChunks(
  g: CompiledGraph,
  trials: number,
  seed: number,
  first: number,
  end: number,
): ChunkTotals {
  const totals: ChunkTotals = {
    failed: new Float64Array(g.n),
    cascade: new Float64Array(g.n),
    overload: new Float64Array(g.n),
    failedSum: 0,
    failedSumSq: 0,
    unserved: new Float64Array(end - first),
  };
  const trial = new Trial(g);
  for (let c = first; c < end; c++) {
    const rng = new Xoshiro128(seed, c);
    let unserved = 0;
    for (let t = c * CHUNK_TRIALS, stop = Math.min(trials, t + CHUNK_TRIALS); t < stop; t++) {
      const failed = trial.run(rng);
      unserved += trial.unserved;
      totals.failedSum += failed;
      totals.failedSumSq += failed * failed;
      for (let k = 0; k < failed; k++) {
        const i = trial.queue[k]!;
        const why = trial.state[i]!;
        totals.failed[i]! += 1;
        if (why >= CASCADE) totals.cascade[i]! += 1;
        if (why === OVERLOAD) totals.overload[i]! += 1;
      }
    }
    totals.unserved[c - first] = unserved;
  }
  return totals;
}

/**
 * One trial's state, allocated once and reset by every run. Split into small methods so V8
 * optimises each as a whole function rather than one giant loop by on-stack replacement.
 */
class Trial {
  /** Why each node failed (HEALTHY if it did not). */
  readonly state: Uint8Array;
  /** Failed nodes in the order they failed; the first `run()` entries are this trial's. */
  readonly queue: Uint32Array;
  unserved = 0;
  private readonly current: Float64Array;
  private readonly tolerance: Float64Array;
  private tail = 0;

  constructor(private readonly g: CompiledGraph) {
    this.state = new Uint8Array(g.n);
    this.queue = new Uint32Array(g.n);
    this.current = new Float64Array(g.n);
    this.tolerance = new Float64Array(g.n);
  }

  /** Runs one trial; returns how many nodes failed. */
  run(rng: Xoshiro128): number {
    const { n, initialRisk, load } = this.g;
    const state = this.state;
    state.fill(HEALTHY);
    this.current.set(load);
    this.tolerance.fill(-1);
    this.unserved = 0;
    this.tail = 0;
    for (let i = 0; i < n; i++) {
      const p = initialRisk[i]!;
      if (p > 0 && (p >= 1 || rng.next() < p)) this.fail(i, INITIAL);
    }
    for (let head = 0; head < this.tail; head++) {
      const j = this.queue[head]!;
      this.cascade(j, rng);
      this.shed(j, rng);
    }
    return this.tail;
  }

  private fail(i: number, why: number): void {
    this.state[i] = why;
    this.queue[this.tail++] = i;
  }

  /** j's failure gets one chance at each healthy dependent. */
  private cascade(j: number, rng: Xoshiro128): void {
    const { depStart, dependent, cascadeP } = this.g;
    const state = this.state;
    for (let e = depStart[j]!, stop = depStart[j + 1]!; e < stop; e++) {
      const i = dependent[e]!;
      const p = cascadeP[e]!;
      if (state[i] === HEALTHY && p > 0 && (p >= 1 || rng.next() < p)) this.fail(i, CASCADE);
    }
  }

  /** j's load moves to its healthy peers, in proportion to their spare capacity; some may overload. */
  private shed(j: number, rng: Xoshiro128): void {
    const { groupOf, groupStart, member, capacity } = this.g;
    const { state, current } = this;
    const moving = current[j]!;
    current[j] = 0;
    if (moving <= 0) return;
    const g0 = groupStart[groupOf[j]!]!;
    const g1 = groupStart[groupOf[j]! + 1]!;
    let spare = 0;
    let unlimited = 0;
    for (let k = g0; k < g1; k++) {
      const peer = member[k]!;
      if (state[peer] !== HEALTHY) continue;
      const cap = capacity[peer]!;
      if (cap === Infinity) unlimited++;
      else spare += Math.max(0, cap - current[peer]!);
    }
    if (unlimited > 0) {
      for (let k = g0; k < g1; k++) {
        const peer = member[k]!;
        if (state[peer] === HEALTHY && capacity[peer] === Infinity) current[peer]! += moving / unlimited;
      }
      return;
    }
    if (spare <= 0) {
      this.unserved += moving;
      return;
    }
    const full = moving >= spare;
    if (full) this.unserved += moving - spare;
    const fraction = full ? 1 : moving / spare;
    for (let k = g0; k < g1; k++) {
      const peer = member[k]!;
      if (state[peer] !== HEALTHY) continue;
      const cap = capacity[peer]!;
      const room = cap - current[peer]!;
      if (room <= 0) continue;
      // Filling up sets the load to the capacity exactly, so u is exactly 1 and the failure sure.
      current[peer] = full ? cap : current[peer]! + room * fraction;
      this.overload(peer, current[peer]! / cap, rng);
    }
  }

  /** A peer at utilisation u fails once clamp((u - safeUtil) / (1 - safeUtil)) exceeds its tolerance. */
  private overload(peer: number, u: number, rng: Xoshiro128): void {
    const safeUtil = this.g.safeUtil;
    if (u >= 1) {
      this.fail(peer, OVERLOAD);
      return;
    }
    if (u <= safeUtil) return;
    const p = (u - safeUtil) / (1 - safeUtil);
    if (this.tolerance[peer]! < 0) this.tolerance[peer] = rng.next();
    if (this.tolerance[peer]! < p) this.fail(peer, OVERLOAD);
  }
}

const Z95 = 1.959963984540054;

/** 95% Wilson score interval of k successes in t trials. */
export function wilson(k: number, t: number): [number, number] {
  const p = k / t;
  const z2 = Z95 * Z95;
  const denom = 1 + z2 / t;
  const center = (p + z2 / (2 * t)) / denom;
  const half = (Z95 / denom) * Math.sqrt((p * (1 - p)) / t + z2 / (4 * t * t));
  return [k === 0 ? 0 : Math.max(0, center - half), k === t ? 1 : Math.min(1, center + half)];
}

/** The result from totals over all chunks, in chunk order (so the unserved sum is the same however it was split). */
export function summarize(totals: ChunkTotals, n: number, trials: number, seed: number): PropagationResult {
  const risk = new Float64Array(n);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    risk[i] = totals.failed[i]! / trials;
    [lower[i], upper[i]] = wilson(totals.failed[i]!, trials);
  }
  const mean = totals.failedSum / trials;
  const variance =
    trials > 1 ? Math.max(0, totals.failedSumSq - totals.failedSum * mean) / (trials - 1) : Infinity;
  const half = Z95 * Math.sqrt(variance / trials);
  let unserved = 0;
  for (const u of totals.unserved) unserved += u;
  return {
    trials,
    seed,
    risk,
    lower,
    upper,
    cascade: totals.cascade.map((c) => c / trials),
    overload: totals.overload.map((c) => c / trials),
    expectedFailed: { mean, lower: Math.max(0, mean - half), upper: Math.min(n, mean + half) },
    expectedUnserved: unserved / trials,
  };
}

export function checkRun(trials: number, seed: number): void {
  if (!(Number.isInteger(trials) && trials >= 1))
    throw new RangeError(`trials ${trials} must be a whole number >= 1`);
  if (!(Number.isSafeInteger(seed) && seed >= 0))
    throw new RangeError(`seed ${seed} must be a whole number >= 0`);
}

/** The whole simulation on this thread. */
export function simulatePropagation(
  graph: ServiceGraph,
  initialRisk: Float64Array,
  trials: number,
  seed: number,
  options: PropagationOptions = {},
): PropagationResult {
  checkRun(trials, seed);
  const g = compileGraph(graph, initialRisk, options);
  return summarize(runChunks(g, trials, seed, 0, chunkCount(trials)), g.n, trials, seed);
}

export const monteCarloPropagation: Propagation = { simulate: simulatePropagation };
