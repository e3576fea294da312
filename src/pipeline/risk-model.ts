// The failure-risk model a command scores nodes with: the built-in one, or a model file from
// `shadowcast risk train` (named by `risk score --model` or a policy's `risk.model`). A file is
// read and checked once per process; what is wrong with it is bad input with its place (exit 2).

import { readInput } from '../metrics/read-input.js';
import { defaultModel } from '../risk/default-model.js';
import type { RiskModelFile } from '../risk/model.js';

export const BUILT_IN_MODEL = 'built-in';

const cache = new Map<string, Promise<RiskModelFile>>();

/** The built-in model for `built-in` (or nothing), else the model file at `file`. */
export function loadRiskModel(file: string | undefined): Promise<RiskModelFile> {
  if (file === undefined || file === BUILT_IN_MODEL) return Promise.resolve(defaultModel());
  let model = cache.get(file);
  if (!model) {
    model = readModelFile(file);
    cache.set(file, model);
    // A file fixed after a failed read is read again on the next run.
    model.catch(() => cache.delete(file));
  }
  return model;
}

async function readModelFile(file: string): Promise<RiskModelFile> {
  // The JSON reader (with line numbers) and the schema library load only when a model file is read.
  const { readJson } = await import('../risk/graph-text.js');
  const json = readJson(file, await readInput(file), 'a model written by `shadowcast risk train`');
  const { RiskModelSchema } = await import('../risk/model-schema.js');
  const parsed = RiskModelSchema.safeParse(json.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    throw json.fail(path, `not a shadowcast risk model: ${path.join('.') || 'file'}: ${issue.message}`);
  }
  return parsed.data as RiskModelFile;
}
