// What augurs throws never reaches the user raw: a Rust panic (it printed "panicked at ...
// capacity overflow" and a stack) or a thrown string (one 1e308 made MSTL fail with the message
// `undefined`) becomes an Error whose one-line message names the model and the reason.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Series } from '../../src/core/series.js';
import { AutoForecaster } from '../../src/forecast/auto.js';
import { MstlEts } from '../../src/forecast/mstl.js';
import { SeasonalNaive } from '../../src/forecast/naive.js';
import { failureMessage, guardWasm } from '../../src/forecast/wasm.js';
import { hourlyDemand } from './synthetic.js';

/** Hourly demand with one value no model can fit (the CSV reader refuses it; a caller may not). */
function withHugeValue(): Series {
  const s = hourlyDemand(24 * 14, 3);
  s.values[100] = 1e308;
  return s;
}

afterEach(() => vi.restoreAllMocks());

describe('augurs failures become Errors with a message', () => {
  it('a Rust panic (capacity overflow) is one Error line, and nothing is printed', () => {
    const printed = vi.spyOn(process.stderr, 'write');
    const error = vi.spyOn(console, 'error');
    const model = new MstlEts().fit(hourlyDemand(24 * 14, 1), []);
    let caught: unknown;
    try {
      model.predict(2 ** 31, 0.8);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toBe(
      'mstl could not forecast "demand": the model library stopped on an internal error (capacity overflow)',
    );
    expect(printed).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('a string thrown by augurs (MSTL on 1e308) is an Error naming the model and the reason', () => {
    expect(() => new MstlEts().fit(withHugeValue(), [])).toThrow(
      new Error('mstl could not fit "demand": Fit error: trend model error: no model found'),
    );
  });

  it('auto records why a candidate failed, never "undefined"', () => {
    const auto = new AutoForecaster([new MstlEts(), new SeasonalNaive()], { folds: 1 });
    const { report } = auto.fit(withHugeValue(), [], { level: 0.8, horizon: 24 });
    expect(report.skipped.mstl).toBe(
      'backtest failed: mstl could not fit "demand": Fit error: trend model error: no model found',
    );
  });

  it('what augurs prints while it succeeds is passed on, not hidden', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(
      guardWasm('x', () => {
        console.error('a warning');
        return 1;
      }),
    ).toBe(1);
    expect(error).toHaveBeenCalledWith('a warning');
  });

  it.each([
    { thrown: undefined, message: 'failed without saying why' },
    { thrown: 'Fit error: x\nmore', message: 'Fit error: x' },
    { thrown: new Error(''), message: 'failed without saying why' },
    { thrown: { code: 1 }, message: 'failed without saying why' },
  ])('failureMessage($thrown) is $message', ({ thrown, message }) => {
    expect(failureMessage(thrown)).toBe(message);
  });
});
