// A state directory with a fixed four-step migration of the example pool (provision two shadows,
// wait for them, shift 10 % then 20 % of traffic onto them, each step baked 2 minutes) and a
// flat forecast for the simulated fleet to serve; and the built CLI run as a child process.
// The repository's policies/ give the pool its gates (error rate, p99) and its 15-minute step deadline.

import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PoolState, StepSubject } from '../src/core/plan.js';
import { sameState } from '../src/core/pool-state.js';
import type { SimStoreFile } from '../src/deploy/sim/store.js';
import { repoRoot } from './common.js';

export const root = repoRoot();
export const cli = join(root, 'dist', 'src', 'cli', 'main.js');
export const policies = join(root, 'policies');
export const POOL = 'storefront';
export const T0 = Date.UTC(2023, 4, 1);
const MIN = 60_000;

export const state = (primary: number, shadow: number, toShadow: number): PoolState => ({
  primary,
  shadow,
  standby: {},
  weights: { primary: Number((1 - toShadow).toFixed(10)), shadow: toShadow },
});

export const START = state(4, 0, 0);
export const STEPS = [
  {
    id: `${POOL}#1:provision`,
    kind: 'provision',
    subject: { what: 'provision' },
    at: 0,
    state: state(4, 2, 0),
    reason: 'two shadow instances',
  },
  {
    id: `${POOL}#2:warm`,
    kind: 'warm',
    subject: { what: 'ready' },
    at: 16,
    state: state(4, 2, 0),
    reason: 'wait until they serve',
  },
  {
    id: `${POOL}#3:shift`,
    kind: 'shift',
    subject: { what: 'route' },
    at: 16,
    state: state(4, 2, 0.1),
    reason: '10 % to the shadow pool',
  },
  {
    id: `${POOL}#4:shift`,
    kind: 'shift',
    subject: { what: 'route' },
    at: 16,
    state: state(4, 2, 0.2),
    reason: '20 % to the shadow pool',
  },
] as const;

/**
 * Whether `final` is where a migration of STEPS ends: fully migrated (the last step's state), or
 * rolled back (START's routing, on START's capacity or what the migration added: a rollback
 * never removes capacity).
 */
export function atAnEnd(final: PoolState, outcome: 'completed' | 'rolled_back'): boolean {
  if (outcome === 'completed') return sameState(final, STEPS.at(-1)!.state);
  const most = (k: 'primary' | 'shadow') => Math.max(START[k], ...STEPS.map((s) => s.state[k]));
  return (
    sameState(final, { ...START, primary: final.primary, shadow: final.shadow }) &&
    final.primary >= START.primary &&
    final.primary <= most('primary') &&
    final.shadow >= START.shadow &&
    final.shadow <= most('shadow')
  );
}

/** A migration to run: the pool's state before it, and its steps (`at`: minutes after T0). */
export interface MigrationFixture {
  start: PoolState;
  steps: readonly {
    id: string;
    kind: string;
    subject: StepSubject;
    at: number;
    state: PoolState;
    reason: string;
  }[];
}

/** A fresh state directory holding the plan (STEPS, unless `fixture`) and its forecast; `demand` units every hour. */
export function migrationState(
  demand = 500,
  bakeMs = 120_000,
  fixture: MigrationFixture = { start: START, steps: STEPS },
): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-migrate-'));
  const iso = (t: number) => new Date(t).toISOString();
  mkdirSync(join(dir, 'plans', POOL), { recursive: true });
  mkdirSync(join(dir, 'forecasts', POOL), { recursive: true });
  const plan = {
    pool: POOL,
    at: iso(T0),
    mode: 'apply',
    intervalMs: 15 * MIN,
    current: fixture.start,
    desired: fixture.steps.at(-1)!.state,
    reasons: ['fixture'],
    placements: {},
    alerts: [],
    steps: fixture.steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      subject: s.subject,
      notBefore: iso(T0 + s.at * MIN),
      bakeMs,
      reason: s.reason,
      state: s.state,
    })),
    nodes: [],
  };
  writeFileSync(join(dir, 'plans', POOL, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  const hours = Array.from({ length: 48 }, (_, h) => iso(T0 + h * 60 * MIN));
  const forecast = {
    timestamps: hours,
    mean: hours.map(() => demand),
    lower: hours.map(() => demand),
    upper: hours.map(() => demand),
  };
  writeFileSync(join(dir, 'forecasts', POOL, 'forecast.json'), JSON.stringify(forecast));
  return dir;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built CLI as a child process (stdin not a terminal). */
export function runCli(args: string[], cwd = root, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** `apply` of the fixture's plan on the simulated fleet, with these extra flags. */
export function apply(dir: string, ...extra: string[]): Promise<CliRun> {
  return runCli(['apply', '--yes', '--state', dir, '--policies', policies, '--pool', POOL, ...extra]);
}

/** The simulated fleet as the state directory keeps it. */
export function fleetFile(dir: string): SimStoreFile {
  return JSON.parse(readFileSync(join(dir, 'sim', `${POOL}.json`), 'utf8')) as SimStoreFile;
}

/** The pool state the saved fleet declares: live instances by role, and its routing. */
export function fleetState(dir: string): PoolState {
  const f = fleetFile(dir).fleet;
  const live = f.instances.filter((i) => i.failedAt == null && i.removedAt == null);
  return {
    primary: live.filter((i) => i.role === 'primary').length,
    shadow: live.filter((i) => i.role === 'shadow').length,
    standby: f.routing.standby,
    weights: f.routing.weights,
  };
}

/** Runs `jobs` with at most `limit` at once, results in order. */
export async function pooled<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/** The repository's policies copied into `dir`/policies, the example pool in mode apply; the copy's path. */
export function applyModePolicies(dir: string): string {
  const policies = join(dir, 'policies');
  cpSync(join(root, 'policies'), policies, { recursive: true });
  appendFileSync(join(policies, 'pools', `${POOL}.yaml`), '\nmode: apply\n');
  return policies;
}
