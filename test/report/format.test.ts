// The run report's text helpers, as tables of input → output.

import { describe, expect, it } from 'vitest';
import { describePool, duration, esc, md, num, pct, utcMinute, utcSecond } from '../../src/report/format.js';
import { pool } from '../plan/fixtures.js';

describe('format', () => {
  it.each([
    ['<script>alert("x")</script>', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'],
    [`a & b's`, 'a &amp; b&#39;s'],
    ['&lt;', '&amp;lt;'],
  ])('esc(%j)', (text, expected) => expect(esc(text)).toBe(expected));

  it.each([
    ['a | b', 'a \\| b'],
    ['line\nnext\r\nlast', 'line next last'],
    ['<b>x</b> & y', '&lt;b&gt;x&lt;/b&gt; &amp; y'],
    [
      '*bold* _it_ `code` [link](x) ~s~ #1 \\',
      '\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\~s\\~ \\#1 \\\\',
    ],
  ])('md(%j)', (text, expected) => expect(md(text)).toBe(expected));

  it.each([
    [4, '4'],
    [4829.4, '4829'],
    [12.345, '12.3'],
    [0.78, '0.780'],
    [NaN, 'NaN'],
  ])('num(%s)', (v, expected) => expect(num(v)).toBe(expected));

  it.each([
    [0.082, '8.2%'],
    [0.5, '50%'],
    [1, '100%'],
    [0.12345, '12.3%'],
  ])('pct(%s)', (v, expected) => expect(pct(v)).toBe(expected));

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
  ])('duration(%s)', (ms, expected) => expect(duration(ms)).toBe(expected));

  it('times are UTC, and a missing time prints as a dash', () => {
    const t = Date.UTC(2026, 0, 5, 8, 0, 45);
    expect(utcMinute(t)).toBe('2026-01-05 08:00');
    expect(utcSecond(t)).toBe('2026-01-05 08:00:45');
    expect(utcMinute(NaN)).toBe('—');
  });

  it('describePool: counts, weights, and standby nodes sorted by id', () => {
    expect(describePool(pool(4, 2, 0.25, { 'b-2': 1, 'a-1': 0 }))).toBe(
      'primary 4, shadow 2, weights 0.750 / 0.250, standby a-1 (warm), b-2 (switched)',
    );
    expect(describePool(pool(4))).toBe('primary 4, shadow 0, weights 1 / 0');
  });
});
