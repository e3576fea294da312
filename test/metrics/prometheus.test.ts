// PrometheusSource against a real Prometheus (Debian's, backfilled with promtool: see
// test/support/prometheus-server.ts) for what the server decides — values, lookback, chunk
// edges, the 11,000-point limit, PromQL errors — and against a node:http stub for what a real
// server will not do on cue: fail with 503, stall, rate-limit, send warnings.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError, UsageError } from '../../src/core/errors.js';
import type { Series } from '../../src/core/series.js';
import { backoffDelay } from '../../src/metrics/prometheus-http.js';
import { sampleValue, seriesName } from '../../src/metrics/prometheus-response.js';
import { chunkRange, PrometheusSource, type PrometheusOptions } from '../../src/metrics/prometheus.js';
import {
  type DemandFixture,
  demandFixture,
  openMetricsText,
  prometheusAvailable,
  type PrometheusServer,
  startPrometheus,
} from '../support/prometheus-server.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

// ---------------------------------------------------------------------------------------------
// Pure parts

describe('chunkRange', () => {
  it.each([
    { name: 'fits in one', start: 0, end: 9, step: 1, max: 10, want: [[0, 9]] },
    {
      name: 'exactly two',
      start: 0,
      end: 19,
      step: 1,
      max: 10,
      want: [
        [0, 9],
        [10, 19],
      ],
    },
    {
      name: 'ragged tail',
      start: 0,
      end: 20,
      step: 1,
      max: 10,
      want: [
        [0, 9],
        [10, 19],
        [20, 20],
      ],
    },
    {
      name: 'end off the grid',
      start: 100,
      end: 135,
      step: 10,
      max: 2,
      want: [
        [100, 110],
        [120, 130],
      ],
    },
    { name: 'one point', start: 5, end: 5, step: 3, max: 1, want: [[5, 5]] },
  ])('$name', ({ start, end, step, max, want }) => {
    const chunks = chunkRange(start, end, step, max);
    expect(chunks.map((c) => [c.start, c.end])).toEqual(want);
    // Every grid point exactly once.
    const points = chunks.flatMap((c) =>
      Array.from({ length: (c.end - c.start) / step + 1 }, (_, i) => c.start + i * step),
    );
    expect(new Set(points).size).toBe(points.length);
    expect(points.length).toBe(Math.floor((end - start) / step) + 1);
  });
});

describe('seriesName and sampleValue', () => {
  it.each<{ metric: Record<string, string>; want: string }>([
    { metric: { __name__: 'up', job: 'b', instance: 'a' }, want: 'up{instance="a",job="b"}' },
    { metric: { job: 'b', instance: 'a' }, want: '{instance="a",job="b"}' },
    { metric: { __name__: 'up' }, want: 'up' },
    { metric: {}, want: '{}' },
    { metric: { path: 'C:\\x "q"\nz' }, want: '{path="C:\\\\x \\"q\\"\\nz"}' },
  ])('$want', ({ metric, want }) => expect(seriesName(metric)).toBe(want));

  it.each([
    ['1.5', 1.5],
    ['1e+06', 1e6],
    ['-0.001', -0.001],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['NaN', NaN],
  ])('%s', (text, want) => expect(sampleValue(text)).toBe(want));
});

describe('backoffDelay', () => {
  const policy = (random: number) => ({ backoffMs: 100, maxBackoffMs: 1000, random: () => random });
  it.each([
    { attempt: 0, random: 0, want: 50 },
    { attempt: 0, random: 0.999, want: 99.95 },
    { attempt: 1, random: 0, want: 100 },
    { attempt: 3, random: 0.5, want: 600 },
    { attempt: 10, random: 0, want: 500 },
  ])('retry $attempt, jitter $random: $want ms', ({ attempt, random, want }) => {
    expect(backoffDelay(attempt, policy(random))).toBeCloseTo(want, 6);
  });
});

// ---------------------------------------------------------------------------------------------
// A stub HTTP server: what a real Prometheus will not do on cue

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

interface Seen {
  path: string;
  method: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

const ok = (result: unknown[] = [], warnings?: string[]): Reply => ({
  status: 200,
  body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result }, warnings }),
});
const apiError = (status: number, errorType: string, error: string): Reply => ({
  status,
  body: JSON.stringify({ status: 'error', errorType, error }),
});

/** Serves `replies` in order (the last one repeats) and records every request. */
async function stub(replies: Reply[] | ((form: URLSearchParams) => Reply)) {
  const seen: Seen[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({ path: req.url ?? '', method: req.method ?? '', headers: req.headers, form });
      const reply =
        typeof replies === 'function' ? replies(form) : replies[Math.min(seen.length, replies.length) - 1]!;
      if (reply.hang) {
        hanging.push(res);
        return;
      }
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A source whose retries wait for nothing, recording the waits. */
function fastSource(url: string, opts: Partial<PrometheusOptions> = {}) {
  const sleeps: number[] = [];
  const source = new PrometheusSource({
    url,
    retries: 2,
    backoffMs: 100,
    maxBackoffMs: 1000,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...opts,
  });
  return { source, sleeps };
}

const one = {
  metric: { __name__: 'up', job: 'x' },
  values: [
    [60, '1'],
    [120, '2'],
  ],
};

describe('PrometheusSource over HTTP (stub server)', () => {
  const unavailable = apiError(503, 'unavailable', 'the server is shutting down');
  it.each([
    { name: '503 then 200 succeeds', replies: [unavailable, ok([one])], requests: 2, sleeps: [50] },
    {
      name: '502 with an HTML body then 200',
      replies: [{ status: 502, body: '<html>bad gateway</html>' }, ok([one])],
      requests: 2,
      sleeps: [50],
    },
    {
      name: '429 honours Retry-After',
      replies: [{ ...apiError(429, 'x', 'slow down'), headers: { 'Retry-After': '0.7' } }, ok([one])],
      requests: 2,
      sleeps: [700],
    },
    {
      name: 'Retry-After is capped by maxBackoffMs',
      replies: [{ ...apiError(429, 'x', 'slow down'), headers: { 'Retry-After': '3600' } }, ok([one])],
      requests: 2,
      sleeps: [1000],
    },
    {
      name: 'two 500s then 200',
      replies: [apiError(500, 'internal', 'boom'), unavailable, ok([one])],
      requests: 3,
      sleeps: [50, 100],
    },
  ])('$name', async ({ replies, requests, sleeps }) => {
    const s = await stub(replies);
    try {
      const { source, sleeps: waited } = fastSource(s.url);
      const set = await source.range('up', 60_000, 120_000, 60_000);
      expect(set.series.map((x) => [x.name, x.timestamps, [...x.values]])).toEqual([
        ['up{job="x"}', [60_000, 120_000], [1, 2]],
      ]);
      expect(s.seen).toHaveLength(requests);
      expect(waited).toEqual(sleeps);
    } finally {
      await s.close();
    }
  });

  it.each([
    {
      name: '3×503 → DependencyError naming the URL and the cause',
      replies: [unavailable],
      type: DependencyError,
      message:
        /^Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range unreachable after 3 attempts: HTTP 503: the server is shutting down$/,
      requests: 3,
    },
    {
      name: '400 bad_data → UsageError with the query and the server text, no retry',
      replies: [apiError(400, 'bad_data', '1:3: parse error: unexpected character')],
      type: UsageError,
      message:
        /^Prometheus refused query "up\{": 1:3: parse error: unexpected character \(HTTP 400 from http/,
      requests: 1,
    },
    {
      name: '422 execution error → UsageError, no retry',
      replies: [apiError(422, 'execution', 'query processing would load too many samples into memory')],
      type: UsageError,
      message: /could not run query "up\{": query processing would load too many samples/,
      requests: 1,
    },
    {
      name: '401 → UsageError about credentials, no retry',
      replies: [{ status: 401, body: 'Unauthorized' }],
      type: UsageError,
      message: /answered HTTP 401 \(unauthorized\): check the bearer token or basic-auth credentials/,
      requests: 1,
    },
    {
      name: '404 → UsageError about the URL, no retry',
      replies: [{ status: 404, body: '404 page not found' }],
      type: UsageError,
      message: /no Prometheus API at .*\(HTTP 404\): check the URL and its path prefix/,
      requests: 1,
    },
    {
      name: '200 that is not the API → DependencyError, no retry',
      replies: [{ status: 200, body: '<html>login</html>' }],
      type: DependencyError,
      message: /answered HTTP 200 with a body that is not a Prometheus API answer: <html>login<\/html>/,
      requests: 1,
    },
    {
      name: 'a result that is not a matrix → UsageError',
      replies: [
        {
          status: 200,
          body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }),
        },
      ],
      type: UsageError,
      message: /the result is a vector, not a matrix/,
      requests: 1,
    },
  ])('$name', async ({ replies, type, message, requests }) => {
    const s = await stub(replies);
    try {
      const { source } = fastSource(s.url);
      const err = await source.range('up{', 0, 60_000, 60_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
      expect(s.seen).toHaveLength(requests);
    } finally {
      await s.close();
    }
  });

  it('backs off exponentially with jitter, capped', async () => {
    const s = await stub([apiError(503, 'unavailable', 'x')]);
    try {
      const { source, sleeps } = fastSource(s.url, {
        retries: 5,
        backoffMs: 100,
        maxBackoffMs: 500,
        random: () => 0.5,
      });
      await expect(source.range('up', 0, 0, 1000)).rejects.toThrow(/after 6 attempts/);
      expect(sleeps).toEqual([75, 150, 300, 375, 375]);
    } finally {
      await s.close();
    }
  });

  it('times out a request that never answers, retries it, then gives up with DependencyError', async () => {
    const s = await stub([{ status: 200, hang: true }]);
    try {
      const { source } = fastSource(s.url, { timeoutMs: 200, retries: 1 });
      const t0 = Date.now();
      const err = await source.range('up', 0, 0, 1000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyError);
      expect((err as Error).message).toMatch(/unreachable after 2 attempts: no answer within 0\.2s$/);
      expect(s.seen).toHaveLength(2);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await s.close();
    }
  });

  it('connection refused → DependencyError naming the URL and the cause', async () => {
    const s = await stub([ok()]);
    const url = s.url;
    await s.close();
    const { source, sleeps } = fastSource(url);
    const err = await source.range('up', 0, 0, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyError);
    expect((err as Error).message).toBe(
      `Prometheus at ${url}/api/v1/query_range unreachable after 3 attempts: connect ECONNREFUSED ${url.slice(7)}`,
    );
    expect(sleeps).toHaveLength(2);
  });

  it.each([
    { name: 'bearer token', opts: { auth: { bearerToken: 's3cret' } }, url: '', want: 'Bearer s3cret' },
    {
      name: 'basic auth',
      opts: { auth: { username: 'ops', password: 'p:ss wörd' } },
      url: '',
      want: `Basic ${Buffer.from('ops:p:ss wörd').toString('base64')}`,
    },
    {
      name: 'credentials in the URL',
      opts: {},
      url: 'ops:pw@',
      want: `Basic ${Buffer.from('ops:pw').toString('base64')}`,
    },
    { name: 'none', opts: {}, url: '', want: undefined },
  ])('sends $name', async ({ opts, url, want }) => {
    const s = await stub([ok([one])]);
    try {
      const { source } = fastSource(s.url.replace('//', `//${url}`), opts);
      await source.range('up', 0, 0, 1000);
      expect(s.seen[0]!.headers.authorization).toBe(want);
      expect(source.url).not.toContain('pw');
    } finally {
      await s.close();
    }
  });

  it('POSTs query, start, end and step (seconds) under the base path; warnings reach onWarning', async () => {
    const s = await stub([ok([one], ['partial data: store eu-2 down'])]);
    try {
      const warnings: string[] = [];
      const { source } = fastSource(`${s.url}/prom/`, { onWarning: (w, q) => warnings.push(`${q}: ${w}`) });
      // The end is off the step grid: the last evaluation point is the last grid point before it.
      await source.range('sum(rate(x[5m]))', 1_700_000_000_250, 1_700_000_091_000, 1500);
      const req = s.seen[0]!;
      expect([req.method, req.path]).toEqual(['POST', '/prom/api/v1/query_range']);
      expect(Object.fromEntries(req.form)).toEqual({
        query: 'sum(rate(x[5m]))',
        start: '1700000000.25',
        end: '1700000090.25',
        step: '1.5',
      });
      expect(warnings).toEqual(['sum(rate(x[5m])): partial data: store eu-2 down']);
    } finally {
      await s.close();
    }
  });

  it('stitches chunks in order and keeps a repeated edge sample once', async () => {
    // A store that rounds chunk edges outward returns the previous chunk's last sample again.
    const s = await stub((form) => {
      const start = Number(form.get('start')) - 60;
      const end = Number(form.get('end'));
      const values: [number, string][] = [];
      for (let t = Math.max(start, 0); t <= end; t += 60) values.push([t, String(t / 60)]);
      return ok([{ metric: { __name__: 'm' }, values }]);
    });
    try {
      const { source } = fastSource(s.url, { maxPointsPerRequest: 4 });
      const set = await source.range('m', 0, 9 * MIN, MIN);
      expect(s.seen).toHaveLength(3);
      expect(set.series[0]!.timestamps).toEqual(Array.from({ length: 10 }, (_, i) => i * MIN));
      expect([...set.series[0]!.values]).toEqual(Array.from({ length: 10 }, (_, i) => i));
    } finally {
      await s.close();
    }
  });

  it.each([
    { name: 'not a URL', url: 'prometheus:9090x', message: /is not a URL|is not http/ },
    { name: 'not http', url: 'ftp://host', message: /is not http\(s\)/ },
  ])('refuses a base URL that is $name', ({ url, message }) => {
    expect(() => new PrometheusSource({ url })).toThrow(message);
  });

  it.each([
    {
      url: 'http://127.0.0.1:99999',
      message: 'Prometheus URL "http://127.0.0.1:99999": the port "99999" is not a number from 1 to 65535',
    },
    {
      url: 'http://127.0.0.1:http',
      message: 'Prometheus URL "http://127.0.0.1:http": the port "http" is not a number from 1 to 65535',
    },
    {
      url: 'http://[::1]:70000/prom',
      message: 'Prometheus URL "http://[::1]:70000/prom": the port "70000" is not a number from 1 to 65535',
    },
    {
      url: 'http://127.0.0.1:0',
      message: 'Prometheus URL "http://127.0.0.1:0": the port "0" is not a number from 1 to 65535',
    },
    {
      url: 'http://ops:s3cret@prom:65536',
      message: 'Prometheus URL "http://***@prom:65536": the port "65536" is not a number from 1 to 65535',
    },
    {
      url: 'http://127.0.0.1:6000',
      message:
        'Prometheus URL "http://127.0.0.1:6000": fetch never connects to port 6000 (a "bad port" of the Fetch standard); serve Prometheus on another port',
    },
  ])(
    'a URL that can never work is bad input when the source is made, before any request: $url',
    ({ url, message }) => {
      let err: unknown;
      try {
        fastSource(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect(err).toEqual(new UsageError(message));
    },
  );

  it('keeps the ports a URL may name: 1 to 65535, the scheme default, fetch-safe', () => {
    for (const url of ['http://h:65535', 'http://h:2', 'https://h', 'http://h:/x', 'http://[::1]:9090']) {
      expect(() => new PrometheusSource({ url })).not.toThrow();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A real Prometheus, backfilled with four weeks of demand at five-minute resolution

const available = prometheusAvailable('prometheus source');

describe.skipIf(!available)('PrometheusSource against a real Prometheus', () => {
  let server: PrometheusServer;
  let fx: DemandFixture;

  beforeAll(async () => {
    fx = demandFixture(Date.now());
    server = await startPrometheus(openMetricsText([fx.family]));
  });
  afterAll(async () => server?.stop());

  /** The fixture's value in force at `t`: the latest sample at or before it (Prometheus' lookback). */
  function expected(pool: string, times: number[]): number[] {
    const s = fx.family.series.find((x) => x.labels.pool === pool)!;
    return times.map((t) => s.values[Math.floor((t - fx.start) / fx.stepMs)]!);
  }
  const grid = (start: number, end: number, step: number) =>
    Array.from({ length: Math.floor((end - start) / step) + 1 }, (_, i) => start + i * step);
  const plain = (s: Series) => ({
    name: s.name,
    labels: s.labels,
    timestamps: s.timestamps,
    values: [...s.values],
    stepMs: s.stepMs,
  });

  it('returns the backfilled samples exactly, with names and label sets', async () => {
    const source = new PrometheusSource({ url: server.url });
    const set = await source.range('shadowcast_demand_rps', fx.start, fx.end, fx.stepMs);
    expect(set.series.map((s) => [s.name, s.labels])).toEqual([
      [
        'shadowcast_demand_rps{pool="checkout",region="eu-west-1"}',
        { __name__: 'shadowcast_demand_rps', pool: 'checkout', region: 'eu-west-1' },
      ],
      [
        'shadowcast_demand_rps{pool="storefront",region="eu-west-1"}',
        { __name__: 'shadowcast_demand_rps', pool: 'storefront', region: 'eu-west-1' },
      ],
    ]);
    for (const s of set.series) {
      const want = fx.family.series.find((x) => x.labels.pool === s.labels!.pool)!;
      expect(s.timestamps).toEqual(want.timestamps);
      expect([...s.values]).toEqual(want.values);
      expect(s.stepMs).toBe(fx.stepMs);
    }
    expect(set.series[0]!.values).toHaveLength(28 * 288 + 1);
  });

  it('samples hourly on the hour and names aggregated series by their labels', async () => {
    const source = new PrometheusSource({ url: server.url });
    const set = await source.range('sum by (pool) (shadowcast_demand_rps)', fx.start, fx.end, HOUR);
    expect(set.series.map((s) => [s.name, s.labels])).toEqual([
      ['{pool="checkout"}', { pool: 'checkout' }],
      ['{pool="storefront"}', { pool: 'storefront' }],
    ]);
    const times = grid(fx.start, fx.end, HOUR);
    expect(set.series[1]!.timestamps).toEqual(times);
    expect([...set.series[1]!.values]).toEqual(expected('storefront', times));
  });

  it.each([
    { maxPointsPerRequest: 1000, days: 28 },
    { maxPointsPerRequest: 997, days: 28 },
    { maxPointsPerRequest: 2, days: 1 },
  ])(
    'chunks of $maxPointsPerRequest points give the series one request gives',
    async ({ maxPointsPerRequest, days }) => {
      const end = fx.start + days * 24 * HOUR;
      const query = 'shadowcast_demand_rps';
      const whole = await new PrometheusSource({ url: server.url }).range(query, fx.start, end, fx.stepMs);
      const chunked = new PrometheusSource({ url: server.url, maxPointsPerRequest });
      expect((await chunked.range(query, fx.start, end, fx.stepMs)).series.map(plain)).toEqual(
        whole.series.map(plain),
      );
      expect(whole.series[0]!.timestamps).toHaveLength(days * 288 + 1);
    },
  );

  it('reads a range of more than 11,000 points per series in chunks (one request is refused)', async () => {
    const query = 'shadowcast_demand_rps{pool="storefront"}';
    const refused = new PrometheusSource({ url: server.url, maxPointsPerRequest: 50_000 });
    await expect(refused.range(query, fx.start, fx.end, MIN)).rejects.toThrow(
      /refused query .*exceeded maximum resolution of 11,000 points per timeseries/,
    );
    const set = await new PrometheusSource({ url: server.url }).range(query, fx.start, fx.end, MIN);
    const times = grid(fx.start, fx.end, MIN);
    expect(times.length).toBeGreaterThan(3 * 11_000);
    expect(set.series).toHaveLength(1);
    expect(set.series[0]!.timestamps).toEqual(times);
    expect([...set.series[0]!.values]).toEqual(expected('storefront', times));
  });

  it('leaves steps without a sample out rather than inventing them', async () => {
    // Values above 250 exist only around weekday afternoons: the rest of the grid is absent.
    const set = await new PrometheusSource({ url: server.url }).range(
      'shadowcast_demand_rps{pool="storefront"} > 250',
      fx.start,
      fx.end,
      HOUR,
    );
    const s = set.series[0]!;
    const all = grid(fx.start, fx.end, HOUR);
    const want = all.filter((t, i) => expected('storefront', all)[i]! > 250);
    expect(s.timestamps).toEqual(want);
    expect(want.length).toBeLessThan(all.length / 2);
  });

  it('passes +Inf and NaN through as ±Infinity and NaN', async () => {
    const source = new PrometheusSource({ url: server.url });
    const at = fx.end - HOUR;
    const inf = await source.range('shadowcast_demand_rps{pool="checkout"} / 0', at, fx.end, HOUR);
    const neg = await source.range('-shadowcast_demand_rps{pool="checkout"} / 0', at, fx.end, HOUR);
    const nan = await source.range('(shadowcast_demand_rps - shadowcast_demand_rps) / 0', at, fx.end, HOUR);
    expect([...inf.series[0]!.values]).toEqual([Infinity, Infinity]);
    expect([...neg.series[0]!.values]).toEqual([-Infinity, -Infinity]);
    expect(nan.series.map((s) => [...s.values])).toEqual([
      [NaN, NaN],
      [NaN, NaN],
    ]);
  });

  it('bad PromQL is a UsageError with the query and Prometheus’ message', async () => {
    const source = new PrometheusSource({ url: server.url });
    const err = await source
      .range('rate(shadowcast_demand_rps{[5m])', fx.start, fx.end, HOUR)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /^Prometheus refused query "rate\(shadowcast_demand_rps\{\[5m\]\)": 1:\d+: parse error: unexpected character inside braces: '\['/,
    );
  });

  it.each([
    {
      name: 'series',
      opts: { maxSeries: 1 },
      message: /returned more than 1 series \(the maxSeries limit\)/,
    },
    {
      name: 'samples',
      opts: { maxSamples: 1000 },
      message: /returned more than 1000 samples \(the maxSamples limit\)/,
    },
    {
      name: 'samples across chunks',
      opts: { maxSamples: 1000, maxPointsPerRequest: 400 },
      message: /returned more than 1000 samples \(the maxSamples limit\)/,
    },
  ])('refuses a result over the $name limit, naming the query', async ({ opts, message }) => {
    const source = new PrometheusSource({ url: server.url, ...opts });
    const err = await source.range('shadowcast_demand_rps', fx.start, fx.end, HOUR).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^Prometheus query "shadowcast_demand_rps" /);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts credentials (this server ignores them; the stub tests check the header)', async () => {
    const source = new PrometheusSource({ url: server.url, auth: { bearerToken: 't' } });
    const set = await source.range('shadowcast_demand_rps{pool="checkout"}', fx.end - HOUR, fx.end, HOUR);
    expect([...set.series[0]!.values]).toEqual(expected('checkout', [fx.end - HOUR, fx.end]));
  });
});
