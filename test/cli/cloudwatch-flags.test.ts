// `forecast` and `backtest` with `--source cloudwatch`, in-process (a spawned CLI cannot be
// mocked): GetMetricData answered by aws-sdk-client-mock, so these check what is sent for the
// flags, what is printed, and every refusal before a request. The built CLI is in cloudwatch-cli.test.ts.

import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { backtestCommand } from '../../src/cli/backtest.js';
import { forecastCommand, type ForecastFlags } from '../../src/cli/forecast.js';
import { type InputFlags, seriesRequest } from '../../src/cli/input-flags.js';
import { exitCodeFor, UsageError } from '../../src/core/errors.js';
import { CloudWatchSource } from '../../src/metrics/cloudwatch.js';
import { inputFlags } from '../support/input-flags.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 2, 15, 9, 41, 7);
const START = Date.UTC(2026, 2, 1);
const END = Date.UTC(2026, 2, 15);
const ELB = 'AWS/ApplicationELB:RequestCount{LoadBalancer=app/web/123}:Sum';
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-cloudwatch-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flags = inputFlags;
const cloudwatch = (extra: Partial<InputFlags>) =>
  flags({ source: 'cloudwatch', region: 'eu-west-1', query: ELB, step: '1h', ...extra });
const window = { start: new Date(START).toISOString(), end: new Date(END).toISOString() };

/** A daily wave, hourly, for [start, end). */
function demand(start: number, end: number): { timestamps: number[]; values: number[] } {
  const timestamps: number[] = [];
  for (let t = start; t < end; t += H) timestamps.push(t);
  const values = timestamps.map((t) => Math.round(300 + 120 * Math.sin((2 * Math.PI * t) / (24 * H))));
  return { timestamps, values };
}

describe('--source cloudwatch', () => {
  const cw = mockClient(CloudWatchClient);
  afterEach(() => {
    cw.reset();
    vi.restoreAllMocks();
  });
  afterAll(() => cw.restore());

  /** Answers every query of every call with `demand` over the call's window. */
  function answerWithDemand(): void {
    cw.on(GetMetricDataCommand).callsFake(
      (input: { MetricDataQueries: MetricDataQuery[]; StartTime: Date; EndTime: Date }) => {
        const d = demand(input.StartTime.getTime(), input.EndTime.getTime());
        return {
          MetricDataResults: input.MetricDataQueries.filter((q) => q.ReturnData !== false).map((q) => ({
            Id: q.Id,
            Label: q.Id,
            Timestamps: d.timestamps.map((t) => new Date(t)),
            Values: d.values,
            StatusCode: 'Complete',
          })),
          $metadata: {},
        };
      },
    );
  }

  function captureStdout(): string[] {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    return out;
  }

  it('builds the request a spec would: region, query, window, step, label', async () => {
    const req = await seriesRequest(cloudwatch({ lookback: '2d', maxGap: 3, tz: 'Europe/Berlin' }), NOW);
    expect(req.kind).toBe('source');
    if (req.kind !== 'source') return;
    expect(req.source).toBeInstanceOf(CloudWatchSource);
    expect({ ...req, source: undefined }).toEqual({
      kind: 'source',
      source: undefined,
      query: ELB,
      start: Date.UTC(2026, 2, 13, 9),
      end: Date.UTC(2026, 2, 15, 9),
      stepMs: H,
      label: `cloudwatch eu-west-1 query "${ELB}"`,
      zone: 'Europe/Berlin',
      maxGap: 3,
    });
  });

  it('forecast: sends the metric at the step as its period over --start..--end, and gives the JSON a CSV of the same data gives', async () => {
    answerWithDemand();
    const out = captureStdout();
    await forecastCommand({ ...cloudwatch(window), horizon: '24h', model: 'naive' } as ForecastFlags);
    const [call, ...more] = cw.commandCalls(GetMetricDataCommand);
    expect(more).toEqual([]);
    expect(call!.args[0].input).toEqual({
      MetricDataQueries: [
        {
          Id: 'q1',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'RequestCount',
              Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/123' }],
            },
            Period: 3600,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date(START),
      EndTime: new Date(END),
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
    });
    const fromCloudWatch = out.join('');
    const json = JSON.parse(fromCloudWatch) as Record<string, unknown>;
    expect([json.series, json.history_points, json.step_seconds]).toEqual([ELB, 14 * 24, 3600]);

    const d = demand(START, END);
    const csv = join(dir, 'demand.csv');
    const rows = d.timestamps.map((t, i) => `${ELB},${new Date(t).toISOString()},${d.values[i]}`);
    writeFileSync(csv, `series,timestamp,value\n${rows.join('\n')}\n`);
    out.length = 0;
    await forecastCommand({ ...flags({ input: csv }), horizon: '24h', model: 'naive' } as ForecastFlags);
    expect(fromCloudWatch).toBe(out.join(''));
  });

  it('forecast: a metric-math query sends its hidden parts and forecasts the expression', async () => {
    answerWithDemand();
    const out = captureStdout();
    const query =
      'all=AWS/ApplicationELB:RequestCount{LoadBalancer=app/web/123}:Sum; bad=AWS/ApplicationELB:HTTPCode_Target_5XX_Count{LoadBalancer=app/web/123}:Sum; rate=expr:100*bad/all';
    await forecastCommand({
      ...cloudwatch({ ...window, query }),
      horizon: '6',
      model: 'naive',
    } as ForecastFlags);
    const sent = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries!;
    expect(sent.map((q) => [q.Id, q.ReturnData, q.Expression ?? q.MetricStat!.Metric!.MetricName])).toEqual([
      ['all', false, 'RequestCount'],
      ['bad', false, 'HTTPCode_Target_5XX_Count'],
      ['rate', true, '100*bad/all'],
    ]);
    expect((JSON.parse(out.join('')) as { series: string }).series).toBe('rate');
  });

  it('backtest: scores every model on the CloudWatch series', async () => {
    answerWithDemand();
    const out = captureStdout();
    await backtestCommand({ ...cloudwatch(window), horizon: '24', folds: 2 });
    const json = JSON.parse(out.join('')) as {
      series: string;
      folds: number;
      models: Record<string, unknown>;
    };
    expect([json.series, json.folds]).toEqual([ELB, 2]);
    expect(Object.keys(json.models).sort()).toEqual(['auto', 'mstl', 'naive', 'prophet']);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  it('an empty result is bad input (exit 2) naming the query, as for Prometheus; AWS failing is exit 3', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q1', Label: 'q1', Timestamps: [], Values: [], StatusCode: 'Complete' }],
      $metadata: {},
    });
    const empty = await forecastCommand({ ...cloudwatch(window), model: 'naive' } as ForecastFlags).catch(
      (e: unknown) => e,
    );
    expect(exitCodeFor(empty)).toBe(2);
    expect((empty as Error).message).toBe(
      `cloudwatch eu-west-1 query "${ELB}" returned no series between 2026-03-01T00:00:00.000Z .. 2026-03-15T00:00:00.000Z`,
    );
    cw.reset();
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredTokenException',
      }),
    );
    const expired = await forecastCommand({ ...cloudwatch(window), model: 'naive' } as ForecastFlags).catch(
      (e: unknown) => e,
    );
    expect(exitCodeFor(expired)).toBe(3);
    expect((expired as Error).message).toMatch(/^CloudWatch in eu-west-1 refused the credentials/);
  });

  it.each([
    { name: 'no --region', f: cloudwatch({ region: undefined, lookback: '1d' }), message: 'needs --region' },
    { name: 'no --query', f: cloudwatch({ query: undefined, lookback: '1d' }), message: 'needs --query' },
    { name: 'no --step', f: cloudwatch({ step: undefined, lookback: '1d' }), message: 'needs --step' },
    {
      name: 'no window',
      f: cloudwatch({}),
      message: '--source cloudwatch needs --lookback DUR, or --start TIME and --end TIME',
    },
    {
      name: 'Prometheus flags',
      f: cloudwatch({ lookback: '1d', url: 'http://p:9090', bearerTokenFile: 'token' }),
      message: '--url, --bearer-token-file: only with --source prometheus',
    },
    {
      name: '--input',
      f: cloudwatch({ input: 'x.csv' }),
      message: '--input reads a CSV file; with --source cloudwatch the series comes from --query',
    },
    {
      name: '--series',
      f: cloudwatch({ series: 'a' }),
      message: '--series picks a series of a CSV file; with --source cloudwatch narrow --query to one',
    },
    { name: '--sort', f: cloudwatch({ sort: true }), message: 'CloudWatch returns series in order' },
    {
      name: '--region with Prometheus',
      f: flags({
        source: 'prometheus',
        url: 'http://p:9090',
        query: 'up',
        step: '1h',
        lookback: '1d',
        region: 'x',
      }),
      message: '--region: only with --source cloudwatch',
    },
    {
      name: '--region with a CSV input',
      f: flags({ input: 'x.csv', region: 'eu-west-1' }),
      message: '--region: only with --source cloudwatch',
    },
  ])('refuses $name (UsageError, no request)', async ({ f, message }) => {
    const err = await seriesRequest(f, NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
    expect(cw.commandCalls(GetMetricDataCommand)).toEqual([]);
  });

  it.each([
    { name: 'a malformed query', query: 'AWS/EC2:CPUUtilization', step: '1h', message: 'at column 23' },
    { name: 'a step that is no period', query: ELB, step: '90s', message: 'CloudWatch period 90s' },
  ])('refuses $name before any request (exit 2)', async ({ query, step, message }) => {
    const err = await forecastCommand({ ...cloudwatch({ ...window, query, step }) } as ForecastFlags).catch(
      (e: unknown) => e,
    );
    expect(exitCodeFor(err)).toBe(2);
    expect((err as Error).message).toContain(message);
    expect(cw.commandCalls(GetMetricDataCommand)).toEqual([]);
  });
});
