// The migration executor: applies a plan's steps to one pool through any Deployer, gated by any
// HealthGate, on any Clock, writing every transition to the journal before acting on it. A step
// is: intent → checkpoint hook → (a shift waits for the capacity it moves traffic onto) → one
// update → applied → restore hook → (a warm step waits for readiness) → bake → gate → passed.
// A failed update, hook or gate, or a step past its deadline, rolls the pool back to its last
// known-good routing (where the migration found it) without removing capacity the migration
// added (rollbackTarget: the gate may have failed because the pool is overloaded), verifies
// that by reading the target back, and raises an alert. On start, an unfinished migration is resumed when the target verifiably shows
// how far the journal says it got, and rolled back otherwise (migrations.ts): never a step twice.
// No record is written once the run no longer holds the pool's lock (`lostLock`): it stops there.

import { randomBytes } from 'node:crypto';
import type { MigrationStep, PoolState } from '../core/plan.js';
import type { ApplyResult, Clock, Deployer, GateResult, HealthGate } from '../core/seams.js';
import type { HookName, StepHooks } from './hooks.js';
import type { JournalRecord, JournalWriter, NewRecord, PlanRecord, StepRef } from './journal.js';
import { type MigrationStatus, type Outcome, type Recovery, recoveryFor, scheduled } from './migrations.js';
import { describeState, sameState } from '../core/pool-state.js';
import { type Gain, gains, needsCapacityFirst, rollbackTarget, withCapacityOf } from './transitions.js';
import { thisProcess } from './process.js';
import type { Readiness } from './readiness.js';

/** Where a crash leaves the target ahead of the journal; fault injection (`kill`) stops the process here. */
export const CRASH_POINTS = [
  'after-intent',
  'mid-update',
  'mid-update-engine',
  'after-apply',
  'mid-bake',
  'mid-rollback',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface ExecutorOptions {
  deployer: Deployer;
  gate: HealthGate;
  clock: Clock;
  journal: JournalWriter;
  /** A step not done (hooks, readiness, update, bake and gate) within this fails and rolls back (ms). */
  stepTimeoutMs: number;
  readiness?: Readiness;
  hooks?: StepHooks;
  /** Longest a hook may run, in real time (default 60 s). */
  hookTimeoutMs?: number;
  /** How often readiness is asked again while waiting (default 1 min). */
  pollMs?: number;
  /** A failing rollback is tried this many times (default 3), this far apart (default 1 min). */
  rollbackAttempts?: number;
  rollbackRetryMs?: number;
  /**
   * A real timer, for a wall clock: an update, hook or gate still running at the step's deadline
   * is given up on then (and the deployer's `cancel` called, if it has one). Without it (a
   * simulated clock only moves when someone sleeps on it) the deadline is checked as each phase ends.
   */
  timer?: (ms: number, signal: AbortSignal) => Promise<unknown>;
  /** Called at each crash point, for fault injection. */
  crashPoint?: (point: CrashPoint, step: StepRef | undefined) => void;
  /** Every record once it is on disk: progress display, the simulated fleet's save, fault injection. */
  onRecord?: (record: JournalRecord) => void;
  /**
   * A graceful stop (SIGTERM): once it is aborted, the migration stops at the next step boundary,
   * journals a pause and returns in progress; the next run resumes it (or rolls it back). A step
   * under way is finished first, so nothing is left mid-update.
   */
  stop?: AbortSignal;
  /** Default: POOL-YYYYMMDDTHHMMSSZ-xxxx on the executor's clock. */
  newId?: (pool: string) => string;
  /**
   * Why this run no longer holds the pool's lock, or undefined while it does; asked before every
   * record. Once it is lost, another process may be recovering the migration: the run writes
   * nothing more (no progress, no completion) and throws LockLostError.
   */
  lostLock?: () => string | undefined;
}

/** The run lost the pool's lock and stopped without journaling further; the next run recovers the migration. */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
  constructor(
    readonly pool: string,
    readonly migration: string,
    why: string,
    where: string,
  ) {
    super(`lost the lock on pool ${pool} (${why}); ${where}`);
  }
}

export interface MigrationResult {
  id: string;
  pool: string;
  outcome: Outcome;
  /** Why it rolled back, or why it could not. */
  reason?: string;
  /** Alerts raised by this call (also in the journal). */
  alerts: string[];
  /** Steps that passed their gate during this call. */
  stepsPassed: number;
  steps: number;
  /** What recovery decided, when this call picked up an unfinished migration. */
  recovery?: Recovery;
}

interface Run {
  id: string;
  pool: string;
  steps: readonly MigrationStep[];
  lastGood: PoolState;
  alerts: string[];
  passed: number;
  recovery?: Recovery;
  /** This run's first record names its process (pid, host, start time): it runs the migration from there. */
  claimed?: boolean;
  /** When the step under way was begun (its intent), in this process; unknown for a resumed step. */
  intentAt?: number;
}

const TIMED_OUT = Symbol('timed out');
const MINUTE = 60_000;

export class Executor {
  private readonly o: Required<
    Pick<ExecutorOptions, 'hookTimeoutMs' | 'pollMs' | 'rollbackAttempts' | 'rollbackRetryMs'>
  > &
    ExecutorOptions;

  constructor(options: ExecutorOptions) {
    this.o = {
      hookTimeoutMs: 60_000,
      pollMs: MINUTE,
      rollbackAttempts: 3,
      rollbackRetryMs: MINUTE,
      ...options,
    };
  }

  /**
   * A new migration of `plan` on `pool`: its last known-good state is the pool as the target has
   * it now. Started later than the plan's time, its steps move by the delay (PlanRecord.delayMs).
   */
  async start(pool: string, planned: PlanRecord): Promise<MigrationResult> {
    const lastGood = await this.o.deployer.current(pool);
    const plan: PlanRecord = { ...planned, delayMs: Math.max(0, this.now() - Date.parse(planned.at)) };
    const run: Run = {
      id: this.o.newId?.(pool) ?? defaultId(pool, this.now()),
      pool,
      steps: scheduled(plan),
      lastGood,
      alerts: [],
      passed: 0,
    };
    this.record(run, { kind: 'migration-started', plan, lastGood, reason: `${plan.steps.length} steps` });
    return this.steps(run, 0, 'apply');
  }

  /** Picks up a migration a crash left unfinished: resume it, or roll it back (recoveryFor decides). */
  async recover(m: MigrationStatus): Promise<MigrationResult> {
    const current = await this.o.deployer.current(m.pool);
    const recovery = recoveryFor(m, current);
    const run = this.runOf(m);
    run.recovery = recovery;
    if (recovery.action === 'rollback') {
      const why = `recovery after a crash: ${recovery.why}`;
      // The step in flight did not finish: say so, so no finished migration shows a step half-done.
      const inFlight = m.stepSummaries.find((s) => s.status === 'started' || s.status === 'applied');
      if (inFlight) {
        this.record(run, {
          kind: 'step-failed',
          step: { index: inFlight.index, id: inFlight.id, kind: inFlight.kind },
          state: m.steps[inFlight.index - 1]!.state,
          reason: why,
        });
      }
      return this.rollBack(run, why, true);
    }
    if (recovery.recordApplied) {
      const step = m.steps[recovery.from]!;
      this.record(run, {
        kind: 'step-applied',
        step: refOf(step, recovery.from),
        state: current,
        recovered: true,
        reason: recovery.why,
      });
    }
    return this.steps(run, recovery.from, recovery.phase);
  }

  /** `shadowcast rollback`: the pool back to the migration's last known-good state, whatever its outcome. */
  async rollBackMigration(m: MigrationStatus, reason: string): Promise<MigrationResult> {
    // A person asked for it: the exact state, capacity included (nothing is overloaded mid-step).
    return this.rollBack(this.runOf(m), reason, false, true);
  }

  // ---- Steps ----------------------------------------------------------------------------------

  private async steps(run: Run, from: number, phase: 'apply' | 'finish'): Promise<MigrationResult> {
    for (let i = from; i < run.steps.length; i++) {
      const step = run.steps[i]!;
      const ref = refOf(step, i);
      if (!(i === from && phase === 'finish')) {
        if (step.notBefore > this.now()) await this.sleepUnlessStopped(step.notBefore - this.now());
        if (this.o.stop?.aborted) return this.pause(run, i);
        const deadline = this.now() + this.o.stepTimeoutMs;
        run.intentAt = this.now();
        this.record(run, {
          kind: 'step-intent',
          step: ref,
          state: step.state,
          lastGood: run.lastGood,
          reason: step.reason,
        });
        this.o.crashPoint?.('after-intent', ref);
        const failed = await this.land(run, i, deadline);
        if (failed) return this.failStep(run, ref, failed);
        const done = await this.finish(run, i, deadline);
        if (done) return this.failStep(run, ref, done);
      } else {
        // Resumed after a crash: what is left of the step gets a fresh deadline.
        run.intentAt = undefined;
        const done = await this.finish(run, i, this.now() + this.o.stepTimeoutMs);
        if (done) return this.failStep(run, ref, done);
      }
      run.passed++;
    }
    this.record(run, { kind: 'migration-completed', reason: `${run.steps.length} steps applied` });
    return this.result(run, 'completed');
  }

  /** Journals a graceful stop before step `i` (0-based); the migration stays in progress. */
  private pause(run: Run, i: number): MigrationResult {
    const why = String(this.o.stop?.reason ?? 'stopping');
    const reason = `stopped before step ${i + 1} of ${run.steps.length} (${why}): the next run resumes it`;
    this.record(run, { kind: 'migration-paused', reason });
    return this.result(run, 'in_progress', reason);
  }

  /** The clock's sleep, cut short by a graceful stop. */
  private async sleepUnlessStopped(ms: number): Promise<void> {
    const stop = this.o.stop;
    if (!stop) return this.o.clock.sleep(ms);
    if (stop.aborted) return;
    let onAbort!: () => void;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      stop.addEventListener('abort', onAbort);
    });
    try {
      await Promise.race([this.o.clock.sleep(ms), aborted]);
    } finally {
      stop.removeEventListener('abort', onAbort);
    }
  }

  /** Checkpoint hook, readiness of the capacity a shift moves traffic onto, the update; a failure's reason. */
  private async land(run: Run, i: number, deadline: number): Promise<string | undefined> {
    const step = run.steps[i]!;
    const before = i === 0 ? run.lastGood : run.steps[i - 1]!.state;
    const hooked = await this.hook('checkpoint', run, i, deadline);
    if (hooked) return hooked;
    if (step.kind === 'shift') {
      const gain = gains(before.weights, step.state);
      const waited = await this.waitReady(run.pool, gain, deadline, `the ${gain} capacity it shifts onto`);
      if (waited) return waited;
    }
    const t0 = this.now();
    const ref = refOf(step, i);
    const result = await this.update(run.pool, deadline, () =>
      this.o.deployer.apply(run.pool, step.state, {
        stepId: `${run.id}/${step.id}`,
        // The target reports its update under way: a crash there leaves it running (or half done).
        onEvent: (e) => {
          if (e.kind !== 'update-started') return;
          this.o.crashPoint?.('mid-update', ref);
          this.o.crashPoint?.('mid-update-engine', ref);
        },
      }),
    );
    if (result === TIMED_OUT) return this.timedOut(run, 'the update was still running');
    this.o.crashPoint?.('after-apply', ref);
    if (!result.ok) return `update failed: ${result.reason ?? 'no reason given'}`;
    const shows = await this.o.deployer.current(run.pool);
    this.record(run, {
      kind: 'step-applied',
      step: refOf(step, i),
      state: shows,
      durationMs: this.now() - t0,
    });
    if (this.now() > deadline) return this.late(deadline, `the update took ${minutes(this.now() - t0)}`);
    if (!sameState(shows, step.state)) {
      return `the target shows ${describeState(shows)} after the update, not the step's ${describeState(step.state)}`;
    }
    return undefined;
  }

  /** Restore hook, readiness after a warm step, the bake and the gate; a failure's reason. */
  private async finish(run: Run, i: number, deadline: number): Promise<string | undefined> {
    const step = run.steps[i]!;
    const ref = refOf(step, i);
    const hooked = await this.hook('restore', run, i, deadline);
    if (hooked) return hooked;
    if (step.kind === 'warm') {
      const waited = await this.waitReady(run.pool, 'all', deadline, 'the new capacity');
      if (waited) return waited;
    }
    if (step.bakeMs <= 0) {
      this.record(run, {
        kind: 'gate-passed',
        step: ref,
        durationMs: 0,
        reason: 'no bake time: nothing to watch',
      });
      return undefined;
    }
    const from = this.now();
    const half = Math.floor(step.bakeMs / 2);
    await this.o.clock.sleep(half);
    this.o.crashPoint?.('mid-bake', ref);
    await this.o.clock.sleep(step.bakeMs - half);
    if (this.now() > deadline) return this.late(deadline, 'the bake ended');
    const gate = await this.within(deadline, () => this.o.gate.check(run.pool, from, this.now()));
    if (gate === TIMED_OUT) return this.timedOut(run, 'the health gate had not answered');
    if (gate instanceof Error) return `health gate could not be read: ${gate.message}`;
    let reason = `healthy for ${minutes(step.bakeMs)}`;
    if (!gate.pass) {
      const before = await this.noWorseThanBefore(run, step.bakeMs, gate, deadline);
      if (before === undefined) return `health gate failed: ${gate.reason}`;
      reason = before;
      this.alert(
        run,
        `${run.pool}: step ${ref.index} (${ref.id}) went ahead on a pool already unhealthy: ${before}`,
      );
    }
    this.record(run, { kind: 'gate-passed', step: ref, durationMs: this.now() - from, reason });
    return undefined;
  }

  /**
   * A step is held to the health the pool had before it: when the gate failed on a threshold the
   * pool already broke in the same span before the step began, and the step left it no worse
   * (within a tenth), the step did not cause it, and rolling back would return to that same
   * unhealthy pool (an overloaded one, most often, which the step is relieving). Then why the step
   * stands; undefined when it fails: a breach the pool did not have before, one that got worse,
   * missing data, or a step whose beginning this process did not see.
   */
  private async noWorseThanBefore(
    run: Run,
    bakeMs: number,
    after: Extract<GateResult, { pass: false }>,
    deadline: number,
  ): Promise<string | undefined> {
    const now = after.breaches;
    if (now === undefined || now.length === 0 || run.intentAt === undefined) return undefined;
    const start = run.intentAt;
    const before = await this.within(deadline, () => this.o.gate.check(run.pool, start - bakeMs, start));
    if (before === TIMED_OUT || before instanceof Error || before.pass) return undefined;
    const said: string[] = [];
    for (const b of now) {
      const a = before.breaches?.find((x) => x.metric === b.metric && x.bound === b.bound);
      if (a === undefined) return undefined;
      const noWorse = b.bound === 'max' ? b.worst <= a.worst * 1.1 : b.worst >= a.worst * 0.9;
      if (!noWorse) return undefined;
      said.push(
        `${b.metric} was already ${b.bound === 'max' ? 'above' : 'below'} its ${b.bound} ${b.limit} before the step (worst ${fmtValue(a.worst)}) and is no worse after it (worst ${fmtValue(b.worst)})`,
      );
    }
    return said.join('; ');
  }

  private async failStep(run: Run, ref: StepRef, reason: string): Promise<MigrationResult> {
    this.record(run, { kind: 'step-failed', step: ref, state: run.steps[ref.index - 1]!.state, reason });
    return this.rollBack(run, `step ${ref.index} (${ref.id}) failed: ${reason}`, true);
  }

  // ---- Rollback -------------------------------------------------------------------------------

  /**
   * The pool back to its last known-good routing on no less capacity than it has (rollbackTarget;
   * `exact`, by hand: the last known-good state itself), verified by reading the target back;
   * retried a few times, each failure alerted. When that state routes traffic to capacity the pool no
   * longer has, the capacity comes first (and its readiness), then the traffic.
   */
  private async rollBack(run: Run, why: string, alert: boolean, exact = false): Promise<MigrationResult> {
    const attempts = this.o.rollbackAttempts;
    for (let attempt = 1; ; attempt++) {
      const t0 = this.now();
      const target = exact
        ? run.lastGood
        : rollbackTarget(await this.o.deployer.current(run.pool), run.lastGood);
      this.record(run, {
        kind: 'rollback-intent',
        state: target,
        lastGood: run.lastGood,
        attempt,
        reason: why,
      });
      const failure = await this.rollBackOnce(run, target, attempt);
      this.o.crashPoint?.('mid-rollback', undefined);
      let shows: PoolState | undefined;
      let problem = failure;
      if (!problem) {
        shows = await this.o.deployer.current(run.pool);
        if (!sameState(shows, target)) {
          problem = `the target shows ${describeState(shows)}, not ${describeState(target)}`;
        }
      }
      if (!problem) {
        this.record(run, { kind: 'rollback-done', state: target, attempt, durationMs: this.now() - t0 });
        this.record(run, {
          kind: 'migration-rolled-back',
          state: target,
          lastGood: run.lastGood,
          reason: why,
        });
        if (alert)
          this.alert(
            run,
            `${run.pool}: rolled back to the last known-good routing, capacity kept (${describeState(target)}): ${why}`,
          );
        return this.result(run, 'rolled_back', why);
      }
      this.record(run, { kind: 'rollback-failed', state: target, attempt, reason: problem });
      this.alert(
        run,
        `${run.pool}: rollback attempt ${attempt} of ${attempts} failed (${problem}) after: ${why}`,
      );
      if (attempt >= attempts) {
        const reason = `rollback failed ${attempts} times (${problem}); the migration stays open: the next apply or rollback tries again`;
        this.alert(run, `${run.pool}: ${reason}`);
        return this.result(run, 'in_progress', reason);
      }
      await this.o.clock.sleep(this.o.rollbackRetryMs);
    }
  }

  /** One rollback: one update, or two when capacity must come back before traffic; a failure's reason. */
  private async rollBackOnce(run: Run, target: PoolState, attempt: number): Promise<string | undefined> {
    const deadline = this.now() + this.o.stepTimeoutMs;
    const current = await this.o.deployer.current(run.pool);
    if (needsCapacityFirst(current, target)) {
      const interim = withCapacityOf(current, target);
      const first = await this.update(run.pool, deadline, () =>
        this.o.deployer.rollback(run.pool, interim, { stepId: `${run.id}/rollback#${attempt}:capacity` }),
      );
      if (first === TIMED_OUT) return this.timedOut(run, 'the capacity update was still running');
      if (!first.ok) return `capacity update failed: ${first.reason ?? 'no reason given'}`;
      const waited = await this.waitReady(run.pool, 'all', deadline, 'the last known-good capacity');
      // Traffic still goes back: staying on a failed step is worse; the alert says what happened.
      if (waited) this.alert(run, `${run.pool}: rolling back without waiting any longer: ${waited}`);
    }
    const result = await this.update(run.pool, this.now() + this.o.stepTimeoutMs, () =>
      this.o.deployer.rollback(run.pool, target, { stepId: `${run.id}/rollback#${attempt}` }),
    );
    if (result === TIMED_OUT) return this.timedOut(run, 'the rollback update was still running');
    return result.ok ? undefined : `rollback update failed: ${result.reason ?? 'no reason given'}`;
  }

  // ---- Helpers --------------------------------------------------------------------------------

  /** A deployer call within the deadline (cut off there with a wall clock only); a throw is a failed update. */
  private async update(
    pool: string,
    deadline: number,
    call: () => Promise<ApplyResult>,
  ): Promise<Pick<ApplyResult, 'ok' | 'reason'> | typeof TIMED_OUT> {
    const out = await this.within(deadline, call);
    if (out instanceof Error) return { ok: false, reason: `${pool}: ${out.message}` };
    return out;
  }

  /** Runs `call`; with a real timer, gives up at the deadline. A throw comes back as an Error value. */
  private async within<T>(deadline: number, call: () => Promise<T>): Promise<T | Error | typeof TIMED_OUT> {
    const work = call().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    if (!this.o.timer) return work;
    const ac = new AbortController();
    try {
      const timer = this.o.timer(Math.max(0, deadline - this.now()), ac.signal).then(
        (): typeof TIMED_OUT => TIMED_OUT,
        () => new Promise<never>(() => {}),
      );
      return await Promise.race([work, timer]);
    } finally {
      ac.abort();
    }
  }

  private async timedOut(run: Run, what: string): Promise<string> {
    await this.o.deployer.cancel?.(run.pool).catch(() => {});
    return `deadline: ${what} ${minutes(this.o.stepTimeoutMs)} after the step started`;
  }

  /** `what` happened after the step's deadline. */
  private late(deadline: number, what: string): string {
    const ran = this.now() - (deadline - this.o.stepTimeoutMs);
    return `deadline: ${what}; the step has run ${minutes(ran)}, past its ${minutes(this.o.stepTimeoutMs)}`;
  }

  private async waitReady(
    pool: string,
    gain: Gain,
    deadline: number,
    what: string,
  ): Promise<string | undefined> {
    const readiness = this.o.readiness;
    if (!readiness || gain === 'none') return undefined;
    while (!(await readiness.ready(pool, gain))) {
      if (this.now() >= deadline)
        return `deadline: ${what} was not serving within ${minutes(this.o.stepTimeoutMs)}`;
      await this.o.clock.sleep(this.o.pollMs);
    }
    return undefined;
  }

  private async hook(name: HookName, run: Run, i: number, deadline: number): Promise<string | undefined> {
    const hook = this.o.hooks?.[name];
    if (!hook) return undefined;
    const step = run.steps[i]!;
    // On a simulated clock the deadline is simulated time: the hook gets its own real-time cap.
    const left = this.o.timer ? deadline - this.now() : Infinity;
    try {
      await hook(
        {
          hook: name,
          migration: run.id,
          pool: run.pool,
          index: i + 1,
          step,
          lastGood: run.lastGood,
          at: new Date(this.now()).toISOString(),
        },
        Math.max(1, Math.min(this.o.hookTimeoutMs, left)),
      );
    } catch (err) {
      return (err as Error).message;
    }
    return this.now() > deadline ? this.late(deadline, `the ${name} hook finished`) : undefined;
  }

  private alert(run: Run, message: string): void {
    run.alerts.push(message);
    this.record(run, { kind: 'alert', reason: message });
  }

  private record(run: Run, r: Omit<NewRecord, 'at' | 'pool' | 'migration'>): void {
    const lost = this.o.lostLock?.();
    if (lost !== undefined) throw new LockLostError(run.pool, run.id, lost, stoppedAt(r, run.steps.length));
    const owner = run.claimed ? {} : thisProcess();
    const record = this.o.journal.append({
      at: new Date(this.now()).toISOString(),
      migration: run.id,
      pool: run.pool,
      ...r,
      ...owner,
    } as NewRecord);
    run.claimed = true;
    this.o.onRecord?.(record);
  }

  private result(run: Run, outcome: Outcome, reason?: string): MigrationResult {
    return {
      id: run.id,
      pool: run.pool,
      outcome,
      reason,
      alerts: run.alerts,
      stepsPassed: run.passed,
      steps: run.steps.length,
      recovery: run.recovery,
    };
  }

  private runOf(m: MigrationStatus): Run {
    return { id: m.id, pool: m.pool, steps: m.steps, lastGood: m.lastGood, alerts: [], passed: 0 };
  }

  private now(): number {
    return this.o.clock.now();
  }
}

/** Where a run that lost its lock stopped: before the record it did not write. */
function stoppedAt(r: Omit<NewRecord, 'at' | 'pool' | 'migration'>, steps: number): string {
  if (r.kind === 'step-intent' && r.step) return `stopped before step ${r.step.index} of ${steps}`;
  if (r.kind === 'migration-completed')
    return `stopped before journaling the migration completed (all ${steps} steps passed)`;
  if (r.kind === 'migration-started') return 'stopped before step 1';
  if (r.step) return `stopped in step ${r.step.index} of ${steps}, before journaling ${r.kind}`;
  return `stopped before journaling ${r.kind}`;
}

function refOf(step: MigrationStep, i: number): StepRef {
  return { index: i + 1, id: step.id, kind: step.kind };
}

function defaultId(pool: string, t: number): string {
  const stamp = new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${pool}-${stamp}-${randomBytes(2).toString('hex')}`;
}

function minutes(ms: number): string {
  return ms < MINUTE ? `${Math.round(ms / 1000)} s` : `${Math.round((ms / MINUTE) * 10) / 10} min`;
}

function fmtValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
