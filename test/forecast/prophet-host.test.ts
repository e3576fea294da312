// Prophet's fits run in a worker thread replaced every RECYCLE_AFTER fits, so the memory its
// optimizer keeps per fit is given back: the worker is replaced once it has fitted that many
// models and holds none still in use, and a forecast does not depend on which worker made it.

import { describe, expect, it } from 'vitest';
import type { Series } from '../../src/core/series.js';
import { prophetHostStats, RECYCLE_AFTER } from '../../src/forecast/prophet-host.js';
import { ProphetForecaster } from '../../src/forecast/prophet.js';

const HOUR = 3_600_000;

/** Two weeks of hourly demand with a daily cycle: enough for Prophet's daily and weekly terms. */
function series(): Series {
  const n = 14 * 24;
  const timestamps = Array.from({ length: n }, (_, i) => Date.UTC(2026, 0, 1) + i * HOUR);
  const values = Float64Array.from(
    timestamps,
    (_, i) => 100 + 40 * Math.sin((2 * Math.PI * i) / 24) + (i % 7),
  );
  return { name: 'demand', timestamps, values, stepMs: HOUR };
}

describe('Prophet in a recycled worker', () => {
  it('replaces the worker after RECYCLE_AFTER fits once no model is in use, with the same forecasts', () => {
    const prophet = new ProphetForecaster();
    const s = series();
    const forecast = () => {
      const m = prophet.fit(s, []);
      const f = m.predict(24, 0.8);
      m.dispose?.();
      return f;
    };
    const first = forecast();
    const before = prophetHostStats();
    // A model still in use keeps its worker alive past the limit.
    const kept = prophet.fit(s, []);
    for (let i = prophetHostStats().fits; i < RECYCLE_AFTER + 2; i++) forecast();
    expect(prophetHostStats().workers).toBe(before.workers);
    expect(kept.predict(24, 0.8).mean).toEqual(first.mean);
    kept.dispose?.();
    // Freed: the next fit starts a fresh worker, and forecasts as the first one did.
    const again = forecast();
    const after = prophetHostStats();
    expect(after.workers).toBe(before.workers + 1);
    expect(after.fits).toBe(1);
    expect(after.live).toBe(0);
    for (let k = 0; k < 24; k++) expect(again.mean[k]).toBeCloseTo(first.mean[k]!, 6);
  }, 120_000);

  it('turns a failed fit into an Error naming the series, and keeps serving', () => {
    const prophet = new ProphetForecaster();
    const s = series();
    const broken: Series = {
      ...s,
      values: Float64Array.from(s.values, (v, i) => (i === 5 ? Number.POSITIVE_INFINITY : v)),
    };
    expect(() => prophet.fit(broken, []).predict(24, 0.8)).toThrow(
      /Prophet could not (fit|forecast) "demand"/,
    );
    const m = prophet.fit(s, []);
    expect(m.predict(24, 0.8).mean).toHaveLength(24);
    m.dispose?.();
  });
});
