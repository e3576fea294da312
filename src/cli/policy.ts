// `shadowcast policy validate|explain`: checks policy files (every complaint, one per line, as
// file:line:col: message, or with --format github as workflow annotations that GitHub shows at
// that line of the pull request) and shows a pool's effective policy with where each value came
// from. The check itself is policy/check.ts, which `policy comment` reports in markdown.
//
// explain --format json, one line, a contract:
//   {"pool", "policy": Policy (durations in ms, as the planner reads it),
//    "fields": [{"field", "value", "source", "file", "line"}]}
// fields in schema order; value as written (durations like "10m"); source "built-in default" or
// "FILE:LINE", with " (via capacity.X)" for shadow fields that take capacity's; file and line null
// for built-in defaults.

import { InputError, UsageError } from '../core/errors.js';
import { loadPolicyDir, loadPolicyFiles } from '../policy/load.js';
import { formatSource, formatValue } from '../policy/provenance.js';
import { SIM_HEALTH_METRICS } from '../deploy/sim/serve.js';
import { checkPolicies, errorSummary, okSummary } from '../policy/check.js';
import { errorsFor, type PolicySet, type ResolvedPool } from '../policy/resolve.js';
import type { PolicyWarning } from '../policy/warnings.js';
import { annotation } from './github-annotations.js';

export interface PolicyValidateFlags {
  policies: string;
  /** text: file:line:col: message on stderr; github: workflow annotations on stdout. */
  format: 'text' | 'github';
}
type Format = PolicyValidateFlags['format'];

export interface PolicyExplainFlags {
  policies: string;
  format: 'table' | 'json';
}

/** Exit 2 after the complaints were printed; main prints this one summary line after them. */
export class PolicyInvalid extends Error {
  readonly code = 2;
}

function errorLine(e: InputError, format: Format): string {
  if (format === 'text') return e.message;
  return annotation('error', e.detail, { file: e.file, line: e.line, column: e.column });
}

function warningLine(w: PolicyWarning, format: Format): string {
  if (format === 'text') return `warning: ${w.where}: ${w.pool}: ${w.message}`;
  return annotation('warning', `${w.pool}: ${w.message}`, w.at);
}

/** Text goes to stderr, as compilers print; annotations to stdout, where the runner reads them. */
function complain(line: string, format: Format): void {
  (format === 'text' ? process.stderr : process.stdout).write(`${line}\n`);
}

function reportErrors(errors: readonly InputError[], format: Format = 'text'): never {
  for (const e of errors) complain(errorLine(e, format), format);
  throw new PolicyInvalid(errorSummary(errors));
}

export async function policyValidateCommand(files: string[], flags: PolicyValidateFlags): Promise<void> {
  const set: PolicySet = files.length ? await loadPolicyFiles(files) : await loadPolicyDir(flags.policies);
  if (set.files.length === 0)
    throw new UsageError(`no policy files in ${flags.policies} (defaults.yaml, pools/<pool>.yaml)`);
  const check = checkPolicies(set, SIM_HEALTH_METRICS);
  if (check.errors.length) reportErrors(check.errors, flags.format);
  for (const w of check.warnings) complain(warningLine(w, flags.format), flags.format);
  process.stdout.write(`policies OK: ${okSummary(check)}\n`);
}

function explainJson(r: ResolvedPool): string {
  return JSON.stringify({
    pool: r.pool,
    policy: r.policy,
    fields: r.fields.map(({ field, value, source }) => ({
      field,
      value,
      source: formatSource(source),
      file: source.kind === 'file' ? source.file : null,
      line: source.kind === 'file' ? source.line : null,
    })),
  });
}

function explainTable(r: ResolvedPool): string {
  const rows = [
    ['field', 'value', 'source'],
    ...r.fields.map((f) => [f.field, formatValue(f.field, f.value), formatSource(f.source)]),
  ];
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell)).join('  ');
  const rule = ['-'.repeat(widths[0]!), '-'.repeat(widths[1]!), '-'.repeat(6)];
  return [
    `${r.pool}: effective policy (${r.file})`,
    '',
    line(rows[0]!),
    line(rule),
    ...rows.slice(1).map(line),
  ].join('\n');
}

export async function policyExplainCommand(pool: string, flags: PolicyExplainFlags): Promise<void> {
  const set = await loadPolicyDir(flags.policies);
  const file = set.poolFiles.get(pool);
  if (file === undefined) {
    const known = [...set.poolFiles.keys()].sort();
    throw new UsageError(
      `unknown pool "${pool}": ${flags.policies}/pools has ` +
        `${known.length ? `policies for ${known.join(', ')}` : 'no pool policies'}`,
    );
  }
  const resolved = set.pools.get(pool);
  if (!resolved) reportErrors(errorsFor(set, pool));
  process.stdout.write(`${flags.format === 'json' ? explainJson(resolved) : explainTable(resolved)}\n`);
}
