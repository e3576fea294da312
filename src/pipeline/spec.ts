// Forecast specs: one YAML per pool in forecasts/ naming the metric source, the calendars,
// the leading signals, the horizon, the level and the model, and optionally the pool's node metrics (for risk
// scoring) with each node's workload: how critical, whether stateless. Paths are relative to the
// spec file. Horizons, durations and point counts are bounded (limits named in each message), so
// a typo is refused at its line instead of growing a run without end.

import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { CRITICALITIES } from '../core/graph.js';
import { DAY_MS, horizonProblem, quoted } from '../core/duration.js';
import { MODEL_NAMES } from '../forecast/index.js';
import {
  durationText,
  HOUR_MS,
  pointsProblem,
  resolveSource,
  SourceSpecSchema,
} from '../metrics/source-spec.js';

const Workload = z
  .object({ criticality: z.enum(CRITICALITIES).optional(), stateless: z.boolean().optional() })
  .strict();

const NodesSchema = z
  .object({
    /** Long-form node metrics, `node,metric,timestamp,value`... */
    file: z.string().min(1).optional(),
    /** ...or, with a Prometheus source, one query per metric, each series naming its node by `node_label`. */
    queries: z.record(z.string().min(1), z.string().min(1)).optional(),
    node_label: z.string().min(1).default('instance'),
    /**
     * Each node's zone, for standby placement and zone-loss reserve: listed here by node, or read
     * from this label of the node's series (e.g. `zone`, or kube-state-metrics'
     * `label_topology_kubernetes_io_zone`).
     */
    zones: z.record(z.string().min(1), z.string().min(1)).default({}),
    zone_label: z.string().min(1).optional(),
    /** How far back the queries read: the score compares each metric with its own trailing day. */
    lookback: durationText('lookback', 30 * DAY_MS).default('2d'),
    step: durationText('step', HOUR_MS).default('1m'),
    timezone: z.string().default('UTC'),
    /** Every node's workload unless listed under `workloads`. */
    criticality: z.enum(CRITICALITIES).default('normal'),
    stateless: z.boolean().default(true),
    workloads: z.record(z.string(), Workload).default({}),
  })
  .strict()
  .superRefine((n, ctx) => {
    const problem = pointsProblem(n.lookback, n.step);
    if (problem) ctx.addIssue({ code: 'custom', path: ['lookback'], message: problem });
  });

/** Who calls whom, from the spec's Prometheus: caller → callee request rates (see README, "Service graphs"). */
const GraphSchema = z
  .object({
    query: z.string().min(1),
    window: durationText('window', 7 * DAY_MS).default('1h'),
    half_life: durationText('half_life', 366 * DAY_MS).default('6h'),
    source_label: z.string().min(1).default('source'),
    destination_label: z.string().min(1).default('destination'),
    ignore: z.array(z.string()).default([]),
    /** The service this pool's nodes run, in the graph's names; default the pool's name. */
    service: z.string().min(1).optional(),
    trials: z.number().int().min(100).max(100_000).default(2000),
  })
  .strict();

/**
 * A series that may run ahead of demand (a mention or sentiment index, ticket sales, sign-ups),
 * read from any metric source; the forecast keeps it only when it helps (docs/leading-signals.md).
 */
const SignalSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
        'signal names are letters, digits, dots, dashes and underscores',
      ),
    source: SourceSpecSchema,
    /** The longest lag tried: how far ahead of demand the signal may run. */
    max_lag: durationText('max_lag', 30 * DAY_MS).default('1d'),
  })
  .strict();

const RESOURCE_NAME = /^[a-z][a-z0-9_-]*$/;
const RESOURCE_NAME_MESSAGE = 'resource names are lowercase letters, digits, dashes and underscores';

/**
 * A further resource the pool serves (memory, network, storage), its own series in its own units;
 * the pool's policy gives its units an instance (capacity.resources), and the pool is sized by
 * the resource that binds.
 */
const ResourceSchema = z
  .object({ name: z.string().regex(RESOURCE_NAME, RESOURCE_NAME_MESSAGE), source: SourceSpecSchema })
  .strict();

/** At most this many further resources a pool: each is forecast on every run. */
export const MAX_RESOURCES = 8;

/** At most this many signals a pool: each costs a backtest per fit. */
export const MAX_SIGNALS = 8;

const SpecSchema = z
  .object({
    pool: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'pool names are lowercase letters, digits and dashes'),
    description: z.string().optional(),
    source: SourceSpecSchema,
    calendars: z.array(z.string()).default([]),
    /** `forecast`'s horizon for this spec; `run` and `plan` take the pool's policy's instead. */
    horizon: z
      .union([z.string(), z.number().int().positive()])
      .default('48h')
      .transform(String)
      .superRefine((text, ctx) => {
        const problem = horizonProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: `${quoted(text)} ${problem}` });
      }),
    level: z.number().gt(0).lt(1).default(0.8),
    model: z.enum(MODEL_NAMES).default('auto'),
    nodes: NodesSchema.optional(),
    graph: GraphSchema.optional(),
    /** What `source:` measures, as the plan names it beside `resources:` (cpu, requests...). */
    resource: z.string().regex(RESOURCE_NAME, RESOURCE_NAME_MESSAGE).default('demand'),
    resources: z
      .array(ResourceSchema)
      .max(MAX_RESOURCES, `at most ${MAX_RESOURCES} resources a pool (each is forecast on every run)`)
      .default([]),
    signals: z
      .array(SignalSchema)
      .max(MAX_SIGNALS, `at most ${MAX_SIGNALS} signals a pool (each costs a backtest per fit)`)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((sig, i) => {
          if (seen.has(sig.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `signal "${sig.name}" is named twice`,
            });
          seen.add(sig.name);
        });
      }),
    /** Health-gate metric → query on the spec's Prometheus (`{pool}` replaced), for --target pulumi. */
    health: z.record(z.string().min(1), z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set([s.resource]);
    s.resources.forEach((r, i) => {
      if (seen.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['resources', i, 'name'],
          message: `resource "${r.name}" is named twice (source: measures "${s.resource}")`,
        });
      seen.add(r.name);
    });
  })
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
export type SignalSpec = z.infer<typeof SignalSchema>;

export function parseSpec(file: string, text: string): ForecastSpec {
  const lines = new LineCounter();
  const doc = parseYaml(file, text, lines);
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  const yamlError = doc.errors[0];
  if (yamlError)
    throw new InputError(file, lineAt(yamlError.pos[0]), `not valid YAML: ${yamlWhy(yamlError.message)}`);
  if (!isMap(doc.contents))
    throw new InputError(file, 1, 'a forecast spec is a mapping (pool:, source:, horizon:, ...)');
  const parsed = SpecSchema.safeParse(specData(file, doc));
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
    signals: spec.signals.map((sig) => ({ ...sig, source: resolveSource(dir, sig.source) })),
    resources: spec.resources.map((r) => ({ ...r, source: resolveSource(dir, r.source) })),
    ...(spec.nodes
      ? { nodes: { ...spec.nodes, ...(spec.nodes.file ? { file: resolve(dir, spec.nodes.file) } : {}) } }
      : {}),
  };
}

/** A YAML complaint on one line (control characters escaped); a stack overflow in words. */
function yamlWhy(message: string): string {
  if (/call stack/i.test(message)) return 'nested too deeply';
  const first = message.split('\n')[0]!.slice(0, 200);
  // eslint-disable-next-line no-control-regex
  return first.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** The YAML document; deep enough nesting overflows the parser itself: bad input, not a crash. */
function parseYaml(file: string, text: string, lineCounter: LineCounter) {
  try {
    return parseDocument(text, { lineCounter, prettyErrors: false });
  } catch (err) {
    throw new InputError(file, 1, `not valid YAML: ${yamlWhy(String((err as Error).message))}`);
  }
}

/** The document as data; too many aliases (a YAML bomb) or too deep a structure is bad input. */
function specData(file: string, doc: ReturnType<typeof parseDocument>): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new InputError(file, 1, `not valid YAML: ${yamlWhy(String((err as Error).message))}`);
  }
}
