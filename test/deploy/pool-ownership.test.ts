// Who may touch an unfinished migration: applyPool (lock, journal and executor wired) on a small
// in-memory stack. A migration whose process still runs is never recovered by another run, a run
// that lost its lock stops without journaling, and no secret from a lock reaches the journal.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import type { ApplyOptions, ApplyResult, Deployer, HealthGate } from '../../src/core/seams.js';
import { Executor, LockLostError } from '../../src/deploy/executor.js';
import { journalFile, MemoryJournal, readJournal } from '../../src/deploy/journal.js';
import { lockFile, PoolLock } from '../../src/deploy/lock.js';
import { migrationsOf } from '../../src/deploy/migrations.js';
import { alive, processStartTime } from '../../src/deploy/process.js';
import type { Target } from '../../src/deploy/targets.js';
import { applyPool, type PoolRun } from '../../src/pipeline/migrate.js';
import { type PlanFile, planFile, readPlanFile } from '../../src/pipeline/plan-file.js';
import { until } from '../support/until.js';
import { migrationState, POOL, START, STEPS, T0 } from '../../bench/migration-fixture.js';

const MIN = 60_000;
const passing: HealthGate = { check: async () => ({ pass: true }) };

/** A stack whose updates land at once, except one held until `release()`. */
class Stack implements Deployer {
  state: PoolState = structuredClone(START);
  applied: string[] = [];
  rollbacks = 0;
  persists = 0;
  readonly clock = new FakeClock(T0);
  private held?: { step: number; go: Promise<void>; release: () => void };

  hold(step: number): () => void {
    let release!: () => void;
    const go = new Promise<void>((r) => (release = r));
    this.held = { step, go, release };
    return release;
  }

  async current(): Promise<PoolState> {
    return structuredClone(this.state);
  }

  async apply(_pool: string, desired: PoolState, o?: ApplyOptions): Promise<ApplyResult> {
    this.applied.push(o!.stepId!);
    if (this.held?.step === this.applied.length) await this.held.go;
    this.state = structuredClone(desired);
    return { ok: true, state: this.state };
  }

  async rollback(_pool: string, to: PoolState): Promise<ApplyResult> {
    this.rollbacks++;
    this.state = structuredClone(to);
    return { ok: true, state: this.state };
  }

  target(): Target {
    return {
      name: 'memory',
      deployer: this,
      gate: passing,
      clock: this.clock,
      persist: () => this.persists++,
    };
  }
}

function applyOn(dir: string, plan: PlanFile, stack: Stack, notes: string[] = []): Promise<PoolRun> {
  return applyPool({
    stateDir: dir,
    pool: POOL,
    stepTimeoutMs: 15 * MIN,
    plan,
    openTarget: async () => stack.target(),
    onNote: (n) => notes.push(n),
  });
}

const planOf = (dir: string) => readPlanFile(planFile(dir, POOL));
const kindsOf = (dir: string) => readJournal(journalFile(dir, POOL)).records.map((r) => r.kind);

describe('an unfinished migration whose process still runs', () => {
  it('is not recovered by a second apply after its lock file was removed; the first stops, and no migration ends both rolled back and completed', async () => {
    const dir = migrationState();
    const plan = await planOf(dir);
    const stack = new Stack();
    const release = stack.hold(2);
    const first = applyOn(dir, plan, stack);
    await until('step 2 under way', () => stack.applied.length === 2, 10_000, 5);
    rmSync(lockFile(dir, POOL));

    const notes: string[] = [];
    const second = await applyOn(dir, plan, stack, notes);
    expect(second).toEqual({ kind: 'busy', holder: expect.objectContaining({ pid: process.pid }) });
    expect(notes.join('\n')).toMatch(
      /is unfinished but not crashed: pid \d+ on .*, which took it up, still runs/,
    );
    expect(stack.rollbacks).toBe(0);
    const persisted = stack.persists;

    release();
    const err = await first.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockLostError);
    expect((err as Error).message).toBe(
      `lost the lock on pool ${POOL} (its lock file ${lockFile(dir, POOL)} was removed); stopped in step 2 of 4, before journaling step-applied`,
    );
    // Nothing after the loss: no record, and the target's state is not saved over another holder's.
    expect(kindsOf(dir).at(-1)).toBe('step-intent');
    expect(stack.persists).toBe(persisted);

    // The next apply finds the process done with it: recovery, each step once.
    const third = await applyOn(dir, plan, stack);
    expect(third).toMatchObject({ kind: 'done', recovered: true, result: { outcome: 'completed' } });
    const kinds = kindsOf(dir);
    expect(kinds).toContain('migration-completed');
    expect(kinds).not.toContain('migration-rolled-back');
    expect(stack.applied.map((id) => id.split('/')[1])).toEqual(STEPS.map((s) => s.id));
  });

  /** A journal holding a migration stopped after step 2 landed, as if run by process `owner`. */
  async function journalOwnedBy(owner: { pid: number; startTime?: string }) {
    const dir = migrationState();
    const plan = await planOf(dir);
    const stack = new Stack();
    const journal = new MemoryJournal();
    const crash = (point: string, step?: { index: number }) => {
      if (point === 'after-apply' && step?.index === 2) throw new Error('crashed');
    };
    const executor = new Executor({
      deployer: stack,
      gate: passing,
      clock: stack.clock,
      journal,
      stepTimeoutMs: 15 * MIN,
      crashPoint: crash,
    });
    await expect(executor.start(POOL, plan.record)).rejects.toThrow('crashed');
    journal.records[0] = { ...journal.records[0]!, ...owner, host: hostname() };
    const file = journalFile(dir, POOL);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, journal.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return { dir, plan, stack, file };
  }

  it('is left to its process while that runs (same pid and start time on this host), and recovered once it is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await until('the child runs', () => processStartTime(child.pid!) !== undefined, 10_000, 10);
      const { dir, plan, stack, file } = await journalOwnedBy({
        pid: child.pid!,
        startTime: processStartTime(child.pid!),
      });
      const before = readFileSync(file, 'utf8');
      const notes: string[] = [];
      expect(await applyOn(dir, plan, stack, notes)).toEqual({
        kind: 'busy',
        holder: expect.objectContaining({ pid: child.pid, host: hostname() }),
      });
      expect(notes).toEqual([
        expect.stringContaining(`pid ${child.pid} on ${hostname()}, which took it up, still runs`),
      ]);
      expect(readFileSync(file, 'utf8')).toBe(before);
      expect(stack.rollbacks).toBe(0);

      child.kill('SIGKILL');
      await until('the child is gone', () => !alive(child.pid!), 10_000, 10);
      const run = await applyOn(dir, plan, stack);
      expect(run).toMatchObject({ kind: 'done', recovered: true, result: { outcome: 'completed' } });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is recovered when its pid now belongs to another process (a different start time)', async () => {
    // This test's parent process runs, but it is not the one that started the migration.
    const { dir, plan, stack } = await journalOwnedBy({ pid: process.ppid, startTime: 'another-boot:42' });
    const run = await applyOn(dir, plan, stack);
    expect(run).toMatchObject({ kind: 'done', recovered: true, result: { outcome: 'completed' } });
  });
});

describe('a lock taken over as stale', () => {
  it('journals its subcommand, never a secret from its command line', async () => {
    const dir = migrationState();
    const secret = 'https://ops:s3cret@hooks.example/cp?token=t0k3n';
    const got = await PoolLock.acquire(dir, POOL, { argv: ['apply', '--checkpoint', secret] });
    if (!('lock' in got)) throw new Error('not acquired');
    const file = got.lock.file;
    expect(readFileSync(file, 'utf8')).not.toContain('s3cret');
    // Its holder died; an older release's lock kept the whole command line: plant that.
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    const stale = {
      ...JSON.parse(readFileSync(file, 'utf8')),
      pid: dead,
      command: `apply --checkpoint ${secret}`,
    };
    writeFileSync(file, JSON.stringify(stale));

    const notes: string[] = [];
    const run = await applyOn(dir, await planOf(dir), new Stack(), notes);
    expect(run).toMatchObject({ kind: 'done', result: { outcome: 'completed' } });
    const journal = readFileSync(journalFile(dir, POOL), 'utf8');
    expect(journal).toMatch(
      /took over a stale lock \(pid \d+ on .* no longer runs; it was taken at .* by `apply`\)/,
    );
    expect(journal).not.toMatch(/s3cret|t0k3n|hooks\.example|checkpoint/);
    expect(notes.join('\n')).not.toContain('s3cret');
    expect(migrationsOf(readJournal(journalFile(dir, POOL)).records)).toHaveLength(1);
  });
});
