// The numbers the run report prints, derived once from its input so the HTML page and the
// markdown summary never disagree: overall status, forecast peak, nodes at risk, the migration's
// outcome as the journal reader sees it, drift.

import type { Forecast } from '../core/forecast.js';
import { type StandbyPolicy, thresholdsFor } from '../core/risk.js';
import { type MigrationStatus, migrationsOf } from '../deploy/migrations.js';
import type { NodeReport } from '../pipeline/node-risk.js';
import type {
  AccuracyReport,
  ForecastReport,
  MigrationReport,
  PoolRunStatus,
  RiskModelReport,
  RiskReport,
  RunReportInput,
} from './run-report.js';
import { utcMinute } from '../core/time-format.js';

export type RunStatus = 'ok' | 'failed' | 'partial';

/** failed: every pool failed; partial: some did; ok: none did. */
export function runStatus(input: RunReportInput): RunStatus {
  const failed = input.pools.filter((p) => p.status === 'failed').length;
  if (failed === 0) return 'ok';
  return failed === input.pools.length ? 'failed' : 'partial';
}

/** Pools per status, in a fixed order, leaving out statuses no pool has. */
export function statusCounts(input: RunReportInput): { status: PoolRunStatus; count: number }[] {
  const order: PoolRunStatus[] = ['ok', 'failed', 'busy', 'skipped'];
  return order
    .map((status) => ({ status, count: input.pools.filter((p) => p.status === status).length }))
    .filter((c) => c.count > 0);
}

export interface Peak {
  /** Index into the forecast. */
  index: number;
  at: number;
  mean: number;
  upper: number;
}

/** Where the forecast's upper bound is highest: what capacity is sized for. */
export function forecastPeak(f: Forecast): Peak | undefined {
  if (f.timestamps.length === 0) return undefined;
  let k = 0;
  for (let i = 1; i < f.upper.length; i++) if (f.upper[i]! > f.upper[k]!) k = i;
  return { index: k, at: f.timestamps[k]!, mean: f.mean[k]!, upper: f.upper[k]! };
}

/** How a node's score stands against its thresholds: `ok`, or the first threshold it reached. */
export type RiskLevel = 'ok' | 'provision' | 'transition';

export function nodeLevel(node: NodeReport, standby?: StandbyPolicy): RiskLevel {
  if (!standby) return node.state;
  const th = thresholdsFor(standby, node.criticality);
  if (node.score >= th.transition) return 'transition';
  return node.score >= th.provision ? 'provision' : 'ok';
}

export function nodeThresholds(node: NodeReport, standby?: StandbyPolicy) {
  return standby ? thresholdsFor(standby, node.criticality) : undefined;
}

/** Nodes at or above a threshold, riskiest first, and the riskiest node overall. */
export function riskSummary(risk: RiskReport): {
  atRisk: NodeReport[];
  riskiest?: NodeReport;
  total: number;
} {
  const byScore = [...risk.nodes].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return {
    atRisk: byScore.filter((n) => nodeLevel(n, risk.standby) !== 'ok'),
    riskiest: byScore[0],
    total: risk.nodes.length,
  };
}

export interface MigrationSummary {
  /** `completed`, `rolled back`, `in progress`, `rollback failed`, or the caller's override. */
  outcome: string;
  /** The migrations in the records (usually one), as the journal reader sees them. */
  migrations: MigrationStatus[];
  stepsPassed: number;
  steps: number;
  rollbacks: number;
  /** Why it rolled back. */
  reason?: string;
  /** From the first record to the last (ms). */
  durationMs?: number;
}

/** What the journal records say happened; undefined when there are none. */
export function migrationSummary(m: MigrationReport): MigrationSummary | undefined {
  if (m.records.length === 0) return undefined;
  const migrations = migrationsOf(m.records);
  const last = migrations.at(-1);
  const outcome =
    m.outcome ??
    (!last
      ? 'no migration'
      : last.rollbackFailed
        ? 'rollback failed'
        : last.outcome === 'rolled_back'
          ? 'rolled back'
          : last.outcome.replace('_', ' '));
  const times = m.records.map((r) => Date.parse(r.at)).filter(Number.isFinite);
  return {
    outcome,
    migrations,
    stepsPassed: sum(migrations.map((x) => x.stepSummaries.filter((s) => s.status === 'passed').length)),
    steps: sum(migrations.map((x) => x.steps.length)),
    rollbacks: m.records.filter((r) => r.kind === 'rollback-done').length,
    reason: last?.reason,
    durationMs: times.length ? Math.max(...times) - Math.min(...times) : undefined,
  };
}

/** MAPE above the threshold. */
export function drifted(a: AccuracyReport): boolean {
  return a.mape > a.threshold;
}

/** The chart's title when the caller gives none. */
export function chartTitle(pool: string, f: ForecastReport): string {
  return f.title ?? `${pool} — ${f.model}, ${Math.round(f.forecast.level * 100)}% interval`;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** One line on the risk model a pool used: its version and source, its held-out figures, its last retraining. */
export function riskModelLine(m: RiskModelReport): string {
  const parts = [
    `risk model ${m.version} (${m.source}${m.promotedAt !== undefined ? `, promoted ${utcMinute(m.promotedAt)} UTC` : ''})`,
  ];
  const h = m.heldOut;
  if (h) {
    const f1 = Number.isFinite(h.f1) ? h.f1.toFixed(2) : '–';
    const perDay = Number.isFinite(h.falseAlarmsPerDay) ? h.falseAlarmsPerDay.toFixed(2) : '–';
    parts.push(
      `held out: F1 ${f1} at ${h.threshold} (${h.detected} of ${h.events} failures found, ${perDay} false alarms a day, ${h.nodes} node${h.nodes === 1 ? '' : 's'})`,
    );
  }
  const r = m.lastRetrain;
  if (r) parts.push(`last retraining ${utcMinute(r.at)} UTC: ${r.outcome}: ${r.reason}`);
  return parts.join('; ');
}
