// The scheduled runner in process: the embedded default pool (forecasts/, policies/) on the
// simulated fleet, its policy's cron fired by croner on a fake clock. A firing runs the pool as a
// run of its own; a firing while that run goes on is skipped and logged, never queued; after
// stop() nothing fires. (test/cli/run-loop.test.ts runs the same loop as the built CLI.)

import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicyDir } from '../../src/policy/load.js';
import { Alerter } from '../../src/pipeline/alerts.js';
import { loadSpecs } from '../../src/pipeline/run.js';
import { type RunRecord, Runner } from '../../src/pipeline/runner.js';
import { healthSourceFor } from '../../src/metrics/sources.js';
import { targetFor } from '../../src/deploy/targets.js';
import { RunMetrics } from '../../src/pipeline/telemetry.js';

const root = resolve(import.meta.dirname, '..', '..');
const QUARTER = 15 * 60_000;
/** A wall clock a minute before a quarter hour, so the policy's "*\/15 * * * *" fires a minute in. */
const START = Date.UTC(2026, 11, 5, 9, 44, 0);

interface Harness {
  runner: Runner;
  runs: RunRecord[];
  logs: string[];
  /** Resolves the plan write of the run under way, which waits for it while `hold` is set. */
  release: () => void;
  hold: boolean;
}

async function harness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-runner-'));
  cpSync(join(root, 'forecasts'), join(dir, 'forecasts'), { recursive: true });
  cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
  const stateDir = join(dir, '.shadowcast');
  const specs = await loadSpecs(join(dir, 'forecasts'));
  const set = await loadPolicyDir(join(dir, 'policies'));
  expect(set.errors).toEqual([]);
  const health = new Map(
    await Promise.all(specs.map(async (s) => [s.pool, await healthSourceFor(s)] as const)),
  );
  const logs: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  const metrics = new RunMetrics();
  const h: Harness = { runner: undefined!, runs: [], logs, release: () => {}, hold: false };
  h.runner = new Runner({
    specs,
    policies: set.pools,
    context: {
      stateDir,
      targetName: 'sim',
      openTarget: (pool, policy, plan) =>
        targetFor('sim', { stateDir, pool, policy, plan, health: health.get(pool) }),
      log,
      metrics,
      alerter: new Alerter(log, metrics),
      outputs: {
        forecast: async () => {},
        plan: async (pool) => {
          if (h.hold) await new Promise<void>((done) => (h.release = done));
          return join(stateDir, 'plans', pool, 'plan.json');
        },
      },
      now: () => Date.now(),
    },
    onRun: async (run) => {
      h.runs.push(run);
    },
  });
  return h;
}

/** Moves the fake clock on in small steps. */
async function advance(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await vi.advanceTimersByTimeAsync(Math.min(10_000, end - Date.now()));
    await new Promise((done) => setImmediate(done));
  }
}

/** The real timer, kept before the fake one replaces it: the run's own I/O takes real time. */
const realSetTimeout = globalThis.setTimeout;

/** Waits in real time (the fake clock nudged a millisecond at a time) until `cond` holds, up to 60 s. */
async function settle(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3_000 && !cond(); i++) {
    await vi.advanceTimersByTimeAsync(1);
    await new Promise((done) => realSetTimeout(done, 20));
  }
  expect(cond(), what).toBe(true);
}

/** The runner's log messages. */
const messages = (h: Harness) => h.logs.map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('the scheduled runner (croner) in process', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      now: START,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  });
  afterEach(async () => {
    vi.useRealTimers();
  });

  it('fires each pool on its policy’s cron, as a run of its own', { timeout: 120_000 }, async () => {
    const h = await harness();
    h.runner.start();
    expect(messages(h)).toContain(
      'storefront: scheduled "*/15 * * * *" (UTC); next run 2026-12-05T09:45:00.000Z',
    );
    await advance(30_000);
    expect(h.runs).toEqual([]);
    await advance(60_000);
    await settle(() => h.runs.length === 1, 'the 09:45 firing ran');
    expect(h.runs[0]!.mode).toBe('scheduled');
    expect(h.runs[0]!.pools.map((p) => p.pool)).toEqual(['storefront']);
    expect(h.runs[0]!.startedAt).toBe(Date.UTC(2026, 11, 5, 9, 45));
    await h.runner.stop('test');
  });

  it('skips a firing while the pool’s previous run goes on, and says so', { timeout: 120_000 }, async () => {
    const h = await harness();
    h.hold = true;
    h.runner.start();
    await advance(90_000);
    // The 09:45 run waits in its plan write; the 10:00 firing finds it going.
    await advance(QUARTER);
    expect(h.runs).toEqual([]);
    await settle(
      () =>
        h.logs.some((l) => l.includes('storefront: scheduled run skipped: the previous run is still going')),
      'the 10:00 firing was skipped with a warning',
    );
    h.hold = false;
    h.release();
    await settle(() => h.runs.length === 1, 'the 09:45 run ended');
    expect(h.runs[0]!.startedAt).toBe(Date.UTC(2026, 11, 5, 9, 45));
    await h.runner.stop('test');
  });

  it('fires nothing after stop()', { timeout: 60_000 }, async () => {
    const h = await harness();
    h.runner.start();
    await h.runner.stop('test');
    await advance(2 * QUARTER);
    expect(h.runs).toEqual([]);
  });
});
