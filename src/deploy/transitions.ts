// How the executor moves between pool states: which route target a change gives more traffic
// (traffic may only move onto capacity that serves, docs/design.md, rule 5), whether a change
// needs its capacity first, and where a rollback takes the pool.

import { type PoolState, withStandbyMeta } from '../core/plan.js';

/** The route target a change gives more traffic; `all` when it moves node work to standbys; `none`. */
export type Gain = 'primary' | 'shadow' | 'none' | 'all';

export function gains(before: PoolState['weights'], after: PoolState): Gain {
  if (after.weights.shadow > before.shadow + 1e-9) return 'shadow';
  if (after.weights.primary > before.primary + 1e-9) return 'primary';
  // Same weights: a node move (its work goes to a standby), which needs every instance serving.
  return Math.abs(after.weights.shadow - before.shadow) <= 1e-9 ? 'all' : 'none';
}

/**
 * Whether going from `current` straight to `target` would send traffic to capacity that is not
 * there: a target that `target` routes to has fewer instances now, or a standby that is to take
 * work does not exist yet. Then a rollback adds the capacity first, and moves traffic once it serves.
 */
export function needsCapacityFirst(current: PoolState, target: PoolState): boolean {
  if (target.weights.primary > 0 && current.primary < target.primary) return true;
  if (target.weights.shadow > 0 && current.shadow < target.shadow) return true;
  return Object.entries(target.standby).some(
    ([node, share]) => share > 0 && !Object.hasOwn(current.standby, node),
  );
}

/**
 * Where a rollback takes the pool: the last known-good routing (weights and standby shares), on
 * whichever capacity is more, the pool's now or its last known-good. A rollback never removes
 * capacity: a step's gate fails most often because the pool is overloaded, which is what the
 * capacity the migration added is for; the next plan decommissions what is not needed.
 */
export function rollbackTarget(current: PoolState, lastGood: PoolState): PoolState {
  return withCapacityOf(lastGood, current);
}

/**
 * `current` with `target`'s capacity added (never removed), and `current`'s routing. A node either
 * retired stays retired (a terminated node cannot come back), and its standby keeps serving its slot.
 */
export function withCapacityOf(current: PoolState, target: PoolState): PoolState {
  const standby = { ...current.standby };
  for (const node of Object.keys(target.standby)) if (!Object.hasOwn(standby, node)) standby[node] = 0;
  const retired = [...new Set([...(current.retired ?? []), ...(target.retired ?? [])])];
  for (const node of retired) if (Object.hasOwn(standby, node)) standby[node] = 1;
  // A standby holds the newest data either state says it was synced to.
  const synced = { ...target.standbySync };
  for (const [n, t] of Object.entries(current.standbySync ?? {})) synced[n] = Math.max(t, synced[n] ?? t);
  return withStandbyMeta(
    {
      primary: Math.max(current.primary, target.primary),
      shadow: Math.max(current.shadow, target.shadow),
      standby,
      weights: { ...current.weights },
      ...(retired.length > 0 ? { retired } : {}),
    },
    { ...target.standbyZones, ...current.standbyZones },
    synced,
  );
}
