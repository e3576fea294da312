// Lead time against false alarms: a detector's lead is only worth comparing at the false-alarm rate
// it costs. Lowering a threshold buys earlier alarms with more false ones, so each detector is
// swept over a fixed grid of thresholds (the grid is not chosen on any data), and the comparison
// at a matched rate picks its threshold on the train split alone.

import type { TopLevelSpec } from 'vega-lite';
import { evaluate, type EventMetrics } from '../src/risk/evaluate.js';
import { renderVegaLiteSvg } from '../src/report/chart.js';

/** Consensus thresholds swept: the policy's two and below, down to a 1 % chance of failure. */
export const CONSENSUS_SWEEP = [0.9, 0.7, 0.5, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01];
/** |z| thresholds swept. */
export const Z_SWEEP = [2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40, 60, 80, 100];

export interface OperatingPoint {
  detector: string;
  /** The threshold as the detector reads it: a probability, or |z|. */
  threshold: number;
  metrics: EventMetrics;
}

export interface Scored {
  truth: Parameters<typeof evaluate>[0][number]['truth'];
  scores: ArrayLike<number>;
  blame: readonly (string | undefined)[];
}

/**
 * The detector judged (attributed) at each threshold: `episodes(threshold)` gives scores that reach
 * 0.7 exactly where the detector alarms at that threshold, whatever its own scale (a probability, |z|).
 */
export function sweep(
  detector: string,
  episodes: (threshold: number) => Scored[],
  thresholds: readonly number[],
): OperatingPoint[] {
  return thresholds.map((threshold) => ({
    detector,
    threshold,
    metrics: evaluate(
      episodes(threshold).map((e) => ({ truth: e.truth, scores: e.scores, blame: [...e.blame] })),
      0.7,
    ),
  }));
}

/**
 * The point that spends the most of a false-alarm budget (a day) without passing it; ties go to
 * more detections. Undefined when every point passes the budget.
 */
export function spendBudget(points: readonly OperatingPoint[], budget: number): OperatingPoint | undefined {
  let best: OperatingPoint | undefined;
  for (const p of points) {
    const rate = p.metrics.falseAlarmsPerDay;
    if (!(rate <= budget)) continue;
    if (
      !best ||
      rate > best.metrics.falseAlarmsPerDay ||
      (rate === best.metrics.falseAlarmsPerDay && p.metrics.detected > best.metrics.detected)
    )
      best = p;
  }
  return best;
}

/**
 * Median lead and recall against false alarms a day, one line per detector through its thresholds
 * from the strictest to the loosest (each detector's points come in that order), each point sized
 * by the failures it detects; the marked points ringed. Lowering a threshold does not always add
 * false alarms: alarms grow long and merge, and one that starts before a degradation detects nothing.
 */
export function leadCurveSpec(
  points: readonly OperatingPoint[],
  marked: readonly OperatingPoint[],
): TopLevelSpec {
  const seen = new Map<string, number>();
  const rows = points.map((p) => {
    const step = seen.get(p.detector) ?? 0;
    seen.set(p.detector, step + 1);
    return {
      detector: p.detector,
      step,
      threshold: p.threshold,
      falseAlarmsPerDay: p.metrics.falseAlarmsPerDay,
      detected: p.metrics.detected,
      lead: Number.isFinite(p.metrics.lead.median) ? p.metrics.lead.median : null,
      recall: p.metrics.recall,
      marked: marked.some((m) => m.detector === p.detector && m.threshold === p.threshold),
    };
  });
  const x = {
    field: 'falseAlarmsPerDay',
    type: 'quantitative' as const,
    scale: { type: 'symlog' as const, constant: 0.1 },
    axis: { values: [0, 0.1, 0.3, 1, 3, 10, 30], format: '~g' },
    title: 'false alarms per day (test split)',
  };
  const colour = {
    field: 'detector',
    type: 'nominal' as const,
    scale: { range: ['#2563eb', '#d97706'] },
    legend: { orient: 'bottom' as const, title: null },
  };
  const panel = (field: 'lead' | 'recall', title: string) => ({
    width: 380,
    height: 240,
    transform: [{ filter: `datum.${field} !== null` }],
    layer: [
      {
        mark: { type: 'line' as const, opacity: 0.6 },
        encoding: {
          x,
          y: { field, type: 'quantitative' as const, title },
          color: colour,
          order: { field: 'step' },
        },
      },
      {
        mark: { type: 'circle' as const, opacity: 0.9 },
        encoding: {
          x,
          y: { field, type: 'quantitative' as const },
          color: colour,
          size: {
            field: 'detected',
            type: 'quantitative' as const,
            title: 'failures detected',
            scale: { range: [15, 260] },
            legend: { orient: 'bottom' as const },
          },
          tooltip: [{ field: 'threshold' }, { field: 'falseAlarmsPerDay' }, { field: 'detected' }, { field }],
        },
      },
      {
        transform: [{ filter: 'datum.marked' }],
        mark: { type: 'point' as const, size: 500, strokeWidth: 2, filled: false },
        encoding: { x, y: { field, type: 'quantitative' as const }, color: colour },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Earlier alarms cost false alarms: consensus and rolling z-score, threshold by threshold',
      subtitle: [
        'each line runs from the strictest threshold to the loosest;',
        'ringed: the consensus at the provision threshold (0.7), the z-score at its tuned |z|',
      ],
    },
    data: { values: rows },
    hconcat: [panel('lead', 'median lead of the detected (min)'), panel('recall', 'recall')],
    background: 'white',
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

export function leadCurveSvg(
  points: readonly OperatingPoint[],
  marked: readonly OperatingPoint[],
): Promise<string> {
  return renderVegaLiteSvg(leadCurveSpec(points, marked));
}
