import { describe, expect, it } from 'vitest';
import type { CalendarEvent } from '../../src/core/events.js';
import type { Series } from '../../src/core/series.js';
import { createForecaster, MODEL_NAMES } from '../../src/forecast/index.js';
import { HOUR, hourlyDemand, START } from './synthetic.js';

const DAY = 24 * HOUR;
const WEEKS = 4;
const HORIZON = 7 * 24;

// A promotion (18:00-22:00) on irregular days of the history and once in the forecast week, and
// maintenance windows (02:00-05:00) that cut demand. Irregular days keep the weekly seasonality
// from absorbing the effect, so only a model that uses the calendar can forecast it.
function onDays(
  name: string,
  kind: CalendarEvent['kind'],
  days: number[],
  from: number,
  to: number,
): CalendarEvent[] {
  return days.map((day) => ({
    name,
    kind,
    start: START + day * DAY + from * HOUR,
    end: START + day * DAY + to * HOUR,
    lowerWindowMs: 0,
    upperWindowMs: 0,
  }));
}

const promo = onDays('Evening promo', 'campaign', [2, 6, 11, 13, 19, 24, 31], 18, 22);
const maintenance = onDays('Maintenance window', 'deploy', [1, 8, 10, 17, 22, 26, 33], 2, 5);
const active = (events: CalendarEvent[], t: number) => events.some((e) => t >= e.start && t < e.end);

function meanOver(timestamps: number[], values: Float64Array, events: CalendarEvent[]): number {
  const picked = timestamps
    .map((t, i) => (active(events, t) ? values[i]! : Number.NaN))
    .filter((v) => !Number.isNaN(v));
  expect(picked.length).toBeGreaterThan(0);
  return picked.reduce((a, b) => a + b, 0) / picked.length;
}

const bump = (t: number) => (active(promo, t) ? 80 : active(maintenance, t) ? -40 : 0);
const history: Series = hourlyDemand(WEEKS * 7 * 24, 7, bump);
const shifted = (events: CalendarEvent[], by: number) =>
  events.map((e) => ({ ...e, start: e.start + by, end: e.end + by }));

describe.each(MODEL_NAMES)('calendar events move the %s forecast', (name) => {
  const plain = createForecaster(name).fit(history, [], { horizon: HORIZON }).predict(HORIZON, 0.8);
  const informed = createForecaster(name)
    .fit(history, [...promo, ...maintenance], { horizon: HORIZON })
    .predict(HORIZON, 0.8);
  // Lift on the event's hours, net of any change the calendar made to the same hours a day
  // earlier (a model fitted on a history cleaned of spikes sits lower everywhere).
  const netLift = (future: CalendarEvent[]) => {
    const at = (events: CalendarEvent[]) =>
      meanOver(informed.timestamps, informed.mean, events) - meanOver(plain.timestamps, plain.mean, events);
    return at(future) - at(shifted(future, -DAY));
  };

  // The history's promotions add 80 and its maintenance windows take 40 away.
  it('up on the promotion hours, by about the promotion effect', () => {
    const lift = netLift(promo.slice(-1));
    expect(lift).toBeGreaterThan(40);
    expect(lift).toBeLessThan(120);
  });

  it('down on the maintenance hours, by about the maintenance effect', () => {
    const lift = netLift(maintenance.slice(-1));
    expect(lift).toBeLessThan(-20);
    expect(lift).toBeGreaterThan(-60);
  });
});

describe.each(MODEL_NAMES)('a new event with an expected effect moves the %s forecast', (name) => {
  it('by about its expected effect', () => {
    const base = hourlyDemand(WEEKS * 7 * 24, 11);
    const end = base.timestamps.at(-1)!;
    const launch: CalendarEvent = {
      name: 'Product launch',
      kind: 'event',
      start: end + 30 * HOUR,
      end: end + 36 * HOUR,
      lowerWindowMs: 0,
      upperWindowMs: 0,
      expectedEffect: 0.5,
    };
    const plain = createForecaster(name).fit(base, [], { horizon: 48 }).predict(48, 0.8);
    const informed = createForecaster(name).fit(base, [launch], { horizon: 48 }).predict(48, 0.8);
    const ratio =
      meanOver(informed.timestamps, informed.mean, [launch]) /
      meanOver(plain.timestamps, plain.mean, [launch]);
    expect(ratio).toBeGreaterThan(1.3);
    expect(ratio).toBeLessThan(1.7);
  });
});
