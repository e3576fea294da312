// Node failures to replay in `simulate --failures`: one row per crash, `timestamp[,instance]`.
// Without an instance (or with `any`), a seeded pick among the instances serving at that moment.

import { InputError } from '../core/errors.js';
import { csvRows } from './node-csv.js';
import { parseTimestamp } from './timeparse.js';

export interface FailureRow {
  at: number;
  /** An instance id (`storefront-p-3`), or `any`. */
  instance: string;
}

const TIME = /^(timestamp|time|ts|ds|date|datetime|failed_at)$/i;
const INSTANCE = /^(instance|node|host|machine)$/i;

export function parseFailuresCsv(file: string, text: string, zone = 'UTC'): FailureRow[] {
  const rows = csvRows(file, text);
  const header = rows[0]?.fields;
  if (!header || rows.length < 2)
    throw new InputError(file, 1, 'expected a header (timestamp[,instance]) and at least one failure');
  const timeCol = header.findIndex((h) => TIME.test(h));
  const instCol = header.findIndex((h) => INSTANCE.test(h));
  if (timeCol < 0)
    throw new InputError(
      file,
      1,
      `no time column in header "${header.join(',')}" (expected timestamp[,instance])`,
    );
  let last = -Infinity;
  return rows.slice(1).map(({ fields: r, line }) => {
    const at = parseTimestamp(r[timeCol] ?? '', zone);
    if (at === undefined) throw new InputError(file, line, `timestamp "${r[timeCol]}" is not a time`);
    if (at < last) throw new InputError(file, line, 'failures must be sorted by time');
    last = at;
    const instance = instCol >= 0 ? (r[instCol] ?? '').trim() : '';
    return { at, instance: instance || 'any' };
  });
}
