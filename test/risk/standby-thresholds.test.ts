// The standby thresholds at their exact edges, on real clock times: a score of exactly 0.7
// provisions, exactly 0.9 held for the dwell moves the work, exactly provision − hysteresis does
// not start the release clock, a move once decided is never taken back by a lower score, and the
// documented defaults are the ones the decider and the planner use.

import { describe, expect, it } from 'vitest';
import { dwellTimes, STANDBY_DEFAULTS, StandbyDecider } from '../../src/risk/standby.js';

const MIN = 60_000;
/** An ordinary wall-clock time: the decider must time dwells from it, not from zero. */
const T0 = Date.UTC(2026, 2, 14, 9, 30);
/** 0.6 with the default policy: scores must fall strictly below it for the release clock to run. */
const RELEASE_EDGE = STANDBY_DEFAULTS.provision - STANDBY_DEFAULTS.hysteresis;

/** Feeds one score a minute from T0 and returns every state. */
function states(scores: number[], d = new StandbyDecider()): string[] {
  return scores.map((s, i) => d.update(T0 + i * MIN, s));
}

describe('the documented standby defaults', () => {
  it('provision at 0.7, move at 0.9 after 10 minutes, release after 30 below 0.6, sync every 15 minutes', () => {
    expect(STANDBY_DEFAULTS).toEqual({
      provision: 0.7,
      transition: 0.9,
      dwellMs: 10 * MIN,
      releaseMs: 30 * MIN,
      syncMs: 15 * MIN,
      hysteresis: 0.1,
      criticality: { low: -0.05, normal: 0, high: 0.05, critical: 0.1 },
    });
    expect(new StandbyDecider().thresholds).toEqual({ provision: 0.7, transition: 0.9 });
  });
});

describe('StandbyDecider at the exact thresholds', () => {
  it('moves the work when the score sits exactly at 0.9 for the whole dwell', () => {
    const out = states(Array<number>(11).fill(0.9));
    expect(out.slice(0, 10)).toEqual(Array<string>(10).fill('provision'));
    expect(out[10]).toBe('transition');
  });

  it('never moves the work on a score just under 0.9, however long it lasts', () => {
    expect(states(Array<number>(60).fill(0.8999)).at(-1)).toBe('provision');
  });

  it('provisions exactly at 0.7 and not just under it', () => {
    expect(states([0.7])).toEqual(['provision']);
    expect(states([0.6999])).toEqual(['ok']);
  });

  it('moves a critical workload at exactly its lowered 0.8', () => {
    const d = new StandbyDecider(STANDBY_DEFAULTS, 'critical');
    expect(d.thresholds.transition).toBe(0.8);
    expect(states(Array<number>(11).fill(0.8), d).at(-1)).toBe('transition');
  });
});

describe('StandbyDecider, once the work is to move', () => {
  it('keeps the decision when the score falls back into the provision band afterwards', () => {
    const d = new StandbyDecider();
    const out = states([...Array<number>(11).fill(0.95), 0.8, 0.75, 0.92], d);
    expect(out.slice(10)).toEqual(['transition', 'transition', 'transition', 'transition']);
    d.reset();
    expect(d.update(T0 + 20 * MIN, 0.8)).toBe('provision');
  });
});

describe('StandbyDecider releasing a standby', () => {
  it('keeps the standby until the score has been low for the full 30 minutes of clock time', () => {
    // Provisioned at T0, low from T0 + 1 min: released at T0 + 31 min, not a minute sooner.
    const out = states([0.75, ...Array<number>(31).fill(0.5)]);
    expect(out.slice(0, 31)).toEqual(Array<string>(31).fill('provision'));
    expect(out[31]).toBe('ok');
  });

  it('does not count a score exactly at provision − hysteresis (0.6) as low', () => {
    expect(RELEASE_EDGE).toBe(0.6);
    expect(states([0.75, ...Array<number>(60).fill(RELEASE_EDGE)]).at(-1)).toBe('provision');
  });
});

describe('dwellTimes at provision − hysteresis', () => {
  const at = (scores: number[]) => scores.map((score, i) => ({ t: T0 + i * MIN, score }));
  const th = { provision: 0.7, transition: 0.9 };

  it('does not count a score exactly at 0.6 as below the release line, as the decider does not', () => {
    expect(dwellTimes(at([0.8, RELEASE_EDGE, RELEASE_EDGE, RELEASE_EDGE]), th, 0.1).belowReleaseMs).toBe(0);
    expect(dwellTimes(at([0.8, 0.59, 0.59, 0.59]), th, 0.1).belowReleaseMs).toBe(2 * MIN);
  });
});
