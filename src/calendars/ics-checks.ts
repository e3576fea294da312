// Checks on the raw text of one VEVENT before ical.js sees it, which would throw without a line or
// guess: times, TZIDs, RRULEs and durations, and our X-SHADOWCAST-* properties read into the fields
// of its events.

import ICAL from 'ical.js';
import { InputError } from '../core/errors.js';
import type { CalendarEvent, EventKind } from '../core/events.js';
import { asKind, checkedEffect, checkedWindowMs, messageOf, notAKind } from './fields.js';
import { all, type ContentLine, type EventBlock, first } from './ics-scan.js';
import { resolveTzid } from './ics-zones.js';

/** Everything about an event except its times. */
export type Fields = Omit<CalendarEvent, 'start' | 'end'> & { source: { file: string; line: number } };

const TIME_PROPS = new Set(['DTSTART', 'DTEND', 'RECURRENCE-ID', 'EXDATE', 'RDATE']);
const LIST_PROPS = new Set(['EXDATE', 'RDATE']);
const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$/;
const ICS_DURATION = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const ISO_DURATION_HINT = 'an ISO-8601 duration like PT2H';

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  return !!m && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

function isDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  return (
    !!m &&
    validDay(Number(m[1]), Number(m[2]), Number(m[3])) &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6]) <= 60
  );
}

function validDay(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** What is wrong with one DATE / DATE-TIME / PERIOD value of `cl`, if anything. */
function timeValueProblem(cl: ContentLine, value: string): string | undefined {
  const type = (cl.params.VALUE ?? 'DATE-TIME').toUpperCase();
  const shown = `${cl.name} ${JSON.stringify(value)}`;
  if (type === 'DATE') return isDate(value) ? undefined : `${shown} is not a valid date`;
  if (type === 'PERIOD' && cl.name === 'RDATE') {
    const [from, to = ''] = value.split('/');
    const ok = isDateTime(from ?? '') && (isDateTime(to) || icsDurationSeconds(to) !== undefined);
    return ok ? undefined : `${shown} is not a valid period (expected start/end or start/duration)`;
  }
  if (type !== 'DATE-TIME') return `${cl.name} has VALUE=${type}; expected DATE or DATE-TIME`;
  if (isDateTime(value)) return undefined;
  if (isDate(value)) return `${shown} is a date: write ${cl.name};VALUE=DATE:${value}`;
  return `${shown} is not a valid ${value.includes('T') ? 'date-time' : 'date'}`;
}

/** Seconds of an RFC 5545 duration (P1D, PT2H, -PT15M), or undefined when it is not one. */
function icsDurationSeconds(text: string): number | undefined {
  const t = text.trim();
  const m = ICS_DURATION.exec(t);
  if (!m || !/\d/.test(t) || t.endsWith('T')) return undefined;
  const [, sign, w, d, h, min, s] = m.map((x) => x ?? '');
  const seconds = ((Number(w) * 7 + Number(d)) * 24 + Number(h)) * 3600 + Number(min) * 60 + Number(s);
  return sign === '-' ? -seconds : seconds;
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function kindOf(file: string, block: EventBlock): EventKind {
  const declared = first(block, 'X-SHADOWCAST-KIND');
  const fromProperty = declared && asKind(declared.value);
  if (declared && !fromProperty) {
    throw new InputError(
      file,
      declared.line,
      notAKind(`X-SHADOWCAST-KIND ${JSON.stringify(declared.value)}`),
    );
  }
  // CATEGORIES is free text shared with other tools, so only a value naming a kind counts.
  for (const categories of all(block, 'CATEGORIES')) {
    for (const category of categories.value.split(/(?<!\\),/)) {
      const kind = asKind(unescapeText(category));
      if (kind) return kind;
    }
  }
  return fromProperty ?? 'event';
}

function windowMs(file: string, block: EventBlock, name: string): number {
  const cl = first(block, name);
  if (!cl) return 0;
  const seconds = icsDurationSeconds(cl.value);
  return checkedWindowMs(
    seconds === undefined ? undefined : seconds * 1000,
    `${name} ${JSON.stringify(cl.value)}`,
    ISO_DURATION_HINT,
    (message) => new InputError(file, cl.line, message),
  );
}

function fieldsOf(file: string, block: EventBlock): Fields {
  const summary = first(block, 'SUMMARY');
  const fields: Fields = {
    name: (summary && unescapeText(summary.value).trim()) || 'untitled',
    kind: kindOf(file, block),
    lowerWindowMs: windowMs(file, block, 'X-SHADOWCAST-LOWER-WINDOW'),
    upperWindowMs: windowMs(file, block, 'X-SHADOWCAST-UPPER-WINDOW'),
    source: { file, line: block.line },
  };
  const effect = first(block, 'X-SHADOWCAST-EFFECT');
  if (effect) {
    fields.expectedEffect = checkedEffect(
      effect.value,
      `X-SHADOWCAST-EFFECT ${JSON.stringify(effect.value)}`,
      (message) => new InputError(file, effect.line, message),
    );
  }
  return fields;
}

function checkRrule(file: string, cl: ContentLine): void {
  const shown = `RRULE ${JSON.stringify(cl.value)}`;
  let rule: ICAL.Recur;
  try {
    rule = ICAL.Recur.fromString(cl.value);
  } catch (err) {
    throw new InputError(file, cl.line, `${shown} is invalid: ${messageOf(err)}`);
  }
  if (!rule.freq) throw new InputError(file, cl.line, `${shown} has no FREQ`);
  const until = /(?:^|;)UNTIL=([^;]*)/i.exec(cl.value)?.[1];
  if (until !== undefined && !isDate(until) && !isDateTime(until)) {
    throw new InputError(file, cl.line, `${shown} has an invalid UNTIL ${JSON.stringify(until)}`);
  }
}

/** Checks one VEVENT's text before ical.js sees it (ical.js would throw without a line, or guess). */
export function checkBlock(file: string, block: EventBlock, zones: ReadonlySet<string>): Fields {
  for (const cl of block.props) {
    if (TIME_PROPS.has(cl.name)) {
      const values = LIST_PROPS.has(cl.name) ? cl.value.split(',') : [cl.value];
      for (const value of values) {
        const problem = timeValueProblem(cl, value.trim());
        if (problem) throw new InputError(file, cl.line, problem);
      }
    }
    if (cl.params.TZID !== undefined) resolveTzid(file, cl, zones);
    if (cl.name === 'RRULE') checkRrule(file, cl);
  }
  const fields = fieldsOf(file, block);
  const label = `event ${JSON.stringify(fields.name)}`;
  if (!first(block, 'DTSTART')) throw new InputError(file, block.line, `${label}: missing DTSTART`);
  const duration = first(block, 'DURATION');
  if (duration && first(block, 'DTEND')) {
    throw new InputError(file, duration.line, `${label}: has both DTEND and DURATION (give one)`);
  }
  if (duration) {
    const seconds = icsDurationSeconds(duration.value);
    const shown = `DURATION ${JSON.stringify(duration.value)}`;
    if (seconds === undefined)
      throw new InputError(file, duration.line, `${shown} is not ${ISO_DURATION_HINT}`);
    if (seconds < 0) throw new InputError(file, duration.line, `${label}: ${shown} is negative`);
  }
  return fields;
}
