// `plan` for one pool: its forecast (with its policy's horizon, level and model), its nodes' risk
// when the spec names node metrics, and the plan from the state the deploy target has now (or,
// when the target has no state yet, the fleet `run --once` starts from: sized for observed load).

import { FakeClock } from '../core/clock.js';
import type { PoolState } from '../core/plan.js';
import { sizedFor } from '../plan/size.js';
import type { Policy } from '../policy/types.js';
import type { ForecastResult } from './forecast-pool.js';
import type { NodeReport } from './node-risk.js';
import { poolNodes } from './node-source.js';
import { modelInUse } from './risk-retrain.js';
import { type PlannedPool, planOnce } from './plan-once.js';
import { forecastSpec } from './run.js';
import type { ForecastSpec } from './spec.js';

export interface PoolPlanResult {
  result: ForecastResult;
  nodes: NodeReport[];
  planned: PlannedPool;
  /** Where `current` came from. */
  from: 'target' | 'observed';
}

/** `target`: the pool as the target has it and the target's clock; absent, sized for observed load at the forecast's origin. */
export async function planPool(
  spec: ForecastSpec,
  policy: Policy,
  target?: { current: PoolState; now: number },
  stateDir?: string,
): Promise<PoolPlanResult> {
  const result = await forecastSpec(spec, policy);
  // The model `run` uses: a retrained one it promoted (kept in the state directory), else the policy's.
  const model = spec.nodes && stateDir ? (await modelInUse(stateDir, spec.pool, policy)).model : undefined;
  const nodes = await poolNodes(spec, policy, Date.now(), model);
  return planFrom(spec.pool, policy, result, nodes, target);
}

/**
 * The plan from a forecast and node risk already made (the run loop makes them itself), at the
 * target's time, or `at` (run --at) when there is no target yet, but never before the forecast starts.
 */
export function planFrom(
  pool: string,
  policy: Policy,
  result: ForecastResult,
  nodes: NodeReport[],
  target?: { current: PoolState; now: number; down?: string[] },
  at?: number,
): PoolPlanResult {
  const observed = result.series.values.at(-1)!;
  const origin = result.forecast.timestamps[0]!;
  // A first run sizes for the load it sees: the resource that binds now, in the demand's units.
  const current = target?.current ?? sizedFor(policy, loadNow(result, policy), true);
  const clock = new FakeClock(Math.max(origin, target?.now ?? at ?? origin));
  const planned = planOnce(
    {
      pool,
      policy,
      forecast: result.forecast,
      observed,
      nodes,
      current,
      down: target?.down,
      ...(result.resources?.length
        ? {
            resource: result.resource,
            resources: result.resources.map((r) => ({
              name: r.name,
              observed: r.observed,
              ...(r.forecast ? { forecast: r.forecast } : {}),
            })),
          }
        : {}),
    },
    clock,
  );
  return { result, nodes, planned, from: target ? 'target' : 'observed' };
}

/** Observed load now in the demand series' units: the largest over the pool's resources. */
function loadNow(result: ForecastResult, policy: Policy): number {
  const observed = result.series.values.at(-1)!;
  let load = observed;
  for (const r of result.resources ?? []) {
    const units = policy.capacity.resources[r.name];
    if (units && Number.isFinite(r.observed))
      load = Math.max(load, (r.observed * policy.capacity.unitsPerInstance) / units);
  }
  return load;
}
