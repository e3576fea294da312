// The Monte Carlo propagation engine: determinism (seeds, chunking, worker threads), agreement
// with probabilities worked out by hand and by exact enumeration on small graphs (cascade, load
// redistribution, overload), and properties over random graphs.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRITICALITIES, type PropagationOptions, type ServiceGraph } from '../../src/core/graph.js';
import { buildServiceGraph, type EdgeObservation, type NodeSpec } from '../../src/risk/graph.js';
import { autoThreads, PARALLEL_MIN_WORK, simulateParallel } from '../../src/risk/propagate-parallel.js';
import { Xoshiro128 } from '../../src/risk/propagate-rng.js';
import { compileGraph } from '../../src/risk/propagate-compile.js';
import { monteCarloPropagation, runChunks, simulatePropagation, wilson } from '../../src/risk/propagate.js';

const root = resolve(import.meta.dirname, '..', '..');
// Vitest runs the TypeScript sources, but a worker thread needs JavaScript: the built worker
// (`npm test` builds dist first).
const distWorker = pathToFileURL(join(root, 'dist', 'src', 'risk', 'propagate-worker.js'));
const distParallel = pathToFileURL(join(root, 'dist', 'src', 'risk', 'propagate-parallel.js'));

const edge = (from: string, to: string, weight = 1): EdgeObservation => ({ from, to, weight });
const graphOf = (nodes: NodeSpec[], edges: EdgeObservation[]) => buildServiceGraph(nodes, edges);
const risks = (g: ServiceGraph, by: Record<string, number>) =>
  Float64Array.from(g.nodes, (n) => by[n.id] ?? 0);

/** |estimate - exact| within 4.5 standard errors of a proportion (plus rounding slack). */
function expectNear(estimate: number, exact: number, trials: number) {
  const se = Math.sqrt((exact * (1 - exact)) / trials);
  expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(4.5 * se + 1e-12);
}

/**
 * Exact failure probabilities of the cascade alone (no load), by enumerating every set of nodes
 * failing on their own and every set of "live" edges: in the independent-cascade model each edge
 * gets one independent chance, so a node fails iff a live path leads to it from an own failure.
 */
function exactCascade(
  n: number,
  initial: number[],
  edges: { dependent: number; dependency: number; p: number }[],
): { risk: number[]; expectedFailed: number } {
  const risk = new Array<number>(n).fill(0);
  let expectedFailed = 0;
  const m = edges.length;
  for (let mask = 0; mask < 2 ** (n + m); mask++) {
    let weight = 1;
    const failed = new Array<boolean>(n).fill(false);
    for (let i = 0; i < n; i++) {
      failed[i] = ((mask >> i) & 1) === 1;
      weight *= failed[i] ? initial[i]! : 1 - initial[i]!;
    }
    const live = edges.map((e, k) => {
      const on = ((mask >> (n + k)) & 1) === 1;
      weight *= on ? e.p : 1 - e.p;
      return on;
    });
    if (weight === 0) continue;
    for (let changed = true; changed;) {
      changed = false;
      for (const [k, e] of edges.entries()) {
        if (live[k] && failed[e.dependency] && !failed[e.dependent]) failed[e.dependent] = changed = true;
      }
    }
    failed.forEach((f, i) => {
      if (f) risk[i]! += weight;
    });
    expectedFailed += weight * failed.filter(Boolean).length;
  }
  return { risk, expectedFailed };
}

describe('the seeded generator', () => {
  it('is xoshiro128**: the reference outputs from state {1, 2, 3, 4}', () => {
    const g = Xoshiro128.fromState(1, 2, 3, 4);
    expect(Array.from({ length: 6 }, () => g.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it('gives each (seed, chunk) its own uniform stream, large seeds included', () => {
    const draws = (seed: number, stream: number) => {
      const g = new Xoshiro128(seed, stream);
      return Array.from({ length: 20_000 }, () => g.next());
    };
    const a = draws(7, 0);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(draws(7, 0)).toEqual(a);
    for (const [seed, stream] of [
      [7, 1],
      [8, 0],
      [7 + 2 ** 32, 0],
    ] as const)
      expect(draws(seed, stream).slice(0, 5)).not.toEqual(a.slice(0, 5));
  });
});

describe('determinism', () => {
  const g = graphOf(
    [
      { id: 'lb', group: 'edge', capacity: 100, load: 50 },
      { id: 'api-1', group: 'api', capacity: 100, load: 60 },
      { id: 'api-2', group: 'api', capacity: 100, load: 60 },
      { id: 'db', criticality: 'critical', capacity: 100, load: 70 },
    ],
    [edge('lb', 'api-1'), edge('lb', 'api-2'), edge('api-1', 'db', 3), edge('api-2', 'db', 3)],
  );
  const initial = risks(g, { lb: 0.05, 'api-1': 0.2, 'api-2': 0.2, db: 0.1 });

  it('same seed, same result; another seed, another result', () => {
    const a = simulatePropagation(g, initial, 1000, 11);
    expect(simulatePropagation(g, initial, 1000, 11)).toEqual(a);
    expect(monteCarloPropagation.simulate(g, initial, 1000, 11)).toEqual(a);
    const b = simulatePropagation(g, initial, 1000, 12);
    expect(b.risk).not.toEqual(a.risk);
    expect(b.seed).toBe(12);
  });

  it("a chunk's draws depend on the seed and its index only, so ranges of chunks add up", () => {
    const c = compileGraph(g, initial, {});
    const all = runChunks(c, 1000, 5, 0, 3);
    // The same chunks of a longer run are the same trials.
    expect(runChunks(c, 5000, 5, 0, 3)).toEqual(all);
    const [head, tail] = [runChunks(c, 1000, 5, 0, 1), runChunks(c, 1000, 5, 1, 3)];
    expect(Array.from(all.failed)).toEqual(Array.from(head.failed, (k, i) => k + tail.failed[i]!));
    expect(all.failedSum).toBe(head.failedSum + tail.failedSum);
    expect(Array.from(all.unserved)).toEqual([...head.unserved, ...tail.unserved]);
    expect(runChunks(c, 1000, 6, 0, 1).failed).not.toEqual(head.failed);
  });

  it.each([
    { threads: 2, trials: 1000 },
    { threads: 3, trials: 1000 },
    { threads: 2, trials: 65 },
    { threads: 4, trials: 64 * 7 + 1 },
  ])(
    'worker threads ($threads, $trials trials) give the one-thread result bit for bit',
    async ({ threads, trials }) => {
      expect(existsSync(distWorker), 'run `npm run build` first: workers need dist/').toBe(true);
      const one = simulatePropagation(g, initial, trials, 99, { coupling: 0.8 });
      const many = await simulateParallel(g, initial, trials, 99, {
        coupling: 0.8,
        threads,
        workerUrl: distWorker,
      });
      expect(many).toEqual(one);
    },
  );

  it('workers only for large runs: small ones stay on this thread with the same result', async () => {
    expect(autoThreads(g, 1000)).toBe(1);
    const big = { ...g, callee: new Uint32Array(PARALLEL_MIN_WORK / 1000) };
    expect(autoThreads(big, 1000)).toBe(availableParallelism());
    // No worker URL that could load: the run must not need one.
    const url = new URL('file:///nonexistent/worker.js');
    expect(await simulateParallel(g, initial, 300, 4, { workerUrl: url })).toEqual(
      simulatePropagation(g, initial, 300, 4),
    );
    await expect(simulateParallel(g, initial, 300, 4, { workerUrl: url, threads: 2 })).rejects.toThrow();
  });

  it('the built module finds its own worker file', async () => {
    const built = (await import(distParallel.href)) as typeof import('../../src/risk/propagate-parallel.js');
    expect(await built.simulateParallel(g, initial, 700, 3, { threads: 2 })).toEqual(
      simulatePropagation(g, initial, 700, 3),
    );
  });
});

describe('agreement with exact answers', () => {
  const TRIALS = 200_000;

  it('chain a -> b -> c (a calls b, b calls c)', () => {
    // coupling 0.5, normal criticality, one callee each (share 1): every cascade edge fails with 0.5.
    // P(c) = 0.5 (own risk only).
    // P(b) = 1 - (1 - 0.2)(1 - P(c) * 0.5) = 1 - 0.8 * 0.75 = 0.4; by cascade only 0.8 * 0.25 = 0.2.
    // P(a) = P(b) * 0.5 = 0.2 (no risk of its own); expected failed 0.5 + 0.4 + 0.2 = 1.1.
    const g = graphOf([{ id: 'a' }, { id: 'b' }, { id: 'c' }], [edge('a', 'b'), edge('b', 'c')]);
    const r = simulatePropagation(g, risks(g, { b: 0.2, c: 0.5 }), TRIALS, 1);
    [0.2, 0.4, 0.5].forEach((p, i) => expectNear(r.risk[i]!, p, TRIALS));
    [0.2, 0.2, 0].forEach((p, i) => expectNear(r.cascade[i]!, p, TRIALS));
    expect(r.cascade[2]).toBe(0);
    expect(Math.abs(r.expectedFailed.mean - 1.1)).toBeLessThan(0.01);
    expect(r.expectedFailed.lower).toBeLessThan(1.1);
    expect(r.expectedFailed.upper).toBeGreaterThan(1.1);
    expect(r.overload.every((p) => p === 0)).toBe(true);
  });

  it('fan-out weighted by share and by the criticality of the dependency', () => {
    // x sends 3/4 of its calls to y (critical, x2) and 1/4 to z (low, x0.5); coupling 0.5:
    // p(y -> x) = 0.5 * 0.75 * 2 = 0.75, p(z -> x) = 0.5 * 0.25 * 0.5 = 0.0625.
    // P(x) = 1 - 0.9 * (1 - 0.4 * 0.75) * (1 - 0.6 * 0.0625) = 1 - 0.9 * 0.7 * 0.9625 = 0.393625.
    const g = graphOf(
      [{ id: 'x' }, { id: 'y', criticality: 'critical' }, { id: 'z', criticality: 'low' }],
      [edge('x', 'y', 3), edge('x', 'z', 1)],
    );
    const initial = risks(g, { x: 0.1, y: 0.4, z: 0.6 });
    const r = simulatePropagation(g, initial, TRIALS, 2);
    expectNear(r.risk[0]!, 0.393625, TRIALS);
    const exact = exactCascade(
      3,
      [...initial],
      [
        { dependent: 0, dependency: 1, p: 0.75 },
        { dependent: 0, dependency: 2, p: 0.0625 },
      ],
    );
    expect(exact.risk[0]).toBeCloseTo(0.393625, 12);
    expect(Math.abs(r.expectedFailed.mean - exact.expectedFailed)).toBeLessThan(0.01);
    // Options override the defaults: coupling 2 with every factor 1 makes p(y -> x) = min(1, 1.5) = 1.
    const sure = simulatePropagation(g, risks(g, { y: 1 }), 500, 2, {
      coupling: 2,
      critFactor: { critical: 1, low: 1 },
    });
    expect([...sure.risk]).toEqual([1, 1, 0]);
  });

  it('a cycle and a diamond, against exact enumeration', () => {
    // a <-> b call each other; c calls a and b; d calls c. Shares: a, b: 1; c: 1/2 each; d: 1.
    const g = graphOf(
      [{ id: 'a' }, { id: 'b', criticality: 'high' }, { id: 'c' }, { id: 'd' }],
      [edge('a', 'b'), edge('b', 'a'), edge('c', 'a'), edge('c', 'b'), edge('d', 'c')],
    );
    const initial = [0.3, 0.1, 0.05, 0.2];
    const coupling = 0.6;
    const r = simulatePropagation(g, Float64Array.from(initial), TRIALS, 3, { coupling });
    const exact = exactCascade(4, initial, [
      { dependent: 0, dependency: 1, p: coupling * 1 * 1.5 }, // b is high: 0.9
      { dependent: 1, dependency: 0, p: coupling * 1 * 1 },
      { dependent: 2, dependency: 0, p: coupling * 0.5 * 1 },
      { dependent: 2, dependency: 1, p: coupling * 0.5 * 1.5 },
      { dependent: 3, dependency: 2, p: coupling * 1 * 1 },
    ]);
    exact.risk.forEach((p, i) => {
      expectNear(r.risk[i]!, p, TRIALS);
      expect(r.lower[i]).toBeLessThan(r.risk[i]!);
      expect(r.upper[i]).toBeGreaterThan(r.risk[i]!);
    });
    expect(Math.abs(r.expectedFailed.mean - exact.expectedFailed)).toBeLessThan(0.015);
  });

  it('load moves to peers in proportion to spare capacity; overloaded peers fail and pass it on', () => {
    // Pool of three, capacity 100 each, loads 60 / 50 / 70; p1 always fails, no calls between them.
    // Its 60 goes to p2 (spare 50) and p3 (spare 30) as 60 * 50/80 = 37.5 and 60 * 30/80 = 22.5:
    // p2 at 87.5% overloads with (0.875 - 0.8) / 0.2 = 0.375, p3 at 92.5% with 0.625.
    // If either fails, its load fills the other to 100% (sure failure), so both fail together:
    // P(p2) = P(p3) = 1 - (1 - 0.375)(1 - 0.625) = 0.765625, all of it by overload.
    // Then all 180 units are lost: expected unserved 0.765625 * 180 = 137.8125;
    // expected failed 1 + 2 * 0.765625 = 2.53125.
    const g = graphOf(
      [
        { id: 'p1', group: 'pool', capacity: 100, load: 60 },
        { id: 'p2', group: 'pool', capacity: 100, load: 50 },
        { id: 'p3', group: 'pool', capacity: 100, load: 70 },
      ],
      [],
    );
    const r = simulatePropagation(g, risks(g, { p1: 1 }), TRIALS, 4);
    expect(r.risk[0]).toBe(1);
    for (const i of [1, 2]) {
      expectNear(r.risk[i]!, 0.765625, TRIALS);
      expect(r.overload[i]).toBe(r.risk[i]);
      expect(r.cascade[i]).toBe(r.risk[i]);
    }
    expect(r.risk[1]).toBe(r.risk[2]);
    expect(Math.abs(r.expectedUnserved - 137.8125)).toBeLessThan(1.5);
    expect(Math.abs(r.expectedFailed.mean - 2.53125)).toBeLessThan(0.01);
  });

  it('what does not fit is unserved; a lone node loses its load; unlimited peers take it all', () => {
    // p1 (load 80) fails into p2 (capacity 100, load 50): 30 units do not fit, p2 fills to 100%
    // and fails surely, and its 100 have nowhere to go: 130 unserved every trial.
    const full = graphOf(
      [
        { id: 'p1', group: 'pool', capacity: 100, load: 80 },
        { id: 'p2', group: 'pool', capacity: 100, load: 50 },
      ],
      [],
    );
    const r = simulatePropagation(full, risks(full, { p1: 1 }), 200, 5);
    expect([...r.risk]).toEqual([1, 1]);
    expect(r.expectedUnserved).toBe(130);

    // A node alone in its group (the default) fails with 0.3: its 10 units are unserved then.
    const solo = graphOf([{ id: 's', load: 10 }], []);
    expectNear(
      simulatePropagation(solo, risks(solo, { s: 0.3 }), TRIALS, 6).expectedUnserved / 10,
      0.3,
      TRIALS,
    );

    // A peer of unlimited capacity takes the load and never overloads; the finite peer gets none.
    const mixed = graphOf(
      [
        { id: 'p1', group: 'pool', capacity: 100, load: 90 },
        { id: 'p2', group: 'pool', capacity: 100, load: 90 },
        { id: 'big', group: 'pool', load: 90 },
      ],
      [],
    );
    const m = simulatePropagation(mixed, risks(mixed, { p1: 1 }), 200, 7);
    expect([...m.risk]).toEqual([1, 0, 0]);
    expect(m.expectedUnserved).toBe(0);
  });

  it('the chance of overload depends on the highest utilisation reached, not on the steps', () => {
    // p1 (85) and p4 (10) always fail and shed into p2 (capacity 100, empty) one after the other
    // (each is the other's failed peer, so p2 takes all): 85%, then 95%. One tolerance per trial
    // gives P = (0.95 - 0.8) / 0.2 = 0.75; a fresh draw per step would give
    // 1 - (1 - 0.25)(1 - 0.75) = 0.8125.
    const g = graphOf(
      [
        { id: 'p1', group: 'pool', capacity: 100, load: 85 },
        { id: 'p2', group: 'pool', capacity: 100, load: 0 },
        { id: 'p4', group: 'pool', capacity: 100, load: 10 },
      ],
      [],
    );
    const r = simulatePropagation(g, risks(g, { p1: 1, p4: 1 }), TRIALS, 8);
    expectNear(r.risk[1]!, 0.75, TRIALS);
    // The same end point reached in one step gives the same probability.
    const once = graphOf(
      [
        { id: 'p1', group: 'pool', capacity: 100, load: 95 },
        { id: 'p2', group: 'pool', capacity: 100, load: 0 },
      ],
      [],
    );
    expectNear(simulatePropagation(once, risks(once, { p1: 1 }), TRIALS, 9).risk[1]!, 0.75, TRIALS);
  });

  it('safeUtil 1: overload only at full capacity; 0: as likely as the utilisation', () => {
    const g = graphOf(
      [
        { id: 'p1', group: 'pool', capacity: 100, load: 40 },
        { id: 'p2', group: 'pool', capacity: 100, load: 59 },
      ],
      [],
    );
    expect([...simulatePropagation(g, risks(g, { p1: 1 }), 100, 1, { safeUtil: 1 }).risk]).toEqual([1, 0]);
    const full = graphOf([{ id: 'p1', group: 'pool', capacity: 100, load: 41 }, g.nodes[1]!], []);
    expect([...simulatePropagation(full, risks(full, { p1: 1 }), 100, 1, { safeUtil: 1 }).risk]).toEqual([
      1, 1,
    ]);
    // safeUtil 0: the chance of overload is the utilisation itself, 0.99.
    expectNear(
      simulatePropagation(g, risks(g, { p1: 1 }), 20_000, 1, { safeUtil: 0 }).risk[1]!,
      0.99,
      20_000,
    );
  });
});

describe('results and their intervals', () => {
  it('Wilson interval: known values and the edges', () => {
    const [lo, hi] = wilson(10, 100);
    expect(lo).toBeCloseTo(0.05522, 4);
    expect(hi).toBeCloseTo(0.17437, 4);
    expect(wilson(0, 50)[0]).toBe(0);
    expect(wilson(50, 50)[1]).toBe(1);
  });

  it('refuses bad arguments', () => {
    const g = graphOf([{ id: 'a' }, { id: 'b' }], [edge('a', 'b')]);
    const ok = new Float64Array(2);
    expect(() => simulatePropagation(g, ok, 0, 1)).toThrow(/trials 0/);
    expect(() => simulatePropagation(g, ok, 10, -1)).toThrow(/seed -1/);
    expect(() => simulatePropagation(g, new Float64Array(1), 10, 1)).toThrow(/1 entries for 2 nodes/);
    expect(() => simulatePropagation(g, Float64Array.of(0, 1.5), 10, 1)).toThrow(/initialRisk of b/);
    expect(() => simulatePropagation(g, ok, 10, 1, { coupling: -1 })).toThrow(/coupling/);
    expect(() => simulatePropagation(g, ok, 10, 1, { safeUtil: 2 })).toThrow(/safeUtil/);
  });
});

describe('properties over random graphs', () => {
  const arbitraryGraph = fc
    .record({
      n: fc.integer({ min: 1, max: 7 }),
      edges: fc.array(fc.tuple(fc.nat(6), fc.nat(6), fc.double({ min: 0, max: 10, noNaN: true })), {
        maxLength: 15,
      }),
      nodes: fc.array(
        fc.record({
          group: fc.constantFrom('g1', 'g2', undefined),
          criticality: fc.constantFrom(...CRITICALITIES),
          capacity: fc.option(fc.double({ min: 1, max: 100, noNaN: true }), { nil: undefined }),
          loadShare: fc.double({ min: 0, max: 1.2, noNaN: true }),
        }),
        { minLength: 7, maxLength: 7 },
      ),
      risk: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 7, maxLength: 7 }),
      seed: fc.nat(),
      coupling: fc.double({ min: 0, max: 3, noNaN: true }),
    })
    .map(({ n, edges, nodes, risk, seed, coupling }) => {
      const specs = nodes.slice(0, n).map((s, i) => ({
        id: `n${i}`,
        group: s.group,
        criticality: s.criticality,
        capacity: s.capacity,
        load: s.capacity === undefined ? 5 : s.capacity * s.loadShare,
      }));
      const obs = edges
        .filter(([a, b]) => a < n && b < n && a !== b)
        .map(([a, b, w]) => edge(`n${a}`, `n${b}`, w));
      return { graph: graphOf(specs, obs), risk: Float64Array.from(risk.slice(0, n)), seed, coupling };
    });
  const TRIALS = 300;

  it('risks lie in [0, 1] inside their intervals; causes nest; own failures track the initial risk', () => {
    fc.assert(
      fc.property(arbitraryGraph, ({ graph, risk, seed, coupling }) => {
        const r = simulatePropagation(graph, risk, TRIALS, seed, { coupling });
        const n = graph.nodes.length;
        for (let i = 0; i < n; i++) {
          expect(r.lower[i]).toBeGreaterThanOrEqual(0);
          expect(r.upper[i]).toBeLessThanOrEqual(1);
          expect(r.lower[i]).toBeLessThanOrEqual(r.risk[i]!);
          expect(r.risk[i]).toBeLessThanOrEqual(r.upper[i]!);
          expect(r.overload[i]).toBeLessThanOrEqual(r.cascade[i]!);
          expect(r.cascade[i]).toBeLessThanOrEqual(r.risk[i]!);
          // risk - cascade is how often the node failed on its own: never below, up to noise, its initial risk.
          const own = r.risk[i]! - r.cascade[i]!;
          const p = risk[i]!;
          expect(own).toBeGreaterThanOrEqual(p - 5 * Math.sqrt((p * (1 - p)) / TRIALS) - 1e-9);
          expect(r.risk[i]).toBeGreaterThanOrEqual(own);
        }
        expect(r.expectedFailed.lower).toBeLessThanOrEqual(r.expectedFailed.mean);
        expect(r.expectedFailed.mean).toBeLessThanOrEqual(r.expectedFailed.upper);
        expect(r.expectedFailed.upper).toBeLessThanOrEqual(n);
        expect(r.expectedUnserved).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 60 },
    );
  });

  it('initial risks of 0 or 1: every node is at least as risky as it started, exactly', () => {
    fc.assert(
      fc.property(arbitraryGraph, ({ graph, risk, seed, coupling }) => {
        const sure = risk.map((p) => (p < 0.5 ? 0 : 1));
        const r = simulatePropagation(graph, sure, 50, seed, { coupling });
        sure.forEach((p, i) => {
          expect(r.risk[i]).toBeGreaterThanOrEqual(p);
          expect(r.risk[i]! - r.cascade[i]!).toBe(p);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('zero coupling and unlimited capacity: exactly the initial failures, nothing spreads', () => {
    fc.assert(
      fc.property(arbitraryGraph, ({ graph, risk, seed }) => {
        const unlimited: ServiceGraph = {
          ...graph,
          nodes: graph.nodes.map((n) => ({ ...n, capacity: Infinity })),
        };
        const options: PropagationOptions = { coupling: 0 };
        const r = simulatePropagation(unlimited, risk, TRIALS, seed, options);
        expect(r.cascade.every((c) => c === 0)).toBe(true);
        const sure = risk.map((p) => (p < 0.5 ? 0 : 1));
        expect([...simulatePropagation(unlimited, sure, 50, seed, options).risk]).toEqual([...sure]);
      }),
      { numRuns: 60 },
    );
  });
});
