// Failure labels for `risk train`: either one row per failure (`[node,]timestamp`) or a 0/1 label
// per row (`[node,]timestamp,label`, as SMD publishes them), where each run of 1s is one incident:
// it starts at the first 1, and the rows inside it are the incident itself, not its warning.

import { InputError } from '../core/errors.js';
import { csvRows } from './node-csv.js';
import { parseTimestamp } from './timeparse.js';

export interface NodeLabels {
  /** Failure (or incident start) times, epoch ms, increasing. */
  failures: number[];
  /** Incidents in progress [start, end): rows there teach nothing. */
  incidents: { start: number; end: number }[];
}

const TIME = /^(timestamp|time|ts|ds|date|datetime|failure|failed_at)$/i;
const NODE = /^(node|host|instance|machine)$/i;
const LABEL = /^(label|failed|failure_flag|anomaly|y)$/i;

/** Labels by node name; files without a node column label the node called 'node'. */
export function parseLabelsCsv(file: string, text: string, zone = 'UTC'): Map<string, NodeLabels> {
  const rows = csvRows(file, text);
  const records = rows.map((r) => r.fields);
  const header = records[0];
  if (!header || records.length < 2)
    throw new InputError(file, 1, 'expected a header and at least one label row');
  const timeCol = header.findIndex((h) => TIME.test(h));
  const nodeCol = header.findIndex((h) => NODE.test(h));
  const labelCol = header.findIndex((h) => LABEL.test(h));
  if (timeCol < 0) throw new InputError(file, 1, `no time column in header "${header.join(',')}"`);
  const out = new Map<string, NodeLabels & { open?: number; last?: number }>();
  records.slice(1).forEach((r, k) => {
    const line = rows[k + 1]!.line;
    const t = parseTimestamp(r[timeCol] ?? '', zone);
    if (t === undefined) throw new InputError(file, line, `timestamp "${r[timeCol]}" is not a time`);
    const node = nodeCol >= 0 ? r[nodeCol]! : 'node';
    let n = out.get(node);
    if (!n) out.set(node, (n = { failures: [], incidents: [] }));
    if (n.last !== undefined && t <= n.last)
      throw new InputError(file, line, 'labels must be sorted by time, each time once');
    n.last = t;
    if (labelCol < 0) {
      n.failures.push(t);
      return;
    }
    const label = r[labelCol];
    if (label !== '0' && label !== '1') throw new InputError(file, line, `label "${label}" must be 0 or 1`);
    if (label === '1' && n.open === undefined) {
      n.open = t;
      n.failures.push(t);
    }
    if (label === '0' && n.open !== undefined) {
      n.incidents.push({ start: n.open, end: t });
      delete n.open;
    }
  });
  for (const n of out.values()) {
    if (n.open !== undefined) n.incidents.push({ start: n.open, end: Infinity });
    delete n.open;
    delete n.last;
  }
  return out;
}
