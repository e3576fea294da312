// bench/race-repeat.sh ends here: its log (one line a round) becomes one entry in docs/testing.md
// between the race-runs markers, after the entries already there, so every run stays on record:
// when, at which commit, which files, how many rounds passed beside how many CPU burners, and
// how long a round took.
//
//   node dist/bench/race-record.js LOG COMMIT FILE...

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, writeBenchmarkSection } from './common.js';

export interface RaceRun {
  date: string;
  commit: string;
  files: readonly string[];
  rounds: number;
  passed: number;
  burners: number;
  cores: number;
  seconds: number[];
  /** The 1-minute load average as each round ended (absent in logs from before it was printed). */
  loads: number[];
}

/** The rounds of a race-repeat log: its header line, then "round N: passed|FAILED in S s". */
export function parseRaceLog(
  text: string,
): Pick<RaceRun, 'rounds' | 'burners' | 'cores' | 'passed' | 'seconds' | 'loads'> {
  const head = /race-repeat: \d+ files, (\d+) rounds, (\d+) CPU burner\(s\) on (\d+) cores/.exec(text);
  if (!head) throw new Error('not a race-repeat log: no "race-repeat: N files, R rounds, …" line');
  const seconds: number[] = [];
  const loads: number[] = [];
  let passed = 0;
  for (const m of text.matchAll(/^round \d+: (passed|FAILED) in (\d+) s(?: \(load ([\d.]+))?/gm)) {
    seconds.push(Number(m[2]));
    if (m[3] !== undefined) loads.push(Number(m[3]));
    if (m[1] === 'passed') passed++;
  }
  return {
    rounds: Number(head[1]),
    burners: Number(head[2]),
    cores: Number(head[3]),
    passed,
    seconds,
    loads,
  };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** One entry: a line of figures, and the files it ran folded below it. */
export function raceEntry(run: RaceRun): string {
  const timing = run.seconds.length
    ? `a round took ${Math.min(...run.seconds)} s at least, ${median(run.seconds)} s (median), ${Math.max(...run.seconds)} s at most`
    : 'no round finished';
  const load = run.loads.length
    ? `; load average as a round ended: ${median(run.loads)} (median), ${Math.min(...run.loads)} to ${Math.max(...run.loads)}`
    : '';
  const incomplete = run.seconds.length < run.rounds ? ` (${run.seconds.length} of ${run.rounds} run)` : '';
  return [
    `- **${run.date}**, commit ${run.commit}: ${run.passed} of ${run.rounds} rounds passed${incomplete}, ` +
      `${run.files.length} files, beside ${run.burners} CPU burner(s) on ${run.cores} cores; ${timing}${load}.`,
    `  <details><summary>the ${run.files.length} files</summary>`,
    '',
    ...run.files.map((f) => `  - \`${f}\``),
    '',
    '  </details>',
  ].join('\n');
}

function main(): void {
  const [log, commit, ...files] = process.argv.slice(2);
  if (!log || !commit || files.length === 0) {
    process.stderr.write('usage: node dist/bench/race-record.js LOG COMMIT FILE...\n');
    process.exit(2);
  }
  const root = repoRoot();
  const doc = join(root, 'docs', 'testing.md');
  const start = '<!-- race-runs:start -->';
  const end = '<!-- race-runs:end -->';
  const text = readFileSync(doc, 'utf8');
  const before = text.slice(text.indexOf(start) + start.length, text.indexOf(end)).trim();
  const run: RaceRun = {
    date: new Date().toISOString().slice(0, 10),
    commit,
    files,
    ...parseRaceLog(readFileSync(log, 'utf8')),
  };
  const entry = raceEntry(run);
  if (!writeBenchmarkSection('race-runs', [before, entry].filter(Boolean).join('\n'), doc)) {
    throw new Error(`docs/testing.md has no ${start} marker`);
  }
  process.stdout.write(`${entry}\n`);
}

if (process.argv[1]?.endsWith('race-record.js')) main();
