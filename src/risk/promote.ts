// Whether a retrained failure-risk model replaces the one in use. Both score the same held-out
// nodes (whole nodes the candidate never trained on) row by row, as they would have live, and are
// judged the way the standby policy acts on them: event by event (evaluate.ts) at the provision
// threshold for normal criticality, an alarm anticipating a failure when it starts within the
// model's horizon before it. The candidate is promoted only when it is not worse: its F1 is at
// least the incumbent's, and where the two tie, its Brier score (the mean squared error of the
// probability against "fails within the horizon") is no higher. Pure: nodes in, figures out.

import { evaluate, type Segment } from './evaluate.js';
import type { RiskModelFile } from './model.js';
import { scoreNode } from './score.js';
import { lowerBound, stepOf } from './stats.js';
import { type LabeledNode, rowLabels } from './train.js';

/** A model's figures on the held-out nodes. */
export interface HeldOutFigures {
  nodes: number;
  /** Failures (and incident starts) to anticipate. */
  events: number;
  detected: number;
  falseAlarms: number;
  /** NaN when there was nothing to detect and no alarm. */
  f1: number;
  falseAlarmsPerDay: number;
  /** Median lead of detected events, minutes; NaN when none was detected. */
  medianLeadMinutes: number;
  /** Mean squared error of the score against the row's outcome; lower is better. */
  brier: number;
  /** The threshold the events were judged at. */
  threshold: number;
}

export interface Verdict {
  promote: boolean;
  /** One sentence: why, with the figures that decided it. */
  reason: string;
  incumbent: HeldOutFigures;
  candidate: HeldOutFigures;
}

export interface HoldoutSplit {
  train: LabeledNode[];
  heldOut: LabeledNode[];
}

/**
 * Whole nodes held out, about `share` of them, chosen by a hash of the node's name so the same
 * node stays on the same side from run to run (a model is never judged on nodes it trained on).
 * Failing and healthy nodes are split separately; each side keeps a failing node where there are
 * two or more.
 */
export function splitHoldout(nodes: readonly LabeledNode[], share: number): HoldoutSplit {
  const train: LabeledNode[] = [];
  const heldOut: LabeledNode[] = [];
  for (const group of [nodes.filter((n) => n.failures.length), nodes.filter((n) => !n.failures.length)]) {
    const ranked = [...group].sort((a, b) => fnv1a(a.id) - fnv1a(b.id) || (a.id < b.id ? -1 : 1));
    let cut = Math.round(ranked.length * share);
    if (ranked.length >= 2) cut = Math.min(ranked.length - 1, Math.max(1, cut));
    ranked.forEach((n, i) => (i < cut ? heldOut : train).push(n));
  }
  return { train, heldOut };
}

/** 32-bit FNV-1a of a string: a stable, well-spread rank for the split. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface JudgeOptions {
  /** The score at which the policy provisions a standby (normal criticality). */
  threshold: number;
}

/** One model's figures on held-out nodes, each scored from its first row. */
export function heldOutFigures(
  model: RiskModelFile,
  nodes: readonly LabeledNode[],
  options: JudgeOptions,
): HeldOutFigures {
  const horizonMs = model.horizonMinutes * 60_000;
  let squared = 0;
  let counted = 0;
  const byStep = new Map<number, { truth: { warmup: number; events: Segment[] }; scores: Float64Array }[]>();
  for (const node of nodes) {
    const rows = scoreNode(node.timestamps, node.metrics, model);
    const scores = Float64Array.from(rows, (r) => r.score);
    const labels = rowLabels(node, horizonMs);
    labels.forEach((y, i) => {
      if (Number.isNaN(y)) return;
      squared += (scores[i]! - y) ** 2;
      counted++;
    });
    // Each failure is an event at its own row: found when an alarm starts within the horizon before it.
    const events = node.failures.map(({ at }) => {
      const start = lowerBound(node.timestamps, at);
      return { start, end: start + 1 };
    });
    const step = stepOf(node.timestamps);
    const group = byStep.get(step) ?? [];
    group.push({ truth: { warmup: 0, events }, scores });
    byStep.set(step, group);
  }
  let events = 0;
  let detected = 0;
  let falseAlarms = 0;
  let days = 0;
  let lead = Number.NaN;
  let mostDetected = 0;
  for (const [step, group] of byStep) {
    const minutesPerRow = step / 60_000;
    const m = evaluate(group, options.threshold, {
      minutesPerRow,
      maxLeadRows: Math.max(1, Math.round(model.horizonMinutes / minutesPerRow)),
      refractoryRows: Math.max(1, Math.round(30 / minutesPerRow)),
    });
    events += m.failures;
    detected += m.detected;
    falseAlarms += m.falseAlarms;
    days += m.evaluatedDays;
    // Steps rarely differ within a pool; the lead of the group that detected most stands for all.
    if (m.detected > mostDetected) [mostDetected, lead] = [m.detected, m.lead.median];
  }
  const missed = events - detected;
  const denominator = 2 * detected + falseAlarms + missed;
  return {
    nodes: nodes.length,
    events,
    detected,
    falseAlarms,
    f1: denominator > 0 ? (2 * detected) / denominator : Number.NaN,
    falseAlarmsPerDay: days > 0 ? falseAlarms / days : Number.NaN,
    medianLeadMinutes: lead,
    brier: counted > 0 ? squared / counted : Number.NaN,
    threshold: options.threshold,
  };
}

/** Scores both models on the held-out nodes and decides (see the file's head). */
export function judge(
  incumbent: RiskModelFile,
  candidate: RiskModelFile,
  heldOut: readonly LabeledNode[],
  options: JudgeOptions,
): Verdict {
  const a = heldOutFigures(incumbent, heldOut, options);
  const b = heldOutFigures(candidate, heldOut, options);
  const f1 = (f: HeldOutFigures) => (Number.isNaN(f.f1) ? 0 : f.f1);
  const figures = (f: HeldOutFigures) =>
    `F1 ${f1(f).toFixed(3)} (${f.detected}/${f.events} found, ${f.falseAlarms} false alarms), Brier ${f.brier.toFixed(4)}`;
  const where = `on ${heldOut.length} held-out node${heldOut.length === 1 ? '' : 's'} at ${options.threshold}`;
  // Equal to three decimals is a tie: a difference that small is noise, not a better model.
  const df1 = Math.round((f1(b) - f1(a)) * 1000);
  const promote = df1 > 0 || (df1 === 0 && !(b.brier > a.brier));
  const reason = promote
    ? `the retrained model is not worse ${where}: ${figures(b)} against ${figures(a)}`
    : `the retrained model is worse ${where}: ${figures(b)} against ${figures(a)} for the model in use`;
  return { promote, reason, incumbent: a, candidate: b };
}
