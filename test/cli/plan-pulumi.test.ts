// `plan --target pulumi` prints the engine's own diff of the plan's next update (`pulumi preview`
// of step 1 on the pool's stack, here the local target), and in mode recommend plans without the
// Pulumi CLI at all: the preview is then "not available" and nothing fails.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyModePolicies, root, runCli } from '../../bench/migration-fixture.js';
import { pulumiCli } from '../support/pulumi-cli.js';

const cli = pulumiCli('plan --target pulumi');
const template = join(root, 'Pulumi.example-local.yaml');
let dir: string;

/** A state directory whose simulated fleet exists (made by apply --target sim) and policies in `mode`. */
async function stateWithFleet(mode: 'apply' | 'recommend'): Promise<string> {
  const d = mkdtempSync(join(tmpdir(), 'shadowcast-plan-pulumi-'));
  applyModePolicies(d);
  const pool = join(d, 'policies', 'pools', 'storefront.yaml');
  const common = ['--state', d, '--policies', join(d, 'policies'), '--pool', 'storefront'];
  expect((await runCli(['plan', ...common, '--target', 'sim'])).code).toBe(0);
  expect((await runCli(['apply', '--yes', ...common, '--target', 'sim'])).code).toBe(0);
  // Six instances at least from now on: the next plan has steps.
  const text = readFileSync(pool, 'utf8').replace(/minInstances: 4\b.*/, 'minInstances: 6');
  writeFileSync(pool, mode === 'apply' ? text : text.replace(/\nmode: apply\n/, '\nmode: recommend\n'));
  return d;
}

const planPulumi = (d: string, env: Record<string, string> = {}) =>
  runCli(
    [
      'plan',
      '--state',
      d,
      '--policies',
      join(d, 'policies'),
      '--pool',
      'storefront',
      '--target',
      'pulumi',
      '--stack-template',
      template,
      '--stack-name',
      `e2e-<pool>-plan-${process.pid}`,
    ],
    root,
    env,
  );

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  rmSync(join(root, `Pulumi.e2e-storefront-plan-${process.pid}.yaml`), { force: true });
});

describe('plan --target pulumi, mode recommend, no Pulumi CLI anywhere', () => {
  it('plans, says the preview is not available and why, exits 0', async () => {
    const d = await stateWithFleet('recommend');
    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((p) => p && !existsSync(join(p, 'pulumi')))
      .join(delimiter);
    const r = await planPulumi(d, { PATH: path });
    rmSync(d, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\npreview: not available \(the pulumi CLI is not on PATH; install it/);
    expect(r.stdout).toMatch(/provision primary 4 -> 6/);
  });
});

describe.skipIf(!cli)(`plan --target pulumi through the engine (${cli ?? 'no CLI'})`, () => {
  beforeAll(async () => {
    dir = await stateWithFleet('apply');
  }, 120_000);

  it("prints pulumi preview's summary of step 1, and changes nothing", async () => {
    const updates = () =>
      (JSON.parse(readFileSync(join(dir, 'sim', 'storefront.json'), 'utf8')) as { updates: unknown[] })
        .updates.length;
    const before = updates();
    const r = await planPulumi(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\npreview of step 1 \(storefront#1:provision\): \d+ to create\n/);
    expect(updates()).toBe(before);
  }, 120_000);
});
