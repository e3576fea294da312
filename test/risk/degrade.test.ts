import { describe, expect, it } from 'vitest';
import {
  DEGRADATION_KINDS,
  type DegradationKind,
  GENERATORS,
  hostProfile,
  type Injection,
  inject,
  mulberry32,
} from '../../bench/degrade.js';

// Synthetic hosts shaped like SMD's columns (a day's rhythm, autocorrelated or white noise, an
// idle metric with rare spikes), so these tests run without the data files; the bench's test
// checks the same properties on the real series.
const DAY = 1440;

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function host(seed: number): Record<string, Float64Array> {
  const rng = mulberry32(seed);
  const n = 2 * DAY;
  const m = {
    memory: new Float64Array(n),
    temp: new Float64Array(n),
    load: new Float64Array(n),
    errors: new Float64Array(n),
  };
  let ar1 = 0;
  let ar2 = 0;
  for (let t = 0; t < n; t++) {
    const day = Math.sin((2 * Math.PI * t) / DAY);
    ar1 = 0.97 * ar1 + 0.004 * gaussian(rng);
    ar2 = 0.95 * ar2 + 0.003 * gaussian(rng);
    m.memory[t] = 0.5 + 0.05 * day + ar1;
    m.temp[t] = 0.4 + 0.1 * Math.sin((2 * Math.PI * (t + 300)) / DAY) + ar2;
    m.load[t] = Math.max(0, 0.3 + 0.08 * day + 0.03 * gaussian(rng));
    m.errors[t] = rng() < 0.02 ? 0.1 + 0.1 * rng() : 0.002 * rng();
  }
  return m;
}

const WINDOW = { from: DAY, to: 2 * DAY };
const SEEDS = Array.from({ length: 30 }, (_, i) => i + 1);

function injected(
  kind: DegradationKind,
  seed: number,
): { host: Record<string, Float64Array>; inj: Injection } {
  const h = host(1000 + seed);
  const inj = inject(kind, h, { seed, ...WINDOW });
  if (!inj) throw new Error(`${kind}: no injection for seed ${seed}`);
  return { host: h, inj };
}

function rowsOf(inj: Injection, from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

describe('inject', () => {
  it.each(DEGRADATION_KINDS)('%s is reproducible under a seed and differs across seeds', (kind) => {
    const h = host(7);
    const a = inject(kind, h, { seed: 42, ...WINDOW });
    const b = inject(kind, h, { seed: 42, ...WINDOW });
    const c = inject(kind, h, { seed: 43, ...WINDOW });
    expect(a).toEqual(b);
    expect(a).toBeDefined();
    expect([c?.onsetAt, c?.failureAt, c?.params]).not.toEqual([a?.onsetAt, a?.failureAt, a?.params]);
  });

  it.each(DEGRADATION_KINDS)('%s fails at onset + a duration from its documented range', (kind) => {
    const [shortest, longest] = GENERATORS[kind].minutes;
    for (const seed of SEEDS) {
      const { host: h, inj } = injected(kind, seed);
      expect(inj.onsetAt).toBeGreaterThanOrEqual(WINDOW.from);
      expect(inj.failureAt).toBeLessThanOrEqual(WINDOW.to);
      expect(inj.failureAt - inj.onsetAt).toBeGreaterThanOrEqual(shortest);
      expect(inj.failureAt - inj.onsetAt).toBeLessThanOrEqual(longest);
      expect(inj.affected).toHaveLength(GENERATORS[kind].metricCount);
      for (const [name, values] of Object.entries(inj.metrics)) {
        expect(values.every(Number.isFinite), name).toBe(true);
        const original = h[name]!;
        if (!inj.affected.includes(name)) {
          expect(values, name).toBe(original);
          continue;
        }
        // Only the degradation's rows change; the host array is left as it was.
        expect(values.subarray(0, inj.onsetAt)).toEqual(original.subarray(0, inj.onsetAt));
        expect(values.subarray(inj.failureAt)).toEqual(original.subarray(inj.failureAt));
        expect(values.subarray(inj.onsetAt, inj.failureAt)).not.toEqual(
          original.subarray(inj.onsetAt, inj.failureAt),
        );
        expect(original).toEqual(host(1000 + seed)[name]);
      }
    }
  });

  it('documents the duration ranges the README table gives', () => {
    const ranges = Object.fromEntries(DEGRADATION_KINDS.map((k) => [k, GENERATORS[k].minutes]));
    expect(ranges).toEqual({
      'memory-leak': [120, 720],
      'disk-fill': [240, 1200],
      'latency-creep': [60, 360],
      'error-rate-climb': [30, 240],
      'thermal-runaway': [20, 90],
      'noisy-neighbour': [60, 480],
    });
    for (const k of DEGRADATION_KINDS) expect(GENERATORS[k].describe).toMatch(/\(\d[\d.]*-\d+ (h|min)\)$/);
  });

  it('keeps the degradation and the hour before it clear of the segments to avoid', () => {
    const avoid = [
      { start: 1500, end: 1700 },
      { start: 2300, end: 2400 },
    ];
    for (const seed of SEEDS) {
      const inj = inject('memory-leak', host(seed), { seed, ...WINDOW, avoid });
      if (!inj) continue;
      for (const s of avoid) expect(s.end <= inj.onsetAt - 60 || s.start >= inj.failureAt).toBe(true);
    }
  });

  it.each(['memory-leak', 'disk-fill', 'thermal-runaway'] as const)(
    '%s with a limit ends at the limit at least: the node fails when the resource runs out',
    (kind) => {
      for (const seed of SEEDS.slice(0, 10)) {
        const h = host(1000 + seed);
        const free = inject(kind, h, { seed, ...WINDOW })!;
        const capped = inject(kind, h, { seed, ...WINDOW, limit: 1 })!;
        expect([capped.onsetAt, capped.failureAt, capped.affected]).toEqual([
          free.onsetAt,
          free.failureAt,
          free.affected,
        ]);
        expect(free.params.failureLevel).toBeLessThan(1);
        expect(capped.params.failureLevel).toBe(1);
        const last = capped.metrics[capped.affected[0]!]![capped.failureAt - 1]!;
        expect(last).toBeCloseTo(1, 9);
      }
    },
  );

  it('gives up when no onset fits', () => {
    const h = host(3);
    expect(inject('disk-fill', h, { seed: 1, from: DAY, to: DAY + 200 })).toBeUndefined();
    expect(
      inject('thermal-runaway', h, { seed: 1, ...WINDOW, avoid: [{ start: 0, end: 2 * DAY }] }),
    ).toBeUndefined();
  });

  // The first (for thermal runaway, the hot) metric; another stands in only where the fitting
  // ones are at their top at onset.
  it.each([
    { kind: 'error-rate-climb', fits: ['errors'] },
    { kind: 'latency-creep', fits: ['load'] },
    { kind: 'noisy-neighbour', fits: ['load'] },
    { kind: 'memory-leak', fits: ['memory', 'temp'] },
    { kind: 'thermal-runaway', fits: ['memory', 'temp'] },
  ] as { kind: DegradationKind; fits: string[] }[])('$kind mostly degrades $fits', ({ kind, fits }) => {
    const picks = SEEDS.map((seed) => injected(kind, seed).inj.affected[0]!);
    expect(picks.filter((name) => fits.includes(name)).length).toBeGreaterThanOrEqual(0.8 * picks.length);
  });
});

/** Share of rows where the degraded value is out of the pre-onset normal range but the host was not. */
function pushedOut(h: Float64Array, y: Float64Array, inj: Injection, rows: number[]): number {
  const p = hostProfile(h, inj.onsetAt - DAY, inj.onsetAt);
  const out = (v: number): boolean => v > p.hi || v < p.lo;
  return rows.filter((t) => out(y[t]!) && !out(h[t]!)).length / rows.length;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

describe('subtle at first, obvious at the end', () => {
  it.each(DEGRADATION_KINDS)('%s', (kind) => {
    const early: number[] = [];
    const late: number[] = [];
    for (const seed of SEEDS) {
      const { host: h, inj } = injected(kind, seed);
      const name = inj.affected[0]!;
      const span = inj.failureAt - inj.onsetAt;
      early.push(
        pushedOut(
          h[name]!,
          inj.metrics[name]!,
          inj,
          rowsOf(inj, inj.onsetAt, inj.onsetAt + Math.floor(span / 2)),
        ),
      );
      late.push(
        pushedOut(
          h[name]!,
          inj.metrics[name]!,
          inj,
          rowsOf(inj, inj.failureAt - Math.ceil(span / 10), inj.failureAt),
        ),
      );
    }
    expect(early.reduce((a, b) => a + b, 0) / early.length).toBeLessThan(0.05);
    expect(early.filter((e) => e > 0.2).length).toBeLessThanOrEqual(early.length / 10);
    expect(median(late)).toBeGreaterThan(0.5);
  });
});

/** g in y = x + g·(F - x): how far along the pull toward the failure level each row is. */
function pullShare(h: Float64Array, y: Float64Array, level: number, rows: number[]): number[] {
  return rows.map((t) => (y[t]! - h[t]!) / (level - h[t]!));
}

describe('shapes', () => {
  it('memory leak: climbs with garbage-collection dips, and reads the failure level at the end', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { host: h, inj } = injected('memory-leak', seed);
      const name = inj.affected[0]!;
      const g = pullShare(
        h[name]!,
        inj.metrics[name]!,
        inj.params.failureLevel!,
        rowsOf(inj, inj.onsetAt, inj.failureAt),
      );
      const dips = g.filter((v, i) => i > 0 && v < g[i - 1]!).length;
      expect(dips).toBeGreaterThan(0);
      expect(dips).toBeLessThan(g.length / 5);
      expect(g[g.length - 1]).toBeCloseTo(1, 9);
    }
  });

  it('disk filling: monotone, and convex (the second half fills more than the first)', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { host: h, inj } = injected('disk-fill', seed);
      const name = inj.affected[0]!;
      const g = pullShare(
        h[name]!,
        inj.metrics[name]!,
        inj.params.failureLevel!,
        rowsOf(inj, inj.onsetAt, inj.failureAt),
      );
      expect(g.every((v, i) => i === 0 || v >= g[i - 1]! - 1e-12)).toBe(true);
      expect(g[Math.floor(g.length / 2)]!).toBeLessThan(0.4);
      expect(g[g.length - 1]).toBeCloseTo(1, 9);
    }
  });

  it('latency creep: the multiplier grows, and so does its spread', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { host: h, inj } = injected('latency-creep', seed);
      const name = inj.affected[0]!;
      const ratio = (rows: number[]): number[] => rows.map((t) => inj.metrics[name]![t]! / h[name]![t]!);
      const span = inj.failureAt - inj.onsetAt;
      const first = ratio(rowsOf(inj, inj.onsetAt, inj.onsetAt + Math.floor(span / 4)));
      const last = ratio(rowsOf(inj, inj.failureAt - Math.ceil(span / 4), inj.failureAt));
      expect(median(last)).toBeGreaterThan(1.1 * median(first));
      const iqr = (v: number[]): number => {
        const s = [...v].sort((a, b) => a - b);
        return s[Math.floor(s.length * 0.75)]! - s[Math.floor(s.length * 0.25)]!;
      };
      expect(iqr(last)).toBeGreaterThan(iqr(first));
    }
  });

  it('error-rate climb: sparse spikes first, then sustained', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { host: h, inj } = injected('error-rate-climb', seed);
      const name = inj.affected[0]!;
      const span = inj.failureAt - inj.onsetAt;
      const raised = (rows: number[]): number =>
        rows.filter((t) => inj.metrics[name]![t]! > h[name]![t]!).length / rows.length;
      expect(raised(rowsOf(inj, inj.onsetAt, inj.onsetAt + Math.floor(span / 2)))).toBeLessThan(0.2);
      expect(raised(rowsOf(inj, inj.failureAt - Math.ceil(span / 10), inj.failureAt))).toBe(1);
    }
  });

  it('thermal runaway: slow, then exponential; the coupled metric follows, less', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { host: h, inj } = injected('thermal-runaway', seed);
      const [hot, coupled] = inj.affected as [string, string];
      const rows = rowsOf(inj, inj.onsetAt, inj.failureAt);
      const g = pullShare(h[hot]!, inj.metrics[hot]!, inj.params.failureLevel!, rows);
      expect(g[Math.floor(g.length / 2)]!).toBeLessThan(0.35);
      expect(g[g.length - 1]).toBeCloseTo(1, 9);
      const lift = (name: string): number =>
        rows.reduce((s, t) => s + (inj.metrics[name]![t]! - h[name]![t]!), 0);
      const room = (name: string): number => {
        const p = hostProfile(h[name]!, inj.onsetAt - DAY, inj.onsetAt);
        return p.hi - p.lo;
      };
      expect(lift(coupled) / room(coupled)).toBeGreaterThan(0);
      expect(lift(coupled) / room(coupled)).toBeLessThan(lift(hot) / room(hot));
    }
  });

  it('noisy neighbour: bursts cover more of the time near the end', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { host: h, inj } = injected('noisy-neighbour', seed);
      const name = inj.affected[0]!;
      const span = inj.failureAt - inj.onsetAt;
      const duty = (rows: number[]): number =>
        rows.filter((t) => inj.metrics[name]![t]! !== h[name]![t]!).length / rows.length;
      expect(duty(rowsOf(inj, inj.onsetAt, inj.onsetAt + Math.floor(span / 4)))).toBeLessThan(0.25);
      expect(duty(rowsOf(inj, inj.failureAt - Math.ceil(span / 4), inj.failureAt))).toBeGreaterThan(0.25);
    }
  });
});

describe('mulberry32', () => {
  it('is uniform enough for sampling: mean, spread and no repeats in 10k draws', () => {
    const rng = mulberry32(123);
    const draws = Array.from({ length: 10_000 }, rng);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(new Set(draws).size).toBe(draws.length);
  });
});
