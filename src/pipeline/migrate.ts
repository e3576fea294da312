// One pool's migration, wired: the pool's lock, its journal, the deploy target, the executor.
// `apply` recovers an unfinished migration first (and stops there: the next apply takes the next
// plan), refuses a plan already applied or made from a state the target no longer shows, then
// applies the plan. `rollback` takes the pool back to the last known-good state of its newest
// migration. Everything that changes the target happens under the lock and after the journal says
// so: an unfinished migration whose process still runs is left to it (the pool is busy), and a run
// that loses its lock stops before its next record (LockLostError).

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { Executor, type MigrationResult } from '../deploy/executor.js';
import type { StepHooks } from '../deploy/hooks.js';
import { FileJournal, journalFile, type JournalRecord, readJournal } from '../deploy/journal.js';
import { type LockInfo, PoolLock } from '../deploy/lock.js';
import { type MigrationStatus, migrationsOf, ownerOf } from '../deploy/migrations.js';
import { describeState, sameState } from '../core/pool-state.js';
import { isThisProcess, processState } from '../deploy/process.js';
import { type StepFault, StepFaultInjector } from '../deploy/step-faults.js';
import type { PlanFile } from './plan-file.js';
import type { Target } from '../deploy/targets.js';

/** A deploy target as the executor uses it: the simulated fleet, or Pulumi stacks. */
export interface PoolRunOptions {
  stateDir: string;
  pool: string;
  stepTimeoutMs: number;
  /** Opened once the lock is held: a simulated fleet must not be read while another process changes it. */
  openTarget: () => Promise<Target>;
  /** Real time to wait for another process's lock (default 0). */
  lockWaitMs?: number;
  faults?: readonly StepFault[];
  hooks?: StepHooks;
  hookTimeoutMs?: number;
  onRecord?: (record: JournalRecord) => void;
  /** Notes for the person running it (a lock taken over, a torn journal line). */
  onNote?: (note: string) => void;
  /** A graceful stop: the migration pauses at the next step boundary (ExecutorOptions.stop). */
  stop?: AbortSignal;
}

export type PoolRun =
  | { kind: 'busy'; holder?: LockInfo }
  | { kind: 'nothing'; message: string }
  | { kind: 'done'; result: MigrationResult; recovered: boolean };

/** `apply` on one pool. */
export async function applyPool(
  options: PoolRunOptions & { plan: PlanFile; retry?: boolean },
): Promise<PoolRun> {
  return withPool(options, async ({ executor, migrations, target }) => {
    const { plan, pool } = options;
    const unfinished = migrations.findLast((m) => m.outcome === 'in_progress');
    if (unfinished) {
      options.onNote?.(`${pool}: migration ${unfinished.id} was left unfinished; recovering it first`);
      return { kind: 'done', result: await executor.recover(unfinished), recovered: true };
    }
    if (plan.steps.length === 0) {
      return {
        kind: 'nothing',
        message: `${pool}: the plan has no steps: the pool is already as it should be`,
      };
    }
    const same = migrations.findLast((m) => m.plan.key === plan.record.key);
    if (same?.outcome === 'completed') {
      return {
        kind: 'nothing',
        message: `${pool}: this plan (${plan.record.at}) was applied by migration ${same.id}; run \`shadowcast plan\` for a new one`,
      };
    }
    if (same?.outcome === 'rolled_back' && !options.retry) {
      return {
        kind: 'nothing',
        message: `${pool}: this plan (${plan.record.at}) was rolled back by migration ${same.id} (${same.reason ?? 'no reason'}); run \`shadowcast plan\` for a new one, or pass --retry to apply it again`,
      };
    }
    const current = await target.deployer.current(pool);
    if (!sameState(current, plan.current)) {
      throw new UsageError(
        `${plan.file}: the plan was made from ${describeState(plan.current)}, but the ${target.name} target shows ${describeState(current)}: run \`shadowcast plan\` again`,
      );
    }
    return { kind: 'done', result: await executor.start(pool, plan.record), recovered: false };
  });
}

/** `rollback POOL`: back to the newest migration's last known-good state. */
export async function rollbackPool(options: PoolRunOptions): Promise<PoolRun> {
  // Refused before the lock or the journal is touched, so a usage error writes nothing.
  const file = journalFile(options.stateDir, options.pool);
  const precheck = (migrations: MigrationStatus[]) => {
    if (migrations.length > 0) return;
    throw new UsageError(
      `${file}: no migration of ${options.pool} in the journal, so no known-good state to go back to`,
    );
  };
  precheck(migrationsOf(readJournal(file).records).filter((m) => m.pool === options.pool));
  return withPool(
    options,
    async ({ executor, migrations, target }) => {
      const { pool } = options;
      const m = migrations.at(-1)!;
      const current = await target.deployer.current(pool);
      if (m.outcome === 'rolled_back' && sameState(current, m.lastGood)) {
        return {
          kind: 'nothing',
          message: `${pool}: already at the last known-good state of migration ${m.id} (${describeState(m.lastGood)})`,
        };
      }
      const how = m.outcome === 'in_progress' ? 'an unfinished' : `a ${m.outcome.replace('_', ' ')}`;
      const result = await executor.rollBackMigration(
        m,
        `manual rollback (shadowcast rollback) of ${how} migration`,
      );
      return { kind: 'done', result, recovered: false };
    },
    precheck,
  );
}

interface PoolContext {
  executor: Executor;
  migrations: MigrationStatus[];
  target: Target;
}

/** Journals whose migration this process is running now (a second call here must not recover it). */
const runningHere = new Set<string>();

/** `precheck` sees the pool's migrations before the target is opened, to refuse early. */
async function withPool(
  options: PoolRunOptions,
  work: (ctx: PoolContext) => Promise<PoolRun>,
  precheck?: (migrations: MigrationStatus[]) => void,
): Promise<PoolRun> {
  const { stateDir, pool } = options;
  const acquired = await PoolLock.acquire(stateDir, pool, { waitMs: options.lockWaitMs ?? 0 });
  if ('busy' in acquired) return { kind: 'busy', holder: acquired.busy };
  const { lock } = acquired;
  const file = journalFile(stateDir, pool);
  const key = resolve(file);
  let journal: FileJournal | undefined;
  let target: Target | undefined;
  let running = false;
  try {
    const opened = FileJournal.open(file);
    journal = opened.journal;
    const at = new Date().toISOString();
    if (opened.repaired) {
      journal.append({ at, kind: 'journal-repaired', pool, reason: opened.repaired });
      options.onNote?.(`${file}: ${opened.repaired}`);
    }
    if (acquired.tookOver) {
      // The stale lock's command is its subcommand only (lock.ts): no flag value reaches the journal.
      const { stale, why } = acquired.tookOver;
      const reason = `took over a stale lock (${why}; it was taken at ${stale.at} by \`${stale.command}\`)`;
      journal.append({ at, kind: 'lock-takeover', pool, reason, pid: stale.pid, host: stale.host });
      options.onNote?.(`${pool}: ${reason}`);
    }
    const read = readJournal(file);
    for (const note of read.notes) options.onNote?.(note);
    const migrations = migrationsOf(read.records).filter((m) => m.pool === pool);
    precheck?.(migrations);
    const owned = liveOwner(migrations, key);
    if (owned) {
      const { m, holder } = owned;
      options.onNote?.(
        `${pool}: migration ${m.id} is unfinished but not crashed: pid ${holder.pid} on ${holder.host}, which took it up, still runs; it is left to that process (try again once it has stopped)`,
      );
      return { kind: 'busy', holder };
    }
    runningHere.add(key);
    running = true;
    target = await options.openTarget();
    const t = target;
    const injector = new StepFaultInjector(options.faults ?? [], {
      inject: t.inject?.bind(t),
      now: () => t.clock.now(),
    });
    const executor = new Executor({
      deployer: t.deployer,
      gate: injector.gate(t.gate),
      clock: t.clock,
      journal,
      stepTimeoutMs: options.stepTimeoutMs,
      readiness: t.readiness,
      hooks: options.hooks,
      hookTimeoutMs: options.hookTimeoutMs,
      timer: t.timer,
      stop: options.stop,
      crashPoint: injector.crashPoint,
      lostLock: () => lock.lost(),
      onRecord: (r) => {
        t.persist?.();
        injector.onRecord(r);
        options.onRecord?.(r);
      },
    });
    return await work({ executor, migrations, target: t });
  } finally {
    // A simulated fleet's state belongs to the lock's holder: once the lock is lost, it is not saved over.
    if (lock.held()) target?.persist?.();
    await target?.close?.();
    journal?.close();
    lock.release();
    if (running) runningHere.delete(key);
  }
}

/**
 * The process still running an unfinished migration of the pool (ownerOf), if any: it must finish
 * or stop before anyone recovers it. On this host that is the same pid with the same start time
 * (this process: while it runs the pool's migration). A process on another host cannot be looked
 * up from here: the lock just taken is the evidence it let go (its lease ran out and the lock was
 * taken over, or it released it); one whose lock was removed stops before its next record.
 */
function liveOwner(
  migrations: readonly MigrationStatus[],
  key: string,
): { m: MigrationStatus; holder: LockInfo } | undefined {
  for (const m of migrations) {
    if (m.outcome !== 'in_progress') continue;
    const owner = ownerOf(m);
    if (!owner || owner.host !== hostname()) continue;
    const runs = isThisProcess(owner) ? runningHere.has(key) : processState(owner) === 'runs';
    // Reported as the pool's holder: the process is named, `at` is when it took the migration up.
    if (runs) return { m, holder: { ...owner, command: `migration ${m.id}`, nonce: '' } };
  }
  return undefined;
}
