// Fitting ahead of a replay (src/simulate/fit-ahead.ts): which fits are due (scheduled times with
// a new sample, at most one a refit interval), and that fitting them ahead, several at once and
// finishing in any order, gives exactly what fitting each in turn on one thread gives, including
// when a fit that was expected to keep `auto`'s selection re-selects and the fits after it must
// be redone. The fitter here is a stand-in whose answers are a pure function of the request, so
// the order and timing of answers can be scrambled at will; the real models on real threads are
// tested in fit-pool.test.ts.

import { describe, expect, it } from 'vitest';
import type { ModelSelection } from '../../src/core/seams.js';
import type { Series } from '../../src/core/series.js';
import { historyWindow, selectionToReuse } from '../../src/forecast/window.js';
import { CronTimes, FitAhead, samplesKnown } from '../../src/simulate/fit-ahead.js';
import type { Fitter, FitRequest, FitResult } from '../../src/pipeline/fit-job.js';
import { FitPool } from '../../src/pipeline/fit-pool.js';
import { HOUR, MIN, testPolicy } from '../plan/fixtures.js';

const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5);

function halfHourly(days: number): Series {
  const n = days * 48;
  return {
    name: 'demand',
    timestamps: Array.from({ length: n }, (_, i) => T0 + i * 30 * MIN),
    values: Float64Array.from({ length: n }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * i) / 48)),
    stepMs: 30 * MIN,
  };
}

/**
 * A stand-in for `auto`: a fit handed no selection selects afresh (made at its window's end); one
 * handed a selection keeps it, unless its window ends at one of `surprises` (as when a reused
 * model fails to fit). The forecast starts after the window's last sample, so a result says
 * which samples it was fitted on.
 */
function answer(req: FitRequest, surprises: ReadonlySet<number>): FitResult {
  const last = req.window.timestamps[req.window.timestamps.length - 1]!;
  const fresh = req.previous === undefined || surprises.has(last);
  const selection: ModelSelection = fresh
    ? ({
        ...(req.previous ?? {}),
        series: req.window.name,
        madeAt: last,
        chosen: `made at ${last}`,
      } as ModelSelection)
    : req.previous!;
  const at = last + req.window.stepMs;
  const v = Float64Array.of(req.window.values.length);
  return {
    forecast: { timestamps: [at], mean: v, lower: v, upper: v, level: req.level },
    model: `auto:${selection.chosen}`,
    selection,
    reselected: fresh,
  };
}

/** Answers after a delay that scrambles their order; counts every fit asked for. */
class ScrambledFitter implements Fitter {
  asked = 0;
  constructor(
    readonly workers: number,
    private readonly surprises: ReadonlySet<number>,
  ) {}
  fit(req: FitRequest): Promise<FitResult> {
    const n = ++this.asked;
    const delay = (n * 7919) % 5;
    return new Promise((resolve) => setTimeout(() => resolve(answer(req, this.surprises)), delay));
  }
}

const policy = testPolicy((p) => {
  p.forecast.model = 'auto';
  p.forecast.historyMs = 7 * DAY;
  p.schedule.cron = '*/15 * * * *';
  p.schedule.timezone = 'UTC';
});

/** Each due fit in turn on one thread, as a replay without fitting ahead would make them. */
function inTurn(demand: Series, start: number, end: number, refitMs: number, surprises: Set<number>) {
  const cron = new CronTimes(policy.schedule.cron, 'UTC', start);
  const fits: { at: number; result: FitResult }[] = [];
  let previous: ModelSelection | undefined;
  let lastAt = -Infinity;
  let lastKnown = 0;
  for (let t = start; t < end; t = cron.after(t)) {
    const known = samplesKnown(demand, t);
    if (!(known > lastKnown && t - lastAt >= refitMs)) continue;
    const window = historyWindow(demand, policy.forecast.historyMs, known);
    const reuse = selectionToReuse(previous, window);
    const result = answer(
      {
        model: 'auto',
        window,
        events: [],
        level: policy.forecast.level,
        horizon: 1,
        ...(reuse ? { previous: reuse } : {}),
      },
      surprises,
    );
    previous = result.selection;
    fits.push({ at: t, result });
    lastAt = t;
    lastKnown = known;
  }
  return fits;
}

/** The times a replay asks for its forecast: every scheduled time, less those a migration skips. */
function askTimes(start: number, end: number, skip: (i: number) => boolean): number[] {
  const cron = new CronTimes(policy.schedule.cron, 'UTC', start);
  const out: number[] = [];
  let i = 0;
  for (let t = start; t < end; t = cron.after(t), i++) if (!skip(i)) out.push(t);
  return out;
}

describe('fitting ahead of a replay', () => {
  const demand = halfHourly(30);
  const start = T0 + 8 * DAY + 7 * MIN;
  const end = T0 + 30 * DAY;

  it('a fit is due at a scheduled time with a new sample, at most once a refit interval', async () => {
    const fitter = new ScrambledFitter(0, new Set());
    const cron = new CronTimes(policy.schedule.cron, 'UTC', start);
    const ahead = new FitAhead({ pool: fitter, demand, policy, events: [], cron, start, end, refitMs: HOUR });
    // 00:07 (the start), then 01:15, 02:15...: the first scheduled time an hour after the last fit.
    const first = await ahead.at(start);
    expect(first!.forecast!.timestamps[0]).toBe(start - 7 * MIN);
    expect(await ahead.at(start + HOUR)).toBe(first);
    const second = await ahead.at(start + HOUR + 8 * MIN);
    expect(second!.forecast!.timestamps[0]).toBe(start - 7 * MIN + HOUR);
    expect(ahead.fits).toBe(2);
    expect(fitter.asked).toBe(2);
    // Before the first fit there is none.
    const later = new FitAhead({ pool: fitter, demand, policy, events: [], cron, start, end, refitMs: HOUR });
    expect(await later.at(start - MIN)).toBeUndefined();
  });

  for (const workers of [0, 1, 3]) {
    it(`with ${workers} fits at once, answers in any order: the same forecasts as fitting each in turn`, async () => {
      // Two surprises: fits that were expected to keep their selection and did not.
      const due = inTurn(demand, start, end, HOUR, new Set());
      const surprises = new Set([
        due[40]!.result.forecast!.timestamps[0]! - 30 * MIN,
        due[170]!.result.forecast!.timestamps[0]! - 30 * MIN,
      ]);
      const reference = inTurn(demand, start, end, HOUR, surprises);
      const fitter = new ScrambledFitter(workers, surprises);
      const cron = new CronTimes(policy.schedule.cron, 'UTC', start);
      const ahead = new FitAhead({
        pool: fitter,
        demand,
        policy,
        events: [],
        cron,
        start,
        end,
        refitMs: HOUR,
      });
      // Every fifth to ninth scheduled time is skipped, as a migration in progress skips runs.
      const asks = askTimes(start, end, (i) => i % 9 >= 5);
      let checked = 0;
      for (const t of asks) {
        const got = await ahead.at(t);
        const want = reference.filter((f) => f.at <= t).at(-1)?.result;
        expect(got).toEqual(want);
        checked++;
      }
      expect(checked).toBeGreaterThan(1000);
      expect(ahead.fits).toBe(reference.filter((f) => f.at <= asks.at(-1)!).length);
      // Fresh selections: the first, one a week after it, and the two surprises.
      const fresh = reference.filter((f) => f.result.reselected).map((f) => f.at);
      expect(fresh.length).toBeGreaterThanOrEqual(5);
      expect(ahead.selections).toBe(fresh.length);
      // Fitting ahead guessed past both surprises and fitted those again.
      if (workers > 0) expect(fitter.asked).toBeGreaterThan(ahead.fits);
      else expect(fitter.asked).toBe(ahead.fits);
    });
  }

  it('a fit that fails fails the replay when its turn comes, with its message', async () => {
    const failing: Fitter = {
      workers: 2,
      fit: (req) =>
        req.window.timestamps.length > 300
          ? Promise.reject(new Error('mstl could not fit "demand": boom'))
          : Promise.resolve(answer(req, new Set())),
    };
    const cron = new CronTimes(policy.schedule.cron, 'UTC', start);
    const s = T0 + 6 * DAY;
    const ahead = new FitAhead({
      pool: failing,
      demand,
      policy,
      events: [],
      cron,
      start: s,
      end,
      refitMs: HOUR,
    });
    expect((await ahead.at(s))!.forecast).toBeDefined();
    await expect(ahead.at(s + DAY)).rejects.toThrow('mstl could not fit "demand": boom');
  });

  it('the fit pool on this thread (no compiled worker beside its source) gives the model’s own result', async () => {
    const pool = new FitPool(2);
    expect(pool.workers).toBe(0);
    const r = await pool.fit({
      model: 'naive',
      window: halfHourly(3),
      events: [],
      level: 0.8,
      horizon: 4,
    });
    expect(r.forecast!.mean).toHaveLength(4);
    expect(r.model).toBe('naive');
    await pool.close();
    await expect(
      pool.fit({ model: 'naive', window: halfHourly(3), events: [], level: 0.8, horizon: 4 }),
    ).rejects.toThrow('the fit pool is closed');
  });
});
