// `shadowcast risk score`: the failure probability score of every input row, causally (row i
// uses rows up to i only), from a trained model or the built-in one.
//
// --format csv (the contract): `timestamp,score` for one node, `node,timestamp,score` for the long
// form, one row per input row (long form: per node and time), in input order, each with its
// timestamp cell as written, scores to 4 decimals. Rows out of time order or at a repeated time
// are scored in time order (stably: repeats are consecutive samples) and printed back in input
// order, with one warning line per file, since real exports cross clock changes and get merged.
// --format json: one line, {"model": {"horizonMinutes", "source", "shares"}, "nodes": [{"node",
// "rows": [{"timestamp", "score", "parts": {"seasonal", "shift", "limit", "classifier"}, "lead",
// "blame", "state"}]}]}: the same rows in the same order, with every model's part, the model that
// says the most (lead) and the metric behind it (blame), and
// the standby decision (ok | provision | transition) under the default thresholds for --criticality.

import { type Criticality, CRITICALITIES } from '../core/graph.js';
import { UsageError } from '../core/errors.js';
import { type Disorder, type FileNodeRows, inputOrder, parseNodeCsv } from '../metrics/node-csv.js';
import { MODEL_PARTS, type RiskModelFile } from '../risk/model.js';
import { type ScoredRow, scoreNode, scoreOnly } from '../risk/score.js';
import { STANDBY_DEFAULTS } from '../risk/standby.js';
import { readInput } from '../metrics/read-input.js';
import { loadRiskModel } from '../pipeline/risk-model.js';

export interface RiskScoreFlags {
  input: string;
  model?: string;
  format: 'csv' | 'json';
  tz: string;
  criticality: string;
}

/** One output row: a scored sample with the timestamp cell of its first input row. */
interface OutRow {
  stamp: string;
  row: ScoredRow;
}

/**
 * A node scored in time order (scoreNode needs it) and given back in input order, so output row k
 * answers the input's k-th row of that node.
 */
function scoreInInputOrder(n: FileNodeRows, model: RiskModelFile, criticality: Criticality): OutRow[] {
  const rows = scoreNode(n.timestamps, n.metrics, model, { policy: STANDBY_DEFAULTS, criticality });
  return inputOrder(n).map((i) => ({ stamp: n.stamps[i]!, row: rows[i]! }));
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The one warning line for a file that had to be put in time order, or undefined. */
export function disorderWarning(file: string, d: Disorder): string | undefined {
  const found: string[] = [];
  const { backwards: back, duplicates: dup } = d;
  if (back.rows)
    found.push(`${plural(back.rows, 'row')} out of time order (first at line ${back.firstLine})`);
  if (dup.rows) found.push(`${plural(dup.rows, 'duplicate timestamp')} (first at line ${dup.firstLine})`);
  if (!found.length) return undefined;
  const rule = dup.rows ? 'scored in time order, duplicates as consecutive samples' : 'scored in time order';
  return `${file}: ${found.join(' and ')}; ${rule} (see docs/cli.md, "risk score")`;
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break (a timestamp as written may). */
const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export async function riskScoreCommand(flags: RiskScoreFlags): Promise<void> {
  if (!(CRITICALITIES as readonly string[]).includes(flags.criticality)) {
    throw new UsageError(`--criticality "${flags.criticality}": expected one of ${CRITICALITIES.join(', ')}`);
  }
  const model = await loadRiskModel(flags.model);
  const file = parseNodeCsv(flags.input, await readInput(flags.input), flags.tz, { unsorted: 'sort' });
  const criticality = flags.criticality as Criticality;
  const long = file.form === 'long';
  const warn = () => {
    // After scoring, so that a refused file prints its one error line and nothing else.
    const warning = disorderWarning(flags.input, file.disorder);
    if (warning !== undefined) process.stderr.write(`shadowcast: warning: ${warning}\n`);
  };
  if (flags.format === 'csv') {
    // The score alone: nothing a person reads beside it is computed.
    const lines = [long ? 'node,timestamp,score' : 'timestamp,score'];
    const scores = file.nodes.map((n) => scoreOnly(n.timestamps, n.metrics, model));
    warn();
    file.nodes.forEach((n, k) => {
      const prefix = long ? `${cell(n.node)},` : '';
      for (const i of inputOrder(n))
        lines.push(`${prefix}${cell(n.stamps[i]!)},${scores[k]![i]!.toFixed(4)}`);
    });
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const scored = file.nodes.map((n) => {
    return { node: n.node, rows: scoreInInputOrder(n, model, criticality) };
  });
  warn();
  {
    const out = {
      model: { horizonMinutes: model.horizonMinutes, source: model.trained.source, shares: model.weights },
      nodes: scored.map((n) => ({
        node: n.node,
        rows: n.rows.map(({ stamp, row: r }) => ({
          timestamp: stamp,
          score: +r.score.toFixed(4),
          parts: Object.fromEntries(MODEL_PARTS.map((p) => [p, +r.parts[p].toFixed(4)])),
          lead: r.lead ?? null,
          blame: r.blame ?? null,
          state: r.state,
        })),
      })),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}
