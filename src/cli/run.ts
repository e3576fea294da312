// `shadowcast run --once`: the main job on every pool of the forecast specs; `npm start` runs
// it on the embedded default (forecasts/ and policies/ in this repository, state in .shadowcast/).
// For each pool: the forecast (table, forecast.json and chart), the nodes' risk, the plan with
// its reasons and steps, and that plan applied to the simulated fleet. Nothing real is changed.
//
// .shadowcast/plans/<pool>/plan.json, written atomically, is a contract (see README, "run"):
//   {"pool", "at", "mode", "intervalMs", "current", "desired", "reasons", "placements", "alerts",
//    "steps": [{"id", "kind", "notBefore", "bakeMs", "reason", "state"}],
//    "nodes": [{"id", "score", "blame", "state", "criticality", "stateless", ...}],
//    "simulatedApply": {"applied", "rollbacks", "updates", "start", "end", "alerts", "final"}}
// with times as ISO-8601 UTC.

import { join, relative } from 'node:path';
import { exitCodeFor, UsageError } from '../core/errors.js';
import type { PoolState } from '../core/plan.js';
import { loadPolicyDir } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { thresholdsFor } from '../risk/standby.js';
import type { NodeReport } from '../schedule/node-risk.js';
import { loadSpecs, type PoolOutcome, runSpecs } from '../schedule/run.js';
import { writeForecastFiles } from './forecast.js';
import { fmt, table, writeAtomically } from './output.js';
import { planDocument } from './plan-json.js';
import { RunFailed } from './run-failed.js';

export interface RunFlags {
  once: boolean;
  specs: string;
  state: string;
  policies: string;
  pools?: string[];
}

export { RunFailed };

export async function runCommand(flags: RunFlags): Promise<void> {
  if (!flags.once) throw new UsageError('scheduled runs are not available yet; use `run --once`');
  const specs = await loadSpecs(flags.specs, flags.pools);
  if (specs.length === 0) throw new UsageError(`no forecast specs (*.yaml) in ${flags.specs}`);
  const set = await loadPolicyDir(flags.policies);
  if (set.errors.length > 0) throw set.errors[0]!;
  const tty = process.stderr.isTTY;
  const outcomes = await runSpecs(specs, set.pools, (spec, i, stage) => {
    if (tty) process.stderr.write(`\r[${i + 1}/${specs.length}] ${stage} ${spec.pool}…\x1b[K`);
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const rows: (string | number)[][] = [];
  let worst = 0;
  let failed = 0;
  const sections: string[] = [];
  for (const o of outcomes) {
    if (o.error !== undefined) {
      worst = Math.max(worst, exitCodeFor(o.error));
      failed++;
      process.stderr.write(`shadowcast: ${o.pool}: ${(o.error as Error).message}\n`);
    }
    const r = o.result;
    if (!r) continue;
    const dir = join(flags.state, 'forecasts', o.pool);
    await writeForecastFiles(dir, r, o.pool);
    const f = r.forecast;
    let peak = 0;
    for (let i = 1; i < f.upper.length; i++) if (f.upper[i]! > f.upper[peak]!) peak = i;
    rows.push([
      o.pool,
      r.model,
      r.series.values.length,
      f.mean.length,
      fmt(f.mean[peak]!),
      fmt(f.upper[peak]!),
      minute(f.timestamps[peak]!),
      r.events.length,
      relative(process.cwd(), join(dir, 'forecast.svg')),
    ]);
    const policy = set.pools.get(o.pool)?.policy;
    if (o.once && policy) {
      const file = join(flags.state, 'plans', o.pool, 'plan.json');
      await writeAtomically([{ path: file, content: `${JSON.stringify(planJson(o, policy), null, 2)}\n` }]);
      sections.push(poolReport(o, policy, relative(process.cwd(), file)));
      if (o.once.apply.rollbacks > 0) worst = Math.max(worst, 1);
    } else if (o.notes?.length) sections.push(`${o.pool}: ${o.notes.join('; ')}`);
  }
  if (rows.length) {
    process.stdout.write(
      `${table(['pool', 'model', 'history', 'horizon', 'peak mean', `peak upper`, 'peak at (UTC)', 'events', 'chart'], rows)}\n`,
    );
  }
  for (const s of sections) process.stdout.write(`\n${s}\n`);
  if (failed) throw new RunFailed(`${failed} of ${outcomes.length} pools failed`, worst);
  if (worst) throw new RunFailed('a simulated apply rolled back (see its alerts above)', worst);
}

/** Risk, plan and simulated apply of one pool, for a person to read. */
function poolReport(o: PoolOutcome, policy: Policy, planFile: string): string {
  const once = o.once!;
  const pp = once.pool;
  const out: string[] = [];
  const nodes = o.nodes ?? [];
  if (nodes.length) {
    out.push(
      `${o.pool}: node risk at ${minute(nodes[0]!.at)} UTC (built-in model; standby at ${fmt(policy.standby.provision)}, move at ${fmt(policy.standby.transition)} held ${mins(policy.standby.dwellMs)}, both lowered for critical work)`,
      table(
        ['node', 'score', 'blame metric', 'standby', 'thresholds', 'criticality', 'stateless'],
        nodes.map((n) => nodeRow(n, policy)),
        [0, 2, 3, 5],
      ),
      '',
    );
  }
  for (const note of o.notes ?? []) out.push(`${o.pool}: ${note}`);
  out.push(
    `${o.pool}: plan at ${minute(once.plan.at)} UTC (next run in ${mins(once.intervalMs)}, policy mode ${policy.mode})`,
    `  now:     ${state(pp.current)}`,
    `  desired: ${state(pp.desired)}`,
    '  reasons:',
    ...pp.reasons.map((r) => `    - ${r}`),
  );
  for (const [node, where] of Object.entries(pp.placements)) out.push(`  standby for ${node}: ${where}`);
  for (const a of pp.alerts) out.push(`  alert: ${a}`);
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
  const a = once.apply;
  out.push(
    '',
    `${o.pool}: simulated apply: ${a.applied} of ${pp.steps.length} steps applied, ${a.rollbacks} rollback${a.rollbacks === 1 ? '' : 's'}, ${a.updates} stack update${a.updates === 1 ? '' : 's'}, ${duration(a.end - a.start)} on the simulated clock (${minute(a.start)} to ${minute(a.end)} UTC)`,
    `  fleet after: ${state(a.final)}`,
    ...a.alerts.map((x) => `  alert: ${x}`),
    `  simulated apply; policy mode ${policy.mode}: ${policy.mode === 'recommend' ? 'nothing real changed' : 'nothing real changed (run --once applies to the simulated fleet only)'}`,
    `  plan: ${planFile}`,
  );
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
  const standby = Object.entries(s.standby);
  const sb = standby.length
    ? standby.map(([id, share]) => `${id} (${Math.round(share * 100)}% moved)`).join(', ')
    : 'none';
  return `primary ${s.primary}, shadow ${s.shadow}, standby ${sb}; weights primary ${fmt(s.weights.primary)} / shadow ${fmt(s.weights.shadow)}`;
}

function planJson(o: PoolOutcome, policy: Policy): Record<string, unknown> {
  const once = o.once!;
  const a = once.apply;
  return {
    ...planDocument(o.pool, policy, once, o.nodes ?? []),
    simulatedApply: {
      applied: a.applied,
      rollbacks: a.rollbacks,
      updates: a.updates,
      start: iso(a.start),
      end: iso(a.end),
      alerts: a.alerts,
      final: a.final,
    },
  };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function minute(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function mins(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 120 && m % 60 === 0 ? `${m / 60} h` : `${m} min`;
}
