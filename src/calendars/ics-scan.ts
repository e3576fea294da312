// The first pass over an .ics file: unfolds it into content lines and checks the nesting of BEGIN /
// END, keeping each line's number because ical.js keeps none. Every later complaint about the file
// points at a line found here.

import { InputError } from '../core/errors.js';

export interface ContentLine {
  /** Property name, or BEGIN / END; upper-case. */
  name: string;
  /** Parameters by upper-case name, quotes removed. */
  params: Record<string, string>;
  value: string;
  /** The unfolded line as handed to ical.js. */
  raw: string;
  line: number;
}

export interface EventBlock {
  /** Line of BEGIN:VEVENT. */
  line: number;
  /** Which VCALENDAR of the file it sits in. */
  calendar: number;
  /** Its own properties (not those of a nested VALARM). */
  props: ContentLine[];
}

export interface Scan {
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

/** Content lines and VEVENTs of `text`; an InputError at the first line out of shape or out of place. */
export function scanLines(file: string, text: string): Scan {
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

/** The first property `name` of an event. */
export function first(block: EventBlock, name: string): ContentLine | undefined {
  return block.props.find((p) => p.name === name);
}

/** Every property `name` of an event, in file order. */
export function all(block: EventBlock, name: string): ContentLine[] {
  return block.props.filter((p) => p.name === name);
}
