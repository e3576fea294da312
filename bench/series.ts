// The benchmark's series: real public data in bench/data (see its README for provenance),
// each with the holdout horizon a capacity planner would use at its sampling step. Derivations
// (sorting, filling long gaps, hourly means) happen here in code; the files are never edited.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Series } from '../src/core/series.js';
import { parseCsv } from '../src/metrics/csv.js';

export interface BenchSeries {
  id: string;
  series: Series;
  horizon: number;
  note: string;
}

/** bench/data, or SHADOWCAST_DATA (another copy laid out alike: prophet-examples/, smd/). */
export function dataDir(root: string): string {
  const dir = process.env.SHADOWCAST_DATA ?? resolve(root, 'bench', 'data');
  if (!existsSync(join(dir, 'prophet-examples'))) {
    throw new Error(`benchmark data not found in ${dir} (no prophet-examples/ there)`);
  }
  return dir;
}

function load(
  dir: string,
  file: string,
  opts: { sort?: boolean; maxGap?: number; column?: string } = {},
): Series {
  const path = join(dir, 'prophet-examples', file);
  const set = parseCsv(path, readFileSync(path, 'utf8'), { sort: opts.sort, maxGap: opts.maxGap ?? 6 });
  const s = opts.column ? set.series.find((x) => x.name === opts.column) : set.series[0];
  if (!s) throw new Error(`${file}: no series ${opts.column}`);
  return s;
}

/** Hourly means of a sub-hourly series (the 5-minute temperatures become an hourly series). */
function hourlyMeans(s: Series): Series {
  const per = Math.round(3_600_000 / s.stepMs);
  const start = s.timestamps.findIndex((t) => t % 3_600_000 === 0);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = start; i + per <= s.values.length; i += per) {
    let sum = 0;
    for (let j = i; j < i + per; j++) sum += s.values[j]!;
    timestamps.push(s.timestamps[i]!);
    values.push(sum / per);
  }
  return { name: s.name, timestamps, values: Float64Array.from(values), stepMs: 3_600_000 };
}

export function benchSeries(root: string): BenchSeries[] {
  const dir = dataDir(root);
  return [
    {
      id: 'peyton-manning',
      series: load(dir, 'example_wp_log_peyton_manning.csv', { maxGap: 60 }),
      horizon: 30,
      note: 'daily log page views; 7 gaps up to 19 days interpolated',
    },
    {
      id: 'wp-log-R',
      series: load(dir, 'example_wp_log_R.csv', { sort: true, maxGap: 60 }),
      horizon: 30,
      note: 'daily log page views; file is newest-first, sorted',
    },
    {
      id: 'wp-log-R-outliers2',
      series: load(dir, 'example_wp_log_R_outliers2.csv', { sort: true, maxGap: 60 }),
      horizon: 30,
      note: 'as wp-log-R with injected outlier stretches',
    },
    {
      id: 'pedestrians-covid',
      series: load(dir, 'example_pedestrians_covid.csv'),
      horizon: 14,
      note: 'daily counts with a 2020 structural break',
    },
    {
      id: 'pedestrians-4',
      series: load(dir, 'example_pedestrians_multivariate.csv', { column: 'location_4' }),
      horizon: 24,
      note: 'hourly counts, sensor 4',
    },
    {
      id: 'pedestrians-41',
      series: load(dir, 'example_pedestrians_multivariate.csv', { column: 'location_41' }),
      horizon: 24,
      note: 'hourly counts, sensor 41',
    },
    {
      id: 'yosemite-hourly',
      series: hourlyMeans(load(dir, 'example_yosemite_temps.csv', { maxGap: 400 })),
      horizon: 24,
      note: 'hourly means of 5-minute temperatures; missing stretches interpolated',
    },
    {
      id: 'retail-sales',
      series: load(dir, 'example_retail_sales.csv'),
      horizon: 12,
      note: 'monthly, trend + yearly season',
    },
    {
      id: 'air-passengers',
      series: load(dir, 'example_air_passengers.csv'),
      horizon: 12,
      note: 'monthly, multiplicative season; bare-CR file',
    },
  ];
}
