// The migration-rate alert (rate-alert.ts): more migrations started within the hour before the
// newest than the policy's migration.alertPerHour means the plan may be flapping. Its boundaries,
// and `run` raising it from the pool's journal (pool-run.ts) after the run's own migration.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal, journalFile, readJournal } from '../../src/deploy/journal.js';
import { targetFor } from '../../src/deploy/targets.js';
import type { PoolRunReport } from '../../src/pipeline/pool-run.js';
import { migrationRateAlert, recentStarts } from '../../src/pipeline/rate-alert.js';
import { parseSpec } from '../../src/pipeline/spec.js';
import { pool as poolState, testPolicy } from '../plan/fixtures.js';
import { runPoolAt } from './run-pool.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.UTC(2026, 1, 1, 12, 0);

const limitOf = (alertPerHour: number) => testPolicy((p) => (p.migration.alertPerHour = alertPerHour));
const flapping = (count: number, limit: number) =>
  `${count} migrations started within an hour, above the policy's migration.alertPerHour of ${limit}: the plan may be flapping`;

describe('migrationRateAlert: more starts within the hour before the newest than alertPerHour', () => {
  it('no starts: no alert', () => {
    expect(migrationRateAlert([], limitOf(1))).toBeUndefined();
  });

  it('exactly alertPerHour starts within the hour: no alert', () => {
    const starts = [T - 50 * MIN, T - 30 * MIN, T - 10 * MIN, T];
    expect(migrationRateAlert(starts, limitOf(4))).toBeUndefined();
  });

  it('one start more than alertPerHour: the alert, naming the count and the limit', () => {
    const starts = [T - 59 * MIN, T - 50 * MIN, T - 30 * MIN, T - 10 * MIN, T];
    expect(migrationRateAlert(starts, limitOf(4))).toBe(flapping(5, 4));
  });

  it('a start exactly one hour before the newest is outside the hour; a millisecond later is inside', () => {
    const within = [T - 30 * MIN, T - 10 * MIN, T];
    expect(migrationRateAlert([T - HOUR, ...within], limitOf(3))).toBeUndefined();
    expect(migrationRateAlert([T - HOUR + 1, ...within], limitOf(3))).toBe(flapping(4, 3));
  });

  it('the hour is counted back from the newest start, whatever the order the starts come in', () => {
    // Within the hour before the newest (T): three starts; the one 100 min before it never counts.
    const starts = [T - 10 * MIN, T - 100 * MIN, T, T - 50 * MIN];
    const orders = [
      starts,
      [...starts].reverse(),
      [...starts].sort((a, b) => a - b),
      [...starts].sort((a, b) => b - a),
    ];
    for (const order of orders) {
      expect(migrationRateAlert(order, limitOf(2))).toBe(flapping(3, 2));
      expect(migrationRateAlert(order, limitOf(3))).toBeUndefined();
    }
  });
});

describe('recentStarts: what simulate keeps for the alert once a migration starts at `now`', () => {
  it('drops starts an hour or more before now and keeps later ones, in order', () => {
    const starts = [T - 2 * HOUR, T - HOUR, T - HOUR + 1, T - 5 * MIN, T];
    expect(recentStarts(starts, T)).toEqual([T - HOUR + 1, T - 5 * MIN, T]);
    expect(recentStarts([], T)).toEqual([]);
  });

  it('keeping only recent starts never changes the alert of a migration starting at now', () => {
    const starts = [T - 3 * HOUR, T - 2 * HOUR, T - HOUR, T - 40 * MIN, T - 20 * MIN];
    const all = [...starts, T];
    const kept = [...recentStarts(starts, T), T];
    expect(migrationRateAlert(kept, limitOf(2))).toBe(migrationRateAlert(all, limitOf(2)));
    expect(migrationRateAlert(kept, limitOf(2))).toBe(flapping(3, 2));
  });
});

describe('run raises the migration-rate alert from the pool’s journal', () => {
  const POOL = 'storefront';
  const LIMIT = 3;
  const policy = testPolicy((p) => {
    p.forecast.model = 'naive';
    p.migration.alertPerHour = LIMIT;
  });
  /** The newest row of the first run's CSV; the next run's data ends two hours later. */
  const END = Date.UTC(2026, 1, 1);
  let dir: string;
  const state = () => join(dir, 'state');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowcast-rate-alert-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A run on a week of flat hourly demand at `level` ending at `end`. */
  async function csvRun(end: number, level: number): Promise<PoolRunReport> {
    const csv = join(dir, `demand-${end}.csv`);
    const rows = ['timestamp,demand'];
    for (let t = end - 7 * 24 * HOUR; t <= end; t += HOUR) rows.push(`${new Date(t).toISOString()},${level}`);
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const spec = parseSpec(
      join(dir, `${POOL}.yaml`),
      ['pool: storefront', 'source:', '  kind: csv', `  file: ${csv}`, 'horizon: 24h', ''].join('\n'),
    );
    return runPoolAt(state(), spec, policy, END);
  }

  /** The simulated fleet's clock: where the pool's next migration starts. */
  async function fleetClock(): Promise<number> {
    const target = (await targetFor('sim', { stateDir: state(), pool: POOL, policy })(false))!;
    try {
      return target.clock.now();
    } finally {
      await target.close?.();
    }
  }

  /** Completed migrations of the pool, started at `starts`, written with the journal's own writer. */
  function journalMigrations(starts: number[]): void {
    const { journal } = FileJournal.open(journalFile(state(), POOL));
    const lastGood = poolState(6, 1);
    for (const [i, t] of starts.entries()) {
      const at = new Date(t).toISOString();
      const migration = `${POOL}-earlier-${i}`;
      const plan = { at, key: `earlier-plan-${i}`, steps: [] };
      journal.append({ at, kind: 'migration-started', pool: POOL, migration, plan, lastGood });
      journal.append({ at, kind: 'migration-completed', pool: POOL, migration });
    }
    journal.close();
  }

  /** The first run sizes the fleet for high demand (no migration); the earlier starts go into the journal before the next run. */
  async function nextRunAfter(earlier: (clock: number) => number[]): Promise<PoolRunReport> {
    const first = await csvRun(END, 2000);
    expect(first.migration?.outcome).toBe('nothing');
    const clock = await fleetClock();
    journalMigrations(earlier(clock));
    const next = await csvRun(END + 2 * HOUR, 500);
    // The next run shrinks the pool: a migration of its own, started on the fleet's clock.
    expect(next.migration).toMatchObject({ outcome: 'completed', recovered: false });
    const started = next.migration!.records.find((r) => r.kind === 'migration-started')!;
    expect(Date.parse(started.at)).toBe(clock);
    return next;
  }

  const rateAlerts = (r: PoolRunReport) => r.alerts.filter((a) => a.kind === 'migration-rate');

  it('the run’s migration makes one more start within the hour than alertPerHour: the alert is raised', async () => {
    const run = await nextRunAfter((c) => [c - 50 * MIN, c - 30 * MIN, c - 10 * MIN]);
    expect(rateAlerts(run)).toEqual([
      expect.objectContaining({ pool: POOL, message: flapping(LIMIT + 1, LIMIT) }),
    ]);
    expect(run.status).toBe('ok');
    const starts = readJournal(journalFile(state(), POOL)).records.filter(
      (r) => r.kind === 'migration-started',
    );
    expect(starts).toHaveLength(LIMIT + 1);
  });

  it('exactly alertPerHour starts within the hour (older ones do not count): no alert', async () => {
    const run = await nextRunAfter((c) => [c - 3 * HOUR, c - 2 * HOUR, c - HOUR, c - 40 * MIN, c - 20 * MIN]);
    expect(rateAlerts(run)).toEqual([]);
    expect(run.status).toBe('ok');
  });
});
