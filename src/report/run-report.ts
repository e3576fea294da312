// The run report: what one run of shadowcast saw, decided and did, per pool: the forecast with
// its chart, the nodes' risk, the plan with its reasons and steps, the migration's journal on a
// timeline, the forecast's recent accuracy, and the run's alerts. Two renderings of one input:
// a self-contained HTML page (runReportHtml) and a markdown summary for a pull-request comment
// (runReportMarkdown). Pure: the caller gathers the data and decides where the text goes.
//
// This file holds the input type: the contract the run loop fills.

import type { HeldOutFigures } from '../risk/promote.js';
import type { CalendarEvent } from '../core/events.js';
import type { Forecast } from '../core/forecast.js';
import type { MigrationStep, PoolState } from '../core/plan.js';
import type { StandbyPolicy } from '../core/risk.js';
import type { Series } from '../core/series.js';
import type { JournalRecord } from '../deploy/journal.js';
import type { NodeReport } from '../pipeline/node-risk.js';
import type { StandbyLife } from '../pipeline/standby-ledger.js';

/** One run of shadowcast (`run --once`, or one tick of the scheduled run) across its pools. */
export interface RunReportInput {
  /** Shown in the title and the markdown heading, e.g. `run-20260105T080000Z`. */
  runId: string;
  /** Wall-clock start and end of the run (epoch ms). The report never reads the clock itself. */
  startedAt: number;
  finishedAt: number;
  mode: 'once' | 'scheduled';
  /** Where plans were applied: the simulated fleet, or Pulumi stacks. */
  target: 'sim' | 'pulumi';
  /** In the order the report shows them. */
  pools: PoolReportInput[];
  /**
   * Every alert the run raised, from any stage and pool (plan alerts, journal `alert` records,
   * drift, guardrails...): the header counts these and the alerts section lists them in order.
   * Per-pool sections also show their plan's own alerts and the journal's alert records.
   */
  alerts: RunAlert[];
}

export interface RunAlert {
  /** Epoch ms. */
  at: number;
  /** Absent for a run-wide alert. */
  pool?: string;
  /** Where it came from, in a word: `plan`, `migration`, `drift`, `guardrail`... */
  kind: string;
  message: string;
}

/**
 * ok: the pool's stages ran (a rolled-back migration is still `ok` here; its outcome shows in the
 * migration section); failed: a stage threw (`error` says why); skipped: nothing to do for it
 * (`error` may say why); busy: another runner held the pool's lock.
 */
export type PoolRunStatus = 'ok' | 'failed' | 'skipped' | 'busy';

/** One pool's part of the run. Every section is optional: what is absent says so in the report. */
export interface PoolReportInput {
  pool: string;
  status: PoolRunStatus;
  /** Why the pool failed (the error's message), was skipped, or who held its lock. */
  error?: string;
  /** Notes on stages that did not run, e.g. "no node metrics in the spec (nodes:): no node risk". */
  notes?: string[];
  /** Wall-clock time spent on this pool (ms). */
  durationMs: number;
  forecast?: ForecastReport;
  risk?: RiskReport;
  plan?: PlanReport;
  migration?: MigrationReport;
  accuracy?: AccuracyReport;
  /** Each standby's lifecycle across runs (src/pipeline/standby-ledger.ts): live ones and the recently released. */
  standbys?: StandbyLifeReport[];
}

/** One standby's lifecycle (epoch ms), as the ledger keeps it; absent times have not happened. */
export type StandbyLifeReport = StandbyLife;

/** The pool's forecast: a `ForecastResult` (src/pipeline/forecast-pool.ts) fits as it is. */
export interface ForecastReport {
  /** The history the model was fitted on; the chart draws its tail. */
  series: Series;
  /** Its `level` is the interval's nominal coverage. */
  forecast: Forecast;
  /** Calendar events; those inside the drawn window are shaded on the chart. */
  events: CalendarEvent[];
  /** The model that made it, e.g. `auto:mstl`. */
  model: string;
  /** Chart title; default "POOL — MODEL, 80% interval". */
  title?: string;
  /** Y-axis title, e.g. `requests/s`. */
  unit?: string;
}

/** Each node's risk now, and the thresholds it is held to. */
export interface RiskReport {
  /** As `scorePoolNodes` returns them (src/pipeline/node-risk.ts), in the order to show. */
  nodes: NodeReport[];
  /**
   * The pool policy's `standby`: gives each node's thresholds for its criticality, shown in the
   * table and used to highlight nodes. Without it, a node is highlighted by its standby state.
   */
  standby?: StandbyPolicy;
  /** The failure-risk model the nodes were scored with. */
  model?: RiskModelReport;
}

/** The risk model in use and its last retraining (see src/pipeline/risk-retrain.ts). */
export interface RiskModelReport {
  /** 12 hex digits of the SHA-256 of the model's JSON. */
  version: string;
  /** `built-in`, a model file, or `retrained from` one of them. */
  source: string;
  promotedAt?: number;
  /** Its figures on held-out nodes at its last retraining (src/risk/promote.ts). */
  heldOut?: HeldOutFigures;
  lastRetrain?: {
    at: number;
    outcome: string;
    reason: string;
  };
}

/**
 * The pool's plan: a `PoolPlan` (src/plan/plan.ts) spread in, with the plan's time and the policy
 * mode, e.g. `{ ...once.pool, at: once.plan.at, mode: policy.mode, intervalMs: once.intervalMs }`.
 */
export interface PlanReport {
  /** When the plan was made (the planner's clock, epoch ms). */
  at: number;
  /** The policy mode: `recommend` or `apply`. */
  mode: string;
  /** Until the next plan (ms), when known. */
  intervalMs?: number;
  current: PoolState;
  desired: PoolState;
  /** Why the desired state is what it is, in order. */
  reasons: string[];
  steps: MigrationStep[];
  /** Where each new standby goes, by node id. */
  placements?: Record<string, string>;
  alerts: string[];
}

/** What applying the plan did. */
export interface MigrationReport {
  /**
   * This run's journal records for the pool, in order (the executor's `onRecord`, a
   * `MemoryJournal`'s records, or the tail of STATE/journal/POOL.jsonl): drawn on the timeline and
   * listed below it. Empty when nothing was journaled.
   */
  records: JournalRecord[];
  /** Overrides the outcome read from the records (`completed`, `rolled back`, `in progress`). */
  outcome?: string;
  /** The migration's counts and span as the run summarises them (`appliedOf` in src/pipeline/pool-run.ts). */
  summary?: ApplySummary;
}

export interface ApplySummary {
  /** Steps applied and baked. */
  applied: number;
  rollbacks: number;
  /** Stack updates made, rollbacks included. */
  updates: number;
  /** On the executor's clock (epoch ms). */
  start: number;
  end: number;
  /** The pool as the apply left it. */
  final: PoolState;
  alerts?: string[];
}

/** The forecast drift monitor: how past forecasts of this pool compared with what happened. */
export interface AccuracyReport {
  /** The span checked, in words: "last 7 days", "2026-01-01 → 2026-01-08". */
  window: string;
  /** Mean absolute percentage error of the forecast mean, as a fraction (0.12 = 12%). */
  mape: number;
  /** Share of actual values inside the forecast interval, as a fraction. */
  coverage: number;
  /** The interval's nominal coverage, to read `coverage` against (0.8). */
  level?: number;
  /** MAPE above this (a fraction) is drift: the model needs attention. */
  threshold: number;
  /** How many forecast points were compared. */
  points?: number;
}
