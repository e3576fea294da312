// Time zones for the .ics reader: every TZID must be a VTIMEZONE of its calendar or an IANA name,
// which luxon then answers for ical.js; and ical.js times become epoch milliseconds, with floating
// times and all-day dates read in the zone the caller chose.

import ICAL from 'ical.js';
import { DateTime, IANAZone } from 'luxon';
import { InputError } from '../core/errors.js';
import type { ContentLine } from './ics-scan.js';

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
export function instantOf(t: ICAL.Time, zone: string): number {
  if (t.isDate || t.zone?.tzid === 'floating') {
    const { year, month, day } = t;
    const [hour, minute, second] = t.isDate ? [0, 0, 0] : [t.hour, t.minute, t.second];
    return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone }).toMillis();
  }
  return t.toUnixTime() * 1000;
}

/** Makes sure ical.js can place every TZID: a VTIMEZONE of the same calendar, or an IANA name via luxon. */
export function resolveTzid(file: string, cl: ContentLine, zones: ReadonlySet<string>): void {
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
