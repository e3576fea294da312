// YAML event lists behind the EventCalendar seam: deploys, campaigns and holidays written by hand.
// zod checks the shape and our own pass the times and durations; the yaml node ranges give every
// complaint its line.

import { DateTime, Duration, IANAZone } from 'luxon';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { type CalendarEvent, EVENT_KINDS, eventsInRange } from '../core/events.js';
import type { EventCalendar } from '../core/seams.js';
import { byStart, checkedEffect, checkedWindowMs, fallbackZone, messageOf, notAKind } from './fields.js';

export interface YamlOptions {
  /** IANA zone for times without an offset when the file names none; default UTC. */
  timezone?: string;
}

export const FIELDS = [
  'name',
  'kind',
  'start',
  'end',
  'duration',
  'lower_window',
  'upper_window',
  'expected_effect',
];
const TIME_HINT = 'like 2026-11-27 or 2026-11-27T09:00';
const DURATION_HINT = 'like 90m, 2h, 1d, 1w or PT2H';

const quoted = (keys: readonly PropertyKey[]) => keys.map((k) => JSON.stringify(String(k))).join(', ');

const span = (field: string) =>
  z.union([z.string(), z.number()], { error: `${field} must be a duration ${DURATION_HINT}` }).optional();

const EventSchema = z.strictObject(
  {
    name: z
      .string({ error: (iss) => (iss.input === undefined ? 'missing "name"' : 'name must be text') })
      .trim()
      .min(1, 'name is empty'),
    kind: z
      .enum(EVENT_KINDS, {
        error: (iss) => notAKind(`kind ${JSON.stringify(iss.input)}`),
      })
      .optional(),
    start: z.string({
      error: (iss) =>
        iss.input === undefined ? 'missing "start"' : `start must be a date or date-time ${TIME_HINT}`,
    }),
    end: z.string({ error: `end must be a date or date-time ${TIME_HINT}` }).optional(),
    duration: span('duration'),
    lower_window: span('lower_window'),
    upper_window: span('upper_window'),
    expected_effect: z
      .union([z.number(), z.string()], {
        error: 'expected_effect must be a number like 0.3 or a percentage like +30%',
      })
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field${iss.keys.length > 1 ? 's' : ''} ${quoted(iss.keys)} (fields are ${FIELDS.join(', ')})`
        : 'an event must be a mapping like "name: ..., start: ..."',
  },
);

const FileSchema = z.strictObject(
  {
    timezone: z.string({ error: 'timezone must be an IANA name like Europe/Berlin' }).optional(),
    events: z.array(EventSchema, {
      error: (iss) =>
        iss.input === undefined ? 'missing "events:" (the list of events)' : '"events" must be a list',
    }),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown top-level field${iss.keys.length > 1 ? 's' : ''} ${quoted(iss.keys)} (expected timezone, events)`
        : 'expected a list of events, or a mapping with "events:"',
  },
);

type RawEvent = z.infer<typeof EventSchema>;

/** Where things are in the document: lines of nodes by path, for every message. */
class Places {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    /** The file is a bare list: paths start below `events`. */
    private readonly bareList: boolean,
  ) {}

  /** Line of the node at `path` (of its key when `key`), or of the nearest ancestor that exists. */
  line(path: readonly PropertyKey[], key = false): number {
    const steps = this.bareList ? path.slice(1) : path;
    let node: unknown = this.doc.contents;
    let line = this.lineOf(node) ?? 1;
    for (const [i, step] of steps.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(step));
        if (!pair) break;
        if (key && i === steps.length - 1) return this.lineOf(pair.key) ?? line;
        line = this.lineOf(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number') {
        node = node.items[step];
      } else {
        break;
      }
      const here = this.lineOf(node);
      if (here === undefined) break;
      line = here;
    }
    return line;
  }

  private lineOf(node: unknown): number | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }
}

function eventLabel(raw: unknown, index: number): string {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.trim()
    ? `event ${JSON.stringify(name.trim())}`
    : `event ${index + 1}`;
}

function issueError(
  file: string,
  places: Places,
  input: unknown,
  issue: z.ZodError['issues'][number],
): InputError {
  const path = issue.path;
  const line =
    issue.code === 'unrecognized_keys'
      ? places.line([...path, issue.keys[0] ?? ''], true)
      : places.line(path);
  const index = path[0] === 'events' && typeof path[1] === 'number' ? path[1] : undefined;
  if (index === undefined) return new InputError(file, line, issue.message);
  const raw = (input as { events: unknown[] }).events[index];
  return new InputError(file, line, `${eventLabel(raw, index)}: ${issue.message}`);
}

type Issue = z.ZodError['issues'][number];

/** The first issue, except that a misspelt key beats the missing field it leaves in the same mapping. */
function firstIssue(issues: readonly Issue[], input: unknown): Issue {
  const first = issues[0]!;
  const parentPath = first.path.slice(0, -1);
  const parent = parentPath.reduce<unknown>(
    (node, step) => (node as Record<PropertyKey, unknown>)?.[step],
    input,
  );
  const key = first.path[first.path.length - 1];
  const missing = key !== undefined && typeof parent === 'object' && parent !== null && !(key in parent);
  const typo = issues.find(
    (i) => i.code === 'unrecognized_keys' && i.path.join('\u0000') === parentPath.join('\u0000'),
  );
  return missing && typo ? typo : first;
}

/** A time of day or a whole date (start of that day in `zone`); undefined when it is neither. */
function parseTime(text: string, zone: string): { at: DateTime; dateOnly: boolean } | undefined {
  const t = text.trim().replace(/^(\d{4}-\d{2}-\d{2})[ ](\d)/, '$1T$2');
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const at = DateTime.fromISO(t, { zone });
  return at.isValid ? { at, dateOnly: /^\d{4}-\d{2}-\d{2}$/.test(t) } : undefined;
}

const SHORT_SPAN = /^(?:\d+(?:\.\d+)?[wdhms])+$/;
const SHORT_UNITS = { w: 'weeks', d: 'days', h: 'hours', m: 'minutes', s: 'seconds' } as const;

/**
 * `90m`, `2h`, `1d12h`, `1w` or ISO-8601 (`PT2H`, `P1DT12H`); 0 for no time at all. Months and years
 * are refused: their length depends on the date, and nobody means that for an event.
 */
function parseSpan(value: string | number): Duration | undefined {
  if (value === 0) return Duration.fromMillis(0);
  if (typeof value === 'number') return undefined;
  const t = value.trim();
  if (SHORT_SPAN.test(t)) {
    const parts: Partial<Record<(typeof SHORT_UNITS)[keyof typeof SHORT_UNITS], number>> = {};
    for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)) {
      const key = SHORT_UNITS[unit as keyof typeof SHORT_UNITS];
      parts[key] = (parts[key] ?? 0) + Number(n);
    }
    return Duration.fromObject(parts);
  }
  const iso = Duration.fromISO(t);
  if (!iso.isValid || !/\d/.test(t) || iso.years || iso.quarters || iso.months) return undefined;
  return iso;
}

function toEvent(file: string, raw: RawEvent, zone: string, at: (field?: string) => number): CalendarEvent {
  const fail = (field: string | undefined, message: string) =>
    new InputError(file, at(field), `event ${JSON.stringify(raw.name)}: ${message}`);
  const show = (v: string | number) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

  const start = parseTime(raw.start, zone);
  if (!start) throw fail('start', `start ${show(raw.start)} is not a valid date or date-time (${TIME_HINT})`);
  const startMs = start.at.toMillis();
  let endMs: number;
  if (raw.end !== undefined && raw.duration !== undefined) {
    throw fail('duration', 'give either end or duration, not both');
  } else if (raw.end !== undefined) {
    const end = parseTime(raw.end, zone);
    if (!end) throw fail('end', `end ${show(raw.end)} is not a valid date or date-time (${TIME_HINT})`);
    endMs = end.at.toMillis();
    if (endMs < startMs) throw fail('end', `end ${raw.end} is before start ${raw.start}`);
    if (endMs === startMs) throw fail('end', `end ${raw.end} is the same instant as start ${raw.start}`);
  } else if (raw.duration !== undefined) {
    const duration = parseSpan(raw.duration);
    if (!duration)
      throw fail('duration', `duration ${show(raw.duration)} is not a duration ${DURATION_HINT}`);
    if (duration.as('milliseconds') <= 0)
      throw fail('duration', `duration ${show(raw.duration)} must be positive`);
    // Days and weeks are calendar days in the zone (23 or 25 hours across a DST change), as a person means.
    endMs = start.at.plus(duration).toMillis();
  } else if (start.dateOnly) {
    endMs = start.at.plus({ days: 1 }).toMillis();
  } else {
    throw fail(undefined, 'needs end or duration (only a date-only start means the whole day)');
  }

  const windowMs = (field: 'lower_window' | 'upper_window'): number => {
    const value = raw[field];
    if (value === undefined) return 0;
    return checkedWindowMs(
      parseSpan(value)?.as('milliseconds'),
      `${field} ${show(value)}`,
      `a duration ${DURATION_HINT}`,
      (message) => fail(field, message),
    );
  };

  const event: CalendarEvent = {
    name: raw.name,
    kind: raw.kind ?? 'event',
    start: startMs,
    end: endMs,
    lowerWindowMs: windowMs('lower_window'),
    upperWindowMs: windowMs('upper_window'),
    source: { file, line: at() },
  };
  if (raw.expected_effect !== undefined) {
    event.expectedEffect = checkedEffect(
      raw.expected_effect,
      `expected_effect ${show(raw.expected_effect)}`,
      (message) => fail('expected_effect', message),
    );
  }
  return event;
}

/** Every event of the file, checked; throws InputError at the first problem. */
export function parseYamlEvents(file: string, text: string, opts: YamlOptions = {}): CalendarEvent[] {
  const defaultZone = fallbackZone(opts.timezone);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const broken = doc.errors[0];
  if (broken)
    throw new InputError(file, lines.linePos(broken.pos[0]).line, `not valid YAML: ${messageOf(broken)}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new InputError(file, 1, `not valid YAML: ${messageOf(err)}`);
  }
  if (data === null || data === undefined) {
    throw new InputError(file, 1, 'the file is empty (expected a list of events, or "events:")');
  }
  const bareList = isSeq(doc.contents);
  const places = new Places(doc, lines, bareList);
  const input = bareList ? { events: data } : data;
  const parsed = FileSchema.safeParse(input);
  if (!parsed.success) throw issueError(file, places, input, firstIssue(parsed.error.issues, input));

  const { timezone, events } = parsed.data;
  if (timezone !== undefined && !IANAZone.isValidZone(timezone)) {
    throw new InputError(
      file,
      places.line(['timezone']),
      `timezone ${JSON.stringify(timezone)} is not an IANA time zone like Europe/Berlin`,
    );
  }
  const zone = timezone ?? defaultZone;
  return events.map((raw, i) =>
    toEvent(file, raw, zone, (field) => places.line(field ? ['events', i, field] : ['events', i])),
  );
}

/** Parses and checks `text` now (throwing InputError at the first problem); queries filter the list. */
export function parseYamlCalendar(file: string, text: string, opts: YamlOptions = {}): EventCalendar {
  const all = parseYamlEvents(file, text, opts);
  return {
    async events(start: number, end: number): Promise<CalendarEvent[]> {
      return eventsInRange(all, start, end)
        .map((e) => ({ ...e, source: e.source && { ...e.source } }))
        .sort(byStart);
    },
  };
}
