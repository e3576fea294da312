// What an unlucky day at the command line used to break, one test per surprise: a state
// directory that cannot be used, an empty shard, an unknown pool, an unknown model, a reader that
// closes the pipe early, and the report's links opened where the file is.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const storefront = join(root, 'forecasts', 'data', 'storefront.csv');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'shadowcast-unlucky-'));
const STACK = /^\s+at /m;

describe('the command line on an unlucky day', () => {
  it('a state directory that cannot be used exits 4 with one line naming the path, not 1 like a rollback', () => {
    // Root ignores permission bits, so the path goes through a regular file instead: ENOTDIR.
    const file = join(tmp(), 'not-a-dir');
    writeFileSync(file, '');
    for (const command of [['apply'], ['run', '--once', '--no-report']]) {
      const r = run([...command, '--state', join(file, 'state')]);
      expect(r.code, r.stderr).toBe(4);
      const last = r.stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(
        new RegExp(
          `^shadowcast: cannot [a-z ]+ ${file}/state\\S*: a part of the path is not a directory \\(ENOTDIR\\)$`,
        ),
      );
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('a sharded runner with no pool in its shard succeeds quietly', () => {
    // FNV-1a puts storefront in shard 1 of 2: shard 0 is empty.
    const r = run(['run', '--once', '--shard', '0/2', '--state', tmp(), '--no-report']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const other = run(['run', '--once', '--shard', '1/2', '--state', tmp(), '--no-report']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('storefront: plan at');
  });

  it('an unknown pool is named as unknown, with the pools there are', () => {
    const r = run(['run', '--once', '--pools', 'nosuch', '--state', tmp()]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'shadowcast: no forecast spec in forecasts for pool nosuch (it has: storefront)\n',
    });
  });

  it('an unknown --model is one error line and a hint, not the whole help', () => {
    const r = run(['forecast', '--input', storefront, '--horizon', '24', '--model', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      "error: option '--model <name>' argument 'nosuch' is invalid. Allowed choices are auto, prophet, mstl, naive.",
      '(run the command with --help for its usage)',
    ]);
  });

  it('an unquoted event name with a space gets told to quote it, and the help says so', () => {
    const r = run([
      'simulate',
      '--demand',
      storefront,
      '--series',
      'location_4',
      '--pool',
      'storefront',
      '--inject',
      'missed-event:Black',
      'Friday',
    ]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'shadowcast: --inject "Friday": not a fault; an event name with spaces needs quotes: --inject "missed-event:Black Friday"\n',
    });
    expect(run(['simulate', '--help']).stdout.replace(/\s+/g, ' ')).toContain(
      'quote a NAME with spaces: "missed-event:Black Friday"',
    );
  });

  it('a reader that closes the pipe early ends the command quietly with exit 0', async () => {
    for (const args of [
      ['forecast', '--input', storefront, '--series', 'location_4', '--horizon', '2000', '--model', 'naive'],
      [
        'forecast',
        '--input',
        storefront,
        '--series',
        'location_4',
        '--horizon',
        '2000',
        '--model',
        'naive',
        '--format',
        'json',
      ],
      ['--help'],
    ]) {
      const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Like `| head -c 1`: read once, then close our end while the command still writes.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      expect([args.join(' '), code, stderr]).toEqual([args.join(' '), 0, '']);
    }
  });

  it("the report's links work where each markdown file is opened", () => {
    const state = tmp();
    const r = run(['run', '--once', '--state', state]);
    expect(r.code, r.stderr).toBe(0);
    const latest = join(state, 'reports', 'latest.md');
    const runDir = readFileSync(join(state, 'reports', 'latest.json'), 'utf8').match(
      /"run": "(run-[^"]+)"/,
    )![1]!;
    for (const md of [latest, join(state, 'reports', runDir, 'summary.md')]) {
      const link = /\[full report\]\(([^)]+)\)/.exec(readFileSync(md, 'utf8'))![1]!;
      expect([md, existsSync(join(dirname(md), decodeURI(link)))]).toEqual([md, true]);
    }
  });
});
