// Output helpers: the stable JSON shape of a forecast, a terminal table, and atomic writes
// (temp file + rename) so a failed run never leaves a half-written file behind.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Forecast } from '../core/forecast.js';
import { num } from '../report/format.js';

export function round(v: number): number {
  return Number(v.toPrecision(8));
}

/** The contract of `forecast --format json`: these four fields first, each of the horizon's length. */
export function forecastJson(f: Forecast, extras: Record<string, unknown>): Record<string, unknown> {
  return {
    timestamps: f.timestamps.map((t) => new Date(t).toISOString()),
    mean: Array.from(f.mean, round),
    lower: Array.from(f.lower, round),
    upper: Array.from(f.upper, round),
    level: f.level,
    ...extras,
  };
}

/** Columns right-aligned, but those in `left` (by index): text reads better from the left. */
export function table(header: string[], rows: (string | number)[][], left: readonly number[] = []): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const pad = (c: string, i: number) =>
    left.includes(i) ? (i === header.length - 1 ? c : c.padEnd(widths[i]!)) : c.padStart(widths[i]!);
  return cells
    .map((r, k) => {
      const line = r.map((c, i) => pad(String(c), i)).join('  ');
      return k === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** A number as a person reads it (the run report's rule, so tables and reports agree). */
export const fmt = num;

/** Writes every file or none: all go to temp names first, then are renamed into place. */
export async function writeAtomically(files: { path: string; content: string }[]): Promise<void> {
  const temps: string[] = [];
  try {
    for (const f of files) {
      await mkdir(dirname(f.path), { recursive: true });
      const tmp = join(dirname(f.path), `.${randomBytes(6).toString('hex')}.tmp`);
      temps.push(tmp);
      await writeFile(tmp, f.content);
    }
    for (let i = 0; i < files.length; i++) await rename(temps[i]!, files[i]!.path);
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
}
