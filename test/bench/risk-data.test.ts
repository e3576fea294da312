import { describe, expect, it } from 'vitest';
import {
  DAY_ROWS,
  type Episode,
  injectedEpisodes,
  SMD_MACHINES,
  SMD_LIMIT,
  smdLabelledEpisodes,
} from '../../bench/risk-data.js';
import { DEGRADATION_KINDS, GENERATORS, hostProfile } from '../../bench/degrade.js';

// Built from the real SMD files in bench/data/smd; the counts below are the ones its README gives.
const train = injectedEpisodes('train', 1);
const test = injectedEpisodes('test', 2);
const failing = (eps: Episode[]): Episode[] => eps.filter((e) => e.failureAt !== undefined);

function checkShape(e: Episode): void {
  const rows = e.timestamps.length;
  for (const [name, values] of Object.entries(e.metrics)) {
    expect(values.length, `${e.id} ${name}`).toBe(rows);
    expect(values.every(Number.isFinite), `${e.id} ${name}`).toBe(true);
  }
  for (let i = 1; i < rows; i++)
    if (e.timestamps[i]! - e.timestamps[i - 1]! !== 60_000) throw new Error(`${e.id}: gap at row ${i}`);
  expect(e.warmup).toBe(DAY_ROWS);
}

describe('injectedEpisodes', () => {
  it.each([
    { split: 'train', episodes: train, perMachine: 6 },
    { split: 'test', episodes: test, perMachine: 15 },
  ])('$split: one-day windows after a day of warm-up, about half failing', ({ episodes, perMachine }) => {
    expect(episodes).toHaveLength(4 * perMachine);
    expect(new Set(episodes.map((e) => e.id)).size).toBe(episodes.length);
    const share = failing(episodes).length / episodes.length;
    expect(share).toBeGreaterThanOrEqual(0.4);
    expect(share).toBeLessThanOrEqual(0.6);
    for (const e of episodes) {
      checkShape(e);
      expect(e.id.startsWith(`${e.node}/`)).toBe(true);
      if (e.failureAt === undefined) {
        expect(e.timestamps).toHaveLength(2 * DAY_ROWS);
        expect(e.id).toMatch(/-healthy$/);
        continue;
      }
      const kind = e.kind as (typeof DEGRADATION_KINDS)[number];
      const [shortest, longest] = GENERATORS[kind].minutes;
      expect(e.id.endsWith(kind)).toBe(true);
      expect(e.timestamps).toHaveLength(e.failureAt);
      expect(e.onsetAt).toBeGreaterThanOrEqual(e.warmup);
      expect(e.failureAt - e.onsetAt!).toBeGreaterThanOrEqual(shortest);
      expect(e.failureAt - e.onsetAt!).toBeLessThanOrEqual(longest);
      expect(e.failureAt).toBeLessThanOrEqual(2 * DAY_ROWS);
      expect(e.affected?.every((name) => name in e.metrics)).toBe(true);
    }
  });

  it('deals every kind of degradation, evenly', () => {
    for (const episodes of [train, test]) {
      const counts = DEGRADATION_KINDS.map((k) => failing(episodes).filter((e) => e.kind === k).length);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(Math.max(...counts) - 1);
    }
  });

  it('is reproducible under a seed and changes with it', () => {
    const again = injectedEpisodes('test', 2);
    expect(again.map((e) => [e.id, e.onsetAt, e.failureAt, e.affected])).toEqual(
      test.map((e) => [e.id, e.onsetAt, e.failureAt, e.affected]),
    );
    const e = failing(test)[0]!;
    const twin = again.find((x) => x.id === e.id)!;
    expect(twin.metrics[e.affected![0]!]).toEqual(e.metrics[e.affected![0]!]);
    const other = injectedEpisodes('test', 3);
    expect(other.map((x) => [x.id, x.onsetAt])).not.toEqual(test.map((x) => [x.id, x.onsetAt]));
  });

  it('keeps train and test apart: every train row comes before every test row of a machine', () => {
    for (const node of SMD_MACHINES) {
      const lastTrain = Math.max(...train.filter((e) => e.node === node).map((e) => e.timestamps.at(-1)!));
      const firstTest = Math.min(...test.filter((e) => e.node === node).map((e) => e.timestamps[0]!));
      expect(lastTrain).toBeLessThan(firstTest);
    }
  });

  it('drops the flat columns and keeps the same metrics in both splits', () => {
    for (const node of SMD_MACHINES) {
      const names = (eps: Episode[]): string[] => Object.keys(eps.find((e) => e.node === node)!.metrics);
      expect(names(train)).toEqual(names(test));
      expect(names(test)).not.toContain('dim_7');
    }
    expect(Object.keys(test.find((e) => e.node === 'machine-1-6')!.metrics)).toHaveLength(33);
  });

  it('marks the real anomalies of the test split, and injects nothing within an hour of one', () => {
    expect(train.every((e) => e.ignore === undefined)).toBe(true);
    const marked = test.filter((e) => e.ignore !== undefined);
    expect(marked.length).toBeGreaterThan(0);
    for (const e of failing(marked)) {
      for (const s of e.ignore!) expect(s.end <= e.onsetAt! - 60 || s.start >= e.failureAt!).toBe(true);
    }
  });

  it('degrades subtly at first and plainly at the end, on the real series', () => {
    const early: number[] = [];
    const late: number[] = [];
    for (const e of failing(test)) {
      const name = e.affected![0]!;
      const values = e.metrics[name]!;
      const p = hostProfile(values, e.onsetAt! - DAY_ROWS, e.onsetAt!);
      const outside = (from: number, to: number): number => {
        let n = 0;
        for (let t = from; t < to; t++) if (values[t]! > p.hi || values[t]! < p.lo) n++;
        return n / (to - from);
      };
      const span = e.failureAt! - e.onsetAt!;
      early.push(outside(e.onsetAt!, e.onsetAt! + Math.floor(span / 2)));
      late.push(outside(e.failureAt! - Math.ceil(span / 10), e.failureAt!));
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    // 0.115 on seed 2: a leak toward the limit leaves its range before halfway more often than not.
    expect(mean(early)).toBeLessThan(0.15);
    expect(mean(late)).toBeGreaterThan(0.6);
  });

  it('runs the smooth kinds into the limit: the last row before the failure reads at least 1', () => {
    const smooth = failing(test).filter((e) =>
      ['memory-leak', 'disk-fill', 'thermal-runaway'].includes(e.kind!),
    );
    expect(smooth.length).toBeGreaterThan(10);
    for (const e of smooth) {
      const last = Math.max(...e.affected!.map((name) => e.metrics[name]![e.failureAt! - 1]!));
      expect(last, e.id).toBeGreaterThanOrEqual(SMD_LIMIT - 1e-9);
    }
  });
});

describe('smdLabelledEpisodes', () => {
  const labelled = smdLabelledEpisodes();
  it.each([
    { node: 'machine-1-6', testRows: 23689, segments: 30, minutes: 3708 },
    { node: 'machine-2-1', testRows: 23694, segments: 13, minutes: 1170 },
    { node: 'machine-2-8', testRows: 23703, segments: 1, minutes: 161 },
    { node: 'machine-3-3', testRows: 23703, segments: 26, minutes: 632 },
  ])('$node: the last train day as warm-up, then the whole test split with its labels', (want) => {
    const e = labelled.find((x) => x.node === want.node)!;
    checkShape(e);
    expect(e.kind).toBe('smd-anomaly');
    expect(e.failureAt).toBeUndefined();
    expect(e.timestamps).toHaveLength(DAY_ROWS + want.testRows);
    expect(e.events).toHaveLength(want.segments);
    expect(e.events!.reduce((n, s) => n + s.end - s.start, 0)).toBe(want.minutes);
    for (const s of e.events!) {
      expect(s.start).toBeGreaterThanOrEqual(e.warmup);
      expect(s.metrics.length).toBeGreaterThan(0);
      expect(s.metrics.every((m) => m in e.metrics)).toBe(true);
    }
  });

  it('names the interpretation file metrics of a segment (1-based there, dim_k here)', () => {
    const e = labelled.find((x) => x.node === 'machine-2-8')!;
    // machine-2-8.interpretation.txt: 17580-17741:1,2,...; dim_7 (metric 8) is flat and dropped.
    expect(e.events![0]).toMatchObject({ start: DAY_ROWS + 17580, end: DAY_ROWS + 17741 });
    expect(e.events![0]!.metrics.slice(0, 3)).toEqual(['dim_0', 'dim_1', 'dim_2']);
    expect(e.events![0]!.metrics).not.toContain('dim_7');
  });
});
