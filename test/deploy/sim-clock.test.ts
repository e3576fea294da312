// The replay clock with the simulated fleet and its gate, as a runner would use them: apply a
// step, sleep the bake time, check the gate. The sleeps serve every minute they pass, so the
// gate judges what the step did to the pool.

import { describe, expect, it } from 'vitest';
import { SimFleet } from '../../src/deploy/sim/fleet.js';
import { ReplayClock } from '../../src/deploy/sim/clock.js';
import { SimHealthGate } from '../../src/deploy/sim/health.js';
import { MIN, pool, T0 } from './helpers.js';

describe('ReplayClock', () => {
  it('calls back at each minute boundary it crosses, with now() at that minute', async () => {
    const seen: [number, number][] = [];
    const clock: ReplayClock = new ReplayClock(T0 + 30_000, (t) => seen.push([t, clock.now()]));
    await clock.sleep(45_000); // to T0 + 75 s: crosses T0 + 1 min
    await clock.sleep(2 * MIN); // to T0 + 195 s: crosses 2 and 3 min
    await clock.sleep(0);
    expect(seen).toEqual([
      [T0 + MIN, T0 + MIN],
      [T0 + 2 * MIN, T0 + 2 * MIN],
      [T0 + 3 * MIN, T0 + 3 * MIN],
    ]);
    expect(clock.now()).toBe(T0 + 195_000);
  });
});

describe('a runner on the simulated fleet', () => {
  function setUp(demand: number) {
    // The clock serves each minute it passes; the fleet, made next, exists before the first sleep.
    const clock = new ReplayClock(T0, (t) => fleet.serve('web', t, demand));
    const fleet = new SimFleet({
      clock,
      updateJitter: 0,
      pools: { web: { initial: pool(4, 0), unitsPerInstance: 100, provisionMs: 5 * MIN } },
    });
    const gate = new SimHealthGate(fleet, [
      { metric: 'error_rate', max: 0.01 },
      { metric: 'latency_p99_ms', max: 500 },
    ]);
    return { clock, fleet, gate };
  }

  async function step(s: ReturnType<typeof setUp>, state: ReturnType<typeof pool>, bakeMs = 5 * MIN) {
    const result = await s.fleet.apply('web', state);
    const start = s.clock.now();
    await s.clock.sleep(bakeMs);
    return { result, gate: await s.gate.check('web', start, s.clock.now()) };
  }

  it('passes a step that provisions, fails one that shifts onto a shadow still booting', async () => {
    const s = setUp(300);
    const provision = await step(s, pool(4, 2));
    expect(provision.result.ok).toBe(true);
    expect(provision.gate).toEqual({ pass: true });
    // The shadows were asked for at T0 + 45 s and are ready at T0 + 345 s: a shift at T0 + 390 s is
    // safe. Shifting in the same step as provisioning is not.
    const shift = await step(s, pool(4, 2, { primary: 0.9, shadow: 0.1 }));
    expect(shift.gate).toEqual({ pass: true });

    const hasty = setUp(300);
    const both = await step(hasty, pool(4, 2, { primary: 0.5, shadow: 0.5 }));
    expect(both.result.ok).toBe(true);
    expect(both.gate.pass).toBe(false);
    expect(!both.gate.pass && both.gate.reason).toMatch(
      /^error_rate 0\.5 above max 0\.01 at 2026-11-23T12:01:00/,
    );
  });

  it('a bake with too little capacity fails on latency before any error', async () => {
    const s = setUp(370); // 4 × 100 units at 92.5 %: p99 50 / 0.075 ≈ 667 ms
    const { gate } = await step(s, pool(4));
    expect(!gate.pass && gate.reason).toMatch(/^latency_p99_ms 666\.7 above max 500 at 2026-11-23T12:01:00/);
  });
});
