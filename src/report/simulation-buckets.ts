// A replay's minute-by-minute timeline cut into at most ~1,500 equal buckets for its charts, so a
// 200-day replay (288,000 minutes) draws as fast and as small as a 16-day one. Each bucket keeps
// what must not be averaged away: the highest demand, every arm's lowest ready capacity and its
// summed (and peak) shortfall; instances paid for and the shadow weight are bucket means. Pure.

import {
  ARMS,
  type Arm,
  type ArmTimeline,
  type Timeline,
  type TimelineMarker,
} from '../simulate/simulate.js';

/**
 * The part of a replay's timeline the report draws: demand, and each arm's ready capacity,
 * instances paid for, shortfall and shadow weight, minute by minute; with shadowcast's
 * migrations and rollbacks when it has them. `Timeline` from simulate/simulate.ts is one.
 */
export interface SimTimeline {
  start: Timeline['start'];
  demand: Timeline['demand'];
  arms: Record<Arm, Pick<ArmTimeline, 'ready' | 'paid' | 'shortfall' | 'shadowWeight'>>;
  markers?: readonly TimelineMarker[];
}

const MINUTE = 60_000;

/** The most buckets a line is cut into. */
export const MAX_BUCKETS = 1500;

/** Bucket sizes a reader can count in (minutes): the smallest that keeps within the limit is used. */
const NICE_MINUTES = [
  1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 10080,
];

/** One arm over the buckets, one entry a bucket. */
export interface ArmBuckets {
  /** Lowest ready capacity (units) in the bucket. */
  readyMin: Float64Array;
  /** Mean instances paid for. */
  paidMean: Float64Array;
  /** Shortfall summed over the bucket's minutes (unit-minutes). */
  shortfall: Float64Array;
  /** Minutes of the bucket with any shortfall. */
  shortMinutes: Float64Array;
  /** The bucket's largest one-minute shortfall, and the demand in that minute. */
  shortPeak: Float64Array;
  shortPeakDemand: Float64Array;
  /** Mean share of traffic routed to the shadow pool. */
  shadowWeightMean: Float64Array;
}

export interface Buckets {
  /** Epoch ms of the first minute. */
  start: number;
  /** Minutes in the timeline. */
  minutes: number;
  /** Minutes a bucket spans (the last may be shorter). */
  bucketMinutes: number;
  /** Epoch ms each bucket starts; `ends[i]` is where it stops (the next start, or the timeline's end). */
  starts: Float64Array;
  ends: Float64Array;
  /** Highest demand in the bucket. */
  demandMax: Float64Array;
  arms: Record<Arm, ArmBuckets>;
}

/** The bucket size for `minutes` of timeline: the smallest readable size giving at most `max` buckets. */
export function bucketMinutesFor(minutes: number, max = MAX_BUCKETS): number {
  const need = Math.max(1, Math.ceil(minutes / Math.max(1, max)));
  return NICE_MINUTES.find((m) => m >= need) ?? Math.ceil(need / 1440) * 1440;
}

/** The timeline cut into buckets (see the module comment). */
export function bucketTimeline(t: SimTimeline, max = MAX_BUCKETS): Buckets {
  const minutes = t.demand.length;
  const size = bucketMinutesFor(minutes, max);
  const n = Math.ceil(minutes / size);
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const demandMax = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const lo = b * size;
    const hi = Math.min(minutes, lo + size);
    starts[b] = t.start + lo * MINUTE;
    ends[b] = t.start + hi * MINUTE;
    let m = -Infinity;
    for (let k = lo; k < hi; k++) if (t.demand[k]! > m) m = t.demand[k]!;
    demandMax[b] = m;
  }
  const arms = Object.fromEntries(ARMS.map((a) => [a, armBuckets(t, a, size, n)])) as Record<Arm, ArmBuckets>;
  return { start: t.start, minutes, bucketMinutes: size, starts, ends, demandMax, arms };
}

function armBuckets(t: SimTimeline, arm: Arm, size: number, n: number): ArmBuckets {
  const r = t.arms[arm];
  const out: ArmBuckets = {
    readyMin: new Float64Array(n),
    paidMean: new Float64Array(n),
    shortfall: new Float64Array(n),
    shortMinutes: new Float64Array(n),
    shortPeak: new Float64Array(n),
    shortPeakDemand: new Float64Array(n),
    shadowWeightMean: new Float64Array(n),
  };
  const minutes = t.demand.length;
  for (let b = 0; b < n; b++) {
    const lo = b * size;
    const hi = Math.min(minutes, lo + size);
    let ready = Infinity;
    let paid = 0;
    let short = 0;
    let shortMinutes = 0;
    let peak = 0;
    let peakDemand = 0;
    let weight = 0;
    for (let k = lo; k < hi; k++) {
      const s = r.shortfall[k]!;
      if (r.ready[k]! < ready) ready = r.ready[k]!;
      paid += r.paid[k]!;
      weight += r.shadowWeight[k]!;
      if (s > 0) {
        short += s;
        shortMinutes++;
        if (s > peak) {
          peak = s;
          peakDemand = t.demand[k]!;
        }
      }
    }
    const count = hi - lo;
    out.readyMin[b] = ready;
    out.paidMean[b] = paid / count;
    out.shortfall[b] = short;
    out.shortMinutes[b] = shortMinutes;
    out.shortPeak[b] = peak;
    out.shortPeakDemand[b] = peakDemand;
    out.shadowWeightMean[b] = weight / count;
  }
  return out;
}
