// `.ics` calendars (RFC 5545) behind the EventCalendar seam. ical.js does the recurrence and VTIMEZONE
// arithmetic; a line scan of our own runs first because ical.js keeps no line numbers, so every
// complaint names its line and no ical.js exception reaches the caller.

import ICAL from 'ical.js';
import { InputError } from '../core/errors.js';
import type { CalendarEvent } from '../core/events.js';
import type { EventCalendar } from '../core/seams.js';
import { byStart, fallbackZone, messageOf } from './fields.js';
import { checkBlock, type Fields } from './ics-checks.js';
import { expand, type Master } from './ics-expand.js';
import { all, type EventBlock, first, type Scan, scanLines } from './ics-scan.js';
import { instantOf } from './ics-zones.js';

export interface IcsOptions {
  /** IANA zone for floating times and all-day dates; default UTC. */
  timezone?: string;
  /** Most instances one recurring event may expand to, counted from its DTSTART, per query; default 50 000. */
  maxOccurrences?: number;
}

const DEFAULT_MAX_OCCURRENCES = 50_000;

/** Runs `fn`; anything but an InputError becomes one at `line`, so ical.js errors never escape raw. */
function atLine<T>(file: string, line: number, label: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, line, `${label}: ${messageOf(err)}`);
  }
}

function parseComponents(file: string, scan: Scan): ICAL.Component[] {
  let jcal: unknown[];
  try {
    jcal = ICAL.parse(scan.lines.map((l) => l.raw).join('\r\n'));
  } catch (err) {
    // Our scan already vouched for the structure, so a value is at fault: find its line.
    for (const cl of scan.lines) {
      if (cl.name === 'BEGIN' || cl.name === 'END') continue;
      try {
        ICAL.parse.property(cl.raw);
      } catch (lineErr) {
        throw new InputError(file, cl.line, `${cl.name}: ${messageOf(lineErr)}`);
      }
    }
    throw new InputError(file, 1, `not a valid iCalendar file: ${messageOf(err)}`);
  }
  const roots = Array.isArray(jcal[0]) ? (jcal as unknown[][]) : [jcal];
  return roots.flatMap((root) => new ICAL.Component(root).getAllSubcomponents('vevent'));
}

function timeValue(component: ICAL.Component, name: string): ICAL.Time | undefined {
  const value = component.getFirstPropertyValue(name);
  return value instanceof ICAL.Time ? value : undefined;
}

function checkEnd(file: string, block: EventBlock, component: ICAL.Component, fields: Fields, zone: string) {
  const start = timeValue(component, 'dtstart');
  const end = timeValue(component, 'dtend');
  const dtend = first(block, 'DTEND');
  const dtstart = first(block, 'DTSTART');
  if (start && end && dtend && dtstart && instantOf(end, zone) < instantOf(start, zone)) {
    const label = `event ${JSON.stringify(fields.name)}`;
    throw new InputError(
      file,
      dtend.line,
      `${label}: DTEND ${dtend.value} is before DTSTART ${dtstart.value}`,
    );
  }
}

/** Scans and checks `text`, then parses it with ical.js: every master event with its overrides. */
function compile(file: string, text: string, zone: string): Master[] {
  const scan = scanLines(file, text);
  const fields = scan.blocks.map((b) => checkBlock(file, b, scan.zones[b.calendar] ?? new Set()));
  const components = parseComponents(file, scan);
  if (components.length !== scan.blocks.length) {
    throw new InputError(file, undefined, 'could not match VEVENTs to their lines');
  }
  const uidOf = (c: ICAL.Component) => String(c.getFirstPropertyValue('uid') ?? '');
  const isOverride = (c: ICAL.Component) => c.hasProperty('recurrence-id');
  const masterUids = new Set(components.filter((c) => !isOverride(c) && uidOf(c)).map(uidOf));
  const overridesOf = new Map<string, number[]>();
  components.forEach((c, i) => {
    const uid = uidOf(c);
    if (isOverride(c) && masterUids.has(uid)) overridesOf.set(uid, [...(overridesOf.get(uid) ?? []), i]);
  });

  const masters: Master[] = [];
  components.forEach((component, i) => {
    const block = scan.blocks[i]!;
    const own = fields[i]!;
    const label = `event ${JSON.stringify(own.name)}`;
    atLine(file, block.line, label, () => checkEnd(file, block, component, own, zone));
    if (isOverride(component) && masterUids.has(uidOf(component))) return;
    const related = isOverride(component) ? [] : (overridesOf.get(uidOf(component)) ?? []);
    masters.push(
      atLine(file, block.line, label, () => {
        const event = new ICAL.Event(component, { exceptions: related.map((j) => components[j]!) });
        const rules = component.getAllProperties('rrule').map((p, k) => ({
          rule: p.getFirstValue() as ICAL.Recur,
          cl: all(block, 'RRULE')[k]!,
        }));
        for (const { rule, cl } of rules) {
          atLine(file, cl.line, `RRULE ${JSON.stringify(cl.value)}`, () => rule.iterator(event.startDate));
        }
        const times = (name: string): ICAL.Time[] =>
          component
            .getAllProperties(name)
            .flatMap((p) => p.getValues())
            .map((v: unknown) => (v instanceof ICAL.Period ? v.start : v))
            .filter((v: unknown): v is ICAL.Time => v instanceof ICAL.Time);
        const overrides = new Map(
          related.map((j) => {
            const c = components[j]!;
            return [c, { fields: fields[j]!, recurrenceId: timeValue(c, 'recurrence-id')! }] as const;
          }),
        );
        return {
          event,
          fields: own,
          line: block.line,
          rules,
          rdates: times('rdate'),
          exdates: times('exdate'),
          overrides,
        };
      }),
    );
  });
  return masters;
}

/** Parses and checks `text` now (throwing InputError at the first problem); expands on each query. */
export function parseIcsCalendar(file: string, text: string, opts: IcsOptions = {}): EventCalendar {
  const zone = fallbackZone(opts.timezone);
  const max = opts.maxOccurrences ?? DEFAULT_MAX_OCCURRENCES;
  const masters = atLine(file, 1, 'not a valid iCalendar file', () => compile(file, text, zone));
  return {
    async events(start: number, end: number): Promise<CalendarEvent[]> {
      if (!Number.isFinite(start) || !Number.isFinite(end)) {
        throw new RangeError('events(start, end) needs finite epoch milliseconds');
      }
      const found = masters.flatMap((m) =>
        atLine(file, m.line, `event ${JSON.stringify(m.fields.name)}`, () =>
          expand(file, m, start, end, zone, max),
        ),
      );
      return found.sort(byStart);
    },
  };
}
