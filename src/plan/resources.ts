// Several resources a pool: besides its demand series (in the units `capacity.unitsPerInstance`
// counts), a pool may forecast memory, network, storage... each in its own units, with the units
// one primary instance offers in `capacity.resources`. The pool must serve all of them, so it is
// sized by the one that needs the most instances: each resource's demand is turned into the
// demand series' units (value × unitsPerInstance / the resource's units per instance) and, at
// each forecast step, the largest of them is what the planner sizes for. A shadow instance is a
// scaled-down primary: it offers every resource in the ratio shadow.unitsPerInstance /
// unitsPerInstance, so one conversion holds for both pools. Pure: no I/O, no clock.

import type { Forecast } from '../core/forecast.js';
import { isoMinute } from '../core/time-format.js';

/** One resource's demand: its forecast (absent when it failed) and its newest observed value (NaN: vanished). */
export interface ResourceDemand {
  name: string;
  forecast?: Forecast;
  observed: number;
}

export interface ResourcePeak {
  name: string;
  /** Instances its forecast's upper bound (or its observed load, when higher) needs at its peak. */
  instances: number;
  /** That peak, in the resource's own units, and when. */
  peak: number;
  at?: number;
  unitsPerInstance: number;
}

export interface BindingDemand {
  /** The demand the planner sizes for, in the demand series' units (absent: some forecast failed). */
  forecast?: Forecast;
  /** Observed load in those units: NaN when any resource's metric vanished. */
  observed: number;
  /** The resource that needs the most instances at its peak. */
  binding: string;
  peaks: ResourcePeak[];
  reason: string;
  /** Resources whose observed value is missing (their metric vanished). */
  missing: string[];
}

/**
 * `main` (the demand series, `unitsPerInstance` a primary instance) and `others` (units per
 * instance in `units`) as one demand: at each step of main's forecast, the largest of them in
 * main's units. A resource without its units in `units` is a caller's error.
 */
export function bindingDemand(
  main: ResourceDemand,
  unitsPerInstance: number,
  others: readonly ResourceDemand[],
  units: Readonly<Record<string, number>>,
): BindingDemand {
  const all = [
    { ...main, units: unitsPerInstance },
    ...others.map((r) => {
      const u = units[r.name];
      if (!(u !== undefined && u > 0)) throw new Error(`resource ${r.name} has no units per instance`);
      return { ...r, units: u };
    }),
  ];
  const peaks: ResourcePeak[] = all.map((r) => peakOf(r.name, r.forecast, r.observed, r.units));
  const binding = peaks.reduce((a, b) => (b.instances > a.instances ? b : a));
  const observed = all.some((r) => !Number.isFinite(r.observed))
    ? Number.NaN
    : Math.max(...all.map((r) => (r.observed * unitsPerInstance) / r.units));
  const mainForecast = main.forecast;
  let forecast: Forecast | undefined;
  if (mainForecast && all.every((r) => r.forecast)) {
    const n = mainForecast.timestamps.length;
    const mean = new Float64Array(n).fill(-Infinity);
    const lower = new Float64Array(n).fill(-Infinity);
    const upper = new Float64Array(n).fill(-Infinity);
    for (const r of all) {
      const f = r.forecast!;
      const k = unitsPerInstance / r.units;
      let j = 0;
      for (let i = 0; i < n; i++) {
        const t = mainForecast.timestamps[i]!;
        // The resource's step at or before t (its first step before it starts).
        while (j + 1 < f.timestamps.length && f.timestamps[j + 1]! <= t) j++;
        mean[i] = Math.max(mean[i]!, f.mean[j]! * k);
        lower[i] = Math.max(lower[i]!, f.lower[j]! * k);
        upper[i] = Math.max(upper[i]!, f.upper[j]! * k);
      }
    }
    forecast = { timestamps: mainForecast.timestamps, mean, lower, upper, level: mainForecast.level };
  }
  const others_ = peaks.filter((p) => p !== binding);
  const describe = (p: ResourcePeak) =>
    `${p.name} ${fmt(p.instances)} (peak ${fmt(p.peak)}${p.at !== undefined ? ` at ${isoMinute(p.at)}` : ''}, ${fmt(p.unitsPerInstance)} per instance)`;
  const reason =
    `${binding.name} binds: its peak needs ${describe(binding)} instances` +
    (others_.length ? `; ${others_.map(describe).join('; ')}` : '') +
    (binding.name === main.name
      ? ''
      : `; sized in ${main.name} units (${binding.name} × ${fmt(unitsPerInstance / binding.unitsPerInstance)})`);
  const missing = all.filter((r) => !Number.isFinite(r.observed)).map((r) => r.name);
  return { ...(forecast ? { forecast } : {}), observed, binding: binding.name, peaks, reason, missing };
}

function peakOf(name: string, f: Forecast | undefined, observed: number, units: number): ResourcePeak {
  let peak = Number.isFinite(observed) ? observed : -Infinity;
  let at: number | undefined;
  if (f) {
    for (let i = 0; i < f.upper.length; i++) {
      if (f.upper[i]! > peak) {
        peak = f.upper[i]!;
        at = f.timestamps[i];
      }
    }
  }
  if (!Number.isFinite(peak)) peak = 0;
  return {
    name,
    instances: peak / units,
    peak,
    ...(at !== undefined ? { at } : {}),
    unitsPerInstance: units,
  };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}
