// What a replay costs: `shadowcast simulate` over 15, 60 and 200 replayed days of real half-hourly
// demand (bench/data/household-power-30min.csv, after 14 days of history) with the default policy
// (model auto) and with model mstl side by side, each in its own process, fitting ahead on one
// worker thread a core (the default) and, for auto, on this thread alone: seconds per replayed
// day (flat when the cost is linear in the trace's length) and the process's peak memory.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulate } from '../src/cli/simulate.js';
import { childJson, progress, provenance, repoRoot } from './common.js';

const DAYS = [15, 60, 200];
const HISTORY_DAYS = 14;
const CORES = availableParallelism();
/** Each length is replayed this way, one after the other (so a slower stretch hits all alike). */
const MODES = [
  { model: 'auto', workers: CORES },
  { model: 'mstl', workers: CORES },
  { model: 'auto', workers: 0 },
] as const;

interface Measured {
  days: number;
  model: string;
  workers: number;
  seconds: number;
  peakMb: number;
  fits: number;
  selections: number;
  plans: number;
}

/** The child: one replay of `days` days with `model`, its figures as one JSON line on stdout. */
async function child(days: number, model: string, workers: number): Promise<void> {
  const root = repoRoot();
  const lines = readFileSync(join(root, 'bench', 'data', 'household-power-30min.csv'), 'utf8')
    .trimEnd()
    .split('\n');
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-replay-speed-'));
  const csv = join(dir, 'demand.csv');
  writeFileSync(csv, `${lines.slice(0, 1 + (HISTORY_DAYS + days) * 48).join('\n')}\n`);
  const policy = join(dir, 'policies');
  const pool = join(policy, 'pools');
  mkdirSync(pool, { recursive: true });
  const base = readFileSync(join(root, 'bench', 'policies-household', 'pools', 'household.yaml'), 'utf8');
  writeFileSync(join(pool, 'household.yaml'), `${base}\nforecast:\n  model: ${model}\n`);
  const t0 = performance.now();
  const { result } = await runSimulate({
    demand: csv,
    tz: 'UTC',
    policy,
    events: [],
    failureRate: 0,
    inject: [],
    history: `${HISTORY_DAYS}d`,
    resample: 'step',
    refit: '1h',
    seed: 1,
    staticExtra: 2,
    format: 'json',
    workers,
  });
  const seconds = (performance.now() - t0) / 1000;
  const sc = result.shadowcast;
  const out = {
    days: result.minutes / 1440,
    model,
    workers,
    seconds,
    peakMb: process.resourceUsage().maxRSS / 1024,
    fits: sc.refits,
    selections: sc.selections,
    plans: sc.plans,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function measure(days: number, model: string, workers: number): Promise<Measured> {
  return childJson<Measured>(
    import.meta.url,
    [String(days), model, String(workers)],
    `replay of ${days} days with ${model} on ${workers} workers`,
  );
}

export async function benchSimulateSpeed(): Promise<{ markdown: string; json: unknown }> {
  const rows: Measured[] = [];
  // Modes interleaved per length, so a slower stretch of a noisy machine hits them alike.
  for (const days of DAYS) {
    for (const { model, workers } of MODES) {
      progress(`[simulate-speed] ${days} days, ${model}, ${workers} fit workers`);
      rows.push(await measure(days, model, workers));
    }
  }
  const table = rows.map(
    (r) =>
      `| ${r.days.toFixed(0)} | ${r.model} | ${r.workers} | ${r.seconds.toFixed(1)} | ${(r.seconds / r.days).toFixed(3)} | ${r.peakMb.toFixed(0)} | ${r.fits} | ${r.model === 'auto' ? r.selections : '—'} | ${r.plans} |`,
  );
  const markdown = [
    `### Replay speed (${HISTORY_DAYS} days of history, then 15, 60 and 200 days replayed)`,
    '',
    provenance(),
    '',
    `Half-hourly household power draw (bench/data/household-power-30min.csv) as a pool of 1,000 W an instance, otherwise the default policy; each replay in its own process, all four arms included. "fit workers": threads fitting forecasts ahead of the replay (\`--workers\`, by default one a core: ${CORES} here; 0 fits on the replay's own thread). A flat "s a replayed day" column means the cost is linear in the replay's length.`,
    '',
    '| days replayed | model | fit workers | seconds | s a replayed day | peak MB | fits | fresh selections | plans |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...table,
  ].join('\n');
  return { markdown, json: rows };
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), process.argv[4]!, Number(process.argv[5])).catch((err: unknown) => {
    process.stderr.write(`simulate-speed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
