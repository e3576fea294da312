// Run reports are pruned to the newest `--keep-reports`, and the run just written is always among
// them: two runs in the same second differ only by a random suffix, so where a name sorts says
// nothing about which came last.

import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRunReport } from '../../src/cli/run-report.js';
import type { RunRecord } from '../../src/pipeline/runner.js';

const T = Date.UTC(2026, 11, 5, 9, 9, 9);
const run = (runId: string, at = T): RunRecord => ({
  runId,
  mode: 'once',
  startedAt: at,
  finishedAt: at + 500,
  pools: [],
});

describe('run report pruning', () => {
  it('keeps the run just written even when an older run of the same second sorts after it', async () => {
    const state = mkdtempSync(join(tmpdir(), 'sc-prune-'));
    const runs = () => readdirSync(join(state, 'reports')).filter((n) => n.startsWith('run-'));
    await writeRunReport(state, run('run-20261205T090909Z-bbe2'), 'sim', new Map(), 1);
    await writeRunReport(state, run('run-20261205T090909Z-8fb1'), 'sim', new Map(), 1);
    expect(runs()).toEqual(['run-20261205T090909Z-8fb1']);
  });

  it('keeps the newest others beside it, oldest pruned first', async () => {
    const state = mkdtempSync(join(tmpdir(), 'sc-prune-'));
    const runs = () => readdirSync(join(state, 'reports')).filter((n) => n.startsWith('run-'));
    for (const [i, id] of [
      'run-20261205T090000Z-aaaa',
      'run-20261205T091000Z-aaaa',
      'run-20261205T092000Z-aaaa',
    ].entries()) {
      await writeRunReport(state, run(id, T + i * 600_000), 'sim', new Map(), 2);
    }
    expect(runs().sort()).toEqual(['run-20261205T091000Z-aaaa', 'run-20261205T092000Z-aaaa']);
  });
});
