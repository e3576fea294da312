// The fast tier starts no process and no server: a test file that spawns one (itself, or through a
// support helper that does) must be listed in test/tiers.ts, which `npm run test:integration` runs.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTEGRATION } from './tiers.js';

const root = resolve(import.meta.dirname, '..');

/** What starts a process or a server in a test file, itself or through a helper that does. */
const STARTS =
  /spawn|execFile|fork\(|createServer|new Worker|worker_threads|LocalWorkspace|support\/(chromium|cloudwatch-stub|fake-aws|fake-kube|plugin-stack|prometheus-server|pulumi-cli|report-page)/;
/** bench/migration-fixture's helpers that run the built CLI. */
const SPAWNING_FIXTURE = /import\s*\{([^}]*)\}\s*from\s*'[./]*bench\/migration-fixture(?:\.js)?'/g;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

function startsProcesses(text: string): boolean {
  if (STARTS.test(text)) return true;
  for (const m of text.matchAll(SPAWNING_FIXTURE)) {
    const names = m[1]!.split(',').map((n) => n.trim());
    if (names.some((n) => n === 'runCli' || n === 'cli' || n === 'apply')) return true;
  }
  return false;
}

describe('the test tiers', () => {
  const files = testFiles(join(root, 'test')).map((f) => relative(root, f));

  it('lists every test file that starts a process or a server in the integration tier', () => {
    const missing = files.filter(
      (f) =>
        f !== 'test/tiers.test.ts' &&
        !INTEGRATION.includes(f) &&
        startsProcesses(readFileSync(join(root, f), 'utf8')),
    );
    expect(missing, 'add these to test/tiers.ts').toEqual([]);
  });

  it('lists only files that exist', () => {
    expect(INTEGRATION.filter((f) => !files.includes(f))).toEqual([]);
  });
});
