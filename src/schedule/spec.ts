// Forecast specs: one YAML per pool in forecasts/ naming the metric source, the calendars,
// the horizon, the level and the model, and optionally the pool's node metrics (for risk
// scoring) with each node's workload: how critical, whether stateless. Paths are relative to the
// spec file.

import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { CRITICALITIES } from '../core/graph.js';
import { MODEL_NAMES } from '../forecast/index.js';

const Workload = z
  .object({ criticality: z.enum(CRITICALITIES).optional(), stateless: z.boolean().optional() })
  .strict();

const NodesSchema = z
  .object({
    /** Long-form node metrics, `node,metric,timestamp,value`. */
    file: z.string().min(1),
    timezone: z.string().default('UTC'),
    /** Every node's workload unless listed under `workloads`. */
    criticality: z.enum(CRITICALITIES).default('normal'),
    stateless: z.boolean().default(true),
    workloads: z.record(z.string(), Workload).default({}),
  })
  .strict();

const SpecSchema = z
  .object({
    pool: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'pool names are lowercase letters, digits and dashes'),
    description: z.string().optional(),
    source: z
      .object({
        kind: z.literal('csv'),
        file: z.string().min(1),
        series: z.string().optional(),
        timezone: z.string().default('UTC'),
        max_gap: z.number().int().nonnegative().default(6),
      })
      .strict(),
    calendars: z.array(z.string()).default([]),
    horizon: z.union([z.string(), z.number().int().positive()]).transform(String),
    level: z.number().gt(0).lt(1).default(0.8),
    model: z.enum(MODEL_NAMES).default('auto'),
    nodes: NodesSchema.optional(),
  })
  .strict();

export type ForecastSpec = z.infer<typeof SpecSchema> & { file: string };
export type NodesSpec = z.infer<typeof NodesSchema>;

export function parseSpec(file: string, text: string): ForecastSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  const yamlError = doc.errors[0];
  if (yamlError)
    throw new InputError(
      file,
      lineAt(yamlError.pos[0]),
      `not valid YAML: ${yamlError.message.split('\n')[0]}`,
    );
  if (!isMap(doc.contents))
    throw new InputError(file, 1, 'a forecast spec is a mapping (pool:, source:, horizon:, ...)');
  const parsed = SpecSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    const node = doc.getIn(path, true) as { range?: [number, number] } | undefined;
    const parent = doc.getIn(path.slice(0, -1), true) as { range?: [number, number] } | undefined;
    const where = path.length ? `${path.join('.')}: ` : '';
    throw new InputError(file, lineAt(node?.range?.[0] ?? parent?.range?.[0]), `${where}${issue.message}`);
  }
  const dir = dirname(file);
  const spec = parsed.data;
  return {
    ...spec,
    file,
    source: { ...spec.source, file: resolve(dir, spec.source.file) },
    calendars: spec.calendars.map((c) => resolve(dir, c)),
    ...(spec.nodes ? { nodes: { ...spec.nodes, file: resolve(dir, spec.nodes.file) } } : {}),
  };
}
