// `shadowcast risk score`: the failure probability score of every input row, causally (row i
// uses rows up to i only), from a trained model or the built-in one.
//
// --format csv (the contract): `timestamp,score` for one node, `node,timestamp,score` for the long
// form, one row per input timestamp, scores to 4 decimals, timestamps as ISO-8601 UTC.
// --format json: one line, {"model": {...}, "nodes": [{"node", "rows": [{"timestamp", "score",
// "residual", "classifier", "blame", "state"}]}]}: the parts, the metric to blame, and the standby
// decision (ok | provision | transition) under the default thresholds for --criticality.

import { type Criticality, CRITICALITIES } from '../core/graph.js';
import { UsageError } from '../core/errors.js';
import { parseNodeCsv } from '../metrics/node-csv.js';
import { defaultModel } from '../risk/default-model.js';
import { readJson } from '../risk/graph-text.js';
import { type RiskModelFile, RiskModelSchema } from '../risk/model.js';
import { scoreNode } from '../risk/score.js';
import { STANDBY_DEFAULTS } from '../risk/standby.js';
import { readInput } from '../schedule/forecast-pool.js';

export interface RiskScoreFlags {
  input: string;
  model?: string;
  format: 'csv' | 'json';
  tz: string;
  criticality: string;
}

export async function loadModel(file: string | undefined): Promise<RiskModelFile> {
  if (file === undefined) return defaultModel();
  const json = readJson(file, await readInput(file), 'a model written by `shadowcast risk train`');
  const parsed = RiskModelSchema.safeParse(json.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    throw json.fail(path, `not a shadowcast risk model: ${path.join('.') || 'file'}: ${issue.message}`);
  }
  return parsed.data as RiskModelFile;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

export async function riskScoreCommand(flags: RiskScoreFlags): Promise<void> {
  if (!(CRITICALITIES as readonly string[]).includes(flags.criticality)) {
    throw new UsageError(`--criticality "${flags.criticality}": expected one of ${CRITICALITIES.join(', ')}`);
  }
  const model = await loadModel(flags.model);
  const file = parseNodeCsv(flags.input, await readInput(flags.input), flags.tz);
  const scored = file.nodes.map((n) => ({
    node: n.node,
    rows: scoreNode(n.timestamps, n.metrics, model, {
      policy: STANDBY_DEFAULTS,
      criticality: flags.criticality as Criticality,
    }),
  }));
  if (flags.format === 'json') {
    const out = {
      model: { horizonMinutes: model.horizonMinutes, source: model.trained.source },
      nodes: scored.map((n) => ({
        node: n.node,
        rows: n.rows.map((r) => ({
          timestamp: iso(r.t),
          score: +r.score.toFixed(4),
          residual: +r.residual.toFixed(4),
          classifier: +r.classifier.toFixed(4),
          blame: r.blame ?? null,
          state: r.state,
        })),
      })),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const long = file.form === 'long';
  const lines = [long ? 'node,timestamp,score' : 'timestamp,score'];
  for (const n of scored) {
    for (const r of n.rows) lines.push(`${long ? `${n.node},` : ''}${iso(r.t)},${r.score.toFixed(4)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
