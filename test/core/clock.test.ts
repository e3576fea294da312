import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../src/core/clock.js';
import { parseDuration, parseHorizon } from '../../src/core/duration.js';
import { UsageError } from '../../src/core/errors.js';

describe('FakeClock', () => {
  it('starts where told and advances only by sleeping, instantly', async () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    const before = systemClock.now();
    await clock.sleep(86_400_000);
    expect(clock.now()).toBe(1_000 + 86_400_000);
    expect(systemClock.now() - before).toBeLessThan(1_000);
  });
});

describe('horizon', () => {
  it.each([
    { text: '48', step: 3_600_000, want: 48 },
    { text: '48h', step: 3_600_000, want: 48 },
    { text: '2d', step: 3_600_000, want: 48 },
    { text: '90m', step: 3_600_000, want: 2 },
    { text: '1w', step: 86_400_000, want: 7 },
    { text: '36h', step: 86_400_000, want: 2 },
  ])('$text at a step of $step ms is $want steps', ({ text, step, want }) => {
    expect(parseHorizon(text, step)).toBe(want);
  });

  it.each(['0', '-4', 'soon', '4y', '', '1.5'])('refuses %j', (text) => {
    expect(() => parseHorizon(text, 60_000)).toThrow(UsageError);
  });

  it('reads durations in milliseconds', () => {
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2x')).toBeUndefined();
  });
});
