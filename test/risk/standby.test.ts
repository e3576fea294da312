// Standby decisions from a score stream: provision at the threshold, move only after the dwell,
// release only after the score has stayed low, and earlier for critical workloads.

import { describe, expect, it } from 'vitest';
import { dwellTimes, STANDBY_DEFAULTS, StandbyDecider, thresholdsFor } from '../../src/risk/standby.js';

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

describe('dwellTimes', () => {
  const th = { provision: 0.7, transition: 0.9 };
  const at = (scores: number[]) => scores.map((score, i) => ({ t: i * MIN, score }));
  it.each([
    { name: 'no samples', scores: [], above: 0, below: 0 },
    { name: 'one sample above: held for 0 ms', scores: [0.95], above: 0, below: 0 },
    {
      name: 'above for the last 11 samples: 10 minutes',
      scores: [0.5, ...Array<number>(11).fill(0.92)],
      above: 10 * MIN,
      below: 0,
    },
    { name: 'a dip restarts the run', scores: [0.95, 0.95, 0.85, 0.95, 0.95], above: MIN, below: 0 },
    { name: 'exactly at the threshold counts', scores: [0.9, 0.9, 0.9], above: 2 * MIN, below: 0 },
    {
      name: 'below provision - hysteresis for 5 minutes',
      scores: [0.8, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
      above: 0,
      below: 5 * MIN,
    },
    { name: 'between 0.6 and 0.7 is neither', scores: [0.5, 0.5, 0.65], above: 0, below: 0 },
    { name: 'NaN ends both runs', scores: [0.95, 0.95, Number.NaN], above: 0, below: 0 },
  ])('$name', ({ scores, above, below }) => {
    expect(dwellTimes(at(scores), th, 0.1)).toEqual({ aboveTransitionMs: above, belowReleaseMs: below });
  });

  it('agrees with StandbyDecider on when the dwell is reached', () => {
    // (The decider latches transition until reset, so the stream ends while it still holds.)
    const scores = [0.2, 0.95, 0.95, 0.5, ...Array<number>(12).fill(0.93)];
    const d = new StandbyDecider(STANDBY_DEFAULTS);
    scores.forEach((s, i) => {
      const state = d.update(i * MIN, s);
      const dwell = dwellTimes(at(scores.slice(0, i + 1)), d.thresholds, STANDBY_DEFAULTS.hysteresis);
      if (state === 'transition')
        expect(dwell.aboveTransitionMs).toBeGreaterThanOrEqual(STANDBY_DEFAULTS.dwellMs);
      else expect(dwell.aboveTransitionMs).toBeLessThan(STANDBY_DEFAULTS.dwellMs);
    });
  });
});
