// Several resources a pool: the plan sizes the pool from the resource that binds, and says which.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { plan, type PoolInputs } from '../../src/plan/plan.js';
import { bindingDemand } from '../../src/plan/resources.js';
import { forecastOf, HOUR, MIN, pool, T0, testPolicy } from './fixtures.js';

// 100 CPU units an instance (testPolicy) and 16 GiB of memory.
const policy = testPolicy((p) => {
  p.capacity.resources = { memory: 16 };
  p.shadow.enabled = false;
});
const cpu = forecastOf(T0, HOUR, [1000, 1200, 1100], 0.2);

function planWith(memoryGiB: number[], over: Partial<PoolInputs> = {}) {
  const web: PoolInputs = {
    pool: 'web',
    policy,
    current: pool(10),
    forecast: cpu,
    observed: 1000,
    resource: 'cpu',
    resources: [{ name: 'memory', forecast: forecastOf(T0, HOUR, memoryGiB, 0.1), observed: memoryGiB[0]! }],
    ...over,
  };
  return plan({ intervalMs: 2 * HOUR, pools: [web] }, new FakeClock(T0)).pools.web!;
}

describe('a pool with CPU and memory', () => {
  it('is sized by memory when memory binds, and the plan says so', () => {
    // CPU: mean peak 1,200 + 20 % headroom = 1,440 units: 15 instances.
    // Memory: mean peak 300 GiB at 16 GiB an instance = 18.75 instances' worth = 1,875 CPU units;
    // + 20 % headroom = 2,250 units: 23 instances.
    const web = planWith([250, 300, 280]);
    expect(web.desired.primary).toBe(23);
    expect(web.reasons[0]).toBe(
      'memory binds: its peak needs memory 20.6 (peak 330 at 2026-11-23T01:00Z, 16 per instance) instances; cpu 14.4 (peak 1440 at 2026-11-23T01:00Z, 100 per instance); sized in cpu units (memory × 6.25)',
    );
    expect(web.reasons[1]).toContain('forecast mean peak 1875');
  });

  it('is sized by CPU when CPU binds, exactly as without memory, and says so', () => {
    const web = planWith([100, 120, 110]);
    const alone = plan(
      {
        intervalMs: 2 * HOUR,
        pools: [{ pool: 'web', policy, current: pool(10), forecast: cpu, observed: 1000 }],
      },
      new FakeClock(T0),
    ).pools.web!;
    expect(web.desired).toEqual(alone.desired);
    expect(web.steps.map((s) => s.kind)).toEqual(alone.steps.map((s) => s.kind));
    expect(web.reasons[0]).toMatch(/^cpu binds: its peak needs cpu 14\.4 .*; memory 8\.25 /);
    expect(web.reasons.slice(1)).toEqual(alone.reasons);
  });

  it('calls the main series "demand" when the spec names no resource for it', () => {
    const web = planWith([100, 120, 110], { resource: undefined });
    expect(web.reasons[0]).toMatch(/^demand binds: its peak needs demand 14\.4 .*; memory 8\.25 /);
  });

  it('names the main series when it is the one that vanished, "demand" when the spec names none', () => {
    expect(planWith([250, 300, 280], { observed: Number.NaN }).alerts).toEqual([
      'web: cpu metric missing; capacity held at its last good size',
    ]);
    const plain = planWith([], { observed: Number.NaN, resource: undefined, resources: undefined });
    expect(plain.alerts).toEqual(['web: demand metric missing; capacity held at its last good size']);
    const web = planWith([250, 300, 280], { observed: Number.NaN, resource: undefined });
    expect(web.desired.primary).toBe(10);
    expect(web.reasons).toContain('demand metric missing: holding the last good capacity');
    expect(web.alerts).toEqual(['web: demand metric missing; capacity held at its last good size']);
  });

  it('holds the last good capacity when the memory metric vanished, and never scales on it', () => {
    const web = planWith([250, 300, 280], {
      resources: [{ name: 'memory', forecast: forecastOf(T0, HOUR, [250, 300, 280]), observed: Number.NaN }],
    });
    expect(web.desired.primary).toBe(10);
    expect(web.reasons).toContain('memory metric missing: holding the last good capacity');
    expect(web.alerts).toEqual(['web: memory metric missing; capacity held at its last good size']);
  });

  it('never shrinks when the memory forecast failed: sized from observed load, never below current', () => {
    const web = planWith([250], { current: pool(30), resources: [{ name: 'memory', observed: 400 }] });
    // No combined forecast: observed memory 400 GiB = 2,500 CPU units + 20 % = 30 instances; current 30.
    expect(web.desired.primary).toBe(30);
    expect(web.reasons[1]).toMatch(/^no forecast: sized from observed load 2500/);
  });
});

describe('bindingDemand', () => {
  it('takes, at each step, the largest demand in the main units, reading a coarser resource as of each step', () => {
    const main = { name: 'cpu', forecast: forecastOf(T0, 30 * MIN, [100, 100, 100, 100], 0), observed: 100 };
    const mem = { name: 'memory', forecast: forecastOf(T0, HOUR, [1, 3], 0), observed: 1 };
    const b = bindingDemand(main, 100, [mem], { memory: 2 });
    // memory × 50: 50, 50, 150, 150 against CPU 100.
    expect(Array.from(b.forecast!.mean)).toEqual([100, 100, 150, 150]);
    expect(b.binding).toBe('memory');
    expect(b.observed).toBe(100);
  });

  it('refuses a resource the policy gives no units for', () => {
    expect(() =>
      bindingDemand({ name: 'cpu', observed: 1 }, 100, [{ name: 'gpu', observed: 1 }], {}),
    ).toThrow('resource gpu has no units per instance');
  });
});
