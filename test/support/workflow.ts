// A GitHub Actions workflow of .github/workflows as the workflow tests read it: the parts they
// check (triggers, permissions, jobs and their steps), parsed from the repository's own file.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}

export interface Workflow {
  on: Record<string, { paths?: string[] } | null>;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const root = resolve(import.meta.dirname, '..', '..');

/** `.github/workflows/NAME`, parsed. */
export function readWorkflow(name: string): Workflow {
  return parse(readFileSync(join(root, '.github', 'workflows', name), 'utf8')) as Workflow;
}

/** Every `run:` script of the job, one after another. */
export const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
