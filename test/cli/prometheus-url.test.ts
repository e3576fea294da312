// A Prometheus URL that can never work (a port outside 1..65535, or one fetch refuses) is bad
// input: the built CLI exits 2 with one line and makes no attempt, and a spec naming one fails
// naming the spec file; a valid port that refuses connections stays a retried dependency (exit 3).

import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { seriesRequestFor } from '../../src/metrics/sources.js';
import { parseSpec } from '../../src/pipeline/spec.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      done({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

const forecast = (url: string, extra: string[] = []) => [
  ...['forecast', '--source', 'prometheus', '--url', url, '--query', 'up'],
  ...['--lookback', '2d', '--step', '1h', '--horizon', '6', '--format', 'json', ...extra],
];

describe.concurrent('forecast --source prometheus --url', () => {
  it.each([
    { url: 'http://127.0.0.1:0', why: 'the port "0" is not a number from 1 to 65535' },
    { url: 'http://127.0.0.1:99999', why: 'the port "99999" is not a number from 1 to 65535' },
    { url: 'http://127.0.0.1:9o90', why: 'the port "9o90" is not a number from 1 to 65535' },
    { url: 'http://127.0.0.1:6000', why: 'fetch never connects to port 6000' },
  ])('$url: exit 2, one line, no attempt', async ({ url, why }) => {
    const r = await run(forecast(url));
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^shadowcast: Prometheus URL "${url}": ${why}.*\\n$`));
    expect(r.stderr).not.toContain('attempts');
  });

  it('a valid port that refuses connections: retried, then exit 3', async () => {
    const closed = await new Promise<string>((done) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => done(`http://127.0.0.1:${port}`));
      });
    });
    const r = await run(forecast(closed, ['--timeout', '2s']));
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `shadowcast: Prometheus at ${closed}/api/v1/query_range unreachable after 4 attempts: connect ECONNREFUSED ${closed.slice(7)}\n`,
    );
  });
});

describe('a forecast spec naming such a URL', () => {
  it('is bad input naming the spec file', async () => {
    const text = [
      'pool: storefront',
      'source:',
      '  kind: prometheus',
      '  url: http://prometheus.monitoring:0',
      "  query: 'sum(rate(http_requests_total[5m]))'",
      'horizon: 24h',
      '',
    ].join('\n');
    const spec = parseSpec('/specs/storefront.yaml', text);
    const err = await seriesRequestFor(spec, Date.now()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      '/specs/storefront.yaml: source.url: Prometheus URL "http://prometheus.monitoring:0": the port "0" is not a number from 1 to 65535',
    );
  });
});
