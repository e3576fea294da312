// Policy directories and file lists on disk (temporary directories, real files): the layout, files
// that do not fit it, two directories side by side (what a diff will compare), and the committed
// policies/ itself, which must validate and name its JSON Schema.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { policyJsonSchema } from '../../bench/json-schema.js';
import { loadPolicyDir, loadPolicyFiles } from '../../src/policy/load.js';
import { formatSource } from '../../src/policy/provenance.js';

const root = resolve(import.meta.dirname, '..', '..');
const policies = join(root, 'policies');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-policy-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('loadPolicyDir', () => {
  it('resolves every pool of a directory, each over defaults.yaml', async () => {
    const dir = tree({
      'defaults.yaml': 'capacity:\n  unitsPerInstance: 50\n',
      'pools/web.yaml': 'capacity: { maxInstances: 10 }\n',
      'pools/api.yaml': '',
    });
    const set = await loadPolicyDir(dir);
    expect(set.errors).toEqual([]);
    expect([...set.pools.keys()].sort()).toEqual(['api', 'web']);
    const web = set.pools.get('web')!;
    expect(web.policy.capacity).toMatchObject({ unitsPerInstance: 50, maxInstances: 10 });
    const source = (f: string) => formatSource(web.fields.find((x) => x.field === f)!.source);
    expect(source('capacity.unitsPerInstance')).toBe(`${join(dir, 'defaults.yaml')}:2`);
    expect(source('capacity.maxInstances')).toBe(`${join(dir, 'pools', 'web.yaml')}:1`);
  });

  it('works without defaults.yaml (built-in defaults only)', async () => {
    const set = await loadPolicyDir(tree({ 'pools/web.yaml': 'mode: apply\n' }));
    expect(set.errors).toEqual([]);
    expect(set.pools.get('web')!.policy.mode).toBe('apply');
  });

  it('reports YAML files outside the layout and pool files with bad names, and still loads the rest', async () => {
    const dir = tree({
      'storefront.yaml': 'mode: apply\n',
      'pools/Web.yaml': '',
      'pools/api.yml': '',
      'pools/ok.yaml': '',
      'README.md': 'not YAML, not reported',
    });
    const set = await loadPolicyDir(dir);
    expect(set.errors.map((e) => e.message).sort()).toEqual([
      `${join(dir, 'pools', 'Web.yaml')}:1:1: "Web" is not a pool name: lowercase letters, digits and dashes`,
      `${join(dir, 'pools', 'api.yml')}:1:1: name pool files <pool>.yaml (policy files are defaults.yaml and pools/<pool>.yaml)`,
      `${join(dir, 'storefront.yaml')}:1:1: not a policy file: policy files are defaults.yaml and pools/<pool>.yaml`,
    ]);
    expect([...set.pools.keys()]).toEqual(['ok']);
  });

  it('refuses a missing directory with one clear error', async () => {
    const missing = join(tmpdir(), 'shadowcast-no-such-policies');
    await expect(loadPolicyDir(missing)).rejects.toThrow(
      new InputError(
        missing,
        undefined,
        'no such policy directory (policy files are defaults.yaml and pools/<pool>.yaml)',
      ),
    );
  });

  it('loads two directories side by side, as a diff will', async () => {
    const before = await loadPolicyDir(tree({ 'pools/web.yaml': 'capacity: { maxInstances: 10 }\n' }));
    const after = await loadPolicyDir(tree({ 'pools/web.yaml': 'capacity: { maxInstances: 12 }\n' }));
    expect(before.pools.get('web')!.policy.capacity.maxInstances).toBe(10);
    expect(after.pools.get('web')!.policy.capacity.maxInstances).toBe(12);
  });
});

describe('loadPolicyFiles', () => {
  it("checks a pool file over its directory's defaults.yaml", async () => {
    const dir = tree({
      'defaults.yaml': 'capacity: { minInstances: 10 }\n',
      'pools/web.yaml': 'capacity:\n  maxInstances: 8\n',
    });
    const set = await loadPolicyFiles([join(dir, 'pools', 'web.yaml')]);
    expect(set.files).toEqual([join(dir, 'defaults.yaml'), join(dir, 'pools', 'web.yaml')]);
    expect(set.errors.map((e) => e.message)).toEqual([
      `${join(dir, 'pools', 'web.yaml')}:2:3: capacity.maxInstances: 8 must be at least capacity.minInstances (10 from ${join(dir, 'defaults.yaml')}:1)`,
    ]);
  });

  it('checks a file outside the layout over the built-in defaults, named after the file', async () => {
    const dir = tree({ 'web.yaml': 'mode: apply\n' });
    const set = await loadPolicyFiles([join(dir, 'web.yaml')]);
    expect(set.errors).toEqual([]);
    expect([...set.pools.keys()]).toEqual(['web']);
  });

  it('refuses a file over the 1 MiB size limit at line 1, before reading it', async () => {
    const dir = tree({ 'pools/web.yaml': `${'# padding\n'.repeat(110_000)}mode: apply\n` });
    const file = join(dir, 'pools', 'web.yaml');
    await expect(loadPolicyFiles([file])).rejects.toThrow(
      `${file}:1:1: the file is 1100012 bytes, more than the limit of 1048576 bytes (1 MiB) for a policy file`,
    );
  });

  it('refuses YAML nested too deeply as one complaint, not a crash', async () => {
    const dir = tree({ 'pools/web.yaml': `mode: ${'['.repeat(5000)}${']'.repeat(5000)}\n` });
    const set = await loadPolicyFiles([join(dir, 'pools', 'web.yaml')]);
    expect(set.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/web\.yaml:1:\d+: not valid YAML: nested too deeply for a policy file$/),
    ]);
  });

  it('refuses a missing file by name', async () => {
    await expect(loadPolicyFiles(['no/such/pools/web.yaml'])).rejects.toThrow(
      'no/such/pools/web.yaml: no such file',
    );
  });
});

describe('the committed policies/', () => {
  it('validates, with the example pools', async () => {
    const set = await loadPolicyDir(policies);
    expect(set.errors.map((e) => e.message)).toEqual([]);
    expect([...set.pools.keys()].sort()).toEqual(['checkout-api', 'storefront']);
  });

  it('sizes storefront so its busiest hour needs 10 to 30 instances', async () => {
    const set = await loadPolicyDir(policies);
    const { capacity } = set.pools.get('storefront')!.policy;
    const csv = readFileSync(join(root, 'forecasts', 'data', 'storefront.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const peak = Math.max(...csv.map((row) => Number(row.split(',')[1])));
    const needed = Math.ceil((peak * (1 + capacity.headroomPercent / 100)) / capacity.unitsPerInstance);
    expect(needed).toBeGreaterThanOrEqual(10);
    expect(needed).toBeLessThanOrEqual(Math.min(30, capacity.maxInstances));
  });

  it('every policy YAML names the JSON Schema on its first line, by a path that exists', () => {
    const files = ['defaults.yaml', ...readdirSync(join(policies, 'pools')).map((f) => join('pools', f))];
    for (const file of files) {
      const first = readFileSync(join(policies, file), 'utf8').split('\n')[0]!;
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(match, file).not.toBeNull();
      expect(resolve(policies, file, '..', match![1]!), file).toBe(join(policies, 'policy.schema.json'));
    }
  });

  it('policy.schema.json is what `npm run policy-schema` writes from the zod schema (not stale)', () => {
    const committed = JSON.parse(readFileSync(join(policies, 'policy.schema.json'), 'utf8'));
    expect(committed, 'stale: run `npm run policy-schema`').toEqual(policyJsonSchema());
  });
});
