// Warnings of `policy validate`: a guardrail below the pool's own minimum (which once planned a
// pool to zero and now holds it), and a gate on a metric the simulated fleet never records (which
// failed every shift of the shipped checkout-api policy). Both are printed as file:line and exit 0.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIM_HEALTH_METRICS } from '../../src/deploy/sim/serve.js';
import { resolvePolicies } from '../../src/policy/resolve.js';
import { policyWarnings } from '../../src/policy/warnings.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function warningsOf(pool: string) {
  const set = resolvePolicies({ pools: [{ pool: 'web', file: 'pools/web.yaml', text: pool }] });
  expect(set.errors).toEqual([]);
  return policyWarnings(set.pools.get('web')!, SIM_HEALTH_METRICS).map((w) => `${w.where}: ${w.message}`);
}

describe('policy warnings', () => {
  it.each([
    {
      name: 'an instance cap below the minimum',
      text: 'capacity: { minInstances: 4 }\nshadow: { minSize: 0 }\nguardrails:\n  maxTotalInstances: 3\n',
      want: /^pools\/web.yaml:4: guardrails.maxTotalInstances 3 is below the pool's own minimum \(4 primary\), 4 instances/,
    },
    {
      name: 'a cost cap below what the minimum costs',
      text: 'capacity: { minInstances: 4, hourlyCost: 0.17 }\nshadow: { minSize: 0 }\nguardrails:\n  maxHourlyCost: 0.6\n',
      want: /^pools\/web.yaml:4: guardrails.maxHourlyCost 0.6 is below what the pool's own minimum \(4 primary\) costs, 0.68\/h/,
    },
    {
      name: 'a gate on a metric the simulated fleet does not record',
      text: 'migration:\n  gates:\n    - { metric: cpu_seconds, max: 3 }\n',
      want: /^pools\/web.yaml:2: migration.gates: metric cpu_seconds is not one the simulated fleet records/,
    },
  ])('$name', ({ text, want }) => {
    const got = warningsOf(text);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(want);
  });

  it('none for the built-in defaults or a gate on availability', () => {
    expect(warningsOf('mode: recommend\n')).toEqual([]);
    expect(warningsOf('migration:\n  gates:\n    - { metric: availability, min: 0.999 }\n')).toEqual([]);
  });

  it('policy validate prints them as warnings and still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-policy-warn-'));
    mkdirSync(join(dir, 'pools'));
    writeFileSync(join(dir, 'defaults.yaml'), 'guardrails:\n  maxTotalInstances: 3\n');
    writeFileSync(join(dir, 'pools', 'web.yaml'), 'capacity: { minInstances: 4 }\n');
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [cli, 'policy', 'validate', '--policies', dir], (err, stdout, stderr) =>
        done({ code: err ? Number(err.code) : 0, stdout, stderr }),
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('policies OK: 2 files, 1 pool (web)\n');
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: ${dir}/defaults.yaml:2: web: guardrails.maxTotalInstances 3 is below the pool's own minimum`,
      ),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
