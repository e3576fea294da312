// Standby decisions from a score stream: provision at the threshold, move only after the dwell,
// release only after the score has stayed low, and earlier for critical workloads.

import { describe, expect, it } from 'vitest';
import { STANDBY_DEFAULTS, StandbyDecider, thresholdsFor } from '../../src/risk/standby.js';

const MIN = 60_000;

function run(scores: number[], criticality: 'low' | 'normal' | 'high' | 'critical' = 'normal') {
  const d = new StandbyDecider(STANDBY_DEFAULTS, criticality);
  return scores.map((s, i) => d.update(i * MIN, s));
}

describe('StandbyDecider', () => {
  it.each([
    { name: 'stays ok below the provision threshold', scores: [0.1, 0.5, 0.69], last: 'ok' },
    { name: 'provisions at 0.7', scores: [0.1, 0.7], last: 'provision' },
    {
      name: 'one spike above 0.9 provisions but does not move the work',
      scores: [0.95, 0.5, 0.5],
      last: 'provision',
    },
    {
      name: 'a score at or above 0.9 for the 10-minute dwell moves the work',
      scores: Array<number>(11).fill(0.92),
      last: 'transition',
    },
    { name: '9 minutes above 0.9 is not enough', scores: Array<number>(10).fill(0.92), last: 'provision' },
    {
      name: 'a dip below 0.9 restarts the dwell',
      scores: [...Array<number>(6).fill(0.95), 0.85, ...Array<number>(6).fill(0.95)],
      last: 'provision',
    },
    {
      name: 'provision is released after 30 minutes below 0.6',
      scores: [0.75, ...Array<number>(31).fill(0.5)],
      last: 'ok',
    },
    {
      name: 'but held while the score hovers between 0.6 and 0.7',
      scores: [0.75, ...Array<number>(40).fill(0.65)],
      last: 'provision',
    },
  ])('$name', ({ scores, last }) => {
    expect(run(scores).at(-1)).toBe(last);
  });

  it('provisions a critical workload earlier (0.6) and a low one later (0.75)', () => {
    expect(thresholdsFor(STANDBY_DEFAULTS, 'critical')).toEqual({ provision: 0.6, transition: 0.8 });
    expect(thresholdsFor(STANDBY_DEFAULTS, 'low').provision).toBeCloseTo(0.75);
    expect(run([0.65], 'critical').at(-1)).toBe('provision');
    expect(run([0.65], 'normal').at(-1)).toBe('ok');
  });

  it('holds a transition until reset', () => {
    const d = new StandbyDecider();
    for (let i = 0; i <= 10; i++) d.update(i * MIN, 0.95);
    expect(d.update(11 * MIN, 0)).toBe('transition');
    d.reset();
    expect(d.update(12 * MIN, 0)).toBe('ok');
  });
});
