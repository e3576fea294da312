// Calendar events for models without a holiday term (MSTL-ETS, seasonal naive). Before fitting,
// each point inside an event window is replaced by its baseline: the median of the same seasonal
// phase on up to three cycles either side that no event touches. The mean of (actual - baseline)
// over an event's past windows is its learned effect, added to its future occurrences; the model
// itself is fitted on the cleaned history, so a spike neither bends its trend nor its seasons.
// An event never seen in the history uses its `expectedEffect` (relative) when the author gave
// one; otherwise it changes nothing.

import type { CalendarEvent } from '../core/events.js';
import type { RawForecast } from './shape.js';

export function isActive(e: CalendarEvent, t: number): boolean {
  return t >= e.start - e.lowerWindowMs && t < e.end + e.upperWindowMs;
}

export interface SeparatedEvents {
  /** The history with event windows replaced by their baseline. */
  clean: Float64Array;
  /** Additive effect per event name learned from its past windows. */
  effects: Map<string, number>;
}

export function separateEvents(
  timestamps: readonly number[],
  values: Float64Array,
  events: readonly CalendarEvent[],
  seasonLength: number,
): SeparatedEvents {
  const clean = Float64Array.from(values);
  const effects = new Map<string, number>();
  const first = timestamps[0] ?? 0;
  const last = timestamps[timestamps.length - 1] ?? 0;
  const past = events.filter((e) => e.start - e.lowerWindowMs <= last && e.end + e.upperWindowMs > first);
  if (past.length === 0) return { clean, effects };
  const activeAt = timestamps.map((t) => past.filter((e) => isActive(e, t)));
  const m = Math.max(1, seasonLength);
  const sums = new Map<string, { sum: number; n: number }>();
  for (let i = 0; i < values.length; i++) {
    const here = activeAt[i]!;
    if (here.length === 0) continue;
    const neighbours: number[] = [];
    for (let k = 1; k <= 3; k++) {
      for (const j of [i - k * m, i + k * m]) {
        if (j >= 0 && j < values.length && activeAt[j]!.length === 0) neighbours.push(values[j]!);
      }
    }
    if (neighbours.length === 0) continue;
    const baseline = median(neighbours);
    clean[i] = baseline;
    for (const e of here) {
      const acc = sums.get(e.name) ?? { sum: 0, n: 0 };
      acc.sum += values[i]! - baseline;
      acc.n++;
      sums.set(e.name, acc);
    }
  }
  for (const [name, { sum, n }] of sums) effects.set(name, sum / n);
  return { clean, effects };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Shifts (learned, additive) or scales (expected, relative) the forecast where events are active. */
export function applyEventEffects(
  timestamps: readonly number[],
  raw: RawForecast,
  events: readonly CalendarEvent[],
  learned: ReadonlyMap<string, number>,
): RawForecast {
  const mean = Float64Array.from(raw.mean);
  const lower = Float64Array.from(raw.lower);
  const upper = Float64Array.from(raw.upper);
  for (let i = 0; i < timestamps.length; i++) {
    for (const e of events) {
      if (!isActive(e, timestamps[i]!)) continue;
      const shift = learned.get(e.name);
      if (shift !== undefined) {
        mean[i]! += shift;
        lower[i]! += shift;
        upper[i]! += shift;
      } else if (e.expectedEffect !== undefined) {
        const k = 1 + e.expectedEffect;
        mean[i]! *= k;
        lower[i]! *= k;
        upper[i]! *= k;
      }
    }
  }
  return { mean, lower, upper };
}

/** Names of events with at least one active point inside the history. */
export function seenInHistory(timestamps: readonly number[], events: readonly CalendarEvent[]): Set<string> {
  const first = timestamps[0] ?? 0;
  const last = timestamps[timestamps.length - 1] ?? 0;
  const seen = new Set<string>();
  for (const e of events) {
    if (e.start - e.lowerWindowMs > last || e.end + e.upperWindowMs <= first) continue;
    if (timestamps.some((t) => isActive(e, t))) seen.add(e.name);
  }
  return seen;
}
