// What a pool state read from outside (a plan file, a stack's outputs, YAML with its .nan and
// .inf) must be before any target applies it, with the message a person reads when it is not;
// the read-back's tolerance at its exact edge; and the one-line description journals print.

import { describe, expect, it } from 'vitest';
import { type PoolState, WEIGHT_EPSILON } from '../../src/core/plan.js';
import { describeState, parsePoolState, poolStateProblem, sameState } from '../../src/core/pool-state.js';

const S = (over: Partial<PoolState> = {}): PoolState => ({
  primary: 4,
  shadow: 2,
  standby: { 'n-1': 0 },
  weights: { primary: 0.8, shadow: 0.2 },
  ...over,
});

describe('poolStateProblem: traffic weights', () => {
  it.each<[string, number, number]>([
    ['primary above 1', 1.2, 0.5],
    ['primary below 0', -0.2, 0.5],
    ['shadow above 1', 0.5, 1.2],
    ['shadow below 0', 0.5, -0.2],
    ['primary not a number', Number.NaN, 0.5],
    ['shadow not a number', 0.5, Number.NaN],
  ])('refuses %s as out of [0, 1], naming both weights', (_, primary, shadow) => {
    expect(poolStateProblem(S({ weights: { primary, shadow } }))).toBe(
      `weights must be in [0, 1], got primary ${primary}, shadow ${shadow}`,
    );
  });

  it.each<[number, number, string]>([
    [0.5, 0.4, 'weights must sum to 1, got 0.9'],
    [0.7, 0.7, 'weights must sum to 1, got 1.4'],
    [0, 0, 'weights must sum to 1, got 0'],
  ])('refuses weights %s + %s that do not sum to 1', (primary, shadow, problem) => {
    expect(poolStateProblem(S({ weights: { primary, shadow } }))).toBe(problem);
  });

  it.each<[number, number]>([
    [1, 0],
    [0, 1],
    [0.1, 0.2 + 0.7], // 0.9999999999999999: a sum off by rounding only
  ])('accepts weights %s + %s', (primary, shadow) => {
    expect(poolStateProblem(S({ weights: { primary, shadow } }))).toBeUndefined();
  });
});

describe('poolStateProblem: standby shares', () => {
  it.each([-0.5, 1.5, Number.NaN])('refuses a standby share of %s, naming the node', (share) => {
    expect(poolStateProblem(S({ standby: { 'n-1': 0, 'web-3': share } }))).toBe(
      `standby share of web-3 must be in [0, 1], got ${share}`,
    );
  });
});

describe('parsePoolState: the shape of what was read', () => {
  it.each<[string, unknown, string]>([
    ['a number', 5, 'expected a pool state {primary, shadow, standby, weights}'],
    ['a string', 'primary 4', 'expected a pool state {primary, shadow, standby, weights}'],
    ['weights as text', { ...S(), weights: 'half' }, 'expected weights {primary, shadow}'],
    ['weights as a number', { ...S(), weights: 1 }, 'expected weights {primary, shadow}'],
    [
      'the shadow weight as text',
      { ...S(), weights: { primary: 1, shadow: '0' } },
      'expected weights {primary, shadow} as numbers',
    ],
    [
      'a retired entry that is not a node name',
      { ...S(), retired: ['n-1', 3] },
      'expected retired [node, ...]',
    ],
    ['a standby share of .inf', { ...S(), standby: { 'n-1': Infinity } }, 'expected standby {node: share}'],
    [
      'a sync time of .nan',
      { ...S(), standbySync: { 'n-1': Number.NaN } },
      'expected standbySync {node: epoch ms}',
    ],
    [
      'a primary weight above 1',
      { ...S(), weights: { primary: 1.2, shadow: -0.2 } },
      'weights must be in [0, 1], got primary 1.2, shadow -0.2',
    ],
    [
      'a negative standby share',
      { ...S(), standby: { 'n-1': -1 } },
      'standby share of n-1 must be in [0, 1], got -1',
    ],
  ])('refuses %s with what it expected', (_, raw, problem) => expect(parsePoolState(raw)).toBe(problem));

  it('accepts retired node names and zone names', () => {
    const raw = { ...S({ standby: { a: 1, b: 1 } }), retired: ['a', 'b'], standbyZones: { a: 'eu-1a' } };
    expect(parsePoolState(raw)).toEqual(raw);
  });
});

describe('sameState at the rounding tolerance (the read-back after apply)', () => {
  it('takes a standby share read back exactly WEIGHT_EPSILON off as the same, and twice that as changed', () => {
    expect(sameState(S(), S({ standby: { 'n-1': WEIGHT_EPSILON } }))).toBe(true);
    expect(sameState(S(), S({ standby: { 'n-1': 2 * WEIGHT_EPSILON } }))).toBe(false);
  });

  it('takes a weight read back exactly WEIGHT_EPSILON off as the same', () => {
    const a = S({ weights: { primary: 0, shadow: 1 } });
    expect(sameState(a, S({ weights: { primary: WEIGHT_EPSILON, shadow: 1 } }))).toBe(true);
    expect(sameState(a, S({ weights: { primary: 2 * WEIGHT_EPSILON, shadow: 1 } }))).toBe(false);
  });
});

describe('describeState', () => {
  it('separates several standbys and several retired nodes with commas', () => {
    const s = S({ standby: { a: 1, b: 1, c: 0.5 }, retired: ['a', 'b'] });
    expect(describeState(s)).toBe(
      'primary 4, shadow 2, weights 0.8/0.2, standby a 1, b 1, c 0.5, retired a, b',
    );
  });
});
