// The main job, once: every pool's forecast from its spec, then, for a pool with a policy, its
// nodes' risk (when the spec names node metrics), the plan, and that plan applied to the
// simulated fleet. One failing pool never stops the others. A pool with a policy forecasts with
// its policy's horizon, level and model (what `policy diff` and `simulate` use, and what a pull
// request reviews); the spec's own apply to forecast-only pools.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Policy } from '../policy/types.js';
import { type OnceResult, planAndApplyOnce } from './apply-once.js';
import type { ForecastResult } from './forecast-pool.js';
import { forecastPool } from './forecast-pool.js';
import { type NodeReport, scorePoolNodes } from './node-risk.js';
import { seriesRequestFor } from './sources.js';
import { type ForecastSpec, parseSpec } from './spec.js';

export interface PoolOutcome {
  pool: string;
  spec: string;
  result?: ForecastResult;
  /** Each node's risk now; empty when the spec names no node metrics. */
  nodes?: NodeReport[];
  /** The plan and its simulated apply; absent when the pool has no policy. */
  once?: OnceResult;
  /** Why a stage was skipped. */
  notes?: string[];
  error?: unknown;
}

export type Stage = 'forecasting' | 'scoring nodes of' | 'planning and applying (simulated)';

export async function loadSpecs(dir: string, pools?: string[]): Promise<ForecastSpec[]> {
  const names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const specs: ForecastSpec[] = [];
  for (const name of names) {
    const file = join(dir, name);
    specs.push(parseSpec(file, await readFile(file, 'utf8')));
  }
  return pools?.length ? specs.filter((s) => pools.includes(s.pool)) : specs;
}

/** forecast → risk → plan → simulated apply for every pool; `policies` by pool name. */
export async function runSpecs(
  specs: readonly ForecastSpec[],
  policies: ReadonlyMap<string, { policy: Policy }>,
  onStage?: (spec: ForecastSpec, index: number, stage: Stage) => void,
): Promise<PoolOutcome[]> {
  const outcomes: PoolOutcome[] = [];
  for (const [i, spec] of specs.entries()) {
    const out: PoolOutcome = { pool: spec.pool, spec: spec.file, notes: [] };
    outcomes.push(out);
    try {
      const policy = policies.get(spec.pool)?.policy;
      onStage?.(spec, i, 'forecasting');
      const result = (out.result = await forecastSpec(spec, policy));
      if (!policy) {
        out.notes!.push(`no policy for ${spec.pool}: forecast only`);
        continue;
      }
      out.nodes = [];
      if (spec.nodes) {
        onStage?.(spec, i, 'scoring nodes of');
        out.nodes = await scorePoolNodes(spec.nodes, policy);
      } else out.notes!.push('no node metrics in the spec (nodes:): no node risk');
      onStage?.(spec, i, 'planning and applying (simulated)');
      out.once = await planAndApplyOnce({
        pool: spec.pool,
        policy,
        forecast: result.forecast,
        observed: result.series.values.at(-1)!,
        nodes: out.nodes,
      });
    } catch (error) {
      out.error = error;
    }
  }
  return outcomes;
}

/** The spec's forecast with its policy's horizon, level and model; a live source is read up to `now`. */
export async function forecastSpec(
  spec: ForecastSpec,
  policy: Policy | undefined,
  now = Date.now(),
): Promise<ForecastResult> {
  const f = policy?.forecast;
  return forecastPool({
    ...(await seriesRequestFor(spec, now)),
    events: spec.calendars,
    horizon: f ? `${Math.round(f.horizonMs / 60_000)}m` : spec.horizon,
    level: f ? f.level : spec.level,
    model: f ? f.model : spec.model,
  });
}
