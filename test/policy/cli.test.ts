// `shadowcast policy validate|explain` as users and CI see them: the built CLI run as a child
// process (`npm test` builds first), exit codes, exact stderr lines, and nothing on stdout when
// a command fails.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELDS } from '../../src/policy/schema.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

/** Async, so that the tests of a file (declared concurrent) spawn side by side. */
function run(args: string[], cwd = root): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-policy-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** The line of `key:` in a committed policy file, so tests follow edits to the comments. */
function lineOf(file: string, key: string): number {
  return (
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .findIndex((l) => l.trimStart().startsWith(`${key}:`)) + 1
  );
}

describe.concurrent('policy validate', () => {
  it('passes the committed policies/ with a one-line summary', async () => {
    const r = await run(['policy', 'validate']);
    expect(r).toEqual({
      code: 0,
      stdout: 'policies OK: 3 files, 2 pools (checkout-api, storefront)\n',
      stderr: '',
    });
  });

  it('prints every problem of every file as file:line:col: message, then exits 2 with nothing on stdout', async () => {
    const dir = tree({
      'defaults.yaml': 'forecast:\n  horizn: 24h\n  level: 1.5\n',
      'pools/web.yaml': 'capacity:\n  minInstances: [\n',
      'pools/api.yaml': "schedule: { cron: '* * *' }\nmode: yes\n",
    });
    const r = await run(['policy', 'validate', '--policies', '.'], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      'defaults.yaml:2:3: forecast: unknown field "horizn" (did you mean "horizon"?)',
      'defaults.yaml:3:10: forecast.level: 1.5 must be a number between 0 and 1, exclusive',
      'pools/api.yaml:1:19: schedule.cron: "* * *" needs 5 fields (minute hour day-of-month month day-of-week, like "*/15 * * * *"); it has 3',
      'pools/api.yaml:2:7: mode: "yes" must be one of recommend, apply',
      'pools/web.yaml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'shadowcast: 5 errors in 3 policy files',
      '',
    ]);
  });

  it('checks only the files named, a pool file over its defaults.yaml', async () => {
    const dir = tree({
      'policies/defaults.yaml': 'capacity: { minInstances: 10 }\n',
      'policies/pools/web.yaml': 'capacity:\n  maxInstances: 8\n',
      'policies/pools/api.yaml': 'mode: never\n',
    });
    const r = await run(['policy', 'validate', 'policies/pools/web.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'policies/pools/web.yaml:2:3: capacity.maxInstances: 8 must be at least capacity.minInstances (10 from policies/defaults.yaml:1)\n' +
        'shadowcast: 1 error in 1 policy file\n',
    );
    const ok = await run(['policy', 'validate', 'policies/defaults.yaml'], dir);
    expect(ok).toEqual({ code: 0, stdout: 'policies OK: 1 file, 0 pools\n', stderr: '' });
  });

  it('exits 2 with one line for a missing directory or file', async () => {
    const dir = tree({});
    expect(await run(['policy', 'validate'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'shadowcast: policies: no such policy directory (policy files are defaults.yaml and pools/<pool>.yaml)\n',
    });
    expect(await run(['policy', 'validate', 'pools/nope.yaml'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'shadowcast: pools/nope.yaml: no such file\n',
    });
  });
});

describe.concurrent('policy explain', () => {
  it('shows every field with its value in human units and where it came from', async () => {
    const r = await run(['policy', 'explain', 'storefront']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('storefront: effective policy (policies/pools/storefront.yaml)');
    expect(lines[2]).toMatch(/^field +value +source$/);
    const rows = new Map(lines.slice(4).map((l) => [l.split(/ {2,}/)[0]!, l.split(/ {2,}/).slice(1)]));
    expect([...rows.keys()]).toEqual(FIELDS);
    const pool = 'policies/pools/storefront.yaml';
    expect(rows.get('capacity.unitsPerInstance')).toEqual([
      '250',
      `${pool}:${lineOf(pool, 'unitsPerInstance')}`,
    ]);
    expect(rows.get('forecast.horizon')).toEqual([
      '48h',
      `policies/defaults.yaml:${lineOf('policies/defaults.yaml', 'horizon')}`,
    ]);
    expect(rows.get('capacity.headroomPercent')).toEqual([
      '30%',
      `${pool}:${lineOf(pool, 'headroomPercent')}`,
    ]);
    expect(rows.get('capacity.provision')).toEqual(['5m', 'built-in default']);
    expect(rows.get('migration.gates')).toEqual([
      'error_rate <= 0.01, latency_p99_ms <= 500',
      'built-in default',
    ]);
  });

  it('--format json: one line with the Policy in ms and every field with its source', async () => {
    const r = await run(['policy', 'explain', 'checkout-api', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['pool', 'policy', 'fields']);
    expect(json.policy.standby).toMatchObject({ provision: 0.6, dwellMs: 300_000 });
    expect(json.policy.shadow.unitsPerInstance).toBe(80);
    const field = (name: string) => json.fields.find((f: { field: string }) => f.field === name);
    const pool = 'policies/pools/checkout-api.yaml';
    expect(field('standby.dwell')).toEqual({
      field: 'standby.dwell',
      value: '5m',
      source: `${pool}:${lineOf(pool, 'dwell')}`,
      file: pool,
      line: lineOf(pool, 'dwell'),
    });
    expect(field('shadow.unitsPerInstance').source).toBe(
      `${pool}:${lineOf(pool, 'unitsPerInstance')} (via capacity.unitsPerInstance)`,
    );
    expect(field('mode')).toEqual({
      field: 'mode',
      value: 'recommend',
      source: 'built-in default',
      file: null,
      line: null,
    });
  });

  it('an unknown pool: exit 2, one line naming the pools there are', async () => {
    expect(await run(['policy', 'explain', 'nope'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'shadowcast: unknown pool "nope": policies/pools has policies for checkout-api, storefront\n',
    });
  });

  it("a pool whose policy does not resolve: exit 2 with its files' problems only, nothing on stdout", async () => {
    const dir = tree({
      'policies/pools/web.yaml': 'capacity: { minInstances: 99 }\n',
      'policies/pools/api.yaml': 'mode: never\n',
    });
    expect(await run(['policy', 'explain', 'web'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'policies/pools/web.yaml:1:13: capacity.minInstances: 99 must be at most capacity.maxInstances (50 from built-in default)\n' +
        'shadowcast: 1 error in 1 policy file\n',
    });
  });
});
