// Shared set-up for the simulated-fleet tests: a fixed start time, a fake clock, and pool states.

import { FakeClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import { SimFleet, type SimFleetOptions, type SimPoolConfig } from '../../src/deploy/sim/fleet.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 23, 12);

export function pool(
  primary: number,
  shadow = 0,
  weights = { primary: 1, shadow: 0 },
  standby: Record<string, number> = {},
): PoolState {
  return { primary, shadow, standby, weights };
}

/** One pool `web`: 100 units per instance, 5-minute boots, 45-second updates without jitter. */
export function fleetOf(
  initial: PoolState,
  config: Partial<SimPoolConfig> = {},
  options: Partial<Omit<SimFleetOptions, 'clock' | 'pools'>> = {},
) {
  const clock = new FakeClock(T0);
  const fleet = new SimFleet({
    clock,
    pools: { web: { initial, unitsPerInstance: 100, provisionMs: 5 * MIN, ...config } },
    updateJitter: 0,
    ...options,
  });
  /** Move the clock to t: the fleet plays crashes and readiness only up to the clock. */
  const advanceTo = async (t: number) => {
    if (clock.now() < t) await clock.sleep(t - clock.now());
  };
  /** Move the clock to t (serving may not run ahead of it), then serve. */
  const serveAt = async (t: number, demand: number, name = 'web') => {
    await advanceTo(t);
    return fleet.serve(name, t, demand);
  };
  return { clock, fleet, serveAt, advanceTo };
}
