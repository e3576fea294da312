// A service graph's edges read back for assertions.

import type { ServiceGraph } from '../../src/core/graph.js';

/** Edges as [from, to, weight] by node id, in CSR order. */
export function edgesOf(g: ServiceGraph): [string, string, number][] {
  const out: [string, string, number][] = [];
  for (let i = 0; i < g.nodes.length; i++)
    for (let e = g.edgeStart[i]!; e < g.edgeStart[i + 1]!; e++)
      out.push([g.nodes[i]!.id, g.nodes[g.callee[e]!]!.id, g.weight[e]!]);
  return out;
}
