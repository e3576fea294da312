// The schema of policy YAML (zod): each field's meaning, unit and bounds, in one place. A file is
// partial (any field may be left out, unknown keys are refused); the resolved schema takes a fully
// merged policy, checks the rules that join two fields, and turns human units (durations like
// "10m") into the Policy the planner reads (milliseconds, in fields ending in Ms). Every number
// and duration has an upper bound too, well above any real setting: past it a value is a typo
// that would cost the planner or the simulated apply memory or time without end.

import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DAY_MS, durationProblem, MAX_HORIZON_MS, parseDuration } from '../core/duration.js';
import { formatDuration } from '../core/time-format.js';

/** A forecast's history window: at most three years, as a live source's lookback. */
const MAX_HISTORY_MS = 1098 * DAY_MS;
import { CRITICALITIES } from '../core/graph.js';
import { cronProblem } from './cron.js';
import type { Policy } from './types.js';

/** What parseDuration reads, as a JSON Schema pattern so that editors flag a bad duration too. */
export const DURATION_PATTERN = '^\\s*\\d+(?:\\.\\d+)?\\s*[smhdwSMHDW]\\s*$';
export const POOL_NAME = /^[a-z0-9][a-z0-9-]*$/;
export const FORECAST_MODELS = ['auto', 'prophet', 'mstl', 'naive'] as const;

/** Instances of one kind in one pool; the planner and the fleet hold one record per instance. */
export const MAX_INSTANCES = 10_000;
/** Longest wait of one migration step (provision, bake, timeout, dwell, lead time). */
export const MAX_STEP_DURATION_MS = 7 * DAY_MS;
/** Smallest route weight change per step: at most 100 steps per migration. */
export const MIN_STEP_SIZE = 0.01;
/** Largest magnitude of a gate bound, as of a metric value (see the metric CSV limit). */
export const MAX_GATE_VALUE = 1e15;

interface Bounds {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  int?: boolean;
}

/** 10000 as "10,000": limits are read by people. */
const n = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 20 });

function boundsText(b: Bounds): string {
  const kind = b.int ? 'a whole number' : 'a number';
  if (b.gte !== undefined && b.lte !== undefined) return `must be ${kind} from ${n(b.gte)} to ${n(b.lte)}`;
  if (b.gt !== undefined && b.lt !== undefined)
    return `must be ${kind} between ${n(b.gt)} and ${n(b.lt)}, exclusive`;
  const parts = [
    b.gt !== undefined && `above ${n(b.gt)}`,
    b.gte !== undefined && `at least ${n(b.gte)}`,
    b.lt !== undefined && `below ${n(b.lt)}`,
    b.lte !== undefined && `at most ${n(b.lte)}`,
  ].filter(Boolean);
  return `must be ${kind}${parts.length ? ` ${parts.join(' and ')}` : ''}`;
}

function num(description: string, b: Bounds) {
  const error = boundsText(b);
  let s = z.number({ error });
  if (b.int) s = s.int({ error });
  if (b.gt !== undefined) s = s.gt(b.gt, { error });
  if (b.gte !== undefined) s = s.gte(b.gte, { error });
  if (b.lt !== undefined) s = s.lt(b.lt, { error });
  if (b.lte !== undefined) s = s.lte(b.lte, { error });
  return s.describe(description);
}

/** A duration as written ("90s", "10m", "2h", "1d", "1w") up to `maxMs`, in milliseconds once parsed. */
function duration(description: string, maxMs: number, { positive = false } = {}) {
  const error = `must be a${positive ? ' positive' : ''} duration like 90s, 10m, 2h or 1d`;
  return z
    .string({ error })
    .regex(new RegExp(DURATION_PATTERN), { error })
    .transform((text, ctx) => {
      const problem = durationProblem(text, maxMs, { positive });
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem, input: text });
        return z.NEVER;
      }
      return parseDuration(text)!;
    })
    .describe(`${description} At most ${formatDuration(maxMs)}.`);
}

function text(description: string) {
  const error = 'must be a non-empty text';
  return z.string({ error }).trim().min(1, { error }).describe(description);
}

function choice<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` }).describe(description);
}

const poolName = z
  .string({ error: 'must be a pool name' })
  .regex(POOL_NAME, { error: 'must be a pool name: lowercase letters, digits and dashes' });

const MODE = choice(
  ['recommend', 'apply'],
  'recommend: plan and report only (the default); apply: also apply the plans through Pulumi.',
);

const FORECAST = {
  horizon: duration('How far ahead to forecast, like 24h.', MAX_HORIZON_MS, { positive: true }),
  level: num('Interval coverage; the shadow pool is sized from the upper bound at this level.', {
    gt: 0,
    lt: 1,
  }),
  model: choice(FORECAST_MODELS, 'Forecasting model; auto picks by backtest.'),
  maxErrorPercent: num(
    "Alert when the forecast's mean absolute percentage error over errorWindow goes above this, in %.",
    { gt: 0, lte: 10_000 },
  ),
  errorWindow: duration(
    'How far back the forecast is scored against what happened, like 24h.',
    MAX_HORIZON_MS,
    { positive: true },
  ),
  history: duration(
    'How much of the newest history each forecast is fitted on, like 28d: older points cost time and change little. Give a daily series with a yearly season two years or more.',
    MAX_HISTORY_MS,
    { positive: true },
  ),
};

const CAPACITY = {
  unitsPerInstance: num('Demand units one primary instance serves at full load.', { gt: 0, lte: 1e9 }),
  minInstances: num('Fewest primary instances, whatever the forecast.', {
    int: true,
    gte: 0,
    lte: MAX_INSTANCES,
  }),
  maxInstances: num('Most primary instances, whatever the forecast.', {
    int: true,
    gte: 1,
    lte: MAX_INSTANCES,
  }),
  headroomPercent: num('Kept above the forecast mean and the observed load, in %.', { gte: 0, lte: 200 }),
  instanceType: text('Primary instance type, like m6i.large.'),
  hourlyCost: num('Cost of one primary instance per hour, in the account currency.', { gte: 0, lte: 10_000 }),
  provision: duration(
    'Time from asking for an instance to its serving traffic, like 5m.',
    MAX_STEP_DURATION_MS,
  ),
  launchBuffer: duration(
    'Provisioning starts this much earlier than provision and shadow.leadTime ask, for the stack update itself and a late boot, like 1m.',
    MAX_STEP_DURATION_MS,
  ),
  resources: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_-]*$/, {
        error: 'must be a resource name: lowercase letters, digits, dashes and underscores',
      }),
      num('Units of the resource one primary instance offers.', { gt: 0, lte: 1e9 }),
      { error: 'must be a mapping of resource names to units per instance, like memory: 16' },
    )
    .describe(
      'Units of each further resource one primary instance offers, by the name a forecast spec gives it under resources: (memory: 16 for 16 GiB). The pool is sized by whichever resource binds; a shadow instance offers each in the ratio shadow.unitsPerInstance / unitsPerInstance.',
    ),
  zoneLoss: choice(
    ['ignore', 'at-risk', 'always'],
    "Primary instances reserved in the healthy zones against losing one zone: at-risk (the default) when a zone's expected loss from its nodes' failure risk exceeds the headroom; always, so that any one zone can be lost; ignore.",
  ),
};

const SHADOW = {
  enabled: z.boolean({ error: 'must be true or false' }).describe('Keep a warm shadow pool.'),
  peakPercent: num('Primary and shadow together cover this share of the upper peak, in %.', {
    gt: 0,
    lte: 200,
  }),
  bufferPercent: num('Plus this buffer, in % of that peak.', { gte: 0, lte: 100 }),
  minSize: num('Fewest shadow instances while enabled.', { int: true, gte: 0, lte: MAX_INSTANCES }),
  instanceType: text("Shadow instance type; default: capacity's."),
  unitsPerInstance: num("Demand units one shadow instance serves; default: capacity's.", {
    gt: 0,
    lte: 1e9,
  }),
  hourlyCost: num("Cost of one shadow instance per hour; default: capacity's.", { gte: 0, lte: 10_000 }),
  leadTime: duration(
    'A shadow instance is asked for this long before it is needed, like 10m.',
    MAX_STEP_DURATION_MS,
  ),
};

const shift = (c: string) =>
  num(`Subtracted from both thresholds for ${c} workloads.`, { gte: -0.5, lte: 0.5 });
const CRITICALITY = {
  low: shift('low'),
  normal: shift('normal'),
  high: shift('high'),
  critical: shift('critical'),
} satisfies Record<(typeof CRITICALITIES)[number], unknown>;

const STANDBY = {
  provision: num('Failure probability at which a standby node is provisioned.', { gt: 0, lt: 1 }),
  transition: num('Failure probability at which the work moves, once held for dwell.', { gt: 0, lt: 1 }),
  dwell: duration(
    'How long the probability must stay at transition before the work moves.',
    MAX_STEP_DURATION_MS,
  ),
  release: duration('A standby is released after the probability stays low this long.', 30 * DAY_MS),
  hysteresis: num('Released below provision minus this.', { gte: 0, lt: 1 }),
  sync: duration(
    "How often a warm standby's data is brought in step with its node's (a new snapshot restored on it), like 15m.",
    30 * DAY_MS,
  ),
};

const gateBound = num('A bound of the metric.', { gte: -MAX_GATE_VALUE, lte: MAX_GATE_VALUE });

const GATE = z
  .strictObject(
    {
      metric: z
        .string({ error: 'must be a metric name like error_rate' })
        .regex(/^\S+$/, { error: 'must be a metric name like error_rate' }),
      max: gateBound.optional(),
      min: gateBound.optional(),
    },
    { error: 'must be a mapping like {metric: error_rate, max: 0.01}' },
  )
  .superRefine((g, ctx) => {
    if (g.max === undefined && g.min === undefined)
      ctx.addIssue({ code: 'custom', message: 'must set max, min or both' });
    else if (g.max !== undefined && g.min !== undefined && g.min > g.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'must be at most max' });
  })
  .describe('The step fails when the metric goes above max or below min during the bake time.');

const MIGRATION = {
  stepSize: num('Largest change of any route weight in one step.', { gte: MIN_STEP_SIZE, lte: 1 }),
  bake: duration('Health gate watch time after each step, like 2m.', MAX_STEP_DURATION_MS),
  gates: z
    .array(GATE, { error: 'must be a list of gates like [{metric: error_rate, max: 0.01}]' })
    .min(1, { error: 'must hold at least one gate: a step with no health gate cannot roll back by itself' })
    .describe('Health gates checked after each step; a list replaces the defaults, it does not add.'),
  maxConcurrent: num('Migrations running at once.', { int: true, gte: 1, lte: 1_000 }),
  alertPerHour: num('Alert when more migrations than this start within an hour.', {
    int: true,
    gte: 1,
    lte: 1_000,
  }),
  stepTimeout: duration(
    'A step not applied and baked within this rolls back, like 15m.',
    MAX_STEP_DURATION_MS,
    { positive: true },
  ),
};

const GUARDRAILS = {
  maxTotalInstances: num('Across all pools: primary, shadow and standby.', {
    int: true,
    gte: 1,
    lte: 10 * MAX_INSTANCES,
  }),
  maxHourlyCost: num('Across all pools, in the account currency per hour.', { gt: 0, lte: 1e9 }),
  protectedPools: z
    .array(poolName, { error: 'must be a list of pool names' })
    .describe('Pools shadowcast never changes (it still forecasts and reports them).'),
};

const SCHEDULE = {
  cron: z
    .string({ error: 'must be a cron expression like "*/15 * * * *"' })
    .superRefine((expr, ctx) => {
      const problem = cronProblem(expr);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('When the job runs: minute hour day-of-month month day-of-week.'),
  timezone: z
    .string({ error: 'must be an IANA time zone like Europe/Berlin' })
    .refine((zone) => IANAZone.isValidZone(zone), { error: 'is not an IANA time zone like Europe/Berlin' })
    .describe('Zone the cron expression is read in, like UTC or Europe/Berlin.'),
};

const MODEL_PATH_ERROR = 'must be built-in or the path of a model file from `shadowcast risk train`';

const RISK = {
  model: z
    .string({ error: MODEL_PATH_ERROR })
    .regex(/^\S(.*\S)?$/, { error: MODEL_PATH_ERROR })
    .describe(
      'The failure-risk model run and plan score nodes with: built-in, or a model file from `shadowcast risk train`, relative to the policy file that names it.',
    ),
  retrainEvery: duration(
    "How often run retrains the risk model from the pool's own node history and risk.labels, promoting the new model only when it is not worse on held-out nodes. Absent: never.",
    366 * DAY_MS,
    { positive: true },
  ).optional(),
  labels: z
    .string({ error: 'must be the path of a labels CSV as `shadowcast risk train --labels` reads' })
    .regex(/^\S(.*\S)?$/, {
      error: 'must be the path of a labels CSV as `shadowcast risk train --labels` reads',
    })
    .describe(
      "The pool's failure labels for retraining ([node,]timestamp, or [node,]timestamp,label as `risk train --labels` reads), relative to the policy file that names it.",
    )
    .optional(),
  holdout: num(
    'Share of labelled nodes (whole nodes) held out to judge a retrained model against the one in use.',
    { gt: 0, lt: 1 },
  ),
};

/** The keys each mapping allows, by path (`migration.gates[]` for a gate): for "did you mean". */
export const KEYS: Record<string, readonly string[]> = {
  '': ['mode', 'forecast', 'capacity', 'shadow', 'standby', 'risk', 'migration', 'guardrails', 'schedule'],
  forecast: Object.keys(FORECAST),
  capacity: Object.keys(CAPACITY),
  shadow: Object.keys(SHADOW),
  standby: [...Object.keys(STANDBY), 'criticality'],
  'standby.criticality': CRITICALITIES,
  risk: Object.keys(RISK),
  migration: Object.keys(MIGRATION),
  'migration.gates[]': ['metric', 'max', 'min'],
  guardrails: Object.keys(GUARDRAILS),
  schedule: Object.keys(SCHEDULE),
};

const mapping = <T extends z.ZodRawShape>(shape: T, section: string) =>
  z.strictObject(shape, { error: `must be a mapping of ${section} fields (${KEYS[section]!.join(', ')})` });

/** A section may be empty (`capacity:` with every field commented out): it sets nothing. */
const section = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** One policy file, defaults.yaml or pools/<pool>.yaml: every field optional, nothing unknown. */
export const PolicyFileSchema = z
  .strictObject(
    {
      mode: MODE.optional(),
      forecast: section(mapping(FORECAST, 'forecast').partial()),
      capacity: section(mapping(CAPACITY, 'capacity').partial()),
      shadow: section(mapping(SHADOW, 'shadow').partial()),
      standby: section(
        mapping(
          { ...STANDBY, criticality: section(mapping(CRITICALITY, 'standby.criticality').partial()) },
          'standby',
        ).partial(),
      ),
      risk: section(mapping(RISK, 'risk').partial()),
      migration: section(mapping(MIGRATION, 'migration').partial()),
      guardrails: section(mapping(GUARDRAILS, 'guardrails').partial()),
      schedule: section(mapping(SCHEDULE, 'schedule').partial()),
    },
    { error: `a policy file must be a mapping of sections (${KEYS['']!.join(', ')})` },
  )
  .meta({
    title: 'shadowcast policy',
    description:
      'A shadowcast policy file: policies/defaults.yaml or policies/pools/<pool>.yaml. Every field is optional; ' +
      'pool files are merged over the defaults, which are merged over the built-in defaults (lists replace).',
  });

export type PolicyFile = z.input<typeof PolicyFileSchema>;

/** A rule joining two fields of one section: data, so the loader can blame whichever was set last. */
export interface CrossFieldParams {
  /** The other field, from the root. */
  other: string[];
  /** The complaint from the other field's side, when it is the one to blame. */
  otherMessage: string;
}

function crossRule<T extends Record<string, unknown>>(
  section: string,
  a: keyof T & string,
  b: keyof T & string,
  holds: (a: number, b: number) => boolean,
  aMessage: string,
  bMessage: string,
) {
  return (value: T, ctx: z.RefinementCtx<T>) => {
    if (holds(value[a] as number, value[b] as number)) return;
    const params: CrossFieldParams = { other: [section, b], otherMessage: bMessage };
    ctx.addIssue({ code: 'custom', path: [a], message: aMessage, params });
  };
}

const CAPACITY_RESOLVED = mapping(CAPACITY, 'capacity').superRefine(
  crossRule(
    'capacity',
    'minInstances',
    'maxInstances',
    (min, max) => min <= max,
    'must be at most capacity.maxInstances',
    'must be at least capacity.minInstances',
  ),
);

const STANDBY_RESOLVED = mapping(
  { ...STANDBY, criticality: mapping(CRITICALITY, 'standby.criticality') },
  'standby',
)
  .superRefine(
    crossRule(
      'standby',
      'provision',
      'transition',
      (p, t) => p <= t,
      'must be at most standby.transition',
      'must be at least standby.provision',
    ),
  )
  .superRefine(
    crossRule(
      'standby',
      'hysteresis',
      'provision',
      (h, p) => h < p,
      'must be below standby.provision, or a standby would never be released',
      'must be above standby.hysteresis, or a standby would never be released',
    ),
  );

const MIGRATION_RESOLVED = mapping(MIGRATION, 'migration').superRefine(
  crossRule(
    'migration',
    'bake',
    'stepTimeout',
    (bake, timeout) => bake < timeout,
    'must be shorter than migration.stepTimeout, or every step would time out while baking',
    'must be longer than migration.bake, or every step would time out while baking',
  ),
);

type WithMs<T, K extends keyof T & string> = { [P in keyof T as P extends K ? `${P}Ms` : P]: T[P] };

/** Durations are `horizon` in YAML and `horizonMs` in the Policy; the order of fields stays. */
function withMs<T extends object, K extends keyof T & string>(value: T, keys: readonly K[]): WithMs<T, K> {
  const renamed = Object.entries(value).map(([k, v]) => [
    (keys as readonly string[]).includes(k) ? `${k}Ms` : k,
    v,
  ]);
  return Object.fromEntries(renamed) as WithMs<T, K>;
}

/** A fully merged policy (every field set, shadow's instance fields filled) → the Policy. */
export const ResolvedPolicySchema = z
  .strictObject({
    mode: MODE,
    forecast: mapping(FORECAST, 'forecast').transform((v) =>
      withMs(v, ['horizon', 'errorWindow', 'history']),
    ),
    capacity: CAPACITY_RESOLVED.transform((v) => withMs(v, ['provision', 'launchBuffer'])),
    shadow: mapping(SHADOW, 'shadow').transform((v) => withMs(v, ['leadTime'])),
    standby: STANDBY_RESOLVED.transform((v) => withMs(v, ['dwell', 'release', 'sync'])),
    risk: mapping(RISK, 'risk')
      .superRefine((risk, ctx) => {
        if (risk.retrainEvery === undefined || risk.labels !== undefined) return;
        ctx.addIssue({
          code: 'custom',
          path: ['retrainEvery'],
          message: "needs risk.labels: retraining learns from the pool's labelled failures",
        });
      })
      .transform((v) => withMs(v, ['retrainEvery'])),
    migration: MIGRATION_RESOLVED.transform((v) => withMs(v, ['bake', 'stepTimeout'])),
    guardrails: mapping(GUARDRAILS, 'guardrails'),
    schedule: mapping(SCHEDULE, 'schedule'),
  })
  .superRefine((policy, ctx) => {
    // A step waits, within its deadline, for the instances it asked for to serve: provisioning
    // that takes longer would time out and roll back every scale-up.
    const provision = policy.capacity.provisionMs as unknown;
    const timeout = policy.migration.stepTimeoutMs as unknown;
    // A section that failed its own checks has said so already.
    if (typeof provision !== 'number' || typeof timeout !== 'number' || provision < timeout) return;
    const params: CrossFieldParams = {
      other: ['capacity', 'provision'],
      otherMessage:
        'must be shorter than migration.stepTimeout, or every scale-up would time out waiting for its instances and roll back',
    };
    ctx.addIssue({
      code: 'custom',
      path: ['migration', 'stepTimeout'],
      message:
        'must be longer than capacity.provision, or every scale-up would time out waiting for its instances and roll back',
      params,
    });
  });

// The schema produces exactly the planner's contract: each direction fails to compile otherwise.
const _toPolicy = (p: z.output<typeof ResolvedPolicySchema>): Policy => p;
const _fromPolicy = (p: Policy): z.output<typeof ResolvedPolicySchema> => p;

/**
 * The built-in defaults, written as a policy file would be. Shadow's instanceType,
 * unitsPerInstance and hourlyCost are absent on purpose: they default to capacity's, wherever
 * that was set. Standby matches STANDBY_DEFAULTS in src/risk/standby.ts (a test holds them equal).
 */
export const BUILTIN_DEFAULTS = {
  mode: 'recommend',
  forecast: {
    horizon: '24h',
    level: 0.9,
    model: 'auto',
    maxErrorPercent: 30,
    errorWindow: '24h',
    history: '28d',
  },
  capacity: {
    unitsPerInstance: 100,
    minInstances: 2,
    maxInstances: 50,
    headroomPercent: 20,
    instanceType: 'm6i.large',
    hourlyCost: 0.096,
    provision: '5m',
    launchBuffer: '1m',
    resources: {},
    zoneLoss: 'at-risk',
  },
  shadow: { enabled: true, peakPercent: 100, bufferPercent: 10, minSize: 1, leadTime: '10m' },
  standby: {
    provision: 0.7,
    transition: 0.9,
    dwell: '10m',
    release: '30m',
    sync: '15m',
    hysteresis: 0.1,
    criticality: { low: -0.05, normal: 0, high: 0.05, critical: 0.1 },
  },
  risk: { model: 'built-in', holdout: 0.3 },
  migration: {
    stepSize: 0.1,
    bake: '2m',
    gates: [
      { metric: 'error_rate', max: 0.01 },
      { metric: 'latency_p99_ms', max: 500 },
    ],
    maxConcurrent: 1,
    alertPerHour: 6,
    stepTimeout: '15m',
  },
  guardrails: { maxTotalInstances: 200, maxHourlyCost: 50, protectedPools: [] },
  schedule: { cron: '*/15 * * * *', timezone: 'UTC' },
} as const satisfies PolicyFile;

/** Shadow fields that take capacity's value unless a file sets them. */
export const INHERITED_FROM_CAPACITY = ['instanceType', 'unitsPerInstance', 'hourlyCost'] as const;

/** Every leaf field in schema order, as dotted YAML paths; lists are leaves (they replace). */
export const FIELDS: readonly string[] = KEYS['']!.flatMap((section) =>
  section === 'mode'
    ? ['mode']
    : KEYS[section]!.flatMap((key) =>
        key === 'criticality'
          ? CRITICALITIES.map((c) => `${section}.criticality.${c}`)
          : [`${section}.${key}`],
      ),
);
