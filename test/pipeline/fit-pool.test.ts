// Fits on real worker threads: the compiled FitPool (dist/, which `npm test` builds first) with
// the real models gives exactly what fitting on this thread gives, and `simulate` on real demand
// gives the same figures, journal and timeline with forecasts fitted ahead on two threads as
// with none. (The scheduling of fits ahead is tested in fit-ahead.test.ts.)

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Series } from '../../src/core/series.js';
import { historyWindow } from '../../src/forecast/window.js';
import { type FitRequest, fitJob } from '../../src/pipeline/fit-job.js';
import type { FitPool } from '../../src/pipeline/fit-pool.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const household = join(root, 'bench', 'data', 'household-power-30min.csv');
const DAY = 86_400_000;

/** The first `days` of the household trace (real half-hourly power draw). */
function householdDays(days: number): { csv: string; series: Series } {
  const lines = readFileSync(household, 'utf8').trimEnd().split('\n');
  const kept = lines.slice(0, 1 + days * 48);
  const rows = kept.slice(1).map((l) => l.split(','));
  return {
    csv: `${kept.join('\n')}\n`,
    series: {
      name: 'demand',
      timestamps: rows.map((r) => Date.parse(r[0]!)),
      values: Float64Array.from(rows.map((r) => Number(r[1]))),
      stepMs: 30 * 60_000,
    },
  };
}

describe('the fit pool on worker threads', () => {
  it('fits the real models to the same forecasts as this thread, several at once', async () => {
    const { FitPool: Compiled } = (await import(
      pathToFileURL(join(root, 'dist', 'src', 'pipeline', 'fit-pool.js')).href
    )) as { FitPool: typeof FitPool };
    const pool = new Compiled(2);
    expect(pool.workers).toBe(2);
    const { series } = householdDays(24);
    const requests: FitRequest[] = [];
    for (const model of ['auto', 'mstl', 'prophet'] as const) {
      for (const end of [18, 21, 24]) {
        const window = historyWindow(series, 14 * DAY, end * 48);
        requests.push({ model, window, events: [], level: 0.9, horizon: 48 });
      }
    }
    try {
      const threaded = await Promise.all(requests.map((r) => pool.fit(r)));
      const here = requests.map((r) => fitJob(r));
      expect(threaded).toEqual(here);
      expect(threaded.filter((r) => r.forecast?.mean.length === 48)).toHaveLength(requests.length);
      // A request the model refuses fails with its message, and the pool goes on fitting.
      const bad = {
        ...requests[1]!,
        model: 'mstl' as const,
        window: {
          ...requests[1]!.window,
          values: new Float64Array(requests[1]!.window.values.length).fill(Number.NaN),
        },
      };
      const failed = await pool.fit(bad).then(
        () => 'fitted',
        (e: Error) => e.message,
      );
      const inProcess = (() => {
        try {
          fitJob(bad);
          return 'fitted';
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(failed).toMatch(/^mstl could not fit "demand": /);
      expect(failed).toBe(inProcess);
      expect(await pool.fit(requests[0]!)).toEqual(here[0]);
    } finally {
      await pool.close();
    }
  });

  it('simulate: the same replay with forecasts fitted ahead on two threads as with none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-fit-pool-'));
    const demand = join(dir, 'demand.csv');
    writeFileSync(demand, householdDays(17).csv);
    mkdirSync(join(dir, 'policies', 'pools'), { recursive: true });
    writeFileSync(join(dir, 'policies', 'pools', 'household.yaml'), 'capacity:\n  unitsPerInstance: 1000\n');
    const replay = (workers: number) => {
      const timeline = join(dir, `timeline-${workers}.csv`);
      const r = spawnSync(
        process.execPath,
        [
          cli,
          'simulate',
          '--demand',
          demand,
          '--policy',
          join(dir, 'policies'),
          '--tz',
          'UTC',
          '--history',
          '14d',
          '--workers',
          String(workers),
          '--timeline',
          timeline,
          '--format',
          'json',
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as {
        shadowcast: { refits: number; selections: number; migrations: number; model: string };
        settings: unknown;
      };
      return { out, timeline: readFileSync(timeline, 'utf8') };
    };
    const none = replay(0);
    const two = replay(2);
    expect(none.out.shadowcast.refits).toBeGreaterThan(60);
    expect(none.out.shadowcast.model).toMatch(/^auto:/);
    expect(none.out.shadowcast.migrations).toBeGreaterThan(0);
    expect(two.out).toEqual(none.out);
    expect(two.timeline).toBe(none.timeline);
  });
});
