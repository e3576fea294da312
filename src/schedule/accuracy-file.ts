// The forecast-accuracy monitor's files: the previous run's forecast (STATE/forecasts/POOL/
// forecast.json, read before this run overwrites it) and the scored points kept between runs
// (STATE/forecasts/POOL/accuracy.json). A missing or unreadable file starts afresh: accuracy is
// a monitor, and a run never fails for want of it.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Forecast } from '../core/forecast.js';
import type { ModelSelection } from '../core/seams.js';
import {
  type AccuracyState,
  type AccuracySummary,
  EMPTY_ACCURACY,
  updateAccuracy,
} from '../forecast/accuracy.js';
import { writeFileAtomically } from '../deploy/sim-store.js';
import type { Policy } from '../policy/types.js';
import type { ForecastResult } from './forecast-pool.js';

const dirOf = (stateDir: string, pool: string) => join(stateDir, 'forecasts', pool);

/** The forecast the pool's previous run wrote, if any. */
export function readPreviousForecast(stateDir: string, pool: string): Forecast | undefined {
  const json = readJson(join(dirOf(stateDir, pool), 'forecast.json')) as
    { timestamps?: unknown; mean?: unknown; lower?: unknown; upper?: unknown; level?: unknown } | undefined;
  if (!json) return undefined;
  const { timestamps, mean, lower, upper, level } = json;
  if (![timestamps, mean, lower, upper].every(Array.isArray)) return undefined;
  const ts = (timestamps as unknown[]).map((t) => Date.parse(String(t)));
  const n = ts.length;
  const arr = (a: unknown) => Float64Array.from(a as number[], Number);
  if ([mean, lower, upper].some((a) => (a as unknown[]).length !== n) || ts.some(Number.isNaN))
    return undefined;
  return {
    timestamps: ts,
    mean: arr(mean),
    lower: arr(lower),
    upper: arr(upper),
    level: typeof level === 'number' ? level : Number.NaN,
  };
}

/** `auto`'s model selection from the pool's previous forecast.json, if it kept one (auto checks it). */
export function readPreviousSelection(stateDir: string, pool: string): ModelSelection | undefined {
  const json = readJson(join(dirOf(stateDir, pool), 'forecast.json')) as { selection?: unknown } | undefined;
  const s = json?.selection;
  return typeof s === 'object' && s !== null ? (s as ModelSelection) : undefined;
}

/** Scores `previous` against the history `result` now holds, keeps the window, saves it. */
export function scoreForecast(
  stateDir: string,
  pool: string,
  previous: Forecast | undefined,
  result: ForecastResult,
  policy: Policy,
): AccuracySummary {
  const file = join(dirOf(stateDir, pool), 'accuracy.json');
  const saved = readJson(file) as AccuracyState | undefined;
  const state = saved?.v === 1 && Array.isArray(saved.points) ? saved : EMPTY_ACCURACY;
  const next = updateAccuracy(state, previous, result.series, policy.forecast.errorWindowMs);
  writeFileAtomically(file, `${JSON.stringify(next.state)}\n`);
  return next.summary;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
