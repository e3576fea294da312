// The consensus of the shipped model, pinned to its definition: each stack a logistic model over
// the evidence row (three detectors' surprises and the classifier's log-odds, in MODEL_PARTS
// order), and the consensus 1 − Π(1 − p) over the stacks. A change that swaps, drops or reorders
// a weight, a part or a stack changes these numbers.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import defaultModel from '../../src/risk/default-model.json' with { type: 'json' };
import { combined, evidence, MODEL_PARTS, STACKS } from '../../src/risk/model.js';
import type { RiskModelFile } from '../../src/risk/model.js';

const model = defaultModel as unknown as RiskModelFile;

/** One stack's probability, written out from the file's numbers. */
function byHand(stack: { centre: number[]; scale: number[]; weights: number[] }, x: number[]): number {
  let s = stack.weights[0]!;
  for (let j = 0; j < x.length; j++)
    s += (stack.weights[j + 1]! * (x[j]! - stack.centre[j]!)) / stack.scale[j]!;
  return 1 / (1 + Math.exp(-s));
}

const evidenceRow = fc.tuple(
  fc.double({ min: 0, max: 12, noNaN: true }),
  fc.double({ min: 0, max: 12, noNaN: true }),
  fc.double({ min: 0, max: 12, noNaN: true }),
  fc.double({ min: -13, max: 13, noNaN: true }),
);

describe('the shipped consensus', () => {
  it('has both stacks, each over the four parts in MODEL_PARTS order', () => {
    expect(MODEL_PARTS).toEqual(['seasonal', 'shift', 'limit', 'classifier']);
    for (const name of STACKS) {
      const s = model.consensus[name]!;
      expect(s.linear).toBe(true);
      expect(s.centre).toHaveLength(4);
      expect(s.weights).toHaveLength(5);
    }
  });

  it("reads each detector's surprise into its own part, and the classifier as log-odds", () => {
    expect([...evidence({ seasonal: 1.5, shift: 2.5, limit: 3.5 }, 0.5)]).toEqual([1.5, 2.5, 3.5, 0]);
    expect(evidence({ seasonal: 0, shift: 0, limit: 0 }, 0.9)[3]).toBeCloseTo(Math.log(9), 12);
    // A certain classifier is clamped, not infinite.
    expect(Number.isFinite(evidence({ seasonal: 0, shift: 0, limit: 0 }, 1)[3])).toBe(true);
    // The shift detector alone moves the incident stack; the limit alone does not.
    const quiet = evidence({ seasonal: 0, shift: 0, limit: 0 }, 0.01);
    const shifted = evidence({ seasonal: 0, shift: 6, limit: 0 }, 0.01);
    const limited = evidence({ seasonal: 0, shift: 0, limit: 6 }, 0.01);
    const incident = { consensus: { incident: model.consensus.incident } };
    expect(combined(incident, shifted)).toBeGreaterThan(combined(incident, quiet) + 0.01);
    expect(combined(incident, limited)).toBeCloseTo(combined(incident, quiet), 12);
  });

  it('is 1 − (1 − degradation)(1 − incident), each stack the logistic of its own weights', () => {
    fc.assert(
      fc.property(evidenceRow, (x) => {
        const d = byHand(model.consensus.degradation!, x);
        const i = byHand(model.consensus.incident!, x);
        expect(combined(model, Float64Array.from(x))).toBeCloseTo(1 - (1 - d) * (1 - i), 12);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('lets the incident stack hear the seasonal and shift detectors alone (limit and classifier weigh 0)', () => {
    const w = model.consensus.incident!.weights;
    expect(w[3]).toBe(0);
    expect(w[4]).toBe(0);
    expect(w[1]!).toBeGreaterThan(0);
    expect(w[2]!).toBeGreaterThan(0);
    // The degradation stack hears every part.
    for (const v of model.consensus.degradation!.weights.slice(1)) expect(v).toBeGreaterThan(0);
  });

  it("never falls when any one part's evidence rises", () => {
    fc.assert(
      fc.property(
        evidenceRow,
        fc.integer({ min: 0, max: 3 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (x, j, up) => {
          const higher = [...x];
          higher[j]! += up;
          expect(combined(model, Float64Array.from(higher))).toBeGreaterThanOrEqual(
            combined(model, Float64Array.from(x)) - 1e-12,
          );
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it("reports each part's share as its weight share within each stack, averaged over the stacks", () => {
    const shares = MODEL_PARTS.map((_, j) => {
      let sum = 0;
      for (const name of STACKS) {
        const w = model.consensus[name]!.weights.slice(1).map(Math.abs);
        sum += w[j]! / w.reduce((a, b) => a + b, 0) / STACKS.length;
      }
      return sum;
    });
    MODEL_PARTS.forEach((part, j) => expect(model.weights[part]).toBeCloseTo(shares[j]!, 4));
    expect(Object.values(model.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });
});
