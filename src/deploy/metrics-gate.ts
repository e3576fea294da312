// The metrics-threshold HealthGate: after a step, each policy gate's metric is read from a
// MetricSource over the bake window and checked against its max/min. It fails closed: a metric
// with no samples in the window fails the step (docs/design.md, rule 4: missing data never passes as healthy),
// and so does a source that cannot be read. The query per metric is a template in which `{pool}`
// is replaced, so one mapping serves every pool (a PromQL expression, or a CSV series name).

import type { GateBreach, GateResult, HealthGate, MetricSource } from '../core/seams.js';
import type { HealthGateRule } from '../policy/types.js';
import { iso } from '../core/time-format.js';

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
    let first: { t: number; reason: string } | undefined;
    const breaches: GateBreach[] = [];
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
      const vs = values.map((x) => x.v);
      const over = rule.max === undefined ? undefined : values.find((x) => x.v > rule.max!);
      const under = rule.min === undefined ? undefined : values.find((x) => x.v < rule.min!);
      if (over) {
        breaches.push({ metric: rule.metric, bound: 'max', limit: rule.max!, worst: Math.max(...vs) });
        const reason = `${rule.metric} ${fmt(over.v)} above max ${rule.max} at ${iso(over.t)}`;
        if (first === undefined) first = { t: over.t, reason };
      }
      if (under) {
        breaches.push({ metric: rule.metric, bound: 'min', limit: rule.min!, worst: Math.min(...vs) });
        const reason = `${rule.metric} ${fmt(under.v)} below min ${rule.min} at ${iso(under.t)}`;
        if (first === undefined) first = { t: under.t, reason };
      }
    }
    // The first rule (in the policy's order) that broke names the failure; all of them go along.
    if (first !== undefined) return { pass: false, reason: first.reason, breaches };
    return { pass: true };
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
