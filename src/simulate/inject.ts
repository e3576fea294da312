// `simulate --inject SPEC`: the faults a what-if run can throw at the simulated fleet and at
// shadowcast's inputs. One spec per fault, `kind@when[/for][:value]`:
//
//   crash@+2d3h                      an instance of the pool crashes (the first primary, or :ID)
//   slow-provisioning@+1d/6h:3       instances asked for in that window take 3x as long to be ready
//   failed-step@+4d:2                the next 2 updates from that time fail (default 1)
//   metrics-outage@+5d/2h            the demand metric is missing for 2 hours
//   zone-outage@+3d/2h:b             zone b fails: its instances crash, none goes there for 2 hours
//   missed-event:NAME                the forecaster is not told of calendar event NAME
//
// `when` is an offset from the start of the replay (+90m, +2d3h) or a timestamp (2023-04-20T10:00,
// read in the --tz zone).

import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { parseTimestamp } from '../metrics/timeparse.js';

export type InjectedFault =
  | { kind: 'crash'; at: number; instance?: string }
  | { kind: 'slow-provisioning'; at: number; until: number; factor: number }
  | { kind: 'failed-step'; at: number; count: number }
  | { kind: 'metrics-outage'; at: number; until: number }
  | { kind: 'zone-outage'; at: number; until: number; zone: string }
  | { kind: 'missed-event'; name: string };

export const FAULT_KINDS = [
  'crash',
  'slow-provisioning',
  'failed-step',
  'metrics-outage',
  'zone-outage',
  'missed-event',
] as const;

const WHEN = String.raw`\+[0-9.smhdw]+|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}){1,2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?`;
const SPEC = new RegExp(String.raw`^([a-z-]+)(?:@(${WHEN}|[^/:]*)(?:/([^:]*))?)?(?::(.*))?$`);

/** Parses one `--inject` spec; `start` is the replay's first minute, for `+offset` times. */
export function parseFault(spec: string, start: number, zone = 'UTC'): InjectedFault {
  const bad = (why: string) =>
    new UsageError(
      `--inject "${spec}": ${why} (e.g. crash@+2d, slow-provisioning@+1d/6h:3, failed-step@+4d, metrics-outage@+5d/2h, zone-outage@+3d/2h:b, missed-event:NAME)`,
    );
  const m = SPEC.exec(spec.trim());
  if (!m) throw bad('expected kind@when[/for][:value]');
  const [, kind, when, span, value] = m;
  if (!(FAULT_KINDS as readonly string[]).includes(kind!))
    throw bad(`unknown fault "${kind}"; expected one of ${FAULT_KINDS.join(', ')}`);
  if (kind === 'missed-event') {
    if (when || !value?.trim()) throw bad('missed-event takes the event name after a colon and no time');
    return { kind, name: value.trim() };
  }
  if (!when) throw bad(`${kind} needs a time after @`);
  const at = timeOf(when, start, zone);
  if (at === undefined) throw bad(`"${when}" is neither an offset (+2d3h) nor a timestamp`);
  const needsSpan = kind === 'slow-provisioning' || kind === 'metrics-outage' || kind === 'zone-outage';
  if (needsSpan !== (span !== undefined))
    throw bad(needsSpan ? `${kind} needs a duration: @when/6h` : `${kind} takes no duration`);
  const length = span === undefined ? 0 : durationOf(span);
  if (needsSpan && !(length > 0)) throw bad(`"${span}" is not a duration (90m, 6h, 2d)`);
  switch (kind) {
    case 'crash':
      return value ? { kind, at, instance: value } : { kind, at };
    case 'slow-provisioning': {
      const factor = value === undefined ? 3 : Number(value);
      if (!(factor >= 1)) throw bad(`factor "${value}" must be a number of at least 1`);
      return { kind, at, until: at + length, factor };
    }
    case 'failed-step': {
      const count = value === undefined ? 1 : Number(value);
      if (!Number.isInteger(count) || count < 1)
        throw bad(`count "${value}" must be a whole number of at least 1`);
      return { kind, at, count };
    }
    case 'zone-outage':
      if (!value?.trim()) throw bad('zone-outage names its zone after a colon: zone-outage@+3d/2h:b');
      return { kind, at, until: at + length, zone: value.trim() };
    default:
      if (value !== undefined) throw bad('metrics-outage takes no value');
      return { kind: 'metrics-outage', at, until: at + length };
  }
}

function timeOf(text: string, start: number, zone: string): number | undefined {
  if (text.startsWith('+')) {
    const ms = durationOf(text.slice(1));
    return Number.isFinite(ms) ? start + ms : undefined;
  }
  return parseTimestamp(text, zone);
}

/** `2d3h30m`: a sum of parts in s, m, h, d, w. */
function durationOf(text: string): number {
  const parts = text.match(/\d+(?:\.\d+)?[smhdw]/gi);
  if (!parts || parts.join('') !== text) return Number.NaN;
  return parts.reduce((sum, p) => sum + (parseDuration(p) ?? Number.NaN), 0);
}
