// Alerts reach all three sinks: the /metrics counter, a JSON log line, and the webhook, which
// is retried on a 5xx and never allowed to fail a run.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Alerter } from '../../src/pipeline/alerts.js';
import { RunMetrics } from '../../src/pipeline/telemetry.js';

const received: { status: number; body: Record<string, unknown> }[] = [];
/** Each request's Authorization header and path, in order. */
const seen: { authorization?: string; path?: string }[] = [];
let failFirst = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    seen.push({ authorization: req.headers.authorization, path: req.url });
    const status = failFirst-- > 0 ? 503 : 204;
    received.push({ status, body: JSON.parse(body) as Record<string, unknown> });
    res.writeHead(status).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-token`;
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function setup(webhook?: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().trim().split('\n'))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const metrics = new RunMetrics({ processMetrics: false });
  const alerter = new Alerter(
    pino({ level: 'info' }, sink),
    metrics,
    webhook ? { url: webhook, sleep: async () => {} } : undefined,
  );
  return { lines, metrics, alerter };
}

const alert = {
  at: Date.UTC(2026, 10, 23, 12),
  pool: 'web',
  kind: 'forecast-drift' as const,
  message: 'forecast drift: 41%',
  run: 'run-1',
};

describe('Alerter', () => {
  it('counts the alert on /metrics, logs it as a JSON event, and POSTs it to the webhook', async () => {
    received.length = 0;
    const { lines, metrics, alerter } = setup(url);
    alerter.raise(alert);
    await alerter.flush();
    expect(await metrics.text()).toContain('shadowcast_alerts_total{pool="web",kind="forecast-drift"} 1');
    expect(lines).toContainEqual(
      expect.objectContaining({
        event: 'alert',
        pool: 'web',
        kind: 'forecast-drift',
        level: 40,
        msg: 'alert: forecast drift: 41%',
      }),
    );
    expect(received).toEqual([
      {
        status: 204,
        body: {
          source: 'shadowcast',
          at: '2026-11-23T12:00:00.000Z',
          pool: 'web',
          kind: 'forecast-drift',
          run: 'run-1',
          text: 'shadowcast web: forecast drift: 41%',
          message: 'forecast drift: 41%',
        },
      },
    ]);
    expect(alerter.raised).toEqual([alert]);
  });

  it('retries a 5xx webhook and gives up after three attempts with one error line, never throwing', async () => {
    received.length = 0;
    failFirst = 2;
    const ok = setup(url);
    ok.alerter.raise(alert);
    await ok.alerter.flush();
    expect(received.map((r) => r.status)).toEqual([503, 503, 204]);
    received.length = 0;
    failFirst = 5;
    const failing = setup(url);
    failing.alerter.raise(alert);
    await failing.alerter.flush();
    expect(received.map((r) => r.status)).toEqual([503, 503, 503]);
    const error = failing.lines.find((l) => l.event === 'webhook-failed')!;
    expect(error.msg).toBe('alert webhook failed: HTTP 503');
    // The URL's path carries a token: only its origin is logged.
    expect(error.url).toBe(new URL(url).origin);
    failFirst = 0;
  });

  it("sends a webhook URL's userinfo as a Basic Authorization header, not in the URL", async () => {
    seen.length = 0;
    const { alerter } = setup(url.replace('http://', 'http://alerts:pa%24%24@'));
    alerter.raise(alert);
    await alerter.flush();
    expect(seen).toEqual([
      { authorization: `Basic ${Buffer.from('alerts:pa$$').toString('base64')}`, path: '/hook/secret-token' },
    ]);
  });

  it('logs a failed delivery without the secrets of its URL, even when the error quotes it', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const alerter = new Alerter(pino(sink), new RunMetrics({ processMetrics: false }), {
      url: 'https://u:hunter2@hooks.example/x?token=tok3n',
      attempts: 1,
      // A fetch whose error repeats the URL it was given, as some do.
      fetch: (input) => Promise.reject(new TypeError(`could not reach ${String(input)}`)),
    });
    alerter.raise(alert);
    await alerter.flush();
    const error = lines.find((l) => l.event === 'webhook-failed')!;
    expect(error.msg).toBe('alert webhook failed: could not reach https://hooks.example/x?token=***');
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|tok3n/);
  });
});
