// `shadowcast apply`: the latest plan of each pool (STATE/plans/POOL/plan.json) applied through
// the executor and its journal, one pool at a time, each under its lock. Without --yes it prints
// the plan and applies only when stdin is a terminal and the answer is yes; otherwise it exits 2
// having changed nothing. Progress goes to stderr on a terminal; the outcome to stdout, as
// `history` prints it. Exit: 0 completed (or nothing to do), 1 rolled back (or a rollback failed),
// 2 bad input or usage, 75 the pool is busy (another process holds its lock; nothing changed).
//
// `shadowcast rollback POOL`: the pool back to the last known-good state of its newest
// migration, as one journaled, verified update. Same exit codes.

import { createInterface } from 'node:readline/promises';
import { parseDuration } from '../core/duration.js';
import { InputError, UsageError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import type { MigrationResult } from '../deploy/executor.js';
import { hookFrom, type StepHooks } from '../deploy/hooks.js';
import { journalFile, type JournalRecord, readJournal } from '../deploy/journal.js';
import { migrationsOf } from '../deploy/migrations.js';
import { checkStepFaults, parseStepFault } from '../deploy/step-faults.js';
import { loadPolicyDir } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { history } from '../pipeline/history.js';
import { applyPool, type PoolRun, type PoolRunOptions, rollbackPool } from '../pipeline/migrate.js';
import { planFile, plannedPools, readPlanFile } from '../pipeline/plan-file.js';
import { migrationBlock, planSteps, progressLine } from './migration-report.js';
import { RunFailed } from './run-failed.js';
import { type PulumiTargetFlags, type TargetName, targetFor } from '../deploy/targets.js';

/** Another process holds the pool's lock: nothing was changed; try again later (sysexits EX_TEMPFAIL). */
export const EXIT_BUSY = 75;

export interface ApplyFlags extends PulumiTargetFlags {
  pool?: string;
  target: TargetName;
  yes: boolean;
  inject: string[];
  state: string;
  policies: string;
  lockWait: string;
  retry: boolean;
  checkpoint?: string;
  restore?: string;
  hookTimeout: string;
}

export interface RollbackFlags extends PulumiTargetFlags {
  target: TargetName;
  state: string;
  policies: string;
  lockWait: string;
}

export async function applyCommand(flags: ApplyFlags): Promise<void> {
  const faults = flags.inject.map(parseStepFault);
  const lockWaitMs = durationFlag('--lock-wait', flags.lockWait, true);
  const hookTimeoutMs = durationFlag('--hook-timeout', flags.hookTimeout, false);
  const pools = flags.pool ? [flags.pool] : await plannedPools(flags.state);
  if (pools.length === 0)
    throw new UsageError(`no plans in ${flags.state}/plans: run \`shadowcast plan\` first`);
  if (faults.length > 0 && pools.length > 1) {
    throw new UsageError(`--inject needs --pool: ${flags.state}/plans has plans for ${pools.join(', ')}`);
  }
  const policies = await policiesFor(flags.policies, pools);
  const hooks: StepHooks = {
    ...(flags.checkpoint ? { checkpoint: hookFrom(flags.checkpoint) } : {}),
    ...(flags.restore ? { restore: hookFrom(flags.restore) } : {}),
  };
  // Everything is read and checked before anything changes.
  const jobs = [];
  for (const pool of pools) {
    const plan = await readPlanFile(planFile(flags.state, pool));
    if (plan.pool !== pool)
      throw new InputError(plan.file, undefined, `pool: "${plan.pool}", but the file is ${pool}'s`);
    const policy = policies.get(pool)!;
    const open = targetFor(flags.target, { stateDir: flags.state, pool, policy, plan, pulumi: flags });
    checkStepFaults(faults, plan.steps, open.simulated === true);
    refuseInRecommendMode(pool, policy, flags.target, flags.policies);
    jobs.push({ pool, plan, policy, open });
  }
  for (const { pool, plan } of jobs) {
    const unfinished = migrationsOf(readJournal(journalFile(flags.state, pool)).records).findLast(
      (m) => m.outcome === 'in_progress',
    );
    process.stdout.write(`${pool}: plan ${plan.record.at} (${plan.file}), ${plan.steps.length} steps\n`);
    if (plan.steps.length) process.stdout.write(`${planSteps(plan.steps)}\n`);
    if (unfinished) {
      process.stdout.write(
        `${pool}: migration ${unfinished.id} is unfinished: it is recovered first (resumed if the target shows how far it got, rolled back otherwise)\n`,
      );
    }
    process.stdout.write('\n');
  }
  if (!flags.yes && !(await confirm(`Apply to ${pools.join(', ')} on --target ${flags.target}? [y/N] `))) {
    process.stdout.write('nothing applied\n');
    return;
  }
  let worst = 0;
  for (const job of jobs) {
    const run = await applyPool({
      ...runOptions(flags.state, job.pool, job.policy, lockWaitMs, job.plan.steps.length),
      openTarget: async () => (await job.open(true))!,
      plan: job.plan,
      retry: flags.retry,
      faults,
      hooks,
      hookTimeoutMs,
    });
    worst = Math.max(worst, await report(flags.state, job.pool, run, 'completed'));
  }
  if (worst)
    throw new RunFailed(
      worst === EXIT_BUSY
        ? 'a pool was busy: nothing changed there'
        : 'a migration rolled back (see its alerts above)',
      worst,
    );
}

export async function rollbackCommand(pool: string, flags: RollbackFlags): Promise<void> {
  const lockWaitMs = durationFlag('--lock-wait', flags.lockWait, true);
  const policy = (await policiesFor(flags.policies, [pool])).get(pool)!;
  const open = targetFor(flags.target, { stateDir: flags.state, pool, policy, pulumi: flags });
  const run = await rollbackPool({
    ...runOptions(flags.state, pool, policy, lockWaitMs, 0),
    openTarget: async () => {
      const target = await open(false);
      if (!target)
        throw new UsageError(
          `--target ${flags.target}: ${pool} has no ${flags.target} state in ${flags.state} to roll back`,
        );
      return target;
    },
  });
  const code = await report(flags.state, pool, run, 'rolled_back');
  if (code)
    throw new RunFailed(
      code === EXIT_BUSY ? `${pool} is busy: nothing changed` : 'the rollback failed (see its alerts above)',
      code,
    );
}

function runOptions(
  stateDir: string,
  pool: string,
  policy: Policy,
  lockWaitMs: number,
  steps: number,
): Omit<PoolRunOptions, 'openTarget'> {
  const tty = process.stderr.isTTY;
  return {
    stateDir,
    pool,
    stepTimeoutMs: policy.migration.stepTimeoutMs,
    lockWaitMs,
    onRecord: tty
      ? (r: JournalRecord) =>
          process.stderr.write(
            `\r${progressLine(r, steps).slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`,
          )
      : undefined,
    onNote: (note) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}shadowcast: note: ${note}\n`),
  };
}

/** Prints what happened to a pool; its exit code (0 when the migration ended as `success`). */
async function report(
  stateDir: string,
  pool: string,
  run: PoolRun,
  success: MigrationResult['outcome'],
): Promise<number> {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  if (run.kind === 'busy') {
    const h = run.holder;
    // The holder's command line may carry a hook URL with its password.
    const who = h
      ? `pid ${h.pid} on ${h.host} since ${h.at} (\`${redactText(h.command)}\`)`
      : 'a process that has not written its lock yet';
    process.stderr.write(`shadowcast: ${pool}: skipped: another migration holds its lock: ${who}\n`);
    return EXIT_BUSY;
  }
  if (run.kind === 'nothing') {
    process.stdout.write(`${run.message}\n`);
    return 0;
  }
  const result: MigrationResult = run.result;
  if (result.recovery)
    process.stdout.write(`${pool}: recovery: ${result.recovery.action}: ${result.recovery.why}\n`);
  const m = (await history(stateDir, pool)).migrations.find((x) => x.id === result.id);
  if (m) process.stdout.write(`${migrationBlock(m)}\n`);
  for (const a of result.alerts) process.stderr.write(`shadowcast: alert: ${a}\n`);
  return result.outcome === success ? 0 : 1;
}

/**
 * A pool whose policy is in `recommend` mode (the default: acting is opt-in) is never changed for
 * real; the simulated fleet may be, as `run --once` does.
 */
export function refuseInRecommendMode(pool: string, policy: Policy, target: TargetName, dir: string): void {
  if (target === 'sim' || policy.mode === 'apply') return;
  throw new UsageError(
    `${pool}: policy mode is recommend, so --target ${target} changes nothing; set mode: apply in ${dir}/pools/${pool}.yaml to act`,
  );
}

async function policiesFor(dir: string, pools: readonly string[]): Promise<Map<string, Policy>> {
  const set = await loadPolicyDir(dir);
  if (set.errors.length > 0) throw set.errors[0]!;
  const out = new Map<string, Policy>();
  for (const pool of pools) {
    const found = set.pools.get(pool);
    if (!found) throw new UsageError(`${pool}: no policy in ${dir}/pools/${pool}.yaml`);
    out.set(pool, found.policy);
  }
  return out;
}

export function durationFlag(flag: string, text: string, zeroOk: boolean): number {
  const ms = text.trim() === '0' ? 0 : parseDuration(text);
  if (ms === undefined || !(zeroOk ? ms >= 0 : ms > 0)) {
    throw new UsageError(`${flag} "${text}": expected a duration (30s, 5m, 1h)${zeroOk ? ' or 0' : ''}`);
  }
  return ms;
}

/** Yes only from a person at a terminal. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UsageError(
      'apply changes the target: pass --yes (stdin is not a terminal to confirm on); nothing was changed',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
