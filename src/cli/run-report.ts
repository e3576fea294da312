// Each run's report under STATE/reports/RUN/: report.html (self-contained: charts, risk, plans,
// migration timelines, alerts), summary.md (for a pull-request comment) and run.json (what every
// pool did, for tools); the same three as STATE/reports/latest.*. Written atomically.

import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Policy } from '../policy/types.js';
import {
  type PoolReportInput,
  type RiskModelReport,
  type PoolRunStatus,
  type RunReportInput,
} from '../report/run-report.js';
import { runReportHtml } from '../report/run-report-html.js';
import { runReportMarkdown } from '../report/run-report-markdown.js';
import { appliedOf, type PoolRunReport, type PoolStatus } from '../pipeline/pool-run.js';
import type { RunRecord } from '../pipeline/runner.js';
import type { ServiceGraphReport } from '../pipeline/service-graph.js';
import type { TargetName } from '../deploy/targets.js';
import { chartTitle } from './forecast.js';
import { writeAtomically } from './output.js';

export interface ReportFiles {
  html: string;
  markdown: string;
  json: string;
}

export async function writeRunReport(
  stateDir: string,
  run: RunRecord,
  target: TargetName,
  policies: ReadonlyMap<string, { policy: Policy }>,
  keep = 200,
): Promise<ReportFiles> {
  const input = reportInput(run, target, policies);
  const dir = join(stateDir, 'reports', run.runId);
  const files = {
    html: join(dir, 'report.html'),
    markdown: join(dir, 'summary.md'),
    json: join(dir, 'run.json'),
  };
  const html = await runReportHtml(input);
  // Links are relative to the file they are in: summary.md sits beside its report.html, latest.md
  // one directory up.
  const markdown = runReportMarkdown(input, { reportUrl: 'report.html' });
  const latestMarkdown = runReportMarkdown(input, { reportUrl: `${run.runId}/report.html` });
  const json = `${JSON.stringify(runJson(run, target), null, 2)}\n`;
  const latest = join(stateDir, 'reports');
  await writeAtomically([
    { path: files.html, content: html },
    { path: files.markdown, content: markdown },
    { path: files.json, content: json },
    { path: join(latest, 'latest.html'), content: html },
    { path: join(latest, 'latest.md'), content: latestMarkdown },
    { path: join(latest, 'latest.json'), content: json },
  ]);
  await prune(latest, keep, run.runId);
  return files;
}

/**
 * Keeps this run's directory and the newest `keep` − 1 others; a scheduled runner writes one per
 * firing. Names sort by their start second, and two runs in one second differ only by a random
 * suffix, so the run just written is kept by name, never by where it sorts.
 */
async function prune(dir: string, keep: number, current: string): Promise<void> {
  const others = (await readdir(dir)).filter((n) => n.startsWith('run-') && n !== current).sort();
  for (const old of others.slice(0, Math.max(0, others.length - Math.max(0, keep - 1)))) {
    await rm(join(dir, old), { recursive: true, force: true });
  }
}

export function reportInput(
  run: RunRecord,
  target: TargetName,
  policies: ReadonlyMap<string, { policy: Policy }>,
): RunReportInput {
  return {
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    mode: run.mode,
    target,
    pools: run.pools.map((p) => poolInput(p, policies.get(p.pool)!.policy)),
    alerts: run.pools.flatMap((p) =>
      p.alerts.map((a) => ({ at: a.at, pool: a.pool, kind: a.kind, message: a.message })),
    ),
  };
}

function poolInput(p: PoolRunReport, policy: Policy): PoolReportInput {
  const out: PoolReportInput = {
    pool: p.pool,
    status: statusOf(p.status),
    durationMs: p.finishedAt - p.startedAt,
    notes: [...p.notes, ...(p.status === 'held' ? ['demand metric vanished: capacity held'] : [])],
  };
  if (p.error) out.error = p.error;
  if (p.graph) out.notes!.push(graphLine(p.pool, p.graph));
  const r = p.result;
  if (r && r.forecast.mean.length > 0) {
    out.forecast = {
      series: r.series,
      forecast: r.forecast,
      events: r.events,
      model: r.model,
      title: chartTitle(r, p.pool),
    };
  }
  if (p.nodes.length) {
    out.risk = { nodes: p.nodes, standby: policy.standby };
    if (p.riskModel) out.risk.model = riskModelReport(p.riskModel);
  }
  const planned = p.planned?.planned;
  if (planned) {
    out.plan = { ...planned.pool, at: planned.plan.at, mode: policy.mode, intervalMs: planned.intervalMs };
  }
  const m = p.migration;
  if (m && m.records.length) {
    const a = appliedOf(m.records);
    out.migration = {
      records: m.records,
      outcome: m.outcome.replace('_', ' '),
      summary: {
        applied: a.passed,
        rollbacks: a.rollbacks,
        updates: a.updates,
        start: a.start,
        end: a.end,
        final: p.actual ??
          planned?.pool.current ?? { primary: 0, shadow: 0, standby: {}, weights: { primary: 1, shadow: 0 } },
      },
    };
  } else if (m?.message) out.notes!.push(m.message);
  if (p.standbys?.length) out.standbys = p.standbys;
  const acc = p.accuracy;
  if (acc && acc.points > 0 && Number.isFinite(acc.mape)) {
    out.accuracy = {
      window: `last ${Math.round(policy.forecast.errorWindowMs / 3_600_000)} h`,
      mape: acc.mape / 100,
      coverage: acc.coverage,
      ...(acc.level !== undefined ? { level: acc.level } : {}),
      threshold: policy.forecast.maxErrorPercent / 100,
      points: acc.points,
    };
  }
  return out;
}

function statusOf(s: PoolStatus): PoolRunStatus {
  if (s === 'held') return 'failed';
  if (s === 'stopped') return 'ok';
  return s;
}

function runJson(run: RunRecord, target: TargetName): Record<string, unknown> {
  return {
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
  };
}

/** The traffic graph and how the pool's risk spreads over it, in one line. */
export function graphLine(pool: string, g: ServiceGraphReport): string {
  const top = g.services
    .slice(0, 5)
    .map((x) => `${x.service} ${x.risk.toFixed(3)} [${x.lower.toFixed(3)}, ${x.upper.toFixed(3)}]`)
    .join(', ');
  const spread = top
    ? `; failure probability with the pool's risk spread over it: ${top}; expected failed services ${g.expectedFailed.toFixed(2)}`
    : '';
  const notes = g.notes.length
    ? ` (${g.notes.length} note${g.notes.length === 1 ? '' : 's'}: ${g.notes.slice(0, 2).join('; ')})`
    : '';
  return `${pool}: service graph from traffic: ${g.edges} edge${g.edges === 1 ? '' : 's'} (${relative(process.cwd(), g.file)})${spread}${notes}`;
}

/** What the report shows of the model in use: no model weights, the last attempt's outcome and reason. */
function riskModelReport(m: NonNullable<PoolRunReport['riskModel']>): RiskModelReport {
  const out: RiskModelReport = { version: m.version, source: m.source };
  if (m.promotedAt !== undefined) out.promotedAt = m.promotedAt;
  if (m.heldOut) out.heldOut = m.heldOut;
  if (m.lastRetrain) {
    const { at, outcome, reason } = m.lastRetrain;
    out.lastRetrain = { at, outcome, reason };
  }
  return out;
}
