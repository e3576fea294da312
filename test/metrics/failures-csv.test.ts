// Failure traces for `simulate --failures`: `timestamp[,instance]`, one crash a row. Every
// refusal is an InputError naming the file and the line the user has to fix.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { type FailureRow, parseFailuresCsv } from '../../src/metrics/failures-csv.js';

const T = Date.UTC(2023, 3, 29, 10);
const MIN = 60_000;

describe('parseFailuresCsv', () => {
  it.each<[string, string, FailureRow[]]>([
    ['timestamp only: any instance', 'timestamp\n2023-04-29T10:00:00Z\n', [{ at: T, instance: 'any' }]],
    [
      'timestamp,instance',
      'timestamp,instance\n2023-04-29T10:00:00Z,storefront-p-3\n2023-04-29T10:05:00Z,storefront-p-1\n',
      [
        { at: T, instance: 'storefront-p-3' },
        { at: T + 5 * MIN, instance: 'storefront-p-1' },
      ],
    ],
    [
      'columns in either order, other header names',
      'node,failed_at\nstorefront-p-2,2023-04-29 10:00:00\n',
      [{ at: T, instance: 'storefront-p-2' }],
    ],
    ['an empty instance is any', 'time,host\n2023-04-29T10:00:00Z,\n', [{ at: T, instance: 'any' }]],
    ['`any` is kept as any', 'ts,machine\n2023-04-29T10:00:00Z,any\n', [{ at: T, instance: 'any' }]],
    ['epoch seconds', 'timestamp\n1682762400\n', [{ at: T, instance: 'any' }]],
    [
      'equal times are in order',
      'timestamp,instance\n2023-04-29T10:00:00Z,a\n2023-04-29T10:00:00Z,b\n',
      [
        { at: T, instance: 'a' },
        { at: T, instance: 'b' },
      ],
    ],
    [
      'blank lines are skipped',
      'timestamp,instance\n\n2023-04-29T10:00:00Z,a\n\n2023-04-29T10:01:00Z,b\n',
      [
        { at: T, instance: 'a' },
        { at: T + MIN, instance: 'b' },
      ],
    ],
  ])('reads %s', (_, text, rows) => {
    expect(parseFailuresCsv('f.csv', text)).toEqual(rows);
  });

  it('reads local times in the zone given', () => {
    const rows = parseFailuresCsv('f.csv', 'timestamp\n2023-04-29 20:00:00\n', 'Australia/Melbourne');
    expect(rows).toEqual([{ at: T, instance: 'any' }]);
  });

  it.each<[string, number, string, string]>([
    ['an empty file', 1, '', 'expected a header (timestamp[,instance])'],
    ['a header alone', 1, 'timestamp,instance\n', 'at least one failure'],
    [
      'no time column',
      1,
      'when,instance\n2023-04-29T10:00:00Z,a\n',
      'no time column in header "when,instance"',
    ],
    [
      'a bad timestamp',
      3,
      'timestamp\n2023-04-29T10:00:00Z\nyesterday\n',
      'timestamp "yesterday" is not a time',
    ],
    ['an empty timestamp', 2, 'timestamp,instance\n,a\n', 'timestamp "" is not a time'],
    [
      'times out of order',
      3,
      'timestamp\n2023-04-29T10:05:00Z\n2023-04-29T10:00:00Z\n',
      'failures must be sorted by time',
    ],
    ['a row with too many fields', 2, 'timestamp,instance\n2023-04-29T10:00:00Z,a,b\n', 'malformed CSV'],
    [
      'a bad timestamp after a blank line (the line in the file, not the row count)',
      4,
      'timestamp,instance\n2023-04-29T10:00:00Z,a\n\nsoon,b\n',
      'timestamp "soon" is not a time',
    ],
    [
      'times out of order after blank lines',
      6,
      'timestamp\n\n2023-04-29T10:05:00Z\n\n\n2023-04-29T10:00:00Z\n',
      'failures must be sorted by time',
    ],
  ])('refuses %s at line %i', (_, line, text, message) => {
    let caught: unknown;
    try {
      parseFailuresCsv('failures.csv', text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    const err = caught as InputError;
    expect(err.file).toBe('failures.csv');
    expect(err.line).toBe(line);
    expect(err.message).toBe(`failures.csv:${line}: ${err.detail}`);
    expect(err.detail).toContain(message);
  });
});
