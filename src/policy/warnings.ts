// What a valid policy may still get wrong: values that parse and pass every rule but cannot work
// together or with the target. `policy validate` prints these as warnings (file:line: message) and
// still exits 0, since a reviewer may mean them (a fleet-wide cap set for a migration window).

import type { PolicyField, ResolvedPool } from './resolve.js';
import { formatSource } from './provenance.js';

/** Where a value was written, for a tool that points at it (a GitHub annotation on the line). */
export interface PolicyPlace {
  file: string;
  line: number;
  column: number;
}

export interface PolicyWarning {
  pool: string;
  /** `file:line` of the value the warning is about, or "built-in default". */
  where: string;
  /** The same place as a file, line and column; absent for a built-in default. */
  at?: PolicyPlace;
  message: string;
}

/**
 * Warnings for one pool's effective policy. `gateMetrics` are the health metrics the default
 * target records: a gate on any other metric fails closed on every step there.
 */
export function policyWarnings(r: ResolvedPool, gateMetrics: readonly string[]): PolicyWarning[] {
  const { policy } = r;
  const out: PolicyWarning[] = [];
  const at = (field: string) => placeOf(r.fields, field);
  const shadow = policy.shadow.enabled ? policy.shadow.minSize : 0;
  const fewest = policy.capacity.minInstances + shadow;
  const cheapest =
    policy.capacity.minInstances * policy.capacity.hourlyCost + shadow * policy.shadow.hourlyCost;
  const minimum = `the pool's own minimum (${policy.capacity.minInstances} primary${shadow ? ` + ${shadow} shadow` : ''})`;
  if (policy.guardrails.maxTotalInstances < fewest) {
    out.push({
      pool: r.pool,
      ...at('guardrails.maxTotalInstances'),
      message: `guardrails.maxTotalInstances ${policy.guardrails.maxTotalInstances} is below ${minimum}, ${fewest} instances: the pool can never grow, and is held at whatever size it has`,
    });
  }
  if (policy.guardrails.maxHourlyCost < cheapest - 1e-9) {
    out.push({
      pool: r.pool,
      ...at('guardrails.maxHourlyCost'),
      message: `guardrails.maxHourlyCost ${policy.guardrails.maxHourlyCost} is below what ${minimum} costs, ${cheapest.toFixed(2)}/h: the pool can never grow, and is held at whatever size it has`,
    });
  }
  const known = new Set(gateMetrics);
  for (const gate of policy.migration.gates) {
    if (known.has(gate.metric)) continue;
    out.push({
      pool: r.pool,
      ...at('migration.gates'),
      message: `migration.gates: metric ${gate.metric} is not one the simulated fleet records (${gateMetrics.join(', ')}): there every step fails its gate; with --target pulumi it needs a health: query of that name`,
    });
  }
  return out;
}

function placeOf(fields: readonly PolicyField[], field: string): Pick<PolicyWarning, 'where' | 'at'> {
  const source = fields.find((x) => x.field === field)?.source;
  if (!source) return { where: 'built-in default' };
  const where = formatSource(source);
  return source.kind === 'file'
    ? { where, at: { file: source.file, line: source.line, column: source.column } }
    : { where };
}
