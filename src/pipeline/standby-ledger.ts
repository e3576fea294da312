// Each standby's lifecycle across runs, for the run report: when it was provisioned, last synced
// (its data brought in step with its node's), switched in (its node drained), its node retired,
// and when it was released, with the zone it went to. A
// run reads the pool's ledger (STATE/standbys/POOL.json), walks the states its migration applied
// (the journal's step-applied and rollback-done records, in order) and the state the target shows
// after it, and writes the ledger back. A standby released long ago is dropped: the ledger stays
// small however long the pool runs.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolState } from '../core/plan.js';
import type { JournalRecord } from '../deploy/journal.js';
import { writeFileAtomically } from '../deploy/sim/store.js';

/** One standby's life so far (epoch ms). */
export interface StandbyLife {
  node: string;
  /** The zone it went to, when the planner knew one. */
  zone?: string;
  provisionedAt: number;
  /** The time its data was last brought in step with its node's (the data is as of then). */
  syncedAt?: number;
  /** When its node was switched out (undone by a rolled-back switch). */
  switchedAt?: number;
  retiredAt?: number;
  releasedAt?: number;
  /** A switch rolled back: when, most recently. */
  switchRolledBackAt?: number;
}

/** Released standbys kept in the ledger, newest first, beyond those still live. */
export const KEEP_RELEASED = 20;

/** The ledger after these applied states, in time order; `zones` names where new standbys went. */
export function advanceLedger(
  before: readonly StandbyLife[],
  applied: readonly { at: number; state: PoolState }[],
  zones: Readonly<Record<string, string>> = {},
): StandbyLife[] {
  const out = before.map((l) => ({ ...l }));
  const live = (node: string) => out.find((l) => l.node === node && l.releasedAt === undefined);
  for (const { at, state } of applied) {
    const retired = new Set(state.retired ?? []);
    for (const [node, share] of Object.entries(state.standby)) {
      let l = live(node);
      if (!l) {
        l = { node, provisionedAt: at };
        const zone = zones[node] ?? state.standbyZones?.[node];
        if (zone !== undefined) l.zone = zone;
        out.push(l);
      }
      const synced = state.standbySync?.[node];
      if (synced !== undefined && synced > (l.syncedAt ?? -Infinity)) l.syncedAt = synced;
      if (share >= 1 && l.switchedAt === undefined) l.switchedAt = at;
      if (share < 1 && l.switchedAt !== undefined && l.retiredAt === undefined) {
        delete l.switchedAt;
        l.switchRolledBackAt = at;
      }
      if (retired.has(node) && l.retiredAt === undefined) l.retiredAt = at;
    }
    for (const l of out) {
      if (l.releasedAt === undefined && !Object.hasOwn(state.standby, l.node)) l.releasedAt = at;
    }
  }
  const released = out
    .filter((l) => l.releasedAt !== undefined)
    .sort((a, b) => b.releasedAt! - a.releasedAt!)
    .slice(0, KEEP_RELEASED);
  return [...out.filter((l) => l.releasedAt === undefined), ...released].sort(
    (a, b) => a.provisionedAt - b.provisionedAt || a.node.localeCompare(b.node),
  );
}

/** The states a migration's records say the pool was in, in order, on the executor's clock. */
export function appliedStates(records: readonly JournalRecord[]): { at: number; state: PoolState }[] {
  return records
    .filter((r) => (r.kind === 'step-applied' || r.kind === 'rollback-done') && r.state !== undefined)
    .map((r) => ({ at: Date.parse(r.at), state: r.state! }));
}

export function ledgerFile(stateDir: string, pool: string): string {
  return join(stateDir, 'standbys', `${pool}.json`);
}

/** The pool's ledger; empty when there is none yet, or when the file is not one (it is rebuilt). */
export function readLedger(stateDir: string, pool: string): StandbyLife[] {
  const file = ledgerFile(stateDir, pool);
  if (!existsSync(file)) return [];
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { standbys?: unknown };
    return Array.isArray(doc.standbys) ? (doc.standbys as StandbyLife[]).filter(isLife) : [];
  } catch {
    return [];
  }
}

export function writeLedger(stateDir: string, pool: string, ledger: readonly StandbyLife[]): void {
  mkdirSync(join(stateDir, 'standbys'), { recursive: true });
  writeFileAtomically(ledgerFile(stateDir, pool), `${JSON.stringify({ pool, standbys: ledger }, null, 2)}\n`);
}

function isLife(v: unknown): v is StandbyLife {
  const l = v as StandbyLife;
  return (
    typeof l === 'object' && l !== null && typeof l.node === 'string' && Number.isFinite(l.provisionedAt)
  );
}
