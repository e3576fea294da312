// The run report as GitHub-flavoured markdown for a pull-request comment: one table with every
// pool's key numbers, a line per pool that failed (or was skipped, or busy) and per alert (more
// than three are collapsed), then per planned pool a collapsed <details> with the plan's reasons
// and steps.
// About 20 lines for one pool and under 60 for three: the HTML report has the rest.

import { spokenDuration, utcMinute, utcSecond } from '../core/time-format.js';
import { esc, md, num, pct, standbyPhase } from './format.js';
import type { PoolReportInput, PoolRunStatus, RunAlert, RunReportInput } from './run-report.js';
import {
  drifted,
  forecastPeak,
  migrationSummary,
  riskModelLine,
  riskSummary,
  runStatus,
} from './run-summary.js';

export interface MarkdownOptions {
  /** Where the HTML report is (a CI artifact, a Pages URL): linked under the heading. */
  reportUrl?: string;
  /** Steps listed per pool before the rest are summed up in one row; default 8. */
  maxSteps?: number;
  /** Alerts listed before the rest are summed up in one line; default 10. */
  maxAlerts?: number;
}

/** Up to this many alerts are listed in the open; more are collapsed. */
const INLINE_ALERTS = 3;

const ICON: Record<PoolRunStatus, string> = { ok: '✅', failed: '❌', skipped: '⏭️', busy: '⏳' };

export function runReportMarkdown(input: RunReportInput, options: MarkdownOptions = {}): string {
  const out: string[] = [...heading(input, options), ''];
  if (input.pools.length) out.push(...poolTable(input.pools), '');
  // Pools that did not run and a few alerts are listed in the open: they are what a reviewer must see.
  const problems = input.pools
    .filter((p) => p.status !== 'ok')
    .map(
      (p) =>
        `- ${ICON[p.status]} **${md(p.pool)}** ${p.status}${p.error !== undefined ? `: ${md(firstLine(p.error))}` : ''}`,
    );
  const inline = input.alerts.length <= INLINE_ALERTS;
  if (inline) problems.push(...input.alerts.map((a) => `- ⚠️ ${alertLine(a)}`));
  if (problems.length) out.push(...problems, '');
  const models = input.pools.flatMap((p) =>
    p.risk?.model ? [`- **${md(p.pool)}** ${md(riskModelLine(p.risk.model))}`] : [],
  );
  if (models.length) out.push(...models, '');
  for (const p of input.pools) if (p.plan) out.push(...planDetails(p, options.maxSteps ?? 8));
  if (!inline) out.push(...alertDetails(input, options.maxAlerts ?? 10));
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

function heading(input: RunReportInput, options: MarkdownOptions): string[] {
  const n = input.pools.length;
  const failed = input.pools.filter((p) => p.status === 'failed').length;
  const status = runStatus(input);
  const icon = status === 'ok' ? '✅' : '❌';
  const what =
    n === 0
      ? 'no pools'
      : status === 'ok'
        ? `${n} pool${n === 1 ? '' : 's'}, none failed`
        : status === 'failed'
          ? `all ${n} pool${n === 1 ? '' : 's'} failed`
          : `${failed} of ${n} pools failed`;
  const alerts = input.alerts.length;
  const facts = [
    input.mode === 'once' ? 'run --once' : 'scheduled run',
    input.target === 'sim' ? 'on the simulated fleet' : 'on Pulumi stacks',
    `${utcSecond(input.startedAt)} → ${utcSecond(input.finishedAt).slice(11)} UTC (${spokenDuration(input.finishedAt - input.startedAt)})`,
    `${alerts} alert${alerts === 1 ? '' : 's'}`,
  ];
  if (options.reportUrl !== undefined) facts.push(`[full report](${linkTarget(options.reportUrl)})`);
  return [`### ${icon} shadowcast run ${md(input.runId)}: ${what}`, facts.join(' · ')];
}

function poolTable(pools: readonly PoolReportInput[]): string[] {
  const rows = pools.map((p) => {
    const peak = p.forecast ? forecastPeak(p.forecast.forecast) : undefined;
    const risk = p.risk ? riskSummary(p.risk) : undefined;
    return [
      md(p.pool),
      `${ICON[p.status]} ${p.status}`,
      p.forecast ? md(p.forecast.model) : '—',
      peak ? `${num(peak.mean)} / ${num(peak.upper)}` : '—',
      peak ? utcMinute(peak.at) : '—',
      risk
        ? `${risk.atRisk.length} of ${risk.total}${risk.riskiest ? ` (max ${risk.riskiest.score.toFixed(3)} ${md(risk.riskiest.id)})` : ''}`
        : '—',
      p.plan ? String(p.plan.steps.length) : '—',
      migrationCell(p),
      accuracyCell(p),
      spokenDuration(p.durationMs),
    ];
  });
  return [
    '| pool | status | model | peak mean / upper | peak at (UTC) | nodes at risk | steps | migration | accuracy | took |',
    '| --- | --- | --- | ---: | --- | --- | ---: | --- | --- | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function migrationCell(p: PoolReportInput): string {
  if (!p.migration) return '—';
  const s = migrationSummary(p.migration);
  if (s) {
    const rollbacks = s.rollbacks ? `, ${s.rollbacks} rollback${s.rollbacks === 1 ? '' : 's'}` : '';
    return `${md(s.outcome)}, ${s.stepsPassed} of ${s.steps} steps${rollbacks}`;
  }
  const a = p.migration.summary;
  if (!a) return '—';
  return `simulated: ${a.applied} applied, ${a.rollbacks} rollback${a.rollbacks === 1 ? '' : 's'}`;
}

function accuracyCell(p: PoolReportInput): string {
  const a = p.accuracy;
  if (!a) return '—';
  const verdict = drifted(a)
    ? `⚠️ MAPE ${pct(a.mape)} > ${pct(a.threshold)}`
    : `MAPE ${pct(a.mape)} ≤ ${pct(a.threshold)}`;
  return `${verdict}, coverage ${pct(a.coverage)}`;
}

/** The plan's reasons and steps, collapsed under a one-line summary of what changes. */
function planDetails(p: PoolReportInput, maxSteps: number): string[] {
  const plan = p.plan!;
  const c = plan.current;
  const d = plan.desired;
  const standby = Object.keys(d.standby).length;
  const changes = [
    `primary ${c.primary} → ${d.primary}`,
    `shadow ${c.shadow} → ${d.shadow}`,
    `shadow weight ${num(c.weights.shadow)} → ${num(d.weights.shadow)}`,
    ...(standby ? [`${standby} standby`] : []),
  ];
  const s = p.migration ? migrationSummary(p.migration) : undefined;
  const summary = `<b>${esc(p.pool)}</b>: ${changes.join(', ')}; ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}${s ? `, ${esc(s.outcome)}` : ''}`;
  const out = [`<details><summary>${summary}</summary>`, ''];
  out.push(...(plan.reasons.length ? plan.reasons.map((r) => `- ${md(r)}`) : ['No reasons given.']), '');
  if (plan.steps.length) {
    out.push('| # | kind | not before (UTC) | reason |', '| ---: | --- | --- | --- |');
    plan.steps
      .slice(0, maxSteps)
      .forEach((st, i) =>
        out.push(`| ${i + 1} | ${md(st.kind)} | ${utcMinute(st.notBefore)} | ${md(st.reason)} |`),
      );
    const more = plan.steps.length - maxSteps;
    if (more > 0) out.push(`| … | | | ${more} more step${more === 1 ? '' : 's'} in the full report |`);
  } else out.push('No steps: the pool is already as it should be.');
  if (p.standbys?.length) {
    const when = (t?: number) => (t === undefined ? '—' : utcMinute(t));
    out.push(
      '',
      '| standby for | zone | provisioned | synced | switched | retired | released | now |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const l of p.standbys) {
      out.push(
        `| ${md(l.node)} | ${md(l.zone ?? 'beside the node')} | ${when(l.provisionedAt)} | ${when(l.syncedAt)} | ${when(l.switchedAt)} | ${when(l.retiredAt)} | ${when(l.releasedAt)} | ${standbyPhase(l)} |`,
      );
    }
  }
  out.push('', '</details>');
  return out;
}

function alertDetails(input: RunReportInput, maxAlerts: number): string[] {
  const n = input.alerts.length;
  const out = [`<details><summary>⚠️ ${n} alert${n === 1 ? '' : 's'}</summary>`, ''];
  for (const a of input.alerts.slice(0, maxAlerts)) out.push(`- ${alertLine(a)}`);
  if (n > maxAlerts) out.push(`- … ${n - maxAlerts} more in the full report`);
  out.push('', '</details>');
  return out;
}

function alertLine(a: RunAlert): string {
  const pool = a.pool !== undefined ? ` **${md(a.pool)}**` : '';
  return `${utcMinute(a.at)}${pool} ${md(a.kind)}: ${md(a.message)}`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!;
  return line.length < text.length ? `${line} …` : line;
}

/** A URL as a markdown link target: characters that would end the link are percent-encoded. */
function linkTarget(url: string): string {
  return url.replace(/[\s()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
