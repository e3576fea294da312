// `--horizon`: a number of steps ("48") or a duration ("48h", "2d", "90m", "1w") converted
// to steps of the series' sampling step, rounded up.

import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : undefined;
}

export function parseHorizon(text: string, stepMs: number): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1) return n;
  }
  const ms = parseDuration(t);
  if (ms !== undefined && ms > 0) return Math.ceil(ms / stepMs);
  throw new UsageError(
    `--horizon "${text}": expected a number of steps (48) or a duration (48h, 2d, 90m, 1w)`,
  );
}

/** A time to the minute, UTC, as reasons and alerts print it: 2026-11-23T10:15Z. */
export function isoMinute(t: number): string {
  return new Date(t).toISOString().slice(0, 16) + 'Z';
}
