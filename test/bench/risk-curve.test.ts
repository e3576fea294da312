import { describe, expect, it } from 'vitest';
import { leadCurveSvg, type OperatingPoint, spendBudget, sweep } from '../../bench/risk-curve.js';
import { summarise } from '../../src/risk/evaluate.js';

const DAY = 1440;

/** An operating point with `falseAlarms` in one day and `detected` of `failures`, each with `lead`. */
function point(
  detector: string,
  threshold: number,
  falseAlarms: number,
  detected: number,
  lead = 60,
): OperatingPoint {
  const events = Array.from({ length: 4 }, (_, k) =>
    k < detected ? { anchor: 100, detectedAt: 100 - lead, leadMinutes: lead } : { anchor: 100 },
  );
  return {
    detector,
    threshold,
    metrics: summarise([{ alarms: [], falseAlarms, evaluatedRows: DAY, events }], 0.7),
  };
}

describe('spendBudget', () => {
  it('takes the point with the most false alarms within the budget, ties to more detections', () => {
    const points = [
      point('c', 0.7, 1, 2),
      point('c', 0.3, 5, 3),
      point('c', 0.2, 5, 4),
      point('c', 0.1, 12, 4),
    ];
    expect(spendBudget(points, 10)?.threshold).toBe(0.2);
    expect(spendBudget(points, 12)?.threshold).toBe(0.1);
    expect(spendBudget(points, 4.9)?.threshold).toBe(0.7);
  });

  it('finds nothing when every point passes the budget', () => {
    expect(spendBudget([point('c', 0.7, 3, 1)], 2)).toBeUndefined();
  });
});

describe('sweep', () => {
  it('judges each threshold on the scores that episode maker gives for it', () => {
    // A failure at row 1500 with onset 1440; the score climbs one step a row from the onset.
    const scores = Float64Array.from({ length: 1500 }, (_, i) => Math.max(0, (i - 1440) / 60));
    const blame = new Array<string>(1500).fill('m');
    const truth = { warmup: DAY, onsetAt: 1440, failureAt: 1500, affected: ['m'] };
    const points = sweep(
      'ramp',
      (th) => [{ truth, scores: scores.map((v) => (v >= th ? 1 : 0)), blame }],
      [0.5, 0.25],
    );
    expect(points.map((p) => [p.threshold, p.metrics.detected, p.metrics.lead.median])).toEqual([
      [0.5, 1, 30],
      [0.25, 1, 45],
    ]);
  });
});

describe('leadCurveSvg', () => {
  it('draws both detectors, and rings the marked points', async () => {
    const points = [
      point('consensus', 0.7, 1, 3, 60),
      point('consensus', 0.1, 6, 3, 110),
      point('z-score', 8, 14, 1, 84),
      point('z-score', 20, 10, 1, 80),
    ];
    const svg = await leadCurveSvg(points, [points[0]!, points[2]!]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('median lead of the detected (min)');
    expect(svg).toContain('false alarms per day');
    expect(svg).toContain('consensus');
    expect(svg).toContain('z-score');
    // Two lines, one per detector, in each of the two panels.
    expect(svg.match(/<path[^>]*aria-roledescription="line mark"/g)?.length ?? 0).toBe(4);
  });
});
