// The fault-injection matrix: every step of a four-step migration × every fault, on the simulated
// fleet kept in a state directory, through the built CLI (`npm test` builds first). Kill cases
// SIGKILL the process mid-step, then run `apply` again as an operator would. Whatever happened,
// the pool must end either fully migrated or back on its last known-good routing, the journal
// must say which (history: outcome and step statuses), and no step's update may have run twice
// (the fleet's own persisted update log, which sees every update whether the journal did or not).

import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/deploy/journal.js';
import { history, type MigrationHistory } from '../../src/pipeline/history.js';
import type { PoolState } from '../../src/core/plan.js';
import {
  apply,
  type CliRun,
  atAnEnd,
  fleetFile,
  fleetState,
  migrationState,
  pooled,
  POOL,
  state,
  STEPS,
} from '../../bench/migration-fixture.js';

type Expect = 'completed' | 'rolled_back';

interface Fault {
  name: string;
  inject: (step: number) => string[];
  /** The process kills itself: `apply` is run again without faults. */
  kills: boolean;
  expected: (step: number) => Expect;
  /** The failing step's reason, when the step is journaled as failed. */
  reason?: RegExp;
}

const FAULTS: Fault[] = [
  {
    name: 'update-failure',
    inject: (n) => [`step=${n}:update-failure`],
    kills: false,
    expected: () => 'rolled_back',
    reason: /update failed: .*injected update-failure/,
  },
  {
    name: 'gate-failure',
    inject: (n) => [`step=${n}:gate-failure`],
    kills: false,
    expected: () => 'rolled_back',
    reason: /health gate failed: injected gate-failure/,
  },
  {
    name: 'metrics-outage',
    inject: (n) => [`step=${n}:metrics-outage`],
    kills: false,
    expected: () => 'rolled_back',
    reason: /health gate failed: metrics missing .* failing closed/,
  },
  {
    name: 'slow-update past the deadline',
    inject: (n) => [`step=${n}:slow-update:30`],
    kills: false,
    expected: () => 'rolled_back',
    reason: /deadline: the update took \d+(\.\d)? min; the step has run .*, past its 15 min/,
  },
  {
    name: 'SIGKILL after the update landed, before the journal knew',
    inject: (n) => [`step=${n}:kill`],
    kills: true,
    expected: () => 'completed',
  },
  {
    name: 'SIGKILL after the intent, before the update',
    inject: (n) => [`step=${n}:kill:after-intent`],
    kills: true,
    // The warm step's state is the provision step's: the target already shows it, so it counts as applied.
    expected: (n) => (n === 2 ? 'completed' : 'rolled_back'),
    reason: /recovery after a crash: step \d was started but the target does not show its state/,
  },
  {
    name: 'SIGKILL mid-bake',
    inject: (n) => [`step=${n}:kill:mid-bake`],
    kills: true,
    expected: () => 'completed',
  },
  {
    name: 'gate failure, then SIGKILL mid-rollback',
    inject: (n) => [`step=${n}:gate-failure`, `step=${n}:kill:mid-rollback`],
    kills: true,
    expected: () => 'rolled_back',
    reason: /health gate failed: injected gate-failure/,
  },
];

interface Case {
  fault: Fault;
  step: number;
  dir: string;
  first: CliRun;
  restart?: CliRun;
}

const cases: Case[] = [];

beforeAll(async () => {
  const jobs = FAULTS.flatMap((fault) =>
    STEPS.map((_, i) => async (): Promise<Case> => {
      const step = i + 1;
      const dir = migrationState();
      const first = await apply(dir, '--inject', ...fault.inject(step));
      const restart = fault.kills ? await apply(dir) : undefined;
      return { fault, step, dir, first, restart };
    }),
  );
  const t0 = Date.now();
  cases.push(...(await pooled(jobs, Math.max(2, availableParallelism()))));
  const seconds = (Date.now() - t0) / 1000;
  console.log(
    `fault matrix: ${cases.length} cases (${STEPS.length} steps × ${FAULTS.length} faults) in ${seconds.toFixed(1)} s`,
  );
}, 600_000);

async function migrationOf(c: Case): Promise<MigrationHistory> {
  const { migrations } = await history(c.dir, POOL);
  expect(migrations).toHaveLength(1);
  return migrations[0]!;
}

describe('fault matrix: every step × every fault ends fully migrated or fully rolled back', () => {
  it(`runs ${STEPS.length} steps × ${FAULTS.length} faults = ${STEPS.length * FAULTS.length} cases`, () => {
    expect(cases).toHaveLength(32);
  });

  const table = FAULTS.flatMap((fault) => STEPS.map((_, i) => ({ fault: fault.name, step: i + 1 })));
  it.each(table)('$fault at step $step', async ({ fault, step }) => {
    const c = cases.find((x) => x.fault.name === fault && x.step === step)!;
    const want = c.fault.expected(step);
    const last = c.restart ?? c.first;
    const why = `${c.first.stderr}\n${c.restart?.stderr ?? ''}`;
    if (c.fault.kills) {
      expect(c.first.signal, why).toBe('SIGKILL');
      expect(c.restart!.stderr).toMatch(/took over a stale lock \(pid \d+ on .* no longer runs/);
      expect(c.restart!.stderr).toMatch(/was left unfinished; recovering it first/);
    }
    expect(last.code, why).toBe(want === 'completed' ? 0 : 1);

    // The fleet is at one end or the other: migrated, or back on the last known-good routing
    // without losing capacity the migration added.
    const final = fleetState(c.dir);
    expect(atAnEnd(final, want), JSON.stringify(final)).toBe(true);

    // The journal says the same.
    const m = await migrationOf(c);
    expect(m.outcome).toBe(want);
    const statuses = m.steps.map((s) => s.status);
    if (want === 'completed') {
      expect(statuses).toEqual(['passed', 'passed', 'passed', 'passed']);
      expect(m.alerts).toEqual([]);
    } else {
      // Steps before the failing one passed, the failing one failed, the rest never started.
      expect(statuses).toEqual(
        STEPS.map((_, i) => (i + 1 < step ? 'passed' : i + 1 === step ? 'failed' : 'pending')),
      );
      expect(m.steps[step - 1]!.reason).toMatch(c.fault.reason!);
      expect(m.reason).toMatch(new RegExp(`step ${step}\\b`));
      expect(m.alerts.some((a) => a.includes('rolled back to the last known-good routing'))).toBe(true);
      expect(m.rollbackFailed).toBe(false);
    }

    // No step's update ran twice, and every update that landed is in the journal.
    const log = fleetFile(c.dir).updates.filter((u) => !u.rollback);
    const ids = log.map((u) => u.stepId);
    expect(new Set(ids).size, ids.join(', ')).toBe(ids.length);
    for (const s of m.steps) {
      expect(s.applied).toBeLessThanOrEqual(1);
      expect(s.fleetUpdates).toBeLessThanOrEqual(1);
      const landed = log.filter((u) => u.ok && u.stepId === `${m.id}/${s.id}`).length;
      expect(landed).toBeLessThanOrEqual(s.applied);
    }

    // Nothing is left behind: the lock is released and the journal has no torn line.
    expect(readdirSync(join(c.dir, 'locks'))).toEqual([]);
    expect(readJournal(join(c.dir, 'journal', `${POOL}.jsonl`)).notes).toEqual([]);
    expect(existsSync(join(c.dir, 'sim', `${POOL}.json`))).toBe(true);
  });
});

describe('fault matrix: a node switch whose drain or deregistration fails is rolled back, the node in service', () => {
  // storefront-p-1 has a warm standby; the one step switches it out (on a real target, its
  // NodeDrain drains or deregisters it in this update, and the gate watches the pool without it).
  const NODE = 'storefront-p-1';
  const start: PoolState = { ...state(4, 0, 0), standby: { [NODE]: 0 } };
  const fixture = {
    start,
    steps: [
      {
        id: `${POOL}#1:switch-${NODE}`,
        kind: 'shift',
        subject: { what: 'switch' as const, nodes: [NODE] },
        at: 0,
        state: { ...start, standby: { [NODE]: 1 } },
        reason: `switch ${NODE} to its standby: drain ${NODE} and take it out of service`,
      },
    ],
  };
  it.each([
    { what: 'a failed drain: the switch update fails', fault: 'update-failure', reason: /update failed/ },
    {
      what: 'a failed deregistration: the gate fails after it',
      fault: 'gate-failure',
      reason: /health gate failed/,
    },
  ])('$what', async ({ fault, reason }) => {
    const dir = migrationState(300, 120_000, fixture);
    const r = await apply(dir, '--inject', `step=1:${fault}`);
    expect(r.code, r.stderr).toBe(1);
    const m = (await history(dir, POOL)).migrations[0]!;
    expect(m.outcome).toBe('rolled_back');
    expect(m.steps[0]!.status).toBe('failed');
    expect(m.steps[0]!.reason).toMatch(reason);
    // The node serves again: its standby back to warm, the node neither removed nor failed.
    expect(fleetState(dir).standby).toEqual({ [NODE]: 0 });
    const node = fleetFile(dir).fleet.instances.find((i) => i.id === NODE)!;
    expect(node.removedAt ?? null).toBeNull();
    expect(node.failedAt ?? null).toBeNull();
  });
});
