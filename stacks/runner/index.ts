// The runner stack: a Pulumi project of its own (stacks/runner/Pulumi.yaml, `shadowcast-runner`)
// that declares one ShadowcastRunner from its `shadowcast-runner:*` config. It is not one of the
// pool stacks: those are the project in the repository root, which the runner drives.
// Pulumi.example.yaml has every key; the README's "Running in production" walks through it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { checkRunnerArgs, RunnerArgsError } from './args.js';
import { ShadowcastRunner } from './component.js';
import { PROJECT, runnerProgramConfig, type FileAccess } from './program-config.js';

/** Files relative to the project directory, where the CLI runs the program. */
const files: FileAccess = {
  resolve: (path) => resolve(process.cwd(), path),
  readText: (file) => readFileSync(file, 'utf8'),
  readTree: (dir) => {
    const tree: Record<string, string> = {};
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      tree[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
    return tree;
  },
};

function declare(): ShadowcastRunner {
  try {
    const { name, args } = runnerProgramConfig(pulumi.runtime.allConfig(), files);
    try {
      checkRunnerArgs(name, args);
    } catch (err) {
      // Named by the config key that set it.
      if (err instanceof RunnerArgsError) throw new RunnerArgsError(`${PROJECT}:${err.key}`, err.problem);
      throw err;
    }
    return new ShadowcastRunner(name, args);
  } catch (err) {
    // A RunError prints its message alone, with no stack trace.
    if (err instanceof RunnerArgsError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const runner = declare();

export const namespace = runner.namespace;
export const serviceAccount = runner.serviceAccount.metadata.name;
/** The CronJobs or Deployments, shard 0 first. */
export const workloads = runner.runners.map((r) => r.workload.metadata.name);
/** Each runner's state volume, shard 0 first. */
export const stateClaims = runner.runners.map((r) => r.claim.metadata.name);
export const metricsService = runner.service?.metadata.name;
