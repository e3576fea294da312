// Fuzz: arbitrary and mutated policy YAML (from the shipped policies/) and metric CSVs through
// the paths the CLI takes: in process for speed (loadPolicyDir as `policy validate` calls it;
// forecastPool with the naive model as `forecast` does), then a few spawned runs of the built
// CLI under a heap limit, with their peak memory measured. Whatever the input: exit 0 or 2,
// never a stack trace, a panic or "undefined", and bad input is one line naming file:line.
// Seeded, so CI sees the same cases every run; fast-check prints the seed of a failure.

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { loadPolicyDir } from '../../src/policy/load.js';
import { forecastPool } from '../../src/pipeline/forecast-pool.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'shadowcast-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The spawned CLI's heap limit, and the peak resident memory it must stay under. */
const HEAP_MB = 256;
const RSS_MB = 450;

// ── what must never show ──

const FORBIDDEN = [/^ {4}at /m, /panicked/, /RuntimeError/, /undefined/];

/** Checks `text` for what must never show, unless the input itself holds it. */
function expectClean(text: string, input: string): void {
  for (const f of FORBIDDEN) if (!f.test(input)) expect(text, `matches ${f}`).not.toMatch(f);
}

const PLACED = /^.+:\d+(:\d+)?: .+$/;

// ── policy YAML: the shipped files, mutated ──

const shipped = {
  defaults: readFileSync(join(root, 'policies', 'defaults.yaml'), 'utf8'),
  pools: readdirSync(join(root, 'policies', 'pools')).map((f) =>
    readFileSync(join(root, 'policies', 'pools', f), 'utf8'),
  ),
};

const huge = `${'9'.repeat(320)}`;
const weirdScalar = fc.oneof(
  fc.constantFrom(
    '1e308',
    '-1e308',
    '1e400',
    '.inf',
    '-.inf',
    '.nan',
    '99999999999999999999',
    '-1',
    '0',
    '0.0000001',
    '1000000',
    '99999w',
    '100000d',
    `${huge}h`,
    huge,
    '0s',
    '1.5',
    'null',
    '~',
    '""',
    'yes',
    '[]',
    '{}',
    "'*/0 * * * *'",
    '"a\\nb"',
    '"\\u0000\\u0007"',
    '!!binary aGVsbG8=',
    '&a [*a, *a]',
    '*nope',
    '{a: {b: {c: [1, [2, [3]]]}}}',
    `"${'x'.repeat(5000)}"`,
  ),
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
  fc.double().map(String),
  fc.integer().map(String),
  fc.integer({ min: 1, max: 3000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
);

/** Raw junk: any characters, bytes read as latin1, or deep nesting. */
const junk = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.integer({ min: 1, max: 3000 }).map((d) => `${'- '.repeat(d)}x`),
  fc.integer({ min: 1, max: 2000 }).map((d) => `${'{a: '.repeat(d)}1${'}'.repeat(d)}`),
);

type Mutation = (lines: string[]) => string[];
const at = (lines: string[], i: number) => i % Math.max(1, lines.length);

const yamlMutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a value (commented out or not) set to something odd
  fc.tuple(fc.nat(), weirdScalar).map(([i, v]): Mutation => (lines) => {
    const fields = lines.map((l, k) => [l, k] as const).filter(([l]) => /^\s*#?\s*[\w]+:\s*\S/.test(l));
    const hit = fields[at(fields as unknown as string[], i)];
    if (!hit) return lines;
    const out = [...lines];
    out[hit[1]] = hit[0].replace(/^(\s*)#?\s*([\w]+):.*$/, `$1$2: ${v}`);
    return out;
  }),
  // a commented-out default switched on
  fc.nat().map((i): Mutation => (lines) => {
    const commented = lines.map((l, k) => [l, k] as const).filter(([l]) => /^\s*# [\w]+:/.test(l));
    const hit = commented[i % Math.max(1, commented.length)];
    if (!hit) return lines;
    const out = [...lines];
    out[hit[1]] = hit[0].replace('# ', '');
    return out;
  }),
  fc.tuple(fc.nat(), junk).map(([i, j]): Mutation => (lines) => {
    const out = [...lines];
    out.splice(at(lines, i), 0, j);
    return out;
  }),
  fc.nat().map(
    (i): Mutation =>
      (lines) =>
        lines.filter((_, k) => k !== at(lines, i)),
  ),
  fc
    .nat()
    .map((i): Mutation => (lines) => [...lines.slice(0, at(lines, i) + 1), ...lines.slice(at(lines, i))]),
  fc.nat().map(
    (i): Mutation =>
      (lines) =>
        lines.map((l, k) => (k === at(lines, i) ? `  ${l}` : l)),
  ),
  fc.nat().map(
    (i): Mutation =>
      (lines) =>
        lines.slice(0, at(lines, i)),
  ),
  fc.tuple(fc.nat(), fc.string({ maxLength: 12 })).map(([i, key]): Mutation => (lines) => {
    const out = [...lines];
    out.splice(at(lines, i), 0, `${JSON.stringify(key)}: 1`);
    return out;
  }),
);

const mutated = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(base, fc.array(yamlMutation, { maxLength: 6 }))
    .map(([text, ms]) => ms.reduce((lines, m) => m(lines), text.split('\n')).join('\n'));

const policyText = fc.oneof(
  { weight: 6, arbitrary: mutated(fc.constantFrom(shipped.defaults, ...shipped.pools)) },
  { weight: 1, arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: junk },
);

const policyCase = fc.record({
  defaults: policyText,
  pool: policyText,
  name: fc.constantFrom('web', 'checkout-api'),
});
type PolicyCase = { defaults: string; pool: string; name: string };

let dirs = 0;
function policyDir(c: PolicyCase): string {
  const dir = join(work, `policies-${dirs++}`);
  mkdirSync(join(dir, 'pools'), { recursive: true });
  writeFileSync(join(dir, 'defaults.yaml'), c.defaults);
  writeFileSync(join(dir, 'pools', `${c.name}.yaml`), c.pool);
  return dir;
}

// ── metric CSVs: a regular series, mutated ──

const weirdValue = fc.constantFrom(
  '1e308',
  '-1e308',
  'Infinity',
  '-Infinity',
  'NaN',
  '',
  'NA',
  'abc',
  '1e15',
  '-1e15',
  '1e16',
  '0x10',
  '1_000',
  ' 7 ',
  '"5"',
  '"1\n2"',
  '"unclosed',
  'x'.repeat(100_000),
);
const weirdTime = fc.constantFrom(
  '2026-02-30',
  '99999999999999999999',
  '1e17',
  '',
  'yesterday',
  '0999-01-01',
  '9999-12-31T23:00:00Z',
  '-1',
  '2026-13-01',
  '2026-01-01T25:00',
  '2026-01-05T00:00:00+99:00',
  '"2026-01-05\n"',
  '1000-01-01',
);

type Csv = { header: string[]; rows: string[][] };
type CsvMutation = (csv: Csv) => Csv;
const withRow = (csv: Csv, i: number, f: (row: string[]) => string[]): Csv => {
  if (csv.rows.length === 0) return csv;
  const k = i % csv.rows.length;
  return { ...csv, rows: csv.rows.map((r, j) => (j === k ? f([...r]) : r)) };
};

const csvMutation: fc.Arbitrary<CsvMutation> = fc.oneof(
  fc.tuple(fc.nat(), weirdValue).map(
    ([i, v]): CsvMutation =>
      (c) =>
        withRow(c, i, (r) => [r[0]!, v, ...r.slice(2)]),
  ),
  fc.tuple(fc.nat(), weirdTime).map(
    ([i, t]): CsvMutation =>
      (c) =>
        withRow(c, i, (r) => [t, ...r.slice(1)]),
  ),
  fc.nat().map((i): CsvMutation => (c) => ({
    ...c,
    rows: [...c.rows, ...c.rows.slice(i % (c.rows.length || 1), (i % (c.rows.length || 1)) + 1)],
  })),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 20 })).map(([i, n]): CsvMutation => (c) => {
    const k = i % (c.rows.length || 1);
    return { ...c, rows: [...c.rows.slice(0, k), ...c.rows.slice(k + n)] };
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): CsvMutation => (c) => {
    const rows = [...c.rows];
    const [a, b] = [i % (rows.length || 1), j % (rows.length || 1)];
    [rows[a], rows[b]] = [rows[b]!, rows[a]!];
    return { ...c, rows: rows.filter(Boolean) };
  }),
  fc.nat().map(
    (i): CsvMutation =>
      (c) =>
        withRow(c, i, (r) => [r[0]!, `${r[1]}1`, ...r.slice(2)]),
  ),
  fc.tuple(fc.nat(), junk).map(
    ([i, j]): CsvMutation =>
      (c) =>
        withRow(c, i, () => [j]),
  ),
  fc.nat().map(
    (i): CsvMutation =>
      (c) =>
        withRow(c, i, (r) => [...r, '42']),
  ),
  fc.nat().map(
    (i): CsvMutation =>
      (c) =>
        withRow(c, i, (r) => r.slice(0, 1)),
  ),
  fc.constantFrom<CsvMutation>(
    (c) => ({ ...c, rows: [] }),
    (c) => ({ header: [], rows: c.rows }),
    (c) => ({ ...c, header: ['x', 'y', 'z'] }),
    (c) => ({ ...c, header: ['series', ...c.header], rows: c.rows.map((r) => ['a', ...r]) }),
    (c) => ({ ...c, header: [...c.header, 'other'], rows: c.rows.map((r) => [...r, '1']) }),
    (c) => ({ ...c, rows: [...c.rows].reverse() }),
    (c) => ({ ...c, rows: [...c.rows, ...c.rows] }),
  ),
);

const stamp = (t: number, format: string) => {
  const iso = new Date(t).toISOString();
  if (format === 'epoch') return String(t / 1000);
  if (format === 'local') return iso.slice(0, 19).replace('T', ' ');
  return iso;
};

const csvText = fc
  .record({
    n: fc.integer({ min: 0, max: 400 }),
    step: fc.constantFrom(60_000, 3_600_000, 86_400_000),
    start: fc.integer({ min: 0, max: 60 * 365 }).map((d) => Date.UTC(1990, 0, 1) + d * 86_400_000),
    format: fc.constantFrom('iso', 'epoch', 'local'),
    level: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1e14)),
    mutations: fc.oneof(
      fc.constant<CsvMutation[]>([]),
      fc.array(csvMutation, { minLength: 1, maxLength: 3 }),
    ),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    // A cut mid-row is one refusal among many; rarely, so most cases reach the model.
    cut: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  })
  .map(({ n, step, start, format, level, mutations, eol, bom, cut }) => {
    const base: Csv = {
      header: ['timestamp', 'value'],
      rows: Array.from({ length: n }, (_, i) => [
        stamp(start + i * step, format),
        String(level + Math.round(100 * Math.sin(i / 5))),
      ]),
    };
    const csv = mutations.reduce((c, m) => m(c), base);
    const text = [csv.header, ...csv.rows].map((r) => r.join(',')).join(eol);
    const cutText = cut === null ? text : text.slice(0, cut % (text.length + 1));
    return `${bom ? '\ufeff' : ''}${cutText}`;
  });

let files = 0;
function csvFile(text: string): string {
  const file = join(work, `series-${files++}.csv`);
  writeFileSync(file, text);
  return file;
}

// ── spawned runs ──

/** Writes the child's peak resident memory (KB) where the env var says, at exit. */
const PEAK_MEMORY = `data:text/javascript,${encodeURIComponent(
  'import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(process.env.SHADOWCAST_FUZZ_RSS,String(process.resourceUsage().maxRSS)))',
)}`;

let spawned = 0;
function runCli(args: string[]): { code: number | null; stdout: string; stderr: string; rssMb: number } {
  const rssFile = join(work, `rss-${spawned++}`);
  const r = spawnSync(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, '--import', PEAK_MEMORY, cli, ...args],
    { cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SHADOWCAST_FUZZ_RSS: rssFile } },
  );
  // No file: the child died before its exit handlers (out of memory, killed by the timeout).
  const rssMb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : Infinity;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, rssMb };
}

/** One `policy validate` run, checked against what holds for any input. */
function validate(c: PolicyCase): ReturnType<typeof runCli> {
  const r = runCli(['policy', 'validate', '--policies', policyDir(c)]);
  expect([0, 2], r.stderr.slice(-2000)).toContain(r.code);
  expectClean(r.stderr, c.defaults + c.pool);
  if (r.code === 2) expectPolicyComplaints(r.stderr);
  expect(r.rssMb).toBeLessThan(RSS_MB);
  return r;
}

/** One `forecast --model naive` run, checked against what holds for any input. */
function forecast(text: string): ReturnType<typeof runCli> {
  const r = runCli(['forecast', '--input', csvFile(text), '--horizon', '24', '--model', 'naive']);
  expect([0, 2], r.stderr.slice(-2000)).toContain(r.code);
  expectClean(r.stderr, text);
  if (r.code === 2) {
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^shadowcast: .+:\d+(:\d+)?: .+$/);
  }
  expect(r.rssMb).toBeLessThan(RSS_MB);
  return r;
}

/** `policy validate`'s stderr on exit 2: each complaint on its line at file:line:col, then a count. */
function expectPolicyComplaints(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  const last = lines.at(-1)!;
  if (lines.length === 1 && /^shadowcast: /.test(last) && !/policy files?$/.test(last)) {
    expect(last).toMatch(/^shadowcast: .+:\d+(:\d+)?: .+$/);
    return;
  }
  expect(last).toMatch(/^shadowcast: \d+ errors? in \d+ policy files?$/);
  for (const line of lines.slice(0, -1)) expect(line).toMatch(/^.+:\d+:\d+: .+$/);
}

// ── the properties ──

describe('fuzz, in process: the functions the CLI calls', () => {
  it('policy files: every complaint is an InputError at file:line:col on one line, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(policyCase, async (c) => {
        const dir = policyDir(c);
        const input = c.defaults + c.pool;
        let set;
        try {
          set = await loadPolicyDir(dir);
        } catch (err) {
          // Only a whole file (too large, unreadable) is refused by throwing.
          expect(err).toBeInstanceOf(InputError);
          expect((err as InputError).line).toBeGreaterThanOrEqual(1);
          return;
        }
        for (const e of set.errors) {
          expect(e).toBeInstanceOf(InputError);
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.column).toBeGreaterThanOrEqual(1);
          expect(e.message).not.toMatch(/[\n\r]/);
          expect(e.message).toMatch(PLACED);
          expectClean(e.message, input);
        }
        for (const pool of set.pools.values()) {
          const numbers = JSON.stringify(pool.policy).match(/-?\d[\d.e+-]*/g) ?? [];
          for (const n of numbers) expect(Number.isFinite(Number(n))).toBe(true);
          expect(pool.policy.capacity.maxInstances).toBeLessThanOrEqual(10_000);
          expect(pool.policy.migration.bakeMs).toBeLessThanOrEqual(7 * 86_400_000);
          expect(pool.policy.forecast.horizonMs).toBeLessThanOrEqual(366 * 86_400_000);
        }
      }),
      { seed: 20_261_123, numRuns: 200 },
    );
  }, 60_000);

  it('metric CSVs, naive model: a forecast of finite numbers, or an InputError at file:line', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, async (text) => {
        const input = csvFile(text);
        try {
          const r = await forecastPool({ input, events: [], horizon: '24', level: 0.8, model: 'naive' });
          expect(r.forecast.mean).toHaveLength(24);
          for (let i = 0; i < 24; i++) {
            expect(Number.isFinite(r.forecast.lower[i]!) && Number.isFinite(r.forecast.upper[i]!)).toBe(true);
            expect(r.forecast.lower[i]!).toBeLessThanOrEqual(r.forecast.mean[i]!);
            expect(r.forecast.mean[i]!).toBeLessThanOrEqual(r.forecast.upper[i]!);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
          const e = err as InputError;
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.message).not.toMatch(/[\n\r]/);
          expect(e.message.startsWith(`${input}:${e.line}: `)).toBe(true);
          expect(e.message.length).toBeLessThan(input.length + 400);
          expectClean(e.message, text);
        }
      }),
      { seed: 20_261_124, numRuns: 200 },
    );
  }, 60_000);
});

describe(`fuzz, spawned: the built CLI, exit 0 or 2, within ${HEAP_MB} MB of heap and ${RSS_MB} MB resident`, () => {
  it('policy validate --policies DIR', () => {
    for (const c of fc.sample(policyCase, { seed: 7, numRuns: 8 })) validate(c);
  }, 120_000);

  it("policy validate refuses the issue's values, saying the limit", () => {
    const million = validate({ defaults: 'capacity:\n  minInstances: 1000000\n', pool: '', name: 'web' });
    expect(million.code).toBe(2);
    expect(million.stderr).toContain(
      'capacity.minInstances: 1000000 must be a whole number from 0 to 10,000',
    );
    const long = validate({
      defaults: 'migration:\n  bake: 100000d\n',
      pool: `forecast:\n  horizon: ${huge}h\n`,
      name: 'web',
    });
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('migration.bake: "100000d" is longer than the limit of 7d');
    expect(long.stderr).toContain('is longer than the limit of 366d');
  }, 60_000);

  it('forecast --input FILE --horizon 24 --model naive', () => {
    for (const text of fc.sample(csvText, { seed: 8, numRuns: 8 })) forecast(text);
  }, 120_000);

  it('forecast refuses a value of 1e308 at its line (it made MSTL fail with "undefined")', () => {
    const rows = Array.from(
      { length: 72 },
      (_, i) => `${1_700_000_000 + i * 3600},${i === 50 ? '1e308' : i}`,
    );
    const r = forecast(`timestamp,value\n${rows.join('\n')}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /:52: value "1e308" in column value is beyond ±1e15, the limit of a metric value\n$/,
    );
  }, 60_000);

  it('a CSV at the limit of 1,000,000 values forecasts, fitting on its most recent points', () => {
    const t0 = 1_500_000_000;
    const rows = Array.from({ length: 1_000_000 }, (_, i) => `${t0 + i * 60},${(i * 7919) % 1000}`);
    const r = runCli([
      'forecast',
      '--input',
      csvFile(`t,v\n${rows.join('\n')}\n`),
      '--horizon',
      '24',
      '--model',
      'naive',
    ]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(
      /^shadowcast: note: "series-\d+" has 1,000,000 points; models fit on the most recent 40,320\n$/,
    );
    expect(r.rssMb).toBeLessThan(RSS_MB);
  }, 120_000);
});
