// The Pulumi deployer end to end: the real Automation API and CLI, a file backend in a temporary
// directory, and an inline program declaring each pool as one dynamic resource, so nothing reaches
// a cloud and no plugin is downloaded (the dynamic provider ships with the CLI). Config can tell
// the resource to fail, or to take its time.
//
//   update    a step applied, its state read back from the stack outputs, its message in history
//   failure   a failed update reports the resource and leaves the state; a rollback restores it
//   lock      a second deployer meets the first one's update in progress and gives up in time
//   crash     a lock left by a CLI that is gone (this host) is cancelled and the update retried
//   deadline  an update hung past its step's deadline is cancelled (its CLI interrupted, then
//             killed) by the executor, and the pool rolled back to its last known-good state
//
// Runs wherever `pulumi` is on PATH (CI installs it: .github/workflows/pulumi.yml); elsewhere it
// prints one line and skips. SHADOWCAST_E2E_REQUIRED=1 turns the skip into a failure.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace } from '@pulumi/pulumi/automation/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pulumiCli } from '../support/pulumi-cli.js';
import type { PoolState } from '../../src/core/plan.js';
import type { DeployEvent } from '../../src/core/seams.js';
import { systemClock } from '../../src/core/clock.js';
import { Executor } from '../../src/deploy/executor.js';
import { MemoryJournal } from '../../src/deploy/journal.js';
import {
  PulumiDeployer,
  type PulumiDeployerOptions,
  StackLockedError,
} from '../../src/deploy/pulumi/deployer.js';
import { resolveBackend } from '../../src/deploy/pulumi/config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MINUTES = 60_000;
const PROJECT = 'shadowcast-e2e';
const STACK = 'e2e-web';

const cli = pulumiCli('pulumi deployer e2e');

// ---------------------------------------------------------------------------------------------
// The program: shadowcast's contract (read shadowcast:desired, export desired/target/pools), with
// one dynamic resource per pool standing in for its groups and routes.

interface PoolInputs {
  pool: string;
  /** The pool's state as JSON: any change to it is an update of the resource. */
  state: string;
  /** e2e:fail — the provider throws on create and update. */
  fail: boolean;
  /** e2e:sleepMs — the provider takes this long to create or update. */
  sleepMs: number;
}

// Serialized into the dynamic provider's own process: it may use nothing but its arguments and
// globals (no imports, no captured variables).
const poolProvider: pulumi.dynamic.ResourceProvider<PoolInputs, PoolInputs> = {
  create: async function (inputs) {
    if (inputs.sleepMs > 0) await new Promise((done) => setTimeout(done, inputs.sleepMs));
    if (inputs.fail) throw new Error(`pool ${inputs.pool}: told to fail`);
    return { id: `pool-${inputs.pool}`, outs: inputs };
  },
  diff: async function (_id, olds, news) {
    return { changes: olds.state !== news.state || olds.fail !== news.fail || olds.sleepMs !== news.sleepMs };
  },
  update: async function (_id, _olds, news) {
    if (news.sleepMs > 0) await new Promise((done) => setTimeout(done, news.sleepMs));
    if (news.fail) throw new Error(`pool ${news.pool}: told to fail`);
    return { outs: news };
  },
};

/** One pool, as a resource whose id the program exports. */
class PoolResource extends pulumi.dynamic.Resource {
  constructor(name: string, inputs: PoolInputs) {
    super(poolProvider, name, { ...inputs });
  }
}

async function program() {
  const desired = new pulumi.Config('shadowcast').requireObject<{ pools: Record<string, PoolState> }>(
    'desired',
  );
  const e2e = new pulumi.Config('e2e');
  const pools: Record<string, pulumi.Output<string>> = {};
  for (const [pool, state] of Object.entries(desired.pools)) {
    const inputs: PoolInputs = {
      pool,
      state: JSON.stringify(state),
      fail: e2e.getBoolean('fail') ?? false,
      sleepMs: e2e.getNumber('sleepMs') ?? 0,
    };
    pools[pool] = new PoolResource(`pool-${pool}`, inputs).id;
  }
  // `pools` waits on the resources: a failed one leaves the previous outputs in place.
  return { desired, target: 'e2e', pools };
}

// ---------------------------------------------------------------------------------------------

const state = (primary: number, shadow: number, toShadow: number): PoolState => ({
  primary,
  shadow,
  standby: {},
  weights: { primary: 1 - toShadow, shadow: toShadow },
});
const S1 = state(3, 1, 0);
const S2 = state(3, 2, 0.25);
const S3 = state(4, 2, 0.5);

describe.skipIf(!cli)(`the Pulumi deployer end to end (${cli ?? 'no CLI'})`, () => {
  // Inside the repository (.shadowcast/ is ignored): the dynamic provider's process resolves
  // @pulumi/pulumi from the program's directory.
  let root: string;
  let workDir: string;
  let stateDir: string;
  const knobs = { fail: false, sleepMs: 0 };

  const deployer = (options: Partial<PulumiDeployerOptions> = {}) =>
    new PulumiDeployer({
      program: { projectName: PROJECT, program },
      workDir,
      stateDir,
      stackName: 'e2e-<pool>',
      settings: () => ({ 'e2e:fail': knobs.fail, 'e2e:sleepMs': knobs.sleepMs }),
      ...options,
    });
  const lastMessage = async () => {
    const stack = await LocalWorkspace.selectStack(
      { stackName: STACK, projectName: PROJECT, program },
      { workDir, envVars: resolveBackend({ stateDir }).envVars },
    );
    return (await stack.history(1))[0]?.message;
  };

  beforeAll(async () => {
    await mkdir(join(ROOT, '.shadowcast'), { recursive: true });
    root = await mkdtemp(join(ROOT, '.shadowcast', 'pulumi-e2e-'));
    workDir = join(root, 'work');
    stateDir = join(root, 'state');
    await mkdir(workDir);
  });
  afterAll(() => rm(root, { recursive: true, force: true }), MINUTES);

  it(
    'applies a step and reads the state back from the stack outputs',
    async () => {
      const events: DeployEvent[] = [];
      const d = deployer();
      expect(await d.current('web')).toEqual({
        primary: 0,
        shadow: 0,
        standby: {},
        weights: { primary: 1, shadow: 0 },
      });
      const result = await d.apply('web', S1, { stepId: 'e2e#1', onEvent: (e) => events.push(e) });
      expect(result).toEqual({ ok: true, state: S1 });
      expect(events.map((e) => e.kind)).toEqual(['update-started', 'update-done']);
      // The stack resource and the pool's.
      expect(events[1]!.message).toMatch(
        /^update e2e#1 done: \d+ created; primary 3, shadow 1, weights 1\/0$/,
      );
      // A new deployer (a later run) sees the same state.
      expect(await deployer().current('web')).toEqual(S1);
      expect(await lastMessage()).toBe('shadowcast e2e#1');
    },
    10 * MINUTES,
  );

  it(
    'reports a failed update with its resource, leaves the state, and rolls back to the last good one',
    async () => {
      const d = deployer();
      const events: DeployEvent[] = [];
      knobs.fail = true;
      const failed = await d.apply('web', S2, { stepId: 'e2e#2', onEvent: (e) => events.push(e) });
      expect(failed.ok).toBe(false);
      expect(failed.state).toEqual(S1);
      expect(failed.reason).toMatch(
        /^update e2e#2 failed: pool-web \(pulumi-nodejs:dynamic:Resource\): .*pool web: told to fail/,
      );
      const kinds = events.map((e) => e.kind);
      expect([kinds[0], kinds.at(-1)]).toEqual(['update-started', 'update-failed']);
      expect(events.find((e) => e.kind === 'instance-failed')?.message).toMatch(
        /^pool-web \(pulumi-nodejs:dynamic:Resource\): .*told to fail/,
      );
      expect(await d.current('web')).toEqual(S1);

      knobs.fail = false;
      const back = await d.rollback('web', await d.current('web'), { stepId: 'e2e#2-rollback' });
      expect(back).toEqual({ ok: true, state: S1 });
      expect(await deployer().current('web')).toEqual(S1);
      expect(await lastMessage()).toBe('shadowcast rollback e2e#2-rollback');
    },
    10 * MINUTES,
  );

  it(
    'gives up on a stack another update holds, within lockWaitMs, while that update completes',
    async () => {
      const first = deployer();
      const log: string[] = [];
      const second = deployer({ lockWaitMs: 3_000, lockRetryMs: 1_000, log: (line) => log.push(line) });
      await second.current('web');

      knobs.sleepMs = 30_000;
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const slow = first.apply('web', S3, {
        stepId: 'e2e#3',
        onEvent: (e) => e.kind === 'update-started' && started(),
      });
      await running;

      const t0 = Date.now();
      const err = await second.apply('web', S2, { stepId: 'e2e#other' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StackLockedError);
      const lockedErr = err as StackLockedError;
      expect(lockedErr.waitedMs).toBeGreaterThanOrEqual(3_000);
      expect(Date.now() - t0).toBeLessThan(30_000);
      // A DIY lock names its holder: the first deployer's CLI, alive on this host.
      expect(lockedErr.holders).toHaveLength(1);
      expect(lockedErr.holders[0]!.host).toBe(hostname());
      expect(log.some((l) => l.startsWith(`${STACK}: locked by another update (`))).toBe(true);

      expect(await slow).toEqual({ ok: true, state: S3 });
      knobs.sleepMs = 0;
      expect(await deployer().current('web')).toEqual(S3);
      expect(await lastMessage()).toBe('shadowcast e2e#3');
    },
    10 * MINUTES,
  );

  it(
    'cancels a lock left by a CLI that is gone from this host, refreshes, and retries the update',
    async () => {
      // What a runner killed mid-update leaves on a file backend: its CLI's lock file.
      const gone = spawn('true');
      await once(gone, 'exit');
      const locks = join(stateDir, 'pulumi', '.pulumi', 'locks', 'organization', PROJECT, STACK);
      await mkdir(locks, { recursive: true });
      await writeFile(
        join(locks, '00000000-0000-4000-8000-000000000000.json'),
        JSON.stringify({
          pid: gone.pid,
          username: 'shadowcast-e2e',
          hostname: hostname(),
          timestamp: new Date().toISOString(),
        }),
      );
      const log: string[] = [];
      const d = deployer({ lockWaitMs: 0, log: (line) => log.push(line) });
      expect(await d.apply('web', S2, { stepId: 'e2e#4' })).toEqual({ ok: true, state: S2 });
      expect(log[0]).toMatch(
        /^e2e-web: locked by an update that is gone \(shadowcast-e2e@.+: cancelling it, refreshing/,
      );
      expect(log).toContain('e2e-web: interrupted update cleared (cancelled, refreshed)');
      expect(await readdir(locks).catch(() => [])).toEqual([]);
      expect(await lastMessage()).toBe('shadowcast e2e#4');
    },
    10 * MINUTES,
  );

  it(
    'cancels an update hung past its step deadline and rolls the pool back to its last known-good state',
    async () => {
      const log: string[] = [];
      // The step's update sleeps ten minutes in the provider (only a cancel ends it); the
      // rollback's update, which writes the config again, does not.
      let hang = 10 * MINUTES;
      const d = deployer({
        cancelGraceMs: 3_000,
        log: (line) => log.push(line),
        settings: () => {
          const sleepMs = hang;
          hang = 0;
          return { 'e2e:fail': false, 'e2e:sleepMs': sleepMs };
        },
      });
      const before = await d.current('web');
      const journal = new MemoryJournal();
      const executor = new Executor({
        deployer: d,
        gate: { check: async () => ({ pass: true }) },
        clock: systemClock,
        journal,
        // Room for a real rollback update on a loaded machine; the hung update waits ten minutes.
        stepTimeoutMs: 60_000,
        rollbackRetryMs: 1_000,
        timer: (ms, signal) => sleep(ms, undefined, { signal }),
      });
      const hung = { ...state(5, 2, 0), weights: { primary: 1, shadow: 0 } };
      const t0 = Date.now();
      const result = await executor.start('web', {
        at: new Date().toISOString(),
        key: 'e2e-deadline',
        steps: [
          {
            id: 'web#1',
            pool: 'web',
            kind: 'provision',
            subject: { what: 'provision' },
            state: hung,
            notBefore: 0,
            bakeMs: 0,
            reason: 'e2e: an update that hangs',
          },
        ],
      });
      const took = Date.now() - t0;
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/deadline: the update was still running/);
      // Deadline (60 s), interrupt grace (3 s), kill, then the rollback's refresh and update.
      expect(took).toBeLessThan(3 * MINUTES);
      expect(
        log.some((l) => /did not stop within 3 s of its interrupt: killed pulumi \(pid \d+/.test(l)),
      ).toBe(true);
      // The stack is back where it was, unlocked, with nothing pending, and its last update is the rollback.
      expect(await deployer().current('web')).toEqual(before);
      const locks = join(stateDir, 'pulumi', '.pulumi', 'locks', 'organization', PROJECT, STACK);
      expect(await readdir(locks).catch(() => [])).toEqual([]);
      expect(await lastMessage()).toMatch(/^shadowcast rollback/);
      const kinds = journal.records.map((r) => r.kind);
      expect(kinds).toEqual(
        expect.arrayContaining(['step-intent', 'step-failed', 'rollback-intent', 'rollback-done']),
      );
      expect(kinds).not.toContain('step-applied');
      expect(kinds).toContain('migration-rolled-back');
      expect(kinds).not.toContain('migration-completed');
    },
    10 * MINUTES,
  );
});
