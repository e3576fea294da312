// The .ics reader against real ical.js and luxon (nothing faked): recurrence, time zones, all-day
// events, field mapping, and the exact file:line of every refusal.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIcsCalendar } from '../../src/calendars/ics.js';
import { InputError } from '../../src/core/errors.js';
import type { CalendarEvent } from '../../src/core/events.js';

const HOUR = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

/** A calendar whose first body line is line 4, so a case can count its lines. */
function cal(...body: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//shadowcast//test//EN', ...body, 'END:VCALENDAR'].join(
    '\r\n',
  );
}

function vevent(...props: string[]): string[] {
  return ['BEGIN:VEVENT', ...props, 'END:VEVENT'];
}

// A hand-written VTIMEZONE under a name luxon does not know, so a right answer proves it was used.
const EASTERN = [
  'BEGIN:VTIMEZONE',
  'TZID:Eastern Standard Time',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:-0500',
  'TZOFFSETTO:-0400',
  'DTSTART:19700308T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500',
  'DTSTART:19701101T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

// A fixed +03:00 zone filed under an IANA name: the file's own VTIMEZONE must win over luxon's.
const FAKE_BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0300',
  'TZOFFSETTO:+0300',
  'DTSTART:19700101T000000',
  'END:STANDARD',
  'END:VTIMEZONE',
];

async function spans(text: string, from: string, to: string, timezone?: string): Promise<string[][]> {
  const events = await parseIcsCalendar('t.ics', text, timezone ? { timezone } : {}).events(ms(from), ms(to));
  return events.map((e) => [iso(e.start), iso(e.end)]);
}

describe('ics: occurrences', () => {
  const weekly = (...extra: string[]) =>
    cal(...vevent('UID:w', 'SUMMARY:Deploy', 'DTSTART:20260105T100000Z', 'DTEND:20260105T110000Z', ...extra));

  const cases: {
    name: string;
    text: string;
    range: [string, string];
    timezone?: string;
    expected: string[][];
  }[] = [
    {
      name: 'RRULE weekly with COUNT',
      text: weekly('RRULE:FREQ=WEEKLY;COUNT=3'),
      range: ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
      expected: [
        ['2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z'],
        ['2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z'],
        ['2026-01-19T10:00:00.000Z', '2026-01-19T11:00:00.000Z'],
      ],
    },
    {
      name: 'RRULE weekly with UNTIL (inclusive)',
      text: weekly('RRULE:FREQ=WEEKLY;UNTIL=20260112T100000Z'),
      range: ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
      expected: [
        ['2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z'],
        ['2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z'],
      ],
    },
    {
      name: 'an endless rule is expanded only within the range',
      text: weekly('RRULE:FREQ=WEEKLY'),
      range: ['2026-02-01T00:00:00Z', '2026-02-15T00:00:00Z'],
      expected: [
        ['2026-02-02T10:00:00.000Z', '2026-02-02T11:00:00.000Z'],
        ['2026-02-09T10:00:00.000Z', '2026-02-09T11:00:00.000Z'],
      ],
    },
    {
      name: 'an instance overlapping the range start is kept',
      text: weekly('RRULE:FREQ=WEEKLY;COUNT=3'),
      range: ['2026-01-12T10:30:00Z', '2026-01-12T12:00:00Z'],
      expected: [['2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z']],
    },
    {
      name: 'EXDATE removes an occurrence',
      text: weekly('RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE:20260112T100000Z'),
      range: ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
      expected: [
        ['2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z'],
        ['2026-01-19T10:00:00.000Z', '2026-01-19T11:00:00.000Z'],
      ],
    },
    {
      name: 'EXDATE;VALUE=DATE removes the occurrence on that day',
      text: weekly('RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE;VALUE=DATE:20260119'),
      range: ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
      expected: [
        ['2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z'],
        ['2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z'],
      ],
    },
    {
      name: 'RDATE adds an occurrence',
      text: weekly('RRULE:FREQ=WEEKLY;COUNT=2', 'RDATE:20260107T100000Z'),
      range: ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
      expected: [
        ['2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z'],
        ['2026-01-07T10:00:00.000Z', '2026-01-07T11:00:00.000Z'],
        ['2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z'],
      ],
    },
    {
      name: 'TZID with an embedded VTIMEZONE keeps 09:00 local across the US DST change (2026-03-08)',
      text: cal(
        ...EASTERN,
        ...vevent(
          'UID:e',
          'SUMMARY:Standup',
          'DTSTART;TZID=Eastern Standard Time:20260302T090000',
          'DTEND;TZID=Eastern Standard Time:20260302T093000',
          'RRULE:FREQ=WEEKLY;COUNT=3',
        ),
      ),
      range: ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
      expected: [
        ['2026-03-02T14:00:00.000Z', '2026-03-02T14:30:00.000Z'],
        ['2026-03-09T13:00:00.000Z', '2026-03-09T13:30:00.000Z'],
        ['2026-03-16T13:00:00.000Z', '2026-03-16T13:30:00.000Z'],
      ],
    },
    {
      name: 'bare IANA TZID (no VTIMEZONE) keeps 10:00 local across the EU DST change (2026-03-29)',
      text: cal(
        ...vevent(
          'UID:b',
          'SUMMARY:Release',
          'DTSTART;TZID=Europe/Berlin:20260323T100000',
          'DTEND;TZID=Europe/Berlin:20260323T110000',
          'RRULE:FREQ=WEEKLY;COUNT=2',
        ),
      ),
      range: ['2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z'],
      expected: [
        ['2026-03-23T09:00:00.000Z', '2026-03-23T10:00:00.000Z'],
        ['2026-03-30T08:00:00.000Z', '2026-03-30T09:00:00.000Z'],
      ],
    },
    {
      name: 'bare IANA TZID with UNTIL in UTC and an EXDATE in local time',
      text: cal(
        ...vevent(
          'UID:b2',
          'DTSTART;TZID=America/New_York:20261026T090000',
          'RRULE:FREQ=DAILY;UNTIL=20261105T140000Z',
          'EXDATE;TZID=America/New_York:20261027T090000',
        ),
      ),
      range: ['2026-11-01T12:00:00Z', '2026-12-01T00:00:00Z'],
      expected: [
        ['2026-11-01T14:00:00.000Z', '2026-11-01T15:00:00.000Z'],
        ['2026-11-02T14:00:00.000Z', '2026-11-02T15:00:00.000Z'],
        ['2026-11-03T14:00:00.000Z', '2026-11-03T15:00:00.000Z'],
        ['2026-11-04T14:00:00.000Z', '2026-11-04T15:00:00.000Z'],
        ['2026-11-05T14:00:00.000Z', '2026-11-05T15:00:00.000Z'],
      ],
    },
    {
      name: "the file's VTIMEZONE wins over the IANA zone of the same name",
      text: cal(
        ...FAKE_BERLIN,
        ...vevent('UID:f', 'DTSTART;TZID=Europe/Berlin:20260701T100000', 'DURATION:PT1H'),
      ),
      range: ['2026-07-01T00:00:00Z', '2026-07-02T00:00:00Z'],
      expected: [['2026-07-01T07:00:00.000Z', '2026-07-01T08:00:00.000Z']],
    },
    {
      name: 'floating time is read as UTC',
      text: cal(...vevent('UID:x', 'DTSTART:20260110T120000', 'DTEND:20260110T130000')),
      range: ['2026-01-10T00:00:00Z', '2026-01-11T00:00:00Z'],
      expected: [['2026-01-10T12:00:00.000Z', '2026-01-10T13:00:00.000Z']],
    },
    {
      name: 'floating time is read in the timezone option',
      text: cal(...vevent('UID:x', 'DTSTART:20260110T120000', 'DTEND:20260110T130000')),
      range: ['2026-01-10T00:00:00Z', '2026-01-11T00:00:00Z'],
      timezone: 'Asia/Kolkata',
      expected: [['2026-01-10T06:30:00.000Z', '2026-01-10T07:30:00.000Z']],
    },
    {
      name: 'all-day event without DTEND spans 24h from UTC midnight',
      text: cal(...vevent('UID:h', 'SUMMARY:Black Friday', 'DTSTART;VALUE=DATE:20261127')),
      range: ['2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'],
      expected: [['2026-11-27T00:00:00.000Z', '2026-11-28T00:00:00.000Z']],
    },
    {
      name: 'all-day event with DTEND is midnight to midnight',
      text: cal(...vevent('UID:h', 'DTSTART;VALUE=DATE:20261224', 'DTEND;VALUE=DATE:20261227')),
      range: ['2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'],
      expected: [['2026-12-24T00:00:00.000Z', '2026-12-27T00:00:00.000Z']],
    },
    {
      name: 'all-day event in the timezone option on a DST day lasts 23h',
      text: cal(...vevent('UID:h', 'DTSTART;VALUE=DATE:20260329')),
      range: ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
      timezone: 'Europe/Berlin',
      expected: [['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']],
    },
    {
      name: 'DURATION instead of DTEND',
      text: cal(...vevent('UID:d', 'DTSTART:20260601T080000Z', 'DURATION:PT36H')),
      range: ['2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z'],
      expected: [['2026-06-01T08:00:00.000Z', '2026-06-02T20:00:00.000Z']],
    },
    {
      name: 'neither DTEND nor DURATION: a timed event lasts one hour',
      text: cal(...vevent('UID:d', 'DTSTART:20260601T080000Z')),
      range: ['2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z'],
      expected: [['2026-06-01T08:00:00.000Z', '2026-06-01T09:00:00.000Z']],
    },
    {
      name: 'an event before the range is kept when its upper window reaches in',
      text: cal(
        ...vevent('UID:u', 'DTSTART:20260601T080000Z', 'DURATION:PT1H', 'X-SHADOWCAST-UPPER-WINDOW:P1D'),
      ),
      range: ['2026-06-02T00:00:00Z', '2026-06-03T00:00:00Z'],
      expected: [['2026-06-01T08:00:00.000Z', '2026-06-01T09:00:00.000Z']],
    },
    {
      name: 'an event after the range is kept when its lower window reaches in',
      text: cal(
        ...vevent('UID:l', 'DTSTART:20260603T080000Z', 'RRULE:FREQ=DAILY', 'X-SHADOWCAST-LOWER-WINDOW:PT12H'),
      ),
      range: ['2026-06-02T00:00:00Z', '2026-06-02T21:00:00Z'],
      expected: [['2026-06-03T08:00:00.000Z', '2026-06-03T09:00:00.000Z']],
    },
    {
      name: 'an empty range holds nothing',
      text: weekly('RRULE:FREQ=WEEKLY'),
      range: ['2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z'],
      expected: [],
    },
  ];

  it.each(cases)('$name', async ({ text, range, timezone, expected }) => {
    expect(await spans(text, range[0], range[1], timezone)).toEqual(expected);
  });

  it('RECURRENCE-ID overrides move one instance and rename it, with its own line', async () => {
    const text = cal(
      ...vevent(
        'UID:w',
        'SUMMARY:Deploy',
        'DTSTART:20260105T100000Z',
        'DURATION:PT1H',
        'RRULE:FREQ=WEEKLY;COUNT=3',
      ),
      ...vevent(
        'UID:w',
        'SUMMARY:Deploy (moved)',
        'RECURRENCE-ID:20260112T100000Z',
        'DTSTART:20260113T150000Z',
        'DTEND:20260113T170000Z',
      ),
      ...vevent('UID:other', 'SUMMARY:Other', 'DTSTART:20260112T100000Z'),
    );
    const events = await parseIcsCalendar('o.ics', text).events(
      ms('2026-01-01T00:00:00Z'),
      ms('2026-02-01T00:00:00Z'),
    );
    expect(events.map((e) => [e.name, iso(e.start), iso(e.end), e.source?.line])).toEqual([
      ['Deploy', '2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z', 4],
      ['Other', '2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z', 18],
      ['Deploy (moved)', '2026-01-13T15:00:00.000Z', '2026-01-13T17:00:00.000Z', 11],
      ['Deploy', '2026-01-19T10:00:00.000Z', '2026-01-19T11:00:00.000Z', 4],
    ]);
  });

  it('an override moved from past the range back into it is found', async () => {
    const text = cal(
      ...vevent('UID:w', 'DTSTART:20260105T100000Z', 'RRULE:FREQ=WEEKLY;COUNT=10'),
      ...vevent('UID:w', 'SUMMARY:early', 'RECURRENCE-ID:20260302T100000Z', 'DTSTART:20260110T100000Z'),
    );
    const events = await parseIcsCalendar('o.ics', text).events(
      ms('2026-01-09T00:00:00Z'),
      ms('2026-01-11T00:00:00Z'),
    );
    expect(events.map((e) => [e.name, iso(e.start)])).toEqual([['early', '2026-01-10T10:00:00.000Z']]);
  });
});

describe('ics: fields', () => {
  const one = async (...props: string[]): Promise<CalendarEvent> => {
    const text = cal(...vevent('UID:1', 'DTSTART:20260601T080000Z', ...props));
    const events = await parseIcsCalendar('f.ics', text).events(0, ms('2100-01-01T00:00:00Z'));
    expect(events).toHaveLength(1);
    return events[0]!;
  };

  const cases: { name: string; props: string[]; expected: Partial<CalendarEvent> }[] = [
    {
      name: 'defaults',
      props: ['SUMMARY:Launch'],
      expected: {
        name: 'Launch',
        kind: 'event',
        lowerWindowMs: 0,
        upperWindowMs: 0,
        source: { file: 'f.ics', line: 4 },
      },
    },
    {
      name: 'kind from CATEGORIES (any case, any position)',
      props: ['CATEGORIES:Backend,DEPLOY'],
      expected: { kind: 'deploy' },
    },
    {
      name: 'kind from X-SHADOWCAST-KIND',
      props: ['X-SHADOWCAST-KIND:holiday'],
      expected: { kind: 'holiday' },
    },
    {
      name: 'CATEGORIES wins over X-SHADOWCAST-KIND',
      props: ['CATEGORIES:campaign', 'X-SHADOWCAST-KIND:deploy'],
      expected: { kind: 'campaign' },
    },
    {
      name: 'free-form CATEGORIES fall back to event',
      props: ['CATEGORIES:Team A'],
      expected: { kind: 'event' },
    },
    { name: 'percent effect', props: ['X-SHADOWCAST-EFFECT:+30%'], expected: { expectedEffect: 0.3 } },
    { name: 'numeric effect', props: ['X-SHADOWCAST-EFFECT:-0.25'], expected: { expectedEffect: -0.25 } },
    {
      name: 'windows as ISO-8601 durations',
      props: ['X-SHADOWCAST-LOWER-WINDOW:PT2H', 'X-SHADOWCAST-UPPER-WINDOW:P1D'],
      expected: { lowerWindowMs: 2 * HOUR, upperWindowMs: 24 * HOUR },
    },
    {
      name: 'escaped and folded SUMMARY',
      props: ['SUMMARY:Sale\\, part', '  two'],
      expected: { name: 'Sale, part two' },
    },
    { name: 'no SUMMARY', props: [], expected: { name: 'untitled' } },
  ];

  it.each(cases)('$name', async ({ props, expected }) => {
    expect(await one(...props)).toMatchObject(expected);
  });

  it('has no expectedEffect key when the file gives none', async () => {
    expect('expectedEffect' in (await one())).toBe(false);
  });
});

describe('ics: refusals name file and line', () => {
  const ev = (...props: string[]) => cal(...vevent('UID:1', 'SUMMARY:Deploy', ...props));

  const cases: { name: string; text: string; message: string }[] = [
    {
      name: 'not iCalendar',
      text: 'hello\nworld',
      message: 'x.ics:1: not an iCalendar file (expected BEGIN:VCALENDAR)',
    },
    { name: 'empty file', text: '', message: 'x.ics:1: not an iCalendar file (expected BEGIN:VCALENDAR)' },
    {
      name: 'invalid date',
      text: ev('DTSTART;VALUE=DATE:2026-13-01'),
      message: 'x.ics:7: DTSTART "2026-13-01" is not a valid date',
    },
    {
      name: 'invalid date-time',
      text: ev('DTSTART:20261301T100000Z'),
      message: 'x.ics:7: DTSTART "20261301T100000Z" is not a valid date-time',
    },
    {
      name: 'date without VALUE=DATE',
      text: ev('DTSTART:20261127'),
      message: 'x.ics:7: DTSTART "20261127" is a date: write DTSTART;VALUE=DATE:20261127',
    },
    {
      name: 'line numbers count folded lines',
      text: cal(
        'BEGIN:VEVENT',
        'SUMMARY:a very long',
        ' summary that is folded',
        'DTSTART:2026-02-30',
        'END:VEVENT',
      ),
      message: 'x.ics:7: DTSTART "2026-02-30" is not a valid date',
    },
    {
      name: 'missing DTSTART',
      text: ev('DURATION:PT1H'),
      message: 'x.ics:4: event "Deploy": missing DTSTART',
    },
    {
      name: 'DTEND before DTSTART',
      text: ev('DTSTART:20260601T100000Z', 'DTEND:20260601T090000Z'),
      message: 'x.ics:8: event "Deploy": DTEND 20260601T090000Z is before DTSTART 20260601T100000Z',
    },
    {
      name: 'DTEND and DURATION',
      text: ev('DTSTART:20260601T100000Z', 'DTEND:20260601T110000Z', 'DURATION:PT1H'),
      message: 'x.ics:9: event "Deploy": has both DTEND and DURATION (give one)',
    },
    {
      name: 'bad DURATION',
      text: ev('DTSTART:20260601T100000Z', 'DURATION:2 hours'),
      message: 'x.ics:8: DURATION "2 hours" is not an ISO-8601 duration like PT2H',
    },
    {
      name: 'unknown FREQ',
      text: ev('DTSTART:20260601T100000Z', 'RRULE:FREQ=SOMETIMES'),
      message:
        'x.ics:8: RRULE "FREQ=SOMETIMES" is invalid: invalid frequency "SOMETIMES" expected: ' +
        '"SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY"',
    },
    {
      name: 'no FREQ',
      text: ev('DTSTART:20260601T100000Z', 'RRULE:COUNT=3'),
      message: 'x.ics:8: RRULE "COUNT=3" has no FREQ',
    },
    {
      name: 'rule ical.js cannot expand',
      text: ev('DTSTART:20260601T100000Z', 'RRULE:FREQ=WEEKLY;BYMONTHDAY=3'),
      message:
        'x.ics:8: RRULE "FREQ=WEEKLY;BYMONTHDAY=3": For WEEKLY recurrences neither BYMONTHDAY nor BYYEARDAY may appear',
    },
    {
      name: 'bad UNTIL',
      text: ev('DTSTART:20260601T100000Z', 'RRULE:FREQ=DAILY;UNTIL=20261340'),
      message: 'x.ics:8: RRULE "FREQ=DAILY;UNTIL=20261340" has an invalid UNTIL "20261340"',
    },
    {
      name: 'unknown TZID',
      text: ev('DTSTART;TZID=Mars/Olympus:20260601T100000'),
      message: 'x.ics:7: TZID "Mars/Olympus" has no VTIMEZONE in the file and is not an IANA time zone',
    },
    {
      name: 'unknown kind',
      text: ev('DTSTART:20260601T100000Z', 'X-SHADOWCAST-KIND:launch'),
      message: 'x.ics:8: X-SHADOWCAST-KIND "launch" is not one of deploy, campaign, holiday, event',
    },
    {
      name: 'bad effect',
      text: ev('DTSTART:20260601T100000Z', 'X-SHADOWCAST-EFFECT:lots'),
      message: 'x.ics:8: X-SHADOWCAST-EFFECT "lots" is not a number like 0.3 or a percentage like +30%',
    },
    {
      name: 'bad window',
      text: ev('DTSTART:20260601T100000Z', 'X-SHADOWCAST-LOWER-WINDOW:2h'),
      message: 'x.ics:8: X-SHADOWCAST-LOWER-WINDOW "2h" is not an ISO-8601 duration like PT2H',
    },
    {
      name: 'negative window',
      text: ev('DTSTART:20260601T100000Z', 'X-SHADOWCAST-UPPER-WINDOW:-PT1H'),
      message: 'x.ics:8: X-SHADOWCAST-UPPER-WINDOW "-PT1H" must not be negative',
    },
    {
      name: 'malformed line',
      text: ev('DTSTART:20260601T100000Z', 'this is not a property'),
      message: 'x.ics:8: malformed line "this is not a property" (expected NAME:value)',
    },
    {
      name: 'component never closed',
      text: ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART:20260601T100000Z', 'END:VCALENDAR'].join('\n'),
      message: 'x.ics:4: END:VCALENDAR does not close BEGIN:VEVENT (line 2)',
    },
    {
      name: 'file ends inside a component',
      text: ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART:20260601T100000Z'].join('\n'),
      message: 'x.ics:2: BEGIN:VEVENT is never closed (no END:VEVENT)',
    },
    {
      name: 'something other than a calendar after it',
      text: `${cal()}\r\nBEGIN:VCARD\r\nEND:VCARD`,
      message: 'x.ics:5: expected BEGIN:VCALENDAR, found BEGIN:VCARD',
    },
  ];

  it.each(cases)('$name', ({ text, message }) => {
    const attempt = () => parseIcsCalendar('x.ics', text);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (err) {
      expect((err as InputError).message).toBe(message);
    }
  });

  const runaway: { name: string; rule: string; max?: number; message: RegExp }[] = [
    {
      name: 'too many occurrences',
      rule: 'FREQ=SECONDLY',
      max: 1000,
      message:
        /^r\.ics:8: RRULE "FREQ=SECONDLY" has more than 1000 occurrences before 2027-01-01T00:00:00\.000Z;/,
    },
    {
      name: 'an impossible rule (ical.js alone would loop forever)',
      rule: 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30',
      max: 1000,
      message: /^r\.ics:8: RRULE "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30" needs more than 10000 steps/,
    },
    {
      name: 'an impossible rule with the default cap',
      rule: 'FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=31',
      message: /^r\.ics:8: RRULE .* needs more than 500000 steps/,
    },
  ];

  it.each(runaway)('runaway rule: $name', async ({ rule, max, message }) => {
    const text = ev('DTSTART:20260101T000000Z', `RRULE:${rule}`);
    const calendar = parseIcsCalendar('r.ics', text, max ? { maxOccurrences: max } : {});
    const query = calendar.events(ms('2026-12-31T00:00:00Z'), ms('2027-01-01T00:00:00Z'));
    await expect(query).rejects.toThrow(InputError);
    await expect(query).rejects.toThrow(message);
  });
});

describe('ics: properties', () => {
  const isInputError = (err: unknown) => {
    if (!(err instanceof InputError)) throw err;
    expect(err.file).toBe('p.ics');
    return true;
  };

  /** Parsing and one query either work or fail with InputError; nothing else may escape. */
  async function parseAndQuery(text: string): Promise<void> {
    try {
      const calendar = parseIcsCalendar('p.ics', text, { maxOccurrences: 2000 });
      await calendar.events(ms('2025-01-01T00:00:00Z'), ms('2027-01-01T00:00:00Z'));
    } catch (err) {
      isInputError(err);
    }
  }

  it('random text: works or throws InputError', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), parseAndQuery), { numRuns: 300 });
  });

  const good = cal(
    ...EASTERN,
    ...vevent(
      'UID:w',
      'SUMMARY:Deploy',
      'DTSTART;TZID=Eastern Standard Time:20260105T100000',
      'DTEND;TZID=Eastern Standard Time:20260105T110000',
      'RRULE:FREQ=WEEKLY;COUNT=30',
      'EXDATE;TZID=Eastern Standard Time:20260112T100000',
      'CATEGORIES:deploy',
      'X-SHADOWCAST-EFFECT:+30%',
    ),
    ...vevent(
      'UID:w',
      'RECURRENCE-ID;TZID=Eastern Standard Time:20260119T100000',
      'DTSTART:20260120T100000Z',
    ),
    ...vevent('UID:h', 'DTSTART;VALUE=DATE:20261127'),
    ...vevent('UID:b', 'DTSTART;TZID=Europe/Berlin:20260301T090000', 'RRULE:FREQ=DAILY;COUNT=5'),
  ).split('\r\n');

  it('a valid calendar with lines dropped, repeated or edited: works or throws InputError', async () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('repeat' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
      fc.record({
        op: fc.constant('poke' as const),
        at: fc.nat(),
        col: fc.nat(),
        ch: fc.string({ minLength: 1, maxLength: 1 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const lines = [...good];
        for (const e of edits) {
          const at = e.at % lines.length;
          if (e.op === 'drop') lines.splice(at, 1);
          else if (e.op === 'repeat') lines.splice(at, 0, lines[at] ?? '');
          else if (e.op === 'replace') lines[at] = e.text;
          else {
            const line = lines[at] ?? '';
            const col = e.col % (line.length + 1);
            lines[at] = line.slice(0, col) + e.ch + line.slice(col + 1);
          }
        }
        await parseAndQuery(lines.join('\r\n'));
      }),
      { numRuns: 300 },
    );
  });

  it('weekly UTC rule: exactly the brute-force instances overlapping the range, sorted', async () => {
    const day = 86_400_000;
    const base = ms('2026-01-05T10:00:00Z');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: -10 * day, max: 220 * day }),
        fc.integer({ min: 0, max: 60 * day }),
        async (count, hours, from, length) => {
          const text = cal(
            ...vevent(
              'UID:p',
              'DTSTART:20260105T100000Z',
              `DURATION:PT${hours}H`,
              `RRULE:FREQ=WEEKLY;COUNT=${count}`,
            ),
          );
          const start = base + from;
          const end = start + length;
          const got = await parseIcsCalendar('p.ics', text).events(start, end);
          const want = Array.from({ length: count }, (_, k) => base + k * 7 * day)
            .filter((s) => s < end && s + hours * HOUR > start)
            .map((s) => [s, s + hours * HOUR]);
          expect(got.map((e) => [e.start, e.end])).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  });
});
