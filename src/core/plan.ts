// What the planner decides and the deployer applies, as plain JSON. A `DesiredState` is the only
// thing that crosses from the planner into Pulumi: the stack reads it from config and declares
// resources from it. A `MigrationPlan` is the ordered list of such states that gets there safely.

/** One pool as it should be. */
export interface PoolState {
  /** Instances in the primary pool. */
  primary: number;
  /** Warm instances in the shadow pool (lightly used, ready to take traffic). */
  shadow: number;
  /**
   * Nodes with a pre-provisioned standby beside them, by node id: 0 = the standby is provisioned and
   * warm and takes no traffic; 1 = switched: the node is drained and out of service (out of its
   * target group, cordoned with its pods evicted) and its standby serves in its place. A node is in
   * service or it is not, so the planner writes nothing in between (a value in between, from an
   * older state, counts as a switch under way).
   */
  standby: Record<string, number>;
  /**
   * Switched nodes retired for good (terminated; removed from the cluster): the primary group
   * replaces them, and each one's standby serves its slot until the replacement is ready, when the
   * standby is released and the node leaves this list. Absent: none.
   */
  retired?: string[];
  /**
   * Where each standby goes, by node id: the zone the planner placed it in (absent: beside its
   * node, in the node's own zone). The stacks put the standby there.
   */
  standbyZones?: Record<string, string>;
  /**
   * The time (epoch ms) each standby's data is to be as of: the stacks take a new snapshot of the
   * node's data for each new time and restore it on the standby. The planner moves it on every
   * `standby.sync` while the standby waits, and once more when its node is switched out.
   */
  standbySync?: Record<string, number>;
  /** Share of the pool's traffic per target; both in [0, 1] and they sum to 1. */
  weights: RouteWeights;
}

export interface RouteWeights {
  primary: number;
  shadow: number;
}

/** Every pool shadowcast manages, by pool name. */
export interface DesiredState {
  pools: Record<string, PoolState>;
}

export const STEP_KINDS = ['provision', 'warm', 'shift', 'decommission'] as const;
/**
 * provision: add instances (primary, shadow or standby); warm: wait for them to be ready and warm;
 * shift: move a share of traffic; decommission: remove instances no longer needed.
 */
export type StepKind = (typeof STEP_KINDS)[number];

/** One stack update: the pool's whole state after the step, and why. */
/**
 * What a step changes, typed, so no code reads it back from the step's id: the route weights,
 * capacity added (`provision`) or removed (`decommission`), a wait until new capacity is ready
 * (`ready`), standbys' data brought in step (`sync`), a node switched to its standby (`switch`),
 * switched nodes retired (`retire`), or a wait for their replacements (`replace`).
 */
export type StepSubject =
  | { what: 'route' | 'provision' | 'ready' | 'decommission' }
  | { what: 'sync' | 'switch' | 'retire' | 'replace'; nodes: string[] };

export const STEP_SUBJECTS = [
  'route',
  'provision',
  'ready',
  'decommission',
  'sync',
  'switch',
  'retire',
  'replace',
] as const satisfies readonly StepSubject['what'][];

export interface MigrationStep {
  /** Stable within a plan, e.g. `checkout-api#3:route`: the journal keys on it; nothing parses it. */
  id: string;
  pool: string;
  kind: StepKind;
  subject: StepSubject;
  /** The pool's state once this step is applied. */
  state: PoolState;
  /** Earliest time (epoch ms) to apply it: capacity is provisioned the lead time before it is needed. */
  notBefore: number;
  /** How long to watch the health gate after the step before the next one (ms). */
  bakeMs: number;
  /** Which rule, forecast quantile or node score asked for this step, in words a person can audit. */
  reason: string;
}

export interface MigrationPlan {
  /** When the plan was made (the planner's clock). */
  at: number;
  desired: DesiredState;
  /** In order; steps of one pool never run concurrently. */
  steps: MigrationStep[];
}

/** Sum of weights within this of 1 counts as 1. */
export const WEIGHT_EPSILON = 1e-9;

export function emptyPool(): PoolState {
  return { primary: 0, shadow: 0, standby: {}, weights: { primary: 1, shadow: 0 } };
}

/**
 * `s` with the zone and sync time of each of its standbys (from `zones` and `syncs`), and no
 * others; an empty map is left out.
 */
export function withStandbyMeta(
  s: PoolState,
  zones: Readonly<Record<string, string>> = {},
  syncs: Readonly<Record<string, number>> = {},
): PoolState {
  const { standbyZones: _z, standbySync: _s, ...rest } = s;
  const ids = Object.keys(s.standby).sort();
  const z = ids.filter((id) => zones[id] !== undefined).map((id) => [id, zones[id]!] as const);
  const y = ids.filter((id) => syncs[id] !== undefined).map((id) => [id, syncs[id]!] as const);
  return {
    ...rest,
    ...(z.length ? { standbyZones: Object.fromEntries(z) } : {}),
    ...(y.length ? { standbySync: Object.fromEntries(y) } : {}),
  };
}
