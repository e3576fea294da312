// The fault matrix through the real Pulumi engine (bench/engine-faults.ts): each fault at step 3
// of the fixture's four-step migration, applied with `apply --target pulumi` and the local stack
// template, so every step is a `pulumi up` and the simulated fleet changes only through
// shadowcast's provider plugin. Each case must end fully migrated or fully rolled back, with the
// journal agreeing with the fleet, no step's update landing twice, and nothing left locked.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/deploy/journal.js';
import {
  type EngineCase,
  ENGINE_FAULTS,
  FAULT_STEP,
  runEngineMatrix,
  verdict,
} from '../../bench/engine-faults.js';
import { POOL, STEPS } from '../../bench/migration-fixture.js';
import { pulumiCli } from '../support/pulumi-cli.js';

const cli = pulumiCli('engine fault matrix');
const cases: EngineCase[] = [];

describe.skipIf(!cli)(`the fault matrix through the Pulumi engine (${cli ?? 'no CLI'})`, () => {
  beforeAll(async () => {
    const t0 = Date.now();
    cases.push(...(await runEngineMatrix(2)));
    console.log(`engine fault matrix: ${cases.length} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }, 20 * 60_000);

  it.each(ENGINE_FAULTS.map((f) => ({ name: f.name })))('$name', async ({ name }) => {
    const c = cases.find((x) => x.fault.name === name)!;
    const last = c.restart ?? c.first;
    const why = `${c.first.stderr}\n${c.restart?.stderr ?? ''}`;
    if (c.fault.kills) expect(c.first.signal, why).toBe('SIGKILL');
    else expect(c.first.signal, why).toBeNull();

    const v = await verdict(c);
    if (c.fault.expected === 'either') expect(['completed', 'rolled_back'], why).toContain(v.outcome);
    else expect(v.outcome, why).toBe(c.fault.expected);
    expect(last.code, why).toBe(v.outcome === 'completed' ? 0 : 1);
    // The fleet is exactly at the end the journal names, and no step landed twice.
    expect(v.fleetAgrees, why).toBe(true);
    expect(v.appliedTwice, why).toBe(0);

    const m = v.migration;
    if (v.outcome === 'completed') {
      expect(m.steps.map((s) => s.status)).toEqual(STEPS.map(() => 'passed'));
    } else {
      expect(m.steps[FAULT_STEP - 1]!.status).toBe('failed');
      if (c.fault.reason) expect(m.steps[FAULT_STEP - 1]!.reason).toMatch(c.fault.reason);
      expect(m.alerts.some((a) => a.includes('rolled back to the last known-good routing'))).toBe(true);
      expect(m.rollbackFailed).toBe(false);
    }
    for (const s of m.steps) expect(s.applied).toBeLessThanOrEqual(1);
    if (c.fault.says) expect(why).toMatch(c.fault.says);

    // Nothing is left behind: the pool's lock, the stack's lock, a torn journal line.
    expect(readdirSync(join(c.dir, 'locks'))).toEqual([]);
    const stackLocks = join(c.dir, 'pulumi', '.pulumi', 'locks');
    const held = (dir: string): string[] => {
      try {
        return readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => e.name);
      } catch {
        return [];
      }
    };
    expect(held(stackLocks)).toEqual([]);
    expect(readJournal(join(c.dir, 'journal', `${POOL}.jsonl`)).notes).toEqual([]);
  });
});
