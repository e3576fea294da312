// The stack's configuration: which target, the DesiredState to declare, each pool's settings on
// that target, and the primary nodes that standbys shadow. Parsed and checked in full before any
// resource is declared: a bad value fails the program with one message naming the config key.
// Pure (no Pulumi calls) so tests and the policy pack can use it as is.

import { z } from 'zod';
import type { DesiredState, PoolState } from '../src/core/plan.js';
import { WEIGHT_EPSILON } from '../src/core/plan.js';

export const TARGETS = ['aws', 'kubernetes', 'local'] as const;
export type Target = (typeof TARGETS)[number];

/** A pool as the stack declares it: the planner's PoolState (standbyZones: where each standby goes). */
export type StackPoolState = PoolState;

export interface StackDesiredState extends DesiredState {
  pools: Record<string, StackPoolState>;
}

const name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: 'must be a pool name: lowercase letters, digits and dashes',
});
const count = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(0, {
      error: `${what} must not be negative`,
    });
const share = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .min(0, { error: `${what} must be at least 0` })
    .max(1, { error: `${what} must be at most 1` });

const POOL_STATE = z
  .strictObject({
    primary: count('primary'),
    shadow: count('shadow'),
    standby: z.record(z.string().min(1), share('a standby share')).default({}),
    weights: z.strictObject({ primary: share('weights.primary'), shadow: share('weights.shadow') }),
    standbyZones: z.record(z.string().min(1), z.string().min(1)).optional(),
    retired: z.array(z.string().min(1)).optional(),
    standbySync: z.record(z.string().min(1), z.number().int().min(0)).optional(),
  })
  .superRefine((p, ctx) => {
    const sum = p.weights.primary + p.weights.shadow;
    if (Math.abs(sum - 1) > WEIGHT_EPSILON) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `primary ${p.weights.primary} + shadow ${p.weights.shadow} = ${round(sum)}: route weights must sum to 1`,
      });
    }
    if (p.weights.shadow > 0 && p.shadow === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights', 'shadow'],
        message: `sends ${p.weights.shadow} of the traffic to an empty shadow pool`,
      });
    }
    if (p.weights.primary > 0 && p.primary === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights', 'primary'],
        message: `sends ${p.weights.primary} of the traffic to an empty primary pool`,
      });
    }
    for (const node of p.retired ?? []) {
      if (p.standby[node] !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['retired'],
          message: `retires ${node}, which is not switched to its standby (standby.${node} must be 1)`,
        });
      }
    }
    for (const node of Object.keys(p.standbySync ?? {})) {
      if (!(node in p.standby)) {
        ctx.addIssue({
          code: 'custom',
          path: ['standbySync', node],
          message: `syncs a standby for ${node}, which has none in standby`,
        });
      }
    }
    for (const node of Object.keys(p.standbyZones ?? {})) {
      if (!(node in p.standby)) {
        ctx.addIssue({
          code: 'custom',
          path: ['standbyZones', node],
          message: `places a standby for ${node}, which has none in standby`,
        });
      }
    }
  });

const DESIRED = z.strictObject({ pools: z.record(name, POOL_STATE) });

/** Tags (AWS) or labels (Kubernetes) every resource carries, beyond shadowcast's own. */
const EXTRA_TAGS = z.record(z.string().min(1), z.string()).default({});

const WARM_POOL = z.strictObject({
  /** Stopped costs only storage; Running starts fastest; Hibernated keeps memory. */
  state: z.enum(['Stopped', 'Running', 'Hibernated']).default('Stopped'),
  /** Instances kept warm beside the shadow group, beyond those the standby map asks for. */
  minSize: count('warmPool.minSize').default(0),
});

const AWS_POOL = z.strictObject({
  ami: z.string().regex(/^ami-[0-9a-f]{8,17}$/, { error: 'must be an AMI id like ami-0123456789abcdef0' }),
  instanceType: z.string().min(1),
  /** The shadow group may run a smaller type. Default: instanceType. */
  shadowInstanceType: z.string().min(1).optional(),
  /** Port the workload listens on, and the health check path the target groups probe. */
  port: z.number().int().min(1).max(65535).default(80),
  healthCheckPath: z.string().startsWith('/').default('/healthz'),
  warmPool: WARM_POOL.default({ state: 'Stopped', minSize: 0 }),
  /** Cloud-init user data for every instance of the pool (the stack base64-encodes it). */
  userData: z.string().optional(),
});

const AWS = z.strictObject({
  region: z.string().min(1).optional(),
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: 'must be a VPC id like vpc-0123abcd' }),
  /** One subnet per zone the pools may use, by zone name. */
  subnets: z
    .record(z.string().min(1), z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'must be a subnet id' }))
    .refine((s) => Object.keys(s).length > 0, { error: 'must name at least one zone: {zone: subnet-id}' }),
  /** alb: an ALB listener forwards to weighted target groups; route53: weighted DNS records. */
  routing: z.enum(['alb', 'route53']).default('alb'),
  listenerPort: z.number().int().min(1).max(65535).default(80),
  /** For route53 routing: the hosted zone and the record name both pools answer for. */
  route53: z
    .strictObject({
      zoneId: z.string().min(1),
      recordName: z.string().min(1),
      ttl: z.number().int().min(0).default(30),
    })
    .optional(),
  pools: z.record(name, AWS_POOL),
  tags: EXTRA_TAGS,
  /** Longest a node's switch (deregistration delay, Standby) may take, in seconds. */
  drainTimeoutSeconds: z.number().int().min(1).default(600),
});

const K8S_POOL = z.strictObject({
  image: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(8080),
  /** Requests of one primary replica. */
  cpu: z.string().min(1).default('500m'),
  memory: z.string().min(1).default('512Mi'),
  /** The shadow's requests as a share of the primary's (a lighter replica). */
  shadowRequestShare: z.number().gt(0).max(1).default(0.5),
  /** PodDisruptionBudget: at most this many replicas of a pool down at once by eviction. */
  maxUnavailable: z.union([z.number().int().min(0), z.string().regex(/^\d+%$/)]).default(1),
});

const K8S = z.strictObject({
  namespace: z.string().min(1).default('default'),
  /** gateway: a Gateway API HTTPRoute with weighted backendRefs; ingress-nginx: canary-weight annotations. */
  routing: z.enum(['gateway', 'ingress-nginx']).default('gateway'),
  gateway: z.strictObject({ name: z.string().min(1), namespace: z.string().min(1).optional() }).optional(),
  /** Host the route or ingress answers for. */
  host: z.string().min(1).optional(),
  /** placeholder: low-priority pause pods hold room on the standby's node; node-label: a labelled node pool. */
  standby: z.enum(['placeholder', 'node-label']).default('placeholder'),
  /** A VolumeSnapshotClass: with it, a node's claim is snapshotted at each sync time and the standby restores the newest. */
  volumeSnapshotClass: z.string().min(1).optional(),
  pools: z.record(name, K8S_POOL),
  labels: EXTRA_TAGS,
  /** Longest a node's switch (cordon, evictions, pods ready elsewhere) may take, in seconds. */
  drainTimeoutSeconds: z.number().int().min(1).default(600),
});

/**
 * The local target: the simulated fleet in a state directory (STATE/sim/POOL.json), changed by
 * shadowcast's own provider plugin (pulumi-resource-shadowcast). The deployer writes `step` and
 * `faults` before each update; a stack template sets `stateDir` (the runner's --state).
 */
const LOCAL = z.strictObject({
  stateDir: z.string().min(1),
  /** The step this update applies (MIGRATION/STEP-ID), for the fleet's update log. */
  step: z.string().default(''),
  /** Whether this update is a rollback (the fleet logs and checks it as one). */
  rollback: z.boolean().default(false),
  /** Faults for the fleet to meet in this update (`apply --inject`): failed or slow updates. */
  faults: z.array(z.record(z.string(), z.unknown())).default([]),
});

/** A primary node a standby may shadow: where it runs, and the block volume its data lives on. */
const NODE = z.strictObject({
  zone: z.string().min(1),
  /** AWS: the EBS volume holding the node's data (the standby gets a copy from its snapshot). */
  volumeId: z
    .string()
    .regex(/^vol-[0-9a-f]{8,17}$/, { error: 'must be an EBS volume id like vol-0123abcd' })
    .optional(),
  /** Kubernetes: the PersistentVolumeClaim holding the node's data. */
  claim: z.string().min(1).optional(),
});

export type AwsSettings = z.output<typeof AWS>;
export type AwsPoolSettings = z.output<typeof AWS_POOL>;
export type KubernetesSettings = z.output<typeof K8S>;
export type KubernetesPoolSettings = z.output<typeof K8S_POOL>;
export type NodeInfo = z.output<typeof NODE>;
export type LocalSettings = z.output<typeof LOCAL>;

interface Common {
  desired: StackDesiredState;
  /** Primary nodes by id (instance id or node name), for standby placement and data hand-off. */
  nodes: Record<string, NodeInfo>;
}
export type StackConfig =
  | (Common & { target: 'aws'; aws: AwsSettings })
  | (Common & { target: 'kubernetes'; kubernetes: KubernetesSettings })
  | (Common & { target: 'local'; local: LocalSettings });

/** A config value that cannot be used: the message names the key (`shadowcast:desired.pools.web...`). */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/**
 * The raw config values, by key without the `shadowcast:` namespace (`target`, `desired`, `aws`,
 * `kubernetes`, `nodes`), as `pulumi.Config.getObject` returns them → a checked StackConfig.
 * Throws StackConfigError on the first key that is wrong, listing every problem in it.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const target = raw.target;
  if (target === undefined)
    throw new StackConfigError('shadowcast:target is not set: aws, kubernetes or local');
  if (!TARGETS.includes(target as Target)) {
    throw new StackConfigError(
      `shadowcast:target: ${JSON.stringify(target)} must be aws, kubernetes or local`,
    );
  }
  if (raw.desired === undefined) {
    throw new StackConfigError('shadowcast:desired is not set: the DesiredState to declare, {pools: {...}}');
  }
  const desired = check('desired', DESIRED, raw.desired) as StackDesiredState;
  const nodes = check('nodes', z.record(z.string().min(1), NODE).default({}), raw.nodes);
  const settingsKey = target as Target;
  if (target === 'local') {
    if (raw.local === undefined) {
      throw new StackConfigError(
        "shadowcast:local is not set: {stateDir}, the simulated fleet's state directory",
      );
    }
    return { target, desired, nodes, local: check('local', LOCAL, raw.local) };
  }
  if (raw[settingsKey] === undefined) {
    throw new StackConfigError(`shadowcast:${settingsKey} is not set: the ${settingsKey} target's settings`);
  }
  const settings = target === 'aws' ? check('aws', AWS, raw.aws) : check('kubernetes', K8S, raw.kubernetes);
  // Every pool the DesiredState names must be one the target knows how to build.
  const known = Object.keys(settings.pools);
  for (const pool of Object.keys(desired.pools)) {
    if (!known.includes(pool)) {
      throw new StackConfigError(
        `shadowcast:desired.pools.${pool}: unknown pool: shadowcast:${settingsKey}.pools defines ${known.length ? known.join(', ') : 'none'}`,
      );
    }
  }
  // A standby goes beside the node it shadows: that node must be known (its zone, its data).
  for (const [pool, state] of Object.entries(desired.pools)) {
    for (const node of Object.keys(state.standby)) {
      if (!(node in nodes) && state.standbyZones?.[node] === undefined) {
        throw new StackConfigError(
          `shadowcast:desired.pools.${pool}.standby.${node}: unknown node: add it to shadowcast:nodes with its zone, or place it in standbyZones`,
        );
      }
      const zone = state.standbyZones?.[node] ?? nodes[node]!.zone;
      if (target === 'aws' && !(zone in (settings as AwsSettings).subnets)) {
        throw new StackConfigError(
          `shadowcast:desired.pools.${pool}.standby.${node}: zone ${zone} has no subnet in shadowcast:aws.subnets`,
        );
      }
    }
  }
  if (target === 'aws') {
    const aws = settings as AwsSettings;
    if (aws.routing === 'route53' && !aws.route53) {
      throw new StackConfigError('shadowcast:aws.route53: routing is route53, so set {zoneId, recordName}');
    }
    // Both routings put the groups behind Application Load Balancers, which need two zones.
    const zones = Object.keys(aws.subnets).sort();
    if (zones.length < 2) {
      throw new StackConfigError(
        `shadowcast:aws.subnets: an Application Load Balancer needs subnets in at least two zones, got ${zones.join(', ')}`,
      );
    }
    const pools = Object.keys(desired.pools).sort();
    if (aws.routing === 'route53' && pools.length > 1) {
      throw new StackConfigError(
        `shadowcast:aws.route53: one record name serves one pool, and the stack has ${pools.length} (${pools.join(', ')}): give each its own stack, or use routing alb`,
      );
    }
    return { target, desired, nodes, aws };
  }
  const k8s = settings as KubernetesSettings;
  if (k8s.routing === 'gateway' && !k8s.gateway) {
    throw new StackConfigError('shadowcast:kubernetes.gateway: routing is gateway, so set {name, namespace}');
  }
  return { target: 'kubernetes', desired, nodes, kubernetes: k8s };
}

function check<T extends z.ZodType>(key: string, schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return `shadowcast:${key}${path ? `.${path}` : ''}: ${i.message}`;
  });
  throw new StackConfigError(problems.join('; '));
}

/** The zone a standby for `node` goes in: the planner's placement, else the node's own zone. */
export function standbyZone(config: StackConfig, pool: string, node: string): string {
  const state = config.desired.pools[pool]!;
  const zone = state.standbyZones?.[node] ?? config.nodes[node]?.zone;
  if (zone === undefined) throw new StackConfigError(`no zone for the standby of ${node} in pool ${pool}`);
  return zone;
}

function round(v: number): number {
  return Math.round(v * 1e9) / 1e9;
}
