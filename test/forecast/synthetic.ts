// Seeded synthetic demand for forecast tests: daily cycle, weekly dip, noise, optional events.

import type { Series } from '../../src/core/series.js';

export const HOUR = 3_600_000;
export const START = Date.UTC(2026, 0, 5); // a Monday

import { mulberry32 as rng } from '../../src/core/random.js';

export { rng };

export function hourlyDemand(
  hours: number,
  seed: number,
  bump?: (t: number) => number,
  opts: { level?: number; noise?: number } = {},
): Series {
  const r = rng(seed);
  const level = opts.level ?? 100;
  const noise = opts.noise ?? 5;
  const timestamps: number[] = [];
  const values = new Float64Array(hours);
  for (let i = 0; i < hours; i++) {
    const t = START + i * HOUR;
    const hourOfDay = i % 24;
    const weekend = Math.floor(i / 24) % 7 >= 5 ? 0.7 : 1;
    const daily = 1 + 0.5 * Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI);
    const v = level * daily * weekend + (r() - 0.5) * 2 * noise + (bump?.(t) ?? 0);
    timestamps.push(t);
    values[i] = Math.max(0, v);
  }
  return { name: 'demand', timestamps, values, stepMs: HOUR };
}
