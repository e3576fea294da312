// `run` scores a pool's nodes with the model its policy names (`risk.model`), read from beside the
// policy file that names it; a model file that is not one is bad input naming the file.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `run --once` with these policies and a fresh state directory. */
const runOnce = (policies: string) =>
  run([
    'run',
    '--once',
    '--no-report',
    '--policies',
    policies,
    '--state',
    mkdtempSync(join(tmpdir(), 'sc-')),
  ]);

/** The shipped policies with `risk.model` set in defaults.yaml, and a model file `models/M.json`. */
function policiesWith(model: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-run-model-'));
  cpSync(join(root, 'policies'), dir, { recursive: true });
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', model), content);
  const defaults = readFileSync(join(dir, 'defaults.yaml'), 'utf8');
  writeFileSync(join(dir, 'defaults.yaml'), `${defaults}\nrisk:\n  model: models/${model}\n`);
  return dir;
}

describe("run with the policy's risk model", () => {
  it('scores every node with the model the policy names, and says which', () => {
    // The built-in model with both stacks' intercepts raised: it reads every node as failing.
    const builtIn = JSON.parse(readFileSync(join(root, 'src', 'risk', 'default-model.json'), 'utf8'));
    for (const stack of Object.values(builtIn.consensus) as { weights: number[] }[]) stack.weights[0] = 30;
    const policies = policiesWith('alarmed.json', JSON.stringify(builtIn));
    const r = runOnce(policies);
    expect(r.code, r.stderr).toBe(0);
    const risk = r.stdout.slice(r.stdout.indexOf('storefront: node risk'));
    expect(risk).toContain(`(model ${join(policies, 'models', 'alarmed.json')};`);
    for (const n of ['storefront-p-1', 'storefront-p-2', 'storefront-p-3', 'storefront-p-4']) {
      expect(risk).toMatch(new RegExp(`${n}\\s+1\\.000\\s+\\S+\\s+(provision|transition)`));
    }
    // The built-in model, for contrast, flags only the degraded node.
    const plain = run(['run', '--once', '--no-report', '--state', mkdtempSync(join(tmpdir(), 'sc-'))]);
    expect(plain.stdout).toContain('(built-in model;');
    expect(plain.stdout).toMatch(/storefront-p-1\s+0\.\d+\s+\S+\s+ok/);
  });

  it('refuses a model file that is not a model, naming it, exit 2', () => {
    const policies = policiesWith('broken.json', '{"format": "something else"}\n');
    const r = runOnce(policies);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(policies, 'models', 'broken.json')}:1`);
    expect(r.stderr).toContain('not a shadowcast risk model');
  });
});
