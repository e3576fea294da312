// The --source flags turned into a series request, in-process: every refusal before a request
// is sent, and the --lookback window. (The built CLI's exit codes are in prometheus.test.ts.)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/core/errors.js';
import { type InputFlags, seriesRequest } from '../../src/cli/input-flags.js';
import { queryWindow } from '../../src/cli/prometheus-flags.js';
import { inputFlags } from '../support/input-flags.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 19, 47, 13);
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-prometheus-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const token = join(dir, 'token');
writeFileSync(token, 's3cret\n');

const flags = inputFlags;
const prom = (extra: Partial<InputFlags>) =>
  flags({ source: 'prometheus', url: 'http://p:9090', query: 'up', step: '1h', ...extra });

describe('--source prometheus flags', () => {
  it('build a request for the one series of --query over --start..--end', async () => {
    const req = await seriesRequest(
      prom({
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-02T00:00:00+01:00',
        maxGap: 3,
        tz: 'Europe/Berlin',
      }),
      NOW,
    );
    expect(req.kind).toBe('source');
    if (req.kind !== 'source') return;
    expect({ ...req, source: undefined }).toEqual({
      kind: 'source',
      source: undefined,
      query: 'up',
      start: Date.UTC(2026, 10, 1),
      end: Date.UTC(2026, 10, 1, 23),
      stepMs: H,
      label: 'prometheus http://p:9090/ query "up"',
      zone: 'Europe/Berlin',
      maxGap: 3,
    });
  });

  it.each([
    {
      name: 'hourly',
      lookback: '2d',
      step: '1h',
      start: Date.UTC(2026, 10, 21, 19),
      end: Date.UTC(2026, 10, 23, 19),
    },
    {
      name: '5-minute',
      lookback: '1h',
      step: '5m',
      start: Date.UTC(2026, 10, 23, 18, 45),
      end: Date.UTC(2026, 10, 23, 19, 45),
    },
    { name: 'daily', lookback: '7d', step: '1d', start: Date.UTC(2026, 10, 16), end: Date.UTC(2026, 10, 23) },
  ])('--lookback ends at now rounded down to the step ($name)', ({ lookback, step, start, end }) => {
    const stepMs = { '1h': H, '5m': 5 * 60_000, '1d': 24 * H }[step]!;
    expect(queryWindow({ lookback }, stepMs, NOW, 'UTC')).toEqual({ start, end });
  });

  it.each([
    {
      name: 'no --url',
      f: prom({ url: undefined, lookback: '1d' }),
      message: '--source prometheus needs --url',
    },
    { name: 'no --query', f: prom({ query: undefined, lookback: '1d' }), message: 'needs --query PROMQL' },
    { name: 'no --step', f: prom({ step: undefined, lookback: '1d' }), message: 'needs --step' },
    { name: 'no window', f: prom({}), message: 'needs --lookback DUR, or --start TIME and --end TIME' },
    { name: '--start without --end', f: prom({ start: '2026-11-01' }), message: 'needs --lookback DUR' },
    {
      name: '--lookback and --start',
      f: prom({ lookback: '2d', start: '2026-11-01T00:00:00Z' }),
      message: '--lookback and --start/--end: give one or the other',
    },
    {
      name: '--end before --start',
      f: prom({ start: '2026-11-02T00:00:00Z', end: '2026-11-01T00:00:00Z' }),
      message: '--end 2026-11-01T00:00:00Z is not after --start 2026-11-02T00:00:00Z',
    },
    {
      name: 'a --start that is no time',
      f: prom({ start: 'yesterday', end: '2026-11-01T00:00:00Z' }),
      message: '--start "yesterday": expected an ISO-8601 time (2026-11-01T00:00:00Z)',
    },
    {
      name: 'a bad --step',
      f: prom({ step: 'hourly', lookback: '2d' }),
      message: '--step "hourly": expected a duration (30s, 1h, 28d)',
    },
    {
      name: 'a bad --lookback',
      f: prom({ lookback: '-2d' }),
      message: '--lookback "-2d": expected a duration',
    },
    { name: 'a zero --timeout', f: prom({ lookback: '2d', timeout: '0s' }), message: '--timeout "0s"' },
    {
      name: '--input',
      f: prom({ input: 'x.csv' }),
      message: '--input reads a CSV file; with --source prometheus the series comes from --query',
    },
    { name: '--series', f: prom({ series: 'a' }), message: '--series picks a series of a CSV file' },
    { name: '--sort', f: prom({ sort: true }), message: '--sort orders the rows of a CSV file' },
    {
      name: 'a URL without http://',
      f: prom({ url: 'localhost:9090', lookback: '1d' }),
      message: 'Prometheus URL "localhost:9090" is not http(s)',
    },
    {
      name: 'two kinds of credentials',
      f: prom({ lookback: '1d', bearerTokenFile: token, basicAuthUser: 'u' }),
      message: '--bearer-token-file and --basic-auth-*: give one kind of credentials',
    },
    {
      name: 'a user without a password file',
      f: prom({ lookback: '1d', basicAuthUser: 'u' }),
      message: '--basic-auth-user and --basic-auth-password-file go together',
    },
    {
      name: 'a password file without a user',
      f: prom({ lookback: '1d', basicAuthPasswordFile: token }),
      message: 'go together',
    },
    {
      name: 'Prometheus flags with a CSV input',
      f: flags({ input: 'x.csv', url: 'http://h', step: '1h', bearerTokenFile: token }),
      message:
        '--url, --bearer-token-file: only with --source prometheus; --step: only with --source prometheus or cloudwatch',
    },
    { name: 'no --input for CSV', f: flags({}), message: '--input FILE is required' },
  ])('refuse $name (UsageError)', async ({ f, message }) => {
    const err = await seriesRequest(f, NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
  });

  it('a missing credentials file is bad input naming the file', async () => {
    const missing = join(dir, 'nope');
    const err = await seriesRequest(prom({ lookback: '1d', bearerTokenFile: missing }), NOW).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${missing}: cannot read: no such file`);
  });

  it('leaves the CSV request as it was', async () => {
    const req = await seriesRequest(
      flags({ input: 'x.csv', series: 'a', sort: true, tz: 'Europe/Berlin' }),
      NOW,
    );
    expect(req).toEqual({ input: 'x.csv', series: 'a', zone: 'Europe/Berlin', maxGap: 6, sort: true });
  });
});
