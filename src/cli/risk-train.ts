// `shadowcast risk train`: fits the classifier and every calibration from labelled history and
// writes the model as JSON (atomically), for `risk score --model`. Prints what it learned from.

import { MODEL_PARTS } from '../risk/model.js';
import { parseDuration } from '../core/duration.js';
import { InputError, UsageError } from '../core/errors.js';
import { parseLabelsCsv } from '../metrics/labels-csv.js';
import { parseNodeCsv } from '../metrics/node-csv.js';
import { FEATURE_DEFAULTS } from '../risk/features.js';
import { type LabeledNode, trainRiskModel } from '../risk/train.js';
import { readInput } from '../metrics/read-input.js';
import { writeAtomically } from './output.js';

export interface RiskTrainFlags {
  input: string;
  labels: string;
  out: string;
  horizon: string;
  limit: string;
  seed: number;
  tz: string;
}

export async function riskTrainCommand(flags: RiskTrainFlags): Promise<void> {
  const horizonMs = parseDuration(flags.horizon);
  if (horizonMs === undefined || !(horizonMs > 0)) {
    throw new UsageError(`--horizon "${flags.horizon}": expected a duration like 6h or 90m`);
  }
  const limit = Number(flags.limit);
  if (flags.limit.trim() === '' || !Number.isFinite(limit) || limit <= 0) {
    throw new UsageError(`--limit "${flags.limit}": expected a positive number`);
  }
  const file = parseNodeCsv(flags.input, await readInput(flags.input), flags.tz);
  const labels = parseLabelsCsv(flags.labels, await readInput(flags.labels), flags.tz);
  const known = new Set(file.nodes.map((n) => n.node));
  for (const node of labels.keys()) {
    if (!known.has(node)) {
      throw new InputError(
        flags.labels,
        undefined,
        `labels name node "${node}", which ${flags.input} does not hold`,
      );
    }
  }
  const nodes: LabeledNode[] = file.nodes.map((n) => {
    const l = labels.get(n.node);
    return {
      id: n.node,
      timestamps: n.timestamps,
      metrics: n.metrics,
      failures: (l?.failures ?? []).map((at) => ({ at })),
      exclude: l?.incidents ?? [],
    };
  });
  let model;
  try {
    model = trainRiskModel(nodes, {
      horizonMinutes: horizonMs / 60_000,
      features: { ...FEATURE_DEFAULTS, limit },
      seed: flags.seed,
      source: flags.input,
    });
  } catch (err) {
    throw new InputError(flags.labels, undefined, (err as Error).message);
  }
  await writeAtomically([{ path: flags.out, content: `${JSON.stringify(model, null, 1)}\n` }]);
  const t = model.trained;
  process.stdout.write(
    [
      `trained on ${t.nodes} node(s), ${t.rows} rows, ${t.failures} failure(s), ${t.positiveRows} warning rows`,
      `horizon ${model.horizonMinutes} min; consensus shares: ${MODEL_PARTS.map((p) => `${p} ${model.weights[p].toFixed(2)}`).join(', ')}`,
      `wrote ${flags.out}`,
    ].join('\n') + '\n',
  );
}
