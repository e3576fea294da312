// End-to-end tests that need the real Pulumi CLI: run wherever `pulumi` is on PATH; elsewhere print
// one line saying why they skip, unless SHADOWCAST_E2E_REQUIRED=1 (CI), where a missing CLI fails.

import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

/** The CLI's version, or undefined when it is not on PATH; registers the skip line or the failure. */
export function pulumiCli(suite: string): string | undefined {
  const r = spawnSync('pulumi', ['version'], { encoding: 'utf8' });
  const cli = r.status === 0 ? r.stdout.trim() : undefined;
  const required = process.env.SHADOWCAST_E2E_REQUIRED === '1';
  if (!cli && !required) {
    console.log(`${suite}: skipped: the pulumi CLI is not on PATH (see .github/workflows/pulumi.yml)`);
  }
  if (!cli && required) {
    it('has the pulumi CLI on PATH (SHADOWCAST_E2E_REQUIRED=1)', () => {
      expect.fail(
        'SHADOWCAST_E2E_REQUIRED=1, but the pulumi CLI is not on PATH: install it (pulumi/actions)',
      );
    });
  }
  return cli;
}
