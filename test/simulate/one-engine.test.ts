// `simulate` runs the code `run` ships: the same pool, demand and clock, replayed by `simulate` in
// process and by `run --once --at` at each scheduled time (a CSV holding only the samples known by
// then, the simulated fleet kept in the state directory between runs), give the same migrations,
// step by step (kinds, states, times, outcomes), and the same final state.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetState, root, runCli } from '../../bench/migration-fixture.js';
import type { Series } from '../../src/core/series.js';
import { type JournalRecord, MemoryJournal, readJournal } from '../../src/deploy/journal.js';
import { loadPolicyDir } from '../../src/policy/load.js';
import { nextRun } from '../../src/pipeline/cron.js';
import { simFleetFactory } from '../../src/simulate/fleet.js';
import { loadSeries } from '../../src/pipeline/forecast-pool.js';
import { simulate } from '../../src/simulate/simulate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const POOL = 'storefront';

/** What both journals must agree on: every field but the migration's id and the process that wrote it. */
function comparable(records: readonly JournalRecord[]) {
  return records.map((r) => {
    const { migration: _m, pid: _p, host: _h, startTime: _s, durationMs: _d, plan, ...rest } = r;
    return plan ? { ...rest, plan: { at: plan.at, key: plan.key, steps: plan.steps } } : rest;
  });
}

/** The demand file `run` reads at `now`: the header and the samples whose hour has passed. */
function csvKnownAt(series: Series, now: number): string {
  const rows = ['ds,demand'];
  for (let i = 0; i < series.timestamps.length; i++) {
    const t = series.timestamps[i]!;
    if (t + series.stepMs > now) break;
    rows.push(`${new Date(t).toISOString()},${series.values[i]}`);
  }
  return `${rows.join('\n')}\n`;
}

describe('one engine: simulate and run', () => {
  it('apply the same steps with the same outcomes to the same simulated fleet, and end in the same state', async () => {
    const { series } = await loadSeries({
      input: join(root, 'forecasts', 'data', 'storefront.csv'),
      series: 'location_4',
      zone: 'UTC',
    });
    const set = await loadPolicyDir(join(root, 'policies'));
    const policy = set.pools.get(POOL)!.policy;
    // Fourteen days of history, then a weekday morning's rise: capacity grows and traffic moves.
    const start = Date.UTC(2023, 3, 18, 4);
    const end = start + 7 * HOUR;
    const trace: Series = {
      ...series,
      timestamps: series.timestamps.filter((t) => t < end),
      values: series.values.slice(0, series.timestamps.filter((t) => t < end).length),
    };
    const historyMs = start - trace.timestamps[0]!;
    expect(historyMs).toBeGreaterThanOrEqual(14 * DAY);

    const journal = new MemoryJournal();
    const sim = await simulate({
      pool: POOL,
      demand: trace,
      policy,
      historyMs,
      resample: 'step',
      refitMs: 60_000,
      metricLagMs: 60_000,
      staticExtra: 2,
      stabilizationMs: 5 * 60_000,
      fleet: simFleetFactory(POOL, policy, { seed: 1 }),
      journal,
    });

    // `run --once` at each scheduled time, as the scheduled runner would fire it: never while the
    // previous run (its migration) still goes, so the next is the first firing after it ended.
    const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-one-engine-'));
    mkdirSync(join(cwd, 'forecasts'));
    writeFileSync(
      join(cwd, 'forecasts', `${POOL}.yaml`),
      [`pool: ${POOL}`, 'source:', '  kind: csv', '  file: demand.csv', 'horizon: 48h', ''].join('\n'),
    );
    const state = join(cwd, '.shadowcast');
    const { cron, timezone } = policy.schedule;
    let runs = 0;
    for (let now = start; now < end;) {
      writeFileSync(join(cwd, 'forecasts', 'demand.csv'), csvKnownAt(trace, now));
      const r = await runCli(
        [
          'run',
          '--once',
          '--at',
          new Date(now).toISOString(),
          '--no-report',
          '--policies',
          join(root, 'policies'),
        ],
        cwd,
      );
      expect(r.code, r.stderr).toBe(0);
      runs++;
      const fleet = JSON.parse(readFileSync(join(state, 'sim', `${POOL}.json`), 'utf8')) as { now: string };
      now = nextRun(cron, timezone, Math.max(now, Date.parse(fleet.now)));
    }
    expect(runs).toBe(sim.shadowcast.plans);

    const ran = readJournal(join(state, 'journal', `${POOL}.jsonl`)).records;
    expect(ran.length).toBeGreaterThan(0);
    expect(comparable(journal.records)).toEqual(comparable(ran));
    const started = ran.filter((r) => r.kind === 'migration-started');
    expect(started.length).toBe(sim.shadowcast.migrations);
    // The morning's rise: capacity provisioned, and traffic shifted in steps, each gated.
    expect(started.length).toBeGreaterThanOrEqual(3);
    expect(ran.some((r) => r.kind === 'step-applied' && r.step?.kind === 'provision')).toBe(true);
    expect(ran.some((r) => r.kind === 'gate-passed' && r.step?.kind === 'shift')).toBe(true);
    const outcomes = (rs: readonly JournalRecord[]) =>
      rs
        .filter((r) => r.kind === 'migration-completed' || r.kind === 'migration-rolled-back')
        .map((r) => r.kind);
    expect(outcomes(journal.records)).toEqual(outcomes(ran));
    // The pool as the fleet in the state directory declares it after the last run.
    expect(sim.shadowcast.final).toEqual(fleetState(state));
  }, 240_000);

  it('run --at is refused without --once, or without a zone: exit 2, one line', async () => {
    for (const args of [
      ['run', '--at', '2023-04-18T04:15Z'],
      ['run', '--once', '--at', '2023-04-18 04:15'],
    ]) {
      const r = await runCli(args, root);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--at/);
    }
  });
});
