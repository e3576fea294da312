// Sizing arithmetic at its edges: which forecast points a plan sizes for, the need before the
// forecast starts, the primary's minimum holding the whole need, ties between peaks, and the
// state a new pool starts in.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { plan } from '../../src/plan/plan.js';
import { needs, sizedFor, sizesFor } from '../../src/plan/size.js';
import { forecastOf, HOUR, MIN, pool, T0, testPolicy } from './fixtures.js';

describe('needs: the forecast points a plan sizes for', () => {
  const policy = testPolicy(); // 20 % headroom, shadow at 100 % of the upper bound + 10 % buffer

  it('ignores a point whose interval ended before now: an old spike does not size the pool', () => {
    // Hourly points at now − 2h, now − 1h and now: the one at now covers now onwards.
    const fc = forecastOf(T0 - 2 * HOUR, HOUR, [9000, 9000, 500], 0.2);
    const list = needs(fc, 400, policy, T0, T0 + 30 * MIN);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ t: T0, mean: 500, upper: 600 });
    expect(list[0]!.primary).toBeCloseTo(600, 9);
    expect(list[0]!.total).toBeCloseTo(660, 9);
  });

  it('counts the point whose interval covers now, dated now', () => {
    // The point at now − 30m lasts until now + 30m.
    const fc = forecastOf(T0 - 30 * MIN, HOUR, [800, 500], 0.2);
    const list = needs(fc, 0, policy, T0, T0 + 10 * MIN);
    expect(list.map((n) => [n.t, n.mean])).toEqual([[T0, 800]]);
  });

  it('counts a point exactly at the end of the window, and none after it', () => {
    const fc = forecastOf(T0, 10 * MIN, [500, 700, 9000], 0.2);
    const list = needs(fc, 0, policy, T0, T0 + 10 * MIN);
    expect(list.map((n) => n.mean)).toEqual([500, 700]);
  });

  it('before the forecast’s first point, sizes for the observed load plus headroom alone', () => {
    const fc = forecastOf(T0 + 30 * MIN, HOUR, [500], 0.2);
    const list = needs(fc, 1000, policy, T0, T0 + HOUR);
    expect(list[0]).toMatchObject({ t: T0, primary: 1200, total: 1200, cover: 1000 });
    expect(list[0]!.mean).toBeNaN();
    expect(list[1]!.t).toBe(T0 + 30 * MIN);
  });
});

describe('sizesFor: the split at its edges', () => {
  const policy = testPolicy((p) => {
    p.capacity.unitsPerInstance = 250;
    p.capacity.minInstances = 4;
    p.shadow.minSize = 0;
    p.shadow.unitsPerInstance = 250;
  });

  it('with the shadow pool disabled, the primary carries the whole total', () => {
    const off = testPolicy((p) => {
      p.capacity.unitsPerInstance = 250;
      p.capacity.minInstances = 4;
      p.shadow.enabled = false;
    });
    // 3,000 units: 12 primaries, not the 11 that would carry only the primary's share.
    expect(sizesFor({ primary: 2700, total: 3000 }, off)).toEqual({
      primary: 12,
      shadow: 0,
      shadowWeight: 0,
    });
  });

  it('a need exactly what the primary’s minimum serves stays on the primary', () => {
    // 4 × 250 = 1,000 units: the minimum holds it all, nothing routed to the shadow.
    expect(sizesFor({ primary: 900, total: 1000 }, policy)).toEqual({
      primary: 4,
      shadow: 0,
      shadowWeight: 0,
    });
    // One unit more and the shadow takes its share.
    expect(sizesFor({ primary: 901, total: 1001 }, policy).shadowWeight).toBe(0.1);
  });
});

describe('the peak a plan names: ties go to the earliest', () => {
  it('names the first of equal peaks in its reasons', () => {
    const policy = testPolicy((p) => {
      p.capacity.minInstances = 1;
    });
    const web = plan(
      {
        intervalMs: 2 * HOUR,
        pools: [
          {
            pool: 'web',
            policy,
            current: pool(8),
            forecast: forecastOf(T0, HOUR, [1000, 1000, 1000]),
            observed: 900,
          },
        ],
      },
      new FakeClock(T0),
    ).pools.web!;
    expect(web.reasons[0]).toBe(
      'need 1320 units: the larger of forecast mean peak 1000 at 2026-11-23T00:00Z + 20% headroom = 1200 units and the forecast p95 upper peak 1200 at 2026-11-23T00:00Z × 100% + 10% buffer = 1320',
    );
  });
});

describe('sizedFor: the state a pool starts in', () => {
  const policy = testPolicy((p) => {
    p.capacity.minInstances = 2;
    p.capacity.maxInstances = 10;
    p.shadow.minSize = 1;
  });

  it('sizes the primary for the load plus headroom, with the shadow at its minimum', () => {
    // 450 × 1.2 = 540 units: 6 instances of 100.
    expect(sizedFor(policy, 450, true)).toEqual({
      primary: 6,
      shadow: 1,
      standby: {},
      weights: { primary: 1, shadow: 0 },
    });
  });

  it('never starts below the minimum nor above the maximum', () => {
    expect(sizedFor(policy, 10, true).primary).toBe(2);
    expect(sizedFor(policy, 5000, true).primary).toBe(10);
  });

  it('starts without a shadow when asked to, or when the policy disables it', () => {
    expect(sizedFor(policy, 450, false).shadow).toBe(0);
    const off = testPolicy((p) => (p.shadow.enabled = false));
    expect(sizedFor(off, 450, true).shadow).toBe(0);
  });
});
