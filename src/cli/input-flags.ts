// The flags every command that reads a metric series shares, declared once for commander and
// once as a type, and turned into the request the schedule layer takes: a CSV file (default)
// or a query to a metric source (`--source prometheus`, `--source cloudwatch`).

import { Command, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { MAX_GAP_LIMIT } from '../metrics/regularize.js';
import type { SeriesRequest } from '../metrics/series-request.js';
import {
  type CloudWatchFlags,
  cloudWatchOptions,
  cloudWatchRequest,
  refuseCloudWatchFlags,
} from './cloudwatch-flags.js';
import {
  type PrometheusFlags,
  prometheusOptions,
  prometheusRequest,
  refusePrometheusFlags,
} from './prometheus-flags.js';

export interface InputFlags extends PrometheusFlags, CloudWatchFlags {
  source: 'csv' | 'prometheus' | 'cloudwatch';
  input?: string;
  series?: string;
  tz: string;
  maxGap: number;
  sort: boolean;
  events: string[];
  horizon: string;
  level: number;
  format: 'json' | 'table';
}

/** A whole-number flag; past `max` (by default past exact integers) it is a typo, said so. */
export function parseCount(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`${flag} "${text}": expected a whole number`);
    if (v > max) throw new UsageError(`${flag} "${text}" is more than the limit of ${max}`);
    return v;
  };
}

export function inputOptions(cmd: Command): Command {
  cmd
    .addOption(
      new Option(
        '--source <kind>',
        'where the series comes from: a CSV file (--input), Prometheus or CloudWatch (--query)',
      )
        .choices(['csv', 'prometheus', 'cloudwatch'])
        .default('csv'),
    )
    .option('--input <file>', 'CSV: timestamp,value | timestamp,a,b,... | series,timestamp,value')
    .option('--series <name>', 'which series to use when the file holds several')
    .option('--tz <zone>', 'IANA time zone for timestamps without an offset', 'UTC')
    .option(
      '--max-gap <n>',
      'longest run of missing points to fill by interpolation',
      parseCount('--max-gap', MAX_GAP_LIMIT),
      6,
    )
    .option('--sort', 'sort rows by time first (files written newest-first)', false)
    .option('--events <file...>', 'event calendars (.ics, .yaml)', [] as string[]);
  return cloudWatchOptions(prometheusOptions(cmd));
}

/** The series request the flags describe; `now` (epoch ms) ends a --lookback window. */
export async function seriesRequest(flags: InputFlags, now = Date.now()): Promise<SeriesRequest> {
  if (flags.source !== 'csv') {
    const live = `--source ${flags.source}`;
    if (flags.input !== undefined) {
      throw new UsageError(`--input reads a CSV file; with ${live} the series comes from --query`);
    }
    if (flags.series !== undefined) {
      throw new UsageError(`--series picks a series of a CSV file; with ${live} narrow --query to one`);
    }
    if (flags.sort) {
      const name = flags.source === 'prometheus' ? 'Prometheus' : 'CloudWatch';
      throw new UsageError(`--sort orders the rows of a CSV file; ${name} returns series in order`);
    }
    if (flags.source === 'cloudwatch') return cloudWatchRequest(flags, now);
    refuseCloudWatchFlags(flags);
    return prometheusRequest(flags, now);
  }
  refusePrometheusFlags(flags);
  refuseCloudWatchFlags(flags);
  if (flags.input === undefined) {
    throw new UsageError('--input FILE is required (or --source prometheus --url URL --query PROMQL)');
  }
  return { input: flags.input, series: flags.series, zone: flags.tz, maxGap: flags.maxGap, sort: flags.sort };
}
