// `.ics` calendars (RFC 5545) behind the EventCalendar seam. ical.js does the recurrence and VTIMEZONE
// arithmetic; a line scan of our own runs first because ical.js keeps no line numbers, so every
// complaint names its line and no ical.js exception reaches the caller.

import ICAL from 'ical.js';
import { DateTime, IANAZone } from 'luxon';
import { InputError, UsageError } from '../core/errors.js';
import { type CalendarEvent, EVENT_KINDS, type EventKind, eventsInRange } from '../core/events.js';
import type { EventCalendar } from '../core/seams.js';

export interface IcsOptions {
  /** IANA zone for floating times and all-day dates; default UTC. */
  timezone?: string;
  /** Most instances one recurring event may expand to, counted from its DTSTART, per query; default 50 000. */
  maxOccurrences?: number;
}

const HOUR_MS = 3_600_000;
const DEFAULT_MAX_OCCURRENCES = 50_000;
// ical.js searches forever for a rule that no date satisfies (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30), so
// rule steps are budgeted as well as occurrences: ample for sparse rules, finite for impossible ones.
const STEPS_PER_OCCURRENCE = 10;

// ---- the line scan -------------------------------------------------------------------------------

interface ContentLine {
  /** Property name, or BEGIN / END; upper-case. */
  name: string;
  /** Parameters by upper-case name, quotes removed. */
  params: Record<string, string>;
  value: string;
  /** The unfolded line as handed to ical.js. */
  raw: string;
  line: number;
}

interface EventBlock {
  /** Line of BEGIN:VEVENT. */
  line: number;
  /** Which VCALENDAR of the file it sits in. */
  calendar: number;
  /** Its own properties (not those of a nested VALARM). */
  props: ContentLine[];
}

interface Scan {
  lines: ContentLine[];
  /** VEVENTs directly inside a VCALENDAR, in file order: the order ical.js lists them in. */
  blocks: EventBlock[];
  /** TZIDs that each VCALENDAR defines with a VTIMEZONE. */
  zones: Set<string>[];
}

/** Logical lines (RFC 5545 3.1: a line starting with a space or tab continues the one before). */
function unfold(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .forEach((raw, i) => {
      const last = out[out.length - 1];
      if (last && (raw.startsWith(' ') || raw.startsWith('\t'))) last.text += raw.slice(1);
      else if (raw.trim() !== '') out.push({ text: raw, line: i + 1 });
    });
  return out;
}

/** NAME *(;PARAM=value) : value, or undefined when the line has another shape. */
function splitContentLine(text: string, line: number): ContentLine | undefined {
  const head = /^[A-Za-z0-9-]+/.exec(text);
  if (!head) return undefined;
  const params: Record<string, string> = {};
  let i = head[0].length;
  while (text[i] === ';') {
    const eq = text.indexOf('=', i);
    const pname = text.slice(i + 1, eq).toUpperCase();
    if (eq < 0 || !/^[A-Z0-9-]+$/.test(pname)) return undefined;
    let value = '';
    let j = eq + 1;
    while (j < text.length && text[j] !== ';' && text[j] !== ':') {
      if (text[j] === '"') {
        const close = text.indexOf('"', j + 1);
        if (close < 0) return undefined;
        value += text.slice(j + 1, close);
        j = close + 1;
      } else {
        value += text[j];
        j++;
      }
    }
    params[pname] = value;
    i = j;
  }
  if (text[i] !== ':') return undefined;
  const name = head[0].toUpperCase();
  const value = text.slice(i + 1);
  // ical.js would keep trailing blanks in a component name; we trim them for both readers.
  const raw = name === 'BEGIN' || name === 'END' ? `${name}:${value.trim()}` : text;
  return { name, params, value, raw, line };
}

function scanLines(file: string, text: string): Scan {
  const logical = unfold(text);
  const first = logical[0];
  if (!first || !/^BEGIN:VCALENDAR\s*$/i.test(first.text)) {
    throw new InputError(file, first?.line ?? 1, 'not an iCalendar file (expected BEGIN:VCALENDAR)');
  }
  const scan: Scan = { lines: [], blocks: [], zones: [] };
  const stack: { name: string; line: number }[] = [];
  let block: EventBlock | undefined;
  for (const { text: t, line } of logical) {
    const cl = splitContentLine(t, line);
    if (!cl) throw new InputError(file, line, `malformed line ${JSON.stringify(t)} (expected NAME:value)`);
    scan.lines.push(cl);
    const top = stack[stack.length - 1];
    const component = cl.value.trim().toUpperCase();
    if (cl.name === 'BEGIN') {
      if (!top && component !== 'VCALENDAR') {
        throw new InputError(file, line, `expected BEGIN:VCALENDAR, found BEGIN:${component}`);
      }
      if (!top) scan.zones.push(new Set());
      if (component === 'VEVENT' && stack.length === 1) {
        block = { line, calendar: scan.zones.length - 1, props: [] };
      }
      stack.push({ name: component, line });
    } else if (cl.name === 'END') {
      if (!top) throw new InputError(file, line, `END:${component} without a matching BEGIN`);
      if (top.name !== component) {
        throw new InputError(
          file,
          line,
          `END:${component} does not close BEGIN:${top.name} (line ${top.line})`,
        );
      }
      stack.pop();
      if (component === 'VEVENT' && stack.length === 1 && block) {
        scan.blocks.push(block);
        block = undefined;
      }
    } else {
      if (!top) throw new InputError(file, line, `${cl.name} is outside BEGIN:VCALENDAR ... END:VCALENDAR`);
      if (block && stack.length === 2) block.props.push(cl);
      if (top.name === 'VTIMEZONE' && cl.name === 'TZID') scan.zones[scan.zones.length - 1]?.add(cl.value);
    }
  }
  const open = stack[stack.length - 1];
  if (open) throw new InputError(file, open.line, `BEGIN:${open.name} is never closed (no END:${open.name})`);
  return scan;
}

// ---- checks on the raw text of one VEVENT ----------------------------------------------------------

const TIME_PROPS = new Set(['DTSTART', 'DTEND', 'RECURRENCE-ID', 'EXDATE', 'RDATE']);
const LIST_PROPS = new Set(['EXDATE', 'RDATE']);
const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$/;
const ICS_DURATION = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

function first(block: EventBlock, name: string): ContentLine | undefined {
  return block.props.find((p) => p.name === name);
}

function all(block: EventBlock, name: string): ContentLine[] {
  return block.props.filter((p) => p.name === name);
}

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

/**
 * Relative effect from `0.3`, `+0.3`, `30%` or `+30%`; undefined when it is none of these.
 * Same grammar as the YAML reader's `expected_effect`.
 */
function parseEffect(text: string): number | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? n / 100 : n;
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function asKind(text: string): EventKind | undefined {
  const k = text.trim().toLowerCase();
  return (EVENT_KINDS as readonly string[]).includes(k) ? (k as EventKind) : undefined;
}

/** Everything about an event except its times. */
type Fields = Omit<CalendarEvent, 'start' | 'end'> & { source: { file: string; line: number } };

function kindOf(file: string, block: EventBlock): EventKind {
  const declared = first(block, 'X-SHADOWCAST-KIND');
  const fromProperty = declared && asKind(declared.value);
  if (declared && !fromProperty) {
    throw new InputError(
      file,
      declared.line,
      `X-SHADOWCAST-KIND ${JSON.stringify(declared.value)} is not one of ${EVENT_KINDS.join(', ')}`,
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
  const shown = `${name} ${JSON.stringify(cl.value)}`;
  if (seconds === undefined)
    throw new InputError(file, cl.line, `${shown} is not an ISO-8601 duration like PT2H`);
  if (seconds < 0) throw new InputError(file, cl.line, `${shown} must not be negative`);
  return seconds * 1000;
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
    const value = parseEffect(effect.value);
    const shown = `X-SHADOWCAST-EFFECT ${JSON.stringify(effect.value)}`;
    if (value === undefined) {
      throw new InputError(file, effect.line, `${shown} is not a number like 0.3 or a percentage like +30%`);
    }
    if (value < -1) throw new InputError(file, effect.line, `${shown} would make demand negative`);
    fields.expectedEffect = value;
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

/** Makes sure ical.js can place every TZID: a VTIMEZONE of the same calendar, or an IANA name via luxon. */
function resolveTzid(file: string, cl: ContentLine, zones: ReadonlySet<string>): void {
  const tzid = cl.params.TZID ?? '';
  if (zones.has(tzid) || ICAL.TimezoneService.has(tzid)) return;
  if (!IANAZone.isValidZone(tzid)) {
    throw new InputError(
      file,
      cl.line,
      `TZID ${JSON.stringify(tzid)} has no VTIMEZONE in the file and is not an IANA time zone`,
    );
  }
  ICAL.TimezoneService.register(new IanaTimezone(tzid));
}

/** Checks one VEVENT's text before ical.js sees it (ical.js would throw without a line, or guess). */
function checkBlock(file: string, block: EventBlock, zones: ReadonlySet<string>): Fields {
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
      throw new InputError(file, duration.line, `${shown} is not an ISO-8601 duration like PT2H`);
    if (seconds < 0) throw new InputError(file, duration.line, `${label}: ${shown} is negative`);
  }
  return fields;
}

// ---- time zones and instants ---------------------------------------------------------------------

/** An IANA zone answered by luxon, for a TZID that the file uses without a VTIMEZONE. */
class IanaTimezone extends ICAL.Timezone {
  constructor(tzid: string) {
    super({ tzid });
  }

  override utcOffset(tt: ICAL.Time): number {
    const { year, month, day, hour, minute, second } = tt;
    return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: this.tzid }).offset * 60;
  }
}

/** Epoch ms of an ical.js time; floating times and all-day dates are read in `zone`. */
function instantOf(t: ICAL.Time, zone: string): number {
  if (t.isDate || t.zone?.tzid === 'floating') {
    const { year, month, day } = t;
    const [hour, minute, second] = t.isDate ? [0, 0, 0] : [t.hour, t.minute, t.second];
    return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone }).toMillis();
  }
  return t.toUnixTime() * 1000;
}

// ---- from components to recurring series ---------------------------------------------------------

interface RuleSource {
  rule: ICAL.Recur;
  cl: ContentLine;
}

/** One VEVENT without RECURRENCE-ID, with the overrides (same UID, RECURRENCE-ID) related to it. */
interface Master {
  event: ICAL.Event;
  fields: Fields;
  line: number;
  rules: RuleSource[];
  rdates: ICAL.Time[];
  exdates: ICAL.Time[];
  overrides: Map<ICAL.Component, { fields: Fields; recurrenceId: ICAL.Time }>;
}

function messageOf(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0] ?? '';
}

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

// ---- expansion -----------------------------------------------------------------------------------

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
function expand(
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

// ---- the seam ------------------------------------------------------------------------------------

function byStart(a: CalendarEvent, b: CalendarEvent): number {
  return a.start - b.start || a.end - b.end || a.name.localeCompare(b.name);
}

/** Parses and checks `text` now (throwing InputError at the first problem); expands on each query. */
export function parseIcsCalendar(file: string, text: string, opts: IcsOptions = {}): EventCalendar {
  const zone = opts.timezone ?? 'UTC';
  if (!IANAZone.isValidZone(zone)) throw new UsageError(`unknown time zone ${JSON.stringify(zone)}`);
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
