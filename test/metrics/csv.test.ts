import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import {
  CsvSource,
  forEachParsedRow,
  forEachPlainRow,
  MAX_CSV_BYTES,
  parseCsv,
  type Row,
} from '../../src/metrics/csv.js';
import { plainIso } from '../../src/metrics/timeparse.js';

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

/** The InputError `run` throws, or a failed expectation when it throws something else or nothing. */
function inputError(run: () => unknown): InputError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError, got none');
}

const MIN = 60_000;
const rows = (n: number, value: (i: number) => string | number, step = MIN) =>
  Array.from({ length: n }, (_, i) => `${(T0 + i * step) / 1000},${value(i)}`).join('\n');

describe('parseCsv limits: values, timestamps and sizes past their bounds are bad input at their line', () => {
  it('refuses a value beyond ±1e15 (one 1e308 made MSTL fail with the message "undefined")', () => {
    const e = inputError(() => parseCsv('f.csv', `ds,y\n${rows(30, (i) => (i === 20 ? '1e308' : i))}\n`));
    expect(e.message).toBe(
      'f.csv:22: value "1e308" in column y is beyond ±1e15, the limit of a metric value',
    );
    expect(() => parseCsv('f.csv', `ds,y\n${rows(30, (i) => (i === 20 ? '-1.0000001e15' : i))}\n`)).toThrow(
      /^f\.csv:22: value "-1\.0000001e15" in column y is beyond ±1e15/,
    );
  });

  it('accepts values at ±1e15', () => {
    const s = parseCsv('f.csv', `ds,y\n${rows(4, (i) => (i % 2 ? '1e15' : '-1e15'))}\n`).series[0]!;
    expect(Array.from(s.values)).toEqual([-1e15, 1e15, -1e15, 1e15]);
  });

  it.each(['99999999999999999999', '1e17', '0999-12-31T00:00:00Z', '-99999999999'])(
    'refuses the timestamp %j, outside years 1000 to 9999',
    (stamp) => {
      const e = inputError(() => parseCsv('f.csv', `ds,y\n2026-01-05,1\n${stamp},2\n`));
      expect(e.line).toBe(3);
      expect(e.detail).toMatch(/is not a timestamp .*years 1000 to 9999/);
    },
  );

  it('refuses points more than a year apart (a horizon of them ran past the last date there is)', () => {
    const e = inputError(() => parseCsv('f.csv', 'ds,y\n1000-01-01,1\n4000-01-01,2\n7000-01-01,3\n'));
    expect(e.message).toBe('f.csv:3: points of "f" are 36000 months apart, more than the limit of a year');
    const days = inputError(() => parseCsv('f.csv', 'ds,y\n2000-01-01,1\n2001-12-31,2\n2003-12-31,3\n'));
    expect(days.detail).toBe('points of "f" are 730 days apart, more than the limit of a year');
    const years = inputError(() => parseCsv('f.csv', 'ds,y\n2000-01-01,1\n2002-01-01,2\n2004-01-01,3\n'));
    expect(years.detail).toBe('points of "f" are 24 months apart, more than the limit of a year');
    expect(parseCsv('f.csv', 'ds,y\n2000-01-01,1\n2001-01-01,2\n2002-01-01,3\n').series[0]!.stepMonths).toBe(
      12,
    );
  });

  it('keeps every message on one line and short, whatever the cell holds', () => {
    const cells = ['"1\n2"', `"${'x'.repeat(10_000)}"`, '"a\u0000b"'];
    for (const cell of cells) {
      for (const text of [`ds,y\n2026-01-05,1\n2026-01-06,${cell}\n`, `ds,y\n2026-01-05,1\n${cell},2\n`]) {
        const e = inputError(() => parseCsv('f.csv', text));
        expect(e.message).not.toMatch(/[\n\r]/);
        expect(e.message).not.toContain('\u0000');
        expect(e.message.length).toBeLessThan(300);
      }
    }
    const named = inputError(() => parseCsv('f.csv', 'ds,"a\nb",c\n2026-01-05,1,2\n'));
    // The header ends on line 2, where its quoted line break takes it.
    expect(named.message).toBe(
      'f.csv:2: series name "a\\nb" is not printable text of at most 200 characters',
    );
  });

  it('refuses more than 1,000,000 values at the row past the limit, without reading on', () => {
    const header = `ds,${Array.from({ length: 10 }, (_, j) => `s${j}`).join(',')}`;
    const body = Array.from({ length: 100_001 }, (_, i) => `${T0 / 1000 + i * 60},1,2,3,4,5,6,7,8,9,10`);
    const e = inputError(() => parseCsv('f.csv', `${header}\n${body.join('\n')}\n`));
    expect(e.message).toBe(
      'f.csv:100002: the file holds more than 1,000,000 values (rows × series), the limit for a metric file; keep its most recent rows',
    );
  });

  it('refuses text over 64 MiB at line 1 before parsing it', () => {
    const e = inputError(() => parseCsv('f.csv', `ds,y\n${'9'.repeat(MAX_CSV_BYTES)}`));
    expect(e.message).toBe(
      'f.csv:1: the file is 67,108,869 bytes, more than the limit of 67,108,864 (64 MiB) for a metric file; keep its most recent rows',
    );
  });

  it('refuses a file over 64 MiB without reading it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shadowcast-csv-')), 'big.csv');
    writeFileSync(file, '');
    truncateSync(file, MAX_CSV_BYTES + 1); // sparse: no disk is used
    const read = vi.fn(async () => 'ds,y\n');
    await expect(new CsvSource(file, read).range('', 0, Infinity)).rejects.toThrow(
      `${file}:1: the file is 67,108,865 bytes, more than the limit`,
    );
    expect(read).not.toHaveBeenCalled();
  });

  it('refuses a series whose grid, gaps filled, would pass 1,000,000 points', () => {
    // Pairs of rows a minute apart, 10,000 minutes between pairs: a step of 1m, gaps of 9,999.
    const stamps = Array.from({ length: 202 }, (_, i) => T0 + (Math.floor(i / 2) * 10_001 + (i % 2)) * MIN);
    const text = `ds,y\n${stamps.map((t) => `${t / 1000},1`).join('\n')}\n`;
    const e = inputError(() => parseCsv('f.csv', text, { maxGap: 10_000 }));
    expect(e.detail).toBe('"f" would have more than 1,000,000 points on its grid, the limit of a series');
    expect(e.line).toBe(202); // the first of the pair at minute 1,000,100
  });

  it('fills a gap every other row in linear time (it was quadratic: 11 s for half this file)', () => {
    const text = `ds,y\n${rows(400_001, (i) => (i % 2 ? '' : i))}\n`;
    const t0 = performance.now();
    const set = parseCsv('f.csv', text);
    expect(set.series[0]!.values.length).toBe(400_001);
    expect(set.repairs).toHaveLength(200_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
  }, 60_000);
});

describe('CsvSource', () => {
  const read = (text: string) => async () => text;

  it('refuses a file of several series without a query, at its header', async () => {
    const source = new CsvSource('w.csv', read('ds,a,b\n2026-01-05,1,2\n2026-01-06,1,2\n'));
    await expect(source.range('', 0, Infinity)).rejects.toThrow(
      'w.csv:1: holds 2 series (a, b); choose one with --series',
    );
    expect((await source.range('b', 0, Infinity)).series.map((s) => s.name)).toEqual(['b']);
  });

  it('names an unknown series at the header, listing at most ten', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const source = new CsvSource(
      'w.csv',
      read(
        `ds,${names.join(',')}\n2026-01-05,${names.map(() => 1).join(',')}\n2026-01-06,${names.map(() => 1).join(',')}\n`,
      ),
    );
    await expect(source.range('x', 0, Infinity)).rejects.toThrow(
      'w.csv:1: no series named "x" (has: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, … 2 more)',
    );
  });
});

describe('fast paths equal the libraries they stand in for', () => {
  const collect = (each: (visit: (row: Row) => void) => unknown) => {
    const out: Row[] = [];
    each((row) => out.push(row));
    return out;
  };
  const piece = fc.constantFrom(
    'a',
    '1',
    '-',
    ':',
    '.',
    ',',
    ',',
    ' ',
    '\t',
    '\u00a0',
    '\n',
    '\n',
    '\ufeff',
    'x y',
  );

  it('forEachPlainRow reads quote-free text exactly as csv-parse does, \\n or \\r\\n', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.boolean(), (pieces, crlf) => {
        let text = pieces.join('');
        if (crlf) text = text.replace(/\n/g, '\r\n');
        const fast = collect((visit) => expect(forEachPlainRow(text, visit)).toBe(true));
        const parsed = collect((visit) => forEachParsedRow('t.csv', text, visit));
        expect(fast).toEqual(parsed);
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('forEachPlainRow leaves quotes and mixed line breaks to csv-parse', () => {
    expect(forEachPlainRow('a,"b"\n', () => {})).toBe(false);
    expect(forEachPlainRow('a\r\nb\nc', () => {})).toBe(false);
    expect(forEachPlainRow('a\rb', () => {})).toBe(false);
  });

  it('plainIso reads a time exactly as luxon does, whenever it reads one', () => {
    const two = (lo: number, hi: number) =>
      fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));
    const stamp = fc
      .record({
        y: fc.integer({ min: 990, max: 10_010 }).map((n) => String(n).padStart(4, '0')),
        mo: two(0, 13),
        d: two(0, 32),
        sep: fc.constantFrom('T', ' '),
        time: fc.option(
          fc.tuple(two(0, 25), two(0, 61), fc.option(two(0, 61)), fc.option(fc.stringMatching(/^\d{1,3}$/))),
        ),
        off: fc.option(
          fc.oneof(
            fc.constant('Z'),
            fc
              .tuple(fc.constantFrom('+', '-'), two(0, 25), fc.constantFrom(':', ''), two(0, 61))
              .map((p) => p.join('')),
          ),
        ),
      })
      .map(({ y, mo, d, sep, time, off }) => {
        if (!time) return `${y}-${mo}-${d}`;
        const [h, m, s, f] = time;
        const secs = s === null ? '' : `:${s}${f === null ? '' : `.${f}`}`;
        return `${y}-${mo}-${d}${sep}${h}:${m}${secs}${off ?? ''}`;
      });
    fc.assert(
      fc.property(stamp, fc.constantFrom('UTC', 'Europe/Berlin'), (t, zone) => {
        const fast = plainIso(t, zone);
        if (fast === undefined) return;
        const dt = DateTime.fromISO(t.replace(' ', 'T'), { zone, setZone: false });
        expect(dt.isValid, t).toBe(true);
        expect(fast, t).toBe(dt.toMillis());
      }),
      { seed: 7, numRuns: 3000 },
    );
  });
});
