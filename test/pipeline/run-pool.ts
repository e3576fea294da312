// One pool's scheduled run in process (runPool), as `run --once` wires it: the simulated fleet in
// a state directory, forecast.json and plan.json written where `run` writes them, a fixed clock,
// a silent log. For tests of the run's own rules (stale samples, the migration-rate alert).

import { join } from 'node:path';
import pino from 'pino';
import { writePoolForecastFiles } from '../../src/cli/forecast.js';
import { writeAtomically } from '../../src/cli/output.js';
import { targetFor } from '../../src/deploy/targets.js';
import { Alerter } from '../../src/pipeline/alerts.js';
import { planFile } from '../../src/pipeline/plan-file.js';
import { type PoolRunReport, runPool } from '../../src/pipeline/pool-run.js';
import type { ForecastSpec } from '../../src/pipeline/spec.js';
import { RunMetrics } from '../../src/pipeline/telemetry.js';
import type { Policy } from '../../src/policy/types.js';

/** Runs `spec`'s pool once at `now` (the run's wall clock) on the simulated fleet kept in `stateDir`. */
export async function runPoolAt(
  stateDir: string,
  spec: ForecastSpec,
  policy: Policy,
  now: number,
): Promise<PoolRunReport> {
  const log = pino({ level: 'silent' });
  const metrics = new RunMetrics();
  return runPool(
    {
      runId: `run-${now}`,
      stateDir,
      targetName: 'sim',
      openTarget: (pool, p, plan) => targetFor('sim', { stateDir, pool, policy: p, plan }),
      log,
      metrics,
      alerter: new Alerter(log, metrics),
      outputs: {
        forecast: (pool, result) => writePoolForecastFiles(join(stateDir, 'forecasts', pool), result, pool),
        plan: async (pool, doc) => {
          const file = planFile(stateDir, pool);
          await writeAtomically([{ path: file, content: `${JSON.stringify(doc, null, 2)}\n` }]);
          return file;
        },
      },
      stop: new AbortController().signal,
      now: () => now,
    },
    spec,
    policy,
  );
}
