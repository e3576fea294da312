// The failure probability score on real server metrics (a committed slice of SMD machine-2-1): causal (a
// row's score never depends on later rows), within [0, 1], silent during warm-up, and rising when
// a metric climbs far above its normal range.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { defaultModel } from '../../src/risk/default-model.js';
import defaultModelJson from '../../src/risk/default-model.json' with { type: 'json' };
import { MODEL_PARTS } from '../../src/risk/model.js';
import { RiskModelSchema } from '../../src/risk/model-schema.js';
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
const scored = scoreNode(node.timestamps, node.metrics, model);
const scores = scored.map((r) => r.score);

describe('risk score', () => {
  it('uses a built-in model that passes the schema a model file from disk must pass', () => {
    const parsed = RiskModelSchema.safeParse(defaultModelJson);
    expect(parsed.success, JSON.stringify(parsed.error?.issues[0])).toBe(true);
  });

  it('gives every row a score in [0, 1]', () => {
    expect(scores).toHaveLength(2000);
    for (const s of scores) expect(s >= 0 && s <= 1).toBe(true);
  });

  it('scores 0 while no metric has a normal range yet (the first nine hours)', () => {
    expect(scores.slice(0, 9 * 60 - 5).every((s) => s === 0)).toBe(true);
    expect(scores.slice(9 * 60 + 5).some((s) => s > 0)).toBe(true);
  });

  it('is causal for every model: appending future rows never changes an earlier score or part', () => {
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
          const again = scoreNode(timestamps, metrics, model);
          expect(again.slice(0, cut).map((r) => r.score)).toEqual(scores.slice(0, cut));
          for (const part of MODEL_PARTS) {
            expect(again.slice(0, cut).map((r) => r.parts[part])).toEqual(
              scored.slice(0, cut).map((r) => r.parts[part]),
            );
          }
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

  // Memory as a share of its limit, a row a minute for two days with a daily swing, then leaking
  // from 0.42 to past its limit over the last HOURS. A live run reads it over a fixed lookback, so
  // the window's start moves with the clock; the verdict must not.
  const HOUR = 3_600_000;
  const end = Date.UTC(2026, 10, 23, 23);
  function leakRows(hours: number, late: number) {
    const memory = (t: number) => {
      const daily = 0.05 * Math.sin((2 * Math.PI * (t % (24 * HOUR))) / (24 * HOUR) + 2);
      const leak = t > end - hours * HOUR ? (0.55 * (t - end + hours * HOUR)) / (hours * HOUR) : 0;
      return 0.42 + daily + 0.01 * Math.sin(t / 600_000) + leak;
    };
    const timestamps: number[] = [];
    for (let t = end - 48 * HOUR + late * 60_000; t <= end; t += 60_000) timestamps.push(t);
    return scoreNode(timestamps, { memory: Float64Array.from(timestamps, memory) }, model);
  }

  it.each([2, 4])('a leak heading to its limit (over %i hours) crosses 0.9 before it gets there', (hours) => {
    // The leak reaches 1 (the limit) about two minutes before the end.
    const rows = leakRows(hours, 0);
    const before = rows.slice(-40, -5).map((r) => r.score);
    expect(Math.max(...before)).toBeGreaterThanOrEqual(0.9);
    // ...and an hour before the limit, it was not there yet: the score rose with the evidence.
    expect(rows.at(-120)!.score).toBeLessThan(Math.max(...before));
  });

  it('does not hinge on how much history the window holds: a leak near its limit reads the same', () => {
    const finals = [0, 20, 30, 45, 59].map((late) => leakRows(4, late).at(-10)!.score);
    expect(Math.max(...finals) - Math.min(...finals)).toBeLessThan(0.05);
  });

  it('a healthy, noisy host that merely wanders stays below 0.7 for a week', () => {
    // Four metrics a minute: daily swings, slow wandering, noise, one spiky; no failure anywhere.
    const rng = mulberry32(21);
    const noise = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const n = 7 * 1440;
    const t0 = Date.UTC(2026, 10, 1);
    const timestamps = Array.from({ length: n }, (_, i) => t0 + i * 60_000);
    const walk = [0, 0, 0, 0];
    const metrics: Record<string, Float64Array> = {
      cpu: new Float64Array(n),
      mem: new Float64Array(n),
      disk: new Float64Array(n),
      net: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      const day = Math.sin((2 * Math.PI * i) / 1440);
      for (let k = 0; k < 4; k++) walk[k] = 0.998 * walk[k]! + 0.003 * noise();
      metrics.cpu![i] = 0.35 + 0.15 * day + walk[0]! + 0.04 * noise();
      metrics.mem![i] = 0.55 + 0.03 * day + walk[1]! + 0.01 * noise();
      metrics.disk![i] = 0.4 + walk[2]! + 0.005 * noise();
      metrics.net![i] = Math.max(
        0,
        0.2 + 0.1 * day + walk[3]! + (rng() < 0.01 ? 0.3 * rng() : 0.02 * noise()),
      );
    }
    const rows = scoreNode(timestamps, metrics, model);
    expect(Math.max(...rows.map((r) => r.score))).toBeLessThan(0.7);
  });
});
