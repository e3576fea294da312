// Forecast specs loaded from their directory, and a spec's forecast as every command makes it: a
// pool with a policy forecasts with its policy's horizon, level and model (what `run`, `plan`,
// `policy diff` and `simulate` use, and what a pull request reviews); the spec's own apply to
// forecast-only pools.

import { parseDuration } from '../core/duration.js';
import { DependencyError, describeError, InputError, UsageError } from '../core/errors.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSelection } from '../core/seams.js';
import type { Series } from '../core/series.js';
import type { Policy } from '../policy/types.js';
import type { Fitter } from './fit-job.js';
import { type ForecastResult, forecastPool, NoSeriesError, type ResourceForecast } from './forecast-pool.js';
import { seriesRequestFor } from '../metrics/sources.js';
import { type ForecastSpec, parseSpec } from './spec.js';

export async function loadSpecs(dir: string, pools?: string[]): Promise<ForecastSpec[]> {
  const names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const specs: ForecastSpec[] = [];
  for (const name of names) {
    const file = join(dir, name);
    specs.push(parseSpec(file, await readFile(file, 'utf8')));
  }
  if (!pools?.length) return specs;
  const known = specs.map((s) => s.pool);
  const unknown = pools.filter((p) => !known.includes(p));
  if (unknown.length > 0) {
    throw new UsageError(
      `no forecast spec in ${dir} for pool ${unknown.join(', ')} (${known.length ? `it has: ${known.join(', ')}` : 'it has none'})`,
    );
  }
  return specs.filter((s) => pools.includes(s.pool));
}

/**
 * The spec's forecast with its policy's horizon, level, model and history window; a live source is
 * read up to `now`; `auto` reuses `selection` (the pool's previous one) while it is fresh.
 */
export async function forecastSpec(
  spec: ForecastSpec,
  policy: Policy | undefined,
  now = Date.now(),
  selection?: ModelSelection,
  fitter?: Fitter,
  reselect?: (series: Series) => string | undefined,
): Promise<ForecastResult> {
  const f = policy?.forecast;
  const signals = await Promise.all(
    spec.signals.map(async (sig) => ({
      name: sig.name,
      request: await seriesRequestFor({ file: spec.file, source: sig.source }, now),
      maxLagMs: parseDuration(sig.max_lag)!,
    })),
  );
  for (const r of spec.resources) {
    if (policy && !(r.name in policy.capacity.resources))
      throw new InputError(
        spec.file,
        undefined,
        `resources: "${r.name}" has no units an instance in the pool's policy: set capacity.resources.${r.name}`,
      );
  }
  // Demand and every further resource are forecast alike: the policy's horizon, level, model and window.
  const settings = {
    events: spec.calendars,
    horizon: f ? `${Math.round(f.horizonMs / 60_000)}m` : spec.horizon,
    level: f ? f.level : spec.level,
    model: f ? f.model : spec.model,
    ...(f ? { historyMs: f.historyMs } : {}),
    ...(fitter ? { fitter } : {}),
  };
  const main = await forecastPool({
    ...(await seriesRequestFor(spec, now)),
    ...settings,
    ...(selection ? { selection } : {}),
    ...(reselect ? { reselect } : {}),
    ...(signals.length ? { signals } : {}),
  });
  if (spec.resources.length === 0) return main;
  const resources: ResourceForecast[] = [];
  for (const r of spec.resources) {
    const request = await seriesRequestFor({ file: spec.file, source: r.source }, now);
    try {
      const out = await forecastPool({ ...request, ...settings });
      resources.push({
        name: r.name,
        series: out.series,
        forecast: out.forecast,
        model: out.model,
        observed: out.series.values.at(-1)!,
      });
    } catch (err) {
      // A resource's live metric that vanished: the plan holds capacity, like vanished demand.
      if (request.kind !== 'source' || !(err instanceof DependencyError || err instanceof NoSeriesError))
        throw err;
      resources.push({ name: r.name, observed: Number.NaN, error: describeError(err) });
    }
  }
  return { ...main, resource: spec.resource, resources };
}
