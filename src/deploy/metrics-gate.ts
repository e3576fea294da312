// The metrics-threshold HealthGate: after a step, each policy gate's metric is read from a
// MetricSource over the bake window and checked against its max/min. It fails closed: a metric
// with no samples in the window fails the step (docs/design.md, rule 4: missing data never passes as healthy),
// and so does a source that cannot be read. The query per metric is a template in which `{pool}`
// is replaced, so one mapping serves every pool (a PromQL expression, or a CSV series name).

import type { GateResult, HealthGate, MetricSource } from '../core/seams.js';
import type { HealthGateRule } from '../policy/types.js';

export interface MetricsGateOptions {
  source: MetricSource;
  rules: readonly HealthGateRule[];
  /** Query template per gate metric, `{pool}` replaced by the pool's name. */
  queries: Readonly<Record<string, string>>;
  /** Resolution asked of the source (default 30 s). */
  stepMs?: number;
}

export class MetricsThresholdGate implements HealthGate {
  constructor(private readonly options: MetricsGateOptions) {
    for (const rule of options.rules) {
      if (options.queries[rule.metric] === undefined) {
        throw new Error(
          `health gate metric ${rule.metric} has no query (known: ${Object.keys(options.queries).join(', ') || 'none'})`,
        );
      }
    }
  }

  async check(pool: string, start: number, end: number): Promise<GateResult> {
    const window = `between ${iso(start)} and ${iso(end)}`;
    for (const rule of this.options.rules) {
      const query = this.options.queries[rule.metric]!.replaceAll('{pool}', pool);
      let values: { t: number; v: number }[];
      try {
        const set = await this.options.source.range(query, start, end, this.options.stepMs ?? 30_000);
        values = set.series.flatMap((s) =>
          s.timestamps.flatMap((t, i) => {
            const v = s.values[i]!;
            return t >= start && t <= end && Number.isFinite(v) ? [{ t, v }] : [];
          }),
        );
      } catch (err) {
        return {
          pass: false,
          reason: `${rule.metric} unreadable (${(err as Error).message}); failing closed`,
        };
      }
      if (values.length === 0) {
        return {
          pass: false,
          reason: `${rule.metric}: no samples for pool ${pool} ${window}; failing closed`,
        };
      }
      values.sort((a, b) => a.t - b.t);
      for (const { t, v } of values) {
        if (rule.max !== undefined && v > rule.max) {
          return { pass: false, reason: `${rule.metric} ${fmt(v)} above max ${rule.max} at ${iso(t)}` };
        }
        if (rule.min !== undefined && v < rule.min) {
          return { pass: false, reason: `${rule.metric} ${fmt(v)} below min ${rule.min} at ${iso(t)}` };
        }
      }
    }
    return { pass: true };
  }
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
