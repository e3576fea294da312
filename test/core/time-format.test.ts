// Times and durations as shadowcast prints them (core/time-format.ts), as tables of input → output.

import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  iso,
  isoMinute,
  spokenDuration,
  utcMinute,
  utcSecond,
} from '../../src/core/time-format.js';

describe('time formats', () => {
  it.each([
    [850, '850 ms'],
    [3_100, '3.1 s'],
    [45_000, '45 s'],
    [120_000, '2 min'],
    [125_000, '2 min 05 s'],
    [1_006_000, '16 min 46 s'],
    [3_600_000, '1 h'],
    [3_720_000, '1 h 02 min'],
    [-1, '—'],
    [NaN, '—'],
  ])('spokenDuration(%s)', (ms, expected) => expect(spokenDuration(ms)).toBe(expected));

  it('times are UTC, and a missing time prints as a dash', () => {
    const t = Date.UTC(2026, 0, 5, 8, 0, 45);
    expect(utcMinute(t)).toBe('2026-01-05 08:00');
    expect(utcSecond(t)).toBe('2026-01-05 08:00:45');
    expect(utcMinute(NaN)).toBe('—');
  });

  it.each([
    [90_000, '90s'],
    [15 * 60_000, '15m'],
    [2 * 3_600_000, '2h'],
    [90 * 60_000, '90m'],
    [7 * 86_400_000, '7d'],
    [1_500, '1.5s'],
  ])('formatDuration(%s)', (ms, expected) => expect(formatDuration(ms)).toBe(expected));

  it('instants: ISO in full for journals, to the minute for reasons', () => {
    const t = Date.UTC(2026, 10, 23, 10, 15, 42);
    expect(iso(t)).toBe('2026-11-23T10:15:42.000Z');
    expect(isoMinute(t)).toBe('2026-11-23T10:15Z');
  });
});
