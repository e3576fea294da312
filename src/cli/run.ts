// `shadowcast run`: the main job. Scheduled (the default): every pool of this runner's shard on
// its policy's cron, /metrics served, JSON logs on stderr, until SIGTERM or SIGINT stops it at a
// step boundary. `--once`: every pool once, a summary on stdout, exit. `npm start` runs
// `run --once` on the embedded default (forecasts/ and policies/ here, state in .shadowcast/, the
// simulated fleet as the target).
//
// Each run writes, atomically: STATE/forecasts/POOL/forecast.{json,svg}, STATE/plans/POOL/plan.json
// (a contract: docs/cli.md, "run"), STATE/reports/RUN/{report.html,summary.md} (and latest.*), and
// with --once STATE/metrics.prom (the /metrics text, for a textfile collector).

import { describeStandbys } from '../report/format.js';
import { join, relative } from 'node:path';
import pino, { type Logger } from 'pino';
import { UsageError } from '../core/errors.js';
import type { PoolState } from '../core/plan.js';
import { loadPolicyDir } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { thresholdsFor } from '../risk/standby.js';
import { hookFrom } from '../deploy/hooks.js';
import { Alerter } from '../pipeline/alerts.js';
import { defaultFitWorkers, FitPool } from '../pipeline/fit-pool.js';
import { serveMetrics } from '../pipeline/metrics-server.js';
import type { NodeReport } from '../pipeline/node-risk.js';
import { planFile } from '../pipeline/plan-file.js';
import { appliedOf, type PoolRunReport, type RunOutputs } from '../pipeline/pool-run.js';
import { loadSpecs } from '../pipeline/run.js';
import { healthSourceFor } from '../metrics/sources.js';
import { parseShard, Runner, type RunRecord } from '../pipeline/runner.js';
import { type PulumiTargetFlags, type TargetName, targetFor } from '../deploy/targets.js';
import { RunMetrics } from '../pipeline/telemetry.js';
import { durationFlag } from './apply.js';
import { writePoolForecastFiles } from './forecast.js';
import { fmt, table, writeAtomically } from './output.js';
import { graphLine, writeRunReport } from './run-report.js';
import { RunFailed } from './run-failed.js';
import { spokenDuration } from '../core/time-format.js';

export interface RunFlags extends PulumiTargetFlags {
  once: boolean;
  /** With --once: the run's time (ISO-8601) instead of the wall clock's. */
  at?: string;
  immediately: boolean;
  specs: string;
  state: string;
  policies: string;
  pools?: string[];
  shard?: string;
  target: TargetName;
  metricsPort?: number;
  metricsHost: string;
  webhook?: string;
  logLevel?: string;
  lockWait: string;
  concurrency: number;
  report: boolean;
  keepReports: number;
  checkpoint?: string;
  restore?: string;
  hookTimeout: string;
}

export { RunFailed };

/** --at: an ISO-8601 time with a zone, and only for one run (a schedule runs on the wall clock). */
function runTime(text: string, once: boolean): number {
  if (!once) throw new UsageError('--at needs --once: the scheduled runner runs on the wall clock');
  const t = Date.parse(text);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text.trim()) || !Number.isFinite(t)) {
    throw new UsageError(`--at "${text}": expected an ISO-8601 time with its zone, like 2023-04-18T04:15Z`);
  }
  return t;
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  const at = flags.at === undefined ? undefined : runTime(flags.at, flags.once);
  const lockWaitMs = durationFlag('--lock-wait', flags.lockWait, true);
  const specs = await loadSpecs(flags.specs, flags.pools);
  if (specs.length === 0) throw new UsageError(`no forecast specs (*.yaml) in ${flags.specs}`);
  const set = await loadPolicyDir(flags.policies);
  if (set.errors.length > 0) throw set.errors[0]!;
  const unplanned = specs.filter((s) => !set.pools.has(s.pool)).map((s) => s.pool);
  // Every target is checked before anything runs: one that cannot be used fails at once (exit 2).
  const health = new Map<string, Awaited<ReturnType<typeof healthSourceFor>>>();
  for (const s of specs) {
    const policy = set.pools.get(s.pool)?.policy;
    if (!policy) continue;
    health.set(s.pool, await healthSourceFor(s));
    targetFor(flags.target, {
      stateDir: flags.state,
      pool: s.pool,
      policy,
      pulumi: flags,
      health: health.get(s.pool),
    });
  }
  const log = logger(flags);
  const metrics = new RunMetrics();
  const webhook = flags.webhook ?? process.env.SHADOWCAST_WEBHOOK_URL;
  const alerter = new Alerter(log, metrics, webhook ? { url: webhook } : undefined);
  const outputs: RunOutputs = {
    forecast: (pool, result) => writePoolForecastFiles(join(flags.state, 'forecasts', pool), result, pool),
    plan: async (pool, doc) => {
      const file = planFile(flags.state, pool);
      await writeAtomically([{ path: file, content: `${JSON.stringify(doc, null, 2)}\n` }]);
      return file;
    },
  };
  // Pools run side by side fit side by side, on worker threads (one a core at most).
  const fitWorkers = flags.concurrency > 1 ? Math.min(flags.concurrency, defaultFitWorkers()) : 0;
  const fitter = new FitPool(fitWorkers);
  const runner = new Runner({
    specs,
    policies: set.pools,
    shard,
    concurrency: flags.concurrency,
    context: {
      fitter,
      stateDir: flags.state,
      targetName: flags.target,
      openTarget: (pool: string, policy: Policy, plan) =>
        targetFor(flags.target, {
          stateDir: flags.state,
          pool,
          policy,
          plan,
          pulumi: flags,
          health: health.get(pool),
        }),
      log,
      metrics,
      alerter,
      outputs,
      now: at === undefined ? Date.now : () => at,
      ...(at === undefined ? {} : { at }),
      lockWaitMs,
      hooks: {
        ...(flags.checkpoint ? { checkpoint: hookFrom(flags.checkpoint) } : {}),
        ...(flags.restore ? { restore: hookFrom(flags.restore) } : {}),
      },
      hookTimeoutMs: durationFlag('--hook-timeout', flags.hookTimeout, false),
    },
    onRun: async (run) => {
      if (flags.report) {
        const files = await writeRunReport(flags.state, run, flags.target, set.pools, flags.keepReports);
        log.info({ event: 'report', run: run.runId, ...files }, `report: ${files.html}`);
      }
    },
  });
  if (runner.specs.length === 0 && !shard) {
    throw new UsageError(`no pool in ${flags.specs} has a policy in ${flags.policies}`);
  }
  if (runner.specs.length === 0) {
    // More shards than pools is a normal fleet (a runner per shard, pools added later): an empty
    // shard has nothing to do, which is success, not bad input.
    log.info(
      { event: 'empty-shard', shard: flags.shard },
      `--shard ${flags.shard}: none of the pools with a policy (${specs.map((s) => s.pool).join(', ')}) falls in this shard; nothing to do`,
    );
    if (flags.once) return;
  }
  for (const pool of unplanned) log.warn({ event: 'no-policy', pool }, `${pool}: no policy: not run`);
  const server =
    flags.metricsPort === undefined && flags.once
      ? undefined
      : await serveMetrics(metrics, flags.metricsPort ?? 9464, flags.metricsHost);
  if (server) log.info({ event: 'metrics', url: server.url }, `metrics at ${server.url}`);
  const stopped = onSignals(log, (signal) => runner.stop(signal));
  try {
    if (flags.once) {
      const run = await runner.once();
      await writeAtomically([{ path: join(flags.state, 'metrics.prom'), content: await metrics.text() }]);
      printSummary(run, set.pools, flags);
      const worst = Math.max(0, ...run.pools.map((p) => p.exitCode));
      if (worst) {
        const failed = run.pools.filter((p) => p.exitCode !== 0).length;
        throw new RunFailed(`${failed} of ${run.pools.length} pools did not finish cleanly`, worst);
      }
      return;
    }
    runner.start(flags.immediately);
    await stopped.promise;
  } finally {
    stopped.dispose();
    await runner.stop('exiting');
    await fitter.close();
    await alerter.flush();
    await server?.close();
  }
}

function logger(flags: RunFlags): Logger {
  // --once: the summary on stdout is what a person (or a CronJob's log) reads; logs only for warnings.
  const level = flags.logLevel ?? (flags.once ? 'warn' : 'info');
  return pino(
    { level, base: { service: 'shadowcast' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** SIGTERM or SIGINT: a graceful stop; a second one exits at once (the journal is consistent at any instant). */
function onSignals(log: Logger, stop: (signal: string) => Promise<void>) {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      log.error({ event: 'signal', signal }, `${signal} again: exiting now; the next run recovers`);
      process.exit(130);
    }
    log.warn(
      { event: 'signal', signal },
      `${signal}: stopping: no new runs; a migration under way pauses at its next step boundary`,
    );
    void stop(signal).then(resolve, resolve);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    promise,
    dispose: () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

// ---- The summary of `run --once` -----------------------------------------------------------------

function printSummary(
  run: RunRecord,
  policies: ReadonlyMap<string, { policy: Policy }>,
  flags: RunFlags,
): void {
  const rows: (string | number)[][] = [];
  for (const p of run.pools) {
    const r = p.result;
    if (!r || r.forecast.mean.length === 0) continue;
    const f = r.forecast;
    let peak = 0;
    for (let i = 1; i < f.upper.length; i++) if (f.upper[i]! > f.upper[peak]!) peak = i;
    rows.push([
      p.pool,
      r.model,
      r.series.values.length,
      f.mean.length,
      fmt(f.mean[peak]!),
      fmt(f.upper[peak]!),
      minute(f.timestamps[peak]!),
      r.events.length,
      relative(process.cwd(), join(flags.state, 'forecasts', p.pool, 'forecast.svg')),
    ]);
  }
  if (rows.length) {
    process.stdout.write(
      `${table(['pool', 'model', 'history', 'horizon', 'peak mean', 'peak upper', 'peak at (UTC)', 'events', 'chart'], rows)}\n`,
    );
  }
  for (const p of run.pools) {
    process.stdout.write(`\n${poolSummary(p, policies.get(p.pool)!.policy, flags)}\n`);
  }
  if (flags.report) {
    const dir = relative(process.cwd(), join(flags.state, 'reports', run.runId));
    process.stdout.write(
      `\nreport: ${join(dir, 'report.html')} (summary for a pull request: ${join(dir, 'summary.md')})\n`,
    );
  }
}

function poolSummary(p: PoolRunReport, policy: Policy, flags: RunFlags): string {
  const out: string[] = [];
  if (p.nodes.length) {
    out.push(
      `${p.pool}: node risk at ${minute(p.nodes[0]!.at)} UTC (${policy.risk.model === 'built-in' ? 'built-in model' : `model ${policy.risk.model}`}; standby at ${fmt(policy.standby.provision)}, switch at ${fmt(policy.standby.transition)} held ${spokenDuration(policy.standby.dwellMs)}, both lowered for critical work)`,
      table(
        ['node', 'score', 'blame metric', 'standby', 'thresholds', 'criticality', 'stateless'],
        p.nodes.map((n) => nodeRow(n, policy)),
        [0, 2, 3, 5],
      ),
      '',
    );
  }
  if (p.accuracy && p.accuracy.points > 0) {
    out.push(
      `${p.pool}: forecast accuracy over the last ${spokenDuration(policy.forecast.errorWindowMs)}: ${p.accuracy.mape.toFixed(1)}% mean absolute error on ${p.accuracy.points} points, ${Math.round(p.accuracy.coverage * 100)}% inside the interval`,
    );
  }
  if (p.graph) out.push(graphLine(p.pool, p.graph), '');
  const planned = p.planned?.planned;
  if (planned) {
    const pp = planned.pool;
    out.push(
      `${p.pool}: plan at ${minute(planned.plan.at)} UTC (next run in ${spokenDuration(planned.intervalMs)}, policy mode ${policy.mode})`,
      `  now:     ${state(pp.current)}`,
      `  desired: ${state(pp.desired)}`,
      '  reasons:',
      ...pp.reasons.map((r) => `    - ${r}`),
    );
    for (const [node, where] of Object.entries(pp.placements)) out.push(`  standby for ${node}: ${where}`);
    if (pp.steps.length) {
      out.push(
        '',
        table(
          ['#', 'kind', 'not before (UTC)', 'reason'],
          pp.steps.map((s, i) => [String(i + 1), s.kind, minute(s.notBefore), s.reason]),
          [1, 3],
        ),
      );
    } else out.push('  steps: none (the pool is already as it should be)');
  }
  for (const note of p.notes) out.push(`${p.pool}: ${note}`);
  const m = p.migration;
  if (m) {
    const target = flags.target === 'sim' ? 'simulated apply' : 'apply';
    if (m.outcome === 'nothing')
      out.push('', `${p.pool}: ${target}: ${(m.message ?? 'nothing to do').replace(`${p.pool}: `, '')}`);
    else {
      const a = appliedOf(m.records);
      out.push(
        '',
        `${p.pool}: ${target}: ${m.recovered ? 'recovered an unfinished migration: ' : ''}${a.passed} of ${a.steps} steps applied, ${a.rollbacks} rollback${a.rollbacks === 1 ? '' : 's'}, ${a.updates} stack update${a.updates === 1 ? '' : 's'}, ${spokenDuration(a.end - a.start)} on the ${flags.target === 'sim' ? 'simulated' : 'wall'} clock (${minute(a.start)} to ${minute(a.end)} UTC): ${m.outcome.replace('_', ' ')}`,
      );
    }
    if (p.actual) out.push(`  fleet after: ${state(p.actual)}`);
    if (flags.target === 'sim')
      out.push(`  simulated apply; policy mode ${policy.mode}: nothing real changed`);
    if (m.id) out.push(`  migration: ${m.id} (shadowcast history --pool ${p.pool})`);
  }
  for (const a of p.alerts) out.push(`  alert: ${a.message}`);
  if (p.error && p.status !== 'held') out.push(`${p.pool}: ${p.status}: ${p.error}`);
  if (p.planFile) out.push(`  plan: ${relative(process.cwd(), p.planFile)}`);
  return out.join('\n');
}

function nodeRow(n: NodeReport, policy: Policy): string[] {
  const th = thresholdsFor(policy.standby, n.criticality);
  return [
    n.id,
    n.score.toFixed(3),
    n.blame ?? '-',
    n.state,
    `${fmt(th.provision)} / ${fmt(th.transition)}`,
    n.criticality,
    n.stateless ? 'yes' : 'no',
  ];
}

function state(s: PoolState): string {
  const standby = describeStandbys(s);
  const sb = standby.length ? standby.join(', ') : 'none';
  return `primary ${s.primary}, shadow ${s.shadow}, standby ${sb}; weights primary ${fmt(s.weights.primary)} / shadow ${fmt(s.weights.shadow)}`;
}

function minute(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}
