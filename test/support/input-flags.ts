// What commander hands a `forecast` or `backtest` action when no flag is given: the tests that call
// the commands in process start from it.

import type { InputFlags } from '../../src/cli/input-flags.js';

/** The defaults, plus `extra`. */
export function inputFlags(extra: Partial<InputFlags>): InputFlags {
  return {
    source: 'csv',
    tz: 'UTC',
    maxGap: 6,
    sort: false,
    events: [],
    horizon: '24',
    level: 0.8,
    format: 'json',
    timeout: '30s',
    ...extra,
  };
}
