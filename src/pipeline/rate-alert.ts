// The migration-rate alert, one rule for `run` (from the pool's journal) and `simulate` (from its
// in-memory journal): more migrations started within the hour before the newest than the
// policy's migration.alertPerHour means the plan may be flapping.

import type { Policy } from '../policy/types.js';

const HOUR = 3_600_000;

/** The alert's message, or undefined when the starts (epoch ms, any order) are within the limit. */
export function migrationRateAlert(starts: readonly number[], policy: Policy): string | undefined {
  if (starts.length === 0) return undefined;
  const newest = Math.max(...starts);
  const inHour = starts.filter((t) => t > newest - HOUR).length;
  const limit = policy.migration.alertPerHour;
  if (inHour <= limit) return undefined;
  return `${inHour} migrations started within an hour, above the policy's migration.alertPerHour of ${limit}: the plan may be flapping`;
}

/** Only the starts the alert can still count once a migration starts at `now` or later. */
export function recentStarts(starts: readonly number[], now: number): number[] {
  return starts.filter((t) => t > now - HOUR);
}
