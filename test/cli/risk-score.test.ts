// `shadowcast risk score` and `risk train` as users see them: the built CLI as a child process.
// CSV output is a contract (one row per input timestamp); a model trained from labels scores a
// climbing node above a quiet one; bad input exits 2 with one line naming the file and line.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-risk-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'risk', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const START = Date.UTC(2026, 0, 5);
const STEP = 5 * 60_000;
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/** A seeded node: daily cycle plus noise; `failAt` (row) adds a 4-hour leak ending in a failure there. */
function node(seed: number, rows: number, failAt?: number) {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  const out: { t: number; cpu: number; mem: number }[] = [];
  for (let i = 0; i < rows; i++) {
    const day = Math.sin((2 * Math.PI * i) / 288);
    let mem = 0.5 + 0.05 * day + 0.01 * rand();
    if (failAt !== undefined && i > failAt - 48) mem += ((i - (failAt - 48)) / 48) * 0.4;
    out.push({ t: START + i * STEP, cpu: 0.3 + 0.1 * day + 0.05 * rand(), mem });
  }
  return out;
}

describe('risk score', () => {
  const rows = node(7, 400);
  const single = write(
    'single.csv',
    ['timestamp,value', ...rows.map((r) => `${iso(r.t)},${r.cpu}`)].join('\n'),
  );

  it('prints timestamp,score for a single series, one row per input row, scores in [0, 1]', () => {
    const r = run(['score', '--input', single]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('timestamp,score');
    expect(lines).toHaveLength(401);
    expect(lines[1]).toBe(`${iso(START)},0.0000`);
    for (const l of lines.slice(1)) {
      const s = Number(l.split(',')[1]);
      expect(s >= 0 && s <= 1).toBe(true);
    }
  });

  it('prints node,timestamp,score for the long form', () => {
    const long = write(
      'long.csv',
      [
        'node,metric,timestamp,value',
        ...rows
          .slice(0, 50)
          .flatMap((r) => [
            `a,cpu,${iso(r.t)},${r.cpu}`,
            `a,mem,${iso(r.t)},${r.mem}`,
            `b,cpu,${iso(r.t)},${r.cpu}`,
          ]),
      ].join('\n'),
    );
    const r = run(['score', '--input', long]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('node,timestamp,score');
    expect(lines).toHaveLength(101);
    expect(lines[1]!.startsWith(`a,${iso(START)},`)).toBe(true);
    expect(lines[51]!.startsWith(`b,${iso(START)},`)).toBe(true);
  });

  it('gives parts, blame and the standby state in json', () => {
    const r = run(['score', '--input', single, '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { nodes: { node: string; rows: Record<string, unknown>[] }[] };
    expect(Object.keys(out.nodes[0]!.rows[0]!)).toEqual([
      'timestamp',
      'score',
      'residual',
      'classifier',
      'blame',
      'state',
    ]);
  });
});

describe('risk train, then score --model', () => {
  const nodes = [
    { id: 'n1', rows: node(1, 700, 650) },
    { id: 'n2', rows: node(2, 700, 600) },
    { id: 'n3', rows: node(3, 700, 680) },
    { id: 'n4', rows: node(4, 700, 620) },
    { id: 'n5', rows: node(5, 700) },
    { id: 'n6', rows: node(6, 700) },
  ];
  const input = write(
    'fleet.csv',
    [
      'node,metric,timestamp,value',
      ...nodes.flatMap((n) =>
        n.rows.flatMap((r) => [`${n.id},cpu,${iso(r.t)},${r.cpu}`, `${n.id},mem,${iso(r.t)},${r.mem}`]),
      ),
    ].join('\n'),
  );
  const labels = write(
    'labels.csv',
    [
      'node,timestamp',
      `n1,${iso(START + 650 * STEP)}`,
      `n2,${iso(START + 600 * STEP)}`,
      `n3,${iso(START + 680 * STEP)}`,
      `n4,${iso(START + 620 * STEP)}`,
    ].join('\n'),
  );
  const model = join(dir, 'model.json');

  it('trains, writes the model and scores a leaking node above a quiet one', () => {
    const t = run(['train', '--input', input, '--labels', labels, '--out', model, '--horizon', '4h']);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('4 failure(s)');
    expect(JSON.parse(readFileSync(model, 'utf8')).horizonMinutes).toBe(240);
    const leaking = write(
      'leaking.csv',
      ['timestamp,cpu,mem', ...node(11, 640, 630).map((r) => `${iso(r.t)},${r.cpu},${r.mem}`)].join('\n'),
    );
    const quiet = write(
      'quiet.csv',
      ['timestamp,cpu,mem', ...node(12, 640).map((r) => `${iso(r.t)},${r.cpu},${r.mem}`)].join('\n'),
    );
    const last = (file: string) => {
      const r = run(['score', '--input', file, '--model', model]);
      expect(r.code).toBe(0);
      return Math.max(
        ...r.stdout
          .trim()
          .split('\n')
          .slice(-10)
          .map((l) => Number(l.split(',')[1])),
      );
    };
    expect(last(leaking)).toBeGreaterThan(last(quiet) + 0.2);
  });

  it('records --limit in the model, and refuses one that is not a positive number', () => {
    const out = join(dir, 'model-limit.json');
    const t = run(['train', '--input', input, '--labels', labels, '--out', out, '--limit', '100']);
    expect(t.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).features.limit).toBe(100);
    const bad = run([
      'train',
      '--input',
      input,
      '--labels',
      labels,
      '--out',
      join(dir, 'no.json'),
      '--limit',
      '-1',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit "-1"');
    expect(existsSync(join(dir, 'no.json'))).toBe(false);
  });
});

describe('bad input exits 2 with file:line and writes nothing', () => {
  const ok = write('ok.csv', 'timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n');
  it.each([
    [
      'non-numeric value',
      [
        'score',
        '--input',
        write('nan.csv', 'timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,x\n'),
      ],
      'nan.csv:3: ',
    ],
    [
      'unsorted rows',
      [
        'score',
        '--input',
        write('unsorted.csv', 'timestamp,value\n2026-01-01T00:01:00Z,1\n2026-01-01T00:00:00Z,2\n'),
      ],
      'unsorted.csv:3: ',
    ],
    [
      'malformed model JSON',
      ['score', '--input', ok, '--model', write('model-bad.json', '{\n "format": \n}')],
      'model-bad.json:2: ',
    ],
    [
      'bad label value',
      [
        'train',
        '--input',
        ok,
        '--labels',
        write('lab.csv', 'timestamp,label\n2026-01-01T00:00:00Z,7\n'),
        '--out',
        join(dir, 'never.json'),
      ],
      'lab.csv:2: ',
    ],
  ])('%s', (_name, args, prefix) => {
    const r = run(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`shadowcast: ${join(dir, prefix)}`)).toBe(true);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
  });
});
