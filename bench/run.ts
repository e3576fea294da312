// `npm run bench`: (1) accuracy (MASE, sMAPE, interval coverage and width) and fit+predict time
// of every forecaster on the real series of bench/data, over the same rolling-origin
// holdouts, side by side with R's Prophet, ETS and auto.arima when R is installed, in one run;
// (2) failure-risk detection on the labelled SMD set and scoring throughput; (3) failure
// propagation at fleet scale; (4) simulated runs against reactive and static baselines. Writes bench/results/<section>.{json,md} and prints the tables.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Forecast } from '../src/core/forecast.js';
import { futureTimestamps, seasonLength } from '../src/core/series.js';
import { type Fold, prefix, rollingOrigins, type Scores, scoreFolds } from '../src/forecast/backtest.js';
import { createForecaster, type MODEL_NAMES } from '../src/forecast/index.js';
import { progress, repoRoot, writeBenchmarkSection } from './common.js';
import { benchPropagation } from './propagate.js';
import { benchRunScale } from './run-scale.js';
import { benchSelectionReuse } from './selection-reuse.js';
import { referenceAvailable, runReference } from './reference.js';
import { benchEngineFaults } from './engine-faults.js';
import { benchRisk } from './risk.js';
import { benchRiskValidation } from './risk-validation.js';
import { benchLightweightShadows } from './lightweight-shadows.js';
import { benchSimulate } from './simulate.js';
import { benchSimulateSpeed } from './simulate-speed.js';
import { type BenchSeries, benchSeries } from './series.js';

const LEVEL = 0.8;
const FOLDS = Number(process.env.BENCH_FOLDS ?? 3);

interface Row {
  model: string;
  perSeries: Record<string, Scores & { seconds: number }>;
}

function ours(bs: BenchSeries[], model: string): Row {
  const perSeries: Row['perSeries'] = {};
  // One untimed fit first, as R gets, so loading and compiling WebAssembly is not billed to a series.
  const warm = prefix(bs[0]!.series, 200);
  createForecaster(model as (typeof MODEL_NAMES)[number])
    .fit(warm, [], { level: LEVEL, horizon: 7 })
    .predict(7, LEVEL);
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
  }
  return { model, perSeries };
}

/** R fits that failed or ran past the time limit; their series are left out of that model's means. */
const failures: string[] = [];

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
  const results = await runReference(jobs, LEVEL, {
    onProgress: (d, t) => progress(`[R] ${d}/${t}`),
    timeLimitSeconds: Number(process.env.BENCH_R_TIME_LIMIT ?? 30),
  });
  const rows: Row[] = [];
  for (const model of ['r-prophet', 'r-ets', 'r-arima'] as const) {
    const perSeries: Row['perSeries'] = {};
    for (const b of bs) {
      const origins = rollingOrigins(b.series.values.length, b.horizon, FOLDS, 1);
      const folds: Fold[] = [];
      let seconds = 0;
      for (const [k, origin] of origins.entries()) {
        const r = results.find((x) => x.id === `${b.id}#${k}` && x.model === model);
        if (!r || r.error) {
          failures.push(`${model} on ${b.id} (holdout ${k + 1}): ${r?.error ?? 'no result'}`);
          break;
        }
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
      if (folds.length < origins.length) continue; // a holdout failed: leave the series out
      perSeries[b.id] = {
        ...scoreFolds(b.series, folds, seasonLength(b.series)),
        seconds: seconds / origins.length,
      };
    }
    rows.push({ model, perSeries });
  }
  return rows;
}

/** Seconds with three decimals, or two significant digits below a hundredth. */
function secs(s: number): string {
  return s >= 0.01 ? s.toFixed(3) : s.toPrecision(2);
}

function ratio(x: number): string {
  return x >= 100 ? `${Math.round(x / 10) * 10}x` : `${x.toFixed(x >= 10 ? 0 : 1)}x`;
}

interface Summary {
  model: string;
  series: number;
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
    series: v.length,
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
    `Series: ${bs.length} real series from bench/data, ${FOLDS} rolling-origin holdouts each, ${LEVEL * 100}% intervals. ${rNote}`,
    '',
    '| model | mean MASE | mean sMAPE % | 80% coverage | rel. width | mean s per fit+predict | R Prophet s / model s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (s) =>
        `| ${s.model}${s.series < bs.length ? ` (${s.series} of ${bs.length} series)` : ''} | ${s.mase.toFixed(3)} | ${s.smape.toFixed(2)} | ${s.coverage.toFixed(3)} | ${s.width.toFixed(3)} | ${secs(s.seconds)} | ${rp ? ratio(rp.seconds / s.seconds) : 'n/a'} |`,
    ),
    '',
    'Seconds per fit+predict, per series (R Prophet over ours in brackets):',
    '',
    `| series | points | ${rows.map((r) => r.model).join(' | ')} |`,
    `| --- | ---: | ${rows.map(() => '---:').join(' | ')} |`,
    ...bs.map((b) => {
      const ref = rows.find((r) => r.model === 'r-prophet')?.perSeries[b.id]?.seconds;
      const cells = rows.map((r) => {
        const sec = r.perSeries[b.id]?.seconds;
        if (sec === undefined) return 'n/a';
        return ref !== undefined && !r.model.startsWith('r-')
          ? `${secs(sec)} (${ratio(ref / sec)})`
          : secs(sec);
      });
      return `| ${b.id} | ${b.series.values.length} | ${cells.join(' | ')} |`;
    }),
    '',
    'MASE per series (lower is better):',
    '',
    `| series | ${rows.map((r) => r.model).join(' | ')} |`,
    `| --- | ${rows.map(() => '---:').join(' | ')} |`,
    ...bs.map(
      (b) => `| ${b.id} | ${rows.map((r) => r.perSeries[b.id]?.mase.toFixed(3) ?? 'n/a').join(' | ')} |`,
    ),
    ...(failures.length ? ['', 'Left out (n/a above):', '', ...failures.map((f) => `- ${f}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

async function benchForecast(): Promise<void> {
  const root = repoRoot();
  const bs = benchSeries(root);
  const rows: Row[] = [];
  const models = process.env.BENCH_MODELS?.split(',') ?? ['naive', 'mstl', 'prophet', 'auto'];
  for (const model of models) rows.push(ours(bs, model));
  const r = process.env.BENCH_SKIP_R
    ? { ok: false as const, reason: 'BENCH_SKIP_R is set' }
    : referenceAvailable();
  let rNote: string;
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

/** Runs each section and writes bench/results/<section>.{md,json}; BENCH_ONLY=forecast,selection-reuse,risk,risk-validation,propagate,run-scale,simulate,simulate-speed,lightweight-shadows,engine-faults picks. */
async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',') ?? [
    'forecast',
    'selection-reuse',
    'risk',
    'risk-validation',
    'propagate',
    'run-scale',
    'simulate',
    'simulate-speed',
    'lightweight-shadows',
    'engine-faults',
  ];
  const out = resolve(repoRoot(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  if (only.includes('forecast')) await benchForecast();
  for (const [name, run] of [
    ['selection-reuse', benchSelectionReuse],
    ['risk', benchRisk],
    ['risk-validation', benchRiskValidation],
    ['propagate', benchPropagation],
    ['run-scale', benchRunScale],
    ['simulate', benchSimulate],
    ['simulate-speed', benchSimulateSpeed],
    ['lightweight-shadows', benchLightweightShadows],
    ['engine-faults', benchEngineFaults],
  ] as const) {
    if (!only.includes(name)) continue;
    const result = await run();
    progress('');
    writeFileSync(join(out, `${name}.json`), `${JSON.stringify(result.json, null, 2)}\n`);
    writeFileSync(join(out, `${name}.md`), `${result.markdown}\n`);
    // Sections docs/benchmark.md shows between markers are written there too.
    if (writeBenchmarkSection(`${name}-bench`, result.markdown))
      progress(`docs/benchmark.md: ${name} figures updated`);
    for (const doc of ['README.md', join('docs', 'simulated-runs.md')]) {
      if (writeBenchmarkSection(`${name}-bench`, result.markdown, join(repoRoot(), doc)))
        progress(`${doc}: ${name} figures updated`);
    }
    process.stdout.write(`\n${result.markdown}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
