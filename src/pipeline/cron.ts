// When the policy's schedule next fires, in its time zone (croner does the calendar arithmetic).

import { Cron } from 'croner';

const cache = new Map<string, Cron>();

/** The first run strictly after `t` (epoch ms) of a 5-field cron expression in `timezone`. */
export function nextRun(cron: string, timezone: string, t: number): number {
  const key = `${cron}\u0000${timezone}`;
  let job = cache.get(key);
  if (!job) {
    job = new Cron(cron, { timezone, paused: true, mode: '5-part' });
    cache.set(key, job);
  }
  const next = job.nextRun(new Date(t));
  if (!next) throw new RangeError(`schedule "${cron}" never fires after ${new Date(t).toISOString()}`);
  return next.getTime();
}
