// Expansion of one checked .ics event into its instances in a query range: DTSTART, RDATEs and RRULEs
// merged in time order, EXDATEs removed, overrides (same UID with RECURRENCE-ID) put in place. Every
// rule is budgeted, so an impossible or far too dense one fails with its line instead of spinning.

import ICAL from 'ical.js';
import { InputError } from '../core/errors.js';
import { type CalendarEvent, eventsInRange } from '../core/events.js';
import type { Fields } from './ics-checks.js';
import type { ContentLine } from './ics-scan.js';
import { instantOf } from './ics-zones.js';

const HOUR_MS = 3_600_000;
// ical.js searches forever for a rule that no date satisfies (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30), so
// rule steps are budgeted as well as occurrences: ample for sparse rules, finite for impossible ones.
const STEPS_PER_OCCURRENCE = 10;

interface RuleSource {
  rule: ICAL.Recur;
  cl: ContentLine;
}

/** One VEVENT without RECURRENCE-ID, with the overrides (same UID, RECURRENCE-ID) related to it. */
export interface Master {
  event: ICAL.Event;
  fields: Fields;
  line: number;
  rules: RuleSource[];
  rdates: ICAL.Time[];
  exdates: ICAL.Time[];
  overrides: Map<ICAL.Component, { fields: Fields; recurrenceId: ICAL.Time }>;
}

/** A time-ordered source of recurrence instants with its next one at hand. */
interface Stream {
  head: ICAL.Time | null;
  headMs: number;
  advance(): void;
}

function stream(next: () => ICAL.Time | null, zone: string): Stream {
  const s: Stream = {
    head: null,
    headMs: Number.POSITIVE_INFINITY,
    advance() {
      // RecurIterator reuses its Time object, hence the clone.
      const t = next();
      s.head = t ? t.clone() : null;
      s.headMs = t ? instantOf(t, zone) : Number.POSITIVE_INFINITY;
    },
  };
  s.advance();
  return s;
}

function isoOrNumber(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Recurrence instants of a master in time order: DTSTART, RDATEs and each RRULE merged, repeats dropped. */
function* recurrenceIds(
  file: string,
  m: Master,
  zone: string,
  maxOccurrences: number,
  until: number,
): Generator<ICAL.Time> {
  const dtstart = m.event.startDate;
  if (m.rules.length === 0 && m.rdates.length === 0) {
    yield dtstart;
    return;
  }
  const maxSteps = maxOccurrences * STEPS_PER_OCCURRENCE;
  let steps = 0;
  const listed = [dtstart, ...m.rdates].sort((a, b) => instantOf(a, zone) - instantOf(b, zone));
  let k = 0;
  const streams = [stream(() => listed[k++] ?? null, zone)];
  for (const { rule, cl } of m.rules) {
    const it = rule.iterator(dtstart);
    const check = it.check_contracting_rules.bind(it);
    it.check_contracting_rules = () => {
      if (++steps > maxSteps) {
        throw new InputError(
          file,
          cl.line,
          `RRULE ${JSON.stringify(cl.value)} needs more than ${maxSteps} steps to reach ` +
            `${isoOrNumber(until)}; it is impossible or far too dense`,
        );
      }
      return check();
    };
    streams.push(stream(() => it.next() ?? null, zone));
  }
  let previous: number | undefined;
  let count = 0;
  for (;;) {
    let best: Stream | undefined;
    for (const s of streams) if (s.head && (!best || s.headMs < best.headMs)) best = s;
    if (!best?.head) return;
    const t = best.head;
    const ms = best.headMs;
    best.advance();
    if (ms === previous) continue;
    previous = ms;
    if (++count > maxOccurrences) {
      const cl = m.rules[0]?.cl;
      throw new InputError(
        file,
        cl?.line ?? m.line,
        `${cl ? `RRULE ${JSON.stringify(cl.value)}` : 'the event'} has more than ${maxOccurrences} ` +
          `occurrences before ${isoOrNumber(until)}; narrow the rule or ask for a shorter range`,
      );
    }
    yield t;
  }
}

function excluder(exdates: readonly ICAL.Time[], zone: string): (t: ICAL.Time) => boolean {
  const dayOf = (t: ICAL.Time) => `${t.year}-${t.month}-${t.day}`;
  const instants = new Set(exdates.filter((t) => !t.isDate).map((t) => instantOf(t, zone)));
  // An EXDATE;VALUE=DATE removes the instance on that (local) day whatever its time.
  const days = new Set(exdates.filter((t) => t.isDate).map(dayOf));
  return (t) => instants.has(instantOf(t, zone)) || days.has(dayOf(t));
}

function occurrence(m: Master, id: ICAL.Time, zone: string): CalendarEvent {
  const details = m.event.getOccurrenceDetails(id);
  const component = details.item.component;
  const fields = m.overrides.get(component)?.fields ?? m.fields;
  const start = instantOf(details.startDate, zone);
  // Without DTEND or DURATION, ical.js gives a timed event no length (RFC 5545); we give it one hour,
  // so that a deploy written as a single instant still touches the forecast grid. All-day: one day.
  const open = !component.hasProperty('dtend') && !component.hasProperty('duration');
  const end = open && !details.startDate.isDate ? start + HOUR_MS : instantOf(details.endDate, zone);
  return { ...fields, source: { ...fields.source }, start, end };
}

/** Instances of `m` overlapping [start, end), windows included. */
export function expand(
  file: string,
  m: Master,
  start: number,
  end: number,
  zone: string,
  max: number,
): CalendarEvent[] {
  const lead = Math.max(
    m.fields.lowerWindowMs,
    ...[...m.overrides.values()].map((o) => o.fields.lowerWindowMs),
  );
  const stop = end + lead;
  const excluded = excluder(m.exdates, zone);
  const out: CalendarEvent[] = [];
  let cut: number | undefined;
  for (const id of recurrenceIds(file, m, zone, max, stop)) {
    const ms = instantOf(id, zone);
    if (ms >= stop) {
      cut = ms;
      break;
    }
    if (!excluded(id)) out.push(occurrence(m, id, zone));
  }
  // An override may move an instance from past the cut back into the range.
  if (cut !== undefined) {
    for (const { recurrenceId } of m.overrides.values()) {
      if (instantOf(recurrenceId, zone) >= cut && !excluded(recurrenceId))
        out.push(occurrence(m, recurrenceId, zone));
    }
  }
  return eventsInRange(out, start, end);
}
