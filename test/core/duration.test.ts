// Durations and horizons past their limits: refused with the limit in the message, never read
// as Infinity or as a number of steps that no model could allocate (99999w grew to 6.2 GB).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  durationProblem,
  MAX_DURATION_MS,
  MAX_HORIZON_STEPS,
  parseDuration,
  parseHorizon,
} from '../../src/core/duration.js';
import { UsageError } from '../../src/core/errors.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

describe('parseDuration refuses non-finite and absurd numbers', () => {
  it.each([`${'9'.repeat(320)}h`, '1e400s', '99999999w', '3661d'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reads up to ten years', () => {
    expect(parseDuration('3660d')).toBe(MAX_DURATION_MS);
  });

  it('never returns a number that is not finite, whatever the digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,400}(\.\d{1,20})?[smhdw]$/), (text) => {
        const ms = parseDuration(text);
        expect(ms === undefined || (Number.isFinite(ms) && ms <= MAX_DURATION_MS)).toBe(true);
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});

describe('durationProblem says the limit', () => {
  it.each([
    { text: '8d', max: 7 * 24 * HOUR, want: 'is longer than the limit of 7d' },
    { text: `${'9'.repeat(320)}h`, max: 366 * 24 * HOUR, want: 'is longer than the limit of 366d' },
    { text: '90 minutes', max: HOUR, want: 'must be a duration like 90s, 10m, 2h or 1d' },
    { text: '2h', max: 90 * MINUTE, want: 'is longer than the limit of 90m' },
  ])('$text over $max ms', ({ text, max, want }) => {
    expect(durationProblem(text, max)).toBe(want);
  });

  it('accepts the limit itself', () => {
    expect(durationProblem('7d', 7 * 24 * HOUR)).toBeUndefined();
  });
});

describe('parseHorizon limits (366 days, 10,000 steps)', () => {
  it.each([
    { text: '99999w', step: HOUR, message: 'horizon "99999w" is longer than the limit of 366d' },
    {
      text: `${'9'.repeat(320)}h`,
      step: HOUR,
      message: `horizon "${'9'.repeat(40)}…" is longer than the limit of 366d`,
    },
    { text: '10001', step: HOUR, message: 'horizon "10001" is more than the limit of 10000 steps' },
    {
      text: '8d',
      step: MINUTE,
      message:
        'horizon "8d" is 11520 steps of 1m, more than the limit of 10000 steps; forecast less far ahead or from a coarser series',
    },
    {
      text: '10000',
      step: 3000 * 365.25 * 86_400_000,
      message: `horizon "10000" reaches 30000000 years ahead at this series' step, more than the limit of 1000 years`,
    },
  ])('refuses $text at a step of $step ms', ({ text, step, message }) => {
    expect(() => parseHorizon(text, step)).toThrow(new UsageError(message));
  });

  it('accepts each limit itself', () => {
    expect(parseHorizon('366d', HOUR)).toBe(366 * 24);
    expect(parseHorizon(String(MAX_HORIZON_STEPS), MINUTE)).toBe(MAX_HORIZON_STEPS);
    expect(parseHorizon('6d', MINUTE)).toBe(8640);
  });
});
