// The simulated fleet kept in a file: what one process did, the next finds (instances still
// booting included, the simulated clock, the update log), saved atomically after every update.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimStore, type SimStoreInit, simStoreFile } from '../../src/deploy/sim/store.js';
import { pool } from '../plan/fixtures.js';

const T0 = Date.UTC(2026, 0, 5, 8);
const MIN = 60_000;
/** A pool of `primary` + `shadow` instances sending `toShadow` of traffic to the shadow. */
const s = pool;

const init = (): SimStoreInit => ({
  pool: 'web',
  now: T0,
  initial: s(4, 0),
  demand: { timestamps: [T0], values: [500] },
  config: {
    unitsPerInstance: 250,
    shadowUnitsPerInstance: 250,
    provisionMs: 5 * MIN,
    shadowProvisionMs: 15 * MIN,
    hourlyCost: 0.17,
    shadowHourlyCost: 0.17,
  },
});

describe('SimStore', () => {
  it('is undefined without a file or an init, and created (and saved) from an init', () => {
    const file = simStoreFile(mkdtempSync(join(tmpdir(), 'shadowcast-sim-')), 'web');
    expect(SimStore.open(file)).toBeUndefined();
    const store = SimStore.open(file, init)!;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      version: 1,
      pool: 'web',
      now: new Date(T0).toISOString(),
      updates: [],
    });
    expect(store.clock.now()).toBe(T0);
  });

  it('restores the fleet, its clock and its update log in another process, booting instances still booting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-sim-'));
    const file = simStoreFile(dir, 'web');
    const a = SimStore.open(file, init)!;
    const result = await a.apply('web', s(4, 2), { stepId: 'm1/web#1:provision' });
    expect(result.ok).toBe(true);
    const landed = a.clock.now();
    expect(landed).toBeGreaterThan(T0);
    expect(await a.ready('web', 'shadow')).toBe(false);

    const b = SimStore.open(file)!;
    expect(b.clock.now()).toBe(landed);
    expect(await b.current('web')).toEqual(s(4, 2));
    expect(await b.ready('web', 'shadow')).toBe(false);
    expect(b.updateLog()).toEqual([
      expect.objectContaining({
        n: 1,
        stepId: 'm1/web#1:provision',
        rollback: false,
        ok: true,
        state: s(4, 2),
        pid: process.pid,
      }),
    ]);
    // The shadows requested before the restart become ready on schedule after it.
    await b.clock.sleep(15 * MIN);
    expect(await b.ready('web', 'shadow')).toBe(true);
    await b.apply('web', s(4, 2, 0.1), { stepId: 'm1/web#2:shift' });
    // Serving went on minute by minute on the restored clock, so a gate has signals to read.
    const gate = b.gate([{ metric: 'error_rate', max: 0.01 }]);
    expect(await gate.check('web', b.clock.now() - 10 * MIN, b.clock.now())).toEqual({ pass: true });

    const c = SimStore.open(file)!;
    expect(c.updateLog().map((u) => u.stepId)).toEqual(['m1/web#1:provision', 'm1/web#2:shift']);
    expect(await c.current('web')).toEqual(s(4, 2, 0.1));
    // Instance ids go on where they left off.
    await c.apply('web', s(4, 3, 0.1), { stepId: 'm1/web#3:provision' });
    const ids = JSON.parse(readFileSync(file, 'utf8')).fleet.instances.map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Atomic saves leave no temp files behind.
    expect(readdirSync(join(dir, 'sim'))).toEqual(['web.json']);
  });

  it('logs failed updates and rollbacks too', async () => {
    const file = simStoreFile(mkdtempSync(join(tmpdir(), 'shadowcast-sim-')), 'web');
    const store = SimStore.open(file, init)!;
    store.inject({ kind: 'failed-step', count: 1, pool: 'web', reason: 'injected' });
    expect((await store.apply('web', s(4, 2), { stepId: 'm/x' })).ok).toBe(false);
    await store.rollback('web', s(4, 0), { stepId: 'm/rollback#1' });
    expect(
      SimStore.open(file)!
        .updateLog()
        .map((u) => [u.stepId, u.rollback, u.ok]),
    ).toEqual([
      ['m/x', false, false],
      ['m/rollback#1', true, true],
    ]);
  });

  it('refuses a file that is not a saved fleet, naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shadowcast-sim-')), 'web.json');
    writeFileSync(file, '{"version": 7}');
    expect(() => SimStore.open(file)).toThrow(
      `${file}: not a simulated fleet saved by shadowcast (version 1)`,
    );
  });
});
