// The simulated fleet as a deploy target: updates take time on the clock and can fail, capacity
// boots before it serves, crashes are replaced after detection, faults can be injected, and the
// same seed gives the same fleet. Everything runs on a FakeClock: no test waits for real time.

import { describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../src/core/seams.js';
import { SimFleet } from '../../src/deploy/sim/fleet.js';
import { FakeClock } from '../../src/core/clock.js';
import { fleetOf, MIN, pool, T0 } from './helpers.js';

const UPDATE = 45_000;

describe('an update', () => {
  it('takes updateMs on the clock and reports itself', async () => {
    const { clock, fleet } = fleetOf(pool(2));
    const seen: DeployEvent[] = [];
    const result = await fleet.apply('web', pool(3), { stepId: 'web#1', onEvent: (e) => seen.push(e) });
    expect(result).toEqual({ ok: true, state: pool(3) });
    expect(clock.now()).toBe(T0 + UPDATE);
    expect(seen.map((e) => [e.kind, e.at])).toEqual([
      ['update-started', T0],
      ['update-done', T0 + UPDATE],
    ]);
    expect(seen[1]!.message).toBe('update web#1 done in 45.0 s: primary 2 -> 3');
  });

  it('varies by the seeded jitter, within ±20 % by default', async () => {
    const durations = async (seed: number) => {
      const { clock, fleet } = fleetOf(pool(2), {}, { updateJitter: 0.2, seed });
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = clock.now();
        await fleet.apply('web', pool(2 + i));
        out.push(clock.now() - before);
      }
      return out;
    };
    const a = await durations(7);
    expect(await durations(7)).toEqual(a);
    expect(await durations(8)).not.toEqual(a);
    for (const ms of a) {
      expect(ms).toBeGreaterThanOrEqual(36_000);
      expect(ms).toBeLessThanOrEqual(54_000);
    }
  });

  it('changes routing only at its end', async () => {
    const { fleet, serveAt } = fleetOf(pool(2, 2));
    await fleet.apply('web', pool(2, 2, { primary: 0.5, shadow: 0.5 }));
    expect((await serveAt(T0 + UPDATE - 1, 100)).targets.shadow.offered).toBe(0);
    expect((await serveAt(T0 + UPDATE, 100)).targets.shadow.offered).toBe(50);
  });

  it('is idempotent: the same state twice changes nothing', async () => {
    const { fleet } = fleetOf(pool(2));
    const desired = pool(4, 1, { primary: 0.9, shadow: 0.1 }, { 'web-p-0': 0 });
    await fleet.apply('web', desired);
    const before = fleet.instances('web').map((i) => ({ ...i }));
    const again = await fleet.apply('web', desired);
    expect(again).toEqual({ ok: true, state: desired });
    expect(fleet.instances('web')).toEqual(before);
    expect(fleet.events('web').at(-1)!.message).toMatch(/done in 45\.0 s: no changes$/);
  });

  it('removes instances that are not ready first, then the newest', async () => {
    const { clock, fleet } = fleetOf(pool(4));
    await fleet.apply('web', pool(6)); // web-p-4 and web-p-5 boot until T0 + 45 s + 5 min
    await fleet.apply('web', pool(3));
    const removed = () =>
      fleet
        .instances('web')
        .filter((i) => i.removedAt !== undefined)
        .map((i) => i.id);
    expect(removed()).toEqual(['web-p-5', 'web-p-4', 'web-p-3']);
    await clock.sleep(10 * MIN);
    await fleet.apply('web', pool(5)); // web-p-6, web-p-7
    await clock.sleep(10 * MIN);
    await fleet.apply('web', pool(4)); // all ready: the newest goes
    expect(removed().at(-1)).toBe('web-p-7');
  });

  it('refuses a second update of the same pool while one runs, as a stack lock does', async () => {
    const { fleet } = fleetOf(pool(2));
    const first = fleet.apply('web', pool(3));
    const second = await fleet.apply('web', pool(5));
    expect(second.ok).toBe(false);
    expect(second.reason).toMatch(/another update of web is in progress/);
    expect((await first).state.primary).toBe(3);
  });

  it.each([
    {
      name: 'weights that do not sum to 1',
      state: pool(2, 0, { primary: 0.5, shadow: 0.4 }),
      reason: /sum to 1/,
    },
    { name: 'a negative size', state: pool(-1), reason: /primary must be a whole number/ },
    { name: 'a fractional size', state: pool(2, 1.5), reason: /shadow must be a whole number/ },
    {
      name: 'a standby share above 1',
      state: pool(2, 0, undefined, { 'web-p-0': 1.2 }),
      reason: /share of web-p-0/,
    },
  ])('fails on $name without touching the pool', async ({ state, reason }) => {
    const { fleet } = fleetOf(pool(2));
    const result = await fleet.apply('web', state);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(reason);
    expect(result.state).toEqual(pool(2));
  });

  it("tells the update's caller what happens during it; the fleet's listener hears everything", async () => {
    const all: DeployEvent[] = [];
    const { fleet, advanceTo } = fleetOf(
      pool(2),
      {},
      {
        onEvent: (e) => all.push(e),
        failures: [{ at: T0 + 10_000, pool: 'web', instance: 'web-p-0' }],
      },
    );
    const seen: DeployEvent[] = [];
    await fleet.apply('web', pool(3), { onEvent: (e) => seen.push(e) });
    expect(seen.map((e) => [e.kind, e.at])).toEqual([
      ['update-started', T0],
      ['instance-failed', T0 + 10_000],
      ['update-done', T0 + UPDATE],
    ]);
    // web-p-2 replaces web-p-0 (asked for at T0 + 130 s, ready at T0 + 430 s); web-p-3 is the
    // update's (asked for at T0 + 45 s, ready at T0 + 345 s).
    await advanceTo(T0 + 430_000);
    fleet.readyCapacity('web', T0 + 430_000);
    expect(all.map((e) => [e.kind, e.at])).toEqual([
      ['update-started', T0],
      ['instance-failed', T0 + 10_000],
      ['update-done', T0 + UPDATE],
      ['instance-ready', T0 + 345_000],
      ['instance-ready', T0 + 430_000],
    ]);
    expect(all.slice(-2).map((e) => e.message)).toEqual([
      'web-p-3 ready after 300.0 s',
      'web-p-2 ready after 300.0 s',
    ]);
    expect(seen).toHaveLength(3);
  });

  it('keeps only the newest maxEvents events', async () => {
    const { fleet } = fleetOf(pool(2), {}, { maxEvents: 3 });
    for (let i = 0; i < 3; i++) await fleet.apply('web', pool(2), { stepId: `web#${i}` });
    expect(fleet.events().map((e) => e.message.split(' ').slice(0, 2).join(' '))).toEqual([
      'update web#1',
      'update web#2',
      'update web#2',
    ]);
  });

  it('rolls back as an update marked as a rollback', async () => {
    const { fleet } = fleetOf(pool(2));
    await fleet.apply('web', pool(4));
    const result = await fleet.rollback('web', pool(2), { stepId: 'web#2' });
    expect(result).toEqual({ ok: true, state: pool(2) });
    expect(
      fleet
        .events('web')
        .slice(-3)
        .map((e) => e.kind),
    ).toEqual(['rollback', 'update-started', 'update-done']);
    expect(fleet.events('web').at(-1)!.message).toMatch(/^rollback web#2 done/);
  });
});

describe('misuse', () => {
  it('refuses to serve ahead of the clock: a later update would land before minutes already served', () => {
    const { fleet } = fleetOf(pool(2));
    expect(() => fleet.serve('web', T0 + MIN, 100)).toThrow(
      'cannot serve web at 2026-11-23T12:01:00.000Z, ahead of the clock (2026-11-23T12:00:00.000Z): advance the clock first',
    );
    expect(fleet.serve('web', T0, 100).served).toBe(100);
  });

  it.each([
    { name: 'an unknown pool', call: (f: SimFleet) => f.readyCapacity('api', T0), error: /has no pool api/ },
    { name: 'negative demand', call: (f: SimFleet) => f.serve('web', T0, -1), error: /demand must be >= 0/ },
    {
      name: 'a slow-provisioning factor of 0',
      call: (f: SimFleet) => f.inject({ kind: 'slow-provisioning', from: T0, to: T0 + MIN, factor: 0 }),
      error: /factor must be positive/,
    },
  ])('throws on $name', ({ call, error }) => {
    expect(() => call(fleetOf(pool(2)).fleet)).toThrow(error);
  });
});

describe('provisioning', () => {
  it('pays for new instances from the end of their update, before they serve; weights change with the update', async () => {
    const { clock, fleet } = fleetOf(pool(2, 1));
    await fleet.apply('web', pool(4, 1, { primary: 0.8, shadow: 0.2 }));
    expect(fleet.paidAt('web', T0 + UPDATE - 1)).toBe(3);
    expect(fleet.weightsAt('web', T0 + UPDATE - 1)).toEqual({ primary: 1, shadow: 0 });
    expect(fleet.paidAt('web', T0 + UPDATE)).toBe(5);
    expect(fleet.weightsAt('web', T0 + UPDATE)).toEqual({ primary: 0.8, shadow: 0.2 });
    expect(fleet.readyCapacity('web', T0 + UPDATE).primary).toBe(200);
    await fleet.apply('web', pool(1, 1, { primary: 0.8, shadow: 0.2 }));
    expect(fleet.paidAt('web', clock.now())).toBe(2);
  });

  it('new capacity serves only once ready (provisionMs after the update ends)', async () => {
    const { fleet, serveAt } = fleetOf(pool(2));
    await fleet.apply('web', pool(4));
    const ready = T0 + UPDATE + 5 * MIN;
    expect(fleet.readyCapacity('web', ready - 1).primary).toBe(200);
    expect(fleet.readyCapacity('web', ready).primary).toBe(400);
    expect(await serveAt(T0 + UPDATE + MIN, 300)).toMatchObject({ served: 200, shortfall: 100 });
    expect(await serveAt(ready, 300)).toMatchObject({ served: 300, shortfall: 0 });
    expect(
      fleet
        .events('web')
        .filter((e) => e.kind === 'instance-ready')
        .map((e) => [e.at, e.message]),
    ).toEqual([
      [ready, 'web-p-2 ready after 300.0 s'],
      [ready, 'web-p-3 ready after 300.0 s'],
    ]);
  });

  it('shadow instances boot in shadowProvisionMs', async () => {
    const { fleet } = fleetOf(pool(2), { shadowProvisionMs: 2 * MIN, shadowUnitsPerInstance: 50 });
    await fleet.apply('web', pool(2, 2));
    expect(fleet.readyCapacity('web', T0 + UPDATE + 2 * MIN - 1).shadow).toBe(0);
    expect(fleet.readyCapacity('web', T0 + UPDATE + 2 * MIN).shadow).toBe(100);
  });

  it('is slower by the injected factor for instances asked for inside the window', async () => {
    const { clock, fleet } = fleetOf(pool(2));
    fleet.inject({ kind: 'slow-provisioning', from: T0, to: T0 + 30 * MIN, factor: 3 });
    await fleet.apply('web', pool(3));
    await clock.sleep(40 * MIN);
    await fleet.apply('web', pool(4));
    const boot = (id: string) => {
      const i = fleet.instances('web').find((x) => x.id === id)!;
      return i.readyAt - i.requestedAt;
    };
    expect([boot('web-p-2'), boot('web-p-3')]).toEqual([15 * MIN, 5 * MIN]);
  });
});

describe('failures', () => {
  it('a crashed instance stops serving at once; its replacement is asked for after detection', async () => {
    const crashAt = T0 + 10 * MIN;
    const { fleet, advanceTo } = fleetOf(
      pool(4),
      {},
      { failures: [{ at: crashAt, pool: 'web', instance: 'web-p-2' }] },
    );
    // Looking ahead assumes nothing more happens: the crash is not known before the clock gets there.
    expect(fleet.readyCapacity('web', crashAt).primary).toBe(400);
    await advanceTo(crashAt);
    expect(fleet.readyCapacity('web', crashAt - 1).primary).toBe(400);
    expect(fleet.readyCapacity('web', crashAt).primary).toBe(300);
    expect(fleet.nodes('web', crashAt)).toEqual(['web-p-0', 'web-p-1', 'web-p-3']);
    const replacement = fleet.instances('web').find((i) => i.replaces === 'web-p-2')!;
    expect(replacement).toMatchObject({
      id: 'web-p-4',
      role: 'primary',
      requestedAt: crashAt + 2 * MIN,
      readyAt: crashAt + 7 * MIN,
    });
    expect(fleet.readyCapacity('web', crashAt + 7 * MIN - 1).primary).toBe(300);
    expect(fleet.readyCapacity('web', crashAt + 7 * MIN).primary).toBe(400);
    await advanceTo(crashAt + 7 * MIN);
    expect((await fleet.current('web')).primary).toBe(4); // the group's desired size never changed
    expect(fleet.events('web').map((e) => [e.kind, e.at])).toEqual([
      ['instance-failed', crashAt],
      ['instance-ready', crashAt + 7 * MIN],
    ]);
  });

  it('a crash of "any" picks an in-service instance, the same one for the same seed', async () => {
    const victim = async (seed: number) => {
      const { fleet, advanceTo } = fleetOf(pool(6), {}, { seed });
      fleet.inject({ kind: 'crash', at: T0 + MIN, pool: 'web' });
      await advanceTo(T0 + MIN);
      fleet.readyCapacity('web', T0 + MIN);
      return fleet.instances('web').find((i) => i.failedAt !== undefined)!.id;
    };
    expect(await victim(3)).toBe(await victim(3));
    const victims = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(victim));
    expect(new Set(victims).size).toBeGreaterThan(1);
  });

  it('the random process fails instances at about the given rate, each replaced after detection', async () => {
    const { fleet, advanceTo } = fleetOf(pool(20), {}, { failureRatePerHour: 0.05, seed: 11 });
    await advanceTo(T0 + 48 * 3_600_000);
    fleet.readyCapacity('web', T0 + 48 * 3_600_000);
    const failed = fleet.instances('web').filter((i) => i.failedAt !== undefined);
    // 20 instances × 48 h × 0.05/h = 48 expected failures; Poisson sd ≈ 7.
    expect(failed.length).toBeGreaterThan(25);
    expect(failed.length).toBeLessThan(75);
    for (const f of failed) {
      const r = fleet.instances('web').find((i) => i.replaces === f.id)!;
      expect(r.requestedAt).toBe(f.failedAt! + 2 * MIN);
    }
  });

  it('a crash while booting counts too, and the replacement boots in full', async () => {
    const { fleet, advanceTo } = fleetOf(pool(1));
    await fleet.apply('web', pool(2));
    fleet.inject({ kind: 'crash', at: T0 + UPDATE + MIN, pool: 'web', instance: 'web-p-1' });
    await advanceTo(T0 + UPDATE + MIN);
    expect(fleet.readyCapacity('web', T0 + UPDATE + 5 * MIN).primary).toBe(100);
    expect(fleet.readyCapacity('web', T0 + UPDATE + 8 * MIN).primary).toBe(200);
  });
});

describe('standby', () => {
  // 4 nodes of 100 units at demand 300: 75 units per node, so any three can carry the pool.
  it.each([
    { share: 0, lost: 75 },
    { share: 0.5, lost: 37.5 },
    { share: 1, lost: 0 },
  ])('a covered node that fails with share $share moved loses $lost units', async ({ share, lost }) => {
    const crashAt = T0 + 10 * MIN;
    const { serveAt } = fleetOf(
      pool(4, 0, undefined, { 'web-p-1': share }),
      {},
      {
        failures: [{ at: crashAt, pool: 'web', instance: 'web-p-1' }],
      },
    );
    expect((await serveAt(crashAt - MIN, 300)).shortfall).toBe(0);
    expect((await serveAt(crashAt + MIN, 300)).shortfall).toBeCloseTo(lost, 9);
  });

  it('an uncovered node that fails loses nothing when the others have room', async () => {
    const crashAt = T0 + 10 * MIN;
    const { serveAt } = fleetOf(
      pool(4),
      {},
      { failures: [{ at: crashAt, pool: 'web', instance: 'web-p-1' }] },
    );
    expect((await serveAt(crashAt + MIN, 300)).shortfall).toBe(0);
  });

  it('work moved before the standby is ready is lost until it is', async () => {
    const { fleet, serveAt } = fleetOf(pool(4));
    await fleet.apply('web', pool(4, 0, undefined, { 'web-p-1': 1 }));
    const ready = T0 + UPDATE + 5 * MIN;
    expect((await serveAt(ready - 1, 400)).shortfall).toBe(100);
    expect((await serveAt(ready, 400)).shortfall).toBe(0);
    expect(fleet.readyCapacity('web', ready)).toEqual({ primary: 400, standby: 100, shadow: 0 });
  });

  it('a standby dropped from the state is removed; one added is asked for', async () => {
    const { fleet } = fleetOf(pool(4, 0, undefined, { 'web-p-1': 0 }));
    await fleet.apply('web', pool(4, 0, undefined, { 'web-p-2': 0 }));
    const standbys = fleet.instances('web').filter((i) => i.role === 'standby');
    expect(standbys.map((i) => [i.id, i.standbyFor, i.removedAt])).toEqual([
      ['web-sb-1', 'web-p-2', undefined],
      ['web-sb-0', 'web-p-1', T0 + UPDATE],
    ]);
  });
});

describe('retiring a switched node', () => {
  it('removes the node for good, launches its replacement, and its standby serves its slot until released', async () => {
    // web-p-1 switched: its standby (ready from the start) serves its slot.
    const { fleet, serveAt } = fleetOf(pool(4, 0, undefined, { 'web-p-1': 1 }));
    const retired = { ...pool(4, 0, undefined, { 'web-p-1': 1 }), retired: ['web-p-1'] };
    const result = await fleet.apply('web', retired, { stepId: 'web#1:retire' });
    expect(result).toEqual({ ok: true, state: retired });
    const at = T0 + UPDATE;
    const p1 = fleet.instances('web').find((i) => i.id === 'web-p-1')!;
    expect(p1.removedAt).toBe(at);
    const replacement = fleet.instances('web').find((i) => i.id === 'web-p-4')!;
    expect(replacement).toMatchObject({ role: 'primary', requestedAt: at, readyAt: at + 5 * MIN });
    expect(fleet.nodes('web', at)).toEqual(['web-p-0', 'web-p-2', 'web-p-3']);
    // While the replacement boots, three nodes and the standby carry four slots: nothing lost.
    expect((await serveAt(at + MIN, 400)).shortfall).toBe(0);
    expect((await serveAt(at + 5 * MIN, 400)).shortfall).toBe(0);
    // Released: the standby goes, the replacement has the slot.
    await fleet.apply('web', pool(4), { stepId: 'web#3:decommission' });
    expect(await fleet.current('web')).toEqual(pool(4));
    const done = T0 + 2 * UPDATE + 5 * MIN;
    expect((await serveAt(done, 400)).shortfall).toBe(0);
    expect(fleet.instances('web').filter((i) => i.role === 'standby' && i.removedAt === undefined)).toEqual(
      [],
    );
  });

  it('refuses to retire a node whose standby does not serve in its place', async () => {
    const { fleet } = fleetOf(pool(4, 0, undefined, { 'web-p-1': 0 }));
    const result = await fleet.apply('web', {
      ...pool(4, 0, undefined, { 'web-p-1': 0 }),
      retired: ['web-p-1'],
    });
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/retires web-p-1, which is not switched to a standby \(share 1\)/);
    expect(fleet.instances('web').find((i) => i.id === 'web-p-1')!.removedAt).toBeUndefined();
  });

  it('reports a node with a standby that failed as down, until it is retired', async () => {
    const crashAt = T0 + 10 * MIN;
    const { fleet, advanceTo } = fleetOf(
      pool(4, 0, undefined, { 'web-p-1': 0, 'web-p-2': 0 }),
      {},
      {
        failures: [{ at: crashAt, pool: 'web', instance: 'web-p-1' }],
      },
    );
    expect(fleet.down('web', crashAt - 1)).toEqual([]);
    await advanceTo(crashAt);
    expect(fleet.down('web', crashAt)).toEqual(['web-p-1']);
    await fleet.apply('web', {
      ...pool(4, 0, undefined, { 'web-p-1': 1, 'web-p-2': 0 }),
      retired: ['web-p-1'],
    });
    expect(fleet.down('web', crashAt + UPDATE)).toEqual([]);
  });
});

describe('zones', () => {
  const zoned = (initial = pool(6), options = {}) => fleetOf(initial, { zones: ['a', 'b', 'c'] }, options);
  const byZone = (fleet: ReturnType<typeof zoned>['fleet'], t: number) => {
    const out: Record<string, number> = {};
    for (const i of fleet.instances('web')) {
      if (i.role === 'primary' && i.readyAt <= t && (i.failedAt ?? Infinity) > t && i.removedAt === undefined)
        out[i.zone!] = (out[i.zone!] ?? 0) + 1;
    }
    return out;
  };

  it('spreads primaries evenly over the zones, and puts a standby where the state places it', async () => {
    const { fleet } = zoned();
    expect(byZone(fleet, T0)).toEqual({ a: 2, b: 2, c: 2 });
    await fleet.apply('web', {
      ...pool(7, 0, undefined, { 'web-p-0': 0 }),
      standbyZones: { 'web-p-0': 'c' },
    });
    const standby = fleet.instances('web').find((i) => i.role === 'standby')!;
    expect(standby.zone).toBe('c');
    expect((await fleet.current('web')).standbyZones).toEqual({ 'web-p-0': 'c' });
    expect(fleet.instances('web').find((i) => i.id === 'web-p-6')!.zone).toBe('a');
  });

  it('a zone outage fails every instance in the zone; the replacements go to the other zones', async () => {
    const from = T0 + 30 * MIN;
    const { fleet, serveAt } = zoned(pool(6), {});
    fleet.inject({ kind: 'zone-outage', zone: 'b', from, to: from + 2 * 3_600_000, pool: 'web' });
    expect((await serveAt(from - MIN, 600)).shortfall).toBe(0);
    // Two of six nodes gone: a third of the demand is lost until the replacements serve.
    expect((await serveAt(from + MIN, 600)).shortfall).toBeCloseTo(200, 6);
    const failed = fleet.instances('web').filter((i) => i.failedAt === from);
    expect(failed.map((i) => i.zone)).toEqual(['b', 'b']);
    const replacements = fleet.instances('web').filter((i) => i.replaces !== undefined);
    expect(replacements.map((i) => i.zone).sort()).toEqual(['a', 'c']);
    const ready = Math.max(...replacements.map((i) => i.readyAt));
    expect((await serveAt(ready, 600)).shortfall).toBe(0);
    expect(byZone(fleet, ready)).toEqual({ a: 3, c: 3 });
    // With a third more than the need spread over the zones, the same outage loses nothing.
    const spare = zoned(pool(9));
    spare.fleet.inject({ kind: 'zone-outage', zone: 'b', from, to: from + 2 * 3_600_000, pool: 'web' });
    expect((await spare.serveAt(from + MIN, 600)).shortfall).toBe(0);
  });

  it('refuses an outage of a zone the pool does not have', () => {
    const { fleet } = zoned();
    expect(() => fleet.inject({ kind: 'zone-outage', zone: 'x', from: T0, to: T0 + 1, pool: 'web' })).toThrow(
      'zone outage: pool web has no zone x (it has a, b, c)',
    );
  });
});

describe('injected failed steps', () => {
  it('the next N updates fail after taking their time, leaving the pool as it was', async () => {
    const { clock, fleet } = fleetOf(pool(2));
    fleet.inject({ kind: 'failed-step', count: 2, reason: 'provider error' });
    for (let i = 1; i <= 2; i++) {
      const result = await fleet.apply('web', pool(5), { stepId: `web#${i}` });
      expect(result).toEqual({
        ok: false,
        state: pool(2),
        reason: `update web#${i} failed after 45.0 s: provider error`,
      });
      expect(clock.now()).toBe(T0 + i * UPDATE);
    }
    expect(fleet.events('web').filter((e) => e.kind === 'update-failed')).toHaveLength(2);
    expect(fleet.instances('web')).toHaveLength(2);
    expect((await fleet.apply('web', pool(5))).ok).toBe(true);
  });

  it('a step id (or pattern) fails only the steps it matches', async () => {
    const { fleet } = fleetOf(pool(2));
    fleet.inject({ kind: 'failed-step', stepId: /#2$/ });
    const ok = async (stepId: string) => (await fleet.apply('web', pool(3), { stepId })).ok;
    expect([await ok('web#1'), await ok('web#2'), await ok('web#3'), await ok('web#2')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});

describe('accounting', () => {
  it('node-hours and cost on a hand-computed hour', async () => {
    // From T0: 2 primaries and 1 shadow. At T0 + 45 s an update adds web-p-2 and removes web-s-0;
    // web-p-0 crashes at T0 + 30 min, and its replacement web-p-3 is asked for at T0 + 32 min.
    const { fleet, advanceTo } = fleetOf(
      pool(2, 1),
      { hourlyCost: 2, shadowHourlyCost: 0.5 },
      {
        failures: [{ at: T0 + 30 * MIN, pool: 'web', instance: 'web-p-0' }],
      },
    );
    await fleet.apply('web', pool(3, 0));
    const hour = T0 + 60 * MIN;
    await advanceTo(hour);
    // web-p-0 30 min + web-p-1 60 + web-p-2 59.25 + web-p-3 28 = 177.25 min; web-s-0 0.75 min.
    const hours = fleet.nodeHours('web', T0, hour);
    expect(hours.primary).toBeCloseTo(177.25 / 60, 12);
    expect(hours.shadow).toBeCloseTo(0.75 / 60, 12);
    expect(hours.standby).toBe(0);
    expect(hours.total).toBeCloseTo(178 / 60, 12);
    const cost = fleet.cost('web', T0, hour);
    expect(cost.primary).toBeCloseTo((177.25 / 60) * 2, 12);
    expect(cost.shadow).toBeCloseTo((0.75 / 60) * 0.5, 12);
    // The second half hour: web-p-1, web-p-2 30 min each, web-p-3 28.
    expect(fleet.nodeHours('web', T0 + 30 * MIN, hour).primary).toBeCloseTo(88 / 60, 12);
    // Booting counts: web-p-3 is paid for from its request, though it serves only from T0 + 37 min.
    expect(fleet.nodeHours('web', T0 + 32 * MIN, T0 + 37 * MIN).primary).toBeCloseTo(15 / 60, 12);
  });

  it('standbys cost as primaries do', () => {
    const { fleet } = fleetOf(pool(1, 0, undefined, { 'web-p-0': 0 }), { hourlyCost: 3 });
    expect(fleet.cost('web', T0, T0 + 3_600_000)).toEqual({ primary: 3, shadow: 0, standby: 3, total: 6 });
  });
});

describe('determinism', () => {
  /** Twelve hours of two pools; `peek` also asks about the future every minute, which must change nothing. */
  async function scenario(seed: number, peek = false) {
    const clock = new FakeClock(T0);
    const fleet = new SimFleet({
      clock,
      seed,
      failureRatePerHour: 0.02,
      pools: {
        web: { initial: pool(6, 1, { primary: 0.9, shadow: 0.1 }), unitsPerInstance: 100 },
        api: { initial: pool(3), unitsPerInstance: 50, provisionMs: 90_000 },
      },
    });
    fleet.inject({ kind: 'crash', at: T0 + 3 * 3_600_000, pool: 'api' });
    const served: number[] = [];
    for (let minute = 0; minute < 12 * 60; minute++) {
      const t = T0 + minute * MIN;
      if (clock.now() < t) await clock.sleep(t - clock.now());
      if (minute % 90 === 0) {
        await fleet.apply('web', pool(5 + ((minute / 90) % 3), 1, { primary: 0.9, shadow: 0.1 }));
        await fleet.apply('api', pool(3 + ((minute / 90) % 2)));
      }
      served.push(fleet.serve('web', t, 400 + 200 * Math.sin(minute / 60)).served);
      served.push(fleet.serve('api', t, 120).served);
      if (peek) {
        fleet.readyCapacity('web', t + 5 * 3_600_000);
        fleet.nodeHours('api', T0, t + 24 * 3_600_000);
      }
    }
    return { served, events: fleet.events(), hours: fleet.nodeHours('web', T0, T0 + 12 * 3_600_000) };
  }

  it('the same seed gives the same fleet, minute by minute; another seed another', async () => {
    const a = await scenario(5);
    expect(await scenario(5)).toEqual(a);
    expect((await scenario(6)).events).not.toEqual(a.events);
  });

  it('looking ahead (capacity, node-hours) never changes what the fleet does', async () => {
    expect(await scenario(5, true)).toEqual(await scenario(5));
  });
});
