// loadSeries over any MetricSource: exactly one series, put on its grid by the same rules as a
// CSV series. The source here is a fake (a plain object): what it returns is the input under test.

import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/core/errors.js';
import type { MetricSource } from '../../src/core/seams.js';
import type { Series } from '../../src/core/series.js';
import { parseCsv } from '../../src/metrics/csv.js';
import type { SourceSeriesRequest } from '../../src/metrics/series-request.js';
import { loadSeries } from '../../src/pipeline/forecast-pool.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 2);

function series(name: string, points: [hour: number, value: number][]): Series {
  return {
    name,
    labels: { pool: name },
    timestamps: points.map(([h]) => T0 + h * H),
    values: Float64Array.from(points.map(([, v]) => v)),
    stepMs: H,
  };
}

function request(returned: Series[], maxGap = 6): SourceSeriesRequest & { asked: unknown[] } {
  const asked: unknown[] = [];
  const source: MetricSource = {
    range: async (...args) => {
      asked.push(args);
      return { series: returned, repairs: [] };
    },
  };
  const label = 'prometheus http://p:9090/ query "demand"';
  return {
    kind: 'source',
    source,
    query: 'demand',
    start: T0,
    end: T0 + 9 * H,
    stepMs: H,
    label,
    maxGap,
    asked,
  };
}

describe('loadSeries from a MetricSource', () => {
  it('asks the source for the query, range and step, and keeps name and labels', async () => {
    const req = request([
      series(
        'a',
        [0, 1, 2, 3].map((h) => [h, h * 10] as [number, number]),
      ),
    ]);
    const { series: s, repairs } = await loadSeries(req);
    expect(req.asked).toEqual([['demand', T0, T0 + 9 * H, H]]);
    expect([s.name, s.labels, s.stepMs, [...s.values]]).toEqual(['a', { pool: 'a' }, H, [0, 10, 20, 30]]);
    expect(repairs).toEqual([]);
  });

  it('fills gaps and NaN as a CSV reader would, and reports them', async () => {
    const points: [number, number][] = [
      [0, 1],
      [1, 2],
      [4, 5],
      [5, NaN],
      [6, 7],
    ];
    const { series: s, repairs } = await loadSeries(request([series('a', points)]));
    expect([...s.values]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(repairs).toEqual([
      { series: 'a', kind: 'gap-interpolated', at: T0 + 2 * H, count: 2 },
      { series: 'a', kind: 'gap-interpolated', at: T0 + 5 * H, count: 1 },
    ]);
    // The same data as CSV, missing rows and all, reads to the same series.
    const csv = `timestamp,value\n${points.map(([h, v]) => `${new Date(T0 + h * H).toISOString()},${v}`).join('\n')}\n`;
    const fromCsv = parseCsv('a.csv', csv);
    expect([...fromCsv.series[0]!.values]).toEqual([...s.values]);
    expect(fromCsv.repairs).toEqual(repairs);
  });

  const at = (h: number) => new Date(T0 + h * H).toISOString();
  const where = 'prometheus http://p:9090/ query "demand"';
  it.each([
    {
      name: 'no series',
      returned: [],
      type: UsageError,
      message: `${where} returned no series between ${at(0)} .. ${at(9)}`,
    },
    {
      name: 'two series',
      returned: [series('a{pool="a"}', [[0, 1]]), series('a{pool="b"}', [[0, 1]])],
      type: UsageError,
      message: `${where} returned 2 series (a{pool="a"}, a{pool="b"}); choose one with label matchers or an aggregation in the query`,
    },
    {
      name: 'a gap longer than --max-gap',
      returned: [
        series('a', [
          [0, 1],
          [1, 1],
          [9, 1],
        ]),
      ],
      type: InputError,
      message: `${where}: ${at(9)}: gap of 7 missing points in "a" before this sample (more than --max-gap 6); fill it at the source or raise --max-gap`,
    },
    {
      name: '+Inf',
      returned: [
        series('a', [
          [0, 1],
          [1, Infinity],
        ]),
      ],
      type: InputError,
      message: `${where}: ${at(1)}: "a" is +Inf; guard the query against division by zero`,
    },
    {
      name: 'one point',
      returned: [series('a', [[0, 1]])],
      type: InputError,
      message: `${where}: ${at(0)}: series "a" has 1 point(s); need at least 2`,
    },
    {
      name: 'a trailing NaN',
      returned: [
        series('a', [
          [0, 1],
          [1, NaN],
        ]),
      ],
      type: InputError,
      message: `${where}: ${at(1)}: "a" ends with a missing value; trim it or fill it at the source`,
    },
  ])('refuses $name', async ({ returned, type, message }) => {
    const err = await loadSeries(request(returned)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toBe(message);
  });

  it('lists at most ten series on the one line', async () => {
    const many = Array.from({ length: 12 }, (_, i) => series(`s${i}`, [[0, 1]]));
    await expect(loadSeries(request(many))).rejects.toThrow(/\(s0, s1, .*, s9, … 2 more\)/);
  });
});
