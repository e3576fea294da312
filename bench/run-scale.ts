// What one scheduled run costs at fleet scale: `shadowcast run --once` (sim target, the default
// policy, run report on) over 100, 300 and 1,000 generated pools, each in its own process; the
// whole process's seconds, seconds a pool, and peak memory; and the CLI's start-up (`--help`,
// `forecast` of one series) beside it.
//
// The pools come from real demand: 28-day hourly windows of the household power trace
// (bench/data/household-power-30min.csv, half-hourly, averaged to hours), each pool starting a
// day after the one before and cycling through the trace, scaled so the pools differ in size.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress, provenance, repoRoot } from './common.js';

const POOLS = [100, 300, 1000];
const WINDOW_HOURS = 28 * 24;
const HOUR = 3_600_000;

/** The household trace averaged to hours: [epoch ms, watts]. */
function hourlyHousehold(): [number, number][] {
  const rows = readFileSync(join(repoRoot(), 'bench', 'data', 'household-power-30min.csv'), 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map(([t, v]) => [Date.parse(t!), Number(v)] as const);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) {
    if (rows[i + 1]![0] - rows[i]![0] !== HOUR / 2 || rows[i]![0] % HOUR !== 0) {
      i--; // realign on the hour
      continue;
    }
    out.push([rows[i]![0], (rows[i]![1] + rows[i + 1]![1]) / 2]);
  }
  return out;
}

/** `n` pools in `dir`: specs/, policies/ (defaults only, plus each pool's size), data/. */
export function generatePools(dir: string, n: number): void {
  const hours = hourlyHousehold();
  const windows = Math.floor((hours.length - WINDOW_HOURS) / 24);
  for (const sub of ['specs', 'data', join('policies', 'pools')])
    mkdirSync(join(dir, sub), { recursive: true });
  for (let i = 0; i < n; i++) {
    const name = `pool-${String(i).padStart(4, '0')}`;
    const from = (i % windows) * 24;
    const scale = 1 + (Math.floor(i / windows) % 5);
    const lines = ['timestamp,demand'];
    for (let h = 0; h < WINDOW_HOURS; h++) {
      const [t, v] = hours[from + h]!;
      lines.push(`${new Date(t).toISOString()},${Math.round(v * scale)}`);
    }
    writeFileSync(join(dir, 'data', `${name}.csv`), `${lines.join('\n')}\n`);
    writeFileSync(
      join(dir, 'specs', `${name}.yaml`),
      `pool: ${name}\nsource:\n  kind: csv\n  file: ../data/${name}.csv\n  timezone: UTC\n`,
    );
    writeFileSync(
      join(dir, 'policies', 'pools', `${name}.yaml`),
      `capacity:\n  unitsPerInstance: ${250 * scale}\n`,
    );
  }
}

interface Measured {
  pools: number;
  concurrency: number;
  /** The first run: no pool has a model selection yet, every one backtests its candidates. */
  first: { seconds: number; peakMb: number };
  /** The run after it: every pool reuses its selection and refits only the chosen models. */
  next: { seconds: number; peakMb: number };
}

/** The child: the CLI in this process (argv after `--child`), its peak memory on stderr's last line. */
async function child(args: string[]): Promise<void> {
  process.on('exit', () => process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`));
  process.argv = [process.argv[0]!, 'shadowcast', ...args];
  await import('../src/cli/main.js');
}

function timed(
  args: string[],
  cwd: string,
): Promise<{ seconds: number; peakMb: number; code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const kb = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ seconds, peakMb: kb / 1024, code: code ?? 1, stderr });
    });
  });
}

async function runTwice(pools: number, concurrency: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-run-scale-'));
  try {
    generatePools(dir, pools);
    const args = [
      'run',
      '--once',
      '--specs',
      'specs',
      '--policies',
      'policies',
      '--state',
      'state',
      '--target',
      'sim',
      '--concurrency',
      String(concurrency),
    ];
    const [first, next] = [await timed(args, dir), await timed(args, dir)];
    for (const r of [first, next]) {
      if (r.code !== 0)
        throw new Error(
          `run over ${pools} pools exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        );
    }
    const figures = (r: typeof first) => ({ seconds: r.seconds, peakMb: r.peakMb });
    return { pools, concurrency, first: figures(first), next: figures(next) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchRunScale(): Promise<{ markdown: string; json: unknown }> {
  const root = repoRoot();
  const startup: { what: string; seconds: number; peakMb: number }[] = [];
  const storefront = join(root, 'forecasts', 'data', 'storefront.csv');
  const out = mkdtempSync(join(tmpdir(), 'shadowcast-startup-'));
  const commands: [string, string[]][] = [
    ['shadowcast --help', ['--help']],
    ...(['naive', 'mstl', 'auto'] as const).map((m): [string, string[]] => [
      `shadowcast forecast (${m}, 720 hourly points)`,
      [
        'forecast',
        '--input',
        storefront,
        '--series',
        'location_4',
        '--model',
        m,
        '--horizon',
        '48h',
        '--out',
        join(out, m),
      ],
    ]),
  ];
  for (const [what, args] of commands) {
    progress(`[run-scale] ${what}`);
    // The fastest of five: start-up is what is measured, not the machine's worst moment.
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await timed(args, root));
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    startup.push({ what, seconds: best.seconds, peakMb: best.peakMb });
  }
  rmSync(out, { recursive: true, force: true });
  const rows: Measured[] = [];
  // Beside the default way (one pool at a time, fits on the main thread) on the smallest fleet.
  const wide = 2 * availableParallelism();
  for (const [n, c] of [[100, 1], ...POOLS.map((n) => [n, wide])] as const) {
    progress(`[run-scale] run --once over ${n} pools, --concurrency ${c}, twice`);
    rows.push(await runTwice(n, c));
  }
  const markdown = [
    '### One scheduled run at fleet scale',
    '',
    provenance(),
    '',
    `Two \`run --once --target sim\` in a row over pools generated from the household trace (28 days hourly each, the default policy: model auto), run report on; each run in its own process, whole-process time and peak memory. The first run selects every pool's models (a backtest of each candidate); the next reuses the selections, as runs do for half a day to a day after (or until a pool's forecast drifts). With \`--concurrency\` above 1, pools run side by side and fit on worker threads (one a core: ${availableParallelism()} here).`,
    '',
    '| pools | --concurrency | first run s | s a pool | peak MB | next run s | s a pool | peak MB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.pools} | ${r.concurrency} | ${r.first.seconds.toFixed(1)} | ${(r.first.seconds / r.pools).toFixed(3)} | ${r.first.peakMb.toFixed(0)} | ${r.next.seconds.toFixed(1)} | ${(r.next.seconds / r.pools).toFixed(3)} | ${r.next.peakMb.toFixed(0)} |`,
    ),
    '',
    'Start-up, whole process, fastest of five:',
    '',
    '| command | seconds | peak MB |',
    '| --- | ---: | ---: |',
    ...startup.map((s) => `| ${s.what} | ${s.seconds.toFixed(2)} | ${s.peakMb.toFixed(0)} |`),
  ].join('\n');
  return { markdown, json: { rows, startup } };
}

if (process.argv[2] === '--child') {
  child(process.argv.slice(3)).catch((err: unknown) => {
    process.stderr.write(`run-scale: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
} else if (process.argv[2] === '--generate') {
  generatePools(process.argv[3]!, Number(process.argv[4]));
}
