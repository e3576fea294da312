// The risk model's contract with what scores a node and with the person reading the score: each
// stack weighs the parts in MODEL_PARTS order and the consensus is 1 − Π(1 − p); a detector's
// part is 1 − 10^−surprise; the scorer uses the model's own feature and detector settings, says
// nothing before a metric has a normal range, and names the part that says the most (in the louder
// stack) and the metric behind it; a model file is checked with messages a person can act on.
//
// The lead tests use hand-made stacks whose verdict does not depend on the data: an intercept of
// ±50 makes one stack the loud one, a zero weight makes a stack deaf to a part.

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import type { RiskScore } from '../../src/core/risk.js';
import { defaultModel } from '../../src/risk/default-model.js';
import { type MetricRow, metricVector } from '../../src/risk/features.js';
import { type LogisticModel, predictLogistic, sigmoid } from '../../src/risk/logistic.js';
import {
  classifierRaw,
  MODEL_PARTS,
  NodeScorer,
  type RiskModelFile,
  scoreRow,
} from '../../src/risk/model.js';
import { RiskModelSchema } from '../../src/risk/model-schema.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const JUMP = 150;
const ROWS = 170;

/** A linear stack over the four parts (MODEL_PARTS order), centred at `centre`, unit scale. */
function stack(intercept: number, weights: number[], centre = [0, 0, 0, 0]): LogisticModel {
  return { centre, scale: [1, 1, 1, 1], linear: true, weights: [intercept, ...weights] };
}

/** The built-in model with an hour's normal range and no lag, so a stream is scored within ~60 rows. */
function quickModel(over: Partial<RiskModelFile> = {}): RiskModelFile {
  const base = defaultModel();
  return { ...base, features: { ...base.features, rangeMinutes: 60, rangeLagMinutes: 0 }, ...over };
}

/** Two metrics a minute, memory jumping by 0.3 at row JUMP; every row's score. */
function scoreStream(scorer: NodeScorer): RiskScore[] {
  const rng = mulberry32(3);
  const out: RiskScore[] = [];
  for (let i = 0; i < ROWS; i++) {
    const mem = 0.4 + 0.02 * rng() + (i >= JUMP ? 0.3 : 0);
    const cpu = 0.3 + 0.05 * rng();
    out.push(scorer.update({ t: T0 + i * MIN, values: { mem, cpu } }));
  }
  return out;
}

/** The rows scored once a metric had a normal range (the ones that carry an explanation). */
function explained(model: RiskModelFile): RiskScore[] {
  const rows = scoreStream(new NodeScorer(model, MIN)).filter((r) => r.partBlame !== undefined);
  expect(rows.length).toBeGreaterThan(50);
  return rows;
}

const LOUD = 50;
const QUIET = -50;

describe('scoreRow', () => {
  const model = quickModel({
    // The degradation stack hears only the seasonal detector, the incident stack only the limit.
    consensus: { degradation: stack(-1, [0.5, 0, 0, 0]), incident: stack(-2, [0, 0, 0.7, 0]) },
  });

  it("reads a detector's surprise as the chance it is not luck, 1 − 10^−surprise", () => {
    const r = scoreRow(model, { seasonal: 1, shift: 2, limit: 0 }, new Map());
    expect(r.seasonal).toBeCloseTo(0.9, 12);
    expect(r.shift).toBeCloseTo(0.99, 12);
    expect(r.limit).toBe(0);
    expect(r.classifier).toBe(0);
    expect(r.metric).toBeUndefined();
  });

  it('gives each stack its own parts in MODEL_PARTS order, and the consensus 1 − (1 − a)(1 − b)', () => {
    const r = scoreRow(model, { seasonal: 2, shift: 5, limit: 1 }, new Map());
    const a = sigmoid(-1 + 0.5 * 2);
    const b = sigmoid(-2 + 0.7 * 1);
    expect(r.consensus).toBeCloseTo(1 - (1 - a) * (1 - b), 12);
    // The same surprises on other detectors give another consensus: a swap of parts shows.
    const swapped = scoreRow(model, { seasonal: 1, shift: 5, limit: 2 }, new Map());
    expect(swapped.consensus).toBeCloseTo(1 - (1 - sigmoid(-0.5)) * (1 - sigmoid(-0.6)), 12);
  });
});

describe('classifierRaw', () => {
  const row: MetricRow = {
    excessFast: 3,
    excessSlow: 2,
    aboveShare: 0.5,
    climb: 1,
    resid: 2,
    level: 2,
    jitter: 0.1,
    novelty: 1,
    fill: 0.8,
    exhaustionSlow: 0.5,
    exhaustionFast: 0.5,
  };
  const model = defaultModel();

  it("is the most alarming metric's probability, blaming that metric", () => {
    const calm = { ...row, excessFast: 0, excessSlow: 0, fill: 0.3 };
    const r = classifierRaw(
      model,
      new Map([
        ['cpu', calm],
        ['disk', row],
      ]),
    );
    expect(r).toEqual({ raw: predictLogistic(model.classifier, metricVector(row)), metric: 'disk' });
  });

  it('settles a tie between equally alarming metrics on the first one read', () => {
    expect(
      classifierRaw(
        model,
        new Map([
          ['disk', row],
          ['mem', { ...row }],
        ]),
      ).metric,
    ).toBe('disk');
  });
});

describe('NodeScorer', () => {
  it("calls itself 'consensus'", () => {
    expect(new NodeScorer(quickModel(), MIN).name).toBe('consensus');
  });

  it('scores 0 with every part 0 until a metric has a normal range', () => {
    const first = new NodeScorer(quickModel(), MIN).update({ t: T0, values: { mem: 0.5 } });
    expect(first).toStrictEqual({
      t: T0,
      score: 0,
      parts: { seasonal: 0, shift: 0, limit: 0, classifier: 0 },
    });
  });

  it('gives every part after warm-up: a jump lights the seasonal and shift detectors, not the limit', () => {
    const at = scoreStream(new NodeScorer(quickModel(), MIN))[JUMP]!;
    expect(Object.keys(at.parts)).toEqual([...MODEL_PARTS]);
    expect(at.parts.seasonal).toBeGreaterThan(0.999);
    expect(at.parts.shift).toBeGreaterThan(0.999);
    expect(at.parts.limit).toBe(0);
    expect(at.parts.classifier).toBeGreaterThan(0);
    expect(at.score).toBeGreaterThan(0.5);
  });

  it("uses the model's own normal-range settings, not the defaults", () => {
    // With the default nine hours of range, nothing in this three-hour stream is scored.
    expect(scoreStream(new NodeScorer(defaultModel(), MIN)).every((r) => r.score === 0)).toBe(true);
    expect(scoreStream(new NodeScorer(quickModel(), MIN))[70]!.score).toBeGreaterThan(0);
  });

  it("uses the model's own detector settings, not the defaults", () => {
    const base = quickModel();
    const late = quickModel({ detectors: { ...base.detectors, warmupRows: 10_000 } });
    const at = scoreStream(new NodeScorer(late, MIN))[JUMP]!;
    expect([at.parts.seasonal, at.parts.shift, at.parts.limit]).toEqual([0, 0, 0]);
  });

  it('explains by default, and with explain off gives the same score and parts with no explanation', () => {
    const model = quickModel();
    const full = scoreStream(new NodeScorer(model, MIN));
    const bare = scoreStream(new NodeScorer(model, MIN, false));
    expect(full[JUMP]!.lead).toBeDefined();
    expect(full[JUMP]!.partBlame).toBeDefined();
    bare.forEach((r, i) => {
      expect(Object.keys(r).sort()).toEqual(['parts', 'score', 't']);
      expect(r.score).toBe(full[i]!.score);
      expect(r.parts).toEqual(full[i]!.parts);
    });
  });
});

describe('NodeScorer: the part that says the most', () => {
  it('is in the louder stack, and the metric behind it is the blame', () => {
    // The degradation stack is loud and hears only the classifier; the incident stack the seasonal.
    const degradationLoud = quickModel({
      consensus: { degradation: stack(LOUD, [0, 0, 0, 1]), incident: stack(QUIET, [1, 0, 0, 0]) },
    });
    for (const r of explained(degradationLoud)) {
      expect(r.lead).toBe('classifier');
      expect(r.blame).toBe(r.partBlame!.classifier);
      expect(r.blame).toMatch(/^(mem|cpu)$/);
    }
    const incidentLoud = quickModel({
      consensus: { degradation: stack(QUIET, [0, 0, 0, 1]), incident: stack(LOUD, [1, 0, 0, 0]) },
    });
    for (const r of explained(incidentLoud)) {
      expect(r.lead).toBe('seasonal');
      expect(r.blame).toBe(r.partBlame!.seasonal);
    }
  });

  it('is taken from the degradation stack when both stacks say the same', () => {
    // Weights too small to move either probability off 0.5.
    const tied = quickModel({
      consensus: {
        degradation: stack(0, [1e-300, 0, 0, 0], [-100, 0, 0, 0]),
        incident: stack(0, [0, 0, 0, 1e-300]),
      },
    });
    for (const r of explained(tied)) expect(r.lead).toBe('seasonal');
  });

  it('is the part adding the most to the log-odds, not merely the last part the stack hears', () => {
    // Seasonal adds at least 100 (its surprise is ≥ 0, centred at −100); the classifier ~1e-5.
    const m = quickModel({ consensus: { degradation: stack(LOUD, [1, 0, 0, 1e-6], [-100, 0, 0, 0]) } });
    for (const r of explained(m)) expect(r.lead).toBe('seasonal');
  });

  it('is never a part the stack gives no weight, even when the one part it hears argues against failure', () => {
    // The classifier's log-odds (within ±14) centred at 100 subtract about 100; the other parts add 0.
    const m = quickModel({ consensus: { degradation: stack(LOUD, [0, 0, 0, 1], [0, 0, 0, 100]) } });
    for (const r of explained(m)) expect(r.lead).toBe('classifier');
  });

  it('is the earlier part in MODEL_PARTS order when two add exactly the same', () => {
    const m = quickModel({ consensus: { degradation: stack(LOUD, [1, 1, 0, 0]) } });
    const at = scoreStream(new NodeScorer(m, MIN))[JUMP]!;
    // At the jump both detectors are at their ceiling: the same surprise, the same weight.
    expect(at.parts.seasonal).toBe(at.parts.shift);
    expect(at.lead).toBe('seasonal');
  });

  it('is named without a metric when its detector has not spoken yet', () => {
    // Only the limit is heard, and in the flat hours before the jump no metric nears its limit.
    const m = quickModel({ consensus: { degradation: stack(LOUD, [0, 0, 1, 0]) } });
    const before = explained(m).filter((r) => r.t < T0 + JUMP * MIN && r.partBlame!.limit === undefined);
    expect(before.length).toBeGreaterThan(10);
    for (const r of before) {
      expect(r.lead).toBe('limit');
      expect(Object.keys(r)).not.toContain('blame');
    }
  });

  it('is not named at all when no stack hears any part', () => {
    for (const consensus of [{}, { degradation: stack(LOUD, [0, 0, 0, 0]) }]) {
      for (const r of explained(quickModel({ consensus }))) {
        expect(Object.keys(r)).not.toContain('lead');
        expect(Object.keys(r)).not.toContain('blame');
      }
    }
  });
});

describe('a model file read from disk', () => {
  /** What the tests below change in a model file, typed loosely enough to write wrong values. */
  interface Editable {
    format: string;
    version: number;
    consensus: Partial<Record<'degradation' | 'incident', LogisticModel>>;
    weights: Record<string, number>;
  }
  /** The built-in model as a file would hold it, changed by `edit`. */
  function file(edit: (m: Editable) => void = () => {}): unknown {
    const m = JSON.parse(JSON.stringify(defaultModel())) as Editable;
    edit(m);
    return m;
  }

  /** The first complaint, as `risk score --model` shows it: where, and what. */
  function complaint(raw: unknown): { path: string; message: string } | undefined {
    const parsed = RiskModelSchema.safeParse(raw);
    if (parsed.success) return undefined;
    const issue = parsed.error.issues[0]!;
    return { path: issue.path.join('.'), message: issue.message };
  }

  it('is written and read back as JSON without losing anything: it scores exactly the same', () => {
    const parsed = RiskModelSchema.parse(file()) as RiskModelFile;
    const model = quickModel();
    const again = { ...parsed, features: model.features };
    expect(scoreStream(new NodeScorer(again, MIN))).toEqual(scoreStream(new NodeScorer(model, MIN)));
  });

  it.each<[string, (m: Editable) => void, { path: string; message: string | RegExp }]>([
    [
      'an older format version',
      (m) => (m.version = 1),
      {
        path: 'version',
        message: 'version 2 is the format this shadowcast reads; retrain with `shadowcast risk train`',
      },
    ],
    [
      'a stack over three parts',
      (m) => {
        m.consensus.incident!.centre.pop();
      },
      { path: 'consensus.incident', message: 'a stack takes 4 inputs (seasonal, shift, limit, classifier)' },
    ],
    [
      'a stack with a weight missing',
      (m) => {
        m.consensus.degradation!.weights.pop();
      },
      {
        path: 'consensus.degradation',
        message: 'a stack takes 4 inputs (seasonal, shift, limit, classifier)',
      },
    ],
    [
      'no stack at all',
      (m) => (m.consensus = {}),
      { path: 'consensus', message: 'the consensus needs at least one stack' },
    ],
    ['a negative share', (m) => (m.weights.shift = -0.1), { path: 'weights.shift', message: />=0/ }],
    ['another file format', (m) => (m.format = 'onnx'), { path: 'format', message: /shadowcast-risk-model/ }],
  ])('refuses %s, saying where and why', (_, edit, expected) => {
    const c = complaint(file(edit));
    expect(c?.path).toBe(expected.path);
    if (typeof expected.message === 'string') expect(c?.message).toBe(expected.message);
    else expect(c?.message).toMatch(expected.message);
  });

  it('accepts a model with only one of the two stacks', () => {
    expect(complaint(file((m) => delete m.consensus.incident))).toBeUndefined();
  });
});
