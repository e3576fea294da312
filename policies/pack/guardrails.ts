// The policies the pack enforces are the planner's own: policies/defaults.yaml and
// policies/pools/<pool>.yaml, resolved by src/policy exactly as `shadowcast plan` resolves them, so
// one pull request changes what the planner asks for and what the pack lets through.

import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { loadPolicyDir } from '../../src/policy/load.js';
import {
  type PolicyText,
  type PoolText,
  type ResolvedPool,
  resolvePolicies,
} from '../../src/policy/resolve.js';
import type { PolicyLookup, PoolPolicy } from './rules.js';

/** The subject of a message about a field: the file that set it, or the built-in default. */
function poolPolicy(resolved: ResolvedPool, pool: string): PoolPolicy {
  const sources = new Map(resolved.fields.map((f) => [f.field, f.source]));
  return {
    pool,
    policy: resolved.policy,
    from(field) {
      const source = sources.get(field);
      return source?.kind === 'file' ? source.file : 'the built-in default';
    },
  };
}

/**
 * The lookup over policy texts (file names as messages should show them). A pool without a file
 * of its own gets the organisation defaults, as the planner gives them. Throws on any complaint.
 */
export function guardrailsFrom(input: { defaults?: PolicyText; pools: readonly PoolText[] }): PolicyLookup {
  const set = resolvePolicies(input);
  if (set.errors.length) {
    throw new Error(
      `the policy files do not resolve:\n${set.errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
  }
  const cache = new Map<string, PoolPolicy>();
  return (pool) => {
    const known = cache.get(pool);
    if (known) return known;
    let resolved = set.pools.get(pool);
    if (!resolved) {
      // No file: the defaults alone, resolved as an empty pool file over them.
      const alone = resolvePolicies({
        defaults: input.defaults,
        pools: [{ pool, file: `${pool} (no policy file)`, text: '' }],
      });
      resolved = alone.pools.get(pool)!;
    }
    const p = poolPolicy(resolved, pool);
    cache.set(pool, p);
    return p;
  };
}

/**
 * A policy directory (defaults.yaml, pools/<pool>.yaml) as the pack enforces it, checked as
 * `shadowcast policy validate` checks it. Files are named relative to the directory's parent
 * (`policies/pools/storefront.yaml`), as a reviewer sees them in the pull request.
 */
export async function loadGuardrails(dir: string): Promise<PolicyLookup> {
  const root = dirname(resolve(dir));
  const set = await loadPolicyDir(dir);
  if (set.errors.length) {
    throw new Error(
      `the policy files do not resolve:\n${set.errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
  }
  const read = async (file: string): Promise<PolicyText> => ({
    file: relative(root, resolve(file)),
    text: await readFile(file, 'utf8'),
  });
  const poolFiles = new Set(set.poolFiles.values());
  const defaultsFile = set.files.find((f) => !poolFiles.has(f));
  const pools: PoolText[] = [];
  for (const [pool, file] of set.poolFiles) pools.push({ pool, ...(await read(file)) });
  return guardrailsFrom({ defaults: defaultsFile ? await read(defaultsFile) : undefined, pools });
}
