// One plan for one pool at the clock's time, from its forecast, node risk and current state: what
// `plan` writes, and what `run --once` plans before its simulated apply. Pure apart from the clock.

import type { Forecast } from '../core/forecast.js';
import type { PoolState } from '../core/plan.js';
import type { Clock } from '../core/seams.js';
import { type NodeRisk, plan, type Plan, type PoolPlan, type Zone } from '../plan/plan.js';
import type { ResourceDemand } from '../plan/resources.js';
import type { Policy } from '../policy/types.js';
import { nextRun } from './cron.js';

export interface PlanOnceInputs {
  pool: string;
  policy: Policy;
  /** Absent when there is none to trust (the metrics vanished): the planner then holds capacity. */
  forecast?: Forecast;
  /** The last observed demand; NaN when the metric vanished. */
  observed: number;
  nodes: readonly NodeRisk[];
  /** The pool as the deploy target has it. */
  current: PoolState;
  /** Nodes with a standby that the target shows out of service. */
  down?: readonly string[];
  /** The zones standbys may go to; default: the zones of `nodes` (zonesOf). */
  zones?: readonly Zone[];
  /** Further resources the pool serves, and what `forecast` measures (plan/resources.ts). */
  resources?: readonly ResourceDemand[];
  resource?: string;
}

export interface PlannedPool {
  plan: Plan;
  pool: PoolPlan;
  /** Until the next scheduled run after the clock's time (the policy's schedule). */
  intervalMs: number;
}

export function planOnce(inputs: PlanOnceInputs, clock: Clock): PlannedPool {
  const { pool, policy } = inputs;
  const origin = clock.now();
  const intervalMs = nextRun(policy.schedule.cron, policy.schedule.timezone, origin) - origin;
  const p = plan(
    {
      intervalMs,
      pools: [
        {
          pool,
          policy,
          current: inputs.current,
          forecast: inputs.forecast,
          observed: inputs.observed,
          nodes: inputs.nodes,
          down: inputs.down,
          ...(inputs.zones ? { zones: inputs.zones } : {}),
          ...(inputs.resources?.length ? { resources: inputs.resources, resource: inputs.resource } : {}),
        },
      ],
    },
    clock,
  );
  return { plan: p, pool: p.pools[pool]!, intervalMs };
}
