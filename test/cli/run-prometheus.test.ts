// `shadowcast run` against a real Prometheus (Debian's package, backfilled with four weeks of
// demand, on a loopback port): the forecast, the plan and the simulated apply from live data,
// /metrics scraped from a scheduled runner, and metrics that vanish holding the last good capacity.

import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root, runCli } from '../../bench/migration-fixture.js';
import { samples } from '../support/prom-text.js';
import {
  type DemandFixture,
  type MetricFamily,
  openMetricsText,
  type PrometheusServer,
  prometheusAvailable,
  demandFixture,
  demandPeak,
  startPrometheus,
} from '../support/prometheus-server.js';

const available = prometheusAvailable('run against Prometheus');
const HOUR = 3_600_000;

/** A working directory: the repository's policies, and a storefront spec reading `query` from `url`. */
function workdir(url: string, query: string): string {
  const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-run-prom-'));
  cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
  mkdirSync(join(cwd, 'forecasts'));
  writeSpec(cwd, url, query);
  return cwd;
}

function writeSpec(cwd: string, url: string, query: string, extra: string[] = []): void {
  writeFileSync(
    join(cwd, 'forecasts', 'storefront.yaml'),
    [
      'pool: storefront',
      'source:',
      '  kind: prometheus',
      `  url: ${url}`,
      `  query: '${query}'`,
      '  step: 1h',
      '  lookback: 28d',
      'horizon: 48h',
      'nodes:',
      `  file: ${join(root, 'forecasts', 'data', 'storefront-nodes.csv')}`,
      ...extra,
      '',
    ].join('\n'),
  );
}

const QUERY = 'avg_over_time(shadowcast_demand_rps{pool="storefront"}[1h])';

/** Request rates between services for the last two days, constant per caller → callee pair. */
const TRAFFIC: [string, string, number][] = [
  ['web', 'storefront', 50],
  ['mobile', 'storefront', 10],
  ['storefront', 'payments', 20],
  ['storefront', 'storefront', 5],
];

function trafficFamily(end: number): MetricFamily {
  const timestamps: number[] = [];
  for (let t = end - 48 * HOUR; t <= end; t += 5 * 60_000) timestamps.push(t);
  return {
    name: 'shadowcast_requests_rps',
    type: 'gauge',
    series: TRAFFIC.map(([source, destination, rate]) => ({
      labels: { source, destination },
      timestamps,
      values: timestamps.map(() => rate),
    })),
  };
}

/**
 * Memory in use, as a share of each node's limit, a sample a minute for two days: three nodes with
 * a daily swing, one of which starts leaking 8 hours before the end and nears its limit.
 */
function memoryFamily(end: number): MetricFamily {
  const start = end - 48 * HOUR;
  const leakFrom = end - 8 * HOUR;
  const series = ['storefront-p-1', 'storefront-p-2', 'storefront-p-3'].map((instance, k) => {
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let t = start; t <= end; t += 60_000) {
      // Phases count from the end, so the node's last hours look the same whatever the wall clock.
      const daily = 0.05 * Math.sin((2 * Math.PI * (t - end)) / (24 * HOUR) + k);
      const wobble = 0.01 * Math.sin((t - end) / 600_000 + k * 7);
      const leak =
        instance === 'storefront-p-3' && t > leakFrom ? (0.5 * (t - leakFrom)) / (end - leakFrom) : 0;
      timestamps.push(t);
      values.push(Math.round((0.42 + daily + wobble + leak) * 1000) / 1000);
    }
    return { labels: { instance, pool: 'storefront' }, timestamps, values };
  });
  return { name: 'shadowcast_node_memory_used_ratio', type: 'gauge', series };
}

describe.skipIf(!available)('run against a real Prometheus', () => {
  let server: PrometheusServer;
  let fx: DemandFixture;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The run forecasts from the last whole hour of its own clock, and the assertions name that
    // hour: start where the hour cannot turn before the runs are done (up to 4 minutes' wait).
    const toNextHour = HOUR - (Date.now() % HOUR);
    if (toNextHour < 4 * 60_000) await sleep(toNextHour + 5_000);
    fx = demandFixture(Date.now());
    server = await startPrometheus(openMetricsText([fx.family, trafficFamily(fx.end), memoryFamily(fx.end)]));
  }, 6 * 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await server?.stop();
  });

  it('run --once: forecasts the live series, plans, applies to the simulated fleet, and reports', async () => {
    const cwd = workdir(server.url, QUERY);
    const r = await runCli(['run', '--once'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const state = join(cwd, '.shadowcast');
    const forecast = JSON.parse(
      readFileSync(join(state, 'forecasts', 'storefront', 'forecast.json'), 'utf8'),
    ) as {
      timestamps: string[];
      mean: number[];
      upper: number[];
      history_points: number;
    };
    // 28 days of hourly history up to the last whole hour, and 48 hours ahead from the next one.
    expect(forecast.history_points).toBe(28 * 24 + 1);
    expect(Date.parse(forecast.timestamps[0]!)).toBe(fx.end + HOUR);
    expect(forecast.timestamps).toHaveLength(48);
    // The fixture's daily cycle peaks near 300 requests/s on weekdays and 210 at weekends: the
    // forecast sees the peak of the 48 hours it covers, whatever day the test runs.
    const peak = demandPeak(fx.end + HOUR, fx.end + 48 * HOUR);
    expect(Math.max(...forecast.upper)).toBeGreaterThan(0.85 * peak);
    expect(Math.max(...forecast.mean)).toBeLessThan(400);
    const plan = JSON.parse(readFileSync(join(state, 'plans', 'storefront', 'plan.json'), 'utf8')) as {
      at: string;
      desired: { standby: Record<string, number> };
      steps: unknown[];
      simulatedApply: { outcome: string; applied: number };
    };
    // Planned at the run's wall-clock time, not at the data's end.
    expect(Date.parse(plan.at)).toBeGreaterThanOrEqual(fx.end);
    expect(plan.desired.standby).toHaveProperty('storefront-p-3');
    expect(plan.simulatedApply).toMatchObject({ outcome: 'completed', applied: plan.steps.length });
    expect(r.stdout).toMatch(/storefront: simulated apply: \d+ of \d+ steps applied, 0 rollbacks/);
    const html = readFileSync(join(state, 'reports', 'latest.html'), 'utf8');
    expect(html).toContain('storefront');
    expect(html).toContain('<svg');
    const md = readFileSync(join(state, 'reports', 'latest.md'), 'utf8');
    expect(md).toMatch(/\| storefront \| .*ok/);
    const prom = samples(readFileSync(join(state, 'metrics.prom'), 'utf8'));
    expect(prom.get('shadowcast_runs_total{pool="storefront",result="ok"}')).toBe(1);
  }, 180_000);

  it('run (scheduled): /metrics shows the live forecast, node risk, planned and actual capacity, migrations and run time', async () => {
    const cwd = workdir(server.url, QUERY);
    const child = spawn(process.execPath, [cli, 'run', '--immediately', '--metrics-port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 150_000;
    let url: string | undefined;
    let text = '';
    while (Date.now() < deadline) {
      url ??= /metrics at (http:\/\/\S+)"/.exec(err)?.[1];
      if (url) {
        text = await (await fetch(url)).text();
        if (text.includes('shadowcast_runs_total{pool="storefront",result="ok"} 1')) break;
      }
      await sleep(200);
    }
    const m = samples(text);
    expect(m.get('shadowcast_runs_total{pool="storefront",result="ok"}'), err).toBe(1);
    const peakUpper = m.get('shadowcast_forecast{pool="storefront",quantity="upper",at="peak"}')!;
    expect(peakUpper).toBeGreaterThan(0.85 * demandPeak(fx.end + HOUR, fx.end + 48 * HOUR));
    expect(m.get('shadowcast_forecast{pool="storefront",quantity="mean",at="next"}')).toBeGreaterThan(0);
    expect(
      m.get('shadowcast_node_failure_probability{pool="storefront",node="storefront-p-3"}'),
    ).toBeGreaterThan(0.7);
    for (const kind of ['primary', 'shadow', 'standby']) {
      expect(m.get(`shadowcast_capacity_instances{pool="storefront",kind="${kind}",state="planned"}`)).toBe(
        m.get(`shadowcast_capacity_instances{pool="storefront",kind="${kind}",state="actual"}`),
      );
    }
    expect(m.get('shadowcast_migrations_total{pool="storefront",outcome="completed"}')).toBe(1);
    expect(m.get('shadowcast_run_duration_seconds_count{pool="storefront"}')).toBe(1);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);

  it('metrics that vanish hold the last good capacity, alert, and exit 3', async () => {
    const cwd = workdir(server.url, QUERY);
    const first = await runCli(['run', '--once'], cwd);
    expect(first.code, first.stderr).toBe(0);
    const before = JSON.parse(
      readFileSync(join(cwd, '.shadowcast', 'plans', 'storefront', 'plan.json'), 'utf8'),
    ) as {
      desired: unknown;
    };
    // The pool's metric is renamed away: the query now matches nothing.
    writeSpec(cwd, server.url, 'avg_over_time(shadowcast_demand_rps{pool="storefront-renamed"}[1h])');
    const second = await runCli(['run', '--once'], cwd);
    expect(second.code).toBe(3);
    expect(second.stdout).toContain('alert: prometheus');
    expect(second.stdout).toMatch(/returned no series .*: holding the last good capacity/);
    expect(second.stdout).toContain('demand metric missing: holding the last good capacity');
    const held = JSON.parse(
      readFileSync(join(cwd, '.shadowcast', 'plans', 'storefront', 'plan.json'), 'utf8'),
    ) as {
      current: unknown;
      desired: unknown;
      steps: unknown[];
    };
    expect(held.steps).toEqual([]);
    expect(held.desired).toEqual(held.current);
    expect(held.desired).toEqual(before.desired);
    const prom = samples(readFileSync(join(cwd, '.shadowcast', 'metrics.prom'), 'utf8'));
    expect(prom.get('shadowcast_alerts_total{pool="storefront",kind="metrics-missing"}')).toBe(1);
    expect(prom.get('shadowcast_run_failures_total{pool="storefront"}')).toBe(1);
  }, 180_000);

  it('builds the service graph from traffic, decays it between runs, and spreads the pool risk to its callers', async () => {
    const cwd = workdir(server.url, QUERY);
    writeSpec(cwd, server.url, QUERY, [
      'graph:',
      "  query: 'sum by (source, destination) (shadowcast_requests_rps)'",
      '  window: 2h',
      '  half_life: 6h',
    ]);
    const state = join(cwd, '.shadowcast');
    const edges = () =>
      (
        JSON.parse(readFileSync(join(state, 'graphs', 'storefront.json'), 'utf8')) as {
          edges: { from: string; to: string; weight: number }[];
        }
      ).edges.map((e) => [e.from, e.to, e.weight] as const);
    const first = await runCli(['run', '--once'], cwd);
    expect(first.code, first.stderr).toBe(0);
    // Three calls; the service calling itself is no dependency, and is noted.
    expect(edges().map(([f, t, w]) => [f, t, Math.round(w * 1000) / 1000])).toEqual([
      ['mobile', 'storefront', 10],
      ['storefront', 'payments', 20],
      ['web', 'storefront', 50],
    ]);
    expect(first.stdout).toMatch(
      /storefront: service graph from traffic: 3 edges .*\(1 note: .*storefront.*itself/,
    );
    // Run again moments later: the old weight has barely decayed, and the new observation adds to it.
    const second = await runCli(['run', '--once'], cwd);
    expect(second.code, second.stderr).toBe(0);
    for (const [from, to, w] of edges()) {
      const rate = TRAFFIC.find(([f, t]) => f === from && t === to)![2];
      expect(w).toBeGreaterThan(rate * 1.99);
      expect(w).toBeLessThanOrEqual(rate * 2 + 1e-9);
    }
    const prom = samples(readFileSync(join(state, 'metrics.prom'), 'utf8'));
    const risk = (service: string) =>
      prom.get(`shadowcast_service_failure_probability{pool="storefront",service="${service}"}`)!;
    expect(prom.get('shadowcast_service_graph_edges{pool="storefront"}')).toBe(3);
    // The pool's own service starts at its nodes' highest risk; each caller (all of whose calls go
    // to it) fails with it some of the time; the service it calls does not fail because of it.
    expect(risk('storefront')).toBeGreaterThan(0.7);
    for (const caller of ['web', 'mobile']) {
      expect(risk(caller)).toBeGreaterThan(0.1);
      expect(risk(caller)).toBeLessThan(risk('storefront'));
    }
    expect(risk('payments')).toBe(0);
  }, 180_000);

  it('scores nodes from per-metric queries on the same Prometheus: the leaking node stands out', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-run-prom-'));
    cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
    mkdirSync(join(cwd, 'forecasts'));
    writeFileSync(
      join(cwd, 'forecasts', 'storefront.yaml'),
      [
        'pool: storefront',
        'source:',
        '  kind: prometheus',
        `  url: ${server.url}`,
        `  query: '${QUERY}'`,
        '  step: 1h',
        'horizon: 48h',
        'nodes:',
        '  queries:',
        '    memory: \'shadowcast_node_memory_used_ratio{pool="storefront"}\'',
        '  node_label: instance',
        '  lookback: 2d',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', '--once'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(
      readFileSync(join(cwd, '.shadowcast', 'plans', 'storefront', 'plan.json'), 'utf8'),
    ) as {
      nodes: { id: string; score: number; blame: string | null; state: string }[];
    };
    expect(plan.nodes.map((n) => n.id)).toEqual(['storefront-p-1', 'storefront-p-2', 'storefront-p-3']);
    const [p1, p2, p3] = plan.nodes;
    expect(p3!.blame).toBe('memory');
    expect(p3!.score).toBeGreaterThan(0.7);
    expect(p3!.state).not.toBe('ok');
    for (const n of [p1!, p2!]) {
      expect(n.score).toBeLessThan(0.3);
      expect(n.state).toBe('ok');
    }
  }, 180_000);
});
