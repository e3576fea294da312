// What a journal says about each migration: its plan, outcome and steps (for `history`), and,
// for one that never finished, what recovery must do (resume or roll back). Pure: records in,
// statuses and decisions out.

import type { MigrationStep, PoolState } from '../core/plan.js';
import type { JournalRecord, PlanRecord, StepRef } from './journal.js';
import { sameState } from '../core/pool-state.js';
import type { ProcessId } from './process.js';

export type Outcome = 'completed' | 'rolled_back' | 'in_progress';

/** pending: not reached; started: intent journaled, update not known to have landed; applied: landed, not yet gated; passed: done; failed. */
export type StepStatus = 'pending' | 'started' | 'applied' | 'passed' | 'failed';

export interface StepSummary extends StepRef {
  status: StepStatus;
  /** How many times its update ran, by the journal's step-applied records. */
  applied: number;
  /** Update plus bake, from its intent to its gate (ms), once it has passed. */
  durationMs?: number;
  reason?: string;
}

export interface MigrationStatus {
  id: string;
  pool: string;
  plan: PlanRecord;
  steps: MigrationStep[];
  lastGood: PoolState;
  outcome: Outcome;
  /** A rollback was tried and failed (the migration stays in progress until one succeeds). */
  rollbackFailed: boolean;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  /** Why it rolled back (the failure, or "manual rollback"). */
  reason?: string;
  alerts: string[];
  stepSummaries: StepSummary[];
  /** Its records, in order. */
  records: JournalRecord[];
}

/** Every migration in these records (one pool's journal, or several), in the order they started. */
export function migrationsOf(records: readonly JournalRecord[]): MigrationStatus[] {
  const byId = new Map<string, MigrationStatus>();
  for (const r of records) {
    if (r.migration === undefined) continue;
    let m = byId.get(r.migration);
    if (!m) {
      if (r.kind !== 'migration-started' || !r.plan || !r.lastGood) continue;
      m = {
        id: r.migration,
        pool: r.pool,
        plan: r.plan,
        steps: scheduled(r.plan),
        lastGood: r.lastGood,
        outcome: 'in_progress',
        rollbackFailed: false,
        startedAt: r.at,
        alerts: [],
        stepSummaries: r.plan.steps.map((s, i) => ({
          index: i + 1,
          id: s.id,
          kind: s.kind,
          status: 'pending',
          applied: 0,
        })),
        records: [],
      };
      byId.set(r.migration, m);
    }
    m.records.push(r);
    apply(m, r);
  }
  return [...byId.values()];
}

function apply(m: MigrationStatus, r: JournalRecord): void {
  const s = r.step ? m.stepSummaries[r.step.index - 1] : undefined;
  switch (r.kind) {
    case 'step-intent':
      if (s) s.status = 'started';
      break;
    case 'step-applied':
      if (s) {
        s.status = 'applied';
        s.applied++;
      }
      break;
    case 'gate-passed':
      if (s) {
        s.status = 'passed';
        s.durationMs = stepDuration(m, r);
      }
      break;
    case 'step-failed':
      if (s) {
        s.status = 'failed';
        s.reason = r.reason;
      }
      break;
    case 'rollback-intent':
      // A rollback of a finished migration (`shadowcast rollback`) reopens it until it is done.
      m.outcome = 'in_progress';
      m.reason = r.reason;
      delete m.endedAt;
      delete m.durationMs;
      break;
    case 'rollback-failed':
      m.rollbackFailed = true;
      break;
    case 'rollback-done':
      m.rollbackFailed = false;
      break;
    case 'migration-completed':
    case 'migration-rolled-back':
      m.outcome = r.kind === 'migration-completed' ? 'completed' : 'rolled_back';
      if (r.kind === 'migration-rolled-back') m.reason = r.reason;
      m.endedAt = r.at;
      m.durationMs = Date.parse(r.at) - Date.parse(m.startedAt);
      break;
    case 'alert':
      if (r.reason) m.alerts.push(r.reason);
      break;
    case 'migration-paused':
      m.reason = r.reason;
      break;
    default:
      break;
  }
}

/** From the step's (latest) intent to this record. */
function stepDuration(m: MigrationStatus, r: JournalRecord): number | undefined {
  for (let i = m.records.length - 1; i >= 0; i--) {
    const x = m.records[i]!;
    if (x.kind === 'step-intent' && x.step?.index === r.step?.index)
      return Date.parse(r.at) - Date.parse(x.at);
  }
  return undefined;
}

/**
 * The process that took the migration up last (its newest record naming one: migration-started,
 * or the first record of a recovery or a rollback), with when it did (the record's time); none
 * once a pause says that process let it go.
 */
export function ownerOf(m: MigrationStatus): (ProcessId & { at: string }) | undefined {
  for (let i = m.records.length - 1; i >= 0; i--) {
    const r = m.records[i]!;
    if (r.kind === 'migration-paused') return undefined;
    if (r.pid !== undefined && r.host !== undefined) {
      return { pid: r.pid, host: r.host, startTime: r.startTime, at: r.at };
    }
  }
  return undefined;
}

/** The plan's steps at the times this migration runs them (moved by its delay). */
export function scheduled(plan: PlanRecord): MigrationStep[] {
  const delay = plan.delayMs ?? 0;
  return plan.steps.map((s) => ({ ...s, notBefore: s.notBefore + delay }));
}

/** What recovery does with an unfinished migration. */
export type Recovery =
  | {
      action: 'resume';
      /** 0-based index of the step to go on with. */
      from: number;
      /** apply: the step has not been started; finish: it landed, its readiness, hooks and gate remain. */
      phase: 'apply' | 'finish';
      /** The step's intent has no step-applied record, but the target shows its state: journal it as applied. */
      recordApplied: boolean;
      why: string;
    }
  | { action: 'rollback'; why: string };

/**
 * The rule: resume only when the pool is verifiably where the journal says the migration got
 * (`current` equals the state of its last step that landed, or its starting state before any
 * step); otherwise roll back to the last known-good state. A step whose intent was journaled is
 * never applied again: either the target shows it (it counts as applied) or the migration rolls back.
 */
export function recoveryFor(m: MigrationStatus, current: PoolState): Recovery {
  // A pause (a graceful stop between steps) changes nothing on the target: the record before it decides.
  const last = [...m.records].reverse().find((r) => r.kind !== 'alert' && r.kind !== 'migration-paused');
  if (!last) return { action: 'rollback', why: 'the journal has no record of how far it got' };
  const index = (last.step?.index ?? 0) - 1;
  const step = m.steps[index];
  const shows = (state: PoolState | undefined) => state !== undefined && sameState(current, state);
  switch (last.kind) {
    case 'migration-started':
      return shows(m.lastGood)
        ? { action: 'resume', from: 0, phase: 'apply', recordApplied: false, why: 'no step had started' }
        : { action: 'rollback', why: 'the pool is not in the state the migration started from' };
    case 'step-intent':
      return shows(step?.state)
        ? {
            action: 'resume',
            from: index,
            phase: 'finish',
            recordApplied: true,
            why: `step ${index + 1} was started and the target shows its state: it counts as applied`,
          }
        : {
            action: 'rollback',
            why: `step ${index + 1} was started but the target does not show its state (it is not applied twice)`,
          };
    case 'step-applied':
      return shows(step?.state)
        ? {
            action: 'resume',
            from: index,
            phase: 'finish',
            recordApplied: false,
            why: `step ${index + 1} was applied and the target still shows it; its gate remains`,
          }
        : {
            action: 'rollback',
            why: `step ${index + 1} was applied but the target no longer shows its state`,
          };
    case 'gate-passed':
      return shows(step?.state)
        ? {
            action: 'resume',
            from: index + 1,
            phase: 'apply',
            recordApplied: false,
            why: `step ${index + 1} had passed its gate and the target still shows it`,
          }
        : { action: 'rollback', why: `the target no longer shows step ${index + 1}'s state` };
    case 'step-failed':
      return {
        action: 'rollback',
        why: `step ${index + 1} had failed: ${last.reason ?? 'no reason recorded'}`,
      };
    default:
      return { action: 'rollback', why: `a rollback was under way (${last.reason ?? last.kind})` };
  }
}
