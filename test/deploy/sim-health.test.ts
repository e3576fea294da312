// The health gate over the simulated fleet's signals: rules by metric with max and min, the
// earliest breach as the reason, and failing closed when data is missing (none in the window,
// or a metrics outage), so that a step nobody could watch never passes.

import { describe, expect, it } from 'vitest';
import { type HealthRule, SignalLog, SimHealthGate } from '../../src/deploy/sim/health.js';
import type { HealthSignals } from '../../src/deploy/sim/serve.js';
import { loadPolicyDir } from '../../src/policy/load.js';
import { fleetOf, MIN, pool, T0 } from './helpers.js';

const ok: HealthSignals = { error_rate: 0, latency_p99_ms: 80, utilisation: 0.6, availability: 1 };
const rules: HealthRule[] = [
  { metric: 'error_rate', max: 0.01 },
  { metric: 'latency_p99_ms', max: 500 },
  { metric: 'utilisation', min: 0.05 },
];

function logOf(...signals: (Partial<HealthSignals> | null)[]) {
  const log = new SignalLog();
  signals.forEach((s, i) => log.record('web', { t: T0 + i * MIN, signals: s && { ...ok, ...s } }));
  return log;
}

describe('SimHealthGate', () => {
  it.each([
    { name: 'all within limits', signals: [{}, {}, {}], want: { pass: true } },
    {
      name: 'an error rate above max',
      signals: [{}, { error_rate: 0.0523 }, {}],
      want: {
        pass: false,
        reason: 'error_rate 0.0523 above max 0.01 at 2026-11-23T12:01:00.000Z (pool web)',
        breaches: [{ metric: 'error_rate', bound: 'max', limit: 0.01, worst: 0.0523 }],
      },
    },
    {
      name: 'the earliest breach of several',
      signals: [{}, { latency_p99_ms: 900 }, { error_rate: 0.5 }],
      want: {
        pass: false,
        reason: 'latency_p99_ms 900 above max 500 at 2026-11-23T12:01:00.000Z (pool web)',
        // Every rule the window broke, each with its worst value: what a step is held to.
        breaches: [
          { metric: 'error_rate', bound: 'max', limit: 0.01, worst: 0.5 },
          { metric: 'latency_p99_ms', bound: 'max', limit: 500, worst: 900 },
        ],
      },
    },
    {
      name: 'a value below min',
      signals: [{ utilisation: 0.01 }],
      want: {
        pass: false,
        reason: 'utilisation 0.01 below min 0.05 at 2026-11-23T12:00:00.000Z (pool web)',
        breaches: [{ metric: 'utilisation', bound: 'min', limit: 0.05, worst: 0.01 }],
      },
    },
    {
      name: 'a minute with its metrics missing',
      signals: [{}, null, {}],
      want: {
        pass: false,
        reason:
          'metrics missing for pool web: 1 of 3 minutes between 2026-11-23T12:00:00.000Z and ' +
          '2026-11-23T12:02:00.000Z have no health signals (first at 2026-11-23T12:01:00.000Z); failing closed',
      },
    },
  ])('$name', async ({ signals, want }) => {
    const gate = new SimHealthGate(logOf(...signals), rules);
    expect(await gate.check('web', T0, T0 + 2 * MIN)).toEqual(want);
  });

  it('fails with "no health data" when the window holds no sample', async () => {
    const gate = new SimHealthGate(logOf({}, {}), rules);
    expect(await gate.check('web', T0 + 10 * MIN, T0 + 15 * MIN)).toEqual({
      pass: false,
      reason: 'no health data for pool web between 2026-11-23T12:10:00.000Z and 2026-11-23T12:15:00.000Z',
    });
    expect((await gate.check('api', T0, T0 + MIN)).pass).toBe(false);
  });

  it('fails on a metric nobody records, and refuses a rule without a limit', async () => {
    const gate = new SimHealthGate(logOf({}), [{ metric: 'cpu', max: 0.8 }]);
    expect(await gate.check('web', T0, T0)).toEqual({
      pass: false,
      reason:
        'metric cpu is not recorded for pool web (known: error_rate, latency_p99_ms, utilisation, availability)',
    });
    expect(() => new SimHealthGate(logOf(), [{ metric: 'cpu' }])).toThrow(/neither max nor min/);
  });

  it('keeps samples for the retention, replaces a minute served twice', () => {
    const log = new SignalLog(60 * MIN);
    for (let m = 0; m <= 180; m++) log.record('web', { t: T0 + m * MIN, signals: ok });
    log.record('web', { t: T0 + 180 * MIN, signals: null });
    expect(log.samples('web', T0, T0 + 180 * MIN).length).toBeLessThanOrEqual(121);
    expect(log.samples('web', T0 + 120 * MIN, T0 + 180 * MIN)).toHaveLength(61);
    expect(log.samples('web', T0 + 180 * MIN, T0 + 180 * MIN)).toEqual([
      { t: T0 + 180 * MIN, signals: null },
    ]);
  });
});

describe('the gate over the simulated fleet', () => {
  async function serveMinutes({ serveAt }: ReturnType<typeof fleetOf>, minutes: number, demand: number) {
    for (let m = 0; m <= minutes; m++) await serveAt(T0 + m * MIN, demand);
  }

  it('passes a healthy pool and fails an overloaded one on latency', async () => {
    const sim = fleetOf(pool(4));
    const { fleet, serveAt } = sim;
    const gate = new SimHealthGate(fleet, [{ metric: 'latency_p99_ms', max: 500 }]);
    await serveMinutes(sim, 5, 200);
    expect(await gate.check('web', T0, T0 + 5 * MIN)).toEqual({ pass: true });
    await serveAt(T0 + 6 * MIN, 395); // utilisation 0.9875: p99 4000 ms
    expect(await gate.check('web', T0, T0 + 6 * MIN)).toEqual({
      pass: false,
      reason: 'latency_p99_ms 4000 above max 500 at 2026-11-23T12:06:00.000Z (pool web)',
      breaches: [{ metric: 'latency_p99_ms', bound: 'max', limit: 500, worst: expect.closeTo(4000, 6) }],
    });
  });

  // The shipped checkout-api policy gates on availability; a fleet that never recorded it failed
  // every shift's gate and rolled it back.
  it('passes every gate of every shipped policy on a healthy pool, and fails availability on a short one', async () => {
    const set = await loadPolicyDir('policies');
    expect(set.errors).toEqual([]);
    expect([...set.pools.keys()]).toContain('checkout-api');
    const sim = fleetOf(pool(4));
    await serveMinutes(sim, 5, 200);
    for (const [name, resolved] of set.pools) {
      const gate = new SimHealthGate(sim.fleet, resolved.policy.migration.gates);
      expect([name, await gate.check('web', T0, T0 + 5 * MIN)]).toEqual([name, { pass: true }]);
    }
    await sim.serveAt(T0 + 6 * MIN, 500); // 400 units of capacity: a fifth of requests lost
    const availability = new SimHealthGate(sim.fleet, [{ metric: 'availability', min: 0.999 }]);
    expect(await availability.check('web', T0 + 6 * MIN, T0 + 6 * MIN)).toEqual({
      pass: false,
      reason: 'availability 0.8 below min 0.999 at 2026-11-23T12:06:00.000Z (pool web)',
      breaches: [{ metric: 'availability', bound: 'min', limit: 0.999, worst: 0.8 }],
    });
  });

  it('fails closed during an injected metrics outage, though the fleet still serves', async () => {
    const sim = fleetOf(pool(4));
    const { fleet, serveAt } = sim;
    fleet.inject({ kind: 'metrics-outage', from: T0 + 5 * MIN, to: T0 + 8 * MIN });
    await serveMinutes(sim, 10, 200);
    expect(await serveAt(T0 + 6 * MIN, 200)).toMatchObject({ served: 200, signals: null });
    const gate = new SimHealthGate(fleet, rules);
    expect(await gate.check('web', T0, T0 + 4 * MIN)).toEqual({ pass: true });
    for (const [start, end] of [
      [T0 + 5 * MIN, T0 + 7 * MIN], // inside the outage
      [T0 + 4 * MIN, T0 + 9 * MIN], // across it
    ]) {
      const result = await gate.check('web', start!, end!);
      expect(result.pass).toBe(false);
      expect(!result.pass && result.reason).toMatch(/^metrics missing for pool web: .* failing closed$/);
    }
  });
});
