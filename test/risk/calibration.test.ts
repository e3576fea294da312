// The pieces under the score: isotonic calibration (pool-adjacent-violators), the logistic
// classifier, the rolling z-score baseline and the online statistics.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyIsotonic, fitIsotonic } from '../../src/risk/isotonic.js';
import { fitLogistic } from '../../src/risk/logistic-fit.js';
import { predictLogistic } from '../../src/risk/logistic.js';
import { RollingMin, Ring } from '../../src/risk/stats.js';
import { RollingZ, zCoverage } from '../../bench/zscore.js';

describe('isotonic calibration', () => {
  it('pools adjacent violators (hand-computed, no prior)', () => {
    // Scores 1..5 with outcomes 0,1,0,1,1: blocks {1}=0, {2,3}=0.5, {4,5}=1.
    const map = fitIsotonic([1, 2, 3, 4, 5], [0, 1, 0, 1, 1], 0);
    expect(map).toEqual({ x: [1, 3, 5], y: [0, 0.5, 1] });
    expect(applyIsotonic(map, 0.5)).toBe(0);
    expect(applyIsotonic(map, 2.5)).toBe(0.5);
    expect(applyIsotonic(map, 9)).toBe(1);
  });

  it('merges a step on fewer than minRows rows into its neighbour (hand-computed)', () => {
    // Blocks {1}=0 (one row), {2,3}=0.5, {4,5}=1; with two rows a step, {1} joins {2,3}: 1/3.
    const map = fitIsotonic([1, 2, 3, 4, 5], [0, 1, 0, 1, 1], 0, 2);
    expect(map.x).toEqual([3, 5]);
    expect(map.y[0]).toBeCloseTo(1 / 3, 12);
    expect(map.y[1]).toBe(1);
  });

  it('keeps every step on at least minRows rows, and the map non-decreasing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 30 }),
        (pairs, minRows) => {
          const scores = pairs.map((p) => p[0]);
          const map = fitIsotonic(
            scores,
            pairs.map((p) => (p[1] ? 1 : 0)),
            2,
            minRows,
          );
          for (let k = 1; k < map.y.length; k++) expect(map.y[k]!).toBeGreaterThanOrEqual(map.y[k - 1]!);
          if (map.x.length > 1)
            map.x.forEach((edge, k) => {
              const below = k === 0 ? -Infinity : map.x[k - 1]!;
              const rows = scores.filter((s) => s > below && s <= edge).length;
              expect(rows).toBeGreaterThanOrEqual(minRows);
            });
        },
      ),
    );
  });

  it('is non-decreasing and within [0, 1] for any data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.boolean()), {
          minLength: 1,
          maxLength: 80,
        }),
        (pairs) => {
          const map = fitIsotonic(
            pairs.map((p) => p[0]),
            pairs.map((p) => (p[1] ? 1 : 0)),
          );
          for (let k = 1; k < map.y.length; k++) expect(map.y[k]!).toBeGreaterThanOrEqual(map.y[k - 1]!);
          for (const y of map.y) expect(y >= 0 && y <= 1).toBe(true);
        },
      ),
    );
  });
});

describe('logistic classifier', () => {
  it('learns which feature carries the signal, and is deterministic', () => {
    const rows: Float64Array[] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const signal = (i % 20) / 4; // 0..4.75
      const noise = ((i * 7919) % 13) / 3;
      rows.push(Float64Array.of(signal, noise));
      y.push(signal > 2.5 ? 1 : 0);
    }
    const m = fitLogistic(rows, y);
    expect(m.weights[1]!).toBeGreaterThan(2);
    expect(Math.abs(m.weights[2]!)).toBeLessThan(0.5);
    expect(predictLogistic(m, [4.5, 1])).toBeGreaterThan(0.9);
    expect(predictLogistic(m, [0.5, 1])).toBeLessThan(0.1);
    expect(fitLogistic(rows, y)).toEqual(m);
  });
});

describe('rolling z-score baseline', () => {
  it('maps |z| to two-sided normal coverage: 1.04 -> 0.70, 1.645 -> 0.90', () => {
    expect(zCoverage(1.0364)).toBeCloseTo(0.7, 3);
    expect(zCoverage(-1.6449)).toBeCloseTo(0.9, 3);
    expect(zCoverage(0)).toBeCloseTo(0, 6);
  });

  it('compares each value with the window before it (hand-computed)', () => {
    const z = new RollingZ(10);
    const values = [1, 3, 1, 3, 1, 3, 1, 3, 1, 3];
    for (const v of values) z.update({ a: v });
    // Window mean 2, population sd 1: a value of 5 is z = 3.
    expect(z.update({ a: 5 })).toBeCloseTo(3, 10);
  });
});

describe('online statistics', () => {
  it('RollingMin equals a brute-force minimum of the last n values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (xs, n) => {
          const m = new RollingMin(n);
          xs.forEach((x, i) => expect(m.push(x)).toBe(Math.min(...xs.slice(Math.max(0, i - n + 1), i + 1))));
        },
      ),
    );
  });

  it('Ring.ago counts back from the newest value', () => {
    const r = new Ring(3);
    [1, 2, 3, 4].forEach((x) => r.push(x));
    expect([r.ago(0), r.ago(1), r.ago(2), r.ago(3)]).toEqual([4, 3, 2, Number.NaN]);
  });
});
