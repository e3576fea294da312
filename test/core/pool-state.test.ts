// One module reads, checks, compares and describes a pool state (core/pool-state.ts): a plan
// file and a stack's outputs are parsed by it, every target refuses what it refuses, and the
// executor's read-back compares with sameState. Tables of input → verdict.

import { describe, expect, it } from 'vitest';
import type { PoolState } from '../../src/core/plan.js';
import {
  describeState,
  parsePoolState,
  poolStateProblem,
  sameList,
  sameMap,
  sameState,
} from '../../src/core/pool-state.js';

const S = (over: Partial<PoolState> = {}): PoolState => ({
  primary: 4,
  shadow: 2,
  standby: { 'n-1': 0 },
  weights: { primary: 0.8, shadow: 0.2 },
  ...over,
});

describe('sameState', () => {
  it.each<[string, PoolState, boolean]>([
    ['itself', S(), true],
    ['weights in another key order', S({ weights: { shadow: 0.2, primary: 0.8 } }), true],
    ['weights within rounding', S({ weights: { primary: 0.8 + 1e-12, shadow: 0.2 - 1e-12 } }), true],
    ['empty zones as none', S({ standbyZones: {} }), true],
    ['empty retired as none', S({ retired: [] }), true],
    ['another primary count', S({ primary: 5 }), false],
    ['another shadow count', S({ shadow: 1 }), false],
    ['weights apart by more than rounding', S({ weights: { primary: 0.79, shadow: 0.21 } }), false],
    ['only the shadow weight apart', S({ weights: { primary: 0.8, shadow: 0.21 } }), false],
    ['no standby', S({ standby: {} }), false],
    ['another standby node', S({ standby: { 'n-2': 0 } }), false],
    ['a standby switched', S({ standby: { 'n-1': 1 } }), false],
    ['one standby more', S({ standby: { 'n-1': 0, 'n-2': 0 } }), false],
    ['a zone', S({ standbyZones: { 'n-1': 'a' } }), false],
    ['a sync time', S({ standbySync: { 'n-1': 5 } }), false],
    ['a retired node', S({ standby: { 'n-1': 1 }, retired: ['n-1'] }), false],
  ])('%s', (_, other, same) => {
    expect(sameState(S(), other)).toBe(same);
    expect(sameState(other, S())).toBe(same);
  });

  it('compares retired nodes as sets, zones and sync times entry by entry', () => {
    const a = S({
      standby: { x: 1, y: 1 },
      retired: ['x', 'y'],
      standbyZones: { x: 'a' },
      standbySync: { x: 1 },
    });
    expect(sameState(a, { ...a, retired: ['y', 'x'] })).toBe(true);
    expect(sameState(a, { ...a, retired: ['x'] })).toBe(false);
    expect(sameState(a, { ...a, standbyZones: { x: 'b' } })).toBe(false);
    expect(sameState(a, { ...a, standbySync: { x: 2 } })).toBe(false);
  });
});

describe('sameMap and sameList', () => {
  it.each<[Record<string, number> | undefined, Record<string, number> | undefined, boolean]>([
    [undefined, undefined, true],
    [undefined, {}, true],
    [{ a: 1 }, { a: 1 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: 1 }, { b: 1 }, false],
    [{ a: 1 }, {}, false],
    [{}, { a: 1 }, false],
  ])('sameMap(%j, %j) = %s', (a, b, same) => expect(sameMap(a, b)).toBe(same));

  it.each<[string[] | undefined, string[] | undefined, boolean]>([
    [undefined, [], true],
    [['a', 'b'], ['b', 'a'], true],
    [['a'], ['a', 'b'], false],
    [['a', 'b'], ['a'], false],
    [['a'], ['b'], false],
  ])('sameList(%j, %j) = %s', (a, b, same) => expect(sameList(a, b)).toBe(same));
});

describe('poolStateProblem', () => {
  it.each<[string, PoolState, string | undefined]>([
    ['a valid state', S(), undefined],
    ['all traffic on the shadow', S({ weights: { primary: 0, shadow: 1 } }), undefined],
    ['a fractional count', S({ primary: 1.5 }), 'primary must be a whole number >= 0, got 1.5'],
    ['a negative shadow', S({ shadow: -1 }), 'shadow must be a whole number >= 0, got -1'],
    [
      'a weight above 1',
      S({ weights: { primary: 1.2, shadow: -0.2 } }),
      'weights must be in [0, 1], got primary 1.2, shadow -0.2',
    ],
    [
      'weights not summing to 1',
      S({ weights: { primary: 0.5, shadow: 0.4 } }),
      'weights must sum to 1, got 0.9',
    ],
    [
      'a standby share above 1',
      S({ standby: { 'n-1': 2 } }),
      'standby share of n-1 must be in [0, 1], got 2',
    ],
    [
      'a retired node not switched',
      S({ retired: ['n-1'] }),
      'retires n-1, which is not switched to a standby (share 1)',
    ],
    ['a retired node switched', S({ standby: { 'n-1': 1 }, retired: ['n-1'] }), undefined],
  ])('%s', (_, state, problem) => expect(poolStateProblem(state)).toBe(problem));
});

describe('parsePoolState', () => {
  it('copies a valid state, optional parts included, and shares nothing with its input', () => {
    const raw = S({
      standby: { 'n-1': 1 },
      retired: ['n-1'],
      standbyZones: { 'n-1': 'a' },
      standbySync: { 'n-1': 7 },
    });
    const parsed = parsePoolState(raw);
    expect(parsed).toEqual(raw);
    (raw.standby as Record<string, number>)['n-1'] = 0;
    expect((parsed as PoolState).standby['n-1']).toBe(1);
  });

  it('takes a missing standby map as none', () => {
    const { standby: _, ...rest } = S();
    expect(parsePoolState(rest)).toEqual({ ...S(), standby: {} });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'expected a pool state {primary, shadow, standby, weights}'],
    ['an array', [1], 'expected a pool state {primary, shadow, standby, weights}'],
    ['no counts', { weights: { primary: 1, shadow: 0 } }, 'expected primary and shadow instance counts'],
    ['a count as text', { ...S(), primary: '4' }, 'expected primary and shadow instance counts'],
    ['no weights', { ...S(), weights: null }, 'expected weights {primary, shadow}'],
    [
      'weights as text',
      { ...S(), weights: { primary: '1', shadow: 0 } },
      'expected weights {primary, shadow} as numbers',
    ],
    ['a standby list', { ...S(), standby: ['n-1'] }, 'expected standby {node: share}'],
    ['a standby share as text', { ...S(), standby: { 'n-1': 'warm' } }, 'expected standby {node: share}'],
    ['retired as text', { ...S(), retired: 'n-1' }, 'expected retired [node, ...]'],
    ['zones as numbers', { ...S(), standbyZones: { 'n-1': 1 } }, 'expected standbyZones {node: zone}'],
    [
      'sync times as text',
      { ...S(), standbySync: { 'n-1': 'now' } },
      'expected standbySync {node: epoch ms}',
    ],
    [
      'weights not summing to 1',
      { ...S(), weights: { primary: 0.5, shadow: 0.4 } },
      'weights must sum to 1, got 0.9',
    ],
  ])('refuses %s', (_, raw, problem) => expect(parsePoolState(raw)).toBe(problem));
});

describe('describeState', () => {
  it('prints counts, weights, standbys and retired nodes on one line', () => {
    expect(describeState(S())).toBe('primary 4, shadow 2, weights 0.8/0.2, standby n-1 0');
    expect(describeState(S({ standby: {} }))).toBe('primary 4, shadow 2, weights 0.8/0.2');
    expect(describeState(S({ standby: { 'n-1': 1 }, retired: ['n-1'] }))).toBe(
      'primary 4, shadow 2, weights 0.8/0.2, standby n-1 1, retired n-1',
    );
  });
});
