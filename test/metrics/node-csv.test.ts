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
