// The executor's safety paths, one behaviour at a time: the read-back after each forward step
// and after each rollback, the waits for capacity before traffic moves onto it, deadlines (on a
// simulated clock and on a wall clock with a real timer), a gate held to the pool's health
// before the step, the lock-lost and graceful-stop paths, resume after a crash, and the journal
// text users read in reports. A small scripted deployer stands in for the target: each update can
// be made to fail, throw or hang, and it reports its update under way as a real one does.

import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { PoolState } from '../../src/core/plan.js';
import type {
  ApplyOptions,
  ApplyResult,
  Clock,
  Deployer,
  GateBreach,
  GateResult,
  HealthGate,
} from '../../src/core/seams.js';
import { type CrashPoint, Executor, type ExecutorOptions, LockLostError } from '../../src/deploy/executor.js';
import { type JournalRecord, MemoryJournal } from '../../src/deploy/journal.js';
import { migrationsOf } from '../../src/deploy/migrations.js';
import { pool as s } from '../plan/fixtures.js';
import {
  executorHarness,
  MIN,
  passing,
  plan,
  STEPS,
  type StepOver,
  stepsOf,
  T0,
} from './executor-harness.js';

const UPDATE = 45_000;

/** How one scripted update goes instead of landing normally. */
type Script = (to: PoolState, o: ApplyOptions | undefined) => Promise<ApplyResult>;

/** An in-memory stack: an update reports itself started, takes UPDATE on the clock, lands, reports done. */
class Target implements Deployer {
  readonly applied: { stepId: string; at: number }[] = [];
  readonly rollbacks: { stepId: string; state: PoolState; at: number }[] = [];
  /** Scripted forward updates and rollbacks, in order; once empty, every update lands. */
  readonly applyScript: (Script | undefined)[] = [];
  readonly rollbackScript: (Script | undefined)[] = [];
  cancelled = 0;

  constructor(
    public state: PoolState,
    private readonly clock: Clock,
    private readonly updateMs = UPDATE,
  ) {}

  async current(): Promise<PoolState> {
    return structuredClone(this.state);
  }

  async apply(_pool: string, desired: PoolState, o?: ApplyOptions): Promise<ApplyResult> {
    this.applied.push({ stepId: o!.stepId!, at: this.clock.now() });
    return (this.applyScript.shift() ?? this.land)(desired, o);
  }

  async rollback(_pool: string, to: PoolState, o?: ApplyOptions): Promise<ApplyResult> {
    this.rollbacks.push({ stepId: o!.stepId!, state: to, at: this.clock.now() });
    return (this.rollbackScript.shift() ?? this.land)(to, o);
  }

  async cancel(): Promise<void> {
    this.cancelled++;
  }

  readonly land: Script = async (to, o) => {
    o?.onEvent?.({ at: this.clock.now(), pool: 'web', kind: 'update-started', message: 'started' });
    await this.clock.sleep(this.updateMs);
    this.state = structuredClone(to);
    o?.onEvent?.({ at: this.clock.now(), pool: 'web', kind: 'update-done', message: 'done' });
    return { ok: true, state: this.state };
  };
}

/** The update ends failed (nothing changed), with this reason or none. */
const fails =
  (reason?: string): Script =>
  async (_to, _o) => ({ ok: false, state: s(0), ...(reason === undefined ? {} : { reason }) });
/** The deployer throws. */
const throws =
  (message: string): Script =>
  async () => {
    throw new Error(message);
  };
/** The update never returns. */
const hangs: Script = () => new Promise<ApplyResult>(() => {});

/** Fails every gate from the `n`-th step on (counting intents journaled so far). */
const failingFrom = (records: JournalRecord[], n: number): HealthGate => ({
  check: async () =>
    records.filter((r) => r.kind === 'step-intent').length >= n
      ? { pass: false, reason: 'p99 high' }
      : { pass: true },
});

function setup(over: Partial<ExecutorOptions> = {}, start = s(4, 0), updateMs = UPDATE) {
  const clock = over.clock ?? new FakeClock(T0);
  const target = new Target(start, clock, updateMs);
  const { records, make, kinds } = executorHarness(target, clock, over);
  const of = (kind: string) => records.filter((r) => r.kind === kind);
  const at = (r: JournalRecord | undefined) => Date.parse(r!.at) - T0;
  return { clock, target, records, make, of, at, kinds };
}

describe('what the journal tells the people reading its report', () => {
  it('says how many steps a migration has, how long each update and bake took, and that all were applied', async () => {
    const { make, records, of } = setup();
    expect((await make().start('web', plan())).outcome).toBe('completed');
    expect(records[0]).toMatchObject({ kind: 'migration-started', reason: '4 steps' });
    expect(records.at(-1)).toMatchObject({ kind: 'migration-completed', reason: '4 steps applied' });
    expect(of('step-applied').map((r) => r.durationMs)).toEqual([UPDATE, UPDATE, UPDATE, UPDATE]);
    for (const r of of('gate-passed')) {
      expect(r).toMatchObject({ reason: 'healthy for 2 min', durationMs: 2 * MIN });
    }
  });

  it('names each bake in seconds under a minute and in minutes from one, and says when there was none', async () => {
    const steps = stepsOf(
      ['provision', s(4, 1), { bakeMs: 30_000 }],
      ['provision', s(4, 2), { bakeMs: MIN }],
      ['provision', s(4, 3), { bakeMs: 90_000 }],
      ['provision', s(4, 4), { bakeMs: 0 }],
    );
    const { make, of } = setup();
    expect((await make().start('web', plan(steps))).outcome).toBe('completed');
    expect(of('gate-passed').map((r) => [r.reason, r.durationMs])).toEqual([
      ['healthy for 30 s', 30_000],
      ['healthy for 1 min', MIN],
      ['healthy for 1.5 min', 90_000],
      ['no bake time: nothing to watch', 0],
    ]);
  });

  it('records how long a rollback took', async () => {
    const t = setup();
    const result = await t.make({ gate: failingFrom(t.records, 3) }).start('web', plan());
    expect(result.outcome).toBe('rolled_back');
    expect(t.of('rollback-done')).toEqual([expect.objectContaining({ attempt: 1, durationMs: UPDATE })]);
  });

  it('names a migration after its pool and start time when no id is given', async () => {
    const clock = new FakeClock(T0 + 1234);
    const target = new Target(s(4, 0), clock);
    const ex = new Executor({
      deployer: target,
      gate: passing,
      clock,
      journal: new MemoryJournal(),
      stepTimeoutMs: 15 * MIN,
    });
    const result = await ex.start('web', plan());
    expect(result.id).toMatch(/^web-20260105T080001Z-[0-9a-f]{4}$/);
    expect(target.applied[0]!.stepId).toBe(`${result.id}/web#1:provision`);
  });
});

describe('a forward step is verified, and a failed update never counts as applied', () => {
  it.each([
    ['fails with a reason', fails('quota exceeded'), 'update failed: quota exceeded'],
    ['fails without saying why', fails(), 'update failed: no reason given'],
    [
      'throws',
      throws('stack is locked by another update'),
      'update failed: web: stack is locked by another update',
    ],
  ])('an update that %s fails its step and rolls back', async (_, script, why) => {
    const { make, target, of } = setup();
    target.applyScript.push(script);
    const result = await make().start('web', plan());
    expect(result).toMatchObject({
      outcome: 'rolled_back',
      stepsPassed: 0,
      reason: `step 1 (web#1:provision) failed: ${why}`,
    });
    expect(of('step-applied')).toEqual([]);
    expect(of('step-failed')).toEqual([expect.objectContaining({ reason: why })]);
    expect(target.state).toEqual(s(4, 0));
  });
});

describe('traffic moves only onto capacity that serves', () => {
  it('a shift waits until the capacity it moves traffic onto is ready before updating', async () => {
    const asked: [string, number][] = [];
    const { make, clock, target } = setup(
      { readiness: { ready: async (_p, gain) => (asked.push([gain, clock.now() - T0]), asked.length >= 4) } },
      s(4, 2),
    );
    const result = await make().start('web', plan(stepsOf(['shift', s(4, 2, 0.5)])));
    expect(result.outcome).toBe('completed');
    expect(asked).toEqual([
      ['shadow', 0],
      ['shadow', MIN],
      ['shadow', 2 * MIN],
      ['shadow', 3 * MIN],
    ]);
    expect(target.applied.map((a) => a.at - T0)).toEqual([3 * MIN]);
  });

  it('a shift back onto the primary waits for the primary, judged from the step before it', async () => {
    const asked: string[] = [];
    const { make } = setup({ readiness: { ready: async (_p, gain) => (asked.push(gain), true) } }, s(4, 2));
    const steps = stepsOf(['shift', s(4, 2, 0.5)], ['shift', s(4, 2, 0.2)]);
    expect((await make().start('web', plan(steps))).outcome).toBe('completed');
    expect(asked).toEqual(['shadow', 'primary']);
  });

  it('a shift whose new capacity never serves fails at its deadline, not a poll later, without moving traffic', async () => {
    let polls = 0;
    const { make, target, of, at } = setup({ readiness: { ready: async () => (polls++, false) } }, s(4, 2));
    const result = await make().start('web', plan(stepsOf(['shift', s(4, 2, 0.5)])));
    expect(result).toMatchObject({
      outcome: 'rolled_back',
      reason:
        'step 1 (web#1:shift) failed: deadline: the shadow capacity it shifts onto was not serving within 15 min',
    });
    expect(target.applied).toEqual([]);
    // Asked at the intent and every minute after, up to and including the deadline.
    expect(polls).toBe(16);
    expect(at(of('step-failed')[0])).toBe(15 * MIN);
    expect(target.state).toEqual(s(4, 2));
  });
});

describe('a step is late only once past its deadline', () => {
  const one = (over: StepOver = {}) => plan(stepsOf(['provision', s(4, 2), over]));

  it('an update that ends exactly at the deadline passes; one that ends a moment later fails', async () => {
    const onTime = setup({ stepTimeoutMs: UPDATE });
    expect((await onTime.make().start('web', one({ bakeMs: 0 }))).outcome).toBe('completed');
    const late = setup({ stepTimeoutMs: UPDATE }, s(4, 0), UPDATE + 1);
    const result = await late.make().start('web', one({ bakeMs: 0 }));
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toBe(
      'step 1 (web#1:provision) failed: deadline: the update took 45 s; the step has run 45 s, past its 45 s',
    );
  });

  it('a bake that ends exactly at the deadline is gated; one that ends past it fails without a gate', async () => {
    let gates = 0;
    const gate: HealthGate = { check: async () => (gates++, { pass: true }) };
    const onTime = setup({ gate, stepTimeoutMs: UPDATE + 2 * MIN });
    expect((await onTime.make().start('web', one())).outcome).toBe('completed');
    expect(gates).toBe(1);
    const late = setup({ gate, stepTimeoutMs: UPDATE + 2 * MIN - 1 });
    const result = await late.make().start('web', one());
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toBe(
      'step 1 (web#1:provision) failed: deadline: the bake ended; the step has run 2.8 min, past its 2.7 min',
    );
    expect(gates).toBe(1);
  });

  it('a restore hook that ends exactly at the deadline passes', async () => {
    const t = setup({ hooks: { restore: () => t.clock.sleep(15 * MIN - UPDATE) } });
    expect((await t.make().start('web', one({ bakeMs: 0 }))).outcome).toBe('completed');
  });

  it('a checkpoint hook that runs past the deadline fails the step before its update', async () => {
    const timeouts: number[] = [];
    const t = setup({
      hooks: { checkpoint: (_p, ms) => (timeouts.push(ms), t.clock.sleep(16 * MIN)) },
    });
    const result = await t.make().start('web', one());
    expect(result.reason).toBe(
      'step 1 (web#1:provision) failed: deadline: the checkpoint hook finished; the step has run 16 min, past its 15 min',
    );
    expect(t.target.applied).toEqual([]);
    // On a simulated clock a hook gets its own real-time cap, the default minute.
    expect(timeouts).toEqual([MIN]);
  });

  it('with a real timer, a hook is given no longer than the step has left', async () => {
    const timeouts: [string, number][] = [];
    const hook = (p: { hook: string }, ms: number) => (timeouts.push([p.hook, ms]), Promise.resolve());
    const t = setup({
      hooks: { checkpoint: hook, restore: hook },
      hookTimeoutMs: 60 * MIN,
      // A timer that never fires: every call here beats its deadline.
      timer: () => new Promise(() => {}),
    });
    expect((await t.make().start('web', plan(stepsOf(['provision', s(4, 2)])))).outcome).toBe('completed');
    expect(timeouts).toEqual([
      ['checkpoint', 15 * MIN],
      ['restore', 15 * MIN - UPDATE],
    ]);
  });

  it('the mid-bake fault point falls halfway through the bake, and the gate watches the whole bake', async () => {
    const points: [CrashPoint, number][] = [];
    const windows: [number, number][] = [];
    const t = setup({
      crashPoint: (p) => void points.push([p, t.clock.now() - T0]),
      gate: { check: async (_p, a, b) => (windows.push([a - T0, b - T0]), { pass: true }) },
    });
    await t.make().start('web', plan(stepsOf(['provision', s(4, 2)])));
    expect(points.find(([p]) => p === 'mid-bake')).toEqual(['mid-bake', UPDATE + MIN]);
    expect(windows).toEqual([[UPDATE, UPDATE + 2 * MIN]]);
  });
});

describe('the fault points of an update', () => {
  it('"mid-update" is reached once per update, while the update is under way and before it lands', async () => {
    const seen: [CrashPoint, number | undefined, boolean][] = [];
    const t = setup({
      crashPoint: (p, step) => void seen.push([p, step?.index, t.target.state.shadow === 2]),
    });
    await t.make().start('web', plan(stepsOf(['provision', s(4, 2)])));
    expect(seen).toEqual([
      ['after-intent', 1, false],
      ['mid-update', 1, false],
      ['mid-update-engine', 1, false],
      ['after-apply', 1, true],
      ['mid-bake', 1, true],
    ]);
  });
});

describe('the health gate', () => {
  it('a gate that cannot be read fails the step', async () => {
    const { make } = setup({
      gate: {
        check: async () => {
          throw new Error('prometheus: connection refused');
        },
      },
    });
    const result = await make().start('web', plan());
    expect(result).toMatchObject({
      outcome: 'rolled_back',
      reason:
        'step 1 (web#1:provision) failed: health gate could not be read: prometheus: connection refused',
    });
  });

  it('a failure that names an empty list of thresholds fails the step (nothing to hold it to)', async () => {
    const failed: GateResult = { pass: false, reason: 'no samples in the window', breaches: [] };
    const { make } = setup({ gate: { check: async () => failed } });
    const result = await make().start('web', plan());
    expect(result).toMatchObject({
      outcome: 'rolled_back',
      reason: 'step 1 (web#1:provision) failed: health gate failed: no samples in the window',
      stepsPassed: 0,
    });
  });
});

// A gate failing on a threshold the pool already broke before the step does not fail the step,
// as long as the step left it no worse (within a tenth) on that same metric and bound.
describe('a step is held to the health the pool had before it', () => {
  const breach = (metric: string, bound: 'max' | 'min', limit: number, worst: number): GateBreach => ({
    metric,
    bound,
    limit,
    worst,
  });
  const failing = (...breaches: GateBreach[]): GateResult => ({
    pass: false,
    reason: breaches.map((b) => `${b.metric} ${b.worst}`).join(', '),
    breaches,
  });

  /** One step; the gate says `after` on the window after the bake and `before` on the span before the intent. */
  async function run(after: GateResult, before: GateResult) {
    let intentAt = Infinity;
    const t = setup({
      onRecord: (r) => {
        if (r.kind === 'step-intent') intentAt = Date.parse(r.at);
      },
      gate: { check: async (_p, _start, end) => (end <= intentAt ? before : after) },
    });
    const result = await t.make().start('web', plan(stepsOf(['provision', s(4, 2)])));
    return { result, passed: t.of('gate-passed')[0]?.reason };
  }

  const p99 = (worst: number) => breach('latency_p99_ms', 'max', 500, worst);
  const rps = (worst: number) => breach('throughput_rps', 'min', 1000, worst);

  it('a maximum broken before and at most a tenth higher after: the step stands', async () => {
    const { result, passed } = await run(failing(p99(2200)), failing(p99(2000)));
    expect(result.outcome).toBe('completed');
    expect(passed).toBe(
      'latency_p99_ms was already above its max 500 before the step (worst 2000) and is no worse after it (worst 2200)',
    );
    expect(result.alerts).toEqual([
      `web: step 1 (web#1:provision) went ahead on a pool already unhealthy: ${passed}`,
    ]);
  });

  it('a maximum more than a tenth higher after: rolled back', async () => {
    expect((await run(failing(p99(2201)), failing(p99(2000)))).result.outcome).toBe('rolled_back');
  });

  it('a minimum broken before and at most a tenth lower after: the step stands', async () => {
    const { result, passed } = await run(failing(rps(450)), failing(rps(500)));
    expect(result.outcome).toBe('completed');
    expect(passed).toBe(
      'throughput_rps was already below its min 1000 before the step (worst 500) and is no worse after it (worst 450)',
    );
  });

  it('a minimum more than a tenth lower after: rolled back', async () => {
    expect((await run(failing(rps(449)), failing(rps(500)))).result.outcome).toBe('rolled_back');
  });

  it('a breach of another metric before the step does not excuse this one', async () => {
    const before = failing(breach('error_rate', 'max', 0.01, 5000));
    expect((await run(failing(p99(900)), before)).result.outcome).toBe('rolled_back');
  });

  it('a metric below its minimum before and above its maximum after is a new breach', async () => {
    const band = (bound: 'max' | 'min', worst: number) =>
      breach('cpu_percent', bound, bound === 'max' ? 100 : 95, worst);
    expect((await run(failing(band('max', 101)), failing(band('min', 94)))).result.outcome).toBe(
      'rolled_back',
    );
  });

  it('says why for every threshold it excuses, one after another', async () => {
    const { result, passed } = await run(failing(p99(900), rps(500)), failing(p99(1000), rps(500)));
    expect(result.outcome).toBe('completed');
    expect(passed).toBe(
      'latency_p99_ms was already above its max 500 before the step (worst 1000) and is no worse after it (worst 900); ' +
        'throughput_rps was already below its min 1000 before the step (worst 500) and is no worse after it (worst 500)',
    );
  });
});

describe('rollback', () => {
  it('every failed attempt is journaled with why and alerted, and the migration stays open after the last', async () => {
    const t = setup();
    t.target.rollbackScript.push(fails('stack locked'), fails(), throws('connection reset'));
    const result = await t.make({ gate: failingFrom(t.records, 3) }).start('web', plan());
    const why = 'step 3 (web#3:shift) failed: health gate failed: p99 high';
    const problems = [
      'rollback update failed: stack locked',
      'rollback update failed: no reason given',
      'rollback update failed: web: connection reset',
    ];
    expect(t.of('rollback-failed').map((r) => [r.attempt, r.reason])).toEqual(
      problems.map((p, i) => [i + 1, p]),
    );
    const final = `rollback failed 3 times (${problems[2]}); the migration stays open: the next apply or rollback tries again`;
    expect(result).toMatchObject({ outcome: 'in_progress', reason: final });
    expect(result.alerts).toEqual([
      ...problems.map((p, i) => `web: rollback attempt ${i + 1} of 3 failed (${p}) after: ${why}`),
      `web: ${final}`,
    ]);
    expect(migrationsOf(t.records)[0]).toMatchObject({ outcome: 'in_progress', rollbackFailed: true });
  });

  /** Starts on 4 + 2 with a fifth of traffic on the shadow; the plan moves it off, then removes the shadow; step 2's gate fails. */
  function capacityFirst(ready: (gain: string) => boolean) {
    const polls: number[] = [];
    const t = setup(
      {
        readiness: {
          ready: async (_p, gain) => {
            if (gain === 'all') polls.push(t.clock.now());
            return ready(gain);
          },
        },
      },
      s(4, 2, 0.2),
    );
    const steps = stepsOf(['shift', s(4, 2, 0)], ['decommission', s(4, 0, 0)]);
    const go = () => t.make({ gate: failingFrom(t.records, 2) }).start('web', plan(steps));
    return { ...t, polls, go };
  }

  it('brings the capacity back, waits until it serves, and only then moves the traffic back', async () => {
    let allPolls = 0;
    const t = capacityFirst((gain) => gain !== 'all' || ++allPolls >= 3);
    const result = await t.go();
    expect(result.outcome).toBe('rolled_back');
    expect(t.target.rollbacks.map((r) => [r.stepId, r.state])).toEqual([
      ['web-1/rollback#1:capacity', s(4, 2, 0)],
      ['web-1/rollback#1', s(4, 2, 0.2)],
    ]);
    const [capacity, traffic] = t.target.rollbacks;
    // Polled once the capacity landed and every minute after; the traffic goes back at the third "ready".
    expect(t.polls.map((p) => p - capacity!.at)).toEqual([UPDATE, UPDATE + MIN, UPDATE + 2 * MIN]);
    expect(traffic!.at).toBe(t.polls[2]);
    expect(result.alerts).toEqual([
      expect.stringMatching(/^web: rolled back to the last known-good routing, capacity kept/),
    ]);
    expect(t.target.state).toEqual(s(4, 2, 0.2));
  });

  it('moves the traffic back anyway, with an alert, when the capacity never serves', async () => {
    const t = capacityFirst((gain) => gain !== 'all');
    const result = await t.go();
    expect(result.outcome).toBe('rolled_back');
    expect(result.alerts[0]).toBe(
      'web: rolling back without waiting any longer: deadline: the last known-good capacity was not serving within 15 min',
    );
    expect(t.target.rollbacks.map((r) => r.stepId)).toEqual([
      'web-1/rollback#1:capacity',
      'web-1/rollback#1',
    ]);
    expect(t.target.state).toEqual(s(4, 2, 0.2));
  });

  it('a capacity update that fails ends the attempt before any traffic moves', async () => {
    const t = capacityFirst(() => true);
    t.target.rollbackScript.push(fails('insufficient capacity in us-east-1a'), fails());
    const result = await t.go();
    expect(result.outcome).toBe('rolled_back');
    expect(t.of('rollback-failed').map((r) => r.reason)).toEqual([
      'capacity update failed: insufficient capacity in us-east-1a',
      'capacity update failed: no reason given',
    ]);
    expect(t.target.rollbacks.map((r) => r.stepId)).toEqual([
      'web-1/rollback#1:capacity',
      'web-1/rollback#2:capacity',
      'web-1/rollback#3:capacity',
      'web-1/rollback#3',
    ]);
  });
});

describe('a run that lost its lock acts no further', () => {
  it('one that lost it before its first record journals nothing and applies nothing', async () => {
    const { make, records, target } = setup({ lostLock: () => 'another run took the pool' });
    const err = await make()
      .start('web', plan())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect(String(err)).toBe(
      'LockLostError: lost the lock on pool web (another run took the pool); stopped before step 1',
    );
    expect(err).toMatchObject({ pool: 'web', migration: 'web-1' });
    expect(records).toEqual([]);
    expect(target.applied).toEqual([]);
  });

  it('one that lost it as its step failed does not roll back: the run that took the lock recovers it', async () => {
    const t = setup();
    const run = t
      .make({
        gate: failingFrom(t.records, 1),
        lostLock: () => (t.of('step-failed').length > 0 ? 'its lock file was removed' : undefined),
      })
      .start('web', plan());
    await expect(run).rejects.toThrow(
      'lost the lock on pool web (its lock file was removed); stopped before journaling rollback-intent',
    );
    expect(t.kinds().at(-1)).toBe('step-failed');
    expect(t.target.rollbacks).toEqual([]);
  });
});

describe('a graceful stop', () => {
  const spaced = () =>
    plan(
      stepsOf(
        ['provision', s(4, 2), { notBefore: T0 + 60 * MIN }],
        ['warm', s(4, 2), { notBefore: T0 + 120 * MIN }],
      ),
    );

  it('a stop that came before the wait for a step pauses at once, without waiting for the step', async () => {
    const stop = new AbortController();
    stop.abort('SIGTERM');
    const { make, clock, target, of, at } = setup({ stop: stop.signal });
    const result = await make().start('web', spaced());
    expect(result).toMatchObject({
      outcome: 'in_progress',
      reason: 'stopped before step 1 of 2 (SIGTERM): the next run resumes it',
    });
    expect(clock.now()).toBe(T0);
    expect(at(of('migration-paused')[0])).toBe(0);
    expect(target.applied).toEqual([]);
  });

  it('leaves no listener on the stop signal once its waits are over', async () => {
    const stop = new AbortController();
    const { make } = setup({ stop: stop.signal });
    expect((await make().start('web', spaced())).outcome).toBe('completed');
    expect(getEventListeners(stop.signal, 'abort')).toEqual([]);
  });
});

describe('resume after a crash never runs a step twice, nor leaves one half done', () => {
  class Crash extends Error {}
  const crashAt = (point: CrashPoint, index: number) => (p: CrashPoint, step?: { index: number }) => {
    if (p === point && step?.index === index) throw new Crash(`${point} ${index}`);
  };

  it('finishes the step a crash interrupted in its bake: its gate runs, then the rest', async () => {
    let gates = 0;
    const t = setup({ gate: { check: async () => (gates++, { pass: true }) } });
    await expect(t.make({ crashPoint: crashAt('mid-bake', 3) }).start('web', plan())).rejects.toThrow(Crash);
    expect(gates).toBe(2);
    const result = await t.make().recover(migrationsOf(t.records)[0]!);
    expect(result).toMatchObject({ outcome: 'completed', stepsPassed: 2 });
    expect(gates).toBe(4);
    expect(t.of('gate-passed').map((r) => r.step!.index)).toEqual([1, 2, 3, 4]);
    const m = migrationsOf(t.records)[0]!;
    expect(m.stepSummaries.map((x) => [x.status, x.applied])).toEqual([
      ['passed', 1],
      ['passed', 1],
      ['passed', 1],
      ['passed', 1],
    ]);
  });

  it('a step applied before the crash but no longer on the target is journaled failed, then rolled back', async () => {
    const t = setup();
    await expect(t.make({ crashPoint: crashAt('mid-bake', 3) }).start('web', plan())).rejects.toThrow(Crash);
    // Someone changed the routing while the run was down.
    t.target.state = s(4, 2, 0.3);
    const result = await t.make().recover(migrationsOf(t.records)[0]!);
    expect(result.outcome).toBe('rolled_back');
    const why = 'recovery after a crash: step 3 was applied but the target no longer shows its state';
    expect(result.reason).toBe(why);
    expect(t.of('step-failed')).toEqual([
      expect.objectContaining({ step: { index: 3, id: 'web#3:shift', kind: 'shift' }, reason: why }),
    ]);
    const m = migrationsOf(t.records)[0]!;
    expect(m.stepSummaries.map((x) => x.status)).toEqual(['passed', 'passed', 'failed', 'pending']);
    expect(t.target.applied.map((a) => a.stepId)).toEqual(STEPS.slice(0, 3).map((x) => `web-1/${x.id}`));
    expect(t.target.state).toEqual(s(4, 2));
  });
});

// With a wall clock, a call still running at the step's deadline is given up on then. Here the
// wall clock is vitest's fake one, so the deadlines fire in simulated time.
describe('on a wall clock with a real timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function wallClock(over: Partial<ExecutorOptions> = {}, start = s(4, 0)) {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const clock: Clock = {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    const timer = (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
      });
    return setup({ clock, timer, ...over }, start);
  }

  /** Fires the fake timers one by one until the migration settles; fails if it waits on nothing. */
  async function drive<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; !settled; i++) {
      if (i > 500) throw new Error('the migration is still waiting, with nothing left to fire');
      await vi.advanceTimersToNextTimerAsync();
    }
    return p;
  }

  it('a migration whose calls all beat their deadlines completes, and leaves no timer running', async () => {
    const t = wallClock();
    const result = await drive(t.make().start('web', plan(stepsOf(['provision', s(4, 2)]))));
    expect(result.outcome).toBe('completed');
    expect(t.at(t.of('gate-passed')[0])).toBe(UPDATE + 2 * MIN);
    // A deadline timer left behind would keep the process alive until it fired.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a health gate that never answers fails the step at its deadline; the update is cancelled', async () => {
    const t = wallClock({ gate: { check: () => new Promise<GateResult>(() => {}) } });
    const result = await drive(t.make().start('web', plan(stepsOf(['provision', s(4, 2)]))));
    expect(result).toMatchObject({
      outcome: 'rolled_back',
      reason:
        'step 1 (web#1:provision) failed: deadline: the health gate had not answered 15 min after the step started',
    });
    expect(t.at(t.of('step-failed')[0])).toBe(15 * MIN);
    expect(t.target.cancelled).toBe(1);
  });

  it('a rollback that never returns is given up on at its deadline and tried again', async () => {
    const t = wallClock();
    t.target.rollbackScript.push(hangs);
    const result = await drive(t.make({ gate: failingFrom(t.records, 3) }).start('web', plan()));
    expect(result.outcome).toBe('rolled_back');
    expect(t.of('rollback-failed')).toEqual([
      expect.objectContaining({
        attempt: 1,
        reason: 'deadline: the rollback update was still running 15 min after the step started',
      }),
    ]);
    const [first, second] = t.target.rollbacks;
    expect(second!.at - first!.at).toBe(15 * MIN + MIN);
    expect(t.of('rollback-done')).toEqual([expect.objectContaining({ attempt: 2, durationMs: UPDATE })]);
    expect(t.target.state).toEqual(s(4, 2));
  });

  it('a capacity update of a rollback that never returns is given up on at its deadline', async () => {
    const t = wallClock({ readiness: { ready: async () => true } }, s(4, 2, 0.2));
    t.target.rollbackScript.push(hangs);
    const steps = stepsOf(['shift', s(4, 2, 0)], ['decommission', s(4, 0, 0)]);
    const result = await drive(t.make({ gate: failingFrom(t.records, 2) }).start('web', plan(steps)));
    expect(result.outcome).toBe('rolled_back');
    expect(t.of('rollback-failed').map((r) => r.reason)).toEqual([
      'deadline: the capacity update was still running 15 min after the step started',
    ]);
    expect(t.target.state).toEqual(s(4, 2, 0.2));
  });
});
