// The risk benchmark: train the failure-risk model on degradations injected into the SMD train
// split (seed 1), then score episodes of the test split with different degradations (seed 2) and
// the real SMD anomaly labels, and report precision, recall, F1 and lead time at the policy
// thresholds for each model, the consensus and the rolling z-score baseline. Nothing reported is
// tuned on: every choice was made on the train split alone.

import { fitIsotonic, applyIsotonic } from '../src/risk/isotonic.js';
import { evaluate, type EventMetrics, metricsTable } from '../src/risk/evaluate.js';
import { residualRaw, type RiskModelFile, scoreVector } from '../src/risk/model.js';
import { featureRows, type LabeledNode, rowLabels, trainRiskModel } from '../src/risk/train.js';
import { RollingZ, zCoverage } from '../src/risk/zscore.js';
import { type Episode, injectedEpisodes, smdLabelledEpisodes } from './risk-data.js';

const MINUTE = 60_000;
export const THRESHOLDS = [0.7, 0.9] as const;

export function labeledNode(e: Episode): LabeledNode {
  const t0 = e.timestamps[0]!;
  const at = (row: number) => t0 + row * MINUTE;
  const exclude = [
    { start: t0, end: at(e.warmup) },
    ...(e.ignore ?? []).map((s) => ({ start: at(s.start), end: at(s.end) })),
  ];
  return {
    id: e.id,
    timestamps: e.timestamps,
    metrics: e.metrics,
    failures: e.failureAt === undefined ? [] : [{ at: at(e.failureAt), onset: at(e.onsetAt ?? e.failureAt) }],
    exclude,
  };
}

export interface ScoredEpisode {
  episode: Episode;
  vectors: Float64Array[];
  zscore: Float64Array;
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
  else process.stderr.write(`${text}\n`);
}

export function featurise(
  episodes: Episode[],
  label: string,
): { scored: ScoredEpisode[]; seconds: number; rows: number } {
  const t0 = performance.now();
  let rows = 0;
  const scored = episodes.map((episode, k) => {
    progress(`[risk] features ${label} ${k + 1}/${episodes.length}`);
    const vectors = featureRows(episode.timestamps, episode.metrics);
    const z = new RollingZ();
    const names = Object.keys(episode.metrics);
    const zscore = new Float64Array(episode.timestamps.length);
    for (let i = 0; i < zscore.length; i++) {
      const values: Record<string, number> = {};
      for (const n of names) values[n] = episode.metrics[n]![i]!;
      zscore[i] = z.update(values);
    }
    rows += episode.timestamps.length;
    return { episode, vectors, zscore };
  });
  return { scored, seconds: (performance.now() - t0) / 1000, rows };
}

export interface DetectorScores {
  name: string;
  perEpisode: Float64Array[];
}

/** Every detector's score series on each episode. `zMap` calibrates the z-score on the train split. */
export function detectorScores(
  model: RiskModelFile,
  scored: ScoredEpisode[],
  zMap: ReturnType<typeof fitIsotonic>,
) {
  const out: DetectorScores[] = [
    'residual',
    'classifier',
    'consensus',
    'z-score',
    'z-score (calibrated)',
  ].map((name) => ({ name, perEpisode: [] }));
  for (const s of scored) {
    const n = s.vectors.length;
    const cols = out.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const p = scoreVector(model, s.vectors[i]!);
      cols[0]![i] = p.residual;
      cols[1]![i] = p.classifier;
      cols[2]![i] = p.consensus;
      cols[3]![i] = zCoverage(s.zscore[i]!);
      cols[4]![i] = applyIsotonic(zMap, s.zscore[i]!);
    }
    cols.forEach((c, k) => out[k]!.perEpisode.push(c));
  }
  return out;
}

export function zCalibration(scored: ScoredEpisode[], horizonMinutes: number) {
  const raw: number[] = [];
  const y: number[] = [];
  for (const s of scored) {
    const labels = rowLabels(labeledNode(s.episode), horizonMinutes * MINUTE);
    for (let i = 0; i < labels.length; i++) {
      if (Number.isNaN(labels[i]!)) continue;
      raw.push(s.zscore[i]!);
      y.push(labels[i]!);
    }
  }
  return fitIsotonic(raw, y);
}

export function evaluateAll(detectors: DetectorScores[], scored: ScoredEpisode[]) {
  const rows: { name: string; metrics: EventMetrics }[] = [];
  for (const threshold of THRESHOLDS) {
    for (const d of detectors) {
      const metrics = evaluate(
        scored.map((s, k) => ({ truth: s.episode, scores: d.perEpisode[k]! })),
        threshold,
      );
      rows.push({ name: d.name, metrics });
    }
  }
  return rows;
}

export async function benchRisk(): Promise<{ markdown: string; json: unknown }> {
  const train = featurise(injectedEpisodes('train', 1), 'train');
  const nodes = train.scored.map((s) => labeledNode(s.episode));
  const model = trainRiskModel(nodes, { source: 'SMD train split with injected degradations (seed 1)' });
  const zMap = zCalibration(train.scored, model.horizonMinutes);
  const trainRows = evaluateAll(detectorScores(model, train.scored, zMap), train.scored);
  const test = featurise(injectedEpisodes('test', 2), 'test');
  const testRows = evaluateAll(detectorScores(model, test.scored, zMap), test.scored);
  const smd = featurise(smdLabelledEpisodes(), 'smd');
  const smdRows = evaluateAll(detectorScores(model, smd.scored, zMap), smd.scored);
  void residualRaw;
  const markdown = [
    '### train (injected, seed 1) — for reference only',
    metricsTable(trainRows),
    '',
    '### test (injected, seed 2)',
    metricsTable(testRows),
    '',
    '### SMD real labels',
    metricsTable(smdRows),
    '',
    `features: ${(test.rows / test.seconds).toFixed(0)} rows/s`,
    `weights: ${JSON.stringify(model.weights)}; classifier: ${JSON.stringify(model.classifier.weights.map((w) => +w.toFixed(2)))}`,
  ].join('\n');
  return { markdown, json: { trainRows, testRows, smdRows, model } };
}
