// plan, apply, rollback and history as users and bots run them: the built CLI as a child process
// (`npm test` builds first) on the simulated fleet kept in a temporary state directory.

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sameState } from '../../src/core/pool-state.js';
import type { MigrationHistory } from '../../src/pipeline/history.js';
import { until } from '../support/until.js';
import {
  apply,
  applyModePolicies,
  fleetFile,
  fleetState,
  migrationState,
  policies,
  POOL,
  root,
  runCli,
  START,
  STEPS,
} from '../../bench/migration-fixture.js';

const historyOf = async (dir: string): Promise<MigrationHistory[]> => {
  const r = await runCli(['history', '--state', dir, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout) as MigrationHistory[];
};

describe('apply, then history --format json', () => {
  it('prints exactly a JSON array of migrations with their steps', async () => {
    const dir = migrationState();
    const r = await apply(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/storefront-\d{8}T\d{6}Z-[0-9a-f]{4} {2}storefront {2}completed/);
    const migrations = await historyOf(dir);
    expect(Array.isArray(migrations)).toBe(true);
    expect(migrations).toHaveLength(1);
    const m = migrations[0]!;
    expect(Object.keys(m)).toEqual([
      'id',
      'pool',
      'outcome',
      'plan',
      'startedAt',
      'endedAt',
      'durationMs',
      'rollbackFailed',
      'lastGood',
      'alerts',
      'steps',
    ]);
    expect(m).toMatchObject({
      pool: POOL,
      outcome: 'completed',
      lastGood: START,
      alerts: [],
      rollbackFailed: false,
    });
    expect(m.plan).toEqual({
      at: '2023-05-01T00:00:00.000Z',
      key: expect.stringMatching(/^[0-9a-f]{16}$/),
      file: join(dir, 'plans', POOL, 'plan.json'),
    });
    expect(m.steps).toEqual(
      STEPS.map((s, i) => ({
        index: i + 1,
        id: s.id,
        kind: s.kind,
        status: 'passed',
        applied: 1,
        fleetUpdates: 1,
        durationMs: expect.any(Number),
      })),
    );
    expect(m.durationMs).toBe(Date.parse(m.endedAt!) - Date.parse(m.startedAt));
  });

  it('does not apply the same plan twice', async () => {
    const dir = migrationState();
    expect((await apply(dir)).code).toBe(0);
    const again = await apply(dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /storefront: this plan \(2023-05-01T00:00:00.000Z\) was applied by migration storefront-\S+; run `shadowcast plan` for a new one/,
    );
    expect(await historyOf(dir)).toHaveLength(1);
    expect(fleetFile(dir).updates).toHaveLength(4);
  });

  it('applies a rolled-back plan again only with --retry', async () => {
    const dir = migrationState();
    // The first update fails: nothing was added, so the pool is back where the plan started.
    expect((await apply(dir, '--inject', 'step=1:update-failure')).code).toBe(1);
    const refused = await apply(dir);
    expect(refused.code).toBe(0);
    expect(refused.stdout).toMatch(/was rolled back by migration .*pass --retry to apply it again/);
    const retried = await apply(dir, '--retry');
    expect(retried.code, retried.stderr).toBe(0);
    expect((await historyOf(dir)).map((m) => m.outcome)).toEqual(['rolled_back', 'completed']);
  });

  it('prints a table by default, with reasons and alerts', async () => {
    const dir = migrationState();
    await apply(dir, '--inject', 'step=2:update-failure');
    const r = await runCli(['history', '--state', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/storefront {2}rolled back {2}2023-05-01 00:00 to 2023-05-01 00:\d\d UTC/);
    expect(r.stdout).toMatch(
      /reason: step 2 \(storefront#2:warm\) failed: update failed: .*injected update-failure/,
    );
    expect(r.stdout).toMatch(
      /alert: storefront: rolled back to the last known-good routing, capacity kept \(primary 4, shadow 2, weights 1\/0\)/,
    );
    expect((await runCli(['history', '--state', join(dir, 'none')])).stdout).toMatch(/^no migrations in /);
  });
});

describe('rollback POOL', () => {
  it('takes a completed migration back to its last known-good state, once', async () => {
    const dir = migrationState();
    expect((await apply(dir)).code).toBe(0);
    const r = await runCli(['rollback', POOL, '--state', dir, '--policies', policies]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /storefront {2}rolled back .*\n.*\n {2}reason: manual rollback \(shadowcast rollback\) of a completed migration/,
    );
    expect(sameState(fleetState(dir), START)).toBe(true);
    const [m] = await historyOf(dir);
    expect(m).toMatchObject({ outcome: 'rolled_back', alerts: [] });
    const log = fleetFile(dir).updates;
    expect(log.at(-1)).toMatchObject({
      rollback: true,
      ok: true,
      stepId: `${m!.id}/rollback#1`,
      state: START,
    });
    const again = await runCli(['rollback', POOL, '--state', dir, '--policies', policies]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already at the last known-good state of migration/);
    expect(fleetFile(dir).updates).toHaveLength(log.length);
  });

  it('rolls back a migration a crash left unfinished, instead of resuming it', async () => {
    const dir = migrationState();
    expect((await apply(dir, '--inject', 'step=3:kill')).signal).toBe('SIGKILL');
    const r = await runCli(['rollback', POOL, '--state', dir, '--policies', policies]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/took over a stale lock/);
    expect(sameState(fleetState(dir), START)).toBe(true);
    expect((await historyOf(dir))[0]!.outcome).toBe('rolled_back');
  });

  it.each([
    [
      'a pool without a journal',
      ['rollback', POOL],
      /\/journal\/storefront\.jsonl: no migration of storefront in the journal/,
    ],
    [
      'a pool without a policy',
      ['rollback', 'nowhere'],
      /^shadowcast: nowhere: no policy in .*pools\/nowhere\.yaml\n$/,
    ],
  ])('exits 2 on %s', async (_, args, message) => {
    const dir = migrationState();
    const r = await runCli([...args, '--state', dir, '--policies', policies]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(['forecasts', 'plans']);
  });
});

describe('bad input: exit 2, one line, nothing changed', () => {
  const planOf = (dir: string) => join(dir, 'plans', POOL, 'plan.json');
  it.each([
    [
      '--inject step=0:kill',
      ['--inject', 'step=0:kill'],
      '--inject "step=0:kill": steps are numbered from 1',
    ],
    [
      '--inject step=1:explode',
      ['--inject', 'step=1:explode'],
      'unknown fault "explode"; expected one of update-failure, gate-failure, metrics-outage, slow-update, kill',
    ],
    ['--inject 2:kill', ['--inject', '2:kill'], '--inject "2:kill": expected step=N:FAULT'],
    [
      '--inject step=2:kill:later',
      ['--inject', 'step=2:kill:later'],
      'kill point "later": expected one of after-intent, mid-update, mid-update-engine, after-apply, mid-bake, mid-rollback',
    ],
    [
      '--inject step=2:slow-update:0.5',
      ['--inject', 'step=2:slow-update:0.5'],
      'factor "0.5" must be a number above 1',
    ],
    ['--inject step=9:kill', ['--inject', 'step=9:kill'], '--inject step=9:kill: the plan has 4 steps'],
    [
      '--lock-wait soon',
      ['--lock-wait', 'soon'],
      '--lock-wait "soon": expected a duration (30s, 5m, 1h) or 0',
    ],
    [
      '--target pulumi without --health',
      ['--target', 'pulumi', '--stack-template', 'Pulumi.example-aws.yaml'],
      '--target pulumi needs --health FILE (the gate metrics as a CSV of series <pool>:<metric>, timestamp, value)',
    ],
  ])('%s', async (_, flags, message) => {
    const dir = migrationState();
    const r = await apply(dir, ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'journal'))).toBe(false);
    expect(existsSync(join(dir, 'sim'))).toBe(false);
  });

  it('a gate fault on a step without a bake time', async () => {
    const dir = migrationState(500, 0);
    const r = await apply(dir, '--inject', 'step=2:gate-failure');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'shadowcast: --inject step=2:gate-failure: step 2 (warm) has no bake time, so no health gate runs\n',
    );
  });

  it('a plan.json that is not valid, naming file and line', async () => {
    const dir = migrationState();
    const text = readFileSync(planOf(dir), 'utf8').replace('"kind": "warm"', '"kind": "teleport"');
    writeFileSync(planOf(dir), text);
    const r = await apply(dir);
    expect(r.code).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('"storefront#2:warm"')) + 1;
    expect(r.stderr).toBe(
      `shadowcast: ${planOf(dir)}:${line}: steps[1].kind: expected one of provision, warm, shift, decommission\n`,
    );
  });

  it('a missing forecast for a simulated fleet still to be made', async () => {
    const dir = migrationState();
    rmSync(join(dir, 'forecasts'), { recursive: true });
    const r = await apply(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^shadowcast: .*forecasts\/storefront\/forecast\.json: missing: the simulated fleet serves the pool's forecast \(`shadowcast plan` writes it\)\n$/,
    );
    expect(readdirSync(dir)).toEqual(['plans']);
  });

  it('a missing plan', async () => {
    const r = await runCli([
      'apply',
      '--yes',
      '--state',
      join(migrationState(), 'empty'),
      '--policies',
      policies,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^shadowcast: no plans in .*empty\/plans: run `shadowcast plan` first\n$/);
  });

  it('apply without --yes when stdin is not a terminal: prints the plan, changes nothing', async () => {
    const dir = migrationState();
    const r = await runCli(['apply', '--state', dir, '--policies', policies]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/storefront: plan 2023-05-01T00:00:00.000Z .*4 steps\n# {2}kind/);
    expect(r.stderr).toBe(
      'shadowcast: apply changes the target: pass --yes (stdin is not a terminal to confirm on); nothing was changed\n',
    );
    expect(existsSync(join(dir, 'sim'))).toBe(false);
  });
});

/** Resolves once some process holds a pool lock under `dir`. */
async function lockTaken(dir: string): Promise<void> {
  const locks = join(dir, 'locks');
  await until(`a lock under ${locks}`, () => existsSync(locks) && readdirSync(locks).length > 0, 60_000, 25);
}

describe('two processes on one pool at once', () => {
  // A hook that takes 300 ms per step keeps each migration under its lock for over a second of
  // real time (the --lock-wait case below waits on the lock, not on timing).
  const slow = ['--checkpoint', 'sleep 0.3'];

  it('never update the pool concurrently: the second skips (exit 75) while the first migrates', async () => {
    const dir = migrationState();
    // Whichever takes the lock holds it in its first hook until the test releases it, which it
    // does only once the other has exited: they overlap however loaded the machine is.
    const release = join(dir, 'release');
    const hold = ['--checkpoint', `while [ ! -e '${release}' ]; do sleep 0.05; done`];
    const a = apply(dir, ...hold);
    const b = apply(dir, ...hold);
    const first = await Promise.race([a, b]);
    writeFileSync(release, '');
    const both = await Promise.all([a, b]);
    expect(first.code, first.stderr).toBe(75);
    expect(both.map((r) => r.code).sort()).toEqual([0, 75]);
    expect(first.stderr).toMatch(
      /^shadowcast: storefront: skipped: another migration holds its lock: pid \d+ on /m,
    );
    expect(await historyOf(dir)).toHaveLength(1);
    expect(fleetFile(dir).updates.map((u) => u.stepId.split('/')[1])).toEqual(STEPS.map((s) => s.id));
  });

  it('with --lock-wait, the second waits, then finds the plan applied; a rollback waits its turn too', async () => {
    const dir = migrationState();
    const [a, b, c] = await Promise.all([
      apply(dir, ...slow, '--lock-wait', '30s'),
      apply(dir, ...slow, '--lock-wait', '30s'),
      // Only once an apply holds the lock: a rollback that came first would find nothing to roll
      // back, and on a loaded machine the applies can take longer than any fixed head start.
      lockTaken(dir).then(() =>
        runCli(['rollback', POOL, '--state', dir, '--policies', policies, '--lock-wait', '30s']),
      ),
    ]);
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    const log = fleetFile(dir).updates;
    // Updates from different processes never overlap in real time.
    for (const x of log) {
      for (const y of log) {
        if (x.pid !== y.pid) expect(x.wallEnd <= y.wallStart || y.wallEnd <= x.wallStart).toBe(true);
      }
    }
    expect(new Set(log.map((u) => u.pid)).size).toBeGreaterThanOrEqual(2);
    const steps = log.filter((u) => !u.rollback).map((u) => u.stepId);
    expect(new Set(steps).size).toBe(steps.length);
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
  });
});

describe('plan', () => {
  it('plans the example pool, writes plan.json and its forecast, and apply takes it from there', async () => {
    const dir = join(migrationState(), 'fresh');
    const r = await runCli(['plan', '--pool', POOL, '--state', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^storefront: plan at 2023-05-01 00:00 UTC for --target sim \(policy mode recommend\)/,
    );
    expect(r.stdout).toMatch(
      /now: +primary 4, shadow 0, weights 1\/0 \(no sim state yet: sized for the load observed\)/,
    );
    expect(r.stdout).toContain('\npreview: not available for --target sim\n');
    const plan = JSON.parse(readFileSync(join(dir, 'plans', POOL, 'plan.json'), 'utf8'));
    expect(Object.keys(plan)).toEqual([
      'pool',
      'at',
      'mode',
      'intervalMs',
      'current',
      'desired',
      'reasons',
      'placements',
      'alerts',
      'steps',
      'nodes',
    ]);
    expect(plan.steps.map((s: { kind: string }) => s.kind)).toEqual(['provision', 'warm']);
    expect(existsSync(join(dir, 'forecasts', POOL, 'forecast.json'))).toBe(true);
    expect(existsSync(join(dir, 'sim'))).toBe(false);

    const applied = await runCli(['apply', '--yes', '--state', dir]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/storefront {2}completed/);

    // Planned again from what the target now has: nothing left to provision. The standby's data
    // was copied when the plan was made, over 15 min (standby.sync) of simulated time ago: one
    // step brings it in step, and nothing else.
    const again = await runCli(['plan', '--pool', POOL, '--state', dir, '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const [doc] = JSON.parse(again.stdout);
    expect(doc).toMatchObject({ pool: POOL, target: 'sim', preview: null });
    expect(doc.steps.map((s: { id: string; kind: string }) => [s.id, s.kind])).toEqual([
      [`${POOL}#1:sync`, 'warm'],
    ]);
    expect(doc.current.standby).toEqual({ 'storefront-p-3': 0 });
    expect(doc.current.standbySync['storefront-p-3']).toBe(Date.parse(plan.at));
  });

  it('exits 2 for --target pulumi without its stack template, before forecasting anything', async () => {
    const dir = join(migrationState(), 'fresh');
    const r = await runCli(['plan', '--target', 'pulumi', '--state', dir], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'shadowcast: --target pulumi needs --stack-template FILE: a Pulumi.<stack>.yaml with shadowcast:target and its settings (see Pulumi.example-aws.yaml)\n',
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('exits 3 for --target pulumi in mode apply where the pulumi CLI is not on PATH, with one line', async () => {
    // (In mode recommend, plan needs no CLI: test/cli/plan-pulumi.test.ts.)
    const state = migrationState();
    const dir = join(state, 'fresh-pulumi');
    const policies = applyModePolicies(state);
    const r = await runCli(
      [
        'plan',
        '--target',
        'pulumi',
        '--policies',
        policies,
        '--state',
        dir,
        '--stack-template',
        join(root, 'Pulumi.example-kubernetes.yaml'),
        '--health',
        join(dir, 'health.csv'),
      ],
      root,
      { PATH: '/nonexistent' },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^shadowcast: the pulumi CLI is not on PATH; install it .*\n$/);
  });
});

describe('policy mode', () => {
  it('keeps a pool in recommend mode off real targets, and lets the simulated fleet through', async () => {
    const { refuseInRecommendMode } = await import('../../src/cli/apply.js');
    const { builtinPolicy } = await import('../../src/policy/resolve.js');
    const policy = structuredClone(builtinPolicy().policy);
    expect(policy.mode).toBe('recommend');
    expect(() => refuseInRecommendMode('web', policy, 'sim', 'policies')).not.toThrow();
    expect(() => refuseInRecommendMode('web', policy, 'pulumi', 'policies')).toThrow(
      'web: policy mode is recommend, so --target pulumi changes nothing; set mode: apply in policies/pools/web.yaml to act',
    );
    policy.mode = 'apply';
    expect(() => refuseInRecommendMode('web', policy, 'pulumi', 'policies')).not.toThrow();
  });
});
