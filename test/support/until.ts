// Waiting on another process in a test: poll until a probe returns something, or give up with a
// message naming what never happened.

import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with the probe's first value that is not undefined, null or false; throws after `ms`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 90_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
