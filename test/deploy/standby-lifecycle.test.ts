// A node's standby lifecycle on the simulated fleet, through the shipped planner and Executor, one
// scheduled run an hour as `run` makes them: a node whose failure probability passes the provision
// threshold gets a standby; once it holds at the transition threshold for the dwell time the node is
// switched out (drained, its standby serving its slot); the next run retires it, waits for the
// group's replacement and releases the standby. A switch whose drain or deregistration fails rolls
// back with the node in service again, and a node that fails outright is switched at once. Demand
// is served every minute throughout; none of it may be lost.

import { describe, expect, it } from 'vitest';
import type { PoolState } from '../../src/core/plan.js';
import { Executor, type MigrationResult } from '../../src/deploy/executor.js';
import { SimFleet, type FailureTraceEntry } from '../../src/deploy/sim/fleet.js';
import { ReplayClock } from '../../src/deploy/sim/clock.js';
import { SimHealthGate } from '../../src/deploy/sim/health.js';
import type { NodeRisk } from '../../src/plan/plan.js';
import { planRecord } from '../../src/pipeline/plan-file.js';
import { planOnce } from '../../src/pipeline/plan-once.js';
import { forecastOf, HOUR, MIN, T0, testPolicy } from '../plan/fixtures.js';

const DEMAND = 300;
const AT_RISK = 'web-p-2';

function world(failures: FailureTraceEntry[] = []) {
  const policy = testPolicy((p) => {
    p.capacity.unitsPerInstance = 100;
    p.capacity.minInstances = 4;
    p.capacity.maxInstances = 4;
    p.shadow.enabled = false;
  });
  let shortfall = 0;
  let minutes = 0;
  // eslint-disable-next-line prefer-const -- the clock serves through the fleet made after it
  let fleet!: SimFleet;
  const clock = new ReplayClock(T0, (t) => {
    shortfall += fleet.serve('web', t, DEMAND).shortfall;
    minutes++;
  });
  fleet = new SimFleet({
    clock,
    pools: {
      web: {
        initial: { primary: 4, shadow: 0, standby: {}, weights: { primary: 1, shadow: 0 } },
        unitsPerInstance: 100,
        provisionMs: 5 * MIN,
      },
    },
    updateJitter: 0,
    failures,
  });
  let serial = 0;
  const executor = new Executor({
    deployer: fleet,
    gate: new SimHealthGate(fleet, policy.migration.gates),
    clock,
    journal: { append: (r) => ({ v: 1, ...r }) },
    stepTimeoutMs: policy.migration.stepTimeoutMs,
    readiness: { ready: async (pool, gain) => fleet.serves(pool, gain, clock.now()) },
    newId: (pool) => `${pool}-${++serial}`,
  });
  /** One scheduled run: the at-risk node scored `score`, held at or above the transition for `heldMs`. */
  const run = async (score: number, heldMs = 0) => {
    const now = clock.now();
    const nodes: NodeRisk[] = fleet.nodes('web', now).map((id) => ({
      id,
      score: id === AT_RISK ? score : 0.05,
      criticality: 'normal',
      stateless: true,
      load: 0.25,
      aboveTransitionMs: id === AT_RISK ? heldMs : 0,
      belowReleaseMs: id === AT_RISK ? 0 : HOUR,
    }));
    const current = await fleet.current('web');
    const planned = planOnce(
      {
        pool: 'web',
        policy,
        forecast: forecastOf(now, HOUR, Array(48).fill(DEMAND)),
        observed: DEMAND,
        nodes,
        current,
        down: fleet.down('web', now),
      },
      clock,
    );
    const steps = planned.pool.steps;
    let result: MigrationResult | undefined;
    if (steps.length > 0) result = await executor.start('web', planRecord('web', now, current, steps));
    const next = Math.floor(clock.now() / HOUR) * HOUR + HOUR;
    await clock.sleep(next - clock.now());
    const { standbySync, ...state } = await fleet.current('web');
    return {
      steps: steps.map((s) => s.id.replace(/^web#\d+:/, '')),
      result,
      state,
      synced: standbySync ?? {},
    };
  };
  return { fleet, clock, run, lost: () => shortfall, minutes: () => minutes };
}

const state = (standby: Record<string, number>, retired?: string[]): PoolState => ({
  primary: 4,
  shadow: 0,
  standby,
  weights: { primary: 1, shadow: 0 },
  ...(retired ? { retired } : {}),
});

describe('standby lifecycle on the simulated fleet', () => {
  it('standby at 70 %, switched at 90 % after the dwell, retired and replaced, standby released', async () => {
    const w = world();
    expect(await w.run(0.3)).toMatchObject({ steps: [], state: state({}) });

    const provisioned = await w.run(0.75);
    expect(provisioned.steps).toEqual(['provision', 'warm']);
    expect(provisioned.result!.outcome).toBe('completed');
    expect(provisioned.state).toEqual(state({ [AT_RISK]: 0 }));
    expect(provisioned.synced).toEqual({ [AT_RISK]: T0 + HOUR }); // its first copy of the node's data

    // Above the transition threshold, but not yet for the dwell time: the node keeps serving, and
    // the standby's data, an hour old (sync every 15 min), is brought in step.
    const waiting = await w.run(0.93, 5 * MIN);
    expect(waiting).toMatchObject({ steps: ['sync'], state: state({ [AT_RISK]: 0 }) });
    expect(waiting.synced).toEqual({ [AT_RISK]: T0 + 2 * HOUR });

    const switched = await w.run(0.95, 65 * MIN);
    expect(switched.steps).toEqual([`switch-${AT_RISK}`]);
    expect(switched.result!.outcome).toBe('completed');
    expect(switched.state).toEqual(state({ [AT_RISK]: 1 }));
    expect(switched.synced).toEqual({ [AT_RISK]: T0 + 3 * HOUR }); // the hand-off takes the newest data

    const retired = await w.run(0.97, 125 * MIN);
    expect(retired.steps).toEqual(['retire', 'replace', 'decommission']);
    expect(retired.result!.outcome).toBe('completed');
    expect(retired.state).toEqual(state({}));

    // The node is gone for good, the group replaced it, the standby was paid for only while needed.
    const instances = w.fleet.instances('web');
    const node = instances.find((i) => i.id === AT_RISK)!;
    expect(node.removedAt).toBeGreaterThan(T0 + 4 * HOUR);
    expect(node.failedAt).toBeUndefined();
    const replacement = instances.find((i) => i.role === 'primary' && i.requestedAt === node.removedAt)!;
    expect(replacement.readyAt).toBeLessThan(T0 + 5 * HOUR);
    const standby = instances.find((i) => i.role === 'standby')!;
    expect(standby.standbyFor).toBe(AT_RISK);
    expect(standby.requestedAt).toBe(T0 + HOUR + 45_000); // the provision step's update
    expect(standby.removedAt).toBeGreaterThan(replacement.readyAt);
    expect(w.fleet.nodes('web', w.clock.now())).not.toContain(AT_RISK);

    expect(await w.run(0.05)).toMatchObject({ steps: [], state: state({}) });
    expect(w.minutes()).toBe(6 * 60);
    expect(w.lost()).toBe(0);
  });

  it.each([
    { what: 'drain', reason: `drain of ${AT_RISK} failed: eviction blocked by PodDisruptionBudget web` },
    { what: 'deregistration', reason: `deregistration of ${AT_RISK} failed: target still draining` },
  ])('a failed $what rolls the switch back: the node serves again, nothing lost', async ({ reason }) => {
    const w = world();
    await w.run(0.75);
    w.fleet.inject({ kind: 'failed-step', count: 1, stepId: new RegExp(`switch-${AT_RISK}$`), reason });
    const failed = await w.run(0.95, 65 * MIN);
    expect(failed.steps).toEqual([`switch-${AT_RISK}`]);
    expect(failed.result!.outcome).toBe('rolled_back');
    expect(failed.result!.reason).toContain(reason);
    expect(failed.state).toEqual(state({ [AT_RISK]: 0 }));
    expect(w.fleet.nodes('web', w.clock.now())).toContain(AT_RISK);
    // The next run switches it.
    const again = await w.run(0.95, 125 * MIN);
    expect(again.result!.outcome).toBe('completed');
    expect(again.state).toEqual(state({ [AT_RISK]: 1 }));
    expect(w.lost()).toBe(0);
  });

  it('a node with a standby that fails is switched at the next run, whatever its score', async () => {
    const w = world([{ at: T0 + HOUR + 30 * MIN, pool: 'web', instance: AT_RISK }]);
    await w.run(0.2);
    await w.run(0.75);
    // Failed: its slot is lost until the switch (the run after the crash).
    const switched = await w.run(0.75);
    expect(switched.steps).toEqual([`switch-${AT_RISK}`]);
    expect(switched.state).toEqual(state({ [AT_RISK]: 1 }));
    const lostBefore = w.lost();
    expect(lostBefore).toBeGreaterThan(0);
    const released = await w.run(0.05);
    expect(released.steps).toEqual(['retire', 'replace', 'decommission']);
    expect(released.state).toEqual(state({}));
    expect(w.lost()).toBe(lostBefore);
  });
});
