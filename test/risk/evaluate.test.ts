import { describe, expect, it } from 'vitest';
import {
  alarmRuns,
  type EpisodeOutcome,
  type EpisodeTruth,
  evaluate,
  failureLabels,
  metricsTable,
  scoreEpisode,
  summarise,
} from '../../src/risk/evaluate.js';

/** n rows of score 0 with the given [start, end) runs set to `value` (default 1). */
function scores(n: number, runs: [number, number, number?][]): Float64Array {
  const s = new Float64Array(n);
  for (const [a, b, v] of runs) s.fill(v ?? 1, a, b);
  return s;
}

describe('alarmRuns', () => {
  it.each([
    { name: 'no rows at threshold', runs: [], refractory: 30, want: [] },
    { name: 'one run', runs: [[5, 9]], refractory: 30, want: [{ start: 5, end: 9 }] },
    {
      name: 'a gap of 18 < 30 merges',
      runs: [
        [20, 22],
        [40, 42],
      ],
      refractory: 30,
      want: [{ start: 20, end: 42 }],
    },
    {
      name: 'a gap of 18 >= 10 does not',
      runs: [
        [20, 22],
        [40, 42],
      ],
      refractory: 10,
      want: [
        { start: 20, end: 22 },
        { start: 40, end: 42 },
      ],
    },
    {
      name: 'a gap of exactly 30 does not',
      runs: [
        [20, 22],
        [52, 54],
      ],
      refractory: 30,
      want: [
        { start: 20, end: 22 },
        { start: 52, end: 54 },
      ],
    },
    {
      name: 'chains of short gaps merge into one',
      runs: [
        [0, 1],
        [20, 21],
        [40, 41],
        [60, 61],
      ],
      refractory: 30,
      want: [{ start: 0, end: 61 }],
    },
    { name: 'a run to the last row', runs: [[95, 100]], refractory: 30, want: [{ start: 95, end: 100 }] },
  ] as { name: string; runs: [number, number][]; refractory: number; want: object[] }[])(
    '$name',
    ({ runs, refractory, want }) => {
      expect(alarmRuns(scores(100, runs), 0.7, 0, refractory)).toEqual(want);
    },
  );

  it('counts a score equal to the threshold and never NaN', () => {
    const s = Float64Array.from([0, 0.7, 0.69, Number.NaN, 0.9]);
    expect(alarmRuns(s, 0.7, 0, 1)).toEqual([
      { start: 1, end: 2 },
      { start: 4, end: 5 },
    ]);
  });

  it('starts an alarm still on when evaluation begins at the first evaluated row', () => {
    expect(alarmRuns(scores(50, [[0, 15]]), 0.7, 10)).toEqual([{ start: 10, end: 15 }]);
    expect(alarmRuns(scores(50, [[0, 8]]), 0.7, 10)).toEqual([]);
  });
});

describe('scoreEpisode', () => {
  const failing: EpisodeTruth = { warmup: 10, onsetAt: 50, failureAt: 100 };
  const noOnset: EpisodeTruth = { warmup: 10, failureAt: 100 };
  const healthy: EpisodeTruth = { warmup: 10 };
  const labelled: EpisodeTruth = { warmup: 10, events: [{ start: 50, end: 60 }] };
  const twoEvents: EpisodeTruth = {
    warmup: 0,
    events: [
      { start: 10, end: 20 },
      { start: 30, end: 40 },
    ],
  };
  const withIncident: EpisodeTruth = { warmup: 10, ignore: [{ start: 50, end: 60 }] };

  it.each([
    {
      name: 'an alarm before onset is false and detects nothing',
      truth: failing,
      runs: [[20, 25]],
      falseAlarms: 1,
      detected: [undefined],
    },
    {
      name: 'an alarm after onset detects; lead = failure - start',
      truth: failing,
      runs: [[70, 75]],
      falseAlarms: 0,
      detected: [30],
    },
    {
      // Otherwise a detector that is always on would detect every failure with the longest lead.
      name: 'an alarm on since before onset is false, and detects nothing',
      truth: failing,
      runs: [[40, 60]],
      falseAlarms: 1,
      detected: [undefined],
    },
    {
      name: 'the first of two alarms in the window sets the lead',
      truth: failing,
      runs: [
        [60, 62],
        [95, 99],
      ],
      falseAlarms: 0,
      detected: [40],
    },
    {
      name: 'an alarm in the warm-up is not counted',
      truth: failing,
      runs: [[0, 5]],
      falseAlarms: 0,
      detected: [undefined],
    },
    {
      name: 'no onset: an alarm within the lead window detects',
      truth: noOnset,
      runs: [[85, 88]],
      falseAlarms: 0,
      detected: [15],
    },
    {
      name: 'no onset: an alarm before the lead window is false',
      truth: noOnset,
      runs: [[75, 78]],
      falseAlarms: 1,
      detected: [undefined],
    },
    {
      name: 'healthy: every alarm is false',
      truth: healthy,
      runs: [
        [20, 22],
        [80, 82],
      ],
      falseAlarms: 2,
      detected: [],
    },
    { name: 'healthy: no alarm, nothing counted', truth: healthy, runs: [], falseAlarms: 0, detected: [] },
    {
      name: 'labelled: an alarm before the segment anticipates it',
      truth: labelled,
      runs: [[35, 37]],
      falseAlarms: 0,
      detected: [15],
    },
    {
      name: 'labelled: an alarm inside the segment is late (negative lead)',
      truth: labelled,
      runs: [[55, 57]],
      falseAlarms: 0,
      detected: [-5],
    },
    {
      name: 'labelled: an alarm after the segment is false',
      truth: labelled,
      runs: [[65, 67]],
      falseAlarms: 1,
      detected: [undefined],
    },
    {
      name: 'labelled: an alarm before the lead window is false',
      truth: labelled,
      runs: [[25, 27]],
      falseAlarms: 1,
      detected: [undefined],
    },
    {
      name: 'a window does not reach back into the event before',
      truth: twoEvents,
      runs: [[15, 16]],
      falseAlarms: 0,
      detected: [-5, undefined],
    },
    {
      name: 'between two events an alarm anticipates the second',
      truth: twoEvents,
      runs: [[25, 26]],
      falseAlarms: 0,
      detected: [undefined, 5],
    },
    {
      name: 'an alarm on a real incident is neither true nor false',
      truth: withIncident,
      runs: [[45, 47]],
      falseAlarms: 0,
      detected: [],
    },
  ] as {
    name: string;
    truth: EpisodeTruth;
    runs: [number, number][];
    falseAlarms: number;
    detected: (number | undefined)[];
  }[])('$name', ({ truth, runs, falseAlarms, detected }) => {
    const out = scoreEpisode(truth, scores(100, runs), 0.7, { maxLeadRows: 20, refractoryRows: 5 });
    expect(out.falseAlarms).toBe(falseAlarms);
    expect(out.events.map((e) => e.leadMinutes)).toEqual(detected);
    expect(out.evaluatedRows).toBe(100 - truth.warmup);
  });

  it('merges a score wobbling around the threshold into one false alarm', () => {
    const wobble = scores(100, [
      [20, 21],
      [25, 26],
      [30, 31],
      [40, 41],
    ]);
    expect(scoreEpisode(healthy, wobble, 0.7).falseAlarms).toBe(1);
    expect(scoreEpisode(healthy, wobble, 0.7, { refractoryRows: 1 }).falseAlarms).toBe(4);
  });

  it('does not score events inside the warm-up', () => {
    const early: EpisodeTruth = { warmup: 30, events: [{ start: 10, end: 20 }] };
    expect(scoreEpisode(early, scores(100, []), 0.7).events).toEqual([]);
  });

  it('turns rows into minutes with minutesPerRow', () => {
    const out = scoreEpisode(failing, scores(100, [[70, 75]]), 0.7, { minutesPerRow: 5 });
    expect(out.events[0]?.leadMinutes).toBe(150);
  });

  describe('attribution', () => {
    const leak: EpisodeTruth = { warmup: 10, onsetAt: 50, failureAt: 100, affected: ['memory'] };
    const blamed = (name: string, n = 100) => Array.from({ length: n }, () => name);

    it('credits an alarm that blames a degraded metric', () => {
      const out = scoreEpisode(leak, scores(100, [[70, 75]]), 0.7, {}, blamed('memory'));
      expect(out.events[0]?.detectedAt).toBe(70);
      expect(out.falseAlarms).toBe(0);
    });

    it('counts an alarm in the window that blames another metric as false, detecting nothing', () => {
      const out = scoreEpisode(leak, scores(100, [[70, 75]]), 0.7, {}, blamed('errors'));
      expect(out.events[0]?.detectedAt).toBeUndefined();
      expect(out.falseAlarms).toBe(1);
    });

    it("judges by the blame at the alarm's first row", () => {
      const blame = blamed('errors');
      blame[70] = 'memory';
      const first = scoreEpisode(leak, scores(100, [[70, 75]]), 0.7, {}, blame);
      expect(first.events[0]?.detectedAt).toBe(70);
      const later = scoreEpisode(leak, scores(100, [[69, 75]]), 0.7, {}, blame);
      expect(later.events[0]?.detectedAt).toBeUndefined();
    });

    it('is off without blame, and for events that name no metric', () => {
      expect(scoreEpisode(leak, scores(100, [[70, 75]]), 0.7).events[0]?.detectedAt).toBe(70);
      const unnamed = scoreEpisode(failing, scores(100, [[70, 75]]), 0.7, {}, blamed('errors'));
      expect(unnamed.events[0]?.detectedAt).toBe(70);
    });

    it('applies to labelled segments through their metrics, and never to ignored ones', () => {
      const truth: EpisodeTruth = {
        warmup: 0,
        events: [{ start: 200, end: 220, metrics: ['disk'] }],
        ignore: [{ start: 400, end: 420, metrics: ['disk'] }],
      };
      const s = scores(500, [
        [190, 195],
        [410, 415],
      ]);
      const out = scoreEpisode(truth, s, 0.7, { maxLeadRows: 30 }, blamed('cpu', 500));
      expect(out.events[0]?.detectedAt).toBeUndefined();
      expect(out.falseAlarms).toBe(1);
    });
  });

  it('refuses scores shorter than the episode', () => {
    expect(() => scoreEpisode(failing, new Float64Array(80), 0.7)).toThrow(/80 scores/);
  });
});

/** Equal to 12 decimals, or both NaN (undefined ratios are NaN by contract). */
function close(actual: number, want: number, what: string): void {
  if (Number.isNaN(want)) expect(actual, what).toBeNaN();
  else expect(actual, what).toBeCloseTo(want, 12);
}

describe('summarise', () => {
  const outcome = (
    leads: (number | undefined)[],
    falseAlarms: number,
    evaluatedRows = 1440,
  ): EpisodeOutcome => ({
    alarms: [],
    falseAlarms,
    evaluatedRows,
    events: leads.map((leadMinutes) => ({
      anchor: 0,
      ...(leadMinutes === undefined ? {} : { detectedAt: 0, leadMinutes }),
    })),
  });

  it.each([
    {
      name: 'two of three detected, two false alarms',
      outcomes: [outcome([30], 0), outcome([10], 0), outcome([undefined], 0), outcome([], 2)],
      want: {
        failures: 3,
        detected: 2,
        anticipated: 2,
        falseAlarms: 2,
        precision: 0.5,
        recall: 2 / 3,
        f1: 4 / 7,
        falseAlarmsPerDay: 0.5,
        evaluatedDays: 4,
      },
      lead: { q1: 15, median: 20, q3: 25 },
    },
    {
      name: 'no alarm at all',
      outcomes: [outcome([undefined, undefined], 0, 720)],
      want: {
        failures: 2,
        detected: 0,
        anticipated: 0,
        falseAlarms: 0,
        precision: NaN,
        recall: 0,
        f1: 0,
        falseAlarmsPerDay: 0,
        evaluatedDays: 0.5,
      },
      lead: { q1: NaN, median: NaN, q3: NaN },
    },
    {
      name: 'nothing to detect, nothing raised',
      outcomes: [outcome([], 0)],
      want: {
        failures: 0,
        detected: 0,
        anticipated: 0,
        falseAlarms: 0,
        precision: NaN,
        recall: NaN,
        f1: NaN,
        falseAlarmsPerDay: 0,
        evaluatedDays: 1,
      },
      lead: { q1: NaN, median: NaN, q3: NaN },
    },
    {
      name: 'nothing to detect, three false alarms',
      outcomes: [outcome([], 3, 2880)],
      want: {
        failures: 0,
        detected: 0,
        anticipated: 0,
        falseAlarms: 3,
        precision: 0,
        recall: NaN,
        f1: 0,
        falseAlarmsPerDay: 1.5,
        evaluatedDays: 2,
      },
      lead: { q1: NaN, median: NaN, q3: NaN },
    },
    {
      name: 'late detections count, but do not anticipate',
      outcomes: [outcome([-5, 40, 0], 1)],
      want: {
        failures: 3,
        detected: 3,
        anticipated: 1,
        falseAlarms: 1,
        precision: 0.75,
        recall: 1,
        f1: 6 / 7,
        falseAlarmsPerDay: 1,
        evaluatedDays: 1,
      },
      lead: { q1: -2.5, median: 0, q3: 20 },
    },
    {
      name: 'no episodes',
      outcomes: [],
      want: {
        failures: 0,
        detected: 0,
        anticipated: 0,
        falseAlarms: 0,
        precision: NaN,
        recall: NaN,
        f1: NaN,
        falseAlarmsPerDay: NaN,
        evaluatedDays: 0,
      },
      lead: { q1: NaN, median: NaN, q3: NaN },
    },
  ])('$name', ({ outcomes, want, lead }) => {
    const m = summarise(outcomes, 0.7);
    expect(m.threshold).toBe(0.7);
    expect(m.episodes).toBe(outcomes.length);
    for (const [key, value] of Object.entries(want)) close(m[key as keyof typeof want], value, key);
    close(m.lead.q1, lead.q1, 'q1');
    close(m.lead.median, lead.median, 'median');
    close(m.lead.q3, lead.q3, 'q3');
  });

  it('F1 is the harmonic mean of precision and recall', () => {
    const m = summarise([outcome([30, undefined, 12, undefined, 7], 4)], 0.9);
    expect(m.f1).toBeCloseTo((2 * m.precision * m.recall) / (m.precision + m.recall), 12);
  });
});

describe('evaluate', () => {
  it('scores every episode and sums them', () => {
    const m = evaluate(
      [
        {
          truth: { warmup: 10, onsetAt: 50, failureAt: 100 },
          scores: scores(100, [
            [20, 25],
            [80, 85],
          ]),
        },
        { truth: { warmup: 10 }, scores: scores(1450, [[500, 510]]) },
      ],
      0.7,
    );
    expect(m).toMatchObject({ failures: 1, detected: 1, falseAlarms: 2, precision: 1 / 3, recall: 1 });
    expect(m.lead.median).toBe(20);
    expect(m.evaluatedDays).toBeCloseTo((90 + 1440) / 1440, 12);
  });
});

describe('failureLabels', () => {
  const rows = { length: 100 };
  it.each([
    {
      name: 'the horizon before the failure',
      truth: { warmup: 10, onsetAt: 20, failureAt: 100 },
      horizon: 10,
      ones: [[90, 100]],
    },
    {
      name: 'never before the onset',
      truth: { warmup: 10, onsetAt: 80, failureAt: 100 },
      horizon: 30,
      ones: [[80, 100]],
    },
    {
      name: 'no onset: the whole horizon',
      truth: { warmup: 10, failureAt: 100 },
      horizon: 30,
      ones: [[70, 100]],
    },
    { name: 'a healthy episode: none', truth: { warmup: 10 }, horizon: 30, ones: [] },
    {
      name: 'a segment: its approach and itself',
      truth: { warmup: 10, events: [{ start: 50, end: 60 }] },
      horizon: 5,
      ones: [[45, 60]],
    },
    {
      name: 'ignored real incidents are anomalies too',
      truth: { warmup: 10, ignore: [{ start: 3, end: 6 }] },
      horizon: 5,
      ones: [[0, 6]],
    },
  ] as { name: string; truth: EpisodeTruth; horizon: number; ones: [number, number][] }[])(
    '$name',
    ({ truth, horizon, ones }) => {
      const want = new Uint8Array(100);
      for (const [a, b] of ones) want.fill(1, a, b);
      expect(failureLabels({ ...truth, timestamps: rows }, horizon)).toEqual(want);
    },
  );
});

describe('metricsTable', () => {
  it('writes one markdown row per detector, with a dash for what is undefined', () => {
    const m = summarise([{ alarms: [], falseAlarms: 1, evaluatedRows: 1440, events: [{ anchor: 0 }] }], 0.9);
    const table = metricsTable([{ name: 'zscore', metrics: m }]).split('\n');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/^\| detector \| threshold \|/);
    expect(table[2]).toBe('| zscore | 0.9 | 1 | 0 | 1 | 0.000 | 0.000 | 0.000 | – | 1.00 |');
  });

  it('escapes a pipe in a detector name, so |z| stays inside its cell', () => {
    const m = summarise([{ alarms: [], falseAlarms: 0, evaluatedRows: 1440, events: [] }], 0.7);
    const row = metricsTable([{ name: 'z-score (|z| >= 8)', metrics: m }]).split('\n')[2]!;
    expect(row.startsWith('| z-score (\\|z\\| >= 8) | 0.7 |')).toBe(true);
    expect(row.split(/(?<!\\)\|/)).toHaveLength(12);
  });
});
