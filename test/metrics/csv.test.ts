import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseCsv } from '../../src/metrics/csv.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

describe('parseCsv accepts', () => {
  const cases: {
    name: string;
    text: string;
    opts?: object;
    series: string[];
    first: number;
    step: number;
    values: number[];
  }[] = [
    {
      name: 'ds,y with dates',
      text: 'ds,y\n2026-01-05,1\n2026-01-06,2\n2026-01-07,3\n',
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2, 3],
    },
    {
      name: 'quoted header',
      text: '"ds","y"\n"2026-01-05",1\n"2026-01-06",2\n',
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2],
    },
    {
      name: 'epoch seconds',
      text: `timestamp,value\n${T0 / 1000},5\n${T0 / 1000 + 60},6\n`,
      series: ['m'],
      first: T0,
      step: 60_000,
      values: [5, 6],
    },
    {
      name: 'epoch milliseconds',
      text: `time,value\n${T0},5\n${T0 + 60_000},6\n`,
      series: ['m'],
      first: T0,
      step: 60_000,
      values: [5, 6],
    },
    {
      name: 'ISO with offset',
      text: 'timestamp,value\n2026-01-05T02:00:00+02:00,1\n2026-01-05T03:00:00+02:00,2\n',
      series: ['m'],
      first: T0,
      step: H,
      values: [1, 2],
    },
    {
      name: 'local time read as UTC',
      text: 'timestamp,value\n2026-01-05 00:00:00,1\n2026-01-05 01:00:00,2\n',
      series: ['m'],
      first: T0,
      step: H,
      values: [1, 2],
    },
    {
      name: 'local time in --tz',
      text: 'timestamp,value\n2026-01-05 01:00:00,1\n2026-01-05 02:00:00,2\n',
      opts: { zone: 'Europe/Berlin' },
      series: ['m'],
      first: T0,
      step: H,
      values: [1, 2],
    },
    {
      name: 'no header',
      text: '2026-01-05T00:00:00Z,1\n2026-01-05T01:00:00Z,2\n',
      series: ['m'],
      first: T0,
      step: H,
      values: [1, 2],
    },
    {
      name: 'bare carriage returns',
      text: 'ds,y\r2026-01-05,1\r2026-01-06,2\r',
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2],
    },
    {
      name: 'small gap filled linearly',
      text: 'ds,y\n2026-01-05,1\n2026-01-07,3\n2026-01-08,4\n',
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2, 3, 4],
    },
    {
      name: 'empty value interpolated',
      text: 'ds,y\n2026-01-05,1\n2026-01-06,\n2026-01-07,3\n',
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2, 3],
    },
    {
      name: 'exact duplicate dropped',
      text: 'ds,y\n2026-01-05,1\n2026-01-05,1\n2026-01-06,2\n',
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2],
    },
    {
      name: 'descending with sort',
      text: 'ds,y\n2026-01-07,3\n2026-01-06,2\n2026-01-05,1\n',
      opts: { sort: true },
      series: ['m'],
      first: T0,
      step: 24 * H,
      values: [1, 2, 3],
    },
    {
      name: 'monthly grid',
      text: 'ds,y\n2026-01-05,1\n2026-02-05,2\n2026-03-05,3\n',
      series: ['m'],
      first: T0,
      step: 30.436875 * 24 * H,
      values: [1, 2, 3],
    },
  ];
  it.each(cases)('$name', ({ text, opts, series, first, step, values }) => {
    const set = parseCsv('m.csv', text, opts);
    expect(set.series.map((s) => s.name)).toEqual(series);
    const s = set.series[0]!;
    expect(s.timestamps[0]).toBe(first);
    expect(s.stepMs).toBeCloseTo(step, 6);
    expect(Array.from(s.values)).toEqual(values);
  });

  it('reports what it repaired', () => {
    const set = parseCsv('m.csv', 'ds,y\n2026-01-05,1\n2026-01-08,4\n2026-01-09,5\n');
    expect(set.repairs).toEqual([{ series: 'm', kind: 'gap-interpolated', at: T0 + 24 * H, count: 2 }]);
  });

  it('reads the long form into one series per name', () => {
    const text =
      'series,timestamp,value\napi,2026-01-05T00:00Z,1\ndb,2026-01-05T00:00Z,7\napi,2026-01-05T01:00Z,2\ndb,2026-01-05T01:00Z,8\n';
    const set = parseCsv('long.csv', text);
    expect(set.series.map((s) => [s.name, Array.from(s.values)])).toEqual([
      ['api', [1, 2]],
      ['db', [7, 8]],
    ]);
  });

  it('reads the wide form into one series per column', () => {
    const set = parseCsv('w.csv', 'ds,a,b\n2026-01-05 00:00:00,1,10\n2026-01-05 01:00:00,2,20\n');
    expect(set.series.map((s) => s.name)).toEqual(['a', 'b']);
    expect(set.series[0]!.source).toEqual({ file: 'w.csv', firstLine: 2, lastLine: 3 });
  });

  it('fills a missing calendar month on the same day of the month', () => {
    const s = parseCsv('m.csv', 'ds,y\n2026-01-05,1\n2026-02-05,2\n2026-04-05,4\n2026-05-05,5\n').series[0]!;
    expect(s.stepMonths).toBe(1);
    expect(s.timestamps.map((t) => new Date(t).toISOString().slice(0, 10))).toEqual([
      '2026-01-05',
      '2026-02-05',
      '2026-03-05',
      '2026-04-05',
      '2026-05-05',
    ]);
    expect(Array.from(s.values)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('parseCsv refuses, naming file:line', () => {
  const cases: { name: string; text: string; opts?: object; error: string }[] = [
    {
      name: 'unsorted',
      text: 'ds,y\n2026-01-06,1\n2026-01-05,2\n',
      error: 'f.csv:3: rows are not sorted by time',
    },
    {
      name: 'conflicting duplicate',
      text: 'ds,y\n2026-01-05,1\n2026-01-06,2\n2026-01-06,3\n',
      error:
        'f.csv:4: duplicate timestamp 2026-01-06T00:00:00.000Z in "f" with a different value than line 3',
    },
    {
      name: 'non-numeric value',
      text: 'ds,y\n2026-01-05,1\n2026-01-06,lots\n',
      error: 'f.csv:3: value "lots" in column y is not a number',
    },
    {
      name: 'bad timestamp',
      text: 'ds,y\n2026-01-05,1\n2026-02-30,2\n',
      error: 'f.csv:3: "2026-02-30" is not a timestamp',
    },
    {
      name: 'long gap',
      text: 'ds,y\n2026-01-05,1\n2026-01-06,1\n2026-01-30,2\n',
      error: 'f.csv:4: gap of 23 missing points',
    },
    {
      name: 'irregular step',
      text: 'timestamp,value\n2026-01-05T00:00Z,1\n2026-01-05T01:00Z,2\n2026-01-05T02:30Z,3\n2026-01-05T03:30Z,3\n2026-01-05T04:30Z,3\n',
      error: 'f.csv:4: irregular sampling',
    },
    {
      name: 'starts missing',
      text: 'ds,y\n2026-01-05,\n2026-01-06,1\n2026-01-07,1\n',
      error: 'f.csv:2: "f" starts with a missing value',
    },
    { name: 'no time column', text: 'a,b\nx,1\n', error: 'f.csv:1: no time column' },
    { name: 'header only', text: 'ds,y\n', error: 'f.csv:1: the file has a header but no data rows' },
    { name: 'empty', text: '', error: 'f.csv:1: the file is empty' },
    { name: 'unclosed quote', text: 'ds,y\n"2026-01-05,1\n', error: 'f.csv:2: not a valid CSV file' },
    { name: 'one point', text: 'ds,y\n2026-01-05,1\n', error: 'f.csv:2: series "f" has 1 point(s)' },
  ];
  it.each(cases)('$name', ({ text, opts, error }) => {
    let caught: unknown;
    try {
      parseCsv('f.csv', text, opts);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as Error).message.startsWith(error)).toBe(true);
  });
});

describe('parseCsv properties', () => {
  const regular = fc.record({
    start: fc.integer({ min: 0, max: 2_000_000_000 }).map((s) => s * 1000),
    step: fc.constantFrom(60_000, 300_000, H, 24 * H),
    values: fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 60 }),
    format: fc.constantFrom('iso', 'epoch-s', 'epoch-ms', 'local'),
  });

  it('round-trips any regular series in any timestamp format', () => {
    fc.assert(
      fc.property(regular, ({ start, step, values, format }) => {
        const stamp = (t: number) => {
          const iso = new Date(t).toISOString();
          if (format === 'iso') return iso;
          if (format === 'epoch-s') return String(t / 1000);
          if (format === 'epoch-ms') return String(t + 1e12 > 1e11 ? t + 0 : t);
          return iso.slice(0, 19).replace('T', ' ');
        };
        // Epoch-ms values below 1e11 would read as seconds; shift them into the unambiguous range.
        const base = format === 'epoch-ms' ? start + 1e11 : start;
        const text = `timestamp,value\n${values.map((v, i) => `${stamp(base + i * step)},${v}`).join('\n')}\n`;
        const s = parseCsv('p.csv', text).series[0]!;
        expect(s.timestamps).toEqual(values.map((_, i) => base + i * step));
        expect(Array.from(s.values)).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
        expect(s.stepMs).toBe(step);
      }),
    );
  });

  it('refuses rows out of order unless asked to sort', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 40 }).chain((n) =>
          fc.shuffledSubarray(
            Array.from({ length: n }, (_, i) => i),
            { minLength: n, maxLength: n },
          ),
        ),
        (hours) => {
          fc.pre(hours.some((h, i) => h !== i));
          const text = `ts,v\n${hours.map((h) => `${new Date(T0 + h * H).toISOString()},${h}`).join('\n')}\n`;
          expect(() => parseCsv('u.csv', text)).toThrow(/not sorted by time/);
          const s = parseCsv('u.csv', text, { sort: true }).series[0]!;
          expect(Array.from(s.values)).toEqual([...hours].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('either parses or throws InputError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseCsv('g.csv', `ds,y\n${text}`);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
    );
  });
});
