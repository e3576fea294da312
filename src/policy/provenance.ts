// Layers of policy (built-in defaults, defaults.yaml, a pool's file) merged into one, remembering
// for every leaf field which layer set it and where: reviewers ask "why is this 30?", and the
// answer is a file and a line. Mappings merge key by key; lists and values replace.

import { INHERITED_FROM_CAPACITY } from './schema.js';

/** Where a field's value came from: the built-in defaults, or a key in a file. */
export type Source =
  | { kind: 'built-in'; via?: string }
  | { kind: 'file'; file: string; line: number; column: number; via?: string };

export interface Layer {
  data: Record<string, unknown>;
  /** The source of the leaf at `path` in this layer. */
  source(path: string[]): Source;
}

export interface Merged {
  data: Record<string, unknown>;
  /** By dotted path (`standby.criticality.high`, `migration.gates`). */
  sources: Map<string, Source>;
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeLayers(layers: readonly Layer[]): Merged {
  const data: Record<string, unknown> = {};
  const sources = new Map<string, Source>();
  const into = (
    target: Record<string, unknown>,
    from: Record<string, unknown>,
    path: string[],
    layer: Layer,
  ) => {
    for (const [key, value] of Object.entries(from)) {
      const here = [...path, key];
      if (isMapping(value)) {
        const child = isMapping(target[key]) ? target[key] : (target[key] = {});
        into(child as Record<string, unknown>, value, here, layer);
      } else {
        target[key] = value;
        sources.set(here.join('.'), layer.source(here));
      }
    }
  };
  for (const layer of layers) into(data, layer.data, [], layer);
  inheritFromCapacity(data, sources);
  return { data, sources };
}

/** Shadow's instance fields default to capacity's, wherever capacity's came from. */
function inheritFromCapacity(data: Record<string, unknown>, sources: Map<string, Source>): void {
  const capacity = isMapping(data.capacity) ? data.capacity : undefined;
  const shadow = isMapping(data.shadow) ? data.shadow : (data.shadow = {});
  for (const key of INHERITED_FROM_CAPACITY) {
    const from = sources.get(`capacity.${key}`);
    if (shadow[key] !== undefined || capacity?.[key] === undefined || !from) continue;
    shadow[key] = capacity[key];
    sources.set(`shadow.${key}`, { ...from, via: `capacity.${key}` });
  }
}

/** `built-in default`, `policies/defaults.yaml:12`, with `(via capacity.instanceType)` when inherited. */
export function formatSource(s: Source): string {
  const where = s.kind === 'built-in' ? 'built-in default' : `${s.file}:${s.line}`;
  return s.via ? `${where} (via ${s.via})` : where;
}

/** Higher is more specific: a pool's file beats defaults.yaml beats the built-in defaults. */
export function specificity(s: Source | undefined, poolFile: string | undefined): number {
  if (!s || s.kind === 'built-in') return 0;
  return s.file === poolFile ? 2 : 1;
}

/** A value as a reviewer reads it: durations as written, percentages with %, gates as bounds. */
export function formatValue(field: string, value: unknown): string {
  if (typeof value === 'number' && field.endsWith('Percent')) return `${value}%`;
  if (field === 'migration.gates' && Array.isArray(value)) return value.map(gateText).join(', ');
  return flow(value);
}

function gateText(gate: { metric?: unknown; min?: unknown; max?: unknown }): string {
  const bounds = [
    gate.min !== undefined && `>= ${flow(gate.min)}`,
    gate.max !== undefined && `<= ${flow(gate.max)}`,
  ];
  return `${flow(gate.metric)} ${bounds.filter(Boolean).join(' ')}`;
}

function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (isMapping(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(', ')}}`;
  if (typeof value === 'string') return /^[\w./-]+$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}
