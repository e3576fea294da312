// A throwaway stack for end-to-end tests of shadowcast's provider plugin: an inline program, a
// file backend and working directory in a temporary directory inside the repository (the language
// host resolves @pulumi/pulumi from there), and the built plugin (dist/: the engine cannot run
// TypeScript) first on the CLI's PATH.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalWorkspace, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { resolveBackend } from '../../src/deploy/pulumi/config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PluginStack {
  stack: Stack;
  /** The temporary directory (backend, work directory, plugin shim); `remove` deletes it. */
  root: string;
  remove(): Promise<void>;
}

export async function pluginStack(
  project: string,
  program: PulumiFn,
  envVars: Record<string, string> = {},
): Promise<PluginStack> {
  await mkdir(join(ROOT, '.shadowcast'), { recursive: true });
  const root = await mkdtemp(join(ROOT, '.shadowcast', `${project}-`));
  const plugin = (await import(join(ROOT, 'dist', 'src', 'deploy', 'pulumi', 'provider-plugin.js'))) as {
    pluginShim: (stateDir: string) => Promise<string>;
  };
  const shim = await plugin.pluginShim(join(root, 'state'));
  const workDir = join(root, 'work');
  await mkdir(workDir);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: 'e2e', projectName: project, program },
    {
      workDir,
      envVars: {
        ...resolveBackend({ stateDir: join(root, 'state') }).envVars,
        PATH: `${shim}${delimiter}${process.env.PATH ?? ''}`,
        ...envVars,
      },
    },
  );
  return { stack, root, remove: () => rm(root, { recursive: true, force: true }) };
}
