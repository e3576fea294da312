// Node metric and failure-label files for `risk score` and `risk train`: the three forms, and
// every refusal naming its line.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseLabelsCsv } from '../../src/metrics/labels-csv.js';
import { parseNodeCsv } from '../../src/metrics/node-csv.js';

describe('parseNodeCsv', () => {
  it('reads timestamp,value as one node with one metric', () => {
    const f = parseNodeCsv('a.csv', 'timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n');
    expect(f.form).toBe('single');
    expect(f.nodes[0]!.timestamps).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 0, 1)]);
    expect([...f.nodes[0]!.metrics.value!]).toEqual([1, 2]);
  });

  it('reads a wide file as one node with several metrics', () => {
    const f = parseNodeCsv('a.csv', 'ts,cpu,mem\n1767225600,0.5,0.7\n1767225660,0.6,0.8\n');
    expect(f.form).toBe('wide');
    expect(Object.keys(f.nodes[0]!.metrics)).toEqual(['cpu', 'mem']);
  });

  it('reads the long form, grouping rows by node and time', () => {
    const f = parseNodeCsv(
      'a.csv',
      'node,metric,timestamp,value\na,cpu,2026-01-01 00:00:00,1\na,mem,2026-01-01 00:00:00,5\nb,cpu,2026-01-01 00:00:00,2\na,cpu,2026-01-01 00:01:00,3\n',
    );
    expect(f.form).toBe('long');
    expect(f.nodes.map((n) => n.node)).toEqual(['a', 'b']);
    const a = f.nodes[0]!;
    expect(a.timestamps).toHaveLength(2);
    expect([...a.metrics.cpu!]).toEqual([1, 3]);
    expect([...a.metrics.mem!]).toEqual([5, Number.NaN]);
    expect(a.lines).toEqual([2, 5]);
  });

  it.each([
    ['timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,abc\n', 3, 'value "abc" is not a number'],
    // A blank line still counts: the error names the line in the file, not the record number.
    [
      'timestamp,value\n2026-01-01T00:00:00Z,1\n\n2026-01-01T00:01:00Z,abc\n',
      4,
      'value "abc" is not a number',
    ],
    ['node,metric,timestamp,value\n\na,cpu,2026-01-01T00:00:00Z,x\n', 3, 'value "x" is not a number'],
    ['timestamp,value\n2026-01-01T00:01:00Z,1\n2026-01-01T00:00:00Z,2\n', 3, 'timestamps go backwards'],
    ['timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:00Z,2\n', 3, 'duplicate timestamp'],
    ['timestamp,value\nyesterday,1\n', 2, 'timestamp "yesterday"'],
    ['when,value\n2026-01-01,1\n', 1, 'no time column'],
    ['timestamp,value\n', 2, 'no data rows'],
    ['timestamp,value\n2026-01-01T00:00:00Z,1,9\n', 2, 'malformed CSV'],
    [
      'node,metric,timestamp,value\na,cpu,2026-01-01T00:01:00Z,1\na,cpu,2026-01-01T00:00:00Z,1\n',
      3,
      'a cpu go backwards',
    ],
    ['node,timestamp,value\na,2026-01-01T00:00:00Z,1\n', 1, 'node,metric,timestamp,value'],
  ])('refuses %j at line %i', (text, line, message) => {
    try {
      parseNodeCsv('bad.csv', text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).line).toBe(line);
      expect((err as InputError).message).toContain(message);
    }
  });
});

describe("parseNodeCsv with unsorted: 'sort' (exports out of time order, as risk score reads them)", () => {
  const T = (minute: number) => Date.UTC(2026, 0, 1, 0, minute);
  const sort = { unsorted: 'sort' } as const;

  it('puts an unsorted series in time order, keeping each row its line and timestamp as written', () => {
    const f = parseNodeCsv(
      'a.csv',
      'timestamp,value\n2026-01-01 00:02:00,3\n2026-01-01T00:00:00Z,1\n1767225660,2\n',
      'UTC',
      sort,
    );
    const n = f.nodes[0]!;
    expect(n.timestamps).toEqual([T(0), T(1), T(2)]);
    expect([...n.metrics.value!]).toEqual([1, 2, 3]);
    expect(n.lines).toEqual([3, 4, 2]);
    expect(n.stamps).toEqual(['2026-01-01T00:00:00Z', '1767225660', '2026-01-01 00:02:00']);
    expect(f.disorder).toEqual({
      backwards: { rows: 2, firstLine: 3 },
      duplicates: { rows: 0, firstLine: undefined },
    });
  });

  it('keeps rows at one time in input order: duplicates are consecutive samples', () => {
    const f = parseNodeCsv(
      'a.csv',
      'ts,cpu,mem\n1767225600,1,10\n1767225660,2,20\n1767225600,3,30\n1767225660,4,40\n',
      'UTC',
      sort,
    );
    const n = f.nodes[0]!;
    expect(n.timestamps).toEqual([T(0), T(0), T(1), T(1)]);
    expect([...n.metrics.cpu!]).toEqual([1, 3, 2, 4]);
    expect([...n.metrics.mem!]).toEqual([10, 30, 20, 40]);
    expect(n.lines).toEqual([2, 4, 3, 5]);
    // Line 4 is both earlier than line 3 and a repeat of line 2; line 5 only repeats line 3.
    expect(f.disorder).toEqual({
      backwards: { rows: 1, firstLine: 4 },
      duplicates: { rows: 2, firstLine: 4 },
    });
  });

  it("sorts each node of the long form on its own, pairing a node's k-th rows at one time into one sample", () => {
    const f = parseNodeCsv(
      'a.csv',
      [
        'node,metric,timestamp,value',
        'a,cpu,2026-01-01T00:01:00Z,1',
        'a,mem,2026-01-01T00:01:00Z,2',
        'a,cpu,2026-01-01T00:00:00Z,3',
        'a,cpu,2026-01-01T00:01:00Z,4',
        'b,cpu,2026-01-01T00:00:00Z,5',
      ].join('\n'),
      'UTC',
      sort,
    );
    const [a, b] = f.nodes;
    expect(a!.timestamps).toEqual([T(0), T(1), T(1)]);
    expect([...a!.metrics.cpu!]).toEqual([3, 1, 4]);
    expect([...a!.metrics.mem!]).toEqual([Number.NaN, 2, Number.NaN]);
    expect(a!.lines).toEqual([4, 2, 5]);
    expect(b!.timestamps).toEqual([T(0)]);
    expect(b!.lines).toEqual([6]);
    expect(f.disorder).toEqual({
      backwards: { rows: 1, firstLine: 4 },
      duplicates: { rows: 1, firstLine: 5 },
    });
  });

  it('reports no disorder for a sorted file', () => {
    const f = parseNodeCsv(
      'a.csv',
      'timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n',
      'UTC',
      sort,
    );
    expect(f.disorder.backwards.rows + f.disorder.duplicates.rows).toBe(0);
    expect(f.nodes[0]!.lines).toEqual([2, 3]);
  });

  it.each([
    ['timestamp,value\n2026-01-01T00:01:00Z,1\n2026-01-01T00:00:00Z,2\nsoon,3\n', 4, 'timestamp "soon"'],
    ['timestamp,value\n2026-01-01T00:01:00Z,1\n2026-01-01T00:01:00Z,x\n', 3, 'value "x" is not a number'],
    ['timestamp,value\n2026-01-01T00:01:00Z,1\n2026-01-01T00:00:00Z,2,3\n', 3, 'malformed CSV'],
    [
      'node,metric,timestamp,value\na,cpu,2026-01-01T00:01:00Z,1\na,cpu,2026-01-01T00:00:00Z,2\na,cpu,later,3\n',
      4,
      'timestamp "later"',
    ],
  ])('still refuses what cannot be read: %j at line %i', (text, line, message) => {
    try {
      parseNodeCsv('bad.csv', text, 'UTC', sort);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).line).toBe(line);
      expect((err as InputError).message).toContain(message);
    }
  });
});

describe('parseLabelsCsv', () => {
  it('reads one row per failure', () => {
    const l = parseLabelsCsv('l.csv', 'node,timestamp\na,2026-01-01T05:00:00Z\nb,2026-01-02T00:00:00Z\n');
    expect(l.get('a')!.failures).toEqual([Date.UTC(2026, 0, 1, 5)]);
    expect(l.get('b')!.incidents).toEqual([]);
  });

  it('turns runs of 1s into incidents starting at their first 1', () => {
    const rows = ['timestamp,label', ...[0, 0, 1, 1, 0, 1].map((v, i) => `${1767225600 + i * 60},${v}`)];
    const l = parseLabelsCsv('l.csv', rows.join('\n')).get('node')!;
    const at = (i: number) => (1767225600 + i * 60) * 1000;
    expect(l.failures).toEqual([at(2), at(5)]);
    expect(l.incidents).toEqual([
      { start: at(2), end: at(4) },
      { start: at(5), end: Infinity },
    ]);
  });

  it.each([
    ['timestamp,label\n2026-01-01T00:00:00Z,2\n', 2, 'must be 0 or 1'],
    ['timestamp,label\n2026-01-01T00:00:00Z,0\n\n2026-01-01T00:01:00Z,2\n', 4, 'must be 0 or 1'],
    ['timestamp\n2026-01-02T00:00:00Z\n2026-01-01T00:00:00Z\n', 3, 'sorted by time'],
    ['when\n2026-01-01\n', 1, 'no time column'],
  ])('refuses %j at line %i', (text, line, message) => {
    expect(() => parseLabelsCsv('l.csv', text)).toThrow(message);
    try {
      parseLabelsCsv('l.csv', text);
    } catch (err) {
      expect((err as InputError).line).toBe(line);
    }
  });
});
