// The main job, once: every pool's forecast from its spec, written with its chart under the
// state directory. One failing pool never stops the others. Later stages (risk, plan, apply)
// join this loop in their own issues.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ForecastResult } from './forecast-pool.js';
import { forecastPool } from './forecast-pool.js';
import { type ForecastSpec, parseSpec } from './spec.js';

export interface PoolOutcome {
  pool: string;
  spec: string;
  result?: ForecastResult;
  error?: unknown;
}

export async function loadSpecs(dir: string, pools?: string[]): Promise<ForecastSpec[]> {
  const names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const specs: ForecastSpec[] = [];
  for (const name of names) {
    const file = join(dir, name);
    specs.push(parseSpec(file, await readFile(file, 'utf8')));
  }
  return pools?.length ? specs.filter((s) => pools.includes(s.pool)) : specs;
}

export async function forecastSpecs(
  specs: readonly ForecastSpec[],
  onPool?: (spec: ForecastSpec, index: number) => void,
): Promise<PoolOutcome[]> {
  const outcomes: PoolOutcome[] = [];
  for (const [i, spec] of specs.entries()) {
    onPool?.(spec, i);
    try {
      const result = await forecastPool({
        input: spec.source.file,
        series: spec.source.series,
        zone: spec.source.timezone,
        maxGap: spec.source.max_gap,
        events: spec.calendars,
        horizon: spec.horizon,
        level: spec.level,
        model: spec.model,
      });
      outcomes.push({ pool: spec.pool, spec: spec.file, result });
    } catch (error) {
      outcomes.push({ pool: spec.pool, spec: spec.file, error });
    }
  }
  return outcomes;
}
