// The executor's rules, one at a time. A small in-memory deployer stands in for the target here
// because these tests need behaviour the simulated fleet cannot show (an update that never
// returns, a rollback that reports success and changes nothing); the fault matrix runs the same
// executor against the simulated fleet through the CLI.

import { readFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import type { ApplyOptions, ApplyResult, Clock, Deployer, GateResult } from '../../src/core/seams.js';
import { type CrashPoint, Executor, type ExecutorOptions, LockLostError } from '../../src/deploy/executor.js';
import { hookFrom } from '../../src/deploy/hooks.js';
import { type JournalRecord, MemoryJournal, type NewRecord } from '../../src/deploy/journal.js';
import { migrationsOf, ownerOf, recoveryFor } from '../../src/deploy/migrations.js';
import { processStartTime } from '../../src/deploy/process.js';
import { pool } from '../plan/fixtures.js';
import { executorHarness, MIN, passing, plan, STEPS, stepsOf, T0 } from './executor-harness.js';

/** A pool of `primary` + `shadow` instances sending `toShadow` of traffic to the shadow. */
const s = pool;

/** An in-memory stack: updates take `updateMs` on the clock and land at the end. */
class MemoryTarget implements Deployer {
  applied: string[] = [];
  rollbacks: { stepId: string; state: PoolState }[] = [];
  cancelled = 0;
  hang = false;
  failRollbacks = false;
  lieOnRollback = false;
  /** Reports every forward update applied while changing nothing (a deployer that lies). */
  lieOnApply = false;

  constructor(
    public state: PoolState,
    private readonly clock: Clock,
    private readonly updateMs = 45_000,
  ) {}

  async current(): Promise<PoolState> {
    return structuredClone(this.state);
  }

  async apply(_pool: string, desired: PoolState, o?: ApplyOptions): Promise<ApplyResult> {
    this.applied.push(o!.stepId!);
    if (this.hang) return new Promise(() => {});
    await this.clock.sleep(this.updateMs);
    if (this.lieOnApply) return { ok: true, state: structuredClone(desired) };
    this.state = structuredClone(desired);
    return { ok: true, state: this.state };
  }

  async rollback(_pool: string, to: PoolState, o?: ApplyOptions): Promise<ApplyResult> {
    this.rollbacks.push({ stepId: o!.stepId!, state: to });
    await this.clock.sleep(this.updateMs);
    if (this.failRollbacks) return { ok: false, state: this.state, reason: 'stack locked' };
    if (!this.lieOnRollback) this.state = structuredClone(to);
    return { ok: true, state: this.state };
  }

  async cancel(): Promise<void> {
    this.cancelled++;
    this.hang = false;
  }
}

class Crash extends Error {}

function setup(over: Partial<ExecutorOptions> = {}, start = s(4, 0)) {
  const clock = over.clock ?? new FakeClock(T0);
  const target = new MemoryTarget(start, clock);
  return { clock, target, ...executorHarness(target, clock, over) };
}

const crashAt = (point: CrashPoint, index: number) => (p: CrashPoint, step?: { index: number }) => {
  if (p === point && step?.index === index) throw new Crash(`${point} ${index}`);
};

describe('a migration without faults', () => {
  it('journals intent, applied and gate-passed for every step, in order, and completes', async () => {
    const gates: [number, number][] = [];
    const { make, kinds, target } = setup({
      gate: { check: async (_p, a, b) => (gates.push([a, b]), { pass: true }) },
    });
    const result = await make().start('web', plan());
    expect(result).toMatchObject({ outcome: 'completed', stepsPassed: 4, alerts: [] });
    expect(kinds()).toEqual([
      'migration-started',
      ...STEPS.flatMap(() => ['step-intent', 'step-applied', 'gate-passed']),
      'migration-completed',
    ]);
    expect(target.applied).toEqual(STEPS.map((x) => `web-1/${x.id}`));
    // Each gate watched exactly the bake time after its update.
    expect(gates.map(([a, b]) => b - a)).toEqual([2 * MIN, 2 * MIN, 2 * MIN, 2 * MIN]);
  });
});

describe('a migration started after its plan was made', () => {
  it('moves every step by the delay, so a warm step still comes its lead time after its provision', async () => {
    const timed = stepsOf(['provision', s(4, 2)], ['warm', s(4, 2)]).map((x, i) => ({
      ...x,
      notBefore: T0 + i * 16 * MIN,
    }));
    const clock = new FakeClock(T0 + 60 * MIN);
    const { make, records } = setup({ clock });
    expect((await make().start('web', plan(timed))).outcome).toBe('completed');
    const intents = records.filter((r) => r.kind === 'step-intent').map((r) => Date.parse(r.at) - T0);
    expect(intents).toEqual([60 * MIN, 76 * MIN]);
    expect(records[0]!.plan).toMatchObject({ delayMs: 60 * MIN, steps: timed });
    expect(migrationsOf(records)[0]!.steps.map((x) => x.notBefore - T0)).toEqual([60 * MIN, 76 * MIN]);
  });
});

describe('a graceful stop (SIGTERM) between steps', () => {
  it('finishes the step under way, journals a pause, and the next run resumes from the next step', async () => {
    const stop = new AbortController();
    const { make, records, target, kinds } = setup({
      // The stop arrives while step 2's gate is being read: step 2 finishes, step 3 never starts.
      gate: {
        check: async () => {
          if (records.filter((r) => r.kind === 'gate-passed').length === 1) stop.abort('SIGTERM');
          return { pass: true };
        },
      },
      stop: stop.signal,
    });
    const first = await make().start('web', plan());
    expect(first).toMatchObject({ outcome: 'in_progress', stepsPassed: 2 });
    expect(first.reason).toContain('stopped before step 3 of 4 (SIGTERM)');
    expect(kinds().slice(-2)).toEqual(['gate-passed', 'migration-paused']);
    expect(target.applied).toEqual(STEPS.slice(0, 2).map((x) => `web-1/${x.id}`));
    const m = migrationsOf(records)[0]!;
    expect(m.outcome).toBe('in_progress');
    expect(recoveryFor(m, target.state)).toMatchObject({ action: 'resume', from: 2, phase: 'apply' });
    // The next run, without a stop: steps 3 and 4 only, each once.
    const resumed = await make({ stop: undefined }).recover(m);
    expect(resumed.outcome).toBe('completed');
    expect(target.applied).toEqual(STEPS.map((x) => `web-1/${x.id}`));
    expect(migrationsOf(records)[0]!.stepSummaries.map((x) => x.applied)).toEqual([1, 1, 1, 1]);
  });

  it('cuts short the wait for a later step and pauses before it', async () => {
    const stop = new AbortController();
    const timed = stepsOf(['provision', s(4, 2)], ['warm', s(4, 2)]).map((x, i) => ({
      ...x,
      notBefore: T0 + i * 60 * MIN,
      bakeMs: 0,
    }));
    // Sleeps on this clock never end by themselves: only the stop can end the hour's wait.
    const clock: Clock = { now: () => T0, sleep: () => new Promise(() => {}) };
    const { make, kinds, target } = setup({ clock, stop: stop.signal });
    target.apply = async (_p, desired, o) => {
      target.applied.push(o!.stepId!);
      target.state = structuredClone(desired);
      return { ok: true, state: target.state };
    };
    setTimeout(() => stop.abort('SIGINT'), 20);
    const result = await make().start('web', plan(timed));
    expect(result.outcome).toBe('in_progress');
    expect(target.applied).toEqual(['web-1/web#1:provision']);
    expect(kinds().slice(-2)).toEqual(['gate-passed', 'migration-paused']);
  });
});

describe('recoveryFor: resume only what the target verifiably shows; never a step twice', () => {
  // The journal of one migration cut after its `cut`-th record, and the state the target shows.
  const cases: [string, number, PoolState, string][] = [
    ['started, no step yet, target untouched', 1, s(4, 0), 'resume 0 apply'],
    ['started, no step yet, target changed', 1, s(5, 0), 'rollback'],
    ['intent of step 1, target shows step 1', 2, s(4, 2), 'resume 0 finish +applied'],
    ['intent of step 1, target does not show it', 2, s(4, 0), 'rollback'],
    ['step 1 applied, target shows it', 3, s(4, 2), 'resume 0 finish'],
    ['step 1 applied, target no longer shows it', 3, s(4, 1), 'rollback'],
    ['step 1 passed, target shows it', 4, s(4, 2), 'resume 1 apply'],
    ['step 1 passed, target no longer shows it', 4, s(4, 0), 'rollback'],
    ['intent of step 2 (warm: the same state), target shows it', 5, s(4, 2), 'resume 1 finish +applied'],
    ['intent of step 3, target still at step 2', 8, s(4, 2), 'rollback'],
    ['step 3 applied, target shows it', 9, s(4, 2, 0.1), 'resume 2 finish'],
  ];

  it.each(cases)('%s → %s', async (_, cut, current, expected) => {
    const { make, records } = setup();
    await make().start('web', plan());
    const m = migrationsOf(records.slice(0, cut))[0]!;
    const r = recoveryFor(m, current);
    const got =
      r.action === 'rollback'
        ? 'rollback'
        : `resume ${r.from} ${r.phase}${r.recordApplied ? ' +applied' : ''}`;
    expect(got, r.why).toBe(expected);
  });

  it('rolls back after a failed step or a rollback under way', async () => {
    const { make, records, target } = setup({
      gate: { check: async () => ({ pass: false, reason: 'p99 high' }) },
    });
    await make().start('web', plan());
    const failed = records.findIndex((r) => r.kind === 'step-failed');
    for (const cut of [failed + 1, failed + 2]) {
      expect(recoveryFor(migrationsOf(records.slice(0, cut))[0]!, target.state).action).toBe('rollback');
    }
  });
});

describe('recover: a crash mid-step never applies a step twice', () => {
  it.each([
    ['after-apply', 3, 'completed', [1, 1, 1, 1]],
    ['mid-bake', 3, 'completed', [1, 1, 1, 1]],
    ['after-intent', 3, 'rolled_back', [1, 1, 0, 0]],
    ['after-intent', 2, 'completed', [1, 0, 1, 1]],
  ] as const)('killed %s of step %i: %s', async (point, index, outcome, counts) => {
    const { make, records, target, kinds } = setup();
    await expect(make({ crashPoint: crashAt(point, index) }).start('web', plan())).rejects.toThrow(Crash);
    const m = migrationsOf(records)[0]!;
    expect(m.outcome).toBe('in_progress');
    const result = await make().recover(m);
    expect(result.outcome).toBe(outcome);
    expect(STEPS.map((x) => target.applied.filter((a) => a === `web-1/${x.id}`).length)).toEqual(counts);
    const after = migrationsOf(records)[0]!;
    expect(after.stepSummaries.every((x) => x.applied <= 1)).toBe(true);
    expect(after.stepSummaries.map((x) => x.status)).not.toContain('started');
    if (outcome === 'completed') expect(target.state).toEqual(STEPS.at(-1)!.state);
    else {
      // Back on the last known-good routing; the shadow instances step 1 added stay.
      expect(target.state).toEqual(s(4, 2));
      expect(kinds()).toContain('alert');
      expect(after.stepSummaries[index - 1]).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/^recovery after a crash/),
      });
    }
  });

  it('journals a step found landed as applied (recovered), and does not re-run it', async () => {
    const { make, records } = setup();
    await expect(make({ crashPoint: crashAt('after-apply', 1) }).start('web', plan())).rejects.toThrow(Crash);
    await make().recover(migrationsOf(records)[0]!);
    const applied = records.filter((r) => r.kind === 'step-applied' && r.step?.index === 1);
    expect(applied).toEqual([expect.objectContaining({ recovered: true })]);
  });

  it('finishes a rollback a crash interrupted', async () => {
    const { make, records, target } = setup({
      gate: { check: async () => ({ pass: false, reason: 'p99 high' }) },
    });
    const crash = (p: CrashPoint) => {
      if (p === 'mid-rollback') throw new Crash('mid-rollback');
    };
    await expect(make({ crashPoint: crash }).start('web', plan())).rejects.toThrow(Crash);
    expect(records.at(-1)!.kind).toBe('rollback-intent');
    const result = await make({ gate: passing }).recover(migrationsOf(records)[0]!);
    expect(result.outcome).toBe('rolled_back');
    expect(target.state).toEqual(s(4, 2));
    expect(target.rollbacks).toHaveLength(2);
  });
});

describe('deadlines end in rollback and an alert', () => {
  it('on a simulated clock, an update that takes too long fails the step when it returns', async () => {
    const clock = new FakeClock(T0);
    const target = new MemoryTarget(s(4, 0), clock, 20 * MIN);
    const journal = new MemoryJournal();
    const ex = new Executor({ deployer: target, gate: passing, clock, journal, stepTimeoutMs: 15 * MIN });
    const result = await ex.start('web', plan());
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(
      /step 1 .*deadline: the update took 20 min; the step has run 20 min, past its 15 min/,
    );
    expect(result.alerts[0]).toMatch(/rolled back to the last known-good routing, capacity kept/);
  });

  it('on a wall clock, an update that never returns is given up at the deadline and cancelled', async () => {
    const target = new MemoryTarget(s(4, 0), systemClock, 0);
    target.hang = true;
    const journal = new MemoryJournal();
    const ex = new Executor({
      deployer: target,
      gate: passing,
      clock: systemClock,
      journal,
      stepTimeoutMs: 150,
      rollbackRetryMs: 10,
      timer: (ms, signal) => sleep(ms, undefined, { signal }),
    });
    const t0 = Date.now();
    const result = await ex.start(
      'web',
      plan(stepsOf(['provision', s(4, 2)]).map((x) => ({ ...x, bakeMs: 0 }))),
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/deadline: the update was still running/);
    expect(target.cancelled).toBe(1);
  });

  it('a warm step whose capacity never serves fails at the deadline', async () => {
    let polls = 0;
    const { make } = setup({ readiness: { ready: async () => (polls++, false) } });
    const result = await make().start('web', plan());
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(
      /step 2 \(web#2:warm\) failed: deadline: the new capacity was not serving within 15 min/,
    );
    expect(polls).toBeGreaterThanOrEqual(15);
  });
});

describe('hooks hand state over around each step; a failing hook fails the step', () => {
  it('gives a command hook the step as JSON on stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-hook-'));
    const file = join(dir, 'payloads');
    const { make } = setup({
      hooks: { checkpoint: hookFrom(`cat >> ${file}`), restore: hookFrom(`cat >> ${file}`) },
    });
    expect((await make().start('web', plan())).outcome).toBe('completed');
    const payloads = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(payloads.map((p) => `${p.hook} ${p.index}`)).toEqual(
      [1, 2, 3, 4].flatMap((i) => [`checkpoint ${i}`, `restore ${i}`]),
    );
    expect(payloads[0]).toMatchObject({
      migration: 'web-1',
      pool: 'web',
      step: { id: 'web#1:provision' },
      lastGood: s(4, 0),
    });
  });

  it.each([
    [
      'a command that exits non-zero',
      'echo "cache dump failed" >&2; exit 3',
      60_000,
      /restore hook `.*` exited 3: cache dump failed/,
    ],
    ['a command past its timeout', 'sleep 5', 200, /restore hook `sleep 5` did not finish within 0.2 s/],
  ])('rolls back on %s', async (_, command, hookTimeoutMs, reason) => {
    const { make, target } = setup({ hooks: { restore: hookFrom(command) }, hookTimeoutMs });
    const result = await make().start('web', plan());
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(reason);
    // The restore hook fails on step 1: its routing is undone, the capacity it added stays.
    expect(target.state).toEqual(s(4, 2));
  });

  it('POSTs the step to a webhook, and fails the step on an error status', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.statusCode = bodies.length === 3 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const { make } = setup({ hooks: { checkpoint: hookFrom(url) } });
      const result = await make().start('web', plan());
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/step 3 .*checkpoint webhook .* answered 503/);
      expect(bodies).toHaveLength(3);
      expect(bodies[0]).toMatchObject({ hook: 'checkpoint', index: 1 });
    } finally {
      server.close();
    }
  });
});

describe('rollback', () => {
  it('brings capacity back before traffic when the last known-good state routes to capacity since removed', async () => {
    let ready = 0;
    const down = stepsOf(['shift', s(4, 2, 0)], ['decommission', s(4, 0, 0)]);
    const failOn = (i: number) => ({
      check: async (): Promise<GateResult> =>
        records.filter((r) => r.kind === 'step-intent').length === i
          ? { pass: false, reason: 'p99 high' }
          : { pass: true },
    });
    const { make, target, records } = setup(
      { readiness: { ready: async (_p, gain) => gain !== 'all' || ++ready > 3 } },
      s(4, 2, 0.2),
    );
    const result = await make({ gate: failOn(2) }).start('web', plan(down));
    expect(result.outcome).toBe('rolled_back');
    expect(target.rollbacks).toEqual([
      { stepId: 'web-1/rollback#1:capacity', state: s(4, 2, 0) },
      { stepId: 'web-1/rollback#1', state: s(4, 2, 0.2) },
    ]);
    expect(target.state).toEqual(s(4, 2, 0.2));
  });

  it('verifies each step by reading the target back: an update reported done that changed nothing fails the step, never its gate', async () => {
    let gates = 0;
    const { make, target, records } = setup({
      gate: { check: async () => (gates++, { pass: true }) },
    });
    target.lieOnApply = true;
    const result = await make().start('web', plan());
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(
      /step 1 \(web#1:provision\) failed: the target shows primary 4, shadow 0, weights 1\/0 after the update, not the step's primary 4, shadow 2, weights 1\/0/,
    );
    // The read-back is journaled as what the target showed, and no gate ran on a step that did not land.
    expect(records.find((r) => r.kind === 'step-applied')?.state).toEqual(s(4, 0));
    expect(gates).toBe(0);
    expect(records.some((r) => r.kind === 'gate-passed')).toBe(false);
    expect(target.state).toEqual(s(4, 0));
  });

  it('verifies by reading the target back: a rollback that changes nothing is retried, alerted, and left open', async () => {
    // The gate fails at the first shift, so the rollback has routing to undo.
    let gates = 0;
    const { make, target, records } = setup({
      gate: { check: async () => (++gates < 3 ? { pass: true } : { pass: false, reason: 'p99 high' }) },
    });
    target.lieOnRollback = true;
    const result = await make().start('web', plan());
    expect(result.outcome).toBe('in_progress');
    expect(records.filter((r) => r.kind === 'rollback-failed')).toHaveLength(3);
    expect(result.alerts.at(-1)).toMatch(
      /rollback failed 3 times \(the target shows primary 4, shadow 2, weights 0\.9\/0\.1, not primary 4, shadow 2, weights 1\/0\)/,
    );
    const m = migrationsOf(records)[0]!;
    expect(m).toMatchObject({ outcome: 'in_progress', rollbackFailed: true });
    // The next start tries again, and a rollback that works closes it.
    target.lieOnRollback = false;
    expect((await make().recover(m)).outcome).toBe('rolled_back');
    expect(migrationsOf(records)[0]!.rollbackFailed).toBe(false);
  });

  it('rolls a completed migration back by hand, without an alert', async () => {
    const { make, records, target } = setup();
    await make().start('web', plan());
    const result = await make().rollBackMigration(migrationsOf(records)[0]!, 'manual rollback');
    expect(result).toMatchObject({ outcome: 'rolled_back', alerts: [] });
    expect(target.state).toEqual(s(4, 0));
    expect(migrationsOf(records)[0]).toMatchObject({ outcome: 'rolled_back', reason: 'manual rollback' });
  });
});

// A journal that fails to write stops the executor before it acts: nothing runs ahead of the journal.
describe('the journal comes first', () => {
  it('does not apply a step whose intent could not be written', async () => {
    const clock = new FakeClock(T0);
    const target = new MemoryTarget(s(4, 0), clock);
    const journal = {
      append(r: NewRecord): JournalRecord {
        if (r.kind === 'step-intent') throw new Error('ENOSPC: no space left on device');
        return { v: 1, ...r };
      },
    };
    const ex = new Executor({ deployer: target, gate: passing, clock, journal, stepTimeoutMs: 15 * MIN });
    await expect(ex.start('web', plan())).rejects.toThrow(/ENOSPC/);
    expect(target.applied).toEqual([]);
  });
});

// Another process may be recovering the migration once this one lost the pool's lock: it stops
// where it is and writes nothing more, so no migration ends both rolled back and completed.
describe('a run that lost its lock', () => {
  /** A run's `lostLock`, and a switch that loses the lock once `when` says so (asked before each record). */
  function lockThat(when: () => boolean) {
    let lost = false;
    return () => {
      lost ||= when();
      return lost ? 'its lock file was removed' : undefined;
    };
  }

  it('a runner that lost its lock stops before its next step, journaling nothing more', async () => {
    const t = setup();
    const gates = () => t.records.filter((r) => r.kind === 'gate-passed').length;
    const run = t.make({ lostLock: lockThat(() => gates() === 1) }).start('web', plan());
    await expect(run).rejects.toThrow(LockLostError);
    await expect(run).rejects.toThrow(
      'lost the lock on pool web (its lock file was removed); stopped before step 2 of 4',
    );
    expect(t.kinds()).toEqual(['migration-started', 'step-intent', 'step-applied', 'gate-passed']);
    expect(t.target.applied).toEqual([`web-1/${STEPS[0]!.id}`]);
  });

  it('a runner that lost its lock mid-step journals neither the step landing nor anything after', async () => {
    const t = setup();
    // The lock goes while step 2's update runs.
    const run = t.make({ lostLock: lockThat(() => t.target.applied.length === 2) }).start('web', plan());
    await expect(run).rejects.toThrow(
      'lost the lock on pool web (its lock file was removed); stopped in step 2 of 4, before journaling step-applied',
    );
    expect(t.kinds().at(-1)).toBe('step-intent');
    expect(t.kinds().filter((k) => k === 'step-applied')).toHaveLength(1);
  });

  it('a runner that lost its lock after its last step does not journal the migration completed', async () => {
    const t = setup();
    const gates = () => t.records.filter((r) => r.kind === 'gate-passed').length;
    const run = t.make({ lostLock: lockThat(() => gates() === STEPS.length) }).start('web', plan());
    await expect(run).rejects.toThrow(
      'lost the lock on pool web (its lock file was removed); stopped before journaling the migration completed (all 4 steps passed)',
    );
    expect(t.kinds()).not.toContain('migration-completed');
    expect(migrationsOf(t.records)[0]!.outcome).toBe('in_progress');
  });

  it('a run names its process on its first record, so a live one is not taken for crashed', async () => {
    const { make, records } = setup();
    await expect(make({ crashPoint: crashAt('after-apply', 2) }).start('web', plan())).rejects.toThrow(Crash);
    const me = { pid: process.pid, startTime: processStartTime(process.pid) };
    expect(records[0]).toMatchObject({ kind: 'migration-started', ...me });
    expect(records.slice(1).every((r) => r.pid === undefined)).toBe(true);
    const before = records.length;
    await make().recover(migrationsOf(records)[0]!);
    // The recovery's first record names the process that runs the migration from there.
    expect(records[before]).toMatchObject({ kind: 'step-applied', recovered: true, ...me });
    const m = migrationsOf(records.slice(0, before + 1))[0]!;
    expect(ownerOf(m)).toMatchObject({ ...me, at: records[before]!.at });
  });
});

// A gate that fails on a threshold the pool already broke before the step does not blame the
// step for it (rolling back would return to that same unhealthy pool): the step stands when the
// pool is no worse after it, and still rolls back when it got worse or was healthy before.
describe('a step is held to the health the pool had before it', () => {
  const breach = (worst: number): GateResult => ({
    pass: false,
    reason: `latency_p99_ms ${worst} above max 500`,
    breaches: [{ metric: 'latency_p99_ms', bound: 'max', limit: 500, worst }],
  });
  /** The gate's verdict on the window after a step's bake, and on the same span before the step began. */
  const gateOf = (after: GateResult, before: GateResult) => {
    const windows: { start: number; end: number; said: GateResult }[] = [];
    let intentAt = 0;
    return {
      windows,
      onRecord: (r: JournalRecord) => {
        if (r.kind === 'step-intent') intentAt = Date.parse(r.at);
      },
      gate: {
        check: async (_pool: string, start: number, end: number) => {
          const said = end <= intentAt ? before : after;
          windows.push({ start, end, said });
          return said;
        },
      },
    };
  };

  it('goes ahead, with an alert, when the pool broke the same threshold before the step and is no worse after it', async () => {
    const g = gateOf(breach(900), breach(2000));
    const { make, records, target } = setup({ gate: g.gate, onRecord: g.onRecord });
    const result = await make().start('web', plan());
    expect(result.outcome).toBe('completed');
    expect(target.state).toEqual(STEPS.at(-1)!.state);
    const passed = records.filter((r) => r.kind === 'gate-passed');
    expect(passed).toHaveLength(4);
    for (const r of passed) {
      expect(r.reason).toBe(
        'latency_p99_ms was already above its max 500 before the step (worst 2000) and is no worse after it (worst 900)',
      );
    }
    expect(result.alerts).toHaveLength(4);
    expect(result.alerts[0]).toMatch(
      /^web: step 1 \(web#1:provision\) went ahead on a pool already unhealthy: /,
    );
    // The span before each step is as long as its bake and ends where the step began.
    const before = g.windows.filter((w) => w.said === g.windows[1]!.said);
    for (const w of before) expect(w.end - w.start).toBe(2 * MIN);
  });

  it('rolls back when the step left the pool worse than it was', async () => {
    const g = gateOf(breach(2300), breach(2000));
    const { make, target } = setup({ gate: g.gate, onRecord: g.onRecord });
    const result = await make().start('web', plan());
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/step 1 .*health gate failed: latency_p99_ms 2300 above max 500/);
    expect(target.state.weights).toEqual(s(4, 0).weights);
  });

  it('rolls back when the pool was healthy before the step, or broke another threshold', async () => {
    for (const before of [
      { pass: true } as GateResult,
      {
        ...breach(2000),
        breaches: [{ metric: 'error_rate', bound: 'max' as const, limit: 0.01, worst: 0.5 }],
      },
    ]) {
      const g = gateOf(breach(900), before);
      const { make } = setup({ gate: g.gate, onRecord: g.onRecord });
      expect((await make().start('web', plan())).outcome).toBe('rolled_back');
    }
  });

  it('rolls back on a failure that names no threshold (missing data fails closed)', async () => {
    const missing: GateResult = { pass: false, reason: 'metrics missing; failing closed' };
    const g = gateOf(missing, missing);
    const { make } = setup({ gate: g.gate, onRecord: g.onRecord });
    expect((await make().start('web', plan())).outcome).toBe('rolled_back');
  });
});
