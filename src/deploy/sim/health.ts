// The health gate over the simulated fleet's recorded signals, and the record itself: one sample
// per pool and served minute. The gate fails closed: a window with no data, or with minutes whose
// metrics were out, fails with a reason that says so, because a step nobody watched is not healthy.

import type { GateBreach, GateResult, HealthGate } from '../../core/seams.js';
import type { HealthSignals } from './serve.js';
import { iso } from '../../core/time-format.js';

/** One gate rule: the step fails when `metric` goes above `max` or below `min` during the window. */
export interface HealthRule {
  metric: string;
  max?: number;
  min?: number;
}

export interface SignalSample {
  t: number;
  /** null: the minute was served but its metrics are missing (an outage of the health source). */
  signals: HealthSignals | null;
}

/** Where the gate reads samples from: the simulated fleet, or anything else that records them. */
export interface HealthRecord {
  /** Samples of `pool` with start <= t <= end, in time order. */
  samples(pool: string, start: number, end: number): readonly SignalSample[];
}

/** Samples per pool, kept in time order for `retentionMs` behind the newest. */
export class SignalLog implements HealthRecord {
  private readonly byPool = new Map<string, SignalSample[]>();

  constructor(private readonly retentionMs = 7 * 86_400_000) {}

  record(pool: string, sample: SignalSample): void {
    let list = this.byPool.get(pool);
    if (!list) this.byPool.set(pool, (list = []));
    let at = list.length;
    while (at > 0 && list[at - 1]!.t > sample.t) at--;
    // The same minute served again replaces its sample.
    if (at > 0 && list[at - 1]!.t === sample.t) list[at - 1] = sample;
    else list.splice(at, 0, sample);
    const oldest = list[list.length - 1]!.t - this.retentionMs;
    // Prune in batches, not every minute.
    if (list[0]!.t < oldest - 3_600_000) list.splice(0, lowerBound(list, oldest));
  }

  samples(pool: string, start: number, end: number): readonly SignalSample[] {
    const list = this.byPool.get(pool) ?? [];
    return list.slice(lowerBound(list, start), lowerBound(list, end + 1));
  }
}

/** Index of the first sample at or after t. */
function lowerBound(list: readonly SignalSample[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

export class SimHealthGate implements HealthGate {
  constructor(
    private readonly record: HealthRecord,
    private readonly rules: readonly HealthRule[],
  ) {
    for (const rule of rules) {
      if (rule.max === undefined && rule.min === undefined) {
        throw new Error(`health rule for ${rule.metric} has neither max nor min`);
      }
    }
  }

  /** Every sample in [start, end] must exist and keep every rule; the earliest breach is the reason. */
  async check(pool: string, start: number, end: number): Promise<GateResult> {
    const samples = this.record.samples(pool, start, end);
    const window = `between ${iso(start)} and ${iso(end)}`;
    if (samples.length === 0) return { pass: false, reason: `no health data for pool ${pool} ${window}` };
    const missing = samples.filter((s) => s.signals === null);
    if (missing.length > 0) {
      return {
        pass: false,
        reason:
          `metrics missing for pool ${pool}: ${missing.length} of ${samples.length} minutes ${window} ` +
          `have no health signals (first at ${iso(missing[0]!.t)}); failing closed`,
      };
    }
    let first: string | undefined;
    const breaches: GateBreach[] = [];
    for (const rule of this.rules) {
      if (
        samples.some(
          (x) => (x.signals as unknown as Record<string, number | undefined>)[rule.metric] === undefined,
        )
      ) {
        const known = Object.keys(samples[0]!.signals!).join(', ');
        return {
          pass: false,
          reason: `metric ${rule.metric} is not recorded for pool ${pool} (known: ${known})`,
        };
      }
    }
    for (const { t, signals } of samples) {
      for (const rule of this.rules) {
        const value = (signals as unknown as Record<string, number>)[rule.metric]!;
        const at = `at ${iso(t)} (pool ${pool})`;
        if (first === undefined && rule.max !== undefined && value > rule.max) {
          first = `${rule.metric} ${fmt(value)} above max ${rule.max} ${at}`;
        }
        if (first === undefined && rule.min !== undefined && value < rule.min) {
          first = `${rule.metric} ${fmt(value)} below min ${rule.min} ${at}`;
        }
      }
    }
    if (first === undefined) return { pass: true };
    // Every rule the window broke, with its worst value: what "no worse than before" compares.
    for (const rule of this.rules) {
      const vs = samples.map((x) => (x.signals as unknown as Record<string, number>)[rule.metric]!);
      const hi = Math.max(...vs);
      const lo = Math.min(...vs);
      if (rule.max !== undefined && hi > rule.max)
        breaches.push({ metric: rule.metric, bound: 'max', limit: rule.max, worst: hi });
      if (rule.min !== undefined && lo < rule.min)
        breaches.push({ metric: rule.metric, bound: 'min', limit: rule.min, worst: lo });
    }
    return { pass: false, reason: first, breaches };
  }
}
