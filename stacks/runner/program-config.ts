// The runner stack's config (`shadowcast-runner:*` keys, as Pulumi hands them to the program: text,
// objects as JSON) → ShadowcastRunnerArgs. Three keys name files instead of holding them, read
// relative to the project directory: `policiesDir` (its policy YAML), `specsDir` (every file) and
// `stackTemplateFile`. File access comes in as functions, so this stays testable without a disk.

import { KNOWN_ARGS, type ShadowcastRunnerArgs } from './args.js';
import { RunnerArgsError } from './errors.js';

export const PROJECT = 'shadowcast-runner';
/** Keys that are not args: files to read into one, and the runner's name. */
const FILE_KEYS = { policiesDir: 'policies', specsDir: 'specs', stackTemplateFile: 'stackTemplate' } as const;
const OTHER_KEYS = ['name', ...Object.keys(FILE_KEYS)];
/** Args whose config value is plain text, not JSON. */
const TEXT_ARGS = new Set([
  'image',
  'imagePullPolicy',
  'mode',
  'schedule',
  'timeZone',
  'namespace',
  'backendUrl',
  'target',
  'stackTemplate',
  'stackName',
  'name',
  ...Object.keys(FILE_KEYS),
]);

export interface FileAccess {
  /** Every file under `dir`, by path relative to it (`/`-separated), with its text. */
  readTree(dir: string): Record<string, string>;
  readText(file: string): string;
  /** `path` against the project directory. */
  resolve(path: string): string;
}

export interface RunnerProgramConfig {
  name: string;
  args: ShadowcastRunnerArgs;
}

/**
 * `config`: every config value of the stack by full key (`shadowcast-runner:image`, and other
 * namespaces, which are ignored). Throws RunnerArgsError with the full key on a value that cannot
 * be read; the args themselves are checked by the component.
 */
export function runnerProgramConfig(config: Record<string, string>, files: FileAccess): RunnerProgramConfig {
  const prefix = `${PROJECT}:`;
  const raw: Record<string, unknown> = {};
  const known = new Set<string>([...KNOWN_ARGS, ...OTHER_KEYS]);
  for (const [fullKey, value] of Object.entries(config)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (!known.has(key)) {
      throw new RunnerArgsError(fullKey, `unknown key; known: ${[...known].sort().join(', ')}`);
    }
    raw[key] = TEXT_ARGS.has(key) ? value : json(fullKey, value);
  }
  for (const [key, arg] of Object.entries(FILE_KEYS)) {
    if (raw[key] === undefined) continue;
    if (raw[arg] !== undefined) {
      throw new RunnerArgsError(`${prefix}${key}`, `give ${prefix}${key} or ${prefix}${arg}, not both`);
    }
    const path = files.resolve(raw[key] as string);
    try {
      if (key === 'stackTemplateFile') raw[arg] = files.readText(path);
      else {
        const tree = files.readTree(path);
        raw[arg] = key === 'policiesDir' ? policyFiles(tree) : tree;
      }
    } catch (err) {
      throw new RunnerArgsError(`${prefix}${key}`, `cannot read ${path}: ${(err as Error).message}`);
    }
    delete raw[key];
  }
  const name = (raw.name as string | undefined) ?? 'shadowcast';
  delete raw.name;
  return { name, args: raw as unknown as ShadowcastRunnerArgs };
}

function json(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new RunnerArgsError(key, `${JSON.stringify(value)} is not a number, true/false, list or map`);
  }
}

/**
 * What the policy loader reads, defaults.yaml and pools/<pool>.yaml: the directory also holds the
 * CrossGuard pack and the JSON schema, which the runner does not need.
 */
function policyFiles(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree).filter(([path]) => path === 'defaults.yaml' || /^pools\/[^/]+\.yaml$/.test(path)),
  );
}
