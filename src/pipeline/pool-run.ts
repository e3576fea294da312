// One pool's scheduled run: ingest → forecast → risk → plan → apply, and what the run loop
// watches on the way: the forecast's recent accuracy, alerts, telemetry, the run report's data.
// Metrics that vanish (the source unreachable, empty or stale) hold the last good capacity: the
// plan is made without a forecast, changes nothing, and an alert says why. The apply goes through
// the journaled executor under the pool's lock, so a run stopped or killed mid-migration is
// resumed or rolled back by the next one.

import { advanceLedger, appliedStates, readLedger, type StandbyLife, writeLedger } from './standby-ledger.js';
import type { Logger } from 'pino';
import { FakeClock } from '../core/clock.js';
import { DependencyError, describeError, exitCodeFor } from '../core/errors.js';
import type { PoolState } from '../core/plan.js';
import type { Series } from '../core/series.js';
import { type AccuracySummary } from '../forecast/accuracy.js';
import type { StepHooks } from '../deploy/hooks.js';
import { journalFile, type JournalRecord, readJournal } from '../deploy/journal.js';
import { migrationsOf } from '../deploy/migrations.js';
import type { Policy } from '../policy/types.js';
import { readPrevious, type ScoredAccuracy, scoreAccuracy } from './accuracy-file.js';
import type { Alert, Alerter, AlertKind } from './alerts.js';
import type { Fitter } from './fit-job.js';
import { type ForecastResult, NoSeriesError } from './forecast-pool.js';
import { applyPool, type PoolRun } from './migrate.js';
import type { NodeReport } from './node-risk.js';
import { scoreNodeRows } from './node-risk.js';
import { poolNodeRows } from './node-source.js';
import { type ModelInUse, riskModelForRun } from './risk-retrain.js';
import { type PlanFile, readPlanFile } from './plan-file.js';
import { planOnce } from './plan-once.js';
import { planDocument } from './plan-json.js';
import { planFrom, type PoolPlanResult } from './plan-pool.js';
import { forecastSpec } from './run.js';
import { signalLines } from './signal-report.js';
import { type ServiceGraphReport, serviceGraphOf, withPropagatedRisk } from './service-graph.js';
import { migrationRateAlert } from './rate-alert.js';
import { isLive } from '../metrics/sources.js';
import type { ForecastSpec } from './spec.js';
import type { TargetName, TargetOpener } from '../deploy/targets.js';
import type { MigrationOutcome, RunMetrics, RunResult } from './telemetry.js';

/** Where a run's files go; the command line decides their format (forecast.json and chart, plan.json). */
export interface RunOutputs {
  forecast(pool: string, result: ForecastResult): Promise<void>;
  /** Writes plan.json atomically; returns its path. */
  plan(pool: string, doc: Record<string, unknown>): Promise<string>;
}

export interface PoolRunContext {
  runId: string;
  stateDir: string;
  targetName: TargetName;
  openTarget: (pool: string, policy: Policy, plan?: PlanFile) => TargetOpener;
  log: Logger;
  metrics: RunMetrics;
  alerter: Alerter;
  outputs: RunOutputs;
  /** A graceful stop: no new pool starts, a migration pauses at its next step boundary. */
  stop: AbortSignal;
  /** The wall clock (a live source's "now"; run times). */
  now: () => number;
  /**
   * `run --once --at`: the run's time; the plan is made then, and a simulated fleet whose clock
   * is behind lives on to it first (serving its demand), as it would have between scheduled runs.
   */
  at?: number;
  /** Real time to wait for another process's pool lock (default 0: skip the pool, it is busy). */
  lockWaitMs?: number;
  /** Checkpoint and restore hooks around each step (apply's --checkpoint, --restore). */
  hooks?: StepHooks;
  hookTimeoutMs?: number;
  /** Where forecasts are fitted (default: this thread): worker threads let pools fit side by side. */
  fitter?: Fitter;
}

export type PoolStatus = 'ok' | 'held' | 'failed' | 'busy' | 'skipped' | 'stopped';

export interface MigrationReport {
  id?: string;
  outcome: MigrationOutcome;
  recovered: boolean;
  /** Why nothing ran, or how it ended. */
  message?: string;
  /** This migration's journal records, in order. */
  records: JournalRecord[];
}

export interface PoolRunReport {
  pool: string;
  status: PoolStatus;
  /** Exit code this pool asks for: 0, 1 (failed or rolled back), 2 (bad input), 3 (metrics unreachable), 75 (busy). */
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  error?: string;
  result?: ForecastResult;
  accuracy?: AccuracySummary;
  nodes: NodeReport[];
  /** The failure-risk model the nodes were scored with, and its retraining (when the spec has nodes). */
  riskModel?: Omit<ModelInUse, 'model'>;
  planned?: PoolPlanResult;
  planFile?: string;
  /** Why the plan was made as it was, beyond the planner's reasons (metrics vanished, recommend mode). */
  notes: string[];
  migration?: MigrationReport;
  /** The pool as the target shows it after the run. */
  actual?: PoolState;
  /** Each standby's lifecycle (provisioned, switched, retired, released) and zone, across runs. */
  standbys?: StandbyLife[];
  /** The service graph from traffic metrics and how the pool's risk spreads over it (spec `graph:`). */
  graph?: ServiceGraphReport;
  alerts: Alert[];
}

/** A live source's newest sample older than this many steps (and at least 15 min) counts as vanished. */
const STALE_STEPS = 3;
const STALE_MIN_MS = 15 * 60_000;

export async function runPool(
  ctx: PoolRunContext,
  spec: ForecastSpec,
  policy: Policy,
): Promise<PoolRunReport> {
  const pool = spec.pool;
  const log = ctx.log.child({ pool, run: ctx.runId });
  const report: PoolRunReport = {
    pool,
    status: 'ok',
    exitCode: 0,
    startedAt: ctx.now(),
    finishedAt: 0,
    nodes: [],
    notes: [],
    alerts: [],
  };
  const alert = (kind: AlertKind, message: string) => {
    const a: Alert = { at: ctx.now(), pool, kind, message, run: ctx.runId };
    report.alerts.push(a);
    ctx.alerter.raise(a);
  };
  log.info({ event: 'run-started' }, `${pool}: run started`);
  try {
    if (ctx.stop.aborted) {
      report.status = 'skipped';
      report.notes.push('stopping: the run did not start');
      return report;
    }
    const live = isLive(spec);
    const ingested = await ingest(ctx, spec, policy, live);
    if ('vanished' in ingested) {
      report.status = 'held';
      report.exitCode = ingested.exitCode;
      report.error = ingested.vanished;
      alert('metrics-missing', `${ingested.vanished}: holding the last good capacity`);
    } else {
      report.result = ingested.result;
      await ctx.outputs.forecast(pool, ingested.result);
      ctx.metrics.forecast(pool, ingested.result.forecast);
      report.accuracy = ingested.accuracy.save();
      ctx.metrics.accuracy(pool, report.accuracy);
      const drift = driftMessage(report.accuracy, policy);
      if (drift) alert('forecast-drift', drift);
      const signals = ingested.result.signals;
      for (const v of signals?.vanished ?? [])
        alert('signal-missing', `signal ${v.name} could not be read (${v.reason}): forecast without it`);
      for (const d of signals?.report?.dropped ?? [])
        if (d.vanished) alert('signal-missing', `signal ${d.name}: ${d.reason}`);
      if (signals) report.notes.push(...signalLines(signals, ingested.result.series.stepMs));
    }
    if (spec.nodes) {
      const rows = await poolNodeRows(spec, ctx.now());
      const inUse = await riskModelForRun(ctx.stateDir, pool, policy, rows, ctx.now(), spec.nodes.timezone);
      const { model, ...about } = inUse;
      report.riskModel = about;
      ctx.metrics.riskModel(pool, about);
      const attempt = inUse.retrained;
      if (attempt) {
        log.info(
          { event: 'risk-retrained', outcome: attempt.outcome, version: inUse.version },
          `${pool}: risk model retrained: ${attempt.outcome}: ${attempt.reason}`,
        );
        if (attempt.outcome === 'failed')
          alert('risk-model', `risk model retraining failed: ${attempt.reason}`);
      }
      report.nodes = scoreNodeRows(rows, spec.nodes, policy, model);
      ctx.metrics.nodes(pool, report.nodes);
    }
    report.graph = await serviceGraphOf(ctx.stateDir, spec, report.nodes, ctx.now());
    if (report.graph) {
      ctx.metrics.services(pool, report.graph);
      report.nodes = withPropagatedRisk(report.nodes, report.graph.services);
      for (const n of report.nodes) {
        if (n.ownScore === undefined) continue;
        report.notes.push(
          `${n.id}: failure probability ${n.score.toFixed(2)} propagated over the service graph (its own score ${n.ownScore.toFixed(2)}): planned for at ${n.score.toFixed(2)}`,
        );
      }
    }
    await planAndApply(ctx, spec, policy, report, alert, live, log);
  } catch (err) {
    report.status = 'failed';
    report.exitCode = exitCodeFor(err);
    report.error = describeError(err);
    alert('run-failed', `run failed: ${report.error}`);
  } finally {
    report.finishedAt = ctx.now();
    const seconds = (report.finishedAt - report.startedAt) / 1000;
    ctx.metrics.runFinished(pool, seconds, resultOf(report.status), report.finishedAt);
    log.info(
      { event: 'run-finished', status: report.status, seconds, exitCode: report.exitCode },
      `${pool}: run ${report.status} in ${seconds.toFixed(1)} s`,
    );
  }
  return report;
}

type Ingested = { result: ForecastResult; accuracy: ScoredAccuracy } | { vanished: string; exitCode: number };

/** The forecast, or why the demand metric counts as vanished (only a live source's data can vanish). */
async function ingest(
  ctx: PoolRunContext,
  spec: ForecastSpec,
  policy: Policy,
  live: boolean,
): Promise<Ingested> {
  const { forecast: previous, selection } = readPrevious(ctx.stateDir, spec.pool);
  // The previous forecast is scored once, on the series this run reads: before the fit when there
  // is a selection to reuse (a drifting forecast is not fitted again with the selection that
  // drifted: `auto` selects afresh), after it otherwise. The drift alert is raised by the caller.
  const scored: { accuracy?: ScoredAccuracy } = {};
  const score = (series: Series) =>
    (scored.accuracy ??= scoreAccuracy(ctx.stateDir, spec.pool, previous, series, policy));
  let result: ForecastResult;
  try {
    const drifted = (series: Series) => driftMessage(score(series).summary, policy);
    result = await forecastSpec(spec, policy, ctx.now(), selection, ctx.fitter, drifted);
  } catch (err) {
    if (live && (err instanceof DependencyError || err instanceof NoSeriesError)) {
      return { vanished: err.message, exitCode: 3 };
    }
    throw err;
  }
  if (live) {
    const s = result.series;
    const last = s.timestamps.at(-1)!;
    const limit = Math.max(STALE_STEPS * s.stepMs, STALE_MIN_MS);
    const age = ctx.now() - last;
    if (age > limit) {
      return {
        vanished: `the demand metric's newest sample is ${Math.ceil(age / 60_000)} min old (${new Date(last).toISOString()}); more than ${Math.round(limit / 60_000)} min counts as vanished`,
        exitCode: 3,
      };
    }
  }
  return { result, accuracy: score(result.series) };
}

async function planAndApply(
  ctx: PoolRunContext,
  spec: ForecastSpec,
  policy: Policy,
  report: PoolRunReport,
  alert: (kind: AlertKind, message: string) => void,
  live: boolean,
  log: Logger,
): Promise<void> {
  const pool = spec.pool;
  const opener = ctx.openTarget(pool, policy);
  const existing = await opener(false);
  let target: { current: PoolState; now: number; down: string[] } | undefined;
  if (existing) {
    try {
      if (ctx.at !== undefined) await existing.advanceTo?.(ctx.at);
      // A live run plans at the wall clock; a CSV replay at the data's end (or the fleet's clock,
      // if later); a run --at at its time.
      const now = ctx.at ?? (live ? ctx.now() : existing.clock.now());
      target = {
        current: await existing.deployer.current(pool),
        now,
        down: (await existing.down?.(pool)) ?? [],
      };
    } finally {
      await existing.close?.();
    }
  }
  const held = report.result === undefined;
  const planned = held
    ? holdPlan(pool, policy, target, ctx.now())
    : planFrom(pool, policy, report.result!, report.nodes, target, ctx.at);
  report.planned = planned;
  const pp = planned.planned.pool;
  for (const a of pp.alerts) if (!held) alert('plan', a);
  ctx.metrics.capacityOf(pool, 'planned', pp.desired);
  if (target) ctx.metrics.capacityOf(pool, 'actual', target.current);
  if (held && !target) {
    report.notes.push('no deploy target state yet and no demand metric: nothing to plan from');
    return;
  }
  const doc = planDocument(pool, policy, planned.planned, report.nodes);
  const file = await ctx.outputs.plan(pool, doc);
  report.planFile = file;
  if (ctx.targetName === 'pulumi' && policy.mode !== 'apply') {
    report.notes.push(`policy mode ${policy.mode}: planned only; set mode: apply to act`);
    return;
  }
  const plan = await readPlanFile(file);
  const open = ctx.openTarget(pool, policy, plan);
  const demand = report.result?.forecast;
  const run = await applyPool({
    stateDir: ctx.stateDir,
    pool,
    stepTimeoutMs: policy.migration.stepTimeoutMs,
    lockWaitMs: ctx.lockWaitMs ?? 0,
    stop: ctx.stop,
    hooks: ctx.hooks,
    hookTimeoutMs: ctx.hookTimeoutMs,
    plan,
    openTarget: async () => {
      const t = (await open(true))!;
      if (demand) t.serveDemand?.({ timestamps: demand.timestamps, values: Array.from(demand.mean) });
      return t;
    },
    onRecord: (r) =>
      log.info(
        { event: 'journal', kind: r.kind, migration: r.migration, step: r.step?.index },
        `${pool}: ${r.kind}${r.step ? ` step ${r.step.index} (${r.step.kind})` : ''}${r.reason ? `: ${r.reason}` : ''}`,
      ),
    onNote: (note) => log.warn({ event: 'note' }, note),
  });
  report.migration = migrationReport(ctx.stateDir, pool, run);
  const m = report.migration;
  ctx.metrics.migration(pool, m.outcome);
  if (run.kind === 'busy') {
    report.status = 'busy';
    report.exitCode = 75;
  } else if (run.kind === 'done') {
    for (const a of run.result.alerts) alert('rollback', a);
    if (m.outcome === 'in_progress' && ctx.stop.aborted) {
      report.status = 'stopped';
      report.notes.push(run.result.reason ?? 'stopped between steps');
    } else if (m.outcome !== 'completed') {
      report.status = 'failed';
      report.exitCode = 1;
      report.error = run.result.reason;
    }
    if (!run.recovered) rateAlert(ctx.stateDir, pool, policy, alert);
  }
  const after = await opener(false);
  if (after) {
    try {
      report.actual = await after.deployer.current(pool);
      ctx.metrics.capacityOf(pool, 'actual', report.actual);
      // Each standby's lifecycle: what the migration applied, then what the target shows now.
      const applied = [...appliedStates(m.records), { at: after.clock.now(), state: report.actual }];
      report.standbys = advanceLedger(readLedger(ctx.stateDir, pool), applied, pp.desired.standbyZones);
      writeLedger(ctx.stateDir, pool, report.standbys);
    } finally {
      await after.close?.();
    }
  }
  if (held && report.status === 'ok') report.status = 'held';
  if (ctx.targetName === 'sim' && m.records.length) {
    // plan.json's contract keeps the simulated apply's outcome beside the plan (docs/cli.md, "run").
    const a = appliedOf(m.records);
    await ctx.outputs.plan(pool, {
      ...doc,
      simulatedApply: {
        migration: m.id,
        outcome: m.outcome,
        applied: a.passed,
        rollbacks: a.rollbacks,
        updates: a.updates,
        start: new Date(a.start).toISOString(),
        end: new Date(a.end).toISOString(),
        alerts: report.alerts.filter((x) => x.kind === 'rollback').map((x) => x.message),
        final: report.actual ?? null,
      },
    });
  }
}

/** A migration's steps passed, rollbacks, updates and time span (on the target's clock), from its records. */
export function appliedOf(records: readonly JournalRecord[]) {
  const at = records.map((r) => Date.parse(r.at));
  const started = records.find((r) => r.kind === 'migration-started');
  return {
    steps: started?.plan?.steps.length ?? 0,
    passed: records.filter((r) => r.kind === 'gate-passed').length,
    rollbacks: records.filter((r) => r.kind === 'rollback-done').length,
    updates: records.filter(
      (r) =>
        (r.kind === 'step-applied' && !r.recovered) ||
        r.kind === 'rollback-done' ||
        r.kind === 'rollback-failed',
    ).length,
    start: Math.min(...at),
    end: Math.max(...at),
  };
}

/** Metrics vanished: a plan without a forecast or an observation holds the pool as it is. */
function holdPlan(
  pool: string,
  policy: Policy,
  target: { current: PoolState; now: number; down?: string[] } | undefined,
  now: number,
): PoolPlanResult {
  const current = target?.current ?? {
    primary: policy.capacity.minInstances,
    shadow: 0,
    standby: {},
    weights: { primary: 1, shadow: 0 },
  };
  const at = target?.now ?? now;
  // A down node's standby takes its slot whatever the demand metric does.
  const planned = planOnce(
    { pool, policy, observed: Number.NaN, nodes: [], current, down: target?.down },
    new FakeClock(at),
  );
  const series = { name: pool, timestamps: [], values: new Float64Array(), stepMs: 60_000 };
  const forecast = {
    timestamps: [],
    mean: new Float64Array(),
    lower: new Float64Array(),
    upper: new Float64Array(),
    level: policy.forecast.level,
  };
  return {
    result: { series, forecast, events: [], repairs: [], model: 'none' },
    nodes: [],
    planned,
    from: target ? 'target' : 'observed',
  };
}

function migrationReport(stateDir: string, pool: string, run: PoolRun): MigrationReport {
  if (run.kind === 'busy') {
    const h = run.holder;
    return {
      outcome: 'nothing',
      recovered: false,
      records: [],
      message: `busy: another process holds the pool's lock${h ? ` (pid ${h.pid} on ${h.host} since ${h.at})` : ''}`,
    };
  }
  if (run.kind === 'nothing')
    return { outcome: 'nothing', recovered: false, records: [], message: run.message };
  const r = run.result;
  const records = readJournal(journalFile(stateDir, pool)).records.filter((x) => x.migration === r.id);
  return {
    id: r.id,
    outcome: r.outcome,
    recovered: run.recovered,
    records,
    ...(r.reason ? { message: r.reason } : {}),
  };
}

/** More migrations started within the hour before the newest than the policy allows. */
function rateAlert(
  stateDir: string,
  pool: string,
  policy: Policy,
  alert: (kind: AlertKind, message: string) => void,
): void {
  const starts = migrationsOf(readJournal(journalFile(stateDir, pool)).records)
    .filter((m) => m.pool === pool)
    .map((m) => Date.parse(m.startedAt));
  const message = migrationRateAlert(starts, policy);
  if (message) alert('migration-rate', message);
}

function driftMessage(s: AccuracySummary, policy: Policy): string | undefined {
  const max = policy.forecast.maxErrorPercent;
  if (s.points < 3 || !(s.mape > max)) return undefined;
  const hours = Math.round(policy.forecast.errorWindowMs / 3_600_000);
  const coverage = Number.isFinite(s.coverage)
    ? `; ${Math.round(s.coverage * 100)}% of points inside the ${Math.round((s.level ?? 0) * 100)}% interval`
    : '';
  return `forecast drift: mean absolute error ${s.mape.toFixed(1)}% over the last ${hours} h (${s.points} points), above the policy's forecast.maxErrorPercent of ${max}%${coverage}`;
}

function resultOf(status: PoolStatus): RunResult {
  if (status === 'ok') return 'ok';
  if (status === 'busy') return 'busy';
  if (status === 'skipped' || status === 'stopped') return 'skipped';
  return 'failed';
}
