import { describe, expect, it } from 'vitest';
import type { Segment } from '../../src/risk/evaluate.js';
import {
  bestWindowScore,
  probationRows,
  scaledSigmoid,
  scoringWindows,
  type WindowSeries,
  windowScore,
} from '../../src/risk/window-score.js';

/** n rows of score 0 with 1 at each of the given rows. */
function alarmsAt(n: number, rows: number[]): Float64Array {
  const s = new Float64Array(n);
  for (const r of rows) s[r] = 1;
  return s;
}

/** A series of `n` rows with one single-row label at each of `starts`, alarming at `alarms`. */
function series(n: number, starts: number[], alarms: number[], minProbation?: number): WindowSeries {
  return {
    scores: alarmsAt(n, alarms),
    labels: starts.map((s) => ({ start: s, end: s + 1 })),
    ...(minProbation === undefined ? {} : { minProbation }),
  };
}

/** The windows of a series, as the scorer builds them. */
function windowsOf(s: WindowSeries): Segment[] {
  const n = s.scores.length;
  return scoringWindows(n, s.labels, probationRows(n, s.minProbation));
}

describe('scaledSigmoid', () => {
  it('matches the published values', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(scaledSigmoid(10)).toBe(-1);
  });
});

describe('probationRows', () => {
  it('is 15% of the rows, floored', () => expect(probationRows(1001)).toBe(150));
  it('is capped at 750 rows', () => expect(probationRows(50_000)).toBe(750));
  it('is the warm-up when that is longer', () => {
    expect(probationRows(50_000, 1440)).toBe(1440);
    expect(probationRows(1000, 100)).toBe(150);
  });
  it('never exceeds the series', () => expect(probationRows(100, 500)).toBe(100));
});

describe('scoringWindows', () => {
  it('centres 10% of the rows over the labels on each label start', () => {
    // 1000 rows, 2 labels: 50 rows each, 25 either side.
    expect(
      scoringWindows(
        1000,
        [
          { start: 600, end: 601 },
          { start: 300, end: 301 },
        ],
        150,
      ),
    ).toEqual([
      { start: 275, end: 326 },
      { start: 575, end: 626 },
    ]);
  });
  it('extends a window to cover a segment longer than it', () => {
    expect(scoringWindows(1000, [{ start: 500, end: 700 }], 150)).toEqual([{ start: 450, end: 700 }]);
  });
  it('merges overlapping windows, keeps adjacent ones apart', () => {
    const labels = [
      { start: 400, end: 401 },
      { start: 440, end: 441 },
      { start: 600, end: 601 },
    ];
    // 1000 rows, 3 labels: floor(100 / 3) = 33 rows, 16 either side: [384, 416], [424, 456] stay
    // apart; move the second label to 430: [414, 446] overlaps the first.
    expect(scoringWindows(1000, labels, 150)).toEqual([
      { start: 384, end: 417 },
      { start: 424, end: 457 },
      { start: 584, end: 617 },
    ]);
    labels[1] = { start: 430, end: 431 };
    expect(scoringWindows(1000, labels, 150)).toEqual([
      { start: 384, end: 447 },
      { start: 584, end: 617 },
    ]);
    // Sharing one row is overlapping: [384, 416] and [416, 448].
    labels[1] = { start: 432, end: 433 };
    expect(scoringWindows(1000, labels, 150)).toEqual([
      { start: 384, end: 449 },
      { start: 584, end: 617 },
    ]);
  });
  it('drops windows starting in probation, clips to the series, ignores labels past its end', () => {
    expect(
      scoringWindows(
        1000,
        [
          { start: 160, end: 161 }, // window [110, 210]: starts in probation
          { start: 990, end: 991 }, // two labels: 50 rows, window [965, 999]
          { start: 1200, end: 1201 }, // not in the series
        ],
        150,
      ),
    ).toEqual([{ start: 965, end: 1000 }]);
  });
});

describe('windowScore', () => {
  const set = [series(2000, [500, 1500], []), series(1000, [700], []), series(1000, [], [])];

  it('scores a perfect detector (one alarm on each window start) 100', () => {
    const perfect = set.map((s) => ({
      ...s,
      scores: alarmsAt(
        s.scores.length,
        windowsOf(s).map((w) => w.start),
      ),
    }));
    const r = windowScore(perfect, 0.5);
    expect(r.score).toBe(100);
    expect(r).toMatchObject({ windows: 3, detected: 3, missed: 0, falsePositives: 0, raw: 3 });
  });

  it('scores a detector that never alarms 0', () => {
    const r = windowScore(set, 0.5);
    expect(r.score).toBe(0);
    expect(r).toMatchObject({ windows: 3, detected: 0, missed: 3, falsePositives: 0, raw: -3 });
  });

  it('scores a detector that is always on below 0', () => {
    const on = set.map((s) => ({ ...s, scores: new Float64Array(s.scores.length).fill(1) }));
    const r = windowScore(on, 0.5);
    expect(r.detected).toBe(3);
    expect(r.falsePositives).toBeGreaterThan(3000);
    expect(r.score).toBeLessThan(0);
  });

  it('pays more for an earlier detection in a window', () => {
    // One window, [450, 550].
    const at = (row: number) => windowScore([series(1000, [500], [row])], 0.5).raw;
    expect(at(450)).toBeCloseTo(1, 12);
    expect(at(450)).toBeGreaterThan(at(500));
    expect(at(500)).toBeGreaterThan(at(549));
    expect(at(549)).toBeGreaterThan(at(550));
    expect(at(550)).toBeGreaterThan(0);
    expect(at(550)).toBeLessThan(0.1);
  });

  it('counts only the first detection in a window', () => {
    const one = windowScore([series(1000, [500], [460])], 0.5);
    const many = windowScore([series(1000, [500], [460, 470, 500, 550])], 0.5);
    expect(many.raw).toBe(one.raw);
    expect(many.falsePositives).toBe(0);
  });

  it('charges a false alarm 0.11 of a true positive', () => {
    // Perfect detection, plus one alarm after probation and before the window.
    const r = windowScore([series(1000, [500], [450, 200])], 0.5);
    expect(r.raw).toBeCloseTo(1 - 0.11, 12);
    expect(r.falsePositives).toBe(1);
    // Without any window, each false alarm costs 0.11 in full.
    expect(windowScore([series(1000, [], [200, 300])], 0.5).raw).toBeCloseTo(-0.22, 12);
  });

  it('charges a false alarm just past a window less than one far past it', () => {
    const at = (row: number) => windowScore([series(1000, [500], [row])], 0.5).raw;
    expect(at(551)).toBeGreaterThan(at(600));
    expect(at(600)).toBeGreaterThan(at(800));
    expect(at(551)).toBeCloseTo(-1 - 0.11 * (1 - 2 / (1 + Math.exp(5 / 100))), 12);
    expect(at(900)).toBeCloseTo(-1.11, 12); // more than three widths past
  });

  it('ignores alarms in probation, including the warm-up when it is longer', () => {
    const quiet = windowScore([series(1000, [500], [])], 0.5);
    const early = windowScore([series(1000, [500], [0, 10, 149])], 0.5);
    expect(early).toEqual(quiet);
    expect(early.score).toBe(0);
    expect(windowScore([series(1000, [500], [150])], 0.5).falsePositives).toBe(1);
    expect(windowScore([series(1000, [500], [150, 300], 301)], 0.5)).toEqual(quiet);
  });

  it('never alarms on NaN', () => {
    const s = series(1000, [500], []);
    const scores = new Float64Array(1000).fill(Number.NaN);
    expect(windowScore([{ ...s, scores }], 0.5).score).toBe(0);
  });

  it('is NaN without any window', () => {
    expect(windowScore([series(1000, [], [])], 0.5).score).toBeNaN();
  });

  it('matches a hand-computed example', () => {
    // 1000 rows, probation 150, one label at 500: window [450, 550], 101 rows.
    // 100: probation, ignored.           0
    // 200: before any window:            -0.11
    // 500: first in window, y = -51/101: σ(y)/σ(-1) = 0.851717891 / 0.986614298 = 0.863273411
    // 520: second in window, ignored.    0
    // 600: past it, y = 50/100 = 0.5:    0.11 · σ(0.5) = 0.11 · -0.848283640 = -0.093311200
    // 900: y = 3.5 >= 3:                 -0.11
    // raw = 0.549962211; normalised 100 · (raw + 1) / (1 + 1) = 77.498110552.
    const r = windowScore([series(1000, [500], [100, 200, 500, 520, 600, 900])], 0.5);
    expect(r.raw).toBeCloseTo(0.549962211, 8);
    expect(r.score).toBeCloseTo(77.498110552, 6);
    expect(r).toMatchObject({ windows: 1, detected: 1, missed: 0, falsePositives: 3 });
  });
});

describe('bestWindowScore', () => {
  it('picks the one threshold best for all series together', () => {
    // Series a: its window start scores 0.9, a false alarm 0.6. Series b: its window start 0.7.
    const a = series(1000, [500], []);
    const b = series(1000, [500], []);
    (a.scores as Float64Array)[450] = 0.9;
    (a.scores as Float64Array)[300] = 0.6;
    (b.scores as Float64Array)[450] = 0.7;
    // 0.8: a found, b missed: raw 0. 0.65: both: raw 2. 0.5: both and a false alarm: raw 1.89.
    const best = bestWindowScore([a, b], [0.5, 0.8, 0.65]);
    expect(best.threshold).toBe(0.65);
    expect(best.raw).toBeCloseTo(2, 12);
    expect(best.score).toBe(100);
    expect(windowScore([a, b], 0.5).raw).toBeCloseTo(1.89, 12);
  });

  it('breaks ties toward the higher threshold', () => {
    const s = series(1000, [500], [450]);
    expect(bestWindowScore([s], [0.2, 0.9, 0.5]).threshold).toBe(0.9);
  });
});
