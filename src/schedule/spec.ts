// Forecast specs: one YAML per pool in forecasts/ naming the metric source, the calendars,
// the horizon, the level and the model, and optionally the pool's node metrics (for risk
// scoring) with each node's workload: how critical, whether stateless. Paths are relative to the
// spec file.

import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { CRITICALITIES } from '../core/graph.js';
import { parseDuration } from '../core/duration.js';
import { MODEL_NAMES } from '../forecast/index.js';

const Workload = z
  .object({ criticality: z.enum(CRITICALITIES).optional(), stateless: z.boolean().optional() })
  .strict();

const durationText = (what: string) =>
  z.string().refine((t) => (parseDuration(t) ?? 0) > 0, `${what}: expected a duration like 5m, 1h, 28d`);

const NodesSchema = z
  .object({
    /** Long-form node metrics, `node,metric,timestamp,value`... */
    file: z.string().min(1).optional(),
    /** ...or, with a Prometheus source, one query per metric, each series naming its node by `node_label`. */
    queries: z.record(z.string().min(1), z.string().min(1)).optional(),
    node_label: z.string().min(1).default('instance'),
    /** How far back the queries read: the score compares each metric with its own trailing day. */
    lookback: durationText('lookback').default('2d'),
    step: durationText('step').default('1m'),
    timezone: z.string().default('UTC'),
    /** Every node's workload unless listed under `workloads`. */
    criticality: z.enum(CRITICALITIES).default('normal'),
    stateless: z.boolean().default(true),
    workloads: z.record(z.string(), Workload).default({}),
  })
  .strict();

const CsvSourceSchema = z
  .object({
    kind: z.literal('csv'),
    file: z.string().min(1),
    series: z.string().optional(),
    timezone: z.string().default('UTC'),
    max_gap: z.number().int().nonnegative().default(6),
  })
  .strict();

/** A live source reads `lookback` before the run's time, at `step`. */
const liveFields = {
  query: z.string().min(1),
  step: durationText('step').default('5m'),
  lookback: durationText('lookback').default('28d'),
  timezone: z.string().default('UTC'),
  max_gap: z.number().int().nonnegative().default(6),
};

const PrometheusSourceSchema = z
  .object({
    kind: z.literal('prometheus'),
    url: z.url(),
    ...liveFields,
    timeout: durationText('timeout').default('30s'),
    /** A file holding the bearer token (a mounted Secret), never the token itself. */
    bearer_token_file: z.string().min(1).optional(),
    basic_auth: z
      .object({ username: z.string().min(1), password_file: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

const CloudWatchSourceSchema = z
  .object({ kind: z.literal('cloudwatch'), region: z.string().min(1), ...liveFields })
  .strict();

/** Who calls whom, from the spec's Prometheus: caller → callee request rates (see README, "Service graphs"). */
const GraphSchema = z
  .object({
    query: z.string().min(1),
    window: durationText('window').default('1h'),
    half_life: durationText('half_life').default('6h'),
    source_label: z.string().min(1).default('source'),
    destination_label: z.string().min(1).default('destination'),
    ignore: z.array(z.string()).default([]),
    /** The service this pool's nodes run, in the graph's names; default the pool's name. */
    service: z.string().min(1).optional(),
    trials: z.number().int().min(100).max(100_000).default(2000),
  })
  .strict();

const SpecSchema = z
  .object({
    pool: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'pool names are lowercase letters, digits and dashes'),
    description: z.string().optional(),
    source: z.discriminatedUnion('kind', [CsvSourceSchema, PrometheusSourceSchema, CloudWatchSourceSchema]),
    calendars: z.array(z.string()).default([]),
    horizon: z.union([z.string(), z.number().int().positive()]).transform(String),
    level: z.number().gt(0).lt(1).default(0.8),
    model: z.enum(MODEL_NAMES).default('auto'),
    nodes: NodesSchema.optional(),
    graph: GraphSchema.optional(),
    /** Health-gate metric → query on the spec's Prometheus (`{pool}` replaced), for --target pulumi. */
    health: z.record(z.string().min(1), z.string().min(1)).optional(),
  })
  .strict()
  .refine((s) => !s.graph || s.source.kind === 'prometheus', {
    message: 'needs a prometheus source (the traffic query runs against it)',
    path: ['graph'],
  })
  .refine((s) => !s.nodes || (s.nodes.file === undefined) !== (s.nodes.queries === undefined), {
    message: 'give exactly one of file (a node metrics CSV) or queries (one per metric)',
    path: ['nodes'],
  })
  .refine((s) => !s.nodes?.queries || s.source.kind === 'prometheus', {
    message: 'queries: need a prometheus source (they run against it)',
    path: ['nodes', 'queries'],
  })
  .refine((s) => !s.health || s.source.kind === 'prometheus', {
    message: 'needs a prometheus source (the gate queries run against it)',
    path: ['health'],
  });

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
    source: resolveSource(dir, spec.source),
    calendars: spec.calendars.map((c) => resolve(dir, c)),
    ...(spec.nodes
      ? { nodes: { ...spec.nodes, ...(spec.nodes.file ? { file: resolve(dir, spec.nodes.file) } : {}) } }
      : {}),
  };
}

type Source = z.infer<typeof SpecSchema>['source'];

/** Paths in a source (a CSV file, credential files) are relative to the spec file. */
function resolveSource(dir: string, source: Source): Source {
  switch (source.kind) {
    case 'csv':
      return { ...source, file: resolve(dir, source.file) };
    case 'prometheus':
      return {
        ...source,
        ...(source.bearer_token_file ? { bearer_token_file: resolve(dir, source.bearer_token_file) } : {}),
        ...(source.basic_auth
          ? {
              basic_auth: {
                ...source.basic_auth,
                password_file: resolve(dir, source.basic_auth.password_file),
              },
            }
          : {}),
      };
    default:
      return source;
  }
}
