// The forecasts a replay plans with, fitted ahead on every core. Which fits a replay makes depends
// on the demand and the schedule alone, never on what the replay did: a fit is due at a scheduled
// time (or the replay's start) when a sample has arrived since the last fit and the last fit is at
// least `refitMs` old; a plan uses the newest fit due at or before it. So fits can run ahead of the
// replay on a FitPool, several at once. The one thing a fit inherits from the fit before it is
// `auto`'s selection; a fit is dispatched with the selection its predecessor is expected to leave
// (the same one, while it is fresh), waits when the predecessor selects afresh, and is discarded
// and fitted again when a predecessor unexpectedly re-selected. The results are those of fitting
// every due fit in order on one thread.

import type { CalendarEvent } from '../core/events.js';
import type { ModelSelection } from '../core/seams.js';
import type { Series } from '../core/series.js';
import { historyWindow, selectionToReuse } from '../forecast/window.js';
import type { Policy } from '../policy/types.js';
import { nextRun } from '../pipeline/cron.js';
import type { Fitter, FitResult } from '../pipeline/fit-job.js';

/** The policy's scheduled times after a moment, computed once each. */
export class CronTimes {
  private readonly times: number[] = [];

  constructor(
    private readonly cron: string,
    private readonly timezone: string,
    private readonly from: number,
  ) {}

  /** The first scheduled time strictly after `t`. */
  after(t: number): number {
    if (t < this.from) return nextRun(this.cron, this.timezone, t);
    while (this.times.length === 0 || this.times[this.times.length - 1]! <= t) {
      const last = this.times.length === 0 ? this.from : this.times[this.times.length - 1]!;
      this.times.push(nextRun(this.cron, this.timezone, last));
    }
    let lo = 0;
    let hi = this.times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! > t) hi = mid;
      else lo = mid + 1;
    }
    return this.times[lo]!;
  }
}

/** Samples whose whole interval has passed by `now`: what a metric store would have. */
export function samplesKnown(s: Series, now: number): number {
  let lo = 0;
  let hi = s.timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.timestamps[mid]! + s.stepMs <= now) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Due {
  at: number;
  known: number;
}

interface Job {
  promise: Promise<FitResult>;
  result?: FitResult;
  error?: Error;
  /** The selection this fit was handed; undefined when it selects afresh. */
  previous?: ModelSelection;
}

/** Waiting for a fit that selects afresh: what it leaves is not known until it is done. */
const PENDING = Symbol('pending');

export interface FitAheadOptions {
  pool: Fitter;
  demand: Series;
  policy: Policy;
  events: readonly CalendarEvent[];
  cron: CronTimes;
  start: number;
  end: number;
  refitMs: number;
}

export class FitAhead {
  private readonly due: Due[] = [];
  /** Index in `due` of due[0] (entries before it are dropped once used). */
  private base = 0;
  private candidate: number | undefined;
  private lastAt = -Infinity;
  private lastKnown = 0;
  private readonly jobs = new Map<number, Job>();
  private nextDispatch = 0;
  private previous: ModelSelection | undefined | typeof PENDING = undefined;
  /** Fits settled in order so far (each due fit up to the newest used). */
  private settled = -1;
  private last: FitResult | undefined;
  private readonly lookahead: number;
  private readonly selects: boolean;
  private readonly horizon: number;
  private wake: (() => void) | undefined;
  fits = 0;
  selections = 0;

  constructor(private readonly o: FitAheadOptions) {
    this.candidate = o.start;
    this.lookahead = o.pool.workers === 0 ? 0 : 2 * o.pool.workers;
    this.selects = o.policy.forecast.model === 'auto';
    this.horizon = Math.max(1, Math.ceil(o.policy.forecast.horizonMs / o.demand.stepMs));
  }

  /** The newest fit due at or before `now`, once it (and every fit before it) is done. */
  async at(now: number): Promise<FitResult | undefined> {
    // Every fit due up to now: until one is due after it, or the replay ends.
    let n = this.base + this.due.length;
    while ((this.due.length === 0 || this.due[this.due.length - 1]!.at <= now) && this.dueAt(n)) n++;
    let k = this.base + this.due.length - 1;
    while (k >= this.base && this.due[k - this.base]!.at > now) k--;
    if (k < 0) return undefined;
    while (this.settled < k) {
      const j = this.settled + 1;
      const result = await this.settle(j);
      this.settled = j;
      this.last = result;
      this.fits++;
      if (result.reselected) this.selections++;
      this.jobs.delete(j);
    }
    // Entries before k are no longer needed by anyone.
    const drop = k - this.base;
    if (drop > 0) {
      this.due.splice(0, drop);
      this.base = k;
    }
    return this.last;
  }

  /** Makes due fit `k` known (generating due fits up to it); false past the replay's end. */
  private dueAt(k: number): boolean {
    while (this.base + this.due.length <= k) {
      const c = this.candidate;
      if (c === undefined || c >= this.o.end) return false;
      this.candidate = this.o.cron.after(c);
      const known = samplesKnown(this.o.demand, c);
      if (known > this.lastKnown && c - this.lastAt >= this.o.refitMs) {
        this.due.push({ at: c, known });
        this.lastAt = c;
        this.lastKnown = known;
      }
    }
    return true;
  }

  /** Fit `k`'s result, once every fit before it has been handed the selection it should have. */
  private async settle(k: number): Promise<FitResult> {
    for (;;) {
      this.pump(k);
      const job = this.jobs.get(k);
      if (job === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      await job.promise.catch(() => undefined);
      if (this.jobs.get(k) !== job) continue;
      if (job.error) throw job.error;
      return job.result!;
    }
  }

  /** Dispatches fits in order, up to `need` and `lookahead` beyond it, while their input is known. */
  private pump(need: number): void {
    while (this.nextDispatch <= need + this.lookahead && this.previous !== PENDING) {
      const k = this.nextDispatch;
      if (!this.dueAt(k)) return;
      const due = this.due[k - this.base]!;
      const window = historyWindow(this.o.demand, this.o.policy.forecast.historyMs, due.known);
      const previous = this.selects ? selectionToReuse(this.previous, window) : undefined;
      const f = this.o.policy.forecast;
      const job: Job = {
        previous,
        promise: this.o.pool.fit({
          model: f.model,
          window: {
            name: window.name,
            timestamps: window.timestamps,
            values: window.values,
            stepMs: window.stepMs,
            ...(window.stepMonths ? { stepMonths: window.stepMonths } : {}),
          },
          events: this.o.events,
          level: f.level,
          horizon: this.horizon,
          ...(previous ? { previous } : {}),
        }),
      };
      this.jobs.set(k, job);
      this.nextDispatch = k + 1;
      this.previous = this.selects ? (previous ?? PENDING) : undefined;
      job.promise.then(
        (r) => this.done(k, job, r),
        (e: unknown) => this.failed(k, job, e),
      );
    }
  }

  private done(k: number, job: Job, r: FitResult): void {
    if (this.jobs.get(k) !== job) return;
    job.result = r;
    if (this.selects && (job.previous === undefined || r.reselected)) {
      // What it leaves is known now; fits dispatched after it on a guess that it kept its
      // selection are wrong when it did not.
      if (job.previous !== undefined) {
        for (const j of [...this.jobs.keys()]) if (j > k) this.jobs.delete(j);
      }
      this.nextDispatch = k + 1;
      this.previous = r.selection;
    }
    this.poke();
  }

  private failed(k: number, job: Job, e: unknown): void {
    if (this.jobs.get(k) !== job) return;
    job.error = e instanceof Error ? e : new Error(String(e));
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
