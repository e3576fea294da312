// The metrics-threshold gate over a MetricSource: thresholds, the query template, and failing
// closed when data is missing or unreadable.

import { describe, expect, it } from 'vitest';
import type { MetricSource } from '../../src/core/seams.js';
import { MetricsThresholdGate } from '../../src/deploy/metrics-gate.js';

const T0 = Date.UTC(2026, 10, 23, 10);
const MIN = 60_000;

/** A source holding series by query; it records the queries it was asked. */
function source(series: Record<string, [number, number][]>, asked: string[] = []): MetricSource {
  return {
    async range(query) {
      asked.push(query);
      const points = series[query];
      if (!points) throw new Error(`unknown query ${query}`);
      return {
        series: [
          {
            name: query,
            timestamps: points.map((p) => p[0]),
            values: Float64Array.from(points.map((p) => p[1])),
            stepMs: MIN,
          },
        ],
        repairs: [],
      };
    },
  };
}

const rules = [
  { metric: 'error_rate', max: 0.01 },
  { metric: 'latency_p99_ms', max: 500 },
];
const queries = { error_rate: '{pool}:errors', latency_p99_ms: '{pool}:p99' };

describe('MetricsThresholdGate', () => {
  it('passes when every sample in the window keeps every rule, asking each pool its own query', async () => {
    const asked: string[] = [];
    const gate = new MetricsThresholdGate({
      source: source(
        {
          'web:errors': [
            [T0, 0.001],
            [T0 + MIN, 0.002],
          ],
          'web:p99': [
            [T0, 120],
            [T0 + MIN, 180],
          ],
        },
        asked,
      ),
      rules,
      queries,
    });
    expect(await gate.check('web', T0, T0 + 2 * MIN)).toEqual({ pass: true });
    expect(asked).toEqual(['web:errors', 'web:p99']);
  });

  it('fails on the first breach, naming the metric, value, limit and time', async () => {
    const gate = new MetricsThresholdGate({
      source: source({
        'web:errors': [[T0, 0.001]],
        'web:p99': [
          [T0, 120],
          [T0 + MIN, 730],
          [T0 + 2 * MIN, 900],
        ],
      }),
      rules,
      queries,
    });
    expect(await gate.check('web', T0, T0 + 2 * MIN)).toEqual({
      pass: false,
      reason: 'latency_p99_ms 730 above max 500 at 2026-11-23T10:01:00.000Z',
      breaches: [{ metric: 'latency_p99_ms', bound: 'max', limit: 500, worst: 900 }],
    });
  });

  it('ignores samples outside the window', async () => {
    const gate = new MetricsThresholdGate({
      source: source({
        'web:errors': [
          [T0 - MIN, 0.5],
          [T0, 0.001],
        ],
        'web:p99': [[T0, 100]],
      }),
      rules,
      queries,
    });
    expect(await gate.check('web', T0, T0 + MIN)).toEqual({ pass: true });
  });

  it('fails closed when a metric has no samples in the window, or cannot be read', async () => {
    const empty = new MetricsThresholdGate({
      source: source({ 'web:errors': [[T0 - 10 * MIN, 0]], 'web:p99': [[T0, 100]] }),
      rules,
      queries,
    });
    expect(await empty.check('web', T0, T0 + MIN)).toEqual({
      pass: false,
      reason:
        'error_rate: no samples for pool web between 2026-11-23T10:00:00.000Z and 2026-11-23T10:01:00.000Z; failing closed',
    });
    const broken = new MetricsThresholdGate({ source: source({}), rules, queries });
    expect(await broken.check('web', T0, T0 + MIN)).toEqual({
      pass: false,
      reason: 'error_rate unreadable (unknown query web:errors); failing closed',
    });
  });

  it('refuses a gate metric it has no query for', () => {
    expect(
      () => new MetricsThresholdGate({ source: source({}), rules, queries: { error_rate: 'x' } }),
    ).toThrow('health gate metric latency_p99_ms has no query (known: error_rate)');
  });
});
