// How the executor moves between pool states: which capacity a shift must wait to be ready before
// traffic moves onto it (gains), whether a rollback must bring capacity back before traffic
// (needsCapacityFirst), and where a rollback takes the pool: last known-good routing on no less
// capacity than either state has (rollbackTarget, withCapacityOf).

import { describe, expect, it } from 'vitest';
import type { PoolState } from '../../src/core/plan.js';
import { gains, needsCapacityFirst, rollbackTarget, withCapacityOf } from '../../src/deploy/transitions.js';
import { pool } from './helpers.js';

const w = (primary: number, shadow: number) => ({ primary, shadow });

describe('gains: the capacity a shift waits for before moving traffic', () => {
  it.each([
    ['more traffic to the shadow pool waits for the shadow pool', w(1, 0), w(0.8, 0.2), 'shadow'],
    ['more traffic back to the primary pool waits for the primary pool', w(0.5, 0.5), w(0.9, 0.1), 'primary'],
    [
      'the same weights (a node moving its work to a standby) waits for every instance',
      w(0.7, 0.3),
      w(0.7, 0.3),
      'all',
    ],
    ['the same weights, all on primary, waits for every instance', w(1, 0), w(1, 0), 'all'],
    [
      'a weight change within 1e-9 is rounding, not a shift: it waits for every instance',
      w(1, 0),
      w(1 - 1e-9, 1e-9),
      'all',
    ],
    ['a primary change within 1e-9 is rounding, not a shift', w(0, 1), w(1e-9, 1), 'all'],
    [
      'weights that only drop give no target more traffic: nothing to wait for',
      w(0.5, 0.5),
      w(0.5, 0.2),
      'none',
    ],
  ] as const)('%s', (_, before, after, gain) => {
    expect(gains(before, pool(2, 2, after))).toBe(gain);
  });
});

describe('needsCapacityFirst: a rollback never sends traffic to capacity that is not there', () => {
  const routed = (primary: number, shadow: number, weights = w(1, 0), standby: Record<string, number> = {}) =>
    pool(primary, shadow, weights, standby);

  it.each<[string, PoolState, PoolState, boolean]>([
    ['primary routed to, with fewer primaries now', routed(1, 2), routed(3, 2, w(1, 0)), true],
    ['primary routed to, with as many primaries now', routed(3, 0), routed(3, 0, w(1, 0)), false],
    [
      'primary not routed to (weight 0), with fewer primaries now',
      routed(1, 4),
      routed(3, 4, w(0, 1)),
      false,
    ],
    ['shadow routed to, with fewer shadows now', routed(3, 1), routed(3, 2, w(0.5, 0.5)), true],
    ['shadow routed to, with as many shadows now', routed(3, 2), routed(3, 2, w(0.5, 0.5)), false],
    ['shadow routed to, with more shadows now', routed(3, 3), routed(3, 2, w(0.5, 0.5)), false],
    ['shadow not routed to (weight 0), with fewer shadows now', routed(3, 0), routed(3, 2, w(1, 0)), false],
    [
      'a standby to serve (share 1) that does not exist yet',
      routed(3, 0),
      routed(3, 0, w(1, 0), { n1: 1 }),
      true,
    ],
    [
      'a standby to serve that exists already',
      routed(3, 0, w(1, 0), { n1: 0 }),
      routed(3, 0, w(1, 0), { n1: 1 }),
      false,
    ],
    [
      'a standby that is only to be warm (share 0), not there yet',
      routed(3, 0),
      routed(3, 0, w(1, 0), { n1: 0 }),
      false,
    ],
  ])('%s: %s', (_, current, target, first) => {
    expect(needsCapacityFirst(current, target)).toBe(first);
  });
});

describe('rollbackTarget: last known-good routing, never less capacity', () => {
  it('keeps the capacity the migration added and goes back to the old weights', () => {
    const current = pool(4, 3, w(0.4, 0.6));
    const lastGood = pool(2, 0, w(1, 0));
    expect(rollbackTarget(current, lastGood)).toEqual(pool(4, 3, w(1, 0)));
  });

  it('brings back capacity the pool lost since its last known-good (the larger of each count)', () => {
    const current = pool(1, 0, w(1, 0));
    const lastGood = pool(3, 2, w(0.5, 0.5));
    expect(rollbackTarget(current, lastGood)).toEqual(pool(3, 2, w(0.5, 0.5)));
  });

  it('keeps a retired node retired and its standby serving, whichever state retired it', () => {
    const current = { ...pool(3, 0, w(1, 0), { n1: 1 }), retired: ['n1'] };
    const lastGood = pool(3, 0, w(1, 0), { n1: 0 });
    expect(rollbackTarget(current, lastGood)).toEqual({ ...pool(3, 0, w(1, 0), { n1: 1 }), retired: ['n1'] });
  });
});

describe('withCapacityOf: the capacity of both, the routing of the first', () => {
  it('adds the standbys only the target has as warm (0), leaving a serving standby serving', () => {
    const current = pool(2, 0, w(1, 0), { a: 1 });
    const target = pool(2, 0, w(1, 0), { a: 0, b: 0 });
    expect(withCapacityOf(current, target).standby).toEqual({ a: 1, b: 0 });
  });

  it('keeps every node either state retired out of service, with its standby serving its slot', () => {
    const current = pool(2, 0, w(1, 0), { a: 0, b: 0 });
    const target = { ...pool(2, 0, w(1, 0), { a: 1 }), retired: ['a'] };
    const s = withCapacityOf(current, target);
    expect(s.standby).toEqual({ a: 1, b: 0 });
    expect(s.retired).toEqual(['a']);
  });

  it('does not invent a standby for a retired node that has none', () => {
    const current = { ...pool(2, 0, w(1, 0), { b: 0 }), retired: ['gone'] };
    const s = withCapacityOf(current, pool(2, 0));
    expect(s.standby).toEqual({ b: 0 });
    expect(s.retired).toEqual(['gone']);
  });

  it('has no retired list when neither state retired a node', () => {
    expect(withCapacityOf(pool(2, 0), pool(3, 0))).not.toHaveProperty('retired');
  });

  it("keeps each standby's newest data time and its zone from either state (the first's zone wins)", () => {
    const current: PoolState = {
      ...pool(2, 0, w(1, 0), { a: 0, b: 0 }),
      standbySync: { a: 2_000, b: 1_000 },
      standbyZones: { a: 'zone-1' },
    };
    const target: PoolState = {
      ...pool(2, 0, w(1, 0), { a: 0, b: 0, c: 0 }),
      standbySync: { a: 1_000, b: 3_000, c: 500 },
      standbyZones: { a: 'zone-9', c: 'zone-3' },
    };
    const s = withCapacityOf(current, target);
    expect(s.standbySync).toEqual({ a: 2_000, b: 3_000, c: 500 });
    expect(s.standbyZones).toEqual({ a: 'zone-1', c: 'zone-3' });
  });

  it('takes the larger primary and shadow counts, and the routing of the first', () => {
    expect(withCapacityOf(pool(2, 5, w(0.5, 0.5)), pool(4, 1, w(1, 0)))).toEqual(pool(4, 5, w(0.5, 0.5)));
  });
});
