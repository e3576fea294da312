// The Pulumi deployer: each pool is one stack of shadowcast's Pulumi program, and each migration
// step is one `pulumi up` of it with the step's DesiredState in config. The pool's state is what
// the stack's outputs say its last successful update declared. A lock held by another update is
// waited out, within a bound; a lock or pending operations left by an interrupted update are
// cleared (cancel, refresh --clear-pending-creates) and the update retried once.

import { mkdir } from 'node:fs/promises';
import { DependencyError, UsageError } from '../../core/errors.js';
import { emptyPool, type PoolState } from '../../core/plan.js';
import type { ApplyOptions, ApplyResult, Clock, DeployEvent, Deployer } from '../../core/seams.js';
import { systemClock } from '../../core/clock.js';
import {
  configValues,
  defaultProgramDir,
  DESIRED_KEY,
  resolveBackend,
  type StackSettings,
} from './config.js';
import {
  type ChangeCounts,
  commandSummary,
  createAutomationDriver,
  type InlineProgram,
  type PulumiDriver,
  StackBusyError,
  type StackOutputs,
} from './driver.js';
import { describeChanges, failureReason, newTrace, traceEvent } from './events.js';
import {
  describeHolders,
  killOwnCli,
  type LockHolder,
  type StaleLockCheck,
  staleOnThisHost,
} from './locks.js';
import { describeState, parsePoolState, poolStateProblem, sameState } from '../../core/pool-state.js';

export { readStackTemplate, type StackSettings } from './config.js';
export type { PulumiDriver } from './driver.js';
export type { LockHolder } from './locks.js';

export const PULUMI_DEFAULTS = {
  stackName: '<pool>',
  lockWaitMs: 5 * 60_000,
  lockRetryMs: 5_000,
  lockRetryMaxMs: 60_000,
  cancelGraceMs: 15_000,
} as const;

export interface PulumiDeployerOptions {
  /**
   * Each pool's stack: a template in which `<pool>` is replaced (default `<pool>`; e.g.
   * `prod-<pool>`, or `acme/shadowcast/<pool>` on Pulumi Cloud), or a function. Each pool needs a
   * stack of its own: an update writes its pool alone into `shadowcast:desired`.
   */
  stackName?: string | ((pool: string) => string);
  /**
   * The target's settings, copied into each stack's config before every update: `shadowcast:target`,
   * `shadowcast:aws` or `shadowcast:kubernetes`, `shadowcast:nodes`, provider keys (`aws:region`).
   * E.g. `await readStackTemplate('Pulumi.prod.yaml')`. `shadowcast:desired` is ignored here: the
   * deployer writes it.
   */
  settings?: StackSettings | ((pool: string) => StackSettings);

  /** The CLI operations. Default: the Automation API, set up from the options below. */
  driver?: PulumiDriver;
  /** The directory of Pulumi.yaml. Default: shadowcast's own program (the Pulumi.yaml above this module). */
  workDir?: string;
  /** An inline program instead of Pulumi.yaml (tests, embedding). */
  program?: InlineProgram;
  /** Default backend file://<stateDir>/pulumi; stateDir defaults to .shadowcast. */
  stateDir?: string;
  /** Any backend; default PULUMI_BACKEND_URL from the environment, else the file backend above. */
  backendUrl?: string;
  /** The CLI's installation directory (`<cliRoot>/bin/pulumi`); default `pulumi` on PATH. */
  cliRoot?: string;
  /** PULUMI_HOME for every command (plugins, credentials); default ~/.pulumi. */
  pulumiHome?: string;
  /** More environment for every command (provider credentials, PULUMI_ACCESS_TOKEN, ...). */
  envVars?: Record<string, string>;
  /** The environment consulted for PULUMI_BACKEND_URL and the passphrase (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;

  /** How long to wait for a lock held by another update before giving up (default 5 min). */
  lockWaitMs?: number;
  /** First pause between attempts on a held lock (default 5 s), doubling up to lockRetryMaxMs (60 s). */
  lockRetryMs?: number;
  lockRetryMaxMs?: number;
  /** How long cancel waits for an interrupted update to stop before killing its CLI (default 15 s). */
  cancelGraceMs?: number;
  /** Kills the CLI processes this process runs on a stack; their pids (default: SIGKILL, found in /proc). */
  killCli?: (stack: string) => Promise<number[]>;
  /** Which lock holders are provably gone (default: created on this host by a process that is gone). */
  isStaleLock?: StaleLockCheck;
  clock?: Clock;
  /** Operator notes: waiting on a lock, recovering an interrupted update. */
  log?: (line: string) => void;
}

/**
 * The stack stayed locked by another update for the whole wait. Nothing was changed: the caller
 * should skip the pool this run (not roll back: a rollback would meet the same lock).
 */
export class StackLockedError extends Error {
  override readonly name = 'StackLockedError';
  constructor(
    readonly pool: string,
    readonly stackName: string,
    readonly holders: LockHolder[],
    readonly waitedMs: number,
  ) {
    super(
      `pulumi: stack ${stackName} (pool ${pool}) is locked by another update (${describeHolders(holders)}); ` +
        `gave up after ${Math.round(waitedMs / 1000)} s, nothing was changed`,
    );
  }
}

type Attempt =
  | { kind: 'ok'; state: PoolState; changes?: ChangeCounts }
  | { kind: 'failed'; reason: string; state?: PoolState; cancelled?: boolean }
  | { kind: 'locked'; holders: LockHolder[] };

type Kind = 'update' | 'rollback';

interface Inflight {
  abort: AbortController;
  /** Settles when the `up` does, however it ends. */
  settled: Promise<unknown>;
  /** Set by cancel: the update stops after this attempt, whatever it returned. */
  cancelled: boolean;
}

export class PulumiDeployer implements Deployer {
  private readonly driver: PulumiDriver;
  private readonly clock: Clock;
  private readonly backendDir: string | undefined;
  private readonly isStale: StaleLockCheck;
  private readonly log: (line: string) => void;
  private readonly lockWaitMs: number;
  private readonly lockRetryMs: number;
  private readonly lockRetryMaxMs: number;
  /** Stacks selected (or created) by this deployer, and the pool each belongs to. */
  private readonly selected = new Map<string, string>();
  /** Stacks already checked for operations an interrupted update left pending. */
  private readonly checked = new Set<string>();
  /** The last stack selection: the next one waits for it. */
  private selecting: Promise<unknown> = Promise.resolve();
  /** This deployer's `up` running on each stack, for cancel. */
  private readonly inflight = new Map<string, Inflight>();
  private readonly cancelGraceMs: number;
  private readonly killCli: (stack: string) => Promise<number[]>;

  constructor(private readonly options: PulumiDeployerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.isStale = options.isStaleLock ?? staleOnThisHost();
    this.log = options.log ?? (() => undefined);
    this.lockWaitMs = options.lockWaitMs ?? PULUMI_DEFAULTS.lockWaitMs;
    this.lockRetryMs = options.lockRetryMs ?? PULUMI_DEFAULTS.lockRetryMs;
    this.lockRetryMaxMs = options.lockRetryMaxMs ?? PULUMI_DEFAULTS.lockRetryMaxMs;
    this.cancelGraceMs = options.cancelGraceMs ?? PULUMI_DEFAULTS.cancelGraceMs;
    this.killCli = options.killCli ?? killOwnCli;
    if (!(this.lockWaitMs >= 0 && this.lockRetryMs > 0 && this.lockRetryMaxMs >= this.lockRetryMs)) {
      throw new UsageError(
        `pulumi lock waits: need lockWaitMs >= 0 and 0 < lockRetryMs <= lockRetryMaxMs, got ${this.lockWaitMs}, ${this.lockRetryMs}, ${this.lockRetryMaxMs}`,
      );
    }
    if (typeof options.stackName === 'string' && !options.stackName.includes('<pool>')) {
      throw new UsageError(
        `pulumi stack name template ${JSON.stringify(options.stackName)} must contain <pool>: each pool needs a stack of its own`,
      );
    }
    if (options.driver) {
      this.driver = options.driver;
      this.backendDir = undefined;
      return;
    }
    const backend = resolveBackend({
      ...(options.backendUrl !== undefined ? { backendUrl: options.backendUrl } : {}),
      ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    this.backendDir = backend.dir;
    const workDir = options.workDir ?? (options.program ? undefined : defaultProgramDir());
    if (!workDir && !options.program) {
      throw new UsageError(
        "no Pulumi.yaml found above shadowcast's modules: set the Pulumi deployer's workDir to the directory of the Pulumi program",
      );
    }
    this.driver = createAutomationDriver({
      ...(workDir ? { workDir } : {}),
      ...(options.program ? { program: options.program } : {}),
      envVars: { ...backend.envVars, ...options.envVars },
      ...(options.cliRoot ? { cliRoot: options.cliRoot } : {}),
      ...(options.pulumiHome ? { pulumiHome: options.pulumiHome } : {}),
    });
  }

  /**
   * Stops the pool's update under way (the executor gives up on a step at its deadline and rolls
   * back: the stack must be free for it). Called only by the pool's lock holder, whose update it
   * is; an update already over is no error.
   *
   * This deployer's own `up` of the stack is interrupted (SIGINT: Pulumi stops starting resource
   * operations and exits once those in flight end); the update that ran it stops there and is
   * never retried. An `up` still running after cancelGraceMs (a provider operation that does not
   * end) is killed: the CLI processes this process started for the stack get SIGKILL, which may
   * leave operations pending, so the stack is checked for them (and refreshed) before its next
   * update. Then `pulumi cancel` releases the stack's lock: on a DIY backend a killed CLI leaves
   * its lock file, on Pulumi Cloud the service ends the update.
   */
  async cancel(pool: string): Promise<void> {
    const stack = this.stackFor(pool);
    const running = this.inflight.get(stack);
    if (running) {
      running.cancelled = true;
      running.abort.abort();
      const ended = await settledWithin(running.settled, this.cancelGraceMs);
      if (!ended) {
        const killed = await this.killCli(stack);
        this.log(
          `${stack}: the update did not stop within ${Math.round(this.cancelGraceMs / 1000)} s of its interrupt: killed ${killed.length ? `pulumi (pid ${killed.join(', ')})` : 'nothing (no CLI process of ours found)'}`,
        );
        await settledWithin(running.settled, this.cancelGraceMs);
      }
      // Whatever it left behind is cleared before the next update.
      this.checked.delete(stack);
    }
    try {
      await this.driver.cancel(stack);
    } catch (err) {
      if (/already (been )?completed|no .*update.* in progress/i.test(messageOf(err))) return;
      throw err;
    }
  }

  /** The stack a pool's updates go to. */
  stackFor(pool: string): string {
    const name = this.options.stackName ?? PULUMI_DEFAULTS.stackName;
    const stack = typeof name === 'function' ? name(pool) : name.replaceAll('<pool>', pool);
    if (!/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(stack)) {
      throw new UsageError(`pool ${pool}: ${JSON.stringify(stack)} is not a valid Pulumi stack name`);
    }
    return stack;
  }

  // ---- Deployer -------------------------------------------------------------------------------

  /**
   * The pool as its stack's outputs say the last successful update declared it (`desired`).
   * A stack with no outputs (new, never updated, or destroyed) declares nothing: emptyPool().
   * Config is not consulted: it holds what was last asked for, which a failed or locked-out
   * update leaves behind too.
   */
  async current(pool: string): Promise<PoolState> {
    const stack = await this.ensure(pool);
    return this.poolOf(stack, pool, await this.outputs(stack));
  }

  apply(pool: string, desired: PoolState, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.update('update', pool, desired, options);
  }

  /** An update to `to` like any other, recorded in the stack history as a rollback. */
  rollback(pool: string, to: PoolState, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.update('rollback', pool, to, options);
  }

  // ---- Beyond the seam ------------------------------------------------------------------------

  /** What an update to `desired` would change (`pulumi preview`; takes no lock). Writes the config. */
  async preview(pool: string, desired: PoolState): Promise<ChangeCounts> {
    const stack = await this.ensure(pool);
    await this.writeConfig(stack, pool, desired);
    return this.driver.preview(stack);
  }

  /**
   * Clears an interrupted update the caller knows was its own (e.g. its journal shows a step
   * started and never finished) although the lock cannot be proven stale, as on Pulumi Cloud or
   * after a runner moved hosts: cancel, then refresh --clear-pending-creates. Never call it while
   * another runner may be updating the stack: cancel ends that update.
   */
  async recover(pool: string): Promise<void> {
    const stack = await this.ensure(pool);
    const outcome = await this.clearInterrupted(stack, true, 'shadowcast recover');
    if (outcome?.kind === 'locked') throw new StackLockedError(pool, stack, outcome.holders, 0);
    if (outcome?.kind === 'failed') throw new Error(`pulumi: stack ${stack}: ${outcome.reason}`);
  }

  // ---- The update -----------------------------------------------------------------------------

  private async update(
    kind: Kind,
    pool: string,
    desired: PoolState,
    options: ApplyOptions,
  ): Promise<ApplyResult> {
    const step = options.stepId === undefined ? '' : ` ${options.stepId}`;
    const what = `${kind}${step}`;
    const message = kind === 'rollback' ? `shadowcast rollback${step}` : `shadowcast${step}`;
    const emit = (k: DeployEvent['kind'], text: string) =>
      options.onEvent?.({ at: this.clock.now(), pool, kind: k, message: text });

    if (kind === 'rollback') emit('rollback', `rolling back to ${describeState(desired)}`);
    const invalid = poolStateProblem(desired);
    if (invalid) {
      const reason = `${what} failed: invalid desired state: ${invalid}`;
      emit('update-failed', reason);
      return { ok: false, state: await this.current(pool), reason };
    }
    const stack = await this.ensure(pool);
    await this.writeConfig(stack, pool, desired);

    // Each recovery at most once per update: a refresh for pending operations, a cancel (and
    // refresh) for a stale lock.
    let refreshed = false;
    let cancelled = false;
    let recovery: 'stale-lock' | 'pending' | undefined;
    if (!this.checked.has(stack)) {
      // First update of this stack by this process: a crash before it may have left operations
      // pending (a CREATE retained would create the resource twice).
      if (await this.hasPending(stack)) recovery = 'pending';
      this.checked.add(stack);
    }
    let waitingSince: number | undefined;
    let pause = this.lockRetryMs;
    for (;;) {
      let outcome: Attempt | undefined;
      if (recovery) {
        refreshed = true;
        cancelled ||= recovery === 'stale-lock';
        outcome = await this.clearInterrupted(stack, recovery === 'stale-lock', message);
        recovery = undefined;
      }
      outcome ??= await this.attempt(stack, pool, desired, message, what, emit);
      if (outcome.kind === 'failed' && outcome.cancelled) {
        const reason = `${what} failed: ${outcome.reason}`;
        emit('update-failed', reason);
        return { ok: false, state: await this.current(pool), reason };
      }

      if (outcome.kind === 'ok') {
        emit(
          'update-done',
          `${what} done: ${describeChanges(outcome.changes)}; ${describeState(outcome.state)}`,
        );
        return { ok: true, state: outcome.state };
      }
      if (outcome.kind === 'failed') {
        if (!refreshed && (await this.hasPending(stack))) {
          this.log(`${stack}: ${what} failed and left operations pending: refreshing, then retrying once`);
          recovery = 'pending';
          continue;
        }
        const reason = `${what} failed: ${outcome.reason}`;
        emit('update-failed', reason);
        return { ok: false, state: outcome.state ?? (await this.current(pool)), reason };
      }
      // Locked.
      if (!cancelled && (await this.allStale(outcome.holders))) {
        this.log(
          `${stack}: locked by an update that is gone (${describeHolders(outcome.holders)}): cancelling it, refreshing, retrying once`,
        );
        recovery = 'stale-lock';
        continue;
      }
      const now = this.clock.now();
      waitingSince ??= now;
      const waited = now - waitingSince;
      if (waited >= this.lockWaitMs) throw new StackLockedError(pool, stack, outcome.holders, waited);
      const sleep = Math.min(pause, this.lockWaitMs - waited);
      this.log(
        `${stack}: locked by another update (${describeHolders(outcome.holders)}); trying again in ${sleep} ms`,
      );
      await this.clock.sleep(sleep);
      pause = Math.min(pause * 2, this.lockRetryMaxMs);
    }
  }

  /** One `up`: ok with the state read back, failed with the first error diagnostic, or locked. */
  private async attempt(
    stack: string,
    pool: string,
    desired: PoolState,
    message: string,
    what: string,
    emit: (kind: DeployEvent['kind'], text: string) => void,
  ): Promise<Attempt> {
    const trace = newTrace();
    const onEvent = (event: Parameters<typeof traceEvent>[1]) => {
      const note = traceEvent(trace, event);
      if (note?.kind === 'started')
        emit('update-started', `${what} started on stack ${stack}: ${describeState(desired)}`);
      else if (note?.kind === 'resource-failed') emit('instance-failed', note.message);
    };
    const abort = new AbortController();
    const up = this.driver.up(stack, { message, onEvent, signal: abort.signal });
    const inflight: Inflight = { abort, settled: up.catch(() => undefined), cancelled: false };
    this.inflight.set(stack, inflight);
    try {
      const result = await up;
      if (inflight.cancelled)
        return { kind: 'failed', reason: 'cancelled (its deadline passed)', cancelled: true };
      return { kind: 'ok', state: this.poolOf(stack, pool, result.outputs), changes: result.changes };
    } catch (err) {
      if (inflight.cancelled)
        return { kind: 'failed', reason: 'cancelled (its deadline passed)', cancelled: true };
      if (err instanceof StackBusyError) return { kind: 'locked', holders: err.holders };
      if (err instanceof DependencyError) throw err;
      // `up` also throws when the update applied but reading its outputs afterwards failed
      // (docs/design.md, Pulumi 1): with no error diagnostic, the outputs decide.
      const state = this.poolOf(stack, pool, await this.outputs(stack));
      const reason = failureReason(trace);
      if (reason === undefined && sameState(state, desired)) {
        this.log(
          `${stack}: up reported an error after the update (${messageOf(err)}), but its outputs show it applied`,
        );
        return { kind: 'ok', state, ...(trace.summary ? { changes: trace.summary } : {}) };
      }
      return { kind: 'failed', reason: reason ?? messageOf(err), state };
    } finally {
      if (this.inflight.get(stack) === inflight) this.inflight.delete(stack);
    }
  }

  /**
   * An interrupted update's leftovers cleared: with `cancel`, its lock first (`pulumi cancel`;
   * "already completed" is fine), then `refresh --clear-pending-creates`. The refresh takes the
   * lock itself, so a live update elsewhere makes it fail as locked instead of being disturbed.
   * Undefined when cleared; else the outcome that stands instead of the update.
   */
  private async clearInterrupted(
    stack: string,
    cancel: boolean,
    message: string,
  ): Promise<Attempt | undefined> {
    if (cancel) {
      try {
        await this.driver.cancel(stack);
      } catch (err) {
        if (err instanceof StackBusyError) return { kind: 'locked', holders: err.holders };
        if (err instanceof DependencyError) throw err;
        if (!/already (been )?completed|no .*update.* in progress/i.test(messageOf(err))) {
          return { kind: 'failed', reason: `cancelling the interrupted update failed: ${messageOf(err)}` };
        }
      }
    }
    try {
      await this.driver.refresh(stack, {
        clearPendingCreates: true,
        message: `${message} (after an interrupted update)`,
      });
    } catch (err) {
      if (err instanceof StackBusyError) return { kind: 'locked', holders: err.holders };
      if (err instanceof DependencyError) throw err;
      return { kind: 'failed', reason: `refreshing after an interrupted update failed: ${messageOf(err)}` };
    }
    this.log(`${stack}: interrupted update cleared${cancel ? ' (cancelled, refreshed)' : ' (refreshed)'}`);
    return undefined;
  }

  // ---- Stack plumbing -------------------------------------------------------------------------

  private async ensure(pool: string): Promise<string> {
    const stack = this.stackFor(pool);
    const claim = () => {
      const owner = this.selected.get(stack);
      if (owner !== undefined && owner !== pool) {
        throw new UsageError(
          `pools ${owner} and ${pool} both map to stack ${stack}: each pool needs a stack of its own`,
        );
      }
      return owner === pool;
    };
    if (claim()) return stack;
    // `stack select` rewrites the workspace's current-stack file in PULUMI_HOME, which concurrent
    // selections can corrupt (docs/design.md, Pulumi 2): pools updated in parallel select one at a time.
    const turn = this.selecting.then(async () => {
      if (claim()) return;
      if (this.backendDir) await mkdir(this.backendDir, { recursive: true });
      await this.backend(stack, 'selecting', () => this.driver.selectOrCreate(stack));
      this.selected.set(stack, pool);
    });
    this.selecting = turn.catch(() => undefined);
    await turn;
    return stack;
  }

  private async writeConfig(stack: string, pool: string, desired: PoolState): Promise<void> {
    const raw = this.options.settings;
    const settings = (typeof raw === 'function' ? raw(pool) : raw) ?? {};
    const { [DESIRED_KEY]: _ignored, ...rest } = settings;
    const values = { ...configValues(rest), [DESIRED_KEY]: JSON.stringify({ pools: { [pool]: desired } }) };
    await this.backend(stack, 'writing the config of', () => this.driver.setConfig(stack, values));
  }

  private outputs(stack: string): Promise<StackOutputs> {
    return this.backend(stack, 'reading the outputs of', () => this.driver.outputs(stack));
  }

  private async hasPending(stack: string): Promise<boolean> {
    const state = await this.backend(stack, 'exporting', () => this.driver.exportStack(stack));
    return (state.deployment.pending_operations ?? []).length > 0;
  }

  private async allStale(holders: LockHolder[]): Promise<boolean> {
    if (holders.length === 0) return false;
    for (const h of holders) if (!(await this.isStale(h))) return false;
    return true;
  }

  /** An operation outside an update failing means the CLI or the backend is not usable: exit 3. */
  private async backend<T>(stack: string, what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof DependencyError || err instanceof StackBusyError) throw err;
      throw new DependencyError(`pulumi: ${what} stack ${stack} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  private poolOf(stack: string, pool: string, outputs: StackOutputs): PoolState {
    return poolFromOutputs(stack, pool, outputs);
  }
}

/**
 * The pool's state from a stack's outputs: `desired.pools[pool]` as the program exported it.
 * No outputs at all (a stack never updated): emptyPool(). A pool the outputs do not name: empty.
 */
export function poolFromOutputs(stack: string, pool: string, outputs: StackOutputs): PoolState {
  if (Object.keys(outputs).length === 0) return emptyPool();
  const desired = outputs.desired as { pools?: Record<string, unknown> } | undefined;
  if (desired === undefined || typeof desired !== 'object' || desired === null) {
    throw new Error(
      `pulumi: stack ${stack} has outputs but no "desired" output: is it shadowcast's program?`,
    );
  }
  const raw = desired.pools?.[pool];
  if (raw === undefined) return emptyPool();
  const state = parsePoolState(raw);
  if (typeof state === 'string')
    throw new Error(`pulumi: stack ${stack}: output desired.pools.${pool}: ${state}`);
  return state;
}

/** Whether `p` settles within `ms` (a real timer: cancel runs on the wall clock). */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error in one line (a driver's own are already; a raw CLI message is summarized). */
function messageOf(err: unknown): string {
  return commandSummary(err instanceof Error ? err.message : String(err));
}
