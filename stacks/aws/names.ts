// Logical names for resources whose AWS names are short. A pool name may run to 63 characters, but
// target group and load balancer names stop at 32, and Pulumi's auto-naming appends 8 of them ('-'
// and 7 random hex digits). So a long pool name is cut and given a hash of the whole name, which
// keeps two long names with the same start apart.

import { createHash } from 'node:crypto';

/** Longest pool part of a load-balancer name: 16, so `<short>-primary` + 8 auto-named fits 32. */
const MAX_SHORT = 16;

/** The pool name as it may appear in a load balancer's or target group's name. */
export function shortPoolName(pool: string): string {
  if (pool.length <= MAX_SHORT) return pool;
  const hash = createHash('sha256').update(pool).digest('hex').slice(0, 4);
  return `${pool.slice(0, MAX_SHORT - 5).replace(/-+$/, '')}-${hash}`;
}
