// Isotonic calibration, hand-computed: tied scores are one step, the prior pulls each step toward
// the base rate, a step on too few rows joins the neighbour nearer in probability (the lightest
// first), and a calibrated probability never falls as the raw score rises, with each step's upper
// edge inside it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyIsotonic, fitIsotonic, type IsotonicMap } from '../../src/risk/isotonic.js';

/**
 * Training rows in tied blocks: block k (score k + 1) holds `rows` rows of which `failed` failed.
 * With no prior and increasing failure rates, each block is one step before minRows merges them.
 */
function blocks(...spec: [rows: number, failed: number][]): { scores: number[]; outcomes: number[] } {
  const scores: number[] = [];
  const outcomes: number[] = [];
  spec.forEach(([rows, failed], k) => {
    for (let i = 0; i < rows; i++) {
      scores.push(k + 1);
      outcomes.push(i < failed ? 1 : 0);
    }
  });
  return { scores, outcomes };
}

function fit(spec: [number, number][], prior: number, minRows: number): IsotonicMap {
  const { scores, outcomes } = blocks(...spec);
  return fitIsotonic(scores, outcomes, prior, minRows);
}

function expectMap(map: IsotonicMap, x: number[], y: number[]) {
  expect(map.x).toEqual(x);
  expect(map.y).toHaveLength(y.length);
  y.forEach((v, k) => expect(map.y[k]).toBeCloseTo(v, 12));
}

describe('fitIsotonic', () => {
  it('makes rows with the same raw score one step, whatever order they come in', () => {
    expect(fitIsotonic([1, 1, 2], [0, 1, 1], 0)).toEqual({ x: [1, 2], y: [0.5, 1] });
    expect(fitIsotonic([2, 1, 1], [1, 1, 0], 0)).toEqual({ x: [1, 2], y: [0.5, 1] });
  });

  it('pulls each step toward the base rate by the prior pseudo-rows (hand-computed)', () => {
    // 10 rows, 4 failed: base 0.4, two pseudo-rows add 0.8 failures to each step.
    expectMap(
      fit(
        [
          [4, 0],
          [2, 1],
          [4, 3],
        ],
        2,
        1,
      ),
      [1, 2, 3],
      [0.8 / 6, 1.8 / 4, 3.8 / 6],
    );
    // A merged step counts the prior once: (1 + 3 + 0.8) / (6 + 2).
    expectMap(
      fit(
        [
          [4, 0],
          [2, 1],
          [4, 3],
        ],
        2,
        3,
      ),
      [1, 3],
      [0.8 / 6, 0.6],
    );
  });

  it('leaves a map fitted on no rows empty, and it calibrates every score to 0', () => {
    const map = fitIsotonic([], []);
    expect(map).toEqual({ x: [], y: [] });
    expect(applyIsotonic(map, 0.95)).toBe(0);
  });

  it('makes one step at the overall failure rate when all the rows are fewer than minRows', () => {
    expect(fitIsotonic([1, 2, 3], [0, 1, 1], 0, 10)).toEqual({ x: [3], y: [2 / 3] });
  });
});

describe('fitIsotonic: a step on fewer than minRows rows joins the neighbour nearer in probability', () => {
  it('joins the step above when that is nearer, taking its upper edge', () => {
    // 0, 0.5, 0.75: the light middle step is 0.25 from the one above, 0.5 from the one below.
    expectMap(
      fit(
        [
          [4, 0],
          [2, 1],
          [4, 3],
        ],
        0,
        3,
      ),
      [1, 3],
      [0, 4 / 6],
    );
  });

  it('joins the step below when that is nearer, keeping its own upper edge', () => {
    // 0.25, 0.5, 1: 0.25 below, 0.5 above.
    expectMap(
      fit(
        [
          [4, 1],
          [2, 1],
          [4, 4],
        ],
        0,
        3,
      ),
      [2, 3],
      [2 / 6, 1],
    );
  });

  it('joins the step below when both are equally near', () => {
    // 0, 0.5, 1.
    expectMap(
      fit(
        [
          [4, 0],
          [2, 1],
          [4, 4],
        ],
        0,
        3,
      ),
      [2, 3],
      [1 / 6, 1],
    );
  });

  it('merges the lightest step first', () => {
    // 1/6 (6 rows), 1/3 (3), 1/2 (2), 5/6 (6), four rows a step: the two-row step joins the
    // three-row one below it (1/6 away, against 1/3), and the five rows that makes are enough.
    expectMap(
      fit(
        [
          [6, 1],
          [3, 1],
          [2, 1],
          [6, 5],
        ],
        0,
        4,
      ),
      [1, 3, 4],
      [1 / 6, 2 / 5, 5 / 6],
    );
    // The lightest first even when a heavier light step follows it: 0 (2 rows) joins 1/3 (3).
    expectMap(
      fit(
        [
          [2, 0],
          [3, 1],
          [6, 3],
          [6, 5],
        ],
        0,
        4,
      ),
      [2, 3, 4],
      [1 / 5, 1 / 2, 5 / 6],
    );
  });

  it('merges the earliest of equally light steps first', () => {
    // 0 (2 rows), 1/3 (6), 1/2 (2), 0.7 (10): the first two-row step joins 1/3, making 0.25,
    // and then the other is nearer to 0.7 (0.2 against 0.25).
    expectMap(
      fit(
        [
          [2, 0],
          [6, 2],
          [2, 1],
          [10, 7],
        ],
        0,
        4,
      ),
      [2, 4],
      [0.25, 2 / 3],
    );
  });
});

describe('applyIsotonic at the step edges', () => {
  const map = { x: [1, 3, 5], y: [0.1, 0.5, 0.9] };

  it("puts a score exactly on a step's upper edge in that step, and one just above it in the next", () => {
    expect(applyIsotonic(map, 1)).toBe(0.1);
    expect(applyIsotonic(map, 3)).toBe(0.5);
    expect(applyIsotonic(map, 5)).toBe(0.9);
    expect(applyIsotonic(map, 1.000001)).toBe(0.5);
    expect(applyIsotonic(map, 3.000001)).toBe(0.9);
  });

  it('gives the lowest step below every edge and the highest above every edge', () => {
    expect(applyIsotonic(map, -100)).toBe(0.1);
    expect(applyIsotonic(map, 100)).toBe(0.9);
  });

  it('never lowers the calibrated probability as the raw score rises, and keeps it in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: -0.5, max: 1.5, noNaN: true }),
        fc.double({ min: -0.5, max: 1.5, noNaN: true }),
        (pairs, minRows, a, b) => {
          const m = fitIsotonic(
            pairs.map((p) => p[0]),
            pairs.map((p) => (p[1] ? 1 : 0)),
            2,
            minRows,
          );
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const pLo = applyIsotonic(m, lo);
          const pHi = applyIsotonic(m, hi);
          expect(pLo).toBeLessThanOrEqual(pHi);
          expect(pLo >= 0 && pHi <= 1).toBe(true);
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });
});
