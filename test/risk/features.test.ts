import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { type MetricRow, NodeFeatures } from '../../src/risk/features.js';

const MINUTE = 60_000;
const DAY = 1440;

/** A day and a half of a quiet metric near 0.3 with small noise, then `tail` minute by minute. */
function run(tail: (i: number) => number, tailRows: number): MetricRow[] {
  const rng = mulberry32(3);
  const f = new NodeFeatures(MINUTE);
  const out: MetricRow[] = [];
  const history = 1.5 * DAY;
  for (let i = 0; i < history + tailRows; i++) {
    const x = i < history ? 0.3 + 0.01 * (rng() - 0.5) : tail(i - history);
    out.push(f.push(i * MINUTE, { m: x }).rows.get('m')!);
  }
  return out.slice(history);
}

describe('limit features', () => {
  it('a steady climb toward the limit: exhaustion grows as the limit nears', () => {
    // From 0.3 to 1 (the limit) over six hours.
    const rows = run((i) => 0.3 + (0.7 * i) / 360, 360);
    const at = (i: number) => rows[i]!;
    expect(at(359).fill).toBeCloseTo(1, 1);
    expect(at(240).exhaustionSlow).toBeGreaterThan(0.5);
    expect(at(240).exhaustionFast).toBeGreaterThan(at(60).exhaustionFast);
    // Projected two hours out, the 30-minute climb reads 360 / (360 + 120) = 0.75 give or take.
    expect(at(240).exhaustionFast).toBeGreaterThan(0.6);
    expect(at(240).exhaustionFast).toBeLessThan(0.9);
  });

  it('a level shift that then holds: no climb, so no exhaustion', () => {
    // Thirty spreads up; the 30-minute slow level takes hours to settle that far, so look 10 h on.
    const rows = run(() => 0.6, 600);
    expect(rows[60]!.exhaustionFast).toBeGreaterThan(0.5);
    const end = rows[rows.length - 1]!;
    // The slow level still creeps toward the new one, so not exactly 0.
    expect(end.exhaustionSlow).toBeLessThan(0.05);
    expect(end.exhaustionFast).toBeLessThan(0.05);
  });

  it('at or past the limit reads 1', () => {
    const rows = run((i) => (i < 60 ? 0.3 + (0.75 * i) / 60 : 1.05), 400);
    expect(rows[rows.length - 1]!.exhaustionSlow).toBe(1);
    expect(rows[rows.length - 1]!.exhaustionFast).toBe(1);
  });
});
