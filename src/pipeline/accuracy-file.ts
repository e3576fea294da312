// The forecast-accuracy monitor's files: the previous run's forecast (STATE/forecasts/POOL/
// forecast.json, read before this run overwrites it) and the scored points kept between runs
// (STATE/forecasts/POOL/accuracy.json). A missing or unreadable file starts afresh: accuracy is
// a monitor, and a run never fails for want of it.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Forecast } from '../core/forecast.js';
import type { ModelSelection } from '../core/seams.js';
import type { Series } from '../core/series.js';
import {
  type AccuracyState,
  type AccuracySummary,
  EMPTY_ACCURACY,
  updateAccuracy,
} from '../forecast/accuracy.js';
import { writeFileAtomically } from '../deploy/sim/store.js';
import type { Policy } from '../policy/types.js';

const dirOf = (stateDir: string, pool: string) => join(stateDir, 'forecasts', pool);

/**
 * What the pool's previous run wrote to forecast.json, read once: its forecast (scored against
 * what has since been observed) and `auto`'s model selection (reused while fresh; auto checks it).
 */
export function readPrevious(
  stateDir: string,
  pool: string,
): { forecast?: Forecast; selection?: ModelSelection } {
  const json = readJson(join(dirOf(stateDir, pool), 'forecast.json')) as
    | {
        timestamps?: unknown;
        mean?: unknown;
        lower?: unknown;
        upper?: unknown;
        level?: unknown;
        selection?: unknown;
      }
    | undefined;
  if (!json) return {};
  const s = json.selection;
  const selection = typeof s === 'object' && s !== null ? (s as ModelSelection) : undefined;
  return { ...(selection ? { selection } : {}), ...forecastOf(json) };
}

function forecastOf(json: {
  timestamps?: unknown;
  mean?: unknown;
  lower?: unknown;
  upper?: unknown;
  level?: unknown;
}): { forecast?: Forecast } {
  const { timestamps, mean, lower, upper, level } = json;
  if (![timestamps, mean, lower, upper].every(Array.isArray)) return {};
  const ts = (timestamps as unknown[]).map((t) => Date.parse(String(t)));
  const n = ts.length;
  const arr = (a: unknown) => Float64Array.from(a as number[], Number);
  if ([mean, lower, upper].some((a) => (a as unknown[]).length !== n) || ts.some(Number.isNaN)) return {};
  return {
    forecast: {
      timestamps: ts,
      mean: arr(mean),
      lower: arr(lower),
      upper: arr(upper),
      level: typeof level === 'number' ? level : Number.NaN,
    },
  };
}

/** `previous` scored against what was observed since, with the kept window; `save` writes it. */
export interface ScoredAccuracy {
  summary: AccuracySummary;
  save(): AccuracySummary;
}

/** Scores `previous` against `observed` (the pool's history now) on the kept window; saves nothing yet. */
export function scoreAccuracy(
  stateDir: string,
  pool: string,
  previous: Forecast | undefined,
  observed: Pick<Series, 'timestamps' | 'values'>,
  policy: Policy,
): ScoredAccuracy {
  const file = join(dirOf(stateDir, pool), 'accuracy.json');
  const saved = readJson(file) as AccuracyState | undefined;
  const state = saved?.v === 1 && Array.isArray(saved.points) ? saved : EMPTY_ACCURACY;
  const next = updateAccuracy(state, previous, observed, policy.forecast.errorWindowMs);
  return {
    summary: next.summary,
    save: () => {
      writeFileAtomically(file, `${JSON.stringify(next.state)}\n`);
      return next.summary;
    },
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
