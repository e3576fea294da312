// What reusing `auto`'s model selection costs in accuracy and saves in time: on real sub-daily
// demand, forecasts from origins every 6 hours over 14 days, each fitted on the policy's 28-day
// window with the default horizon (48 h), once selecting afresh at every origin (as every run did
// before selections were kept) and once as `run` does now (a selection is reused for half a day
// to a day by the data's clock: forecast/window.ts), scored on what followed; side by side in one run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSelection } from '../src/core/seams.js';
import { type Series, seasonLength } from '../src/core/series.js';
import { type Fold, scoreFolds } from '../src/forecast/backtest.js';
import { type AutoModel, createForecaster } from '../src/forecast/index.js';
import { historyWindow, selectionToReuse } from '../src/forecast/window.js';
import { parseCsv } from '../src/metrics/csv.js';
import { progress, provenance, repoRoot } from './common.js';
import { benchSeries } from './series.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LEVEL = 0.8;
const WINDOW_MS = 28 * DAY;
const HORIZON_MS = 48 * HOUR;
const EVERY_MS = 6 * HOUR;
const SPAN_MS = 14 * DAY;

interface Case {
  id: string;
  series: Series;
}

/** Hourly means of a half-hourly series. */
function hourly(s: Series): Series {
  const start = s.timestamps.findIndex((t) => t % HOUR === 0);
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = start; i + 1 < s.values.length; i += 2) {
    timestamps.push(s.timestamps[i]!);
    values.push((s.values[i]! + s.values[i + 1]!) / 2);
  }
  return { name: `${s.name} hourly`, timestamps, values: Float64Array.from(values), stepMs: HOUR };
}

/** Real sub-daily series long enough for a 28-day window, 14 days of origins and a 48 h horizon. */
function cases(): { cases: Case[]; note: string } {
  const root = repoRoot();
  const path = join(root, 'bench', 'data', 'household-power-30min.csv');
  const household = parseCsv(path, readFileSync(path, 'utf8'), {}).series[0]!;
  const out: Case[] = [
    { id: 'household (30 min)', series: household },
    { id: 'household (hourly)', series: hourly(household) },
  ];
  let note = '';
  try {
    // The forecast section's one sub-daily series this long (its hourly pedestrian counts span 30 days).
    const yosemite = benchSeries(root).find((b) => b.id === 'yosemite-hourly');
    if (yosemite) out.push({ id: 'yosemite temperatures (hourly)', series: yosemite.series });
  } catch (err) {
    note = ` (the forecast section's data is not here: ${(err as Error).message})`;
  }
  return { cases: out, note };
}

interface Mode {
  mase: number;
  smape: number;
  coverage: number;
  seconds: number;
  fits: number;
  selections: number;
}

function replay(c: Case, reuse: boolean): Mode {
  const s = c.series;
  const horizon = Math.round(HORIZON_MS / s.stepMs);
  const auto = createForecaster('auto');
  const n = s.values.length;
  const end = n - horizon;
  const first = Math.max(end - Math.round(SPAN_MS / s.stepMs), Math.round(WINDOW_MS / s.stepMs));
  const folds: Fold[] = [];
  let selection: ModelSelection | undefined;
  let seconds = 0;
  let selections = 0;
  for (let origin = first; origin <= end; origin += Math.round(EVERY_MS / s.stepMs)) {
    const window = historyWindow(s, WINDOW_MS, origin);
    const previous = reuse ? selectionToReuse(selection, window) : undefined;
    const t0 = performance.now();
    const model = auto.fit(window, [], {
      level: LEVEL,
      horizon,
      ...(previous ? { selection: previous } : {}),
    });
    const forecast = model.predict(horizon, LEVEL);
    model.dispose?.();
    seconds += (performance.now() - t0) / 1000;
    const report = (model as AutoModel).report;
    selection = report.selection;
    if (!report.reused) selections++;
    folds.push({ origin, actual: s.values.slice(origin, origin + horizon), forecast });
  }
  const scores = scoreFolds(s, folds, seasonLength(s));
  return {
    mase: scores.mase,
    smape: scores.smape,
    coverage: scores.coverage,
    seconds: seconds / folds.length,
    fits: folds.length,
    selections,
  };
}

export async function benchSelectionReuse(): Promise<{ markdown: string; json: unknown }> {
  const rows: { id: string; fresh: Mode; reused: Mode }[] = [];
  const { cases: all, note } = cases();
  for (const c of all) {
    progress(`[selection-reuse] ${c.id}`);
    rows.push({ id: c.id, fresh: replay(c, false), reused: replay(c, true) });
  }
  const mean = (f: (m: Mode) => number, which: 'fresh' | 'reused') =>
    rows.reduce((a, r) => a + f(r[which]), 0) / rows.length;
  const line = (label: string, which: 'fresh' | 'reused') =>
    `| ${label} | ${mean((m) => m.mase, which).toFixed(3)} | ${mean((m) => m.smape, which).toFixed(2)} | ${mean((m) => m.coverage, which).toFixed(3)} | ${mean((m) => m.seconds, which).toFixed(3)} |`;
  const markdown = [
    "### Reusing auto's selection: accuracy before and after",
    '',
    provenance(),
    '',
    `Forecasts of 48 h from an origin every 6 h over the last 14 days of each series (${rows.map((r) => r.id).join(', ')}${note}), each on a 28-day window, ${LEVEL * 100}% intervals; "every fit selects" backtests the candidates at every origin, "reused" is what \`run\` does (for half a day to a day, by the data's clock). Means over the series:`,
    '',
    '| selection | mean MASE | mean sMAPE % | 80% coverage | s a fit |',
    '| --- | ---: | ---: | ---: | ---: |',
    line('every fit selects (before)', 'fresh'),
    line('reused, as run does (now)', 'reused'),
    '',
    '| series | fits | MASE before | MASE now | coverage before | coverage now | s a fit before | s a fit now | selections now |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.id} | ${r.fresh.fits} | ${r.fresh.mase.toFixed(3)} | ${r.reused.mase.toFixed(3)} | ${r.fresh.coverage.toFixed(3)} | ${r.reused.coverage.toFixed(3)} | ${r.fresh.seconds.toFixed(3)} | ${r.reused.seconds.toFixed(3)} | ${r.reused.selections} |`,
    ),
  ].join('\n');
  return { markdown, json: rows };
}
