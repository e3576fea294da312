// What the .ics and YAML readers share: the grammar and checks of an event's kind, expected effect and
// windows, the default time zone, the order of query results and the text of a foreign exception.
// Each reader parses its own syntax; the rules here keep their answers and messages the same.

import { IANAZone } from 'luxon';
import { type InputError, UsageError } from '../core/errors.js';
import { type CalendarEvent, EVENT_KINDS, type EventKind } from '../core/events.js';

/** Builds the reader's error (with its file, line and event label) from a message. */
export type Fail = (message: string) => InputError;

/** The zone for times a file leaves without one: `timezone`, or UTC; a UsageError when it is unknown. */
export function fallbackZone(timezone: string | undefined): string {
  const zone = timezone ?? 'UTC';
  if (!IANAZone.isValidZone(zone)) throw new UsageError(`unknown time zone ${JSON.stringify(zone)}`);
  return zone;
}

/** The kind `text` names, in any case and with blanks around it; undefined when it names none. */
export function asKind(text: string): EventKind | undefined {
  const k = text.trim().toLowerCase();
  return (EVENT_KINDS as readonly string[]).includes(k) ? (k as EventKind) : undefined;
}

/** The complaint about a kind that is none of EVENT_KINDS; `shown` is the field and its value. */
export function notAKind(shown: string): string {
  return `${shown} is not one of ${EVENT_KINDS.join(', ')}`;
}

/** Relative effect from 0.3, `+0.3`, `30%` or `+30%`; undefined when it is none of these. */
export function parseEffect(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%?)$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] ? n / 100 : n;
}

/** The expected effect of `value`, refusing what is not one and what would take demand below zero. */
export function checkedEffect(value: string | number, shown: string, fail: Fail): number {
  const effect = parseEffect(value);
  if (effect === undefined) throw fail(`${shown} is not a number like 0.3 or a percentage like +30%`);
  if (effect < -1) throw fail(`${shown} would make demand negative`);
  return effect;
}

/**
 * A lower or upper window from the milliseconds a reader made of it (undefined when its grammar did
 * not accept the text, which should have been `expected`); a window cannot be negative.
 */
export function checkedWindowMs(ms: number | undefined, shown: string, expected: string, fail: Fail): number {
  if (ms === undefined) throw fail(`${shown} is not ${expected}`);
  if (ms < 0) throw fail(`${shown} must not be negative`);
  return ms;
}

/** The order of every calendar's answer: by start, then end, then name. */
export function byStart(a: CalendarEvent, b: CalendarEvent): number {
  return a.start - b.start || a.end - b.end || a.name.localeCompare(b.name);
}

/** The first line of a thrown value's message, for wrapping a library's exception in an InputError. */
export function messageOf(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0] ?? '';
}
