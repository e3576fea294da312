// Event calendars by file type: picks the .ics or YAML reader for a file and reads calendar files from
// disk, the only I/O of this module. Adding a format is one reader file and one line in READERS.

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import type { CalendarEvent } from '../core/events.js';
import type { EventCalendar } from '../core/seams.js';
import { byStart } from './fields.js';
import { parseIcsCalendar } from './ics.js';
import { parseYamlCalendar } from './yaml.js';

export type { IcsOptions } from './ics.js';
export type { YamlOptions } from './yaml.js';
export { parseIcsCalendar, parseYamlCalendar };

export interface CalendarOptions {
  /** IANA zone for times the file leaves without a zone or offset (and all-day dates); default UTC. */
  timezone?: string;
}

type Reader = (file: string, text: string, opts: CalendarOptions) => EventCalendar;

const READERS: Record<string, Reader> = {
  '.ics': parseIcsCalendar,
  '.yaml': parseYamlCalendar,
  '.yml': parseYamlCalendar,
};

function readerFor(file: string): Reader {
  const ext = extname(file).toLowerCase();
  const reader = READERS[ext];
  if (!reader) {
    const what = ext ? `extension ${JSON.stringify(ext)}` : 'no extension';
    throw new InputError(file, undefined, `not a calendar file: ${what} (expected .ics, .yaml or .yml)`);
  }
  return reader;
}

/** A calendar from a file's text, by the file's extension; throws InputError for bad input. */
export function loadCalendar(file: string, text: string, opts: CalendarOptions = {}): EventCalendar {
  return readerFor(file)(file, text, opts);
}

/** Reads and checks one calendar file. */
export async function readCalendarFile(path: string, opts: CalendarOptions = {}): Promise<EventCalendar> {
  readerFor(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, `cannot read the calendar (${code ?? String(err)})`);
  }
  return loadCalendar(path, text, opts);
}

/** Events from several calendar files overlapping [start, end), merged and sorted by start. */
export async function eventsFromFiles(
  paths: readonly string[],
  start: number,
  end: number,
  opts: CalendarOptions = {},
): Promise<CalendarEvent[]> {
  const calendars = await Promise.all(paths.map((p) => readCalendarFile(p, opts)));
  const lists = await Promise.all(calendars.map((c) => c.events(start, end)));
  return lists.flat().sort(byStart);
}
