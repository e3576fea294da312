// Applying one plan's steps to a fleet, in order, as the real deployer does: shared by
// `simulate` (every scheduled run of a replay) and `run --once` (the embedded default's one plan,
// applied to the simulated fleet).

import { isoMinute } from '../core/duration.js';
import type { MigrationStep, PoolState } from '../core/plan.js';
import type { Clock } from '../core/seams.js';
import { type Gain, gains } from '../deploy/pool-state.js';
import type { Policy } from '../policy/types.js';
import type { Fleet } from './fleet.js';

const MINUTE = 60_000;

export interface Run {
  fleet: Fleet;
  clock: Clock;
  pool: string;
  policy: Policy;
  /** The next scheduled plan: steps due after it wait for that plan instead. */
  next: number;
  counts: { migrations: number; rollbacks: number; updates: number };
  alerts: string[];
  recent: number[];
}

/**
 * Applies a plan's steps in order, as the real deployer does: each step one update; a warm step
 * waits for the new instances to be ready, and so does every shift, for the target it gives more
 * traffic (traffic only moves onto capacity that serves; moving it off a target waits for nothing);
 * a shift bakes against the health gate. A failed update, a failed gate or
 * a step past its deadline rolls traffic back to where this plan found it (on capacity that still
 * exists), raises an alert, and drops the rest of the plan. Runs never overlap; a plan whose
 * first step is not due before the next run is left to it, and so is the rest of a plan whose
 * warm-up outlasts this run's slot (the next run finds the capacity booting and shifts once ready).
 * Returns how many steps were applied (a rolled-back step is not counted).
 */
export async function execute(steps: readonly MigrationStep[], run: Run): Promise<number> {
  const { fleet, clock, pool, policy, counts } = run;
  let applied = 0;
  if (steps.length === 0 || steps[0]!.notBefore >= run.next) return applied;
  const started = await fleet.current(pool);
  const seen = new Set<string>();
  let weights = started.weights;
  for (const step of steps) {
    // Warm-up outlasting this run's slot: the next run picks up from here (and waits for
    // readiness before any shift), so load is watched and plans can change meanwhile.
    if (step.kind === 'warm' && step.notBefore >= run.next) return applied;
    if (step.notBefore > clock.now()) await clock.sleep(step.notBefore - clock.now());
    const deadline = clock.now() + policy.migration.stepTimeoutMs;
    if (step.kind === 'shift') {
      const tag = step.id.slice(step.id.indexOf(':') + 1);
      if (!seen.has(tag)) {
        seen.add(tag);
        counts.migrations++;
        run.recent.push(clock.now());
      }
      if (!(await ready(run, deadline, gains(weights, step.state)))) {
        await rollBack(
          run,
          started,
          `${step.id}: capacity not ready within ${mins(policy.migration.stepTimeoutMs)}`,
        );
        return applied;
      }
    }
    const result = await fleet.apply(pool, step.state, { stepId: step.id });
    counts.updates++;
    if (!result.ok) {
      await rollBack(run, started, `${step.id} failed: ${result.reason ?? 'update failed'}`);
      return applied;
    }
    weights = step.state.weights;
    if (step.kind === 'warm' && !(await ready(run, deadline))) {
      await rollBack(
        run,
        started,
        `${step.id}: capacity not ready within ${mins(policy.migration.stepTimeoutMs)}`,
      );
      return applied;
    }
    if (step.bakeMs > 0) {
      const from = clock.now();
      await clock.sleep(step.bakeMs);
      const gate = await fleet.gate(policy.migration.gates).check(pool, from, clock.now());
      if (!gate.pass) {
        await rollBack(run, started, `${step.id} failed its health gate: ${gate.reason}`);
        return applied;
      }
    }
    applied++;
  }
  return applied;
}

/**
 * Waits, a minute at a time, until the instances that are to take more traffic serve (every
 * instance, by default); false at the deadline.
 */
async function ready(run: Run, deadline: number, gain: Gain = 'all'): Promise<boolean> {
  const serves = async () => {
    const t = run.clock.now();
    if (gain === 'none') return true;
    if (gain === 'all') return run.fleet.allReady(run.pool, t);
    const declared = await run.fleet.current(run.pool);
    const units =
      gain === 'primary' ? run.policy.capacity.unitsPerInstance : run.policy.shadow.unitsPerInstance;
    return run.fleet.ready(run.pool, t)[gain] >= declared[gain] * units - 1e-9;
  };
  while (!(await serves())) {
    if (run.clock.now() >= deadline) return false;
    await run.clock.sleep(MINUTE);
  }
  return true;
}

/** Traffic back to where the plan found it; capacity added meanwhile stays (it cannot hurt). */
async function rollBack(run: Run, started: PoolState, why: string): Promise<void> {
  const { fleet, clock, pool, counts, alerts } = run;
  const now = await fleet.current(pool);
  const back: PoolState = {
    primary: Math.max(now.primary, started.primary),
    shadow: Math.max(now.shadow, started.shadow),
    standby: { ...now.standby, ...started.standby },
    weights: started.weights,
  };
  counts.rollbacks++;
  // A rollback that fails is retried (a minute apart, a few times), each failure alerted: the
  // pool must not be left half-shifted without anyone knowing.
  for (let attempt = 1; ; attempt++) {
    const result = await fleet.rollback(pool, back, { stepId: `rollback#${attempt}` });
    counts.updates++;
    if (result.ok) {
      alerts.push(`${isoMinute(clock.now())} ${pool}: rolled back: ${why}`);
      return;
    }
    alerts.push(
      `${isoMinute(clock.now())} ${pool}: rollback attempt ${attempt} failed (${result.reason ?? 'update failed'}) after: ${why}`,
    );
    if (attempt === ROLLBACK_ATTEMPTS) return;
    await clock.sleep(MINUTE);
  }
}

const ROLLBACK_ATTEMPTS = 3;

function mins(ms: number): string {
  return `${Math.round(ms / MINUTE)} min`;
}
