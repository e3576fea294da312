// The promotion gate: a retrained model replaces the one in use only when it is not worse on whole
// nodes it never trained on.

import { describe, expect, it } from 'vitest';
import { defaultModel } from '../../src/risk/default-model.js';
import { heldOutFigures, judge, splitHoldout } from '../../src/risk/promote.js';
import { trainRiskModel } from '../../src/risk/train.js';
import { mislabelled, poolHistory } from './pool-history.js';

const nodes = poolHistory({ nodes: 12, failing: 7, days: 3, seed: 1 });
const split = splitHoldout(nodes, 0.3);
const th = { threshold: 0.7 };

describe('splitHoldout', () => {
  it('holds out whole nodes, failing ones on both sides, the same way every time', () => {
    const ids = (ns: readonly { id: string }[]) => ns.map((n) => n.id);
    expect(new Set([...ids(split.train), ...ids(split.heldOut)]).size).toBe(nodes.length);
    expect(ids(split.train).filter((id) => ids(split.heldOut).includes(id))).toEqual([]);
    expect(split.heldOut.some((n) => n.failures.length)).toBe(true);
    expect(split.train.filter((n) => n.failures.length).length).toBeGreaterThanOrEqual(2);
    expect(split.heldOut.length).toBe(4);
    expect(ids(splitHoldout([...nodes].reverse(), 0.3).heldOut).sort()).toEqual(ids(split.heldOut).sort());
  });
});

describe('judge', () => {
  const good = trainRiskModel(split.train, {});
  const wrong = trainRiskModel(mislabelled(split.train, 7), {});

  it('judges on the held-out nodes only, at the threshold given', () => {
    const f = heldOutFigures(good, split.heldOut, th);
    expect(f.nodes).toBe(4);
    expect(f.events).toBe(split.heldOut.filter((n) => n.failures.length).length);
    expect(f.threshold).toBe(0.7);
    expect(f.brier).toBeGreaterThanOrEqual(0);
  });

  it('does not promote a model retrained on wrong labels over a good one', () => {
    const v = judge(good, wrong, split.heldOut, th);
    expect(v.promote).toBe(false);
    expect(v.reason).toMatch(/^the retrained model is worse on 4 held-out nodes at 0\.7: F1/);
    expect(v.candidate.brier).toBeGreaterThan(v.incumbent.brier);
  });

  it('promotes a model that finds failures the one in use misses', () => {
    const v = judge(defaultModel(), good, split.heldOut, th);
    expect(v.candidate.f1).toBeGreaterThan(Number.isNaN(v.incumbent.f1) ? 0 : v.incumbent.f1);
    expect(v.promote).toBe(true);
    expect(v.reason).toMatch(/^the retrained model is not worse/);
  });

  it('promotes an equal model (not worse is enough): the same model judged against itself', () => {
    expect(judge(good, good, split.heldOut, th).promote).toBe(true);
  });
});
