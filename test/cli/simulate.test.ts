// `shadowcast simulate` as users and bots see it: the built CLI as a child process, on the example
// pool's demand with a short replay (27 of its 30 days as history). `--format json` is a contract;
// bad input exits 2 with one line naming what to fix.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const storefront = join(root, 'forecasts', 'data', 'storefront.csv');
const calendar = join(root, 'forecasts', 'calendars', 'storefront.yaml');
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-simulate-'));

function run(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [cli, 'simulate', '--demand', storefront, '--series', 'location_4', ...args],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const FIGURES = ['shortfallUnitMinutes', 'shortfallMinutes', 'nodeHours', 'migrations', 'rollbacks'];

type Json = Record<string, unknown>;

function contenders(json: Json): Record<string, Json> {
  const baselines = json.baselines as Record<string, Json>;
  return { shadowcast: json.shadowcast as Json, reactive: baselines.reactive!, static: baselines.static! };
}

describe('simulate --format json', () => {
  const r = run(['--pool', 'storefront', '--history', '27d', '--format', 'json']);

  it('prints one JSON object with every contender and its figures', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!) as Json;
    expect(json.pool).toBe('storefront');
    // The file's last 3 days (to 2023-04-30 23:00 plus its hour) are replayed, minute by minute.
    expect(json.start).toBe(Date.UTC(2023, 3, 28));
    expect(json.end).toBe(Date.UTC(2023, 4, 1));
    expect(json.minutes).toBe(3 * 24 * 60);
    for (const [name, figures] of Object.entries(contenders(json))) {
      for (const key of FIGURES) expect(typeof figures[key], `${name}.${key}`).toBe('number');
    }
    expect((json.baselines as Json).static).toHaveProperty('instances');
    expect(json.settings).toMatchObject({ history: '27d', seed: 1, staticExtra: 2, inject: [], failures: 0 });
  });
});

describe('simulate --timeline', () => {
  const file = join(dir, 'timeline.csv');
  const r = run(['--pool', 'storefront', '--history', '27d', '--format', 'json', '--timeline', file]);

  it('writes a row a replayed minute whose shortfall adds up to the figures, and keeps the JSON as it was', () => {
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json).not.toHaveProperty('timeline');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength((json.minutes as number) + 1);
    const header = lines[0]!.split(',');
    const col = (name: string) => lines.slice(1).map((l) => Number(l.split(',')[header.indexOf(name)]));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    for (const [name, figures] of Object.entries(contenders(json))) {
      expect(sum(col(`${name}_shortfall`)), name).toBeCloseTo(figures.shortfallUnitMinutes as number, 1);
      expect(col(`${name}_shortfall`).filter((v) => v > 0).length, name).toBe(figures.shortfallMinutes);
    }
  });
});

describe('simulate --report', () => {
  const file = join(dir, 'replay.html');
  const timeline = join(dir, 'replay.csv');
  const r = run([
    '--pool',
    'storefront',
    '--history',
    '27d',
    '--format',
    'json',
    '--report',
    file,
    '--timeline',
    timeline,
  ]);

  it('writes one self-contained page with the replay drawn, beside the timeline, and the same JSON', () => {
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>') || html.startsWith('<!DOCTYPE html>')).toBe(true);
    // Demand against every arm's ready capacity, as charts, and nothing fetched from anywhere.
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(2);
    for (const arm of ['shadowcast', 'reactive', 'static']) expect(html).toContain(arm);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain(String((json.shadowcast as Json).shortfallMinutes));
    expect(readFileSync(timeline, 'utf8').split('\n').length).toBe((json.minutes as number) + 2);
  });
});

describe('simulate with faults', () => {
  const failures = write('crashes.csv', 'timestamp,instance\n2023-04-28 14:00,any\n\n2023-04-29T15:30,any\n');
  const r = run([
    '--pool',
    'storefront',
    '--history',
    '27d',
    '--failures',
    failures,
    '--inject',
    'failed-step@+1d',
    'metrics-outage@+2d/2h',
    '--format',
    'json',
  ]);

  it('replays the failure trace and the injected faults, and says so in its settings', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.settings).toMatchObject({
      failures: 2,
      inject: ['failed-step@+1d', 'metrics-outage@+2d/2h'],
    });
    const sc = json.shadowcast as { rollbacks: number; alerts: string[] };
    expect(sc.rollbacks).toBeGreaterThanOrEqual(1);
    expect(sc.alerts.some((a) => a.includes('injected: failed-step'))).toBe(true);
    expect(sc.alerts.some((a) => a.startsWith('2023-04-30T00:00Z storefront: demand metric missing'))).toBe(
      true,
    );
  });
});

describe('simulate a zone outage: absorbed by primaries reserved in the other zones', () => {
  /** The shipped policies with capacity.zoneLoss set. */
  const policies = (zoneLoss: string) => {
    const d = mkdtempSync(join(tmpdir(), 'shadowcast-zones-'));
    cpSync(join(root, 'policies'), d, { recursive: true });
    const file = join(d, 'defaults.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^capacity:$/m);
    writeFileSync(file, text.replace(/^capacity:$/m, `capacity:\n  zoneLoss: ${zoneLoss}`));
    return d;
  };
  const zoned = (zoneLoss: string, inject: string[]) => {
    const r = run([
      '--pool',
      'storefront',
      '--policy',
      policies(zoneLoss),
      '--history',
      '27d',
      '--zones',
      'a,b,c',
      ...(inject.length ? ['--inject', ...inject] : []),
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { shadowcast: Json; baselines: Record<string, Json>; settings: Json };
  };
  const outage = 'zone-outage@+1d12h/3h:b';

  it('zone b fails for 3 hours: nothing lost with zoneLoss always; lost without the reserve, and by the reactive baseline', () => {
    const always = zoned('always', [outage]);
    const ignore = zoned('ignore', [outage]);
    const calm = zoned('ignore', []);
    expect(always.settings).toMatchObject({ zones: ['a', 'b', 'c'], inject: [outage] });
    // The same pool without the outage loses nothing: what is lost below is the zone's.
    expect(calm.shadowcast.shortfallUnitMinutes).toBe(0);
    expect(ignore.shadowcast.shortfallUnitMinutes).toBeGreaterThan(0);
    expect(always.shadowcast.shortfallUnitMinutes).toBe(0);
    expect(always.baselines.reactive!.shortfallUnitMinutes).toBeGreaterThan(
      ignore.shadowcast.shortfallUnitMinutes as number,
    );
    // The reserve is paid for: more node-hours than without it, fewer than the static baseline's.
    expect(always.shadowcast.nodeHours).toBeGreaterThan(ignore.shadowcast.nodeHours as number);
    expect(always.shadowcast.nodeHours).toBeLessThan(always.baselines.static!.nodeHours as number);
  });

  it('refuses an outage of a zone the pool does not have, and --zones that are not a list', () => {
    const r = run([
      '--pool',
      'storefront',
      '--history',
      '27d',
      '--zones',
      'a,b',
      '--inject',
      'zone-outage@+1d/1h:c',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('zone-outage');
    expect(r.stderr).toContain('c');
    const bad = run(['--pool', 'storefront', '--zones', 'a']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--zones "a": expected two or more distinct names');
  });
});

describe('simulate refuses bad input with exit 2 and one line', () => {
  const badTime = write('bad-time.csv', 'timestamp,instance\n2023-04-29T10:00,any\n\nyesterday,any\n');
  it.each([
    [
      'an unknown --pool',
      ['--pool', 'nope'],
      /^shadowcast: --pool nope: no policy in .*nope\.yaml \(known: .*storefront/,
    ],
    [
      'a malformed --inject spec',
      ['--pool', 'storefront', '--history', '27d', '--inject', 'crash@soon'],
      /^shadowcast: --inject "crash@soon": "soon" is neither an offset/,
    ],
    [
      'an unknown fault kind',
      ['--pool', 'storefront', '--history', '27d', '--inject', 'meteor@+1d'],
      /^shadowcast: --inject "meteor@\+1d": unknown fault "meteor"/,
    ],
    [
      '--history longer than the data',
      ['--pool', 'storefront', '--history', '40d'],
      /^shadowcast: --history 40d leaves less than an hour of .*storefront\.csv to replay \(it spans 720 h\)$/,
    ],
    [
      '--history that is not a duration',
      ['--pool', 'storefront', '--history', 'long'],
      /^shadowcast: --history "long"/,
    ],
    [
      'a --failures file with a bad timestamp (its line, blank lines counted)',
      ['--pool', 'storefront', '--history', '27d', '--failures', badTime],
      /^shadowcast: .*bad-time\.csv:4: timestamp "yesterday" is not a time$/,
    ],
    [
      'missed-event: for an event not in the calendars',
      ['--pool', 'storefront', '--history', '27d', '--events', calendar, '--inject', 'missed-event:Nope'],
      /^shadowcast: --inject missed-event:Nope: no such event in the calendars \(they have: .*Anzac Day/,
    ],
    [
      'missed-event: without calendars',
      ['--pool', 'storefront', '--history', '27d', '--inject', 'missed-event:Easter'],
      /^shadowcast: --inject missed-event:Easter: no such event in the calendars \(none given: --events\)$/,
    ],
  ])('%s', (_, args, message) => {
    const r = run([...args, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
