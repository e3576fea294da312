// The detectors that need no labels: each is causal (appending rows never changes an earlier
// row's output), each adapts to a metric's own scale, and each speaks for what it is for: a jump
// (seasonal, shift), a new level that stays (shift), a climb towards the limit (limit).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import {
  DETECTOR_DEFAULTS as DEFAULTS,
  DETECTORS,
  type DetectorRow,
  MetricDetectors,
  normalTail,
  TailEstimator,
} from '../../src/risk/detectors.js';

const MIN = 60_000;

function gaussian(seed: number): () => number {
  const rng = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function detect(values: readonly number[], stepMs = MIN, limit = 1): DetectorRow[] {
  const d = new MetricDetectors(stepMs, { ...DEFAULTS, limit });
  return values.map((x, i) => d.push(i * stepMs, x));
}

/** A day-shaped metric: a daily swing, a slow wander and noise, a row a minute. */
function healthy(days: number, seed: number, scale = 1, offset = 0): number[] {
  const noise = gaussian(seed);
  let walk = 0;
  return Array.from({ length: days * 1440 }, (_, i) => {
    walk = 0.999 * walk + 0.002 * noise();
    return offset + scale * (0.4 + 0.15 * Math.sin((2 * Math.PI * i) / 1440) + walk + 0.03 * noise());
  });
}

describe('detectors', () => {
  it.each(DETECTORS)('%s is causal: appending rows never changes an earlier output', (name) => {
    const base = healthy(2, 3);
    const before = detect(base).map((r) => r[name]);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (tail) => {
          const after = detect([...base, ...tail]).map((r) => r[name]);
          expect(after.slice(0, base.length)).toEqual(before);
        },
      ),
      { numRuns: 5 },
    );
  });

  it('say nothing during warm-up, and never go negative', () => {
    const rows = detect(healthy(1, 4));
    for (const r of rows.slice(0, DEFAULTS.warmupRows))
      expect(r).toEqual({ seasonal: 0, shift: 0, limit: 0 });
    for (const r of rows) for (const k of DETECTORS) expect(r[k]).toBeGreaterThanOrEqual(0);
  });

  it('judge a metric on its own scale: the same host in bytes or in shares reads the same', () => {
    const share = detect(healthy(3, 5)).map((r) => r.seasonal);
    const bytes = detect(healthy(3, 5, 1e9, 5e9), MIN, 1).map((r) => r.seasonal);
    for (let i = 0; i < share.length; i++) expect(bytes[i]!).toBeCloseTo(share[i]!, 6);
  });

  it('a jump of ten noise widths is far more surprising than anything the healthy days showed', () => {
    const x = healthy(4, 6);
    const quiet = detect(x);
    const jumped = [...x];
    for (let i = 3 * 1440 + 600; i < jumped.length; i++) jumped[i] = jumped[i]! + 0.3;
    const rows = detect(jumped);
    const before = Math.max(...quiet.slice(1440, 3 * 1440 + 600).map((r) => Math.max(r.seasonal, r.shift)));
    const at = rows.slice(3 * 1440 + 600, 3 * 1440 + 620);
    expect(Math.max(...at.map((r) => r.seasonal))).toBeGreaterThan(before + 2);
    expect(Math.max(...at.map((r) => r.shift))).toBeGreaterThan(before + 2);
  });

  it('limit: a leak reaching its limit in ten minutes reads far above a leak hours away, and nothing without a limit', () => {
    const noise = gaussian(7);
    const leak = Array.from({ length: 2 * 1440 }, (_, i) =>
      i < 1440 ? 0.3 + 0.01 * noise() : Math.min(1, 0.3 + ((i - 1440) / 600) * 0.7) + 0.01 * noise(),
    );
    const rows = detect(leak);
    const full = 1440 + 600;
    expect(rows[full - 10]!.limit).toBeGreaterThan(2 * rows[full - 300]!.limit);
    expect(rows[full - 10]!.limit).toBeGreaterThan(0.5);
    // The same climb on a metric that ran far past 1 long ago (bytes, not a share): no limit known.
    const bytes = detect(leak.map((v, i) => (i === 5 ? 50 : v)));
    expect(Math.max(...bytes.map((r) => r.limit))).toBe(0);
  });
});

describe('TailEstimator', () => {
  it('with no history reads nothing; with a normal-looking history, a value four spreads out is rare', () => {
    const t = new TailEstimator(1000, 0.5);
    expect(t.surprise(3)).toBe(0);
    const noise = gaussian(8);
    for (let i = 0; i < 2000; i++) t.push(Math.abs(noise()));
    expect(t.surprise(0.5)).toBeLessThan(0.5);
    expect(t.surprise(4)).toBeGreaterThan(3);
  });

  it('learns that a heavy-tailed metric makes large values often', () => {
    const plain = new TailEstimator(1000, 0.5);
    const heavy = new TailEstimator(1000, 0.5);
    const rng = mulberry32(9);
    for (let i = 0; i < 2000; i++) {
      plain.push(rng());
      heavy.push(rng() < 0.05 ? 8 : rng());
    }
    expect(heavy.surprise(8)).toBeLessThan(2);
    expect(plain.surprise(8)).toBeGreaterThan(heavy.surprise(8) + 3);
  });

  it('normalTail is the two-sided normal tail', () => {
    expect(normalTail(0)).toBeCloseTo(1, 6);
    expect(normalTail(1.959964)).toBeCloseTo(0.05, 6);
    expect(normalTail(-3)).toBeCloseTo(0.0027, 4);
  });
});
