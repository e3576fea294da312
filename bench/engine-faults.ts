// The fault matrix through the real Pulumi engine: the four-step migration of the migration
// fixture applied with `apply --target pulumi` and the local stack template, so that every step
// is a `pulumi up` of the pool's stack on a file backend and the simulated fleet changes only
// through shadowcast's provider plugin. One case per fault, each at step 3 (the first traffic
// shift), in a state directory of its own; a case that kills `apply` runs it again, as an
// operator would. Each must end fully migrated or fully rolled back, the journal agreeing with
// the fleet, and no step's update landing twice (the fleet's own update log, which sees every
// update the provider made). `npm test` asserts it (test/deploy/fault-matrix-engine.test.ts);
// `npm run bench` (section engine-faults) writes the table into the README and docs.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import { history, type MigrationHistory } from '../src/pipeline/history.js';
import { progress, repoRoot } from './common.js';
import {
  applyModePolicies,
  type CliRun,
  atAnEnd,
  fleetFile,
  fleetState,
  migrationState,
  POOL,
  pooled,
  runCli,
} from './migration-fixture.js';

export type Outcome = 'completed' | 'rolled_back';

export interface EngineFault {
  name: string;
  inject: string[];
  /** `apply` kills itself: it is run again without faults. */
  kills: boolean;
  /** Where a crash leaves the update to the engine, either end is right (the journal must agree). */
  expected: Outcome | 'either';
  /** The failing step's reason, when it is journaled as failed. */
  reason?: RegExp;
  /** What stderr must say (the path the case exists to exercise). */
  says?: RegExp;
  /** Another update holds the stack's lock while `apply` starts. */
  lockHeld?: boolean;
}

export const FAULT_STEP = 3;

export const ENGINE_FAULTS: EngineFault[] = [
  {
    name: 'update failure (the provider fails the update)',
    inject: [`step=${FAULT_STEP}:update-failure`],
    kills: false,
    expected: 'rolled_back',
    reason: /update failed: .*injected update-failure/,
  },
  {
    name: 'gate failure',
    inject: [`step=${FAULT_STEP}:gate-failure`],
    kills: false,
    expected: 'rolled_back',
    reason: /health gate failed: injected gate-failure/,
  },
  {
    name: 'metrics outage',
    inject: [`step=${FAULT_STEP}:metrics-outage`],
    kills: false,
    expected: 'rolled_back',
    reason: /health gate failed: metrics missing .* failing closed/,
  },
  {
    name: 'hung update past its deadline (30 times slower)',
    inject: [`step=${FAULT_STEP}:slow-update:30`],
    kills: false,
    expected: 'rolled_back',
    reason: /deadline: the update took \d+(\.\d)? min; the step has run .*, past its 15 min/,
  },
  {
    name: 'SIGKILL of the runner during pulumi up',
    inject: [`step=${FAULT_STEP}:kill:mid-update`],
    kills: true,
    expected: 'either',
  },
  {
    name: 'SIGKILL of the runner, the CLI and its plugins during pulumi up (lock and pending operations left)',
    inject: [`step=${FAULT_STEP}:kill:mid-update-engine`],
    kills: true,
    expected: 'either',
    says: /locked by an update that is gone .*cancelling it, refreshing|interrupted update cleared/,
  },
  {
    name: 'SIGKILL after pulumi up, before the journal knew',
    inject: [`step=${FAULT_STEP}:kill`],
    kills: true,
    expected: 'completed',
  },
  {
    name: 'a lock held by another update for 15 s',
    inject: [],
    kills: false,
    expected: 'completed',
    lockHeld: true,
    says: /locked by another update \(.*\); trying again in/,
  },
];

export interface EngineCase {
  fault: EngineFault;
  dir: string;
  first: CliRun;
  restart?: CliRun;
  seconds: number;
}

/** The built engine's directory first on PATH (engine/build.sh links it); false when there is none. */
export function engineReady(): boolean {
  const bin = join(repoRoot(), 'engine', '.bin');
  if (!existsSync(join(bin, 'pulumi'))) return false;
  if (!(process.env.PATH ?? '').split(delimiter).includes(bin)) {
    process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  }
  process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = 'true';
  return true;
}

/** A state directory for the fixture's migration, with policies that let `apply` act (mode: apply). */
function engineState(): string {
  const dir = migrationState();
  applyModePolicies(dir);
  return dir;
}

/** `apply` of the fixture's plan through the engine. */
function applyThroughEngine(dir: string, stack: string, ...extra: string[]): Promise<CliRun> {
  return runCli([
    'apply',
    '--yes',
    '--state',
    dir,
    '--policies',
    join(dir, 'policies'),
    '--pool',
    POOL,
    '--target',
    'pulumi',
    '--stack-template',
    join(repoRoot(), 'Pulumi.example-local.yaml'),
    '--stack-name',
    stack,
    ...extra,
  ]);
}

/**
 * Holds the stack's lock on the file backend as a live `pulumi` process on this host would (one
 * the deployer cannot prove gone), for `ms`; then the holder exits and its lock file goes.
 */
function holdLock(dir: string, stack: string, ms: number): { released: Promise<void> } {
  // The stack exists, as after `pulumi up` set it up (creating a stack takes its lock too).
  const backend = join(dir, 'pulumi');
  mkdirSync(backend, { recursive: true });
  const init = spawnSync('pulumi', ['stack', 'init', stack, '--non-interactive'], {
    cwd: repoRoot(),
    encoding: 'utf8',
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: '' },
  });
  if (init.status !== 0) throw new Error(`pulumi stack init ${stack}: ${init.stderr.trim()}`);
  const locks = join(dir, 'pulumi', '.pulumi', 'locks', 'organization', 'shadowcast', stack);
  mkdirSync(locks, { recursive: true });
  const holder: ChildProcess = spawn('bash', ['-c', `exec -a pulumi sleep ${Math.ceil(ms / 1000) + 60}`], {
    stdio: 'ignore',
  });
  const file = join(locks, '00000000-0000-4000-8000-000000000001.json');
  writeFileSync(
    file,
    JSON.stringify({
      pid: holder.pid,
      username: 'other',
      hostname: hostname(),
      timestamp: new Date().toISOString(),
    }),
  );
  const released = new Promise<void>((done) =>
    setTimeout(() => {
      holder.kill('SIGKILL');
      rmSync(file, { force: true });
      done();
    }, ms),
  );
  return { released };
}

export async function runEngineMatrix(parallel = 2): Promise<EngineCase[]> {
  const jobs = ENGINE_FAULTS.map((fault) => async (): Promise<EngineCase> => {
    const t0 = Date.now();
    const dir = engineState();
    // Pulumi.<stack>.yaml lands beside Pulumi.yaml while it runs (e2e-* is ignored there): removed after.
    const template = `e2e-<pool>-${process.pid}-${ENGINE_FAULTS.indexOf(fault)}`;
    const stack = template.replace('<pool>', POOL);
    const hold = fault.lockHeld ? holdLock(dir, stack, 15_000) : undefined;
    const inject = fault.inject.length ? ['--inject', ...fault.inject] : [];
    const first = await applyThroughEngine(dir, template, ...inject);
    await hold?.released;
    const restart = fault.kills ? await applyThroughEngine(dir, template) : undefined;
    rmSync(join(repoRoot(), `Pulumi.${stack}.yaml`), { force: true });
    progress(`engine fault matrix: ${fault.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return { fault, dir, first, ...(restart ? { restart } : {}), seconds: (Date.now() - t0) / 1000 };
  });
  return pooled(jobs, parallel);
}

export interface CaseVerdict {
  outcome: Outcome | 'unfinished';
  /** The fleet is exactly at the end the journal names. */
  fleetAgrees: boolean;
  /** Updates of a step that landed more than once. */
  appliedTwice: number;
  /** Updates the engine made (the fleet's log), rollbacks included. */
  updates: number;
  migration: MigrationHistory;
}

/** What a finished case shows: the journal's outcome, whether the fleet agrees, steps applied twice. */
export async function verdict(c: EngineCase): Promise<CaseVerdict> {
  const { migrations } = await history(c.dir, POOL);
  const m = migrations.at(-1)!;
  const outcome = m.outcome === 'completed' || m.outcome === 'rolled_back' ? m.outcome : 'unfinished';
  const final = fleetState(c.dir);
  const fleetAgrees = outcome !== 'unfinished' && atAnEnd(final, outcome);
  const log = fleetFile(c.dir).updates;
  const landed = new Map<string, number>();
  for (const u of log.filter((x) => x.ok && !x.rollback))
    landed.set(u.stepId, (landed.get(u.stepId) ?? 0) + 1);
  const appliedTwice = [...landed.values()].filter((n) => n > 1).length;
  return { outcome, fleetAgrees, appliedTwice, updates: log.length, migration: m };
}

/** `npm run bench` section engine-faults: the matrix and its table. */
export async function benchEngineFaults(): Promise<{ json: unknown; markdown: string }> {
  if (!engineReady())
    throw new Error('engine-faults: no engine in engine/.bin: build it with npm run engine');
  const t0 = Date.now();
  const cases = await runEngineMatrix();
  const rows = [];
  for (const c of cases) rows.push({ c, v: await verdict(c) });
  const seconds = (Date.now() - t0) / 1000;
  const lines = [
    `Through the real Pulumi engine (${cases.length} cases, fault at step ${FAULT_STEP} of 4, ${seconds.toFixed(0)} s on this machine): each step a \`pulumi up\` of the pool's stack, the simulated fleet changed only by shadowcast's provider plugin.`,
    '',
    '| fault | outcome | fleet at that end | engine updates | steps applied twice |',
    '| --- | --- | --- | ---: | ---: |',
    ...rows.map(
      ({ c, v }) =>
        `| ${c.fault.name} | ${v.outcome.replace('_', ' ')} | ${v.fleetAgrees ? 'yes' : 'NO'} | ${v.updates} | ${v.appliedTwice} |`,
    ),
  ];
  for (const c of cases) rmSync(c.dir, { recursive: true, force: true });
  return {
    json: rows.map(({ c, v }) => ({
      fault: c.fault.name,
      outcome: v.outcome,
      fleetAgrees: v.fleetAgrees,
      updates: v.updates,
      appliedTwice: v.appliedTwice,
      seconds: c.seconds,
    })),
    markdown: lines.join('\n'),
  };
}
