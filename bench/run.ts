// `npm run bench`: accuracy (MASE, sMAPE, interval coverage and width) and fit+predict time
// of every forecaster on the real series of ../shared/data, over the same rolling-origin
// holdouts, side by side with R's Prophet, ETS and auto.arima when R is installed, in one run.
// Writes bench/results/forecast.{json,md} and prints the markdown table.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Forecast } from '../src/core/forecast.js';
import { futureTimestamps } from '../src/core/series.js';
import { type Fold, prefix, rollingOrigins, type Scores, scoreFolds } from '../src/forecast/backtest.js';
import { createForecaster, type MODEL_NAMES } from '../src/forecast/index.js';
import { seasonLength } from '../src/forecast/naive.js';
import { referenceAvailable, runReference } from './reference.js';
import { type BenchSeries, benchSeries } from './series.js';

const LEVEL = 0.8;
const FOLDS = Number(process.env.BENCH_FOLDS ?? 3);

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('dist') && dirname(dir) !== dir) dir = dirname(dir);
  return dirname(dir);
}

interface Row {
  model: string;
  perSeries: Record<string, Scores & { seconds: number }>;
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
  else process.stderr.write(`${text}\n`);
}

function ours(bs: BenchSeries[], model: string): Row {
  const perSeries: Row['perSeries'] = {};
  for (const [k, b] of bs.entries()) {
    progress(`[${model}] ${k + 1}/${bs.length} ${b.id}`);
    const origins = rollingOrigins(b.series.values.length, b.horizon, FOLDS, 1);
    const m = seasonLength(b.series);
    const folds: Fold[] = [];
    let seconds = 0;
    for (const origin of origins) {
      const train = prefix(b.series, origin);
      const t0 = performance.now();
      const forecast = createForecaster(model as (typeof MODEL_NAMES)[number])
        .fit(train, [], { level: LEVEL, horizon: b.horizon })
        .predict(b.horizon, LEVEL);
      seconds += (performance.now() - t0) / 1000;
      folds.push({ origin, actual: b.series.values.slice(origin, origin + b.horizon), forecast });
    }
    perSeries[b.id] = { ...scoreFolds(b.series, folds, m), seconds: seconds / origins.length };
    void m;
  }
  return { model, perSeries };
}

async function reference(bs: BenchSeries[]): Promise<Row[]> {
  const jobs = bs.flatMap((b) =>
    rollingOrigins(b.series.values.length, b.horizon, FOLDS, 1).map((origin, k) => {
      const train = prefix(b.series, origin);
      return {
        id: `${b.id}#${k}`,
        timestamps: train.timestamps,
        values: train.values,
        horizon: b.horizon,
        stepMs: b.series.stepMs,
        seasonLength: seasonLength(train),
      };
    }),
  );
  const results = await runReference(jobs, LEVEL, { onProgress: (d, t) => progress(`[R] ${d}/${t}`) });
  const rows: Row[] = [];
  for (const model of ['r-prophet', 'r-ets', 'r-arima'] as const) {
    const perSeries: Row['perSeries'] = {};
    for (const b of bs) {
      const origins = rollingOrigins(b.series.values.length, b.horizon, FOLDS, 1);
      const folds: Fold[] = [];
      let seconds = 0;
      for (const [k, origin] of origins.entries()) {
        const r = results.find((x) => x.id === `${b.id}#${k}` && x.model === model);
        if (!r || r.error) throw new Error(`${model} failed on ${b.id}#${k}: ${r?.error ?? 'no result'}`);
        const forecast: Forecast = {
          timestamps: futureTimestamps(prefix(b.series, origin), b.horizon),
          mean: Float64Array.from(r.mean),
          lower: Float64Array.from(r.lower),
          upper: Float64Array.from(r.upper),
          level: LEVEL,
        };
        seconds += r.seconds;
        folds.push({ origin, actual: b.series.values.slice(origin, origin + b.horizon), forecast });
      }
      perSeries[b.id] = {
        ...scoreFolds(b.series, folds, seasonLength(b.series)),
        seconds: seconds / origins.length,
      };
    }
    rows.push({ model, perSeries });
  }
  return rows;
}

interface Summary {
  model: string;
  mase: number;
  smape: number;
  coverage: number;
  width: number;
  seconds: number;
}

function summarize(row: Row): Summary {
  const v = Object.values(row.perSeries);
  const avg = (f: (s: Scores & { seconds: number }) => number) => v.reduce((a, s) => a + f(s), 0) / v.length;
  return {
    model: row.model,
    mase: avg((s) => s.mase),
    smape: avg((s) => s.smape),
    coverage: avg((s) => s.coverage),
    width: avg((s) => s.width),
    seconds: avg((s) => s.seconds),
  };
}

function markdown(summaries: Summary[], rows: Row[], bs: BenchSeries[], rNote: string): string {
  const rp = summaries.find((s) => s.model === 'r-prophet');
  const lines = [
    `Series: ${bs.length} real series from shared/data, ${FOLDS} rolling-origin holdouts each, ${LEVEL * 100}% intervals. ${rNote}`,
    '',
    '| model | mean MASE | mean sMAPE % | 80% coverage | rel. width | s per fit+predict | speed vs R Prophet |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (s) =>
        `| ${s.model} | ${s.mase.toFixed(3)} | ${s.smape.toFixed(2)} | ${s.coverage.toFixed(3)} | ${s.width.toFixed(3)} | ${s.seconds.toFixed(3)} | ${rp ? `${(rp.seconds / s.seconds).toFixed(1)}x` : 'n/a'} |`,
    ),
    '',
    'MASE per series (lower is better):',
    '',
    `| series | ${rows.map((r) => r.model).join(' | ')} |`,
    `| --- | ${rows.map(() => '---:').join(' | ')} |`,
    ...bs.map((b) => `| ${b.id} | ${rows.map((r) => r.perSeries[b.id]!.mase.toFixed(3)).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const bs = benchSeries(root);
  const rows: Row[] = [];
  const models = process.env.BENCH_MODELS?.split(',') ?? ['naive', 'mstl', 'prophet', 'auto'];
  for (const model of models) rows.push(ours(bs, model));
  const r = process.env.BENCH_SKIP_R
    ? { ok: false as const, reason: 'BENCH_SKIP_R is set' }
    : referenceAvailable();
  let rNote = '';
  if (r.ok) {
    progress('');
    process.stderr.write(`${markdown(rows.map(summarize), rows, bs, '(ours only, before R)')}\n`);
    rows.push(...(await reference(bs)));
    rNote = `Reference: ${r.version}, same holdouts, same run.`;
  } else {
    rNote = `R reference not run: ${r.reason}`;
  }
  progress('');
  const summaries = rows.map(summarize);
  const md = markdown(summaries, rows, bs, rNote);
  const out = resolve(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'forecast.json'),
    `${JSON.stringify({ level: LEVEL, folds: FOLDS, summaries, rows }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'forecast.md'), md);
  process.stdout.write(md);
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
