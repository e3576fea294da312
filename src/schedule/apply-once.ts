// One plan for one pool at the forecast's origin, applied to the simulated fleet on a replay
// clock: what `run --once` shows on the embedded default. The fleet starts sized for the load
// seen at the origin, serves the forecast's mean minute by minute while the steps run (so health
// gates have data), and the steps are applied exactly as `simulate` applies them (execute.ts).
// Deterministic: the same inputs and seed give the same plan, the same outcome, the same times.

import type { Forecast } from '../core/forecast.js';
import type { PoolState } from '../core/plan.js';
import { ReplayClock } from '../deploy/sim-clock.js';
import type { NodeRisk, Plan, PoolPlan } from '../plan/plan.js';
import type { Policy } from '../policy/types.js';
import { sizedFor } from '../plan/size.js';
import { execute } from './execute.js';
import { simFleetFactory } from './fleet.js';
import { planOnce } from './plan-once.js';
import { perMinute } from './simulate.js';

export interface ApplyOnceInputs {
  pool: string;
  policy: Policy;
  forecast: Forecast;
  /** The last observed demand (the history's last value). */
  observed: number;
  nodes: readonly NodeRisk[];
  /** Seed of the simulated fleet. */
  seed?: number;
}

export interface SimulatedApply {
  /** Steps applied and baked; a rolled-back step is not counted. */
  applied: number;
  rollbacks: number;
  /** Stack updates made, rollbacks included. */
  updates: number;
  /** On the simulated clock (epoch ms). */
  start: number;
  end: number;
  alerts: string[];
  /** The simulated fleet as the apply left it. */
  final: PoolState;
}

export interface OnceResult {
  plan: Plan;
  pool: PoolPlan;
  /** Until the next scheduled run after the origin (the policy's schedule). */
  intervalMs: number;
  apply: SimulatedApply;
}

export async function planAndApplyOnce(inputs: ApplyOnceInputs): Promise<OnceResult> {
  const { pool, policy, forecast } = inputs;
  const origin = forecast.timestamps[0]!;
  const last = forecast.timestamps.at(-1)!;
  const step = forecast.timestamps.length > 1 ? forecast.timestamps[1]! - origin : 3_600_000;
  const demand = perMinute(
    { name: pool, timestamps: forecast.timestamps, values: forecast.mean, stepMs: step },
    origin,
    last + step,
    'linear',
  );
  // eslint-disable-next-line prefer-const -- assigned once the fleet exists; the clock calls it before
  let serve!: (t: number) => void;
  const clock = new ReplayClock(origin, (t) => serve?.(t));
  const fleet = simFleetFactory(pool, policy, { seed: inputs.seed ?? 1 })(clock, {
    [pool]: sizedFor(policy, inputs.observed, true),
  });
  serve = (t) => {
    const k = Math.floor((t - origin) / 60_000);
    fleet.serve(pool, t, demand[Math.min(demand.length - 1, Math.max(0, k))]!);
  };
  serve(origin);
  const current = await fleet.current(pool);
  const { plan: p, intervalMs } = planOnce(
    { pool, policy, current, forecast, observed: inputs.observed, nodes: inputs.nodes },
    clock,
  );
  const counts = { migrations: 0, rollbacks: 0, updates: 0 };
  const alerts: string[] = [];
  // One run, no next one to hand over to: the whole plan is applied now.
  const applied = await execute(p.steps, {
    fleet,
    clock,
    pool,
    policy,
    next: Infinity,
    counts,
    alerts,
    recent: [],
  });
  return {
    plan: p,
    pool: p.pools[pool]!,
    intervalMs,
    apply: {
      applied,
      rollbacks: counts.rollbacks,
      updates: counts.updates,
      start: origin,
      end: clock.now(),
      alerts,
      final: await fleet.current(pool),
    },
  };
}
