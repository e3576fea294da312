// The run loop: every pool of this runner's shard on its policy's cron schedule (croner, in the
// policy's time zone), or all of them once. A pool's run never overlaps its previous run (a firing
// that finds it still going is skipped and logged); pools take turns for the CPU, `concurrency`
// at a time; one failing pool never stops the others. stop() (SIGTERM, SIGINT) starts no new
// run, lets a migration pause at its next step boundary, and resolves once every run has ended.

import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import { UsageError } from '../core/errors.js';
import type { Policy } from '../policy/types.js';
import { type PoolRunContext, type PoolRunReport, runPool } from './pool-run.js';
import type { ForecastSpec } from './spec.js';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

export interface RunRecord {
  runId: string;
  mode: 'once' | 'scheduled';
  startedAt: number;
  finishedAt: number;
  pools: PoolRunReport[];
}

export interface RunnerOptions {
  specs: readonly ForecastSpec[];
  policies: ReadonlyMap<string, { policy: Policy }>;
  context: Omit<PoolRunContext, 'runId' | 'stop'>;
  shard?: Shard;
  /** Pools run at the same time (default 1: forecasting is CPU-bound). */
  concurrency?: number;
  /** After each run (every pool once, or one pool's scheduled firing): the report, the summary. */
  onRun?: (run: RunRecord) => Promise<void>;
}

/** `i/n` with 0 ≤ i < n. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 0 && index < count)) {
    throw new UsageError(`--shard "${text}": expected i/n with 0 <= i < n, like 0/3`);
  }
  return { index, count };
}

/** Which shard a pool belongs to: FNV-1a of its name, so adding a pool never moves the others. */
export function shardOf(pool: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pool.length; i++) {
    h ^= pool.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

export function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

export class Runner {
  private readonly abort = new AbortController();
  private readonly tasks: Cron[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly busy = new Set<string>();
  private queue: (() => void)[] = [];
  private active = 0;
  readonly specs: ForecastSpec[];

  constructor(private readonly o: RunnerOptions) {
    const shard = o.shard;
    this.specs = o.specs.filter(
      (s) => o.policies.has(s.pool) && (!shard || shardOf(s.pool, shard.count) === shard.index),
    );
  }

  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Every pool once, in turn, as one run. */
  async once(): Promise<RunRecord> {
    const startedAt = this.o.context.now();
    const runId = newRunId(startedAt);
    const pools = await Promise.all(this.specs.map((s) => this.pool(runId, s)));
    const run: RunRecord = {
      runId,
      mode: 'once',
      startedAt,
      finishedAt: this.o.context.now(),
      pools: pools.filter((p): p is PoolRunReport => p !== undefined),
    };
    await this.o.onRun?.(run);
    return run;
  }

  /** Schedules every pool on its policy's cron; `immediately`: each pool also runs now. */
  start(immediately = false): void {
    const log = this.o.context.log;
    for (const spec of this.specs) {
      const { cron: expr, timezone } = this.o.policies.get(spec.pool)!.policy.schedule;
      // protect: a firing while the previous run (the promise fire returns) is still going is
      // skipped, and said so.
      const task = new Cron(
        expr,
        {
          timezone,
          mode: '5-part',
          protect: () =>
            log.warn(
              { event: 'overlap', pool: spec.pool },
              `${spec.pool}: scheduled run skipped: the previous run is still going`,
            ),
          catch: (err) => log.error({ event: 'scheduler', pool: spec.pool }, String(err)),
        },
        () => this.fire(spec),
      );
      this.tasks.push(task);
      const next = task.nextRun();
      log.info(
        { event: 'scheduled', pool: spec.pool, cron: expr, timezone, next: next?.toISOString() },
        `${spec.pool}: scheduled "${expr}" (${timezone}); next run ${next?.toISOString() ?? 'never'}`,
      );
      if (immediately) void this.fire(spec);
    }
  }

  /** Starts nothing new; a migration under way pauses at its next step boundary; resolves when all runs ended. */
  async stop(reason: string): Promise<void> {
    if (!this.abort.signal.aborted) this.abort.abort(reason);
    for (const t of this.tasks) t.stop();
    this.tasks.length = 0;
    const waiting = this.queue;
    this.queue = [];
    for (const go of waiting) go();
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** One pool's scheduled firing, as a run of its own. */
  private async fire(spec: ForecastSpec): Promise<void> {
    if (this.stopping || this.busy.has(spec.pool)) return;
    const startedAt = this.o.context.now();
    const runId = newRunId(startedAt);
    const report = await this.pool(runId, spec);
    if (!report) return;
    const run: RunRecord = {
      runId,
      mode: 'scheduled',
      startedAt,
      finishedAt: this.o.context.now(),
      pools: [report],
    };
    try {
      await this.o.onRun?.(run);
    } catch (err) {
      this.o.context.log.error({ event: 'report-failed', run: runId }, (err as Error).message);
    }
  }

  /** One pool's run, when it is this pool's turn; undefined when stopping first. */
  private async pool(runId: string, spec: ForecastSpec): Promise<PoolRunReport | undefined> {
    this.busy.add(spec.pool);
    const job = (async () => {
      try {
        await this.turn();
        try {
          if (this.stopping) return undefined;
          return await runPool(
            { ...this.o.context, runId, stop: this.abort.signal },
            spec,
            this.o.policies.get(spec.pool)!.policy,
          );
        } finally {
          this.release();
        }
      } finally {
        this.busy.delete(spec.pool);
      }
    })();
    this.running.add(job);
    try {
      return await job;
    } finally {
      this.running.delete(job);
    }
  }

  private turn(): Promise<void> {
    if (this.active < (this.o.concurrency ?? 1) || this.stopping) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.queue.push(() => {
        this.active++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}
