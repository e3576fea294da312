// The run report's text helpers, as tables of input → output.

import { describe, expect, it } from 'vitest';
import { describePool, esc, md, num, pct } from '../../src/report/format.js';
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

  it('describePool: counts, weights, and standby nodes sorted by id', () => {
    expect(describePool(pool(4, 2, 0.25, { 'b-2': 1, 'a-1': 0 }))).toBe(
      'primary 4, shadow 2, weights 0.750 / 0.250, standby a-1 (warm), b-2 (switched)',
    );
    expect(describePool(pool(4))).toBe('primary 4, shadow 0, weights 1 / 0');
  });
});
