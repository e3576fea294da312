// Risk over the service graph acts on the pool's nodes: a node the traffic graph shows calling a
// node that is likely to fail is planned for at the risk it inherits, and so gets a standby like a
// node scored that high directly; the pool's service still starts at its nodes' highest risk.

import { describe, expect, it } from 'vitest';
import type { ServiceGraph } from '../../src/core/graph.js';
import { plan } from '../../src/plan/plan.js';
import { propagateOver, withPropagatedRisk } from '../../src/pipeline/service-graph.js';
import { FakeClock } from '../../src/core/clock.js';
import { forecastOf, HOUR, nodeRisk, pool, T0, testPolicy } from '../plan/fixtures.js';

/** Nodes in order; `calls` as [caller, callee, weight]. */
function graphOf(ids: string[], calls: [string, string, number][]): ServiceGraph {
  const at = new Map(ids.map((id, i) => [id, i]));
  const byCaller = ids.map((id) =>
    calls.filter(([c]) => c === id).sort((a, b) => at.get(a[1])! - at.get(b[1])!),
  );
  const edgeStart = new Uint32Array(ids.length + 1);
  byCaller.forEach((list, i) => (edgeStart[i + 1] = edgeStart[i]! + list.length));
  const flat = byCaller.flat();
  return {
    nodes: ids.map((id) => ({
      id,
      group: id,
      tier: 'default',
      criticality: 'normal',
      capacity: Infinity,
      load: 0,
    })),
    edgeStart,
    callee: Uint32Array.from(flat, ([, callee]) => at.get(callee)!),
    weight: Float64Array.from(flat, ([, , w]) => w),
  };
}

const node = (id: string, score: number) => nodeRisk(id, score);

describe('propagated risk on the pool’s nodes', () => {
  // web-p-1 sends all its calls to web-p-3 (a cache on the node at risk); web-p-2 calls nothing.
  const graph = graphOf(
    ['web', 'web-p-1', 'web-p-2', 'web-p-3', 'mobile'],
    [
      ['web-p-1', 'web-p-3', 10],
      ['mobile', 'web', 5],
    ],
  );
  const nodes = [node('web-p-1', 0.2), node('web-p-2', 0.1), node('web-p-3', 0.95)];

  it('seeds each node the graph names with its own score, and the pool’s service with the highest', () => {
    const r = propagateOver(graph, 'web', nodes, 4000);
    const risk = Object.fromEntries(r.services.map((s) => [s.service, s.risk]));
    expect(risk['web-p-3']).toBeCloseTo(0.95, 1);
    expect(risk.web).toBeCloseTo(0.95, 1);
    // web-p-1 fails on its own (0.2) or with web-p-3 (0.95 × the coupling, 0.5): about 0.6.
    expect(risk['web-p-1']).toBeGreaterThan(0.5);
    expect(risk['web-p-2']).toBeCloseTo(0.1, 1);
    expect(risk.mobile).toBeGreaterThan(0.3);
    expect(r.notes).toEqual([]);
  });

  it('raises a node to the risk it inherits, keeps its own score beside it, and leaves the rest', () => {
    const services = [
      { service: 'web-p-1', risk: 0.74, lower: 0.72, upper: 0.76 },
      { service: 'web-p-2', risk: 0.05, lower: 0.04, upper: 0.06 },
    ];
    const out = withPropagatedRisk(nodes, services);
    expect(out[0]).toEqual({ ...nodes[0], score: 0.74, ownScore: 0.2 });
    expect(out[1]).toBe(nodes[1]);
    expect(out[2]).toBe(nodes[2]);
    // The planner gives it a standby, as it does a node scored 0.74 directly.
    const p = plan(
      {
        intervalMs: 15 * 60_000,
        pools: [
          {
            pool: 'web',
            policy: testPolicy(),
            current: pool(6),
            forecast: forecastOf(T0, HOUR, [300]),
            observed: 300,
            nodes: out,
          },
        ],
      },
      new FakeClock(T0),
    ).pools.web!;
    expect(Object.keys(p.desired.standby).sort()).toEqual(['web-p-1', 'web-p-3']);
  });

  it('without the pool’s service or any of its nodes in the graph, nothing propagates and it says so', () => {
    const other = graphOf(['a', 'b'], [['a', 'b', 1]]);
    const r = propagateOver(other, 'web', nodes, 100);
    expect(r.services).toEqual([]);
    expect(r.notes).toEqual(['service "web" is not in the traffic graph: no propagation']);
  });
});
