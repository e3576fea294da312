// `shadowcast history`: every migration in the state directory's journals (or one pool's), with
// outcome, steps, durations and reasons. --format json prints exactly one JSON array, a contract
// (README, "Deployer and journal"):
//   [{"id", "pool", "outcome": "completed" | "rolled_back" | "in_progress", "plan": {"at", "key", "file"},
//     "startedAt", "endedAt", "durationMs", "reason", "rollbackFailed", "lastGood", "alerts",
//     "steps": [{"index", "id", "kind", "status", "applied", "fleetUpdates", "durationMs", "reason"}]}]
// Notes (a torn last line ignored, the journal and the simulated fleet disagreeing) go to stderr.

import { history } from '../pipeline/history.js';
import { migrationBlock } from './migration-report.js';

export interface HistoryFlags {
  pool?: string;
  state: string;
  format: 'json' | 'table';
}

export async function historyCommand(flags: HistoryFlags): Promise<void> {
  const { migrations, notes } = await history(flags.state, flags.pool);
  for (const note of notes) process.stderr.write(`shadowcast: note: ${note}\n`);
  if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify(migrations)}\n`);
    return;
  }
  if (migrations.length === 0) {
    process.stdout.write(`no migrations${flags.pool ? ` of ${flags.pool}` : ''} in ${flags.state}/journal\n`);
    return;
  }
  process.stdout.write(`${migrations.map(migrationBlock).join('\n\n')}\n`);
}
