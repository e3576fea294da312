// `run --once` in-process with a CloudWatch spec whose metric vanished, GetMetricData mocked at the
// SDK boundary (aws-sdk-client-mock), beside a Prometheus spec whose query matches nothing (a
// node:http stub): both pools must come out the same way, capacity held, alerted, exit 3.

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunFlags, runCommand } from '../../src/cli/run.js';
import { exitCodeFor } from '../../src/core/errors.js';

const root = resolve(import.meta.dirname, '..', '..');
const CW_QUERY = 'AWS/ApplicationELB:RequestCount{LoadBalancer=app/storefront/1}:Sum';
const PROM_QUERY = 'sum(rate(http_requests_total{service="checkout-api"}[5m]))';

interface PoolJson {
  pool: string;
  status: string;
  exitCode: number;
  error: string | null;
  alerts: { kind: string; message: string }[];
}

describe('run --once: an empty CloudWatch result', () => {
  const cw = mockClient(CloudWatchClient);
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-run-cloudwatch-'));
  let prometheus: Server;
  let prometheusUrl: string;

  beforeAll(async () => {
    // A Prometheus whose every query matches nothing: an empty matrix.
    prometheus = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    });
    await new Promise<void>((done) => prometheus.listen(0, '127.0.0.1', done));
    prometheusUrl = `http://127.0.0.1:${(prometheus.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    cw.restore();
    prometheus.closeAllConnections();
    await new Promise((done) => prometheus.close(done));
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    cw.reset();
    vi.restoreAllMocks();
  });

  function specs(): string {
    const forecasts = join(dir, 'forecasts');
    mkdirSync(forecasts, { recursive: true });
    const common = ['  step: 1h', '  lookback: 7d', 'horizon: 24h', ''];
    writeFileSync(
      join(forecasts, 'storefront.yaml'),
      [
        'pool: storefront',
        'source:',
        '  kind: cloudwatch',
        '  region: eu-west-1',
        `  query: '${CW_QUERY}'`,
        ...common,
      ].join('\n'),
    );
    writeFileSync(
      join(forecasts, 'checkout-api.yaml'),
      [
        'pool: checkout-api',
        'source:',
        '  kind: prometheus',
        `  url: ${prometheusUrl}`,
        `  query: '${PROM_QUERY}'`,
        ...common,
      ].join('\n'),
    );
    return forecasts;
  }

  it('holds capacity, alerts metrics-missing and exits 3, exactly as an empty Prometheus result does', async () => {
    // What CloudWatch answers for a metric with no data in the range (or none at all).
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q1', Label: 'RequestCount', Timestamps: [], Values: [], StatusCode: 'Complete' },
      ],
      $metadata: {},
    });
    const stdout: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
    const state = join(dir, 'state');
    const flags: RunFlags = {
      once: true,
      immediately: false,
      specs: specs(),
      state,
      policies: join(root, 'policies'),
      target: 'sim',
      metricsHost: '127.0.0.1',
      logLevel: 'silent',
      lockWait: '0',
      concurrency: 1,
      report: true,
      keepReports: 10,
      hookTimeout: '60s',
    };
    const err = await runCommand(flags).catch((e: unknown) => e);
    vi.restoreAllMocks();

    expect(exitCodeFor(err)).toBe(3);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    const run = JSON.parse(readFileSync(join(state, 'reports', 'latest.json'), 'utf8')) as {
      pools: PoolJson[];
    };
    const byPool = new Map(run.pools.map((p) => [p.pool, p]));
    const fromCloudWatch = byPool.get('storefront')!;
    const fromPrometheus = byPool.get('checkout-api')!;
    expect(fromCloudWatch.error).toMatch(
      /^cloudwatch eu-west-1 query ".*" \(.*storefront\.yaml\) returned no series between \S+ \.\. \S+$/,
    );
    // The same outcome field by field, once each source's own label is taken out of the messages.
    const shape = (p: PoolJson, label: string) => ({
      status: p.status,
      exitCode: p.exitCode,
      error: p.error?.replace(label, 'LABEL'),
      alerts: p.alerts.map((a) => ({ kind: a.kind, message: a.message.replace(label, 'LABEL') })),
    });
    const cwShape = shape(fromCloudWatch, fromCloudWatch.error!.split(' returned no series')[0]!);
    const promShape = shape(fromPrometheus, fromPrometheus.error!.split(' returned no series')[0]!);
    expect(cwShape).toEqual(promShape);
    expect(cwShape).toMatchObject({
      status: 'held',
      exitCode: 3,
      alerts: [
        { kind: 'metrics-missing', message: expect.stringMatching(/: holding the last good capacity$/) },
      ],
    });
    // The summary plans the pool without a forecast: held where it is.
    const summary = stdout.join('').split('\nstorefront: plan at ')[1] ?? '';
    expect(summary).toContain('- demand metric missing: holding the last good capacity');
    expect(summary).toContain('steps: none');
    const now = /now: +(.*)/.exec(summary)?.[1];
    expect(/desired: +(.*)/.exec(summary)?.[1]).toBe(now);
  });
});
