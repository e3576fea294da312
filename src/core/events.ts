// Calendar events (deploys, campaigns, holidays, big events) as plain data.
// Forecasters turn them into Prophet holidays or into regressors.

export const EVENT_KINDS = ['deploy', 'campaign', 'holiday', 'event'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface CalendarEvent {
  name: string;
  kind: EventKind;
  /** Start and end (exclusive), epoch milliseconds. */
  start: number;
  end: number;
  /** Extra time before the start / after the end that the event also affects (ms, >= 0). */
  lowerWindowMs: number;
  upperWindowMs: number;
  /** Expected relative effect on demand while active (+0.3 = 30% more), if the author knows it. */
  expectedEffect?: number;
  /** Where the event was defined, for error messages and reports. */
  source?: { file: string; line: number };
}

/** Events whose (windowed) span overlaps [start, end). */
export function eventsInRange(events: readonly CalendarEvent[], start: number, end: number): CalendarEvent[] {
  return events.filter((e) => e.start - e.lowerWindowMs < end && e.end + e.upperWindowMs > start);
}
