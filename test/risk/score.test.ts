// The failure probability score on real server metrics (a committed slice of SMD machine-2-1): causal (a
// row's score never depends on later rows), within [0, 1], silent during warm-up, and rising when
// a metric climbs far above its normal range.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultModel } from '../../src/risk/default-model.js';
import { scoreNode } from '../../src/risk/score.js';

// The first 2000 rows of four metrics of SMD machine-2-1 (provenance in the fixture's README).
const file = resolve(import.meta.dirname, '..', 'fixtures', 'smd', 'machine-2-1.slice.csv');
const METRICS = ['dim_0', 'dim_2', 'dim_12', 'dim_19'];

function slice(rows: number) {
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(0, rows + 1);
  const header = lines[0]!.split(',');
  const cols = METRICS.map((m) => header.indexOf(m));
  const body = lines.slice(1).map((l) => l.split(','));
  return {
    timestamps: body.map((r) => Date.parse(r[0]!)),
    metrics: Object.fromEntries(
      METRICS.map((m, k) => [m, Float64Array.from(body, (r) => Number(r[cols[k]!]))]),
    ),
  };
}

const model = defaultModel();
const node = slice(2000);
const scores = scoreNode(node.timestamps, node.metrics, model).map((r) => r.score);

describe('risk score', () => {
  it('gives every row a score in [0, 1]', () => {
    expect(scores).toHaveLength(2000);
    for (const s of scores) expect(s >= 0 && s <= 1).toBe(true);
  });

  it('scores 0 while no metric has a normal range yet (the first nine hours)', () => {
    expect(scores.slice(0, 9 * 60 - 5).every((s) => s === 0)).toBe(true);
    expect(scores.slice(9 * 60 + 5).some((s) => s > 0)).toBe(true);
  });

  it('is causal: appending future rows never changes an earlier score', () => {
    const cut = 1700; // past the first seasonal-forecast refits (a day of 30-minute buckets)
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (future) => {
          const timestamps = [...node.timestamps.slice(0, cut)];
          const metrics: Record<string, Float64Array> = {};
          for (const m of METRICS) {
            const head = node.metrics[m]!.subarray(0, cut);
            metrics[m] = Float64Array.from([...head, ...future]);
          }
          for (let k = 0; k < future.length; k++) timestamps.push(timestamps[cut - 1]! + (k + 1) * 60_000);
          const again = scoreNode(timestamps, metrics, model).map((r) => r.score);
          expect(again.slice(0, cut)).toEqual(scores.slice(0, cut));
        },
      ),
      { numRuns: 8 },
    );
  });

  it('rises when one metric climbs far above its normal range and stays there', () => {
    const leak = { timestamps: node.timestamps, metrics: { ...node.metrics } };
    const x = Float64Array.from(node.metrics.dim_12!);
    for (let i = 1200; i < x.length; i++) x[i] = x[i]! + ((i - 1200) / 300) * 2;
    leak.metrics.dim_12 = x;
    const after = scoreNode(leak.timestamps, leak.metrics, model).map((r) => r.score);
    const tail = (a: number[]) => Math.max(...a.slice(1900));
    expect(tail(after)).toBeGreaterThan(tail(scores));
  });

  it('does not hinge on how much history the window holds: a leak near its limit reads the same', () => {
    // Memory as a share of its limit, a row a minute for two days with a daily swing, leaking
    // from 0.42 to 0.92 over the last 8 hours. A live run reads it over a fixed lookback, so the
    // window's start moves with the clock; the verdict at its end must not.
    const HOUR = 3_600_000;
    const end = Date.UTC(2026, 10, 23, 23);
    const memory = (t: number) => {
      const daily = 0.05 * Math.sin((2 * Math.PI * (t % (24 * HOUR))) / (24 * HOUR) + 2);
      const leak = t > end - 8 * HOUR ? (0.5 * (t - end + 8 * HOUR)) / (8 * HOUR) : 0;
      return 0.42 + daily + 0.01 * Math.sin(t / 600_000) + leak;
    };
    const finals = [0, 20, 30, 45, 59].map((late) => {
      const timestamps: number[] = [];
      for (let t = end - 48 * HOUR + late * 60_000; t <= end; t += 60_000) timestamps.push(t);
      const rows = scoreNode(timestamps, { memory: Float64Array.from(timestamps, memory) }, model);
      return rows.at(-1)!.score;
    });
    for (const score of finals) expect(score).toBeGreaterThan(0.7);
    expect(Math.max(...finals) - Math.min(...finals)).toBeLessThan(0.05);
  });
});
