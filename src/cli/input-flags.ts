// The flags every command that reads a metric file shares, declared once for commander and
// once as a type, and turned into the request the schedule layer takes.

import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { SeriesRequest } from '../schedule/forecast-pool.js';

export interface InputFlags {
  input: string;
  series?: string;
  tz: string;
  maxGap: number;
  sort: boolean;
  events: string[];
  horizon: string;
  level: number;
  format: 'json' | 'table';
}

export function parseCount(flag: string) {
  return (text: string): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`${flag} "${text}": expected a whole number`);
    return v;
  };
}

export function inputOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--input <file>', 'CSV: timestamp,value | timestamp,a,b,... | series,timestamp,value')
    .option('--series <name>', 'which series to use when the file holds several')
    .option('--tz <zone>', 'IANA time zone for timestamps without an offset', 'UTC')
    .option(
      '--max-gap <n>',
      'longest run of missing points to fill by interpolation',
      parseCount('--max-gap'),
      6,
    )
    .option('--sort', 'sort rows by time first (files written newest-first)', false)
    .option('--events <file...>', 'event calendars (.ics, .yaml)', [] as string[]);
}

export function seriesRequest(flags: InputFlags): SeriesRequest {
  return { input: flags.input, series: flags.series, zone: flags.tz, maxGap: flags.maxGap, sort: flags.sort };
}
