// `forecast --source prometheus` as users run it: the built CLI (dist/, built by `npm test`)
// against a real Prometheus backfilled with four weeks of demand (test/support/prometheus-server.ts).
// The same data as a CSV file must give byte-identical JSON.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DemandFixture,
  demandFixture,
  openMetricsText,
  prometheusAvailable,
  type PrometheusServer,
  startPrometheus,
} from '../support/prometheus-server.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-cli-prometheus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Async, so a stub server in this process can answer the CLI while it runs. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      done({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

// Every refusal is tested in-process in prometheus-flags.test.ts; these check the exit code and the one line.
describe.concurrent('forecast --source prometheus: flags refused before any request', () => {
  const base = ['forecast', '--horizon', '24', '--format', 'json'];
  const prom = [...base, '--source', 'prometheus', '--url', 'http://127.0.0.1:1', '--query', 'up'];
  it.each([
    { name: 'no --url', args: [...base, '--source', 'prometheus', '--query', 'up'], message: 'needs --url' },
    {
      name: '--input with prometheus',
      args: [...prom, '--input', 'x.csv'],
      message: '--input reads a CSV file',
    },
    {
      name: 'a missing token file',
      args: [...prom, '--step', '1h', '--lookback', '2d', '--bearer-token-file', join(dir, 'nope')],
      message: `shadowcast: ${join(dir, 'nope')}: cannot read: no such file`,
    },
  ])('$name: exit 2, one line', async ({ args, message }) => {
    const r = await run(args);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });
});

const available = prometheusAvailable('forecast --source prometheus');

describe.skipIf(!available)('forecast --source prometheus against a real Prometheus', () => {
  let server: PrometheusServer;
  let fx: DemandFixture;
  const iso = (t: number) => new Date(t).toISOString();

  beforeAll(async () => {
    fx = demandFixture(Date.now());
    server = await startPrometheus(openMetricsText([fx.family]));
  });
  afterAll(async () => server?.stop());

  const storefront = 'shadowcast_demand_rps{pool="storefront"}';
  const window = () => ['--start', iso(fx.start), '--end', iso(fx.end), '--step', '1h'];

  it('gives byte-identical JSON to the same hourly data read from CSV', async () => {
    const s = fx.family.series.find((x) => x.labels.pool === 'storefront')!;
    const name = 'shadowcast_demand_rps{pool="storefront",region="eu-west-1"}';
    const rows = s.timestamps.flatMap((t, i) =>
      (t - fx.start) % HOUR === 0 ? [`"${name.replace(/"/g, '""')}",${iso(t)},${s.values[i]}`] : [],
    );
    const csv = write('storefront.csv', `series,timestamp,value\n${rows.join('\n')}\n`);
    const common = ['forecast', '--horizon', '24h', '--format', 'json'];
    const [fromProm, fromCsv] = await Promise.all([
      run([...common, '--source', 'prometheus', '--url', server.url, '--query', storefront, ...window()]),
      run([...common, '--input', csv]),
    ]);
    expect(fromProm.stderr).toBe('');
    expect(fromCsv.stderr).toBe('');
    expect([fromProm.code, fromCsv.code]).toEqual([0, 0]);
    expect(fromProm.stdout).toBe(fromCsv.stdout);
    const json = JSON.parse(fromProm.stdout);
    expect([json.series, json.history_points, json.step_seconds]).toEqual([name, 28 * 24 + 1, 3600]);
    expect(json.timestamps[0]).toBe(iso(fx.end + HOUR));
  });

  it('--lookback ends at now rounded down to the step', async () => {
    const r = await run([
      ...['forecast', '--horizon', '6', '--format', 'json', '--model', 'naive'],
      ...[
        '--source',
        'prometheus',
        '--url',
        server.url,
        '--query',
        storefront,
        '--lookback',
        '7d',
        '--step',
        '1h',
      ],
    ]);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    // The data ends on the hour the fixture was made in; should the clock have passed the next
    // hour since, the window moved on by one step and holds one point fewer.
    expect(json.timestamps[0]).toBe(iso(fx.end + HOUR));
    expect([7 * 24, 7 * 24 + 1]).toContain(json.history_points);
  });

  it.each([
    {
      name: 'a query with two series',
      query: 'shadowcast_demand_rps',
      code: 2,
      message: new RegExp(
        `^shadowcast: prometheus http://127\\.0\\.0\\.1:\\d+/ query "shadowcast_demand_rps" returned 2 series \\(shadowcast_demand_rps\\{pool="checkout",region="eu-west-1"\\}, shadowcast_demand_rps\\{pool="storefront",region="eu-west-1"\\}\\); choose one`,
      ),
    },
    {
      name: 'bad PromQL',
      query: 'sum(shadowcast_demand_rps',
      code: 2,
      message:
        /^shadowcast: Prometheus refused query "sum\(shadowcast_demand_rps": 1:\d+: parse error: unclosed left parenthesis/,
    },
    {
      name: 'gaps longer than --max-gap',
      query: `${storefront} > 250`,
      code: 2,
      message:
        /^shadowcast: prometheus .* query ".* > 250": \S+Z: gap of \d+ missing points in "shadowcast_demand_rps\{pool="storefront",region="eu-west-1"\}" before this sample \(more than --max-gap 6\)/,
    },
  ])('$name: exit $code, one line', async ({ query, code, message }) => {
    const r = await run([
      ...['forecast', '--horizon', '6', '--format', 'json', '--model', 'naive'],
      ...['--source', 'prometheus', '--url', server.url, '--query', query, ...window()],
    ]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('an unreachable server: exit 3 naming the URL and the cause', async () => {
    const closed = await new Promise<string>((done) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => done(`http://127.0.0.1:${port}`));
      });
    });
    const r = await run([
      ...['forecast', '--horizon', '6', '--format', 'json', '--source', 'prometheus', '--url', closed],
      ...['--query', storefront, ...window(), '--timeout', '2s'],
    ]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `shadowcast: Prometheus at ${closed}/api/v1/query_range unreachable after 4 attempts: connect ECONNREFUSED ${closed.slice(7)}\n`,
    );
  });

  it.each([
    {
      name: 'bearer token',
      flags: ['--bearer-token-file', write('bearer', 's3cret\n')],
      want: 'Bearer s3cret',
    },
    {
      name: 'basic auth',
      flags: ['--basic-auth-user', 'ops', '--basic-auth-password-file', write('password', 'pa:ss\n')],
      want: `Basic ${Buffer.from('ops:pa:ss').toString('base64')}`,
    },
  ])('sends the $name from its file (through a recording proxy)', async ({ flags, want }) => {
    const seen: (string | undefined)[] = [];
    const proxy = createServer((req, res) => {
      seen.push(req.headers.authorization);
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        void fetch(`${server.url}${req.url}`, {
          method: req.method,
          headers: { 'Content-Type': req.headers['content-type'] ?? '' },
          body: Buffer.concat(chunks),
        }).then(async (r) => {
          res.writeHead(r.status, { 'Content-Type': 'application/json' });
          res.end(await r.text());
        });
      });
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    try {
      const { port } = proxy.address() as { port: number };
      const r = await run([
        ...['forecast', '--horizon', '6', '--format', 'json', '--model', 'naive', '--source', 'prometheus'],
        ...['--url', `http://127.0.0.1:${port}`, '--query', storefront, ...window(), ...flags],
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(seen).toEqual([want]);
    } finally {
      proxy.closeAllConnections();
      await new Promise((done) => proxy.close(done));
    }
  });
});
