import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePolicies } from '../../src/policy/resolve.js';
import { policyDiffMarkdown } from '../../src/report/policy-diff.js';
import { forecastOf, HOUR, T0 } from '../plan/fixtures.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

const set = (pool: string) =>
  resolvePolicies({ pools: [{ pool: 'web', file: 'pools/web.yaml', text: pool }] });

describe('policy diff markdown', () => {
  const base = set(
    'capacity:\n  unitsPerInstance: 100\n  headroomPercent: 20\nshadow:\n  bufferPercent: 0\n',
  );
  const head = set(
    'capacity:\n  unitsPerInstance: 100\n  headroomPercent: 20\nshadow:\n  bufferPercent: 50\nmigration:\n  stepSize: 0.2\n',
  );
  // Mean 1,000 units all day, upper 1,200 (spread 0.2).
  const fc = { forecast: forecastOf(T0, HOUR, Array(24).fill(1000)), model: 'mstl', observed: 1000 };
  const md = policyDiffMarkdown({
    baseLabel: 'main',
    headLabel: 'pr',
    base,
    head,
    forecasts: new Map([['web', { base: fc, head: fc }]]),
  });

  it('lists each changed field with the line that set it', () => {
    expect(md).toContain('| `shadow.bufferPercent` | `0` | `50` | pools/web.yaml:5 |');
    expect(md).toContain('| `migration.stepSize` | `0.1` | `0.2` | pools/web.yaml:7 |');
    expect(md).not.toContain('headroomPercent');
  });

  it('says what changes in numbers on the forecast', () => {
    // Before: need 1000 × 1.2 = 1200, no buffer: primary 12, shadow at its minimum of 1. After:
    // upper 1200 × 1.5 = 1800 in all, (1800 − 1200) / 1800 = 1/3 above the primary's need, to the
    // nearest step of the new 0.2 = 0.4: primary 0.6 × 1800 / 100 = 11, shadow 0.4 × 1800 / 100 = 8.
    expect(md).toContain('primary at the next peak: 12 instances → 11 instances (-1 instances)');
    expect(md).toContain('shadow pool at the next peak: 1 instances → 8 instances (+7 instances)');
    // 13 × 0.096 = 1.248 → 19 × 0.096 = 1.824 an hour.
    expect(md).toContain('cost at the next peak: $1.25/h → $1.82/h (+$0.58/h)');
    expect(md).toContain(
      'a full traffic shift: 10 steps of 10% × 2 min bake = 20 min → 5 steps of 20% × 2 min bake = 10 min',
    );
  });

  it('says what the standby and zone settings change', () => {
    const a = set('standby:\n  sync: 15m\n');
    const b = set('capacity:\n  zoneLoss: always\nstandby:\n  sync: 5m\n  dwell: 20m\n');
    const text = policyDiffMarkdown({
      baseLabel: 'a',
      headLabel: 'b',
      base: a,
      head: b,
      forecasts: new Map(),
    });
    expect(text).toContain("a warm standby's data is synced every 15 min → 5 min");
    expect(text).toContain(
      'against losing a zone: reserved when a zone is at risk → any one zone can be lost',
    );
    expect(text).toContain('a node is switched out after the score holds for 10 min → 20 min');
  });

  it('says so when nothing changes', () => {
    expect(
      policyDiffMarkdown({ baseLabel: 'a', headLabel: 'b', base, head: base, forecasts: new Map() }),
    ).toContain('No pool changes behaviour.');
  });
});

describe('policy diff on the command line', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

  it('compares two directories without forecasting', () => {
    const r = run(['policy', 'diff', 'policies', 'examples/policy-change', '--no-forecast']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('### shadowcast policy diff: `policies` → `examples/policy-change`');
    expect(r.stdout).toContain('`migration.stepSize` | `0.05` | `0.1`');
  });

  it('refuses a head with an invalid policy: exit 2, file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-diff-'));
    cpSync(join(root, 'policies'), dir, { recursive: true });
    const file = join(dir, 'pools', 'storefront.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('headroomPercent: 30', 'headroomPercent: -5'));
    const r = run(['policy', 'diff', 'policies', dir, '--no-forecast']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^shadowcast: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses something that is neither a directory nor a git ref', () => {
    const r = run(['policy', 'diff', 'no-such-ref-or-dir', 'policies']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"no-such-ref-or-dir" is neither a policy directory nor a git ref');
  });
});
