// Serving one minute on the simulated fleet: weights split demand with no spill-over, only ready
// capacity serves, latency rises with utilisation; and, as properties over random fleets, demand
// is always either served or short, never more than the ready capacity serves.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { SimFleet } from '../../src/deploy/sim/fleet.js';
import { LATENCY_DEFAULTS, latencyAt, serveMinute } from '../../src/deploy/sim/serve.js';
import { fleetOf, MIN, pool, T0 } from './helpers.js';

describe('weighted routing', () => {
  // 2 primaries of 100 units, 1 shadow of 50: ready from the start.
  it.each([
    { weights: { primary: 1, shadow: 0 }, demand: 150, primary: 150, shadow: 0, shortfall: 0 },
    { weights: { primary: 0.5, shadow: 0.5 }, demand: 100, primary: 50, shadow: 50, shortfall: 0 },
    // The shadow gets 100 but holds 50: the 50 it cannot serve is lost, though the primary idles.
    { weights: { primary: 0.5, shadow: 0.5 }, demand: 200, primary: 100, shadow: 50, shortfall: 50 },
    { weights: { primary: 0.9, shadow: 0.1 }, demand: 300, primary: 200, shadow: 30, shortfall: 70 },
    { weights: { primary: 0, shadow: 1 }, demand: 80, primary: 0, shadow: 50, shortfall: 30 },
    { weights: { primary: 0.5, shadow: 0.5 }, demand: 0, primary: 0, shadow: 0, shortfall: 0 },
  ])('weights $weights.primary/$weights.shadow at demand $demand', async ({ weights, demand, ...want }) => {
    const { serveAt } = fleetOf(pool(2, 1, weights), { shadowUnitsPerInstance: 50 });
    const r = await serveAt(T0, demand);
    expect(r.targets.primary.served).toBeCloseTo(want.primary, 9);
    expect(r.targets.shadow.served).toBeCloseTo(want.shadow, 9);
    expect(r.shortfall).toBeCloseTo(want.shortfall, 9);
    expect(r.signals!.error_rate).toBeCloseTo(demand > 0 ? want.shortfall / demand : 0, 9);
  });

  it('a target with no ready capacity loses all it is sent', async () => {
    const { fleet, serveAt } = fleetOf(pool(2));
    await fleet.apply('web', pool(2, 2, { primary: 0.5, shadow: 0.5 })); // shadows still booting
    const r = await serveAt(T0 + MIN, 100);
    expect(r.targets.shadow).toEqual({ offered: 50, capacity: 0, served: 0, utilisation: 0 });
    expect(r.signals!.error_rate).toBe(0.5);
    expect(r.signals!.latency_p99_ms).toBe(LATENCY_DEFAULTS.capMs);
  });
});

describe('latency', () => {
  it.each([
    { offered: 0, capacity: 100, want: 50 },
    { offered: 50, capacity: 100, want: 100 },
    { offered: 90, capacity: 100, want: 500 },
    { offered: 99, capacity: 100, want: 5000 },
    { offered: 150, capacity: 100, want: 5000 },
    { offered: 10, capacity: 0, want: 5000 },
  ])('50 / (1 - min(u, 0.99)) ms at $offered of $capacity', ({ offered, capacity, want }) => {
    expect(latencyAt(LATENCY_DEFAULTS, offered, capacity)).toBeCloseTo(want, 9);
  });

  it('an overloaded target makes the pool slow, and utilisation says how busy', async () => {
    const { serveAt } = fleetOf(pool(4));
    expect((await serveAt(T0, 200)).signals).toEqual({
      error_rate: 0,
      latency_p99_ms: 100,
      utilisation: 0.5,
      availability: 1,
    });
    expect((await serveAt(T0 + MIN, 500)).signals).toEqual({
      error_rate: 0.2,
      latency_p99_ms: 5000,
      utilisation: 1,
      availability: 0.8,
    });
  });
});

describe('properties over random fleets', () => {
  const weight = fc.integer({ min: 0, max: 10 }).map((k) => ({ primary: k / 10, shadow: 1 - k / 10 }));
  const state = fc.record({
    primary: fc.integer({ min: 0, max: 6 }),
    shadow: fc.integer({ min: 0, max: 3 }),
    weights: weight,
    standby: fc.dictionary(
      fc.integer({ min: 0, max: 8 }).map((n) => `web-p-${n}`),
      fc.integer({ min: 0, max: 4 }).map((k) => k / 4),
      { maxKeys: 3 },
    ),
  });
  const action = fc.oneof(
    fc.record({ kind: fc.constant('apply' as const), state }),
    fc.record({ kind: fc.constant('crash' as const), node: fc.integer({ min: 0, max: 8 }) }),
    fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 20 }) }),
  );

  it('served + shortfall = demand; no target serves more than is ready; node-hours >= 0; the cache agrees', async () => {
    await fc.assert(
      fc.asyncProperty(
        state,
        fc.array(fc.tuple(action, fc.float({ min: 0, max: 2000, noNaN: true })), { maxLength: 12 }),
        fc.integer({ min: 1, max: 1000 }),
        async (initial, steps, seed) => {
          const clock = new FakeClock(T0);
          const fleet = new SimFleet({
            clock,
            seed,
            failureRatePerHour: 0.5,
            pools: {
              web: { initial, unitsPerInstance: 100, shadowUnitsPerInstance: 60, provisionMs: 3 * MIN },
            },
          });
          for (const [a, demand] of steps) {
            if (a.kind === 'apply') await fleet.apply('web', a.state);
            else if (a.kind === 'crash') {
              fleet.inject({ kind: 'crash', at: clock.now(), pool: 'web', instance: `web-p-${a.node}` });
            } else await clock.sleep(a.minutes * MIN);
            const t = clock.now();
            const r = fleet.serve('web', t, demand);
            const ready = fleet.readyCapacity('web', t);
            expect(r.served + r.shortfall).toBeCloseTo(demand, 6);
            expect(r.served).toBeGreaterThanOrEqual(0);
            expect(r.shortfall).toBeGreaterThanOrEqual(0);
            expect(r.targets.primary.served).toBeLessThanOrEqual(ready.primary + ready.standby + 1e-9);
            expect(r.targets.shadow.served).toBeLessThanOrEqual(ready.shadow + 1e-9);
            for (const target of [r.targets.primary, r.targets.shadow]) {
              expect(target.served).toBeLessThanOrEqual(target.offered + 1e-9);
              expect(target.utilisation).toBeGreaterThanOrEqual(0);
              expect(target.utilisation).toBeLessThanOrEqual(1);
            }
            expect(r.signals!.error_rate).toBeGreaterThanOrEqual(0);
            expect(r.signals!.error_rate).toBeLessThanOrEqual(1);
            const hours = fleet.nodeHours('web', T0, t);
            for (const h of Object.values(hours)) expect(h).toBeGreaterThanOrEqual(0);
            // The fleet caches who serves between changes; the pure function over every instance
            // it ever had must agree, also after a look back in time.
            if (t - 90_000 >= T0) fleet.serve('web', t - 90_000, demand);
            const { weights, standby } = await fleet.current('web');
            const units = { primary: 100, shadow: 60 };
            const fresh = serveMinute(
              fleet.instances('web'),
              { weights, standby },
              units,
              LATENCY_DEFAULTS,
              t,
              demand,
            );
            expect(fleet.serve('web', t, demand)).toEqual(fresh);
          }
        },
      ),
      { numRuns: 150, seed: 42 },
    );
  });
});
