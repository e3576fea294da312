// The Pulumi deployer against the Deployer seam, with a fake driver (the Pulumi CLI cannot run
// here; test/deploy/pulumi-e2e.test.ts runs the real one on CI). Every test asserts the exact CLI
// operations the deployer asked for, in order, and the exact results and events it reported.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { DependencyError, UsageError } from '../../src/core/errors.js';
import { emptyPool, type PoolState } from '../../src/core/plan.js';
import type { DeployEvent } from '../../src/core/seams.js';
import {
  poolFromOutputs,
  PulumiDeployer,
  type PulumiDeployerOptions,
  StackLockedError,
} from '../../src/deploy/pulumi/deployer.js';
import { StackBusyError } from '../../src/deploy/pulumi/driver.js';
import type { LockHolder } from '../../src/deploy/pulumi/locks.js';
import {
  applies,
  appliesThenThrows,
  type Call,
  fails,
  FakeDriver,
  locked,
  throwsEarly,
} from './pulumi-fake.js';
import { pool, T0 } from './helpers.js';

const BEFORE = pool(4, 0);
const AFTER = pool(4, 2, { primary: 0.8, shadow: 0.2 }, { 'i-0a1b2c3d4e5f60718': 0 });
const SETTINGS = {
  'shadowcast:target': 'aws',
  'aws:region': 'eu-west-1',
  'shadowcast:aws': { vpcId: 'vpc-0123456789abcdef0', pools: { web: { ami: 'ami-0123456789abcdef0' } } },
  'shadowcast:nodes': { 'i-0a1b2c3d4e5f60718': { zone: 'eu-west-1a' } },
  // The deployer owns this key: a template's value is never copied.
  'shadowcast:desired': { pools: { other: BEFORE } },
};

const FOREIGN: LockHolder = {
  lock: 'file:///state/.pulumi/locks/organization/shadowcast/web/1.json',
  user: 'runner',
  host: 'runner-b',
  pid: 4242,
  since: '2026-11-23T12:00:00Z',
};
const GONE: LockHolder = { ...FOREIGN, host: 'runner-a', pid: 77 };

function setup(
  options: Partial<PulumiDeployerOptions> = {},
  initial: Record<string, PoolState> = { web: BEFORE },
) {
  const driver = new FakeDriver(initial);
  const clock = new FakeClock(T0);
  const events: DeployEvent[] = [];
  const log: string[] = [];
  const deployer = new PulumiDeployer({
    driver,
    clock,
    settings: SETTINGS,
    isStaleLock: (h) => h.host === 'runner-a',
    log: (line) => log.push(line),
    ...options,
  });
  const onEvent = (e: DeployEvent) => events.push(e);
  return { driver, clock, deployer, events, log, onEvent };
}

const desiredConfig = (state: PoolState, name = 'web') => JSON.stringify({ pools: { [name]: state } });
const configCall = (state: PoolState, stack = 'web'): Call => [
  'setConfig',
  stack,
  {
    'shadowcast:target': 'aws',
    'aws:region': 'eu-west-1',
    'shadowcast:aws': JSON.stringify(SETTINGS['shadowcast:aws']),
    'shadowcast:nodes': JSON.stringify(SETTINGS['shadowcast:nodes']),
    'shadowcast:desired': desiredConfig(state, stack.replace(/^prod-/, '')),
  },
];
const kinds = (events: DeployEvent[]) => events.map((e) => e.kind);

describe('cancel', () => {
  it("cancels the pool's stack update; one already over is no error, anything else is", async () => {
    const { driver, deployer } = setup({ stackName: 'prod-<pool>' });
    await deployer.cancel('web');
    expect(driver.calls).toEqual([['cancel', 'prod-web']]);
    driver.failures.cancel = [new Error('error: no stack update is currently in progress')];
    await expect(deployer.cancel('web')).resolves.toBeUndefined();
    driver.failures.cancel = [new Error('connection refused')];
    await expect(deployer.cancel('web')).rejects.toThrow('connection refused');
  });

  // An `up` that ends only when its signal aborts (the CLI interrupted), or never.
  const hangingUp =
    (endsOnAbort: boolean) =>
    (_stack: string, options: { signal?: AbortSignal }): Promise<never> =>
      new Promise((_, reject) => {
        if (endsOnAbort)
          options.signal?.addEventListener('abort', () => reject(new Error('update canceled')));
      });

  it('interrupts its own update under way; the update stops there, never retried, and the lock is released', async () => {
    const { driver, deployer, events, onEvent } = setup({ cancelGraceMs: 50 });
    driver.ups.push(hangingUp(true));
    const update = deployer.apply('web', AFTER, { stepId: 'web#2', onEvent });
    await new Promise((done) => setTimeout(done, 10));
    await deployer.cancel('web');
    const result = await update;
    expect(result.ok).toBe(false);
    expect(result.reason).toBe('update web#2 failed: cancelled (its deadline passed)');
    expect(result.state).toEqual(BEFORE);
    expect(driver.ops().filter((op) => op === 'up')).toHaveLength(1);
    expect(driver.ops()).toContain('cancel');
    expect(kinds(events).at(-1)).toBe('update-failed');
  });

  it('kills an update that does not stop within the grace, and checks the stack for pending operations before the next', async () => {
    const killed: string[] = [];
    const { driver, deployer, log } = setup({
      cancelGraceMs: 50,
      killCli: async (stack) => (killed.push(stack), [4242]),
    });
    driver.ups.push(hangingUp(false));
    const update = deployer.apply('web', AFTER, { stepId: 'web#2' });
    await new Promise((done) => setTimeout(done, 10));
    await deployer.cancel('web');
    expect(killed).toEqual(['web']);
    expect(log).toContain(
      'web: the update did not stop within 0 s of its interrupt: killed pulumi (pid 4242)',
    );
    void update;
    // The next update (the rollback) looks for what the killed CLI left pending, and clears it.
    driver.pending.set('web', [{ type: 'creating', resource: { urn: 'urn:x', type: 't' } } as never]);
    const back = await deployer.rollback('web', BEFORE, { stepId: 'web#2-rollback' });
    expect(back.ok).toBe(true);
    const ops = driver.ops();
    expect(ops.slice(ops.lastIndexOf('cancel'))).toEqual(
      expect.arrayContaining(['exportStack', 'refresh', 'up']),
    );
  });
});

describe('apply', () => {
  it('writes the settings and the step state into config, runs up, and returns the state read back', async () => {
    const { driver, deployer, events, onEvent } = setup();
    const result = await deployer.apply('web', AFTER, { stepId: 'web#1', onEvent });
    expect(result).toEqual({ ok: true, state: AFTER });
    expect(driver.calls).toEqual([
      ['selectOrCreate', 'web'],
      configCall(AFTER),
      ['exportStack', 'web'],
      ['up', 'web', 'shadowcast web#1'],
    ]);
    expect(events).toEqual([
      {
        at: T0,
        pool: 'web',
        kind: 'update-started',
        message:
          'update web#1 started on stack web: primary 4, shadow 2, weights 0.8/0.2, standby i-0a1b2c3d4e5f60718 0',
      },
      {
        at: T0,
        pool: 'web',
        kind: 'update-done',
        message:
          'update web#1 done: 1 updated; primary 4, shadow 2, weights 0.8/0.2, standby i-0a1b2c3d4e5f60718 0',
      },
    ]);
  });

  it('reports the state the outputs hold, not the one it asked for', async () => {
    const { driver, deployer } = setup();
    const declared = pool(5, 2, { primary: 0.8, shadow: 0.2 });
    driver.ups.push(async (stack) => {
      driver.outputsOf.set(stack, { desired: { pools: { web: declared } } });
      return { outputs: { desired: { pools: { web: declared } } }, changes: {} };
    });
    expect(await deployer.apply('web', AFTER)).toEqual({ ok: true, state: declared });
  });

  it('selects each stack once and checks it for pending operations once', async () => {
    const { driver, deployer } = setup();
    await deployer.apply('web', AFTER, { stepId: 'web#1' });
    await deployer.apply('web', BEFORE, { stepId: 'web#2' });
    expect(driver.ops()).toEqual(['selectOrCreate', 'setConfig', 'exportStack', 'up', 'setConfig', 'up']);
  });

  it.each([
    [{ stepId: 'checkout-api#3' }, 'update', 'shadowcast checkout-api#3'],
    [{}, 'update', 'shadowcast'],
    [{ stepId: 'rollback#1' }, 'rollback', 'shadowcast rollback rollback#1'],
    [{}, 'rollback', 'shadowcast rollback'],
  ] as const)('names the step in the update message: %j %s → %s', async (options, kind, message) => {
    const { driver, deployer } = setup();
    await (kind === 'update'
      ? deployer.apply('web', AFTER, options)
      : deployer.rollback('web', AFTER, options));
    expect(driver.calls.filter((c) => c[0] === 'up')).toEqual([['up', 'web', message]]);
  });

  it('refuses an invalid state without touching the stack', async () => {
    const { driver, deployer, events, onEvent } = setup();
    const bad = pool(2, 0, { primary: 0.5, shadow: 0.4 });
    const result = await deployer.apply('web', bad, { stepId: 'web#1', onEvent });
    expect(result).toEqual({
      ok: false,
      state: BEFORE,
      reason: 'update web#1 failed: invalid desired state: weights must sum to 1, got 0.9',
    });
    expect(driver.ops()).toEqual(['selectOrCreate', 'outputs']);
    expect(kinds(events)).toEqual(['update-failed']);
  });
});

describe('a failed update', () => {
  it('returns ok:false with the first error diagnostic and the state left unchanged', async () => {
    const { driver, deployer, events, onEvent } = setup();
    driver.ups.push(fails('creating Auto Scaling Group (web-primary): ValidationError: bad AMI'));
    const result = await deployer.apply('web', AFTER, { stepId: 'web#2', onEvent });
    expect(result).toEqual({
      ok: false,
      state: BEFORE,
      reason:
        'update web#2 failed: web-primary (aws:autoscaling/group:Group): creating Auto Scaling Group (web-primary): ValidationError: bad AMI',
    });
    // After the failure: the state read back, then a look for operations left pending (none).
    expect(driver.ops()).toEqual([
      'selectOrCreate',
      'setConfig',
      'exportStack',
      'up',
      'outputs',
      'exportStack',
    ]);
    expect(events.map((e) => [e.kind, e.message])).toEqual([
      ['update-started', expect.stringMatching(/^update web#2 started on stack web: /)],
      [
        'instance-failed',
        'web-primary (aws:autoscaling/group:Group): creating Auto Scaling Group (web-primary): ValidationError: bad AMI',
      ],
      [
        'update-failed',
        'update web#2 failed: web-primary (aws:autoscaling/group:Group): creating Auto Scaling Group (web-primary): ValidationError: bad AMI',
      ],
    ]);
  });

  it('without a diagnostic, gives the CLI error in one line', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(
      throwsEarly(
        'code: 255\n stdout: \n stderr: Command failed with exit code 255: pulumi up\nerror: could not load plugin for aws provider\n err?: ...',
      ),
    );
    const result = await deployer.apply('web', AFTER, { stepId: 'web#2' });
    expect(result).toEqual({
      ok: false,
      state: BEFORE,
      reason: 'update web#2 failed: could not load plugin for aws provider',
    });
  });

  it('that applied and then threw reading its outputs is decided by the outputs: ok', async () => {
    const { driver, deployer, events, onEvent, log } = setup();
    driver.ups.push(appliesThenThrows());
    const result = await deployer.apply('web', AFTER, { stepId: 'web#3', onEvent });
    expect(result).toEqual({ ok: true, state: AFTER });
    expect(driver.ops()).toEqual(['selectOrCreate', 'setConfig', 'exportStack', 'up', 'outputs']);
    expect(kinds(events)).toEqual(['update-started', 'update-done']);
    expect(events[1]!.message).toMatch(/^update web#3 done: 1 updated; /);
    expect(log).toEqual([
      'web: up reported an error after the update (could not read stack outputs: connection reset), but its outputs show it applied',
    ]);
  });

  it('with an error diagnostic is a failure even when the outputs already hold the state', async () => {
    const { driver, deployer } = setup({}, { web: AFTER });
    driver.ups.push(fails('told to fail'));
    expect(await deployer.apply('web', AFTER, { stepId: 'web#3' })).toEqual({
      ok: false,
      state: AFTER,
      reason: 'update web#3 failed: web-primary (aws:autoscaling/group:Group): told to fail',
    });
  });

  it('that threw with outputs unchanged and no diagnostic is a failure', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(throwsEarly('stderr: error: could not read stack outputs'));
    const result = await deployer.apply('web', AFTER, { stepId: 'web#3' });
    expect(result).toEqual({
      ok: false,
      state: BEFORE,
      reason: 'update web#3 failed: could not read stack outputs',
    });
  });

  it('whose outputs cannot be read afterwards is a DependencyError (exit 3)', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(throwsEarly('stderr: error: connection refused'));
    driver.failures.outputs = [new Error('error: failed to load checkpoint: connection refused')];
    const err = await deployer.apply('web', AFTER, { stepId: 'web#3' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyError);
    expect((err as Error).message).toBe(
      'pulumi: reading the outputs of stack web failed: failed to load checkpoint: connection refused',
    );
  });
});

describe('rollback', () => {
  it('is an update to the given state, announced and recorded as a rollback', async () => {
    const { driver, deployer, events, onEvent } = setup({}, { web: AFTER });
    const result = await deployer.rollback('web', BEFORE, { stepId: 'rollback#1', onEvent });
    expect(result).toEqual({ ok: true, state: BEFORE });
    expect(driver.calls).toEqual([
      ['selectOrCreate', 'web'],
      configCall(BEFORE),
      ['exportStack', 'web'],
      ['up', 'web', 'shadowcast rollback rollback#1'],
    ]);
    expect(events.map((e) => [e.kind, e.message])).toEqual([
      ['rollback', 'rolling back to primary 4, shadow 0, weights 1/0'],
      ['update-started', 'rollback rollback#1 started on stack web: primary 4, shadow 0, weights 1/0'],
      ['update-done', 'rollback rollback#1 done: 1 updated; primary 4, shadow 0, weights 1/0'],
    ]);
  });

  it('after a failed update restores the last good state', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(fails('told to fail'));
    expect((await deployer.apply('web', AFTER, { stepId: 'web#1' })).ok).toBe(false);
    const back = await deployer.rollback('web', await deployer.current('web'), { stepId: 'rollback#1' });
    expect(back).toEqual({ ok: true, state: BEFORE });
    expect(driver.outputsOf.get('web')).toEqual({
      desired: { pools: { web: BEFORE } },
      target: 'aws',
      pools: {},
    });
  });
});

describe('current', () => {
  it.each([
    ['a new stack with no outputs', {}, emptyPool()],
    ['outputs naming the pool', { desired: { pools: { web: AFTER } } }, AFTER],
    ['outputs without the pool', { desired: { pools: { api: AFTER } } }, emptyPool()],
  ])('reads %s', async (_what, outputs, expected) => {
    const { driver, deployer } = setup({}, {});
    driver.outputsOf.set('web', outputs);
    expect(await deployer.current('web')).toEqual(expected);
    expect(driver.ops()).toEqual(['selectOrCreate', 'outputs']);
  });

  it.each([
    [
      { target: 'aws' },
      'pulumi: stack web has outputs but no "desired" output: is it shadowcast\'s program?',
    ],
    [
      { desired: { pools: { web: { primary: 1 } } } },
      'pulumi: stack web: output desired.pools.web: expected primary and shadow instance counts',
    ],
  ])('refuses outputs that are not a pool state: %j', (outputs, message) => {
    expect(() => poolFromOutputs('web', 'web', outputs)).toThrow(message);
  });

  it('turns a backend that cannot be reached into a DependencyError', async () => {
    const { driver, deployer } = setup();
    driver.failures.selectOrCreate = [
      new Error('error: could not log in to s3://bucket: NoCredentialProviders'),
    ];
    await expect(deployer.current('web')).rejects.toThrow(
      new DependencyError(
        'pulumi: selecting stack web failed: could not log in to s3://bucket: NoCredentialProviders',
      ),
    );
  });
});

describe('stack names', () => {
  it('come from the template, one stack per pool', async () => {
    const { driver, deployer } = setup({ stackName: 'prod-<pool>' });
    driver.outputsOf.set('prod-web', { desired: { pools: { web: BEFORE } } });
    await deployer.apply('web', AFTER, { stepId: 'web#1' });
    expect(driver.calls).toEqual([
      ['selectOrCreate', 'prod-web'],
      configCall(AFTER, 'prod-web'),
      ['exportStack', 'prod-web'],
      ['up', 'prod-web', 'shadowcast web#1'],
    ]);
  });

  it('are selected one at a time, each once, when pools are updated in parallel', async () => {
    const { driver, deployer } = setup({}, { web: BEFORE, api: BEFORE });
    let inFlight = 0;
    let most = 0;
    const select = driver.selectOrCreate.bind(driver);
    driver.selectOrCreate = async (stack) => {
      most = Math.max(most, ++inFlight);
      await new Promise((done) => setTimeout(done, 5));
      await select(stack);
      inFlight--;
    };
    const results = await Promise.all([
      deployer.apply('web', AFTER),
      deployer.apply('api', AFTER),
      deployer.current('web'),
      deployer.current('api'),
    ]);
    expect(results.map((r) => ('ok' in r ? r.ok : r.primary))).toEqual([true, true, 4, 4]);
    expect(most).toBe(1);
    expect(driver.calls.filter((c) => c[0] === 'selectOrCreate')).toEqual([
      ['selectOrCreate', 'web'],
      ['selectOrCreate', 'api'],
    ]);
  });

  it('must name a stack per pool', async () => {
    expect(() => setup({ stackName: 'shared' })).toThrow(UsageError);
    const { deployer } = setup({ stackName: () => 'shared' });
    await deployer.current('web');
    await expect(deployer.current('api')).rejects.toThrow(
      new UsageError('pools web and api both map to stack shared: each pool needs a stack of its own'),
    );
    expect(() => setup({ stackName: '<pool> x' }).deployer.stackFor('web')).toThrow(
      'pool web: "web x" is not a valid Pulumi stack name',
    );
  });
});

describe('a lock held by another update', () => {
  it.each([[{ lockRetryMs: 0 }], [{ lockWaitMs: -1 }], [{ lockRetryMs: 10_000, lockRetryMaxMs: 5_000 }]])(
    'is waited on only with sensible settings: %j',
    (options) => {
      expect(() => setup(options)).toThrow(UsageError);
    },
  );

  it('is waited out with backoff, then the update runs', async () => {
    const { driver, deployer, clock, events, onEvent, log } = setup();
    driver.ups.push(locked([FOREIGN]), locked([FOREIGN]));
    const result = await deployer.apply('web', AFTER, { stepId: 'web#1', onEvent });
    expect(result).toEqual({ ok: true, state: AFTER });
    expect(clock.now() - T0).toBe(5_000 + 10_000);
    expect(driver.ops()).toEqual(['selectOrCreate', 'setConfig', 'exportStack', 'up', 'up', 'up']);
    expect(kinds(events)).toEqual(['update-started', 'update-done']);
    expect(log).toEqual([
      'web: locked by another update (runner@runner-b (pid 4242) since 2026-11-23T12:00:00Z); trying again in 5000 ms',
      'web: locked by another update (runner@runner-b (pid 4242) since 2026-11-23T12:00:00Z); trying again in 10000 ms',
    ]);
  });

  it('past lockWaitMs gives up with StackLockedError, having changed nothing', async () => {
    const { driver, deployer, clock, events, onEvent } = setup({
      lockWaitMs: 60_000,
      lockRetryMs: 5_000,
      lockRetryMaxMs: 20_000,
    });
    for (let i = 0; i < 10; i++) driver.ups.push(locked([FOREIGN]));
    const err = await deployer.apply('web', AFTER, { stepId: 'web#1', onEvent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackLockedError);
    expect(err).toMatchObject({ pool: 'web', stackName: 'web', holders: [FOREIGN], waitedMs: 60_000 });
    expect((err as Error).message).toBe(
      'pulumi: stack web (pool web) is locked by another update (runner@runner-b (pid 4242) since 2026-11-23T12:00:00Z); gave up after 60 s, nothing was changed',
    );
    // Pauses 5, 10, 20, 20 and the 5 s left: six attempts, the last at the bound.
    expect(clock.now() - T0).toBe(60_000);
    expect(driver.ops().filter((op) => op === 'up')).toHaveLength(6);
    expect(driver.ops()).not.toContain('cancel');
    expect(events).toEqual([]);
    expect(await deployer.current('web')).toEqual(BEFORE);
  });

  it('on Pulumi Cloud (no holder named) is never taken for stale', async () => {
    const { driver, deployer } = setup({ lockWaitMs: 10_000, isStaleLock: () => true });
    for (let i = 0; i < 10; i++) driver.ups.push(locked([]));
    await expect(deployer.apply('web', AFTER)).rejects.toThrow(
      /is locked by another update \(the backend does not say who holds it\); gave up after 10 s/,
    );
    expect(driver.ops()).not.toContain('cancel');
  });

  it('is not stale when one of several holders is alive', async () => {
    const { driver, deployer } = setup({ lockWaitMs: 5_000 });
    for (let i = 0; i < 10; i++) driver.ups.push(locked([GONE, FOREIGN]));
    await expect(deployer.apply('web', AFTER)).rejects.toBeInstanceOf(StackLockedError);
    expect(driver.ops()).not.toContain('cancel');
  });
});

describe('an interrupted update', () => {
  it('left a stale lock: cancel, refresh clearing pending creates, retry once', async () => {
    const { driver, deployer, clock, events, onEvent, log } = setup();
    driver.ups.push(locked([GONE]));
    const result = await deployer.apply('web', AFTER, { stepId: 'web#4', onEvent });
    expect(result).toEqual({ ok: true, state: AFTER });
    expect(driver.calls.slice(2)).toEqual([
      ['exportStack', 'web'],
      ['up', 'web', 'shadowcast web#4'],
      ['cancel', 'web'],
      [
        'refresh',
        'web',
        { clearPendingCreates: true, message: 'shadowcast web#4 (after an interrupted update)' },
      ],
      ['up', 'web', 'shadowcast web#4'],
    ]);
    expect(clock.now()).toBe(T0);
    expect(kinds(events)).toEqual(['update-started', 'update-done']);
    expect(log).toEqual([
      'web: locked by an update that is gone (runner@runner-a (pid 77) since 2026-11-23T12:00:00Z): cancelling it, refreshing, retrying once',
      'web: interrupted update cleared (cancelled, refreshed)',
    ]);
  });

  it('retries once only: a second failure is the result', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(locked([GONE]), fails('told to fail'));
    driver.pending.set('web', [{ type: 'creating', resource: { urn: 'urn:x' } }]);
    // The first-use check finds the pending operation too: refreshed once, then the stale lock.
    const result = await deployer.apply('web', AFTER, { stepId: 'web#4' });
    expect(result.ok).toBe(false);
    expect(result.reason).toBe(
      'update web#4 failed: web-primary (aws:autoscaling/group:Group): told to fail',
    );
    expect(driver.ops()).toEqual([
      'selectOrCreate',
      'setConfig',
      'exportStack',
      'refresh',
      'up',
      'cancel',
      'refresh',
      'up',
      'outputs',
    ]);
  });

  it('cancels a stale lock once: a lock still there after that is waited on like any other', async () => {
    const { driver, deployer, clock } = setup({ lockWaitMs: 10_000 });
    for (let i = 0; i < 10; i++) driver.ups.push(locked([GONE]));
    await expect(deployer.apply('web', AFTER)).rejects.toBeInstanceOf(StackLockedError);
    expect(driver.ops().filter((op) => op === 'cancel')).toEqual(['cancel']);
    expect(driver.ops().filter((op) => op === 'up')).toHaveLength(4);
    expect(clock.now() - T0).toBe(10_000);
  });

  it('cancel saying the update already completed is fine', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(locked([GONE]));
    driver.failures.cancel = [new Error('[400] Bad Request: the update has already completed')];
    expect(await deployer.apply('web', AFTER)).toEqual({ ok: true, state: AFTER });
    expect(driver.ops()).toEqual([
      'selectOrCreate',
      'setConfig',
      'exportStack',
      'up',
      'cancel',
      'refresh',
      'up',
    ]);
  });

  it('whose cancel fails otherwise fails the update', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(locked([GONE]));
    driver.failures.cancel = [new Error('permission denied')];
    expect(await deployer.apply('web', AFTER, { stepId: 'web#4' })).toEqual({
      ok: false,
      state: BEFORE,
      reason: 'update web#4 failed: cancelling the interrupted update failed: permission denied',
    });
    expect(driver.ops()).toEqual(['selectOrCreate', 'setConfig', 'exportStack', 'up', 'cancel', 'outputs']);
  });

  it('left pending operations (no lock): refresh clearing pending creates before the first update, no cancel', async () => {
    const { driver, deployer, log } = setup();
    driver.pending.set('web', [{ type: 'creating', resource: { urn: 'urn:pulumi:web::shadowcast::x::y' } }]);
    expect(await deployer.apply('web', AFTER, { stepId: 'web#5' })).toEqual({ ok: true, state: AFTER });
    expect(driver.calls.slice(2)).toEqual([
      ['exportStack', 'web'],
      [
        'refresh',
        'web',
        { clearPendingCreates: true, message: 'shadowcast web#5 (after an interrupted update)' },
      ],
      ['up', 'web', 'shadowcast web#5'],
    ]);
    expect(log).toEqual(['web: interrupted update cleared (refreshed)']);
  });

  it('a failed update that left operations pending is refreshed and retried once', async () => {
    const { driver, deployer } = setup();
    driver.ups.push(async (stack) => {
      driver.pending.set(stack, [{ type: 'updating', resource: { urn: 'urn:x' } }]);
      throw new Error('stderr: error: signal: interrupt');
    });
    expect(await deployer.apply('web', AFTER, { stepId: 'web#6' })).toEqual({ ok: true, state: AFTER });
    expect(driver.ops()).toEqual([
      'selectOrCreate',
      'setConfig',
      'exportStack',
      'up',
      'outputs',
      'exportStack',
      'refresh',
      'up',
    ]);
  });

  it('whose refresh meets a live lock waits for it like any held lock', async () => {
    const { driver, deployer, clock } = setup();
    driver.pending.set('web', [{ type: 'creating', resource: { urn: 'urn:x' } }]);
    driver.failures.refresh = [new StackBusyError('web', [FOREIGN])];
    expect(await deployer.apply('web', AFTER)).toEqual({ ok: true, state: AFTER });
    expect(driver.ops()).toEqual(['selectOrCreate', 'setConfig', 'exportStack', 'refresh', 'up']);
    expect(clock.now() - T0).toBe(5_000);
  });

  it('known to be our own can be cleared explicitly: recover() cancels and refreshes', async () => {
    const { driver, deployer } = setup();
    await deployer.recover('web');
    expect(driver.calls).toEqual([
      ['selectOrCreate', 'web'],
      ['cancel', 'web'],
      [
        'refresh',
        'web',
        { clearPendingCreates: true, message: 'shadowcast recover (after an interrupted update)' },
      ],
    ]);
  });
});

describe('the CLI', () => {
  let dir: string | undefined;
  const path = process.env.PATH;
  afterEach(async () => {
    process.env.PATH = path;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = async (options: Partial<PulumiDeployerOptions>) => {
    dir = await mkdtemp(join(tmpdir(), 'shadowcast-nocli-'));
    await mkdir(join(dir, 'bin'));
    process.env.PATH = join(dir, 'bin');
    const deployer = new PulumiDeployer({
      program: { projectName: 'shadowcast', program: async () => ({}) },
      stateDir: join(dir, 'state'),
      ...options,
    });
    return deployer.current('web').catch((e: unknown) => e);
  };

  // The real Automation driver: PulumiCommand.get finds no CLI, whatever this machine has.
  it.each([
    [
      'not on PATH',
      {},
      "the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/iac/download-install/) or set the deployer's cliRoot setting to its installation directory",
    ],
    [
      'not at cliRoot',
      { cliRoot: '/nonexistent/pulumi' },
      "the pulumi CLI is not at /nonexistent/pulumi/bin/pulumi; install it there or change the deployer's cliRoot setting",
    ],
  ])('%s is a DependencyError with one line saying what to do', async (_what, options, message) => {
    const err = await run(options);
    expect(err).toBeInstanceOf(DependencyError);
    expect((err as Error).message).toBe(message);
  });

  it('that cannot be executed is a DependencyError too', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shadowcast-nocli-'));
    await writeFile(join(dir, 'pulumi'), '#!/bin/sh\n', { mode: 0o644 });
    process.env.PATH = dir;
    const err = await new PulumiDeployer({
      program: { projectName: 'shadowcast', program: async () => ({}) },
      stateDir: join(dir, 'state'),
    })
      .current('web')
      .catch((e: unknown) => e);
    expect(err).toEqual(
      new DependencyError(
        "the pulumi CLI at the first pulumi on PATH cannot be executed (EACCES); fix its permissions or set the deployer's cliRoot setting",
      ),
    );
  });
});

describe('applies', () => {
  it('is the fake default: outputs follow the config', async () => {
    const driver = new FakeDriver();
    driver.config.set('web', { 'shadowcast:desired': desiredConfig(AFTER) });
    expect((await applies()('web', { message: 'm' }, driver)).outputs).toEqual({
      desired: { pools: { web: AFTER } },
      target: 'aws',
      pools: {},
    });
  });
});
