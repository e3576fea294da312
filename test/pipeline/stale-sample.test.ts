// The stale-sample guard of a scheduled run (pool-run.ts, STALE_STEPS / STALE_MIN_MS): a live
// source whose newest demand sample is older than max(3 steps, 15 min) at the run's time counts as
// vanished, so the run holds the last good capacity (no shrink, no migration), exits 3 for the
// pool and says how old the sample is. A CSV file is a replay, never stale. CloudWatch is the live
// source here, GetMetricData mocked at the SDK boundary (aws-sdk-client-mock), as in
// test/cli/run-cloudwatch.test.ts; the run's clock is fixed.

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalFile, readJournal } from '../../src/deploy/journal.js';
import type { PoolRunReport } from '../../src/pipeline/pool-run.js';
import { parseSpec } from '../../src/pipeline/spec.js';
import { testPolicy } from '../plan/fixtures.js';
import { runPoolAt } from './run-pool.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const QUERY = 'AWS/ApplicationELB:RequestCount{LoadBalancer=app/storefront/1}:Sum';
/** The newest sample of the first (fresh) run; later runs come a day on. */
const T0 = Date.UTC(2026, 2, 10, 12, 0);

const cw = mockClient(CloudWatchClient);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadowcast-stale-sample-'));
});
afterEach(() => {
  cw.reset();
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => cw.restore());

/** CloudWatch answers with a daily wave around `level`, one point a step, up to `newest` and no later. */
function cloudWatchServes(newest: number, stepMs: number, level: number): void {
  cw.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date }) => {
    const Timestamps: Date[] = [];
    const Values: number[] = [];
    const from = Math.ceil(input.StartTime.getTime() / stepMs) * stepMs;
    for (let t = from; t < input.EndTime.getTime() && t <= newest; t += stepMs) {
      Timestamps.push(new Date(t));
      Values.push(Math.round(level * (1 + 0.3 * Math.sin((2 * Math.PI * t) / (24 * HOUR)))));
    }
    return {
      MetricDataResults: [{ Id: 'q1', Label: 'RequestCount', Timestamps, Values, StatusCode: 'Complete' }],
      $metadata: {},
    };
  });
}

function cloudWatchSpec(step: string, lookback: string) {
  const file = join(dir, 'storefront.yaml');
  const text = [
    'pool: storefront',
    'source:',
    '  kind: cloudwatch',
    '  region: eu-west-1',
    `  query: '${QUERY}'`,
    `  step: ${step}`,
    `  lookback: ${lookback}`,
    'horizon: 24h',
    '',
  ].join('\n');
  return parseSpec(file, text);
}

const policy = testPolicy((p) => {
  p.forecast.model = 'naive';
});
const state = () => join(dir, 'state');

/** A run at `now` on CloudWatch whose newest sample is `newest`, at `step`. */
async function liveRun(now: number, newest: number, step: '1h' | '1m', level = 2000): Promise<PoolRunReport> {
  cw.reset();
  cloudWatchServes(newest, step === '1h' ? HOUR : MIN, level);
  const spec = step === '1h' ? cloudWatchSpec('1h', '7d') : cloudWatchSpec('1m', '1d');
  return runPoolAt(state(), spec, policy, now);
}

/** The migrations the pool's journal holds. */
const migrationStarts = () =>
  readJournal(journalFile(state(), 'storefront')).records.filter((r) => r.kind === 'migration-started')
    .length;

const metricsMissing = (r: PoolRunReport) => r.alerts.filter((a) => a.kind === 'metrics-missing');

describe('a live source whose newest sample is stale holds the pool (1-hour step: 3 steps)', () => {
  /** A first, fresh run at high demand: the fleet is sized for it. */
  async function fleetSizedForHighDemand(): Promise<PoolRunReport> {
    const first = await liveRun(T0, T0, '1h');
    expect(first).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(first.actual!.primary).toBeGreaterThan(policy.capacity.minInstances);
    return first;
  }

  it('a sample exactly 3 steps (3 h) old is still fresh: the run forecasts from it and shrinks the pool to the lower demand', async () => {
    const before = (await fleetSizedForHighDemand()).actual!;
    const newest = T0 + 21 * HOUR;
    const run = await liveRun(newest + 3 * HOUR, newest, '1h', 200);
    expect(metricsMissing(run)).toEqual([]);
    expect(run).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(run.result!.series.timestamps.at(-1)).toBe(newest);
    expect(run.migration?.outcome).toBe('completed');
    expect(run.actual!.primary).toBeLessThan(before.primary);
  });

  it('a sample 3 h 1 min old holds the last good capacity (no shrink, no migration), exits 3 and says how old it is', async () => {
    const before = (await fleetSizedForHighDemand()).actual!;
    const startsBefore = migrationStarts();
    const newest = T0 + 21 * HOUR;
    const run = await liveRun(newest + 3 * HOUR + MIN, newest, '1h', 200);
    const why =
      "the demand metric's newest sample is 181 min old (2026-03-11T09:00:00.000Z); more than 180 min counts as vanished";
    expect(run).toMatchObject({ status: 'held', exitCode: 3, error: why });
    expect(metricsMissing(run).map((a) => a.message)).toEqual([`${why}: holding the last good capacity`]);
    // No forecast from the stale data: the plan holds the fleet as it is, and nothing is applied.
    expect(run.result).toBeUndefined();
    expect(run.planned!.planned.pool.desired).toMatchObject({
      primary: before.primary,
      shadow: before.shadow,
      weights: before.weights,
    });
    expect(run.planned!.planned.pool.steps).toEqual([]);
    expect(run.migration?.outcome).toBe('nothing');
    expect(migrationStarts()).toBe(startsBefore);
    expect(run.actual).toEqual(before);
  });
});

describe('the staleness limit is max(3 steps, 15 min)', () => {
  const NOW = Date.UTC(2026, 2, 11, 9, 30);

  it('1-minute step: a sample 15 min old is fresh (the 15-min floor, not 3 steps)', async () => {
    const run = await liveRun(NOW, NOW - 15 * MIN, '1m');
    expect(metricsMissing(run)).toEqual([]);
    expect(run).toMatchObject({ status: 'ok', exitCode: 0 });
  });

  it('1-minute step: a sample 16 min old counts as vanished, and the message names 16 min against the 15-min limit', async () => {
    const run = await liveRun(NOW, NOW - 16 * MIN, '1m');
    expect(run).toMatchObject({
      status: 'held',
      exitCode: 3,
      error:
        "the demand metric's newest sample is 16 min old (2026-03-11T09:14:00.000Z); more than 15 min counts as vanished",
    });
    expect(metricsMissing(run)).toHaveLength(1);
  });

  it('a sample a few seconds past the limit is never said to be only as old as the limit', async () => {
    const run = await liveRun(NOW + 20_000, NOW - 15 * MIN, '1m');
    expect(run).toMatchObject({ status: 'held', exitCode: 3 });
    expect(run.error).toMatch(/newest sample is 16 min old .*; more than 15 min counts as vanished$/);
  });

  it('1-hour step: 3 steps (180 min), not the 15-min floor: a sample 2 h 30 min old is fresh', async () => {
    const run = await liveRun(NOW, NOW - 30 * MIN - 2 * HOUR, '1h');
    expect(run.result!.series.timestamps.at(-1)).toBe(Date.UTC(2026, 2, 11, 7));
    expect(metricsMissing(run)).toEqual([]);
    expect(run).toMatchObject({ status: 'ok', exitCode: 0 });
  });
});

describe('a CSV source is a replay: never judged stale by the run’s clock', () => {
  it('a CSV whose newest row is a month before the run’s time forecasts and plans as usual (exit 0)', async () => {
    const csv = join(dir, 'demand.csv');
    const rows = ['timestamp,demand'];
    const end = Date.UTC(2026, 1, 1);
    for (let t = end - 7 * 24 * HOUR; t <= end; t += HOUR)
      rows.push(
        `${new Date(t).toISOString()},${Math.round(1000 * (1 + 0.3 * Math.sin((2 * Math.PI * t) / (24 * HOUR))))}`,
      );
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const spec = parseSpec(
      join(dir, 'storefront.yaml'),
      ['pool: storefront', 'source:', '  kind: csv', `  file: ${csv}`, 'horizon: 24h', ''].join('\n'),
    );
    const run = await runPoolAt(state(), spec, policy, end + 30 * 24 * HOUR);
    expect(metricsMissing(run)).toEqual([]);
    expect(run).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(run.result!.series.timestamps.at(-1)).toBe(end);
    expect(cw.commandCalls(GetMetricDataCommand)).toEqual([]);
  });
});
