// The run loop as an operator runs it: the built CLI as a child process on a copy of the embedded
// default (forecasts/ and policies/), the simulated fleet as the target. Scheduled mode serves
// /metrics (scraped here) and stops cleanly on SIGTERM; a SIGTERM mid-migration leaves a journal
// the next run resumes from, with no step applied twice.

import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimStoreFile } from '../../src/deploy/sim/store.js';
import { cli, root, runCli } from '../../bench/migration-fixture.js';
import { samples } from '../support/prom-text.js';
import { until } from '../support/until.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function workdir(policyExtra?: (own: string) => string): string {
  const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-run-'));
  cpSync(join(root, 'forecasts'), join(cwd, 'forecasts'), { recursive: true });
  cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
  if (policyExtra) {
    const file = join(cwd, 'policies', 'pools', 'storefront.yaml');
    writeFileSync(file, policyExtra(readFileSync(file, 'utf8')));
  }
  return cwd;
}

/** A policy whose plan has several steps: at a minimum of one primary, the shadow takes a share. */
const multiStep = (own: string) => {
  expect(own).toMatch(/minInstances: 4\b/);
  return own.replace(/minInstances: 4\b/, 'minInstances: 1');
};

interface Live {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], cwd: string, env: Record<string, string> = {}): Live {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

const history = async (cwd: string) => {
  const r = await runCli(['history', '--format', 'json', '--state', join(cwd, '.shadowcast')], cwd);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    id: string;
    outcome: string;
    steps: { index: number; status: string; applied: number; fleetUpdates: number }[];
  }[];
};

describe('run (scheduled)', () => {
  it('runs every pool at start, serves /metrics with the run figures, and exits 0 on SIGTERM', async () => {
    const cwd = workdir();
    const live = start(['run', '--immediately', '--metrics-port', '0'], cwd);
    const url = await until(
      'the metrics URL in the logs',
      () => /metrics at (http:\/\/\S+)"/.exec(live.stderr())?.[1],
    );
    const text = await until('the first run in /metrics', async () => {
      const body = await (await fetch(url)).text();
      return body.includes('shadowcast_runs_total{pool="storefront",result="ok"} 1') ? body : undefined;
    });
    const m = samples(text);
    // The forecast now and at its peak, with its interval.
    for (const at of ['next', 'peak']) {
      const lo = m.get(`shadowcast_forecast{pool="storefront",quantity="lower",at="${at}"}`)!;
      const mean = m.get(`shadowcast_forecast{pool="storefront",quantity="mean",at="${at}"}`)!;
      const hi = m.get(`shadowcast_forecast{pool="storefront",quantity="upper",at="${at}"}`)!;
      expect(lo).toBeLessThanOrEqual(mean);
      expect(mean).toBeLessThanOrEqual(hi);
      expect(hi).toBeGreaterThan(0);
    }
    expect(m.get('shadowcast_forecast{pool="storefront",quantity="upper",at="peak"}')).toBeCloseTo(6520, -1);
    // Each node's failure probability: the leaking node above the provision threshold, the rest low.
    expect(
      m.get('shadowcast_node_failure_probability{pool="storefront",node="storefront-p-3"}'),
    ).toBeGreaterThan(0.7);
    expect(
      m.get('shadowcast_node_failure_probability{pool="storefront",node="storefront-p-1"}'),
    ).toBeLessThan(0.1);
    // Planned against actual capacity: the standby was planned and the simulated apply made it.
    expect(m.get('shadowcast_capacity_instances{pool="storefront",kind="standby",state="planned"}')).toBe(1);
    expect(m.get('shadowcast_capacity_instances{pool="storefront",kind="standby",state="actual"}')).toBe(1);
    expect(m.get('shadowcast_capacity_instances{pool="storefront",kind="primary",state="actual"}')).toBe(4);
    expect(m.get('shadowcast_migrations_total{pool="storefront",outcome="completed"}')).toBe(1);
    expect(m.get('shadowcast_run_duration_seconds_count{pool="storefront"}')).toBe(1);
    expect(m.get('shadowcast_run_duration_seconds_sum{pool="storefront"}')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE shadowcast_rollbacks_total counter');
    expect(text).toContain('# TYPE shadowcast_run_failures_total counter');
    expect(m.get('shadowcast_last_success_timestamp_seconds{pool="storefront"}')).toBeGreaterThan(
      Date.now() / 1000 - 300,
    );
    // The health endpoint a liveness probe uses.
    expect((await fetch(url.replace('/metrics', '/healthz'))).status).toBe(200);
    // Logs are JSON lines, one event each.
    const events = live
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; pool?: string });
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['scheduled', 'run-started', 'journal', 'run-finished']),
    );
    live.child.kill('SIGTERM');
    const { code } = await live.exited;
    expect(code, live.stderr()).toBe(0);
    expect(live.stderr()).toContain('SIGTERM: stopping');
  }, 120_000);

  it('refuses a shard that is not i/n with 0 <= i < n; a shard with no pools has nothing to do', async () => {
    const cwd = workdir();
    for (const [shard, msg] of [
      ['3/3', 'expected i/n with 0 <= i < n'],
      ['x', 'expected i/n with 0 <= i < n'],
    ] as const) {
      const r = await runCli(['run', '--once', '--shard', shard], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    // One pool, two shards: exactly one of them plans it, and the empty one succeeds quietly.
    const runs = [];
    for (const shard of ['0/2', '1/2']) runs.push(await runCli(['run', '--once', '--shard', shard], cwd));
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runs.filter((r) => r.stdout.includes('plan at'))).toHaveLength(1);
  }, 120_000);
});

describe('run --once stopped by SIGTERM mid-migration', () => {
  it('finishes the step under way, journals a pause, and the next run resumes: no step applied twice', async () => {
    const cwd = workdir(multiStep);
    const mark = join(cwd, 'hook-ran');
    // Each step's restore hook notes that it ran and takes a moment, as a cache warm-up would.
    const hook = `echo x >> "${mark}"; sleep 2`;
    const live = start(['run', '--once', '--restore', hook, '--log-level', 'info'], cwd);
    await until('step 1 to land', () => existsSync(mark));
    live.child.kill('SIGTERM');
    const { code } = await live.exited;
    expect(code, live.stderr()).toBe(0);
    expect(live.stdout()).toMatch(/storefront: stopped before step 2 of \d+ \(SIGTERM\)/);
    const [paused] = await history(cwd);
    expect(paused!.outcome).toBe('in_progress');
    expect(paused!.steps[0]).toMatchObject({ index: 1, status: 'passed', applied: 1, fleetUpdates: 1 });
    expect(paused!.steps.slice(1).every((s) => s.status === 'pending' && s.fleetUpdates === 0)).toBe(true);
    const journal = readFileSync(join(cwd, '.shadowcast', 'journal', 'storefront.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string });
    expect(journal.at(-1)!.kind).toBe('migration-paused');
    expect(journal.at(-2)!.kind).toBe('gate-passed');

    // The next run (no hook this time) resumes the migration where it stopped.
    const next = await runCli(['run', '--once'], cwd);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('recovered an unfinished migration');
    const [done] = await history(cwd);
    expect(done!.id).toBe(paused!.id);
    expect(done!.outcome).toBe('completed');
    expect(done!.steps.every((s) => s.status === 'passed' && s.applied === 1 && s.fleetUpdates === 1)).toBe(
      true,
    );
    const fleet = JSON.parse(
      readFileSync(join(cwd, '.shadowcast', 'sim', 'storefront.json'), 'utf8'),
    ) as SimStoreFile;
    const ids = fleet.updates.map((u) => u.stepId);
    expect(new Set(ids).size).toBe(ids.length);
  }, 180_000);
});

describe('run --once: the forecast watched against what happened', () => {
  it('scores the previous run forecast on the hours since observed, and alerts on drift past the policy', async () => {
    const cwd = workdir();
    const file = join(cwd, 'forecasts', 'data', 'storefront.csv');
    const rows = readFileSync(file, 'utf8').trim().split('\n');
    // The first run sees the month up to 29 April 23:00.
    writeFileSync(file, `${rows.slice(0, -24).join('\n')}\n`);
    const first = await runCli(['run', '--once'], cwd);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain('forecast drift');
    // Then 30 April arrives at three times the usual demand: the forecast made before it is far off.
    const tripled = rows.slice(-24).map((r) => {
      const [ds, a, b] = r.split(',');
      return `${ds},${Number(a) * 3},${Number(b) * 3}`;
    });
    writeFileSync(file, `${[...rows.slice(0, -24), ...tripled].join('\n')}\n`);
    const second = await runCli(['run', '--once', '--keep-reports', '1'], cwd);
    // Reports are pruned to the newest: this run's.
    const runs = readdirSync(join(cwd, '.shadowcast', 'reports')).filter((n) => n.startsWith('run-'));
    expect(runs).toHaveLength(1);
    expect(second.stdout).toContain(`reports/${runs[0]}/report.html`);
    expect(second.stdout).toMatch(
      /forecast accuracy over the last 24 h: [\d.]+% mean absolute error on 24 points/,
    );
    expect(second.stdout).toMatch(
      /alert: forecast drift: mean absolute error [\d.]+% over the last 24 h \(24 points\), above the policy's forecast.maxErrorPercent of 30%/,
    );
    const mape = Number(/accuracy over the last 24 h: ([\d.]+)%/.exec(second.stdout)![1]);
    expect(mape).toBeGreaterThan(50);
    const prom = samples(readFileSync(join(cwd, '.shadowcast', 'metrics.prom'), 'utf8'));
    expect(prom.get('shadowcast_forecast_error_percent{pool="storefront"}')).toBeCloseTo(mape, 0);
    expect(prom.get('shadowcast_forecast_scored_points{pool="storefront"}')).toBe(24);
    expect(prom.get('shadowcast_alerts_total{pool="storefront",kind="forecast-drift"}')).toBe(1);
    // The alert is also a JSON log event on stderr.
    expect(second.stderr).toContain('"kind":"forecast-drift"');
  }, 180_000);
});

describe('run --once: a drifting forecast selects its models afresh', () => {
  it("reuses auto's selection run after run until the drift alert fires, then selects afresh and says why", async () => {
    const cwd = workdir((own) => {
      expect(own).toMatch(/model: mstl\b/);
      return own.replace(/model: mstl\b/, 'model: auto');
    });
    const file = join(cwd, 'forecasts', 'data', 'storefront.csv');
    const rows = readFileSync(file, 'utf8').trim().split('\n');
    const forecastJson = () =>
      JSON.parse(
        readFileSync(join(cwd, '.shadowcast', 'forecasts', 'storefront', 'forecast.json'), 'utf8'),
      ) as {
        reused: boolean;
        reselectReason?: string;
        selection: { madeAt: number };
      };
    // The first run selects; the next, an hour later and on course, reuses that selection.
    writeFileSync(file, `${rows.slice(0, -24).join('\n')}\n`);
    expect((await runCli(['run', '--once', '--no-report'], cwd)).code).toBe(0);
    const first = forecastJson();
    expect(first.reused).toBe(false);
    writeFileSync(file, `${rows.slice(0, -23).join('\n')}\n`);
    const onCourse = await runCli(['run', '--once', '--no-report'], cwd);
    expect(onCourse.code, onCourse.stderr).toBe(0);
    expect(onCourse.stdout).not.toContain('forecast drift');
    expect(forecastJson()).toMatchObject({ reused: true, selection: { madeAt: first.selection.madeAt } });
    // Then the rest of 30 April at three times the usual demand: the drift alert fires, and the
    // selection that drifted is not reused.
    const tripled = rows.slice(-23).map((r) => {
      const [ds, a, b] = r.split(',');
      return `${ds},${Number(a) * 3},${Number(b) * 3}`;
    });
    writeFileSync(file, `${[...rows.slice(0, -23), ...tripled].join('\n')}\n`);
    const drifted = await runCli(['run', '--once', '--no-report'], cwd);
    expect(drifted.stdout).toContain('alert: forecast drift');
    const after = forecastJson();
    expect(after.reused).toBe(false);
    expect(after.reselectReason).toMatch(/^forecast drift: mean absolute error [\d.]+% over the last 24 h/);
    expect(after.selection.madeAt).toBeGreaterThan(first.selection.madeAt);
  }, 180_000);
});
