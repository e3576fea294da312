// The YAML event-list reader with the real yaml, zod and luxon: end vs duration, windows, effects,
// time zones, the exact file:line of every refusal, and properties over random input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FIELDS, parseYamlCalendar, parseYamlEvents } from '../../src/calendars/yaml.js';
import { InputError } from '../../src/core/errors.js';
import { type CalendarEvent, EVENT_KINDS } from '../../src/core/events.js';

const HOUR = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();
const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('yaml: events', () => {
  const one = (event: string[], header: string[] = [], timezone?: string): CalendarEvent => {
    const text = lines(...header, 'events:', ...event.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)));
    const events = parseYamlEvents('c.yaml', text, timezone ? { timezone } : {});
    expect(events).toHaveLength(1);
    return events[0]!;
  };

  const cases: {
    name: string;
    event: string[];
    header?: string[];
    timezone?: string;
    expected: Partial<CalendarEvent> & { from?: string; to?: string };
  }[] = [
    {
      name: 'start and end, UTC by default',
      event: ['name: Black Friday sale', 'kind: campaign', 'start: 2026-11-27T00:00', 'end: 2026-11-28'],
      expected: {
        name: 'Black Friday sale',
        kind: 'campaign',
        from: '2026-11-27T00:00:00.000Z',
        to: '2026-11-28T00:00:00.000Z',
      },
    },
    {
      name: 'duration in hours',
      event: ['name: x', 'start: 2026-11-27T00:00', 'duration: 36h'],
      expected: { from: '2026-11-27T00:00:00.000Z', to: '2026-11-28T12:00:00.000Z' },
    },
    {
      name: 'duration in ISO-8601',
      event: ['name: x', 'start: 2026-11-27T00:00', 'duration: P1DT12H'],
      expected: { to: '2026-11-28T12:00:00.000Z' },
    },
    {
      name: 'duration in minutes',
      event: ['name: x', 'start: 2026-06-01T10:00', 'duration: 90m'],
      expected: { to: '2026-06-01T11:30:00.000Z' },
    },
    {
      name: 'duration in weeks',
      event: ['name: x', 'start: 2026-06-01', 'duration: 1w'],
      expected: { to: '2026-06-08T00:00:00.000Z' },
    },
    {
      name: 'duration combined',
      event: ['name: x', 'start: 2026-06-01T00:00', 'duration: 1d12h'],
      expected: { to: '2026-06-02T12:00:00.000Z' },
    },
    {
      name: 'date-only start with neither end nor duration is one whole day',
      event: ['name: x', 'kind: holiday', 'start: 2026-12-25'],
      expected: { kind: 'holiday', from: '2026-12-25T00:00:00.000Z', to: '2026-12-26T00:00:00.000Z' },
    },
    { name: 'kind defaults to event', event: ['name: x', 'start: 2026-12-25'], expected: { kind: 'event' } },
    {
      name: 'windows and percent effect',
      event: [
        'name: x',
        'start: 2026-12-25',
        'lower_window: 2h',
        'upper_window: 1d',
        'expected_effect: +40%',
      ],
      expected: { lowerWindowMs: 2 * HOUR, upperWindowMs: 24 * HOUR, expectedEffect: 0.4 },
    },
    {
      name: 'ISO windows and numeric effect',
      event: [
        'name: x',
        'start: 2026-12-25',
        'lower_window: PT30M',
        'upper_window: 0',
        'expected_effect: -0.15',
      ],
      expected: { lowerWindowMs: HOUR / 2, upperWindowMs: 0, expectedEffect: -0.15 },
    },
    {
      name: "the file's timezone applies to times without an offset",
      header: ['timezone: Europe/Berlin'],
      event: ['name: x', 'start: 2026-11-27T00:00', 'end: 2026-11-28'],
      expected: { from: '2026-11-26T23:00:00.000Z', to: '2026-11-27T23:00:00.000Z' },
    },
    {
      name: 'an explicit offset beats the timezone',
      header: ['timezone: Europe/Berlin'],
      event: ['name: x', 'start: 2026-11-27T00:00Z', 'end: 2026-11-27T06:00+05:30'],
      expected: { from: '2026-11-27T00:00:00.000Z', to: '2026-11-27T00:30:00.000Z' },
    },
    {
      name: 'a whole day across the spring DST change lasts 23h',
      header: ['timezone: Europe/Berlin'],
      event: ['name: x', 'start: 2026-03-29'],
      expected: { from: '2026-03-28T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z' },
    },
    {
      name: 'duration 1d is a calendar day in the zone, 24h is 24 hours',
      header: ['timezone: Europe/Berlin'],
      event: ['name: x', 'start: 2026-10-25T00:00', 'duration: 1d'],
      expected: { from: '2026-10-24T22:00:00.000Z', to: '2026-10-25T23:00:00.000Z' },
    },
    {
      name: 'the timezone option is the default when the file names none',
      timezone: 'America/New_York',
      event: ['name: x', 'start: 2026-07-04'],
      expected: { from: '2026-07-04T04:00:00.000Z', to: '2026-07-05T04:00:00.000Z' },
    },
    {
      name: "the file's timezone beats the option",
      header: ['timezone: UTC'],
      timezone: 'America/New_York',
      event: ['name: x', 'start: 2026-07-04'],
      expected: { from: '2026-07-04T00:00:00.000Z' },
    },
    {
      name: 'a space between date and time is accepted',
      event: ['name: x', 'start: 2026-07-04 10:00', 'duration: 2h'],
      expected: { from: '2026-07-04T10:00:00.000Z', to: '2026-07-04T12:00:00.000Z' },
    },
  ];

  it.each(cases)('$name', ({ event, header, timezone, expected }) => {
    const { from, to, ...rest } = expected;
    const got = one(event, header, timezone);
    expect(got).toMatchObject(rest);
    if (from) expect(iso(got.start)).toBe(from);
    if (to) expect(iso(got.end)).toBe(to);
  });

  it('accepts a bare list and records each event line', () => {
    const text = lines(
      '# deploy freeze',
      '- name: a',
      '  start: 2026-01-02',
      '',
      '- {name: b, start: 2026-01-01}',
    );
    const events = parseYamlEvents('l.yml', text);
    expect(events.map((e) => [e.name, e.source])).toEqual([
      ['a', { file: 'l.yml', line: 2 }],
      ['b', { file: 'l.yml', line: 5 }],
    ]);
  });

  it('events() returns what overlaps [start, end) with windows, sorted by start', async () => {
    const text = lines(
      'events:',
      '  - {name: late, start: 2026-01-10}',
      '  - {name: early, start: 2026-01-01}',
      '  - {name: windowed, start: 2026-01-20, lower_window: 5d}',
      '  - {name: outside, start: 2026-02-01}',
    );
    const calendar = parseYamlCalendar('c.yaml', text);
    const got = await calendar.events(Date.parse('2026-01-01T12:00:00Z'), Date.parse('2026-01-16T00:00:00Z'));
    expect(got.map((e) => e.name)).toEqual(['early', 'late', 'windowed']);
  });
});

describe('yaml: refusals name file and line', () => {
  const cases: { name: string; text: string; message: string }[] = [
    {
      name: 'end before start',
      text: lines(
        '# campaigns',
        'timezone: Europe/Berlin',
        'events:',
        '  - name: Black Friday',
        '    kind: campaign',
        '    start: 2026-11-27',
        '    end: 2026-11-26',
      ),
      message: 'cal.yaml:7: event "Black Friday": end 2026-11-26 is before start 2026-11-27',
    },
    {
      name: 'end equal to start',
      text: lines('- name: x', '  start: 2026-11-27T10:00', '  end: 2026-11-27T11:00+01:00'),
      message:
        'cal.yaml:3: event "x": end 2026-11-27T11:00+01:00 is the same instant as start 2026-11-27T10:00',
    },
    {
      name: 'unknown kind',
      text: lines('events:', '  - name: Launch', '    kind: launch', '    start: 2026-01-01'),
      message: 'cal.yaml:3: event "Launch": kind "launch" is not one of deploy, campaign, holiday, event',
    },
    {
      name: 'both end and duration',
      text: lines('- name: x', '  start: 2026-01-01', '  end: 2026-01-02', '  duration: 1d'),
      message: 'cal.yaml:4: event "x": give either end or duration, not both',
    },
    {
      name: 'unknown field',
      text: lines('- name: x', '  start: 2026-01-01', '  ends: 2026-01-02'),
      message:
        'cal.yaml:3: event "x": unknown field "ends" (fields are name, kind, start, end, duration, ' +
        'lower_window, upper_window, expected_effect)',
    },
    {
      name: 'a misspelt field is reported rather than the field it leaves missing',
      text: lines('- name: x', '  strat: 2026-01-01'),
      message:
        'cal.yaml:2: event "x": unknown field "strat" (fields are name, kind, start, end, duration, ' +
        'lower_window, upper_window, expected_effect)',
    },
    {
      name: 'unknown top-level field',
      text: lines('timezone: UTC', 'event:', '  - name: x'),
      message: 'cal.yaml:2: unknown top-level field "event" (expected timezone, events)',
    },
    {
      name: 'missing name (the event is named by its position)',
      text: lines('- name: a', '  start: 2026-01-01', '- start: 2026-01-02'),
      message: 'cal.yaml:3: event 2: missing "name"',
    },
    { name: 'missing start', text: lines('- name: a'), message: 'cal.yaml:1: event "a": missing "start"' },
    {
      name: 'start is not a date',
      text: lines('- name: a', '  start: next tuesday'),
      message:
        'cal.yaml:2: event "a": start "next tuesday" is not a valid date or date-time (like 2026-11-27 or 2026-11-27T09:00)',
    },
    {
      name: 'impossible date',
      text: lines('- name: a', '  start: 2026-02-30'),
      message:
        'cal.yaml:2: event "a": start "2026-02-30" is not a valid date or date-time (like 2026-11-27 or 2026-11-27T09:00)',
    },
    {
      name: 'start as a YAML number',
      text: lines('- name: a', '  start: 2026'),
      message: 'cal.yaml:2: event "a": start must be a date or date-time like 2026-11-27 or 2026-11-27T09:00',
    },
    {
      name: 'timed start without end',
      text: lines('- name: a', '  start: 2026-01-01T10:00'),
      message: 'cal.yaml:1: event "a": needs end or duration (only a date-only start means the whole day)',
    },
    {
      name: 'duration without unit',
      text: lines('- name: a', '  start: 2026-01-01', '  duration: 90'),
      message: 'cal.yaml:3: event "a": duration 90 is not a duration like 90m, 2h, 1d, 1w or PT2H',
    },
    {
      name: 'duration in months',
      text: lines('- name: a', '  start: 2026-01-01', '  duration: P1M'),
      message: 'cal.yaml:3: event "a": duration "P1M" is not a duration like 90m, 2h, 1d, 1w or PT2H',
    },
    {
      name: 'zero duration',
      text: lines('- name: a', '  start: 2026-01-01', '  duration: 0h'),
      message: 'cal.yaml:3: event "a": duration "0h" must be positive',
    },
    {
      name: 'negative window',
      text: lines('- name: a', '  start: 2026-01-01', '  lower_window: -PT1H'),
      message: 'cal.yaml:3: event "a": lower_window "-PT1H" must not be negative',
    },
    {
      name: 'effect is not a number',
      text: lines('- name: a', '  start: 2026-01-01', '  expected_effect: lots'),
      message:
        'cal.yaml:3: event "a": expected_effect "lots" is not a number like 0.3 or a percentage like +30%',
    },
    {
      name: 'effect below -100%',
      text: lines('- name: a', '  start: 2026-01-01', '  expected_effect: -150%'),
      message: 'cal.yaml:3: event "a": expected_effect "-150%" would make demand negative',
    },
    {
      name: 'unknown timezone',
      text: lines('events: []', 'timezone: Mars/Olympus'),
      message: 'cal.yaml:2: timezone "Mars/Olympus" is not an IANA time zone like Europe/Berlin',
    },
    {
      name: 'YAML syntax error',
      text: lines('events:', '  - name: a', '    start: [2026-01-01', 'oops: 1'),
      message:
        'cal.yaml:4: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    },
    {
      name: 'duplicate key',
      text: lines('- name: a', '  name: b', '  start: 2026-01-01'),
      message: 'cal.yaml:2: not valid YAML: Map keys must be unique',
    },
    {
      name: 'empty file',
      text: '',
      message: 'cal.yaml:1: the file is empty (expected a list of events, or "events:")',
    },
    {
      name: 'a scalar',
      text: 'hello',
      message: 'cal.yaml:1: expected a list of events, or a mapping with "events:"',
    },
    { name: 'events not a list', text: lines('events: 3'), message: 'cal.yaml:1: "events" must be a list' },
    {
      name: 'an event that is not a mapping',
      text: lines('events:', '  - just a string'),
      message: 'cal.yaml:2: event 1: an event must be a mapping like "name: ..., start: ..."',
    },
  ];

  it.each(cases)('$name', ({ text, message }) => {
    const attempt = () => parseYamlCalendar('cal.yaml', text);
    expect(attempt).toThrow(InputError);
    try {
      attempt();
    } catch (err) {
      expect((err as InputError).message).toBe(message);
    }
  });
});

describe('yaml: properties', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
  const pad = (n: number) => String(n).padStart(2, '0');

  const date = fc
    .record({
      y: fc.integer({ min: 2000, max: 2099 }),
      m: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 28 }),
    })
    .map(({ y, m, d }) => `${y}-${pad(m)}-${pad(d)}`);
  const time = fc
    .record({ h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }) })
    .map(({ h, mi }) => `T${pad(h)}:${pad(mi)}`);
  const shortSpan = fc
    .tuple(fc.integer({ min: 1, max: 500 }), fc.constantFrom('m', 'h', 'd', 'w'))
    .map(([n, u]) => `${n}${u}`);
  const isoSpan = fc
    .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 48 }), fc.integer({ min: 0, max: 59 }))
    .filter(([d, h, m]) => d + h + m > 0)
    .map(([d, h, m]) => `P${d ? `${d}D` : ''}${h || m ? `T${h ? `${h}H` : ''}${m ? `${m}M` : ''}` : ''}`);
  const span = fc.oneof(shortSpan, isoSpan);

  // An end given as a later date (day after the start or beyond): never ambiguous across DST gaps.
  const event = fc
    .record({
      name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0),
      kind: fc.constantFrom(...EVENT_KINDS),
      day: date,
      at: fc.option(time, { nil: undefined }),
      ending: fc.oneof(
        fc.record({ duration: span }),
        fc.record({ daysLater: fc.integer({ min: 1, max: 60 }) }),
        fc.constant({}),
      ),
      lower_window: fc.option(span, { nil: undefined }),
      upper_window: fc.option(span, { nil: undefined }),
      expected_effect: fc.option(
        fc.oneof(
          fc.double({ min: -1, max: 5, noNaN: true }),
          fc.integer({ min: -100, max: 500 }).map((n) => `${n >= 0 ? '+' : ''}${n}%`),
        ),
        { nil: undefined },
      ),
    })
    .map(({ day, at, ending, ...rest }) => {
      const out: Record<string, unknown> = { ...rest, start: `${day}${at ?? ''}` };
      if ('duration' in ending) out.duration = ending.duration;
      else if ('daysLater' in ending) {
        const end = new Date(`${day}T00:00:00Z`);
        end.setUTCDate(end.getUTCDate() + 1 + ending.daysLater);
        out.end = end.toISOString().slice(0, 10);
      } else if (at) out.duration = '1h';
      for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
      return out;
    });

  it('random valid events parse with start < end, in order, one per entry, each on its own line', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...zones),
        fc.boolean(),
        (events, timezone, bare) => {
          const text = stringify(bare ? events : { timezone, events });
          const parsed = parseYamlEvents('p.yaml', text);
          expect(parsed).toHaveLength(events.length);
          const docLines = text.split('\n');
          parsed.forEach((e, i) => {
            expect(e.start).toBeLessThan(e.end);
            expect(e.lowerWindowMs).toBeGreaterThanOrEqual(0);
            expect(e.upperWindowMs).toBeGreaterThanOrEqual(0);
            expect(e.name).toBe(String(events[i]!.name).trim());
            expect(docLines[e.source!.line - 1]).toMatch(/^\s*- /);
            if (i > 0) expect(e.source!.line).toBeGreaterThan(parsed[i - 1]!.source!.line);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  const onlyInputError = (text: string) => {
    try {
      parseYamlEvents('g.yaml', text);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      expect(err.file).toBe('g.yaml');
      expect(err.line).toBeGreaterThanOrEqual(1);
    }
  };

  it('random text: parses or throws InputError with a line', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), onlyInputError), { numRuns: 500 });
  });

  it('random YAML values: parse or throw InputError with a line', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => onlyInputError(stringify(value) ?? '')),
      { numRuns: 300 },
    );
  });

  it('random events with random field values: parse or throw InputError with a line', () => {
    const field = fc.constantFrom(...FIELDS, 'other');
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      date,
      span,
    );
    fc.assert(
      fc.property(fc.array(fc.dictionary(field, value), { maxLength: 4 }), (events) =>
        onlyInputError(stringify({ events })),
      ),
      { numRuns: 500 },
    );
  });
});
