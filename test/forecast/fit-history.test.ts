// Models fit on at most the most recent MAX_FIT_POINTS points: a long history costs reading it,
// not fitting it (MSTL on 2.7 million minute rows never finished). What is fitted on a long
// history is exactly what is fitted on its tail.

import { describe, expect, it } from 'vitest';
import type { Series } from '../../src/core/series.js';
import { fitHistory, MAX_FIT_POINTS } from '../../src/forecast/history.js';
import { MstlEts } from '../../src/forecast/mstl.js';
import { SeasonalNaive } from '../../src/forecast/naive.js';
import { rng } from './synthetic.js';

const WEEK = 7 * 86_400_000;

/** Weekly points: an old wild stretch, then a calm yearly cycle for the last MAX_FIT_POINTS. */
function longHistory(extra: number): Series {
  const r = rng(9);
  const n = MAX_FIT_POINTS + extra;
  const values = Float64Array.from({ length: n }, (_, i) =>
    i < extra ? 1e6 * r() : 100 + 10 * Math.sin((i / 52) * 2 * Math.PI) + r(),
  );
  return { name: 'w', timestamps: Array.from({ length: n }, (_, i) => i * WEEK), values, stepMs: WEEK };
}

describe('models fit on the most recent MAX_FIT_POINTS points', () => {
  it('fitHistory keeps the tail, the whole series when it is short', () => {
    const long = longHistory(500);
    const tail = fitHistory(long);
    expect(tail.values.length).toBe(MAX_FIT_POINTS);
    expect(tail.timestamps[0]).toBe(long.timestamps[500]);
    expect(Array.from(tail.values)).toEqual(Array.from(long.values.slice(500)));
    const short = fitHistory(tail);
    expect(short).toBe(tail);
  });

  it.each([new SeasonalNaive(), new MstlEts()])(
    '$name forecasts a long history exactly as its tail',
    (model) => {
      const long = longHistory(2000);
      const onLong = model.fit(long, []).predict(52, 0.8);
      const onTail = model.fit(fitHistory(long), []).predict(52, 0.8);
      expect(onLong).toEqual(onTail);
    },
    120_000,
  );
});
