// The step executor on the simulated fleet: a shift waits for the instances that are to take more
// traffic, and for nothing when it moves traffic onto capacity already serving.

import { describe, expect, it } from 'vitest';
import type { MigrationStep, PoolState } from '../../src/core/plan.js';
import { SIM_DEFAULTS } from '../../src/deploy/sim.js';
import { ReplayClock } from '../../src/deploy/sim-clock.js';
import { execute } from '../../src/schedule/execute.js';
import { simFleetFactory } from '../../src/schedule/fleet.js';
import { MIN, testPolicy } from '../plan/fixtures.js';

const T0 = Date.UTC(2026, 0, 5, 8);
const POOL = 'web';

function setup(initial: PoolState) {
  const policy = testPolicy((p) => {
    p.migration.bakeMs = 0;
  });
  const clock = new ReplayClock(T0, () => {});
  const fleet = simFleetFactory(POOL, policy, { seed: 1 })(clock, { [POOL]: initial });
  const run = {
    fleet,
    clock,
    pool: POOL,
    policy,
    next: T0 + 60 * MIN,
    counts: { migrations: 0, rollbacks: 0, updates: 0 },
    alerts: [] as string[],
    recent: [] as number[],
  };
  return { policy, clock, fleet, run };
}

const state = (primary: number, shadow: number, w: number): PoolState => ({
  primary,
  shadow,
  standby: {},
  weights: { primary: 1 - w, shadow: w },
});

const step = (id: string, kind: MigrationStep['kind'], s: PoolState): MigrationStep => ({
  id: `${POOL}#${id}`,
  pool: POOL,
  kind,
  state: s,
  notBefore: T0,
  bakeMs: 0,
  reason: 'test',
});

describe('execute: shifts wait for the target that gains traffic', () => {
  it('moves traffic off a saturated shadow at once while a new shadow instance boots', async () => {
    // 4 primaries and 1 shadow serve at 0.1; one more shadow is asked for, then traffic leaves it.
    const { policy, clock, run } = setup(state(4, 1, 0.1));
    const applied = await execute(
      [step('1:provision', 'provision', state(4, 2, 0.1)), step('2:route', 'shift', state(4, 2, 0))],
      run,
    );
    expect(applied).toBe(2);
    // Two updates back to back: the shift did not wait for the new shadow's boot.
    expect(clock.now() - T0).toBeLessThan(2 * SIM_DEFAULTS.updateMs * (1 + SIM_DEFAULTS.updateJitter) + 1);
    expect(clock.now() - T0).toBeLessThan(policy.shadow.leadTimeMs);
    expect(run.alerts).toEqual([]);
  });

  it('moves traffic onto the shadow only once every shadow instance serves', async () => {
    const { policy, clock, fleet, run } = setup(state(4, 1, 0.1));
    const applied = await execute(
      [step('1:provision', 'provision', state(4, 2, 0.1)), step('2:route', 'shift', state(4, 2, 0.2))],
      run,
    );
    expect(applied).toBe(2);
    // It waited out the boot (a minute at a time): by then both shadow instances serve.
    expect(clock.now() - T0).toBeGreaterThanOrEqual(policy.shadow.leadTimeMs);
    expect(fleet.ready(POOL, clock.now()).shadow).toBe(2 * policy.shadow.unitsPerInstance);
    expect((await fleet.current(POOL)).weights.shadow).toBe(0.2);
  });
});
