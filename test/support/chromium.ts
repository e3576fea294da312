// Browser tests drive Debian's chromium through playwright-core (no browser download). Where it
// is not installed they print one line saying why they skip, unless SHADOWCAST_SERVERS_REQUIRED=1
// (CI), where a missing browser fails.

import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and quiet: nothing of Chromium's own (updates, sync, field trials) goes to the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser's path, or undefined when it is not installed; registers the skip line or the failure. */
export function debianChromium(suite: string): string | undefined {
  const found = existsSync(CHROMIUM) ? CHROMIUM : undefined;
  const why = "Debian's chromium is not installed (apt-get install chromium)";
  if (!found && process.env.SHADOWCAST_SERVERS_REQUIRED === '1') {
    it(`has ${CHROMIUM} (SHADOWCAST_SERVERS_REQUIRED=1)`, () => {
      expect.fail(`${suite}: SHADOWCAST_SERVERS_REQUIRED=1, but ${why}`);
    });
  } else if (!found) console.log(`${suite}: skipped: ${why}`);
  return found;
}
