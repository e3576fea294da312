// `shadowcast policy diff`: markdown for a pull-request comment that says what a policy change
// does, not just which lines moved. For each pool it lists the changed fields with the file and
// line that set them, then what changes in behaviour: on the pool's current forecast, the sizes
// and cost at the next peak and over the horizon; how long a full traffic shift and a rollback
// take; when standby nodes are provisioned and work moves, per criticality; what the guardrails
// allow. Pure: the caller loads the two policy sets and forecasts.

import { isoMinute, spokenDuration } from '../core/time-format.js';
import type { Forecast } from '../core/forecast.js';
import { CRITICALITIES } from '../core/graph.js';
import { thresholdsFor } from '../core/risk.js';
import { needs, sizesFor } from '../plan/size.js';
import { formatSource } from '../policy/provenance.js';
import type { PolicySet, ResolvedPool } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';

export interface PoolForecast {
  forecast: Forecast;
  /** Model that made it (auto:mstl...). */
  model: string;
  /** Latest observed demand. */
  observed: number;
}

export interface DiffInput {
  baseLabel: string;
  headLabel: string;
  base: PolicySet;
  head: PolicySet;
  /** The pool's forecast under each side's forecast settings, where the pool has a forecast spec. */
  forecasts: Map<string, { base?: PoolForecast; head?: PoolForecast }>;
}

export function policyDiffMarkdown(input: DiffInput): string {
  const names = [...new Set([...input.base.pools.keys(), ...input.head.pools.keys()])].sort();
  const out: string[] = [`### shadowcast policy diff: \`${input.baseLabel}\` → \`${input.headLabel}\``, ''];
  let changed = 0;
  for (const pool of names) {
    const a = input.base.pools.get(pool);
    const b = input.head.pools.get(pool);
    if (!a || !b) {
      out.push(`**${pool}**: ${a ? 'removed: its policy file is gone' : `new pool (${b!.file})`}`, '');
      changed++;
      continue;
    }
    const section = poolSection(pool, a, b, input.forecasts.get(pool));
    if (section.length) {
      out.push(...section, '');
      changed++;
    }
  }
  if (changed === 0) out.push('No pool changes behaviour.', '');
  return out.join('\n');
}

function poolSection(
  pool: string,
  a: ResolvedPool,
  b: ResolvedPool,
  fc?: { base?: PoolForecast; head?: PoolForecast },
): string[] {
  const before = new Map(a.fields.map((f) => [f.field, f]));
  const rows: string[] = [];
  for (const f of b.fields) {
    const old = before.get(f.field);
    if (old && JSON.stringify(old.value) === JSON.stringify(f.value)) continue;
    rows.push(`| \`${f.field}\` | ${cell(old?.value)} | ${cell(f.value)} | ${formatSource(f.source)} |`);
  }
  if (rows.length === 0) return [];
  const out = [
    `**${pool}** (${b.file})`,
    '',
    '| field | before | after | set at |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ];
  const effects = behaviour(a.policy, b.policy, fc);
  if (effects.length)
    out.push('What changes:', '', ...effects.map((e) => (e.startsWith('  ') ? e : `- ${e}`)));
  return out;
}

function behaviour(a: Policy, b: Policy, fc?: { base?: PoolForecast; head?: PoolForecast }): string[] {
  const out: string[] = [];
  if (a.mode !== b.mode) {
    out.push(
      b.mode === 'apply'
        ? '**shadowcast will apply its plans to this pool** (it only recommended them before)'
        : 'shadowcast stops applying plans to this pool and only recommends them',
    );
  }
  if (fc?.base && fc.head) out.push(...sizing(a, b, fc.base, fc.head));
  else
    out.push('sizes on the current forecast not computed (no forecast spec for this pool, or --no-forecast)');
  const shiftA = shiftTime(a);
  const shiftB = shiftTime(b);
  if (shiftA.text !== shiftB.text) out.push(`a full traffic shift: ${shiftA.text} → ${shiftB.text}`);
  const standby = CRITICALITIES.map((c) => {
    const x = thresholdsFor(a.standby, c);
    const y = thresholdsFor(b.standby, c);
    return x.provision === y.provision && x.transition === y.transition
      ? ''
      : `${c}: standby at ${pct(x.provision)} → ${pct(y.provision)}, switch at ${pct(x.transition)} → ${pct(y.transition)}`;
  }).filter(Boolean);
  if (standby.length) out.push(`failure probability thresholds (${standby.join('; ')})`);
  if (a.standby.dwellMs !== b.standby.dwellMs) {
    out.push(
      `a node is switched out after the score holds for ${spokenDuration(a.standby.dwellMs)} → ${spokenDuration(b.standby.dwellMs)}`,
    );
  }
  if (a.standby.syncMs !== b.standby.syncMs) {
    out.push(
      `a warm standby's data is synced every ${spokenDuration(a.standby.syncMs)} → ${spokenDuration(b.standby.syncMs)}`,
    );
  }
  if (a.capacity.zoneLoss !== b.capacity.zoneLoss) {
    const what = {
      ignore: 'nothing reserved',
      'at-risk': 'reserved when a zone is at risk',
      always: 'any one zone can be lost',
    };
    out.push(`against losing a zone: ${what[a.capacity.zoneLoss]} → ${what[b.capacity.zoneLoss]}`);
  }
  const g = (p: Policy) =>
    `at most ${p.guardrails.maxTotalInstances} instances and $${p.guardrails.maxHourlyCost.toFixed(2)}/h`;
  if (g(a) !== g(b)) out.push(`guardrails: ${g(a)} → ${g(b)}`);
  return out;
}

/** Sizes at each side's next peak and node-hours over the shared horizon, on the current forecast. */
function sizing(a: Policy, b: Policy, fa: PoolForecast, fb: PoolForecast): string[] {
  const x = onForecast(a, fa);
  const y = onForecast(b, fb);
  const out = [
    `on the current forecast (${fb.model}, ${fb.forecast.timestamps.length} steps from ${isoMinute(fb.forecast.timestamps[0]!)}):`,
  ];
  const line = (what: string, p: number, q: number, unit = '') =>
    `  - ${what}: ${p}${unit} → ${q}${unit}${p === q ? ' (unchanged)' : ` (${sign(q - p)}${unit})`}`;
  out.push(`  - next peak: ${isoMinute(x.peakAt)} → ${isoMinute(y.peakAt)}`);
  out.push(line('primary at the next peak', x.primary, y.primary, ' instances'));
  out.push(line('shadow pool at the next peak', x.shadow, y.shadow, ' instances'));
  out.push(
    `  - cost at the next peak: $${x.cost.toFixed(2)}/h → $${y.cost.toFixed(2)}/h (${money(y.cost - x.cost)}/h)`,
  );
  out.push(
    `  - over the forecast horizon: ${x.nodeHours.toFixed(0)} → ${y.nodeHours.toFixed(0)} instance-hours, $${x.total.toFixed(2)} → $${y.total.toFixed(2)} (${money(y.total - x.total)})`,
  );
  return out;
}

function onForecast(p: Policy, f: PoolForecast) {
  const ts = f.forecast.timestamps;
  const step = ts.length > 1 ? ts[1]! - ts[0]! : 3_600_000;
  const list = needs(f.forecast, f.observed, p, ts[0]!, ts[ts.length - 1]!);
  let best = { primary: 0, shadow: 0, cost: -1, peakAt: ts[0]! };
  let nodeHours = 0;
  let total = 0;
  for (const n of list) {
    const s = sizesFor(n, p);
    const cost = s.primary * p.capacity.hourlyCost + s.shadow * p.shadow.hourlyCost;
    nodeHours += ((s.primary + s.shadow) * step) / 3_600_000;
    total += (cost * step) / 3_600_000;
    if (cost > best.cost) best = { ...s, cost, peakAt: n.t };
  }
  return { ...best, nodeHours, total };
}

function shiftTime(p: Policy): { text: string } {
  const steps = Math.ceil(1 / p.migration.stepSize - 1e-9);
  return {
    text: `${steps} steps of ${pct(p.migration.stepSize)} × ${spokenDuration(p.migration.bakeMs)} bake = ${spokenDuration(steps * p.migration.bakeMs)}`,
  };
}

function cell(v: unknown): string {
  if (v === undefined) return '—';
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

function pct(v: number): string {
  return `${Math.round(v * 1000) / 10}%`;
}

function sign(v: number): string {
  return v > 0 ? `+${v}` : String(v);
}

function money(v: number): string {
  return `${v >= 0 ? '+' : '−'}$${Math.abs(v).toFixed(2)}`;
}
