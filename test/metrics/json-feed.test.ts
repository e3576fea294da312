// JsonFeedSource against a real node:http server on port 0: what it asks (start, end, step, the
// token), what it reads (ISO and epoch-second times, nulls, one series of several, the shorthand),
// how it fails (404 at once, 503 retried, a hanging feed timed out, a malformed body refused with
// the place in it, a body past the byte limit refused without reading it all), and that no
// message repeats the bearer token or the URL's credentials.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyError, UsageError } from '../../src/core/errors.js';
import { type JsonFeedOptions, JsonFeedSource, MAX_FEED_BYTES } from '../../src/metrics/json-feed.js';

const HOUR = 3_600_000;
/** 2026-01-05T00:00:00Z. */
const T0 = Date.UTC(2026, 0, 5);
const S0 = T0 / 1000;

// ---------------------------------------------------------------------------------------------
// The feed: a node:http server serving replies in order (the last one repeats)

interface Reply {
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Never answer at all. */
  hang?: boolean;
  /** Send the status and headers, then nothing more. */
  stall?: boolean;
  /** Write the body in pieces (no Content-Length), as a stream. */
  chunked?: boolean;
  /** An answer that never ends: JSON's opening then spaces, as long as the client reads. */
  endless?: boolean;
}

interface Seen {
  /** The path and query as sent. */
  raw: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

interface Feed {
  /** The feed URL (http://127.0.0.1:port/feed). */
  url: string;
  origin: string;
  seen: Seen[];
  close: () => Promise<void>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(replies: Reply[]): Promise<Feed> {
  const seen: Seen[] = [];
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const raw = req.url ?? '';
    seen.push({ raw, query: new URL(raw, 'http://x').searchParams, headers: req.headers });
    const reply = replies[Math.min(seen.length, replies.length) - 1]!;
    open.push(res);
    if (reply.hang) return;
    const headers = { 'Content-Type': 'application/json', ...reply.headers };
    if (reply.endless) {
      res.writeHead(200, headers);
      res.write('{"series": [');
      const spaces = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(spaces));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      return;
    }
    res.writeHead(reply.status ?? 200, headers);
    if (reply.stall) {
      res.flushHeaders();
      return;
    }
    const body = reply.body ?? '';
    if (reply.chunked) {
      const half = Math.floor(body.length / 2);
      res.write(body.slice(0, half));
      res.end(body.slice(half));
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  closers.push(close);
  return { url: `http://${origin}/feed`, origin, seen, close };
}

/** A source whose retries wait for nothing, recording the waits (100 ms doubling, no jitter). */
function source(url: string, opts: Partial<JsonFeedOptions> = {}) {
  const sleeps: number[] = [];
  const src = new JsonFeedSource({
    url,
    backoffMs: 100,
    maxBackoffMs: 1000,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...opts,
  });
  return { src, sleeps };
}

const json = (body: unknown): Reply => ({ body: JSON.stringify(body) });

/** Hourly points from T0: [iso, value] pairs. */
function hourly(values: (number | null)[], name = 'mentions') {
  return { name, points: values.map((v, i) => [new Date(T0 + i * HOUR).toISOString(), v]) };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the call to fail');
  return err;
}

const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Reading

describe('JsonFeedSource reads a feed', () => {
  it('reads ISO and epoch-second times, null as NaN, and the most common step', async () => {
    const feed = await serve([
      json({
        series: [
          {
            name: 'mentions',
            points: [
              ['2026-01-05T00:00:00Z', 12.5],
              [S0 + 3600, 13],
              ['2026-01-05T03:00:00+01:00', null],
              ['2026-01-05T03:00:00.250Z', -4],
              [S0 + 5 * 3600.5, 0],
            ],
          },
        ],
      }),
    ]);
    const { src } = source(feed.url);
    const set = await src.range('', T0, T0 + DAY, 3_600_000);
    expect(set.repairs).toEqual([]);
    expect(set.series).toHaveLength(1);
    const s = set.series[0]!;
    expect(s.name).toBe('mentions');
    expect(s.timestamps).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR + 250, T0 + 5 * HOUR + 2500]);
    expect(s.values).toBeInstanceOf(Float64Array);
    expect([...s.values]).toEqual([12.5, 13, Number.NaN, -4, 0]);
    expect(Number.isNaN(s.values[2])).toBe(true);
    expect(s.stepMs).toBe(HOUR);
    expect(s.labels).toBeUndefined();
  });

  it('gives the most common difference as the step, the smallest on a tie', async () => {
    const points = (hours: number[]) => hours.map((h) => [S0 + h * 3600, h]);
    const feed = await serve([
      json({ name: 'm', points: points([0, 1, 2, 4, 6, 8, 10]) }),
      json({ name: 'm', points: points([0, 2, 3]) }),
    ]);
    const { src } = source(feed.url);
    // Differences 1, 1, 2, 2, 2, 2 h: 2 h is the most common.
    expect((await src.range('', T0, T0 + DAY)).series[0]!.stepMs).toBe(2 * HOUR);
    // 2 h and 1 h once each: the smaller.
    expect((await src.range('', T0, T0 + DAY)).series[0]!.stepMs).toBe(HOUR);
  });

  it('sends start, end (ISO 8601 UTC) and step (whole seconds) after the URL’s own query', async () => {
    const feed = await serve([json(hourly([1, 2]))]);
    const { src } = source(`${feed.url}/v1?region=eu&q=a%20b&flag`);
    await src.range('', T0, T0 + 7 * DAY, 15 * 60_000);
    expect(feed.seen).toHaveLength(1);
    const req = feed.seen[0]!;
    expect(req.raw).toBe(
      '/feed/v1?region=eu&q=a%20b&flag&start=2026-01-05T00%3A00%3A00.000Z&end=2026-01-12T00%3A00%3A00.000Z&step=900',
    );
    expect(Object.fromEntries(req.query)).toEqual({
      region: 'eu',
      q: 'a b',
      flag: '',
      start: '2026-01-05T00:00:00.000Z',
      end: '2026-01-12T00:00:00.000Z',
      step: '900',
    });
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('asks for no step when given none', async () => {
    const feed = await serve([json(hourly([1, 2]))]);
    const { src } = source(feed.url);
    await src.range('', T0 + 1, T0 + DAY);
    expect(feed.seen[0]!.raw).toBe(
      '/feed?start=2026-01-05T00%3A00%3A00.001Z&end=2026-01-06T00%3A00%3A00.000Z',
    );
  });

  it('picks a series by name among several', async () => {
    const feed = await serve([
      json({ series: [hourly([1, 2, 3], 'mentions'), hourly([7, null, 9], 'sales'), hourly([0, 0], 'x')] }),
    ]);
    const { src } = source(feed.url);
    const set = await src.range('sales', T0, T0 + DAY);
    expect(set.series.map((s) => [s.name, s.timestamps, [...s.values]])).toEqual([
      ['sales', [T0, T0 + HOUR, T0 + 2 * HOUR], [7, Number.NaN, 9]],
    ]);
  });

  it('reads the single-series shorthand', async () => {
    const feed = await serve([
      json({
        name: 'tickets',
        points: [
          [S0, 5],
          ['2026-01-05T01:00:00Z', 6],
        ],
      }),
    ]);
    const { src } = source(feed.url);
    const set = await src.range('tickets', T0, T0 + DAY);
    expect(set.series.map((s) => [s.name, s.timestamps, [...s.values]])).toEqual([
      ['tickets', [T0, T0 + HOUR], [5, 6]],
    ]);
  });

  it('the empty query reads the only series, and refuses to guess among several', async () => {
    const feed = await serve([
      json({ series: [hourly([1, 2], 'only')] }),
      json({ series: [hourly([1], 'a'), hourly([2], 'b')] }),
    ]);
    const { src } = source(feed.url);
    expect((await src.range('', T0, T0 + DAY)).series.map((s) => s.name)).toEqual(['only']);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed ${feed.url}: the feed holds 2 series ("a", "b"); name the one to read`,
    );
  });

  it('a name the feed does not hold → UsageError naming what it holds', async () => {
    const feed = await serve([json({ series: [hourly([1], 'mentions'), hourly([2], 'sales')] })]);
    const { src } = source(feed.url);
    const err = await failure(src.range('mention', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed ${feed.url}: the feed has no series "mention"; it has "mentions", "sales"`,
    );
  });

  it('keeps only points within [start, end]; no series or no point in range is no series', async () => {
    const feed = await serve([json(hourly([0, 1, 2, 3, 4])), json({ series: [] }), json(hourly([0, 1]))]);
    const { src } = source(feed.url);
    const set = await src.range('', T0 + HOUR, T0 + 3 * HOUR);
    expect(set.series[0]!.timestamps).toEqual([T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]);
    expect([...set.series[0]!.values]).toEqual([1, 2, 3]);
    expect(await src.range('anything', T0, T0 + DAY)).toEqual({ series: [], repairs: [] });
    expect(await src.range('', T0 + 5 * HOUR, T0 + DAY)).toEqual({ series: [], repairs: [] });
  });

  it('calls the injected fetch', async () => {
    const feed = await serve([json(hourly([1, 2]))]);
    const asked: string[] = [];
    const { src } = source(feed.url, {
      fetch: (input, init) => {
        asked.push(String(input));
        return fetch(input, init);
      },
    });
    await src.range('', T0, T0 + DAY);
    expect(asked).toEqual([
      `${feed.url}?start=2026-01-05T00%3A00%3A00.000Z&end=2026-01-06T00%3A00%3A00.000Z`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Credentials

describe('JsonFeedSource credentials', () => {
  it('sends the bearer token and never prints it, even when the feed echoes it', async () => {
    const token = 'tok-3f9a.B_c~d+e/f=';
    const feed = await serve([
      { status: 503, body: `upstream rejected Bearer ${token}` },
      { status: 401, body: `bad token ${token}` },
    ]);
    const { src } = source(feed.url, { bearerToken: token, retries: 0 });
    const down = await failure(src.range('', T0, T0 + DAY));
    expect(down).toBeInstanceOf(DependencyError);
    expect(down.message).toBe(
      `json feed ${feed.url}: unavailable after 1 attempt: HTTP 503 (upstream rejected Bearer ***)`,
    );
    const refused = await failure(src.range('', T0, T0 + DAY));
    expect(refused).toBeInstanceOf(UsageError);
    expect(refused.message).toBe(
      `json feed ${feed.url}: the feed refused the request with HTTP 401 (bad token ***): check the bearer token or the credentials`,
    );
    expect(feed.seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    for (const err of [down, refused]) expect(`${err.message}\n${err.stack}`).not.toContain(token);
  });

  it('sends user:password@ as basic auth, and prints neither it nor secret query values', async () => {
    const feed = await serve([{ status: 404, body: 'no feed for ops:pa55w0rd with key k3y-value' }]);
    const { src } = source(`http://ops:pa55w0rd@${feed.origin}/feed?api_key=k3y-value&region=eu`);
    expect(src.url).toBe(`http://${feed.origin}/feed?api_key=***&region=eu`);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed http://${feed.origin}/feed?api_key=***&region=eu: the feed refused the request with HTTP 404 (no feed for ops:*** with key ***): check the URL`,
    );
    expect(feed.seen[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('ops:pa55w0rd').toString('base64')}`,
    );
    expect(feed.seen[0]!.query.get('api_key')).toBe('k3y-value');
  });

  it('an explicit bearer token wins over credentials in the URL', async () => {
    const feed = await serve([json(hourly([1, 2]))]);
    const { src } = source(`http://ops:pw@${feed.origin}/feed`, { bearerToken: 'abc' });
    await src.range('', T0, T0 + DAY);
    expect(feed.seen[0]!.headers.authorization).toBe('Bearer abc');
  });
});

// ---------------------------------------------------------------------------------------------
// Refusals and retries

describe('JsonFeedSource over a failing feed', () => {
  it('404 → UsageError at once, without retries', async () => {
    const feed = await serve([{ status: 404, body: 'Not Found' }, json(hourly([1, 2]))]);
    const { src, sleeps } = source(feed.url);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed ${feed.url}: the feed refused the request with HTTP 404 (Not Found): check the URL`,
    );
    expect(feed.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    { status: 400, body: 'end before start', want: 'HTTP 400 (end before start)' },
    { status: 403, body: '', want: 'HTTP 403: check the bearer token or the credentials' },
    { status: 422, body: 'step  too\nsmall', want: 'HTTP 422 (step too small)' },
  ])('$status → UsageError, one request', async ({ status, body, want }) => {
    const feed = await serve([{ status, body }, json(hourly([1, 2]))]);
    const { src } = source(feed.url);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`json feed ${feed.url}: the feed refused the request with ${want}`);
    expect(feed.seen).toHaveLength(1);
  });

  it('503 twice then 200 → the series, after two growing backoffs', async () => {
    const feed = await serve([{ status: 503, body: 'down' }, { status: 503 }, json(hourly([1, 2]))]);
    const { src, sleeps } = source(feed.url);
    const set = await src.range('', T0, T0 + DAY);
    expect([...set.series[0]!.values]).toEqual([1, 2]);
    expect(feed.seen).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it.each([
    { name: '408', reply: { status: 408 }, sleeps: [50] },
    {
      name: '429 with Retry-After',
      reply: { status: 429, headers: { 'Retry-After': '0.7' } },
      sleeps: [700],
    },
    {
      name: 'Retry-After capped',
      reply: { status: 429, headers: { 'Retry-After': '3600' } },
      sleeps: [1000],
    },
    { name: '500', reply: { status: 500 }, sleeps: [50] },
  ])('$name is retried', async ({ reply, sleeps }) => {
    const feed = await serve([reply, json(hourly([1, 2]))]);
    const { src, sleeps: waited } = source(feed.url);
    await src.range('', T0, T0 + DAY);
    expect(feed.seen).toHaveLength(2);
    expect(waited).toEqual(sleeps);
  });

  it('a feed down at every attempt → DependencyError after 3 attempts (2 retries by default)', async () => {
    const feed = await serve([{ status: 502, body: '<html>\n  <b>Bad gateway</b>\n</html>' }]);
    const { src, sleeps } = source(feed.url);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(DependencyError);
    expect(err.message).toBe(
      `json feed ${feed.url}: unavailable after 3 attempts: HTTP 502 (<html> <b>Bad gateway</b> </html>)`,
    );
    expect(feed.seen).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('a feed that never answers → DependencyError after the timeout of each attempt', async () => {
    const feed = await serve([{ hang: true }]);
    const { src } = source(feed.url, { timeoutMs: 200, retries: 1 });
    const t0 = Date.now();
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(DependencyError);
    expect(err.message).toBe(`json feed ${feed.url}: unavailable after 2 attempts: no answer within 0.2s`);
    expect(feed.seen).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a feed that stalls after its headers → DependencyError after the timeout', async () => {
    const feed = await serve([{ stall: true }]);
    const { src } = source(feed.url, { timeoutMs: 200, retries: 0 });
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(DependencyError);
    expect(err.message).toBe(`json feed ${feed.url}: unavailable after 1 attempt: no answer within 0.2s`);
  });

  it('a closed port → DependencyError naming the feed and the cause', async () => {
    const feed = await serve([]);
    await feed.close();
    const { src, sleeps } = source(feed.url);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(DependencyError);
    expect(err.message).toBe(
      `json feed ${feed.url}: unavailable after 3 attempts: connect ECONNREFUSED ${feed.origin}`,
    );
    expect(sleeps).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed bodies: one line naming the place, no retry

const at = (i: number) => new Date(T0 + i * HOUR).toISOString();
const points18 = Array.from({ length: 18 }, (_, i): [string, number] => [at(i), i]);

describe('JsonFeedSource refuses a malformed body', () => {
  it.each<{ name: string; body: string | Buffer; want: string }>([
    { name: 'not JSON', body: '<html>login</html>', want: 'the body is not JSON: ' },
    { name: 'empty', body: ' \n', want: 'the body is empty, not JSON' },
    { name: 'not UTF-8', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), want: 'the body is not UTF-8 text' },
    {
      name: 'an array',
      body: '[]',
      want: 'the body is an array of 0 items, not an object with "series" (or one series\' "name" and "points")',
    },
    {
      name: 'neither key',
      body: '{"data": []}',
      want: 'the body has neither "series" nor "points"; expected an object with "series" (or one series\' "name" and "points")',
    },
    {
      name: 'both keys',
      body: '{"series": [], "points": []}',
      want: 'the body has both "series" and "points"; send one or the other',
    },
    {
      name: 'series not a list',
      body: '{"series": "x"}',
      want: 'series: expected an array of series, got "x"',
    },
    {
      name: 'a series not an object',
      body: JSON.stringify({ series: [hourly([1]), 3] }),
      want: 'series[1]: expected an object with "name" and "points", got 3',
    },
    {
      name: 'no name',
      body: '{"series": [{"points": []}]}',
      want: 'series[0].name: expected a non-empty string, got nothing',
    },
    {
      name: 'a name not text',
      body: '{"series": [{"name": 7, "points": []}]}',
      want: 'series[0].name: expected a non-empty string, got 7',
    },
    {
      name: 'a repeated name',
      body: JSON.stringify({ series: [hourly([1], 'a'), hourly([1], 'b'), hourly([1], 'a')] }),
      want: 'series[2].name: "a" is also the name of series[0]',
    },
    {
      name: 'points not a list',
      body: '{"series": [{"name": "m", "points": null}]}',
      want: 'series[0].points: expected an array of [time, value] points, got null',
    },
    {
      name: 'a point not a pair',
      body: JSON.stringify({
        series: [
          {
            name: 'm',
            points: [
              [S0, 1],
              [S0 + 60, 2, 3],
            ],
          },
        ],
      }),
      want: 'series[0].points[1]: expected [time, value], got an array of 3 items',
    },
    {
      name: 'a point an object',
      body: JSON.stringify({ series: [{ name: 'm', points: [{ t: S0, v: 1 }] }] }),
      want: 'series[0].points[0]: expected [time, value], got an object',
    },
    {
      name: 'a time in words',
      body: JSON.stringify({ series: [{ name: 'm', points: [...points18.slice(0, 17), ['yesterday', 1]] }] }),
      want: 'series[0].points[17][0]: "yesterday" is not an ISO 8601 time or epoch seconds',
    },
    {
      name: 'an ISO time without a zone',
      body: JSON.stringify({ series: [{ name: 'm', points: [['2026-01-05T00:00:00', 1]] }] }),
      want: 'series[0].points[0][0]: "2026-01-05T00:00:00" has no time zone; end it with Z or an offset such as +01:00',
    },
    {
      name: 'a date alone',
      body: JSON.stringify({ series: [{ name: 'm', points: [['2026-01-05', 1]] }] }),
      want: 'series[0].points[0][0]: "2026-01-05" has no time zone; end it with Z or an offset such as +01:00',
    },
    {
      name: 'a day that does not exist',
      body: JSON.stringify({ series: [{ name: 'm', points: [['2026-02-30T00:00:00Z', 1]] }] }),
      want: 'series[0].points[0][0]: "2026-02-30T00:00:00Z" is not an ISO 8601 time or epoch seconds',
    },
    {
      name: 'epoch milliseconds',
      body: JSON.stringify({ series: [{ name: 'm', points: [[T0, 1]] }] }),
      want: 'series[0].points[0][0]: 1767571200000 is not epoch seconds in years 1000 to 9999 (milliseconds? send seconds)',
    },
    {
      name: 'epoch seconds as text',
      body: JSON.stringify({ series: [{ name: 'm', points: [[String(S0), 1]] }] }),
      want: 'series[0].points[0][0]: "1767571200" is not an ISO 8601 time or epoch seconds (epoch seconds are a number, not text)',
    },
    {
      name: 'a time that is a boolean',
      body: JSON.stringify({ series: [{ name: 'm', points: [[true, 1]] }] }),
      want: 'series[0].points[0][0]: true is not an ISO 8601 time or epoch seconds',
    },
    {
      name: 'a value in quotes',
      body: JSON.stringify({
        series: [
          {
            name: 'm',
            points: [
              [S0, 1],
              [S0 + 60, '12'],
            ],
          },
        ],
      }),
      want: 'series[0].points[1][1]: "12" is not a number or null',
    },
    {
      name: 'a value too large',
      body: JSON.stringify({ series: [{ name: 'm', points: [[S0, 1e16]] }] }),
      want: 'series[0].points[0][1]: 10000000000000000 is beyond ±1e15, the limit of a metric value',
    },
    {
      name: 'a value past a double',
      body: '{"series": [{"name": "m", "points": [[1767571200, -1e999]]}]}',
      want: 'series[0].points[0][1]: -Infinity is not a finite number',
    },
    {
      name: 'decreasing times',
      body: JSON.stringify({
        series: [
          {
            name: 'm',
            points: [
              [at(0), 1],
              [at(2), 2],
              [at(1), 3],
            ],
          },
        ],
      }),
      want: "series[0].points[2][0]: 2026-01-05T01:00:00.000Z is not after the previous point's 2026-01-05T02:00:00.000Z; points must be in increasing time order",
    },
    {
      name: 'a repeated time, ISO then epoch seconds',
      body: JSON.stringify({
        series: [
          {
            name: 'm',
            points: [
              [at(0), 1],
              [S0, 2],
            ],
          },
        ],
      }),
      want: "series[0].points[1][0]: 2026-01-05T00:00:00.000Z is not after the previous point's 2026-01-05T00:00:00.000Z; points must be in increasing time order",
    },
    {
      name: 'the shorthand, its own paths',
      body: JSON.stringify({
        name: 'm',
        points: [
          [S0, 1],
          [S0 + 60, false],
        ],
      }),
      want: 'points[1][1]: false is not a number or null',
    },
    {
      name: 'a bad series after the one asked for',
      body: JSON.stringify({ series: [hourly([1, 2]), { name: 'n', points: [[S0, 'x']] }] }),
      want: 'series[1].points[0][1]: "x" is not a number or null',
    },
  ])('$name', async ({ body, want }) => {
    const feed = await serve([{ body }]);
    const { src, sleeps } = source(feed.url);
    const err = await failure(src.range('mentions', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    if (want.endsWith(': ')) expect(err.message.startsWith(`json feed ${feed.url}: ${want}`)).toBe(true);
    else expect(err.message).toBe(`json feed ${feed.url}: ${want}`);
    expect(err.message).not.toContain('\n');
    expect(feed.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Bounds

describe('JsonFeedSource bounds', () => {
  it('refuses a series with more points than maxPoints, and reads one with exactly as many', async () => {
    const feed = await serve([
      json({ series: [hourly([1, 2, 3, 4])] }),
      json({ series: [hourly([1, 2, 3])] }),
    ]);
    const { src } = source(feed.url, { maxPoints: 3 });
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed ${feed.url}: series[0].points: 4 points, more than the limit of 3 for a series`,
    );
    expect((await src.range('', T0, T0 + DAY)).series[0]!.timestamps).toHaveLength(3);
  });

  it('refuses more than 100 series, and reads 100', async () => {
    const many = (n: number) => ({ series: Array.from({ length: n }, (_, i) => hourly([i, i], `s${i}`)) });
    const feed = await serve([json(many(101)), json(many(100))]);
    const { src } = source(feed.url);
    const err = await failure(src.range('s0', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`json feed ${feed.url}: series: 101 series, more than the limit of 100`);
    expect((await src.range('s99', T0, T0 + DAY)).series[0]!.name).toBe('s99');
  });

  it('reads a streamed body of exactly maxBytes, and refuses one byte more', async () => {
    const body = JSON.stringify(hourly([1, 2]));
    const feed = await serve([
      { body, chunked: true },
      { body: `${body} `, chunked: true },
    ]);
    const { src } = source(feed.url, { maxBytes: Buffer.byteLength(body) });
    expect((await src.range('', T0, T0 + DAY)).series).toHaveLength(1);
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed ${feed.url}: the answer is larger than ${Buffer.byteLength(body)} bytes, the limit of a feed; narrow the range or coarsen the step`,
    );
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    // The body never comes: reading it would time out (a DependencyError), not refuse it.
    const feed = await serve([{ stall: true, headers: { 'Content-Length': '5000' } }]);
    const { src } = source(feed.url, { maxBytes: 4096, timeoutMs: 10_000 });
    const t0 = Date.now();
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/: the answer is larger than 4,096 bytes, the limit of a feed;/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(feed.seen).toHaveLength(1);
  });

  it('refuses an endless body past 32 MiB by default, without buffering it all', async () => {
    expect(MAX_FEED_BYTES).toBe(32 * 1024 * 1024);
    // The answer never ends: a reader without a limit would wait for its end until the timeout.
    const feed = await serve([{ endless: true }]);
    const { src } = source(feed.url, { timeoutMs: 30_000 });
    const err = await failure(src.range('', T0, T0 + DAY));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      `json feed ${feed.url}: the answer is larger than 33,554,432 bytes (32 MiB), the limit of a feed; narrow the range or coarsen the step`,
    );
    expect(feed.seen).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Refused before any request

describe('JsonFeedSource refuses bad input before any request', () => {
  it.each<{ name: string; opts?: Partial<JsonFeedOptions>; url?: string; want: RegExp }>([
    {
      name: 'not a URL',
      url: 'feed.example.com/x',
      want: /^json feed URL "feed\.example\.com\/x" is not a URL/,
    },
    {
      name: 'not http(s)',
      url: 'ftp://u:secret@host/x',
      want: /^json feed URL "ftp:\/\/\*\*\*@host\/x" is not http\(s\)$/,
    },
    {
      name: 'a start of its own',
      url: 'http://127.0.0.1:9/feed?start=0',
      want: /: the URL already has a "start" parameter; start, end and step are added to each request$/,
    },
    {
      name: 'an empty token',
      opts: { bearerToken: '' },
      want: /^json feed option bearerToken: the token is empty$/,
    },
    {
      name: 'a token with a line break',
      opts: { bearerToken: 'abc\r\nX-Evil: 1' },
      want: /^json feed option bearerToken: the token holds characters a header cannot carry/,
    },
    {
      name: 'a point limit past the bound',
      opts: { maxPoints: 1_000_001 },
      want: /^json feed option maxPoints: expected a whole number from 1 to 1,000,000, got 1000001$/,
    },
    {
      name: 'a byte limit past the bound',
      opts: { maxBytes: MAX_FEED_BYTES + 1 },
      want: /^json feed option maxBytes: expected a whole number from 1 to 33,554,432/,
    },
    {
      name: 'a zero timeout',
      opts: { timeoutMs: 0 },
      want: /^json feed option timeoutMs: expected a positive number/,
    },
  ])('$name', ({ opts, url, want }) => {
    let err: unknown;
    try {
      source(url ?? 'http://127.0.0.1:9/feed', opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(want);
    expect((err as Error).message).not.toContain('secret');
    expect((err as Error).message).not.toContain('Evil');
  });

  it.each([
    {
      name: 'end before start',
      start: T0 + 1,
      end: T0,
      step: undefined,
      want: /the range .* is not a time range$/,
    },
    {
      name: 'NaN start',
      start: Number.NaN,
      end: T0,
      step: undefined,
      want: /the range NaN\.\.\d+ is not a time range$/,
    },
    {
      name: 'a step under a second',
      start: T0,
      end: T0,
      step: 500,
      want: /the step 500 ms is not a whole number of seconds$/,
    },
    {
      name: 'a step of 1.5 s',
      start: T0,
      end: T0,
      step: 1500,
      want: /the step 1500 ms is not a whole number of seconds$/,
    },
  ])('$name', async ({ start, end, step, want }) => {
    const feed = await serve([json(hourly([1, 2]))]);
    const { src } = source(feed.url);
    const err = await failure(src.range('', start, end, step));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(want);
    expect(feed.seen).toHaveLength(0);
  });
});
