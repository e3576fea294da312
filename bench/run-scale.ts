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
  seconds: number;
  peakMb: number;
  exitCode: number;
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

async function runOnce(pools: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-run-scale-'));
  try {
    generatePools(dir, pools);
    const r = await timed(
      [
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
        String(availableParallelism()),
      ],
      dir,
    );
    if (r.code !== 0)
      throw new Error(
        `run over ${pools} pools exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return { pools, seconds: r.seconds, peakMb: r.peakMb, exitCode: r.code };
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
  for (const n of POOLS) {
    progress(`[run-scale] run --once over ${n} pools`);
    rows.push(await runOnce(n));
  }
  const markdown = [
    '### One scheduled run at fleet scale',
    '',
    provenance(),
    '',
    `\`run --once --target sim --concurrency ${availableParallelism()}\` with the run report on, over pools generated from the household trace (28 days hourly each, the default policy: model auto); each in its own process, whole-process time and peak memory.`,
    '',
    '| pools | seconds | s a pool | peak MB |',
    '| ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.pools} | ${r.seconds.toFixed(1)} | ${(r.seconds / r.pools).toFixed(3)} | ${r.peakMb.toFixed(0)} |`,
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
