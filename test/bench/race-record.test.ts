// The race-run record in docs/testing.md is written from race-repeat's log: the rounds it counts
// and the figures it states must be the log's, whether a round passed or failed.

import { describe, expect, it } from 'vitest';
import { parseRaceLog, raceEntry } from '../../bench/race-record.js';

const LOG = [
  'race-repeat: 2 files, 4 rounds, 1 CPU burner(s) on 2 cores',
  'round 1: passed in 300 s (load 3.10)',
  'round 2: FAILED in 250 s (load 4.50; see bench/results/race-round-2.log)',
  ' FAIL  test/cli/apply.test.ts > two applies',
  'round 3: passed in 280 s (load 2.90)',
  'race-repeat: 2 of 4 rounds passed',
].join('\n');

describe('race-run record', () => {
  it('counts the rounds that passed and keeps each round time and load, failed rounds included', () => {
    expect(parseRaceLog(LOG)).toEqual({
      rounds: 4,
      burners: 1,
      cores: 2,
      passed: 2,
      seconds: [300, 250, 280],
      loads: [3.1, 4.5, 2.9],
    });
  });

  it('reads logs written before the load was printed', () => {
    const old = 'race-repeat: 1 files, 2 rounds, 1 CPU burner(s) on 2 cores\nround 1: passed in 282 s\n';
    expect(parseRaceLog(old)).toMatchObject({ passed: 1, seconds: [282], loads: [] });
  });

  it('refuses a file that is not a race-repeat log', () => {
    expect(() => parseRaceLog('round 1: passed in 3 s')).toThrow(/not a race-repeat log/);
  });

  it('states the figures and every file, and says when fewer rounds ran than were asked for', () => {
    const entry = raceEntry({
      date: '2026-12-05',
      commit: 'abc1234',
      files: ['test/cli/apply.test.ts', 'test/cli/cli.test.ts'],
      ...parseRaceLog(LOG),
    });
    expect(entry.split('\n')[0]).toBe(
      '- **2026-12-05**, commit abc1234: 2 of 4 rounds passed (3 of 4 run), 2 files, beside 1 CPU burner(s) on 2 cores; ' +
        'a round took 250 s at least, 280 s (median), 300 s at most; load average as a round ended: 3.1 (median), 2.9 to 4.5.',
    );
    expect(entry).toContain('  - `test/cli/apply.test.ts`');
    expect(entry).toContain('  - `test/cli/cli.test.ts`');
  });
});
