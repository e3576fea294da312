// The guardrails as pure functions: plain resource properties (as the policy engine sees them,
// with values unknown during preview marked UNKNOWN) and each pool's resolved policy in, the
// violations out. No Pulumi imports: policies.ts wires these into the pack, and tests call them
// directly. A rule never judges a value it cannot know yet; `pulumi up` checks again with it known.

import type { Policy } from '../../src/policy/types.js';
import { AWS_TAGS, K8S_LABELS, MANAGED_BY, ROLES } from '../../stacks/tags.js';

/** A value the engine cannot know during preview (an output of a resource not created yet). */
export const UNKNOWN: unique symbol = Symbol('unknown during preview');

/** One resource as the engine reports it: its type token, its name, its properties. */
export interface PlainResource {
  type: string;
  name: string;
  urn?: string;
  props: Record<string, unknown>;
}

/** A pool's effective policy, and who set each of its fields, for messages. */
export interface PoolPolicy {
  pool: string;
  policy: Policy;
  /** The subject of a message about `field`: "policies/pools/storefront.yaml", "the built-in default". */
  from(field: string): string;
}

/** The policy of any pool, including pools without a file of their own (organisation defaults). */
export type PolicyLookup = (pool: string) => PoolPolicy;

export interface Violation {
  message: string;
  /** The resource at fault, when a stack-wide rule can name one. */
  urn?: string;
}

/** The resource types the rules know, as Pulumi type tokens. */
export const TYPES = {
  group: 'aws:autoscaling/group:Group',
  instance: 'aws:ec2/instance:Instance',
  loadBalancer: 'aws:lb/loadBalancer:LoadBalancer',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  listener: 'aws:lb/listener:Listener',
  listenerRule: 'aws:lb/listenerRule:ListenerRule',
  record: 'aws:route53/record:Record',
  deployment: 'kubernetes:apps/v1:Deployment',
  service: 'kubernetes:core/v1:Service',
  pdb: 'kubernetes:policy/v1:PodDisruptionBudget',
  httpRoute: 'kubernetes:gateway.networking.k8s.io/v1:HTTPRoute',
  ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
} as const;

const NOUNS: Record<string, string> = {
  [TYPES.group]: 'group',
  [TYPES.instance]: 'instance',
  [TYPES.loadBalancer]: 'load balancer',
  [TYPES.targetGroup]: 'target group',
  [TYPES.listener]: 'listener',
  [TYPES.listenerRule]: 'listener rule',
  [TYPES.record]: 'Route 53 record',
  [TYPES.deployment]: 'Deployment',
  [TYPES.service]: 'Service',
  [TYPES.pdb]: 'PodDisruptionBudget',
  [TYPES.httpRoute]: 'HTTPRoute',
  [TYPES.ingress]: 'Ingress',
};

/** Types that must carry shadowcast's tags (AWS) or labels (Kubernetes). */
export const TAGGED_TYPES: readonly string[] = [
  TYPES.group,
  TYPES.instance,
  TYPES.loadBalancer,
  TYPES.targetGroup,
  TYPES.listener,
  TYPES.deployment,
  TYPES.service,
  TYPES.pdb,
  TYPES.httpRoute,
  TYPES.ingress,
];

export const CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
export const CANARY_WEIGHT_TOTAL = 'nginx.ingress.kubernetes.io/canary-weight-total';

/** The `aws:alb/...` tokens are aliases of `aws:lb/...`: one name for both. */
export function canonicalType(type: string): string {
  return type.startsWith('aws:alb/') ? `aws:lb/${type.slice('aws:alb/'.length)}` : type;
}

// ---------------------------------------------------------------------------------------------
// Reading properties

type Props = Record<string, unknown>;

const isMapping = (v: unknown): v is Props => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const step of path) {
    if (isMapping(node) && typeof step === 'string') node = node[step];
    else if (Array.isArray(node) && typeof step === 'number') node = node[step];
    else return undefined;
  }
  return node;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Tag {
  value: unknown;
  /** Groups only: whether launched instances get the tag. */
  propagates?: unknown;
}

interface Tags {
  /** AWS resources have tags; Kubernetes objects have labels. */
  word: 'tag' | 'label';
  keys: { managedBy: string; pool: string; role: string };
  /** Undefined: no tags at all. UNKNOWN: the whole set is unknown during preview. */
  tags?: Map<string, Tag> | typeof UNKNOWN;
  /** Some key is unknown during preview, so a missing key cannot be told from it. */
  partial: boolean;
}

function tagsOf(r: PlainResource): Tags {
  const type = canonicalType(r.type);
  if (type.startsWith('kubernetes:')) {
    const labels = at(r.props, 'metadata', 'labels');
    return { word: 'label', keys: K8S_LABELS, ...fromMap(labels) };
  }
  const raw = r.props.tags;
  if (type === TYPES.group && (Array.isArray(raw) || raw === UNKNOWN)) {
    if (raw === UNKNOWN) return { word: 'tag', keys: AWS_TAGS, tags: UNKNOWN, partial: true };
    const tags = new Map<string, Tag>();
    let partial = false;
    for (const entry of raw) {
      const key = at(entry, 'key');
      if (typeof key === 'string') {
        tags.set(key, { value: at(entry, 'value'), propagates: at(entry, 'propagateAtLaunch') });
      } else partial = true;
    }
    return { word: 'tag', keys: AWS_TAGS, tags, partial };
  }
  return { word: 'tag', keys: AWS_TAGS, ...fromMap(raw) };
}

function fromMap(raw: unknown): Pick<Tags, 'tags' | 'partial'> {
  if (raw === UNKNOWN) return { tags: UNKNOWN, partial: true };
  if (!isMapping(raw)) return { tags: undefined, partial: false };
  return { tags: new Map(Object.entries(raw).map(([k, value]) => [k, { value }])), partial: false };
}

/** The pool and role a resource declares in its tags or labels, when they are known strings. */
export function ownership(r: PlainResource): { pool?: string; role?: string; managed: boolean } {
  const { tags, keys } = tagsOf(r);
  if (!(tags instanceof Map)) return { managed: false };
  const value = (key: string) => str(tags.get(key)?.value);
  return {
    pool: value(keys.pool) || undefined,
    role: value(keys.role) || undefined,
    managed: value(keys.managedBy) === MANAGED_BY,
  };
}

/** How messages name a resource: `storefront primary group "storefront-primary"`. */
export function describe(r: PlainResource): string {
  const { pool, role } = ownership(r);
  const known = role && (ROLES as readonly string[]).includes(role) ? role : undefined;
  const noun = NOUNS[canonicalType(r.type)] ?? r.type;
  return [pool, known, noun, JSON.stringify(r.name)].filter(Boolean).join(' ');
}

const plural = (n: number, one: string, many = `${one}s`) => (n === 1 ? one : many);

// ---------------------------------------------------------------------------------------------
// (d) Tags and labels

/** Every tagged resource carries managed-by=shadowcast, its pool and a known role (groups: at launch too). */
export function checkTags(r: PlainResource): Violation[] {
  const type = canonicalType(r.type);
  if (!TAGGED_TYPES.includes(type)) return [];
  const { word, keys, tags, partial } = tagsOf(r);
  if (tags === UNKNOWN) return [];
  const have = tags ?? new Map<string, Tag>();
  const problems: string[] = [];
  const required = [keys.managedBy, keys.pool, keys.role];
  const missing = partial ? [] : required.filter((k) => !have.has(k));
  if (missing.length) problems.push(`lacks ${plural(missing.length, word)} ${missing.join(', ')}`);

  const value = (key: string) => have.get(key)?.value;
  const managedBy = value(keys.managedBy);
  if (typeof managedBy === 'string' && managedBy !== MANAGED_BY) {
    problems.push(`${word} ${keys.managedBy} is ${JSON.stringify(managedBy)}, not "${MANAGED_BY}"`);
  }
  const pool = value(keys.pool);
  if (pool === '') problems.push(`${word} ${keys.pool} is empty`);
  const role = value(keys.role);
  if (typeof role === 'string' && !(ROLES as readonly string[]).includes(role)) {
    problems.push(`${word} ${keys.role} is ${JSON.stringify(role)}, not one of ${ROLES.join(', ')}`);
  }
  if (type === TYPES.group) {
    const stay = required.filter((k) => have.has(k) && have.get(k)!.propagates === false);
    const unset = required.filter((k) => have.has(k) && have.get(k)!.propagates === undefined);
    const still = [...stay, ...unset];
    if (still.length) {
      problems.push(
        `${plural(still.length, 'tag')} ${still.join(', ')} ${plural(still.length, 'does', 'do')} not propagate at launch (propagateAtLaunch: true), so the group's instances would lack ${plural(still.length, 'it', 'them')}`,
      );
    }
  }
  return problems.length ? [{ message: `${describe(r)} ${problems.join('; ')}` }] : [];
}

// ---------------------------------------------------------------------------------------------
// (a) Instances per pool, (e) protected pools

/** A primary group's desiredCapacity and maxSize, a primary Deployment's replicas: at most capacity.maxInstances. */
export function checkPoolMaximum(r: PlainResource, policies: PolicyLookup): Violation[] {
  const { pool, role } = ownership(r);
  if (!pool || role !== 'primary') return [];
  const type = canonicalType(r.type);
  const p = policies(pool);
  const max = p.policy.capacity.maxInstances;
  const limit = `${p.from('capacity.maxInstances')} allows at most ${max} (capacity.maxInstances)`;
  const out: Violation[] = [];
  if (type === TYPES.group) {
    const desired = num(r.props.desiredCapacity);
    const maxSize = num(r.props.maxSize);
    if (desired !== undefined && desired > max) {
      out.push({ message: `${describe(r)} asks for ${desired} instances (desiredCapacity); ${limit}` });
    }
    if (maxSize !== undefined && maxSize > max) {
      out.push({ message: `${describe(r)} may grow to ${maxSize} instances (maxSize); ${limit}` });
    }
  } else if (type === TYPES.deployment) {
    const replicas = num(at(r.props, 'spec', 'replicas'));
    if (replicas !== undefined && replicas > max) {
      out.push({ message: `${describe(r)} asks for ${replicas} replicas; ${limit}` });
    }
  }
  return out;
}

/** A pool in guardrails.protectedPools never has its primary group or Deployment scaled to zero. */
export function checkProtectedPool(r: PlainResource, policies: PolicyLookup): Violation[] {
  const { pool, role } = ownership(r);
  if (!pool || role !== 'primary') return [];
  const p = policies(pool);
  if (!p.policy.guardrails.protectedPools.includes(pool)) return [];
  const type = canonicalType(r.type);
  const why = `${pool} is protected (guardrails.protectedPools in ${p.from('guardrails.protectedPools')}), so it never scales to zero`;
  if (type === TYPES.group) {
    const zero = (['desiredCapacity', 'minSize'] as const).filter((k) => r.props[k] === 0);
    if (zero.length === 0) return [];
    return [{ message: `${describe(r)} scales to 0 (${zero.map((k) => `${k} 0`).join(', ')}); ${why}` }];
  }
  if (type === TYPES.deployment && at(r.props, 'spec', 'replicas') === 0) {
    return [{ message: `${describe(r)} scales to 0 replicas; ${why}` }];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Counting instances across the stack

interface Counted {
  pool: string;
  role: string;
  /** Instances (AWS) or replicas (Kubernetes) the resource runs. */
  count: number;
  what: string;
  resource: PlainResource;
}

/**
 * What each shadowcast resource runs: a group its desiredCapacity (AWS starts it at minSize when
 * unset), a standby instance one, a Deployment its replicas (Kubernetes' default: 1). Undefined
 * when a count is unknown during preview, so no total can be judged.
 */
export function instanceCounts(resources: readonly PlainResource[]): Counted[] | undefined {
  const out: Counted[] = [];
  for (const r of resources) {
    const { pool, role, managed } = ownership(r);
    if (!managed || !pool || !role) continue;
    const type = canonicalType(r.type);
    let count: unknown;
    let what: string;
    if (type === TYPES.group) {
      const desired = r.props.desiredCapacity;
      count = desired === undefined ? (r.props.minSize ?? 0) : desired;
      what = `${desired === undefined ? 'minSize' : 'desiredCapacity'} ${String(count)}`;
    } else if (type === TYPES.instance) {
      count = 1;
      what = 'one instance';
    } else if (type === TYPES.deployment) {
      count = at(r.props, 'spec', 'replicas') ?? 1;
      what = `${String(count)} ${plural(count as number, 'replica')}`;
    } else continue;
    if (typeof count !== 'number') return undefined;
    out.push({ pool, role, count, what, resource: r });
  }
  return out;
}

/** The tightest of the pools' limits on `pick`: the planner bounds the whole fleet the same way. */
function tightest(
  pools: readonly string[],
  policies: PolicyLookup,
  pick: (p: Policy) => number,
): { limit: number; by: PoolPolicy } | undefined {
  let best: { limit: number; by: PoolPolicy } | undefined;
  for (const pool of pools) {
    const p = policies(pool);
    const limit = pick(p.policy);
    if (!best || limit < best.limit) best = { limit, by: p };
  }
  return best;
}

const sortedPools = (counted: readonly Counted[]) => [...new Set(counted.map((c) => c.pool))].sort();

/** Groups, standby instances and replicas across all pools: at most guardrails.maxTotalInstances. */
export function checkTotalInstances(
  resources: readonly PlainResource[],
  policies: PolicyLookup,
): Violation[] {
  const counted = instanceCounts(resources);
  if (!counted?.length) return [];
  const pools = sortedPools(counted);
  const bound = tightest(pools, policies, (p) => p.guardrails.maxTotalInstances)!;
  const perPool = pools.map((pool) => ({
    pool,
    n: counted.filter((c) => c.pool === pool).reduce((s, c) => s + c.count, 0),
  }));
  const total = perPool.reduce((s, p) => s + p.n, 0);
  if (total <= bound.limit) return [];
  return [
    {
      message: `the stack asks for ${total} instances across its pools (${perPool.map((p) => `${p.pool} ${p.n}`).join(', ')}); ${bound.by.from('guardrails.maxTotalInstances')} allows at most ${bound.limit} (guardrails.maxTotalInstances)`,
    },
  ];
}

/** The hourly cost the planner counts: (primary + standby) at capacity.hourlyCost, shadow at shadow.hourlyCost. */
export function checkHourlyCost(resources: readonly PlainResource[], policies: PolicyLookup): Violation[] {
  const counted = instanceCounts(resources);
  if (!counted?.length) return [];
  const pools = sortedPools(counted);
  const bound = tightest(pools, policies, (p) => p.guardrails.maxHourlyCost)!;
  const perPool = pools.map((pool) => {
    const { policy } = policies(pool);
    const cost = counted
      .filter((c) => c.pool === pool)
      .reduce((s, c) => {
        if (c.role === 'primary' || c.role === 'standby') return s + c.count * policy.capacity.hourlyCost;
        if (c.role === 'shadow') return s + c.count * policy.shadow.hourlyCost;
        return s;
      }, 0);
    return { pool, cost };
  });
  const total = perPool.reduce((s, p) => s + p.cost, 0);
  if (total <= bound.limit + 1e-9) return [];
  const money = (v: number) => `$${v.toFixed(2)}/h`;
  return [
    {
      message: `the stack costs ${money(total)} (${perPool.map((p) => `${p.pool} ${money(p.cost)}`).join(', ')}); ${bound.by.from('guardrails.maxHourlyCost')} allows at most ${money(bound.limit)} (guardrails.maxHourlyCost)`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// (c) The shadow pool's minimum

/** Every pool the stack declares (it has a primary) runs at least shadow.minSize shadow instances. */
export function checkShadowMinimum(resources: readonly PlainResource[], policies: PolicyLookup): Violation[] {
  const counted = instanceCounts(resources);
  if (!counted) return [];
  const out: Violation[] = [];
  const pools = [...new Set(counted.filter((c) => c.role === 'primary').map((c) => c.pool))].sort();
  for (const pool of pools) {
    const p = policies(pool);
    const { enabled, minSize } = p.policy.shadow;
    if (!enabled || minSize === 0) continue;
    const shadows = counted.filter((c) => c.pool === pool && c.role === 'shadow');
    const runs = shadows.reduce((s, c) => s + c.count, 0);
    if (runs >= minSize) continue;
    const detail = shadows.length
      ? shadows
          .map((c) => `${NOUNS[canonicalType(c.resource.type)]} "${c.resource.name}" ${c.what}`)
          .join(', ')
      : 'it has no shadow group or Deployment';
    out.push({
      message: `${pool} shadow pool runs ${runs} ${plural(runs, 'instance')} (${detail}); ${p.from('shadow.minSize')} asks for at least ${minSize} (shadow.minSize)`,
      ...(shadows[0]?.resource.urn ? { urn: shadows[0].resource.urn } : {}),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (b) Route weights

interface Part {
  /** The backend's name, when the properties know it (target group ARNs do not, in preview). */
  label?: string;
  weight: unknown;
}

/**
 * One weighted split judged: `what` is what its weights are shared among ("its target groups").
 * Nothing to judge when no weight is set (a single backend takes all) or one is unknown.
 */
function judgeSplit(subject: string, what: string, parts: readonly Part[]): string | undefined {
  if (parts.length === 0 || parts.every((p) => p.weight === undefined)) return undefined;
  if (parts.some((p) => p.weight === UNKNOWN)) return undefined;
  const valid = (w: unknown): w is number =>
    typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 100;
  const sum = parts.reduce((s, p) => s + (typeof p.weight === 'number' ? p.weight : 0), 0);
  const allValid = parts.every((p) => valid(p.weight));
  if (allValid && sum === 100) return undefined;
  const shown = (w: unknown) =>
    w === undefined ? '(none)' : typeof w === 'number' ? String(w) : JSON.stringify(w);
  const text = parts.map((p) => (p.label ? `${p.label} ${shown(p.weight)}` : shown(p.weight))).join(' + ');
  const rule = allValid
    ? 'route weights must sum to 100'
    : 'route weights are whole percents from 0 to 100 that sum to 100';
  return `${subject} weighs ${what} ${text} = ${+sum.toFixed(9)}; ${rule}`;
}

/** ALB forwards, HTTPRoute backendRefs and nginx canary weights of one resource. */
export function checkRouteWeights(r: PlainResource): Violation[] {
  const type = canonicalType(r.type);
  const subject = describe(r);
  const problems: (string | undefined)[] = [];
  if (type === TYPES.listener || type === TYPES.listenerRule) {
    const actions = list(type === TYPES.listener ? r.props.defaultActions : r.props.actions);
    actions.forEach((action, i) => {
      const groups = list(at(action, 'forward', 'targetGroups'));
      const what = actions.length > 1 ? `action ${i + 1}'s target groups` : 'its target groups';
      problems.push(
        judgeSplit(
          subject,
          what,
          groups.map((g) => ({ weight: at(g, 'weight') })),
        ),
      );
    });
  } else if (type === TYPES.httpRoute) {
    const rules = list(at(r.props, 'spec', 'rules'));
    rules.forEach((rule, i) => {
      const refs = list(at(rule, 'backendRefs'));
      const parts = refs.map((ref) => ({ label: str(at(ref, 'name')), weight: at(ref, 'weight') }));
      problems.push(judgeSplit(subject, `rule ${i + 1}'s backends`, parts));
    });
  } else if (type === TYPES.ingress) {
    const annotations = at(r.props, 'metadata', 'annotations');
    const weight = at(annotations, CANARY_WEIGHT);
    const totalRaw = at(annotations, CANARY_WEIGHT_TOTAL);
    if (weight !== undefined && weight !== UNKNOWN && totalRaw !== UNKNOWN) {
      const total = typeof totalRaw === 'string' && /^\d+$/.test(totalRaw) ? Number(totalRaw) : 100;
      const w =
        typeof weight === 'number'
          ? weight
          : typeof weight === 'string' && /^\d+$/.test(weight)
            ? +weight
            : NaN;
      if (!(Number.isInteger(w) && w >= 0 && w <= total)) {
        problems.push(
          `${subject} sets ${CANARY_WEIGHT} to ${JSON.stringify(weight)}; it must be a whole number from 0 to ${total}`,
        );
      }
    }
  }
  return problems.filter((p): p is string => p !== undefined).map((message) => ({ message }));
}

/** Route 53 weighted records: per pool (setIdentifier `<pool>-primary`, `<pool>-shadow`), weights summing to 100. */
export function checkRecordWeights(resources: readonly PlainResource[]): Violation[] {
  const sets = new Map<string, { pool?: string; name: string; parts: Part[]; urn?: string }>();
  for (const r of resources) {
    if (canonicalType(r.type) !== TYPES.record) continue;
    const routing = list(r.props.weightedRoutingPolicies);
    if (routing.length === 0) continue;
    const id = str(r.props.setIdentifier);
    const name = str(r.props.name) ?? r.name;
    const pool = id?.match(/^(.+)-(primary|shadow)$/)?.[1];
    const key = JSON.stringify([pool, name, r.props.type]);
    const set = sets.get(key) ?? sets.set(key, { pool, name, parts: [], urn: r.urn }).get(key)!;
    set.parts.push({ label: id ?? r.name, weight: at(routing[0], 'weight') });
  }
  const out: Violation[] = [];
  for (const s of sets.values()) {
    const subject = `${s.pool ? `${s.pool} ` : ''}Route 53 weighted record set ${JSON.stringify(s.name)}`;
    const message = judgeSplit(subject, 'its records', s.parts);
    if (message) out.push({ message, ...(s.urn ? { urn: s.urn } : {}) });
  }
  return out;
}
