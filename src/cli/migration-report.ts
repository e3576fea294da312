// Migrations and plans as `plan`, `apply`, `rollback` and `history` print them for a person:
// one block per migration (outcome, times, reason, a table of steps, alerts), and a plan's steps.

import type { MigrationStep } from '../core/plan.js';
import type { JournalRecord } from '../deploy/journal.js';
import { describeState } from '../core/pool-state.js';
import type { MigrationHistory } from '../pipeline/history.js';
import { table } from './output.js';
import { spokenDuration } from '../core/time-format.js';

export function migrationBlock(m: MigrationHistory): string {
  const when = m.endedAt
    ? `${minute(m.startedAt)} to ${minute(m.endedAt)} UTC (${spokenDuration(m.durationMs!)})`
    : `started ${minute(m.startedAt)} UTC`;
  const out = [
    `${m.id}  ${m.pool}  ${m.outcome.replace('_', ' ')}${m.rollbackFailed ? ' (rollback failed)' : ''}  ${when}`,
  ];
  out.push(
    `  plan ${m.plan.at}${m.plan.file ? ` (${m.plan.file})` : ''}; last known-good: ${describeState(m.lastGood)}`,
  );
  if (m.reason) out.push(`  reason: ${m.reason}`);
  if (m.steps.length > 0) {
    const fleet = m.steps.some((s) => s.fleetUpdates !== undefined);
    out.push(
      indent(
        table(
          ['#', 'step', 'kind', 'status', 'applied', ...(fleet ? ['fleet updates'] : []), 'took', 'reason'],
          m.steps.map((s) => [
            String(s.index),
            s.id,
            s.kind,
            s.status,
            String(s.applied),
            ...(fleet ? [String(s.fleetUpdates ?? '-')] : []),
            s.durationMs === undefined ? '-' : spokenDuration(s.durationMs),
            s.reason ?? '',
          ]),
          [1, 2, 3, fleet ? 7 : 6],
        ),
      ),
    );
  }
  for (const a of m.alerts) out.push(`  alert: ${a}`);
  return out.join('\n');
}

export function planSteps(steps: readonly MigrationStep[]): string {
  return table(
    ['#', 'kind', 'not before (UTC)', 'bake', 'state', 'reason'],
    steps.map((s, i) => [
      String(i + 1),
      s.kind,
      minute(new Date(s.notBefore).toISOString()),
      spokenDuration(s.bakeMs),
      describeState(s.state),
      s.reason,
    ]),
    [1, 4, 5],
  );
}

/** One line per journal record, for the progress display. */
export function progressLine(r: JournalRecord, steps: number): string {
  const step = r.step ? ` step ${r.step.index}/${steps} ${r.step.kind}` : '';
  return `[${r.pool}]${step}: ${r.kind}${r.reason && r.kind !== 'step-intent' ? `: ${r.reason}` : ''}`;
}

export function minute(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`.trimEnd())
    .join('\n');
}
