// End-to-end tests that need the real Pulumi engine: the CLI and its plugins, either on PATH or
// built by `npm run engine` (engine/build.sh, which links engine/.bin to its cache). The engine's
// directory is put first on this process's PATH, so the Automation API and every plugin the CLI
// starts come from it, and the CLI is told never to download a plugin. Where there is no engine
// the suite prints one line saying why it skips, unless SHADOWCAST_E2E_REQUIRED=1 (CI), where a
// missing engine fails.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ENGINE_BIN = fileURLToPath(new URL('../../engine/.bin', import.meta.url));

/** The built engine's directory, put first on PATH when it exists. */
export function engineOnPath(): void {
  if (existsSync(join(ENGINE_BIN, 'pulumi')) && !process.env.PATH?.split(delimiter).includes(ENGINE_BIN)) {
    process.env.PATH = `${ENGINE_BIN}${delimiter}${process.env.PATH ?? ''}`;
  }
  // Plugins come from the engine's directory or nowhere: nothing is fetched while tests run.
  process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = 'true';
  process.env.PULUMI_SKIP_UPDATE_CHECK = 'true';
}

/** The CLI's version, or undefined when there is none; registers the skip line or the failure. */
export function pulumiCli(suite: string): string | undefined {
  engineOnPath();
  const r = spawnSync('pulumi', ['version'], { encoding: 'utf8' });
  const cli = r.status === 0 ? r.stdout.trim() : undefined;
  const required = process.env.SHADOWCAST_E2E_REQUIRED === '1';
  if (!cli && !required) {
    console.log(`${suite}: skipped: no pulumi CLI on PATH or in engine/.bin (build it: npm run engine)`);
  }
  if (!cli && required) {
    it('has the pulumi CLI (SHADOWCAST_E2E_REQUIRED=1)', () => {
      expect.fail(
        'SHADOWCAST_E2E_REQUIRED=1, but there is no pulumi CLI on PATH or in engine/.bin: build it with npm run engine',
      );
    });
  }
  return cli;
}

/** Whether an executable of this name is on PATH (after engineOnPath). */
export function onPath(name: string): boolean {
  engineOnPath();
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}
