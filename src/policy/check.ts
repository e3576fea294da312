// What checking a policy set finds, as `policy validate` reports it: every complaint (each with
// its file, line and column) or, when there is none, the pools and each pool's warnings. One place
// for it, so the validate command's lines, its GitHub annotations and the pull-request comment of
// `policy comment` say the same thing.

import type { InputError } from '../core/errors.js';
import type { PolicySet } from './resolve.js';
import { type PolicyWarning, policyWarnings } from './warnings.js';

export interface PolicyCheck {
  /** Policy files read. */
  files: number;
  /** Pools whose policy resolved, sorted. */
  pools: string[];
  /** Every complaint, in the set's order (by file, then line and column). */
  errors: readonly InputError[];
  /** Warnings of every pool, only when there is no complaint (as `policy validate` prints them). */
  warnings: PolicyWarning[];
}

/** `gateMetrics`: the health metrics the default target records (see policyWarnings). */
export function checkPolicies(set: PolicySet, gateMetrics: readonly string[]): PolicyCheck {
  const pools = [...set.pools.keys()].sort();
  const warnings = set.errors.length
    ? []
    : pools.flatMap((pool) => policyWarnings(set.pools.get(pool)!, gateMetrics));
  return { files: set.files.length, pools, errors: set.errors, warnings };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `5 errors in 3 policy files` */
export function errorSummary(errors: readonly InputError[]): string {
  const files = new Set(errors.map((e) => e.file)).size;
  return `${plural(errors.length, 'error')} in ${plural(files, 'policy file')}`;
}

/** `3 files, 2 pools (checkout-api, storefront)` */
export function okSummary(check: PolicyCheck): string {
  const { pools } = check;
  const names = pools.length ? ` (${pools.join(', ')})` : '';
  return `${plural(check.files, 'file')}, ${plural(pools.length, 'pool')}${names}`;
}
