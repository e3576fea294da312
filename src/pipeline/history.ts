// `history`: every migration in the state directory's journals, with its steps, outcome,
// durations and reasons. A step's `applied` is how many times its update ran: from the journal,
// and, where the simulated fleet is kept in the state directory, checked against the fleet's own
// update log (`fleetUpdates`), which knows of every update whether or not the journal caught it.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolState } from '../core/plan.js';
import { journalFile, readJournal } from '../deploy/journal.js';
import { migrationsOf, type Outcome, type StepStatus } from '../deploy/migrations.js';
import { type SimStoreFile, simStoreFile, type UpdateLogEntry } from '../deploy/sim/store.js';

export interface StepHistory {
  /** 1-based. */
  index: number;
  id: string;
  kind: string;
  status: StepStatus;
  applied: number;
  /** Updates of this step in the simulated fleet's log (when it is kept in the state directory). */
  fleetUpdates?: number;
  durationMs?: number;
  reason?: string;
}

/** The contract of `history --format json` (an array of these). */
export interface MigrationHistory {
  id: string;
  pool: string;
  outcome: Outcome;
  /** When the plan was made, its key, and its file. */
  plan: { at: string; key: string; file?: string };
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  reason?: string;
  /** The last rollback failed: the migration stays open until one succeeds. */
  rollbackFailed: boolean;
  lastGood: PoolState;
  alerts: string[];
  steps: StepHistory[];
}

export interface History {
  migrations: MigrationHistory[];
  /** Torn lines ignored, journal and fleet disagreeing. */
  notes: string[];
}

export async function history(stateDir: string, pool?: string): Promise<History> {
  const pools = pool ? [pool] : await journalPools(stateDir);
  const migrations: MigrationHistory[] = [];
  const notes: string[] = [];
  for (const p of pools) {
    const read = readJournal(journalFile(stateDir, p));
    notes.push(...read.notes);
    const log = await fleetLog(stateDir, p);
    for (const m of migrationsOf(read.records)) {
      const steps = m.stepSummaries.map((s): StepHistory => {
        const out: StepHistory = {
          index: s.index,
          id: s.id,
          kind: s.kind,
          status: s.status,
          applied: s.applied,
        };
        if (log) {
          out.fleetUpdates = log.filter((u) => !u.rollback && u.stepId === `${m.id}/${s.id}`).length;
          // A step recovered as applied because the target already showed its state (a warm step
          // killed before its update) ran no update: the fleet's count is the truth.
          if (out.fleetUpdates > s.applied) {
            notes.push(
              `${m.id} step ${s.index}: the simulated fleet ran its update ${out.fleetUpdates} times, the journal knows of ${s.applied}`,
            );
          }
        }
        if (s.durationMs !== undefined) out.durationMs = s.durationMs;
        if (s.reason !== undefined) out.reason = s.reason;
        return out;
      });
      migrations.push({
        id: m.id,
        pool: m.pool,
        outcome: m.outcome,
        plan: { at: m.plan.at, key: m.plan.key, ...(m.plan.file ? { file: m.plan.file } : {}) },
        startedAt: m.startedAt,
        ...(m.endedAt ? { endedAt: m.endedAt, durationMs: m.durationMs } : {}),
        ...(m.reason ? { reason: m.reason } : {}),
        rollbackFailed: m.rollbackFailed,
        lastGood: m.lastGood,
        alerts: m.alerts,
        steps,
      });
    }
  }
  migrations.sort(
    (a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.pool.localeCompare(b.pool),
  );
  return { migrations, notes };
}

async function journalPools(stateDir: string): Promise<string[]> {
  try {
    const names = await readdir(join(stateDir, 'journal'));
    return names
      .filter((n) => n.endsWith('.jsonl'))
      .map((n) => n.slice(0, -'.jsonl'.length))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The simulated fleet's update log, read without building the fleet; undefined when there is none. */
export async function fleetLog(stateDir: string, pool: string): Promise<UpdateLogEntry[] | undefined> {
  try {
    const data = JSON.parse(await readFile(simStoreFile(stateDir, pool), 'utf8')) as SimStoreFile;
    return Array.isArray(data.updates) ? data.updates : undefined;
  } catch {
    return undefined;
  }
}
