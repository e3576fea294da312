// Each run's record under STATE/reports/RUN/: run.json (what every pool did, for tools), and the
// same as STATE/reports/latest.json. Written atomically.

import { join } from 'node:path';
import type { Alerter } from '../schedule/alerts.js';
import type { RunRecord } from '../schedule/runner.js';
import type { TargetName } from '../schedule/targets.js';
import { writeAtomically } from './output.js';

export async function writeRunReport(
  stateDir: string,
  run: RunRecord,
  target: TargetName,
  _alerter: Alerter,
): Promise<{ json: string; html: string; markdown: string }> {
  const dir = join(stateDir, 'reports', run.runId);
  const json = join(dir, 'run.json');
  const doc = JSON.stringify(
    {
      run: run.runId,
      mode: run.mode,
      target,
      startedAt: new Date(run.startedAt).toISOString(),
      finishedAt: new Date(run.finishedAt).toISOString(),
      pools: run.pools.map((p) => ({
        pool: p.pool,
        status: p.status,
        exitCode: p.exitCode,
        error: p.error ?? null,
        plan: p.planFile ?? null,
        migration: p.migration ? { id: p.migration.id ?? null, outcome: p.migration.outcome } : null,
        alerts: p.alerts.map((a) => ({ kind: a.kind, message: a.message })),
      })),
    },
    null,
    2,
  );
  await writeAtomically([
    { path: json, content: `${doc}\n` },
    { path: join(stateDir, 'reports', 'latest.json'), content: `${doc}\n` },
  ]);
  return { json, html: join(dir, 'report.html'), markdown: join(dir, 'summary.md') };
}
