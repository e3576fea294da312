// The calendar factory and file reading of src/calendars/index.ts with both real readers and the
// fixture files: merging .ics and YAML events, and refusing unknown extensions and missing files.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventsFromFiles, loadCalendar, readCalendarFile } from '../../src/calendars/index.js';
import { InputError } from '../../src/core/errors.js';

const iso = (t: number) => new Date(t).toISOString();

describe('calendar files', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/calendars/${name}`, import.meta.url));

  it('eventsFromFiles merges .ics and .yaml events sorted by start', async () => {
    const events = await eventsFromFiles(
      [fixture('deploys.ics'), fixture('campaigns.yaml')],
      Date.parse('2026-11-20T00:00:00Z'),
      Date.parse('2026-12-31T00:00:00Z'),
    );
    expect(events.map((e) => [e.name, e.kind, iso(e.start), e.source?.line])).toEqual([
      ['Weekly release', 'deploy', '2026-11-23T09:00:00.000Z', 4],
      ['Black Friday sale', 'campaign', '2026-11-26T23:00:00.000Z', 4],
      ['Weekly release', 'deploy', '2026-11-30T09:00:00.000Z', 4],
      ['Weekly release', 'deploy', '2026-12-07T09:00:00.000Z', 4],
      ['Weekly release', 'deploy', '2026-12-14T09:00:00.000Z', 4],
      ['Weekly release', 'deploy', '2026-12-21T09:00:00.000Z', 4],
      ['Christmas', 'holiday', '2026-12-24T23:00:00.000Z', 11],
    ]);
  });

  const refusals: { name: string; run: () => Promise<unknown>; message: string }[] = [
    {
      name: 'unknown extension',
      run: async () => loadCalendar('events.json', '[]'),
      message: 'events.json: not a calendar file: extension ".json" (expected .ics, .yaml or .yml)',
    },
    {
      name: 'no extension',
      run: async () => loadCalendar('events', ''),
      message: 'events: not a calendar file: no extension (expected .ics, .yaml or .yml)',
    },
    {
      name: 'missing file',
      run: () => readCalendarFile('/nonexistent/deploys.ics'),
      message: '/nonexistent/deploys.ics: cannot read the calendar (ENOENT)',
    },
    {
      name: 'extension picks the reader',
      run: async () => loadCalendar('cal.YML', 'hello'),
      message: 'cal.YML:1: expected a list of events, or a mapping with "events:"',
    },
  ];

  it.each(refusals)('$name', async ({ run, message }) => {
    const failure = await run().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as InputError).message).toBe(message);
  });
});
