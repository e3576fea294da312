// `--source cloudwatch`: the region, with the query and window flags the live sources share
// (--query, --step, --lookback or --start/--end), turned into a request for one series, built by
// the same code as a forecast spec's `kind: cloudwatch` source. Credentials: the AWS SDK's chain.

import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { SourceSeriesRequest } from '../metrics/series-request.js';
import { duration, type PrometheusFlags, queryWindow, refusePrometheusFlags } from './prometheus-flags.js';

export interface CloudWatchFlags {
  region?: string;
}

export function cloudWatchOptions(cmd: Command): Command {
  return cmd.option(
    '--region <region>',
    '--source cloudwatch: AWS region of the metric (eu-west-1); credentials from the AWS SDK chain (environment, profile, SSO, IMDS)',
  );
}

/** Refuses --region with another source, where it would be silently ignored. */
export function refuseCloudWatchFlags(flags: CloudWatchFlags): void {
  if (flags.region !== undefined) throw new UsageError('--region: only with --source cloudwatch');
}

/** The request for the one series `--query` returns from CloudWatch in `--region`. */
export async function cloudWatchRequest(
  flags: PrometheusFlags & CloudWatchFlags & { tz: string; maxGap: number },
  now: number,
): Promise<SourceSeriesRequest> {
  refusePrometheusFlags(flags, 'cloudwatch');
  if (flags.region === undefined) throw new UsageError('--source cloudwatch needs --region (eu-west-1)');
  if (flags.query === undefined) {
    throw new UsageError(
      '--source cloudwatch needs --query (Namespace:Metric{Dimension=Value}:Statistic, or expr:EXPRESSION)',
    );
  }
  if (flags.step === undefined) throw new UsageError('--source cloudwatch needs --step (5m, 1h)');
  const stepMs = duration('--step', flags.step);
  const { start, end } = queryWindow(flags, stepMs, now, flags.tz, 'cloudwatch');
  // The query and the step (as a CloudWatch period) are checked by the source before any request.
  // The AWS SDK loads only here, when CloudWatch is asked for.
  const { cloudWatchRequest: requestFor } = await import('../metrics/sources.js');
  return requestFor(flags.region, {
    query: flags.query,
    start,
    end,
    stepMs,
    zone: flags.tz,
    maxGap: flags.maxGap,
  });
}
