// The lock file removed while `apply` runs, through the built CLI (`npm test` builds first): a
// second `apply` must not take the live migration for a crashed one, and the first, having lost
// its lock, stops with one line and exit 1. A third `apply` then recovers the migration: it ends
// completed, never both rolled back and completed, and no step's update runs twice.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalFile, readJournal } from '../../src/deploy/journal.js';
import { lockFile } from '../../src/deploy/lock.js';
import { until } from '../support/until.js';
import { apply, fleetFile, migrationState, POOL, STEPS } from '../../bench/migration-fixture.js';

const intents = (dir: string) =>
  existsSync(journalFile(dir, POOL))
    ? readFileSync(journalFile(dir, POOL), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"step-intent"')).length
    : 0;

describe('apply whose lock file is removed mid-migration', () => {
  it('a runner that lost its lock stops before journaling more, and a second apply leaves its live migration alone', async () => {
    const dir = migrationState();
    const go = join(dir, 'go');
    // Each step's checkpoint hook waits for `go`: the first apply is held inside step 1.
    const first = apply(dir, '--checkpoint', `while [ ! -e '${go}' ]; do sleep 0.05; done`);
    await until('step 1 under way', () => intents(dir) === 1, 60_000, 25);
    rmSync(lockFile(dir, POOL));

    const second = await apply(dir);
    expect(second.code, second.stderr).toBe(75);
    expect(second.stderr).toMatch(
      new RegExp(
        `^shadowcast: note: ${POOL}: migration \\S+ is unfinished but not crashed: pid \\d+ on \\S+, which took it up, still runs`,
        'm',
      ),
    );
    expect(fleetFile(dir).updates.filter((u) => u.rollback)).toEqual([]);

    writeFileSync(go, '');
    const lost = await first;
    expect(lost.code, lost.stderr).toBe(1);
    expect(lost.stderr).toBe(
      `shadowcast: lost the lock on pool ${POOL} (its lock file ${lockFile(dir, POOL)} was removed); stopped in step 1 of 4, before journaling step-applied\n`,
    );

    const third = await apply(dir);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/was left unfinished; recovering it first/);
    const kinds = readJournal(journalFile(dir, POOL)).records.map((r) => r.kind);
    expect(kinds).toContain('migration-completed');
    expect(kinds).not.toContain('migration-rolled-back');
    const updates = fleetFile(dir).updates.map((u) => u.stepId.split('/')[1]);
    expect(new Set(updates).size).toBe(updates.length);
    expect(updates).toEqual(STEPS.map((s) => s.id));
  }, 120_000);
});
