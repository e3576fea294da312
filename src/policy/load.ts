// Reads policy files from disk: a policy directory (defaults.yaml and pools/<pool>.yaml), or a
// list of files as `policy validate` gets them. The resolving itself is pure (resolve.ts), so a
// diff can load two directories, or texts from two git refs, and compare the results.

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../core/errors.js';
import { MAX_POLICY_BYTES, tooLarge } from './document.js';
import { type PolicySet, type PolicyText, type PoolText, resolvePolicies } from './resolve.js';
import { POOL_NAME } from './schema.js';

import { DEFAULT_POLICY_DIR } from './paths.js';

export { DEFAULT_POLICY_DIR };
const DEFAULTS_FILE = 'defaults.yaml';
const POOLS_DIR = 'pools';
const LAYOUT = `policy files are ${DEFAULTS_FILE} and ${POOLS_DIR}/<pool>.yaml`;

async function entries(dir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(dir, undefined, `cannot read the directory: ${(err as Error).message}`);
  }
}

async function text(file: string): Promise<PolicyText> {
  try {
    const { size } = await stat(file);
    if (size > MAX_POLICY_BYTES) throw tooLarge(file, size);
    return { file, text: await readFile(file, 'utf8') };
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(file, undefined, code === 'ENOENT' ? 'no such file' : (err as Error).message);
  }
}

const isYaml = (name: string) => /\.ya?ml$/i.test(name);

/** A pool file's pool: its name without `.yaml`, if that is a valid pool name. */
function poolOf(file: string): { pool?: string; problem?: string } {
  const name = basename(file);
  if (!name.endsWith('.yaml')) return { problem: `name pool files <pool>.yaml (${LAYOUT})` };
  const pool = name.slice(0, -'.yaml'.length);
  if (!POOL_NAME.test(pool))
    return { problem: `"${pool}" is not a pool name: lowercase letters, digits and dashes` };
  return { pool };
}

async function resolveFiles(defaults: string | undefined, poolFiles: readonly string[]): Promise<PolicySet> {
  const misnamed: InputError[] = [];
  const pools: PoolText[] = [];
  for (const file of poolFiles) {
    const { pool, problem } = poolOf(file);
    if (pool) pools.push({ pool, ...(await text(file)) });
    else misnamed.push(new InputError(file, 1, problem!, 1));
  }
  const set = resolvePolicies({ defaults: defaults === undefined ? undefined : await text(defaults), pools });
  return {
    ...set,
    files: [...set.files, ...misnamed.map((e) => e.file)],
    errors: [...set.errors, ...misnamed],
  };
}

/**
 * Every pool of a policy directory: DIR/defaults.yaml (optional) over the built-in defaults,
 * each DIR/pools/<pool>.yaml over that. Other YAML files in DIR are reported, not skipped quietly.
 */
export async function loadPolicyDir(dir: string = DEFAULT_POLICY_DIR): Promise<PolicySet> {
  const top = await entries(dir);
  if (!top) throw new InputError(dir, undefined, `no such policy directory (${LAYOUT})`);
  const stray = top
    .filter((name) => isYaml(name) && name !== DEFAULTS_FILE)
    .map((name) => new InputError(join(dir, name), 1, `not a policy file: ${LAYOUT}`, 1));
  const pools = ((await entries(join(dir, POOLS_DIR))) ?? [])
    .filter(isYaml)
    .map((n) => join(dir, POOLS_DIR, n));
  const set = await resolveFiles(top.includes(DEFAULTS_FILE) ? join(dir, DEFAULTS_FILE) : undefined, pools);
  return { ...set, files: [...set.files, ...stray.map((e) => e.file)], errors: [...set.errors, ...stray] };
}

/**
 * The given files, each read as its place in the layout says: a pool file (in a `pools`
 * directory) over its directory's defaults.yaml when there is one; a defaults.yaml alone; any
 * other YAML as a pool file over the built-in defaults only.
 */
export async function loadPolicyFiles(files: readonly string[]): Promise<PolicySet> {
  const groups = new Map<string, { defaults?: string; pools: string[] }>();
  const group = (key: string) => groups.get(key) ?? groups.set(key, { pools: [] }).get(key)!;
  for (const file of files) {
    const dir = dirname(file);
    if (basename(file) === DEFAULTS_FILE) group(dir).defaults = file;
    else if (basename(dir) === POOLS_DIR) group(dirname(dir)).pools.push(file);
    else group(`\0${file}`).pools.push(file);
  }
  const sets: PolicySet[] = [];
  for (const [key, g] of groups) {
    const own = key.startsWith('\0') ? undefined : join(key, DEFAULTS_FILE);
    const defaults =
      g.defaults ??
      (own && g.pools.length && (await entries(key))?.includes(DEFAULTS_FILE) ? own : undefined);
    sets.push(await resolveFiles(defaults, g.pools));
  }
  return {
    files: sets.flatMap((s) => s.files),
    pools: new Map(sets.flatMap((s) => [...s.pools])),
    poolFiles: new Map(sets.flatMap((s) => [...s.poolFiles])),
    errors: sets.flatMap((s) => s.errors),
  };
}
