// Timestamp parsing for metric files: ISO-8601 with or without offset, `YYYY-MM-DD HH:MM:SS`,
// dates, and epoch seconds or milliseconds. Local times are read in `zone` (UTC by default).

import { DateTime } from 'luxon';

export type EpochUnit = 's' | 'ms';

const EPOCH = /^-?\d+(\.\d+)?$/;

/** Epoch values below this are seconds (it is 5138 AD in seconds, 1973 in milliseconds). */
const MS_THRESHOLD = 1e11;

export function epochUnitOf(text: string): EpochUnit | undefined {
  const t = text.trim();
  if (!EPOCH.test(t)) return undefined;
  return Math.abs(Number(t)) >= MS_THRESHOLD ? 'ms' : 's';
}

/** Parses one timestamp to epoch ms; undefined when it is not a timestamp. */
export function parseTimestamp(text: string, zone: string, epochUnit?: EpochUnit): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (EPOCH.test(t)) {
    // A bare 8-digit number could be a date (20260101); we only read digits as epoch time.
    const n = Number(t);
    const unit = epochUnit ?? (Math.abs(n) >= MS_THRESHOLD ? 'ms' : 's');
    return unit === 'ms' ? Math.round(n) : Math.round(n * 1000);
  }
  const iso = t.replace(/^(\d{4}-\d{2}-\d{2})[ ](\d)/, '$1T$2');
  const dt = DateTime.fromISO(iso, { zone, setZone: false });
  return dt.isValid ? dt.toMillis() : undefined;
}

export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}
