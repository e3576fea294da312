// A real Prometheus for tests: OpenMetrics text is backfilled into TSDB blocks with
// `promtool tsdb create-blocks-from openmetrics`, then `prometheus` serves them on a free port
// with no scrape jobs. Where Debian's prometheus package is missing the suites print one line
// and skip, unless SHADOWCAST_SERVERS_REQUIRED=1 (CI), where a missing binary fails.
//
// Prometheus 2.42, checked by running it: overlapping blocks are always accepted (the
// --storage.tsdb.allow-overlapping-blocks flag is deprecated since 2.39; it only logs a warning
// and compacts them), and retention is measured from the newest block, so 100y keeps any data.
// promtool cuts blocks of 2h by default, which turns 28 days into 337 blocks and half a minute
// of work; --max-block-duration=720h makes it three blocks in well under a second.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

export interface FixtureSeries {
  /** Labels other than the metric name. */
  labels: Record<string, string>;
  /** Epoch ms, ascending. */
  timestamps: number[];
  values: number[];
}

export interface MetricFamily {
  name: string;
  type: 'gauge' | 'unknown';
  help?: string;
  series: FixtureSeries[];
}

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:39123 */
  url: string;
  /** Kills the server and removes its data; safe to call twice. */
  stop(): Promise<void>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Whether prometheus and promtool are on PATH; registers the skip line or, when required, a failure. */
export function prometheusAvailable(suite: string): boolean {
  const ok = ['prometheus', 'promtool'].every(
    (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0,
  );
  const why = "Debian's prometheus package is not installed (apt-get install prometheus)";
  if (!ok && process.env.SHADOWCAST_SERVERS_REQUIRED !== '1') console.log(`${suite}: skipped: ${why}`);
  if (!ok && process.env.SHADOWCAST_SERVERS_REQUIRED === '1') {
    it('has prometheus and promtool on PATH (SHADOWCAST_SERVERS_REQUIRED=1)', () => {
      expect.fail(`${suite}: SHADOWCAST_SERVERS_REQUIRED=1, but ${why}`);
    });
  }
  return ok;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** OpenMetrics exposition text with a timestamp (seconds) on every sample, ending in `# EOF`. */
export function openMetricsText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# TYPE ${f.name} ${f.type}`);
    if (f.help) lines.push(`# HELP ${f.name} ${f.help}`);
    for (const s of f.series) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}=${quote(v)}`)
        .join(',');
      const head = labels === '' ? f.name : `${f.name}{${labels}}`;
      s.timestamps.forEach((t, i) => lines.push(`${head} ${s.values[i]} ${t / 1000}`));
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Small deterministic noise in [-1, 1): the same data on every run. */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

export interface DemandFixture {
  /** First and last sample (epoch ms), both on the hour. */
  start: number;
  end: number;
  stepMs: number;
  family: MetricFamily;
}

/** The fixture's demand at t without its noise: a daily cycle peaking at 15:00 UTC, weekends at 70 %. */
export function demandShape(t: number, base = 200): number {
  const hour = (t % DAY) / HOUR;
  const weekday = new Date(t).getUTCDay();
  const daily = 1 + 0.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
  const weekly = weekday === 0 || weekday === 6 ? 0.7 : 1;
  return base * daily * weekly;
}

/** The fixture's highest demand over [from, to], hour by hour, without noise. */
export function demandPeak(from: number, to: number, base = 200): number {
  let peak = 0;
  for (let t = from; t <= to; t += HOUR) peak = Math.max(peak, demandShape(t, base));
  return peak;
}

/**
 * `days` of requests per second for two pools at `stepMs` (5 minutes) ending on the hour at or
 * before `now`: a daily cycle (peak mid-afternoon), quieter weekends, and a little noise. Values
 * have three decimals, so they print and read back exactly. Recent data, because that is what a
 * `--lookback` query reads and what Prometheus serves without surprises.
 */
export function demandFixture(now: number, days = 28, stepMs = 5 * 60_000): DemandFixture {
  const end = Math.floor(now / HOUR) * HOUR;
  const start = end - days * DAY;
  const pools = [
    { labels: { pool: 'storefront', region: 'eu-west-1' }, base: 200, seed: 1 },
    { labels: { pool: 'checkout', region: 'eu-west-1' }, base: 40, seed: 2 },
  ];
  const series = pools.map(({ labels, base, seed }) => {
    const rand = noise(seed);
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let t = start; t <= end; t += stepMs) {
      const v = demandShape(t, base) * (1 + 0.03 * rand());
      timestamps.push(t);
      values.push(Math.round(v * 1000) / 1000);
    }
    return { labels, timestamps, values };
  });
  return {
    start,
    end,
    stepMs,
    family: { name: 'shadowcast_demand_rps', type: 'gauge', help: 'Requests per second.', series },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)),
    );
  });
}

/** Resolves when `child` exits, or after `ms` with false. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-5).join('\n');
      throw new Error(`prometheus exited ${child.exitCode} before it was ready:\n${tail}`);
    }
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus at ${url} not ready after ${timeoutMs / 1000}s (log: ${log})`);
}

/**
 * Backfills `openMetrics` (text as openMetricsText writes it, ending in `# EOF`) and serves it
 * from a real Prometheus on 127.0.0.1 and a free port. Always call stop(); a test process that
 * dies without it still takes the server down with it.
 */
export async function startPrometheus(
  openMetrics: string,
  opts: { readyTimeoutMs?: number } = {},
): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'shadowcast-prometheus-'));
  const data = join(dir, 'data');
  const input = join(dir, 'backfill.om');
  const config = join(dir, 'prometheus.yml');
  const log = join(dir, 'prometheus.log');
  let child: ChildProcess | undefined;
  const kill = () => child?.kill('SIGKILL');
  const stop = async () => {
    process.off('exit', kill);
    if (child && !(await exited(child, 0))) {
      child.kill('SIGTERM');
      if (!(await exited(child, 5000))) {
        child.kill('SIGKILL');
        await exited(child, 5000);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(input, openMetrics);
    await writeFile(config, 'global:\n  evaluation_interval: 1h\nscrape_configs: []\n');
    await run('promtool', [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      '--max-block-duration=720h',
      input,
      data,
    ]);
    // The port is free when we ask; should another process take it before Prometheus binds, try again.
    for (let attempt = 1; ; attempt++) {
      const url = `http://127.0.0.1:${await freePort()}`;
      const out = createWriteStream(log);
      await new Promise((resolve) => out.once('open', resolve));
      child = spawn(
        'prometheus',
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${data}`,
          '--storage.tsdb.retention.time=100y',
          `--web.listen-address=${url.slice('http://'.length)}`,
        ],
        { stdio: ['ignore', out, out] },
      );
      process.once('exit', kill);
      try {
        await waitReady(url, child, log, opts.readyTimeoutMs ?? 30_000);
        return { url, stop };
      } catch (err) {
        const bound = /address already in use/.test(await readFile(log, 'utf8').catch(() => ''));
        if (!bound || attempt >= 3) throw err;
        process.off('exit', kill);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
