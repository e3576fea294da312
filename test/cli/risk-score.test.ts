// `shadowcast risk score` and `risk train` as users see them: the built CLI as a child process.
// CSV output is a contract (one row per input row, in input order, timestamps as written, even
// when the rows are out of time order or repeat a time); a model trained from labels scores a
// climbing node above a quiet one; bad input exits 2 with one line naming the file and line.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
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

  it("gives every model's part for every row, the one that leads, the blame and the standby state in json", () => {
    const r = run(['score', '--input', single, '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      model: { shares: Record<string, number> };
      nodes: {
        node: string;
        rows: { score: number; parts: Record<string, number>; lead: string | null }[];
      }[];
    };
    const rows = out.nodes[0]!.rows;
    expect(Object.keys(rows[0]!)).toEqual(['timestamp', 'score', 'parts', 'lead', 'blame', 'state']);
    for (const row of rows) {
      expect(Object.keys(row.parts)).toEqual(['seasonal', 'shift', 'limit', 'classifier']);
      // Once the model speaks, some part leads it.
      if (row.score > 0) expect(['seasonal', 'shift', 'limit', 'classifier']).toContain(row.lead);
    }
    expect(Object.keys(out.model.shares)).toEqual(['seasonal', 'shift', 'limit', 'classifier']);
  });
});

describe('risk score on real-world exports: rows out of time order and duplicate timestamps', () => {
  // A leaking node, so that past the first nine hours the scores differ from row to row.
  const rows = node(11, 300, 290);
  /** `YYYY-MM-DD HH:MM:SS`: written differently from ISO-8601, so an echo is told from a re-format. */
  const plain = (t: number) => iso(t).replace('T', ' ').replace('Z', '');
  const wide = (order: readonly number[]) =>
    ['timestamp,cpu,mem', ...order.map((i) => `${plain(rows[i]!.t)},${rows[i]!.cpu},${rows[i]!.mem}`)].join(
      '\n',
    );
  const body = (stdout: string) => stdout.trim().split('\n').slice(1);
  const sorted = rows.map((_, i) => i);
  /** A seeded permutation of 0..n-1 (Fisher-Yates). */
  const shuffled = (n: number, seed: number) => {
    let s = seed;
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      s = (s * 16807) % 2147483647;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };

  it('scores duplicates and unsorted rows row for row: one score per input row, in input order, with the input timestamps', () => {
    // A local-time export across the autumn clock change (01:00-01:59 happens twice), merged
    // with a second export that repeats some rows.
    const wall = (t: number) =>
      DateTime.fromMillis(t, { zone: 'America/New_York' }).toFormat('yyyy-MM-dd HH:mm:ss');
    const base = Date.UTC(2026, 10, 1, 2); // 2026-11-01 22:00 the evening before, New York time
    const times = Array.from({ length: 200 }, (_, i) => base + i * STEP);
    const merged = [...times, ...times.slice(150, 170)];
    const stamps = merged.map(wall);
    const file = write(
      'dst-merged.csv',
      ['timestamp,value', ...merged.map((t, i) => `${stamps[i]},${0.5 + 0.001 * (i % 37)}`)].join('\n'),
    );
    const r = run(['score', '--input', file, '--tz', 'America/New_York']);
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout.split('\n')[0]).toBe('timestamp,score');
    const out = body(r.stdout).map((l) => l.split(','));
    expect(out).toHaveLength(merged.length);
    expect(out.map((c) => c[0])).toEqual(stamps);
    for (const c of out) expect(Number(c[1]) >= 0 && Number(c[1]) <= 1).toBe(true);
  });

  it('scores a shuffled file as the sorted file, mapped back by row, in csv and json', () => {
    const order = shuffled(rows.length, 3);
    const a = write('sorted-wide.csv', wide(sorted));
    const b = write('shuffled-wide.csv', wide(order));
    const csvSorted = body(run(['score', '--input', a]).stdout);
    const csvShuffled = run(['score', '--input', b]);
    expect(csvShuffled.code).toBe(0);
    // Guard against a vacuous pass: the leaking node's scores must vary (the built-in model's
    // calibration takes a handful of values).
    expect(new Set(csvSorted.map((l) => l.split(',')[1])).size).toBeGreaterThan(5);
    expect(body(csvShuffled.stdout)).toEqual(order.map((i) => csvSorted[i]));
    type Json = { nodes: { rows: { timestamp: string }[] }[] };
    const jsonSorted = JSON.parse(run(['score', '--input', a, '--format', 'json']).stdout) as Json;
    const jsonShuffled = JSON.parse(run(['score', '--input', b, '--format', 'json']).stdout) as Json;
    expect(jsonShuffled.nodes[0]!.rows).toEqual(order.map((i) => jsonSorted.nodes[0]!.rows[i]));
    expect(jsonShuffled.nodes[0]!.rows[0]!.timestamp).toBe(plain(rows[order[0]!]!.t));
  });

  it('warns once per file, on one line, with the counts, the first line of each and the rule', () => {
    const file = write(
      'warn.csv',
      [
        'timestamp,value',
        '2026-01-01T00:00:00Z,1',
        '2026-01-01T00:02:00Z,1',
        '2026-01-01T00:01:00Z,1',
        '2026-01-01T00:01:00Z,1',
        '2026-01-01T00:03:00Z,1',
      ].join('\n'),
    );
    const r = run(['score', '--input', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `shadowcast: warning: ${file}: 2 rows out of time order (first at line 4) and 1 duplicate timestamp (first at line 5); scored in time order, duplicates as consecutive samples (see docs/cli.md, "risk score")\n`,
    );
    expect(body(r.stdout)).toHaveLength(5);
  });

  it('scores two copies of one export merged (most rows repeated) row for row, with one warning', () => {
    const file = write('twice.csv', [wide(sorted), ...body(wide(sorted))].join('\n'));
    const r = run(['score', '--input', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(body(r.stdout)).toHaveLength(2 * sorted.length);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`shadowcast: warning: ${file}: `)).toBe(true);
  });

  it('scores a long-form file with one node out of order: that node row for row, the other unchanged', () => {
    const n = 150;
    const line = (id: string, i: number) => [
      `${id},cpu,${plain(rows[i]!.t)},${rows[i]!.cpu}`,
      `${id},mem,${plain(rows[i]!.t)},${rows[i]!.mem}`,
    ];
    const header = 'node,metric,timestamp,value';
    const inOrder = write(
      'long-sorted.csv',
      [header, ...sorted.slice(0, n).flatMap((i) => [...line('a', i), ...line('b', i)])].join('\n'),
    );
    // Node b's rows come newest first, interleaved with a's in time order.
    const bBackwards = write(
      'long-b-backwards.csv',
      [header, ...sorted.slice(0, n).flatMap((i) => [...line('a', i), ...line('b', n - 1 - i)])].join('\n'),
    );
    const expected = body(run(['score', '--input', inOrder]).stdout);
    const r = run(['score', '--input', bBackwards]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${bBackwards}: ${2 * (n - 1)} rows out of time order (first at line 8);`);
    const out = body(r.stdout);
    expect(out).toHaveLength(2 * n);
    expect(out.slice(0, n)).toEqual(expected.slice(0, n));
    expect(out.slice(n)).toEqual(expected.slice(n).reverse());
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
      // Out of order and duplicated rows are accepted now; what cannot be read still is not, and
      // the refusal names the unreadable row, not the first row out of order.
      'an unparseable timestamp in a file out of time order',
      [
        'score',
        '--input',
        write(
          'badtime.csv',
          'timestamp,value\n2026-01-01T00:01:00Z,1\n2026-01-01T00:00:00Z,2\n2026-01-01T00:00:00Z,3\n2026-01-01T25:00:00Z,4\n',
        ),
      ],
      'badtime.csv:5: ',
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
