// A pool's nodes as the planner sees them: each node's metrics (the spec's `nodes:` file) scored
// row by row by the risk model, and the end of that score stream turned into a NodeRisk (the
// score now, how long it has held above and below the policy's thresholds) with the workload
// facts the spec gives. Used by `run`.

import type { Criticality } from '../core/graph.js';
import { type NodeRows, parseNodeCsv } from '../metrics/node-csv.js';
import type { NodeRisk } from '../plan/plan.js';
import type { Policy } from '../policy/types.js';
import { defaultModel } from '../risk/default-model.js';
import type { RiskModelFile } from '../risk/model.js';
import { scoreNode } from '../risk/score.js';
import { dwellTimes, type StandbyState, thresholdsFor } from '../risk/standby.js';
import { readInput } from '../metrics/read-input.js';
import type { NodesSpec } from './spec.js';

/** One node's risk now, with what a person needs to see why. */
export interface NodeReport extends NodeRisk {
  /** The metric behind the score, if the model names one. */
  blame?: string;
  /** The standby decision under the policy's thresholds for this node's criticality. */
  state: StandbyState;
  /** Its own score, when the risk propagated to it over the service graph is higher (`score`). */
  ownScore?: number;
  /** Time of the last scored row (epoch ms). */
  at: number;
  rows: number;
}

/** Scores every node of the spec's node file; nodes in the order of the file. */
export async function scorePoolNodes(
  spec: NodesSpec,
  policy: Policy,
  model: RiskModelFile = defaultModel(),
): Promise<NodeReport[]> {
  return scoreNodeRows(await readNodeFile(spec), spec, policy, model);
}

/** The nodes of the spec's node metrics file. */
export async function readNodeFile(spec: NodesSpec): Promise<NodeRows[]> {
  if (!spec.file) throw new Error('readNodeFile: the spec reads its nodes from queries, not a file');
  return parseNodeCsv(spec.file, await readInput(spec.file), spec.timezone).nodes;
}

/** Scores nodes' metric rows (from a file or a live source) with the spec's workloads. */
export function scoreNodeRows(
  nodes: readonly NodeRows[],
  spec: NodesSpec,
  policy: Policy,
  model: RiskModelFile = defaultModel(),
): NodeReport[] {
  return nodes.map((n) => {
    const workload = spec.workloads[n.node] ?? {};
    const criticality: Criticality = workload.criticality ?? spec.criticality;
    const rows = scoreNode(n.timestamps, n.metrics, model, { policy: policy.standby, criticality });
    const last = rows.at(-1)!;
    const dwell = dwellTimes(rows, thresholdsFor(policy.standby, criticality), policy.standby.hysteresis);
    const report: NodeReport = {
      id: n.node,
      score: last.score,
      criticality,
      stateless: workload.stateless ?? spec.stateless,
      // The simulated fleet spreads the pool's load evenly: each node carries the same share.
      load: 1 / nodes.length,
      ...dwell,
      state: last.state,
      at: last.t,
      rows: rows.length,
    };
    if (last.blame !== undefined) report.blame = last.blame;
    const zone = spec.zones[n.node] ?? n.zone;
    if (zone !== undefined) report.zone = zone;
    return report;
  });
}
