// From policy texts to each pool's effective Policy with provenance, collecting every complaint
// (file:line:col) instead of stopping at the first: a reviewer fixes a file in one pass. Pure: the
// texts may come from disk (load.ts) or from a git ref, which is how a diff will read them.

import { dirname, isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../core/errors.js';
import { type PolicyDocument, readPolicyDocument } from './document.js';
import {
  formatSource,
  formatValue,
  type Layer,
  type Merged,
  mergeLayers,
  type Source,
  specificity,
} from './provenance.js';
import {
  BUILTIN_DEFAULTS,
  type CrossFieldParams,
  FIELDS,
  KEYS,
  PolicyFileSchema,
  ResolvedPolicySchema,
} from './schema.js';
import type { Policy } from './types.js';

export interface PolicyText {
  file: string;
  text: string;
}

export interface PoolText extends PolicyText {
  pool: string;
}

export interface PolicyField {
  /** Dotted YAML path, like `forecast.horizon` or `standby.criticality.high`. */
  field: string;
  /** As written (durations like "10m", lists whole). */
  value: unknown;
  source: Source;
}

export interface ResolvedPool {
  pool: string;
  /** The pool's own file. */
  file: string;
  policy: Policy;
  /** Every leaf field in schema order, with where its value came from. */
  fields: PolicyField[];
}

export interface PolicySet {
  /** Every file read, in order. */
  files: string[];
  /** The pools whose policy resolved, by name. */
  pools: Map<string, ResolvedPool>;
  /** Every pool with a file, resolved or not (so "unknown pool" and "invalid pool" differ). */
  poolFiles: Map<string, string>;
  /** Every complaint, by file in reading order, then line and column. */
  errors: InputError[];
}

type Issue = z.core.$ZodIssue;

const label = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (s, step) => (typeof step === 'number' ? `${s}[${step}]` : s ? `${s}.${String(step)}` : String(step)),
    '',
  );

/** A value in a complaint: strings quoted, so that "0.9" (text) and 0.9 (a number) differ. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : formatValue('', value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<PropertyKey, unknown> | null)?.[step], data);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The allowed key a misspelt one most likely meant, if one is close. */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const exact = allowed.find((a) => norm(a) === norm(key) || norm(a) === norm(key).replace(/ms$/, ''));
  if (exact) return exact;
  const scored = allowed.map((a) => ({ a, d: distance(norm(key), norm(a)) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(1, Math.floor(key.length / 3)) ? best.a : undefined;
}

/** A file's own complaints: the shape, the types and the bounds of each field it sets. */
function fileIssues(doc: PolicyDocument, issues: readonly Issue[]): InputError[] {
  const error = (path: readonly PropertyKey[], detail: string, key = false) => {
    const { line, column } = doc.place(path, key);
    return new InputError(doc.file, line, detail, column);
  };
  // A misspelt key beats what its absence breaks in the same mapping (a gate "without" max).
  const misspelt = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => label(i.path)));
  const echo = (issue: Issue) =>
    issue.code !== 'unrecognized_keys' &&
    (misspelt.has(label(issue.path)) ||
      (misspelt.has(label(issue.path.slice(0, -1))) && valueAt(doc.data, issue.path) === undefined));
  return issues.flatMap((issue) => {
    if (echo(issue)) return [];
    const where = label(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = KEYS[where.replace(/\[\d+\]$/, '[]')] ?? [];
      return issue.keys.map((key) => {
        const guess = didYouMean(key, allowed);
        const hint = guess ? `did you mean "${guess}"?` : `fields: ${allowed.join(', ')}`;
        return error(
          [...issue.path, key],
          `${where ? `${where}: ` : ''}unknown field ${show(key)} (${hint})`,
          true,
        );
      });
    }
    const value = valueAt(doc.data, issue.path);
    const what = value === undefined ? 'missing, and' : show(value);
    return [error(issue.path, where ? `${where}: ${what} ${issue.message}` : issue.message)];
  });
}

function checkFile(doc: PolicyDocument): { data?: Record<string, unknown>; errors: InputError[] } {
  if (doc.errors.length) return { errors: doc.errors };
  const parsed = PolicyFileSchema.safeParse(doc.data);
  if (!parsed.success) return { errors: fileIssues(doc, parsed.error.issues) };
  return { data: withoutEmpty(doc.data) as Record<string, unknown>, errors: [] };
}

/** Drops empty sections (null: every field under them commented out), which set nothing. */
function withoutEmpty(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutEmpty(v)]),
  );
}

const BUILTIN_LAYER: Layer = { data: BUILTIN_DEFAULTS, source: () => ({ kind: 'built-in' }) };

function fileLayer(doc: PolicyDocument, data: Record<string, unknown>): Layer {
  return {
    data,
    source: (path) => ({ kind: 'file', file: doc.file, ...doc.place(path, true) }),
  };
}

/**
 * A broken rule joining two fields, blamed on the one set in the most specific file (a pool's
 * over defaults.yaml over the built-in defaults), which is where the fix goes; ties blame the
 * rule's first field. The message names the other field's value and where it came from.
 */
function crossFieldError(issue: Issue, merged: Merged, poolFile: string | undefined): InputError {
  const { data, sources } = merged;
  const params = (issue as { params?: Partial<CrossFieldParams> }).params;
  let blamed = { path: issue.path.map(String), message: issue.message };
  let other =
    params?.other && params.otherMessage ? { path: params.other, message: params.otherMessage } : undefined;
  const rank = (path: string[]) => specificity(sources.get(path.join('.')), poolFile);
  if (other && rank(other.path) > rank(blamed.path)) [blamed, other] = [other, blamed];

  let message = blamed.message;
  if (other) {
    const name = label(other.path);
    const from = sources.get(name);
    const where = `${name} (${show(valueAt(data, other.path))} from ${from ? formatSource(from) : 'nowhere'})`;
    message = message.includes(name) ? message.replace(name, where) : `${message}: ${where}`;
  }
  const detail = `${label(blamed.path)}: ${show(valueAt(data, blamed.path))} ${message}`;
  const source = sources.get(blamed.path.join('.'));
  if (source?.kind === 'file') return new InputError(source.file, source.line, detail, source.column);
  // Only a broken built-in default gets here; a test keeps that from shipping.
  return new InputError('built-in defaults', undefined, detail);
}

/** Merges the layers, checks the rules that join two fields, and yields the Policy. */
function resolve(
  layers: readonly Layer[],
  poolFile: string | undefined,
): { policy?: Policy; fields: PolicyField[]; errors: InputError[] } {
  const merged = mergeLayers(layers);
  const fields = FIELDS.map((field) => ({
    field,
    value: valueAt(merged.data, field.split('.')),
    source: merged.sources.get(field) ?? { kind: 'built-in' as const },
  }));
  const parsed = ResolvedPolicySchema.safeParse(merged.data);
  if (parsed.success) return { policy: parsed.data, fields, errors: [] };
  return { fields, errors: parsed.error.issues.map((issue) => crossFieldError(issue, merged, poolFile)) };
}

const byPlace = (files: readonly string[]) => (a: InputError, b: InputError) =>
  files.indexOf(a.file) - files.indexOf(b.file) ||
  (a.line ?? 0) - (b.line ?? 0) ||
  (a.column ?? 0) - (b.column ?? 0);

/** Every pool's effective policy: built-in defaults, then `defaults`, then the pool's own file. */
export function resolvePolicies(input: { defaults?: PolicyText; pools: readonly PoolText[] }): PolicySet {
  const files = [...(input.defaults ? [input.defaults.file] : []), ...input.pools.map((p) => p.file)];
  const errors: InputError[] = [];
  const seen = new Set<string>();
  const report = (list: InputError[]) => {
    for (const e of list) {
      if (seen.has(e.message)) continue;
      seen.add(e.message);
      errors.push(e);
    }
  };

  let base: Layer[] | undefined = [BUILTIN_LAYER];
  if (input.defaults) {
    const doc = readPolicyDocument(input.defaults.file, input.defaults.text);
    const checked = checkFile(doc);
    report(checked.errors);
    if (checked.data) {
      const layers = [BUILTIN_LAYER, fileLayer(doc, checked.data)];
      const alone = resolve(layers, undefined);
      report(alone.errors);
      base = alone.errors.length ? undefined : layers;
    } else {
      base = undefined;
    }
  }

  const pools = new Map<string, ResolvedPool>();
  const poolFiles = new Map<string, string>();
  for (const { pool, file, text } of input.pools) {
    poolFiles.set(pool, file);
    const doc = readPolicyDocument(file, text);
    const checked = checkFile(doc);
    report(checked.errors);
    // With broken defaults a pool's cross-field checks would only echo them: the file checks suffice.
    if (!checked.data || !base) continue;
    const resolved = resolve([...base, fileLayer(doc, checked.data)], file);
    report(resolved.errors);
    if (resolved.policy)
      pools.set(pool, {
        pool,
        file,
        policy: withModelPath(resolved.policy, resolved.fields),
        fields: resolved.fields,
      });
  }
  return { files, pools, poolFiles, errors: errors.sort(byPlace(files)) };
}

/** A model or labels file named in a policy is read from beside the file that names it, wherever shadowcast runs. */
function withModelPath(policy: Policy, fields: readonly PolicyField[]): Policy {
  const beside = (key: 'model' | 'labels', path: string | undefined): string | undefined => {
    const source = fields.find((f) => f.field === `risk.${key}`)?.source;
    if (path === undefined || path === 'built-in' || isAbsolute(path) || source?.kind !== 'file') return path;
    return join(dirname(source.file), path);
  };
  const risk = { ...policy.risk, model: beside('model', policy.risk.model)! };
  const labels = beside('labels', policy.risk.labels);
  if (labels !== undefined) risk.labels = labels;
  return { ...policy, risk };
}

/** The complaints that keep `pool` from resolving: its own file's and those of shared files. */
export function errorsFor(set: PolicySet, pool: string): InputError[] {
  const own = set.poolFiles.get(pool);
  const others = new Set([...set.poolFiles.values()].filter((f) => f !== own));
  return set.errors.filter((e) => !others.has(e.file));
}

/** The built-in defaults alone, with their provenance: what a pool with an empty file gets. */
export function builtinPolicy(): { policy: Policy; fields: PolicyField[] } {
  const { policy, fields } = resolve([BUILTIN_LAYER], undefined);
  return { policy: policy!, fields };
}
