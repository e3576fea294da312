// Shared set-up for the executor's tests: a fixed start, steps of one pool `web`, and an
// executor over a given in-memory target with a memory journal and a gate that always passes.

import type { Clock, Deployer, GateResult, HealthGate } from '../../src/core/seams.js';
import type { MigrationStep, PoolState } from '../../src/core/plan.js';
import { Executor, type ExecutorOptions } from '../../src/deploy/executor.js';
import { type JournalRecord, MemoryJournal, type PlanRecord } from '../../src/deploy/journal.js';
import { pool } from '../plan/fixtures.js';

export const T0 = Date.UTC(2026, 0, 5, 8);
export const MIN = 60_000;

export type StepOver = Partial<Pick<MigrationStep, 'bakeMs' | 'notBefore'>>;

/** Steps `web#1:<kind>`, … of pool `web`, due at T0, each baking 2 minutes unless `over` says. */
export function stepsOf(...list: [MigrationStep['kind'], PoolState, StepOver?][]): MigrationStep[] {
  return list.map(([kind, state, over], i) => ({
    id: `web#${i + 1}:${kind}`,
    pool: 'web',
    kind,
    subject: { what: kind === 'shift' ? 'route' : kind === 'warm' ? 'ready' : kind },
    state,
    notBefore: T0,
    bakeMs: 2 * MIN,
    reason: `step ${i + 1}`,
    ...over,
  }));
}

/** Four steps: two shadow instances provisioned, warmed, then 10 % and 20 % of traffic shifted. */
export const STEPS = stepsOf(
  ['provision', pool(4, 2)],
  ['warm', pool(4, 2)],
  ['shift', pool(4, 2, 0.1)],
  ['shift', pool(4, 2, 0.2)],
);

/** A plan journaled at T0 with `steps` (STEPS unless given). */
export const plan = (steps: MigrationStep[] = STEPS): PlanRecord => ({
  at: new Date(T0).toISOString(),
  key: 'k',
  steps,
});

export const passing: HealthGate = { check: async (): Promise<GateResult> => ({ pass: true }) };

/**
 * Executors over `target` on `clock`, journaling into one memory journal (ids web-1, web-2, …,
 * a 15-minute step timeout, the always-passing gate): `over` applies to every executor `make`
 * builds, its own argument to that one.
 */
export function executorHarness(target: Deployer, clock: Clock, over: Partial<ExecutorOptions> = {}) {
  const journal = new MemoryJournal();
  const records: JournalRecord[] = journal.records;
  let n = 0;
  const make = (o: Partial<ExecutorOptions> = {}) =>
    new Executor({
      deployer: target,
      gate: passing,
      clock,
      journal,
      stepTimeoutMs: 15 * MIN,
      newId: () => `web-${++n}`,
      ...over,
      ...o,
    });
  return { journal, records, make, kinds: () => records.map((r) => r.kind) };
}
