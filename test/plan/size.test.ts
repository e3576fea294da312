// Sizing one need: the split between the primary and the shadow pool.

import { describe, expect, it } from 'vitest';
import { sizesFor } from '../../src/plan/size.js';
import { testPolicy } from './fixtures.js';

describe('sizesFor', () => {
  const policy = testPolicy((p) => {
    p.capacity.unitsPerInstance = 250;
    p.capacity.minInstances = 4;
    p.shadow.minSize = 0;
    p.shadow.unitsPerInstance = 250;
  });

  it('gives the shadow the share above the primary need, on the step grid', () => {
    // 3,000 needed, 2,700 of it the primary's: 10 % to the shadow, 2 instances for 300 units.
    expect(sizesFor({ primary: 2700, total: 3000 }, policy)).toEqual({
      primary: 11,
      shadow: 2,
      shadowWeight: 0.1,
    });
  });

  it('keeps all traffic on the primary when its minimum already holds the whole need', () => {
    // 4 × 250 = 1,000 units at the minimum: a night-time need of 403 needs no shadow at all.
    expect(sizesFor({ primary: 358, total: 403 }, policy)).toEqual({
      primary: 4,
      shadow: 0,
      shadowWeight: 0,
    });
    // ...but the shadow keeps its minimum size, warm, when the policy asks for one.
    const warm = testPolicy((p) => {
      p.capacity.unitsPerInstance = 250;
      p.capacity.minInstances = 4;
      p.shadow.minSize = 1;
    });
    expect(sizesFor({ primary: 358, total: 403 }, warm)).toEqual({ primary: 4, shadow: 1, shadowWeight: 0 });
  });
});
