// Leading signals and several resources a pool, through the built CLI: `forecast --signal` on
// demand built to follow Peyton Manning's daily page views (Prophet's example data) three days
// later; `run --once` with a signal whose feed is down, and with a pool whose memory binds.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-signals-'));

function run(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rows = readFileSync(join(root, 'bench/data/prophet-examples/example_wp_log_peyton_manning.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.replaceAll('"', '').split(','))
  .map(([d, v]) => [d!, Number(v)] as const)
  .sort((a, b) => a[0].localeCompare(b[0]));
const views = rows.slice(-403);
writeFileSync(join(dir, 'views.csv'), `ds,views\n${views.map(([d, v]) => `${d},${v}`).join('\n')}\n`);
writeFileSync(
  join(dir, 'demand.csv'),
  `ds,demand\n${views
    .slice(3)
    .map(([d], i) => `${d},${(400 + 80 * (views[i]![1] - 8) + 10 * Math.sin(i * 12.9898)).toFixed(2)}`)
    .join('\n')}\n`,
);

describe('forecast --signal', () => {
  it('uses a leading signal at its lag and says what it added; forecast.json holds the same', () => {
    const r = run([
      'forecast',
      '--input',
      'demand.csv',
      '--signal',
      'views.csv',
      '--max-lag',
      '7d',
      '--horizon',
      '7d',
      '--model',
      'mstl',
      '--out',
      'out',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^signal views: used, 3d ahead of demand, [\d.]+ per unit, backtest MASE \d+ % lower$/m,
    );
    const json = JSON.parse(readFileSync(join(dir, 'out', 'forecast.json'), 'utf8')) as {
      signals: { used: { lag: number }[] };
    };
    expect(json.signals.used.map((u) => u.lag)).toEqual([3]);
  });

  it('refuses a --max-lag that is no duration: exit 2, one line, nothing written', () => {
    const r = run([
      'forecast',
      '--input',
      'demand.csv',
      '--signal',
      'views.csv',
      '--max-lag',
      'soon',
      '--horizon',
      '7d',
      '--out',
      'bad',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'shadowcast: --max-lag "soon": expected a duration like 6h or 3d',
    ]);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('refuses a signal file with a bad row at its line', () => {
    writeFileSync(join(dir, 'broken.csv'), 'ds,views\n2015-01-01,1\n2015-01-02,x\n2015-01-03,2\n');
    const r = run(['forecast', '--input', 'demand.csv', '--signal', 'broken.csv', '--horizon', '7d']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/broken\.csv:3: /);
  });
});

describe('run --once with a signal whose feed is down', () => {
  it('forecasts the pool without it, raises signal-missing, and does not fail the run', async () => {
    // A port that was free a moment ago: nothing listens there, every attempt is refused.
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
    });
    const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-signals-run-'));
    cpSync(join(root, 'forecasts'), join(cwd, 'forecasts'), { recursive: true });
    cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
    const spec = join(cwd, 'forecasts', 'storefront.yaml');
    writeFileSync(
      spec,
      `${readFileSync(spec, 'utf8')}signals:\n  - name: sentiment\n    source: { kind: json, url: 'http://127.0.0.1:${port}/feed', step: 1h, timeout: 2s }\n`,
    );
    const r = run(['run', '--once', '--state', join(cwd, 'state')], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /alert: signal sentiment could not be read \(json feed http:\/\/127\.0\.0\.1:\d+\/feed: unavailable after 3 attempts: .+\): forecast without it/,
    );
    expect(r.stdout).toMatch(
      /storefront: signal sentiment: dropped: json feed http:\/\/127\.0\.0\.1:\d+\/feed: unavailable after 3 attempts/,
    );
    expect(r.stdout).toMatch(/storefront\s+mstl\s+720\s+48\s/);
  });
});

describe('run --once on a pool whose memory binds', () => {
  it('sizes the pool by memory, says so, and draws the memory forecast beside the demand one', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-resources-run-'));
    cpSync(join(root, 'forecasts'), join(cwd, 'forecasts'), { recursive: true });
    cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
    // Memory in GiB: each request needs 0.1 GiB, so at 16 GiB an instance the pool needs
    // 250 × 0.1 / 16 = 1.6 times the instances its 250 requests an instance ask for.
    const csv = readFileSync(join(cwd, 'forecasts', 'data', 'storefront.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0]!.split(',');
    const col = header.indexOf('location_4');
    writeFileSync(
      join(cwd, 'forecasts', 'data', 'memory.csv'),
      `timestamp,memory\n${csv
        .slice(1)
        .map((line) => line.split(','))
        .map((cells) => `${cells[0]},${(Number(cells[col]) * 0.1).toFixed(2)}`)
        .join('\n')}\n`,
    );
    const spec = join(cwd, 'forecasts', 'storefront.yaml');
    writeFileSync(
      spec,
      `${readFileSync(spec, 'utf8')}resource: requests\nresources:\n  - name: memory\n    source: { kind: csv, file: data/memory.csv }\n`,
    );
    const policy = join(cwd, 'policies', 'pools', 'storefront.yaml');
    writeFileSync(
      policy,
      readFileSync(policy, 'utf8').replace(
        '  hourlyCost: 0.17\n',
        '  hourlyCost: 0.17\n  resources:\n    memory: 16\n',
      ),
    );
    const r = run(['run', '--once', '--state', join(cwd, 'state')], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /memory binds: its peak needs memory [\d.]+ \(peak [\d.]+ at [^)]+, 16 per instance\) instances; requests [\d.]+ /,
    );
    expect(r.stdout).toMatch(/sized in requests units \(memory × 15\.6\)/);
    expect(
      readFileSync(join(cwd, 'state', 'forecasts', 'storefront', 'memory', 'forecast.svg'), 'utf8'),
    ).toContain('storefront memory');
  });

  it('refuses a resource the pool policy gives no units for: exit 2, naming the spec', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-resources-bad-'));
    cpSync(join(root, 'forecasts'), join(cwd, 'forecasts'), { recursive: true });
    cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
    const spec = join(cwd, 'forecasts', 'storefront.yaml');
    writeFileSync(
      spec,
      `${readFileSync(spec, 'utf8')}resources:\n  - name: memory\n    source: { kind: csv, file: data/storefront.csv, series: location_41 }\n`,
    );
    const r = run(['run', '--once', '--state', join(cwd, 'state')], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /forecasts\/storefront\.yaml: resources: \\?"memory\\?" has no units an instance in the pool's policy: set capacity\.resources\.memory/,
    );
    expect(r.stderr).toContain('1 of 1 pools did not finish cleanly');
  });
});
