// The planner: forecast, node risk, current state and policy in; the desired state of every pool
// and the ordered steps that get there safely out. Pure: no I/O, and the only time it knows is
// the clock it is given.
//
// The order of steps follows what users of rollout tools keep learning the hard way (docs/design.md):
// capacity first (provision, then wait until it is warm), then traffic in steps no larger than
// the policy's step size, each baked against the health gate, and only then decommission. When
// metrics vanish the pool holds its last good capacity. Guardrails cap every step, not just the
// end state, across all pools together.

import { formatDuration, isoMinute } from '../core/time-format.js';
import type { Forecast } from '../core/forecast.js';
import type { Criticality } from '../core/graph.js';
import {
  type MigrationPlan,
  type MigrationStep,
  type PoolState,
  type StepKind,
  type StepSubject,
  withStandbyMeta,
} from '../core/plan.js';
import { thresholdsFor } from '../core/risk.js';
import type { Clock } from '../core/seams.js';
import type { Policy } from '../policy/types.js';
import { bindingDemand, type ResourceDemand } from './resources.js';
import { minimumHolds, type Need, needs, peakNeed, type Sizes, sizesFor } from './size.js';

/** One node of a pool as the risk model sees it now. */
export interface NodeRisk {
  id: string;
  /** Failure probability now (after propagation, where a service graph is known). */
  score: number;
  criticality: Criticality;
  /** Stateless work moves first: nothing to replicate. */
  stateless: boolean;
  /** Resource demand of its work (e.g. its share of the pool's load); smaller moves first. */
  load: number;
  zone?: string;
  region?: string;
  /** How long the score has stayed at or above the node's transition threshold (ms). */
  aboveTransitionMs: number;
  /** How long it has stayed below provision − hysteresis (ms), for releasing a standby. */
  belowReleaseMs: number;
}

/** A place a standby node may go. */
export interface Zone {
  name: string;
  /** Absent: the pool's one region. */
  region?: string;
  /** Instances it can still take (Infinity: not known to be short). */
  spare: number;
  /** Mean failure probability of its nodes lately (historical stability). */
  risk: number;
}

export interface PoolInputs {
  pool: string;
  policy: Policy;
  /** As the deployer reports it. */
  current: PoolState;
  /** Demand forecast from about now on; absent when forecasting failed. */
  forecast?: Forecast;
  /** Latest observed demand; NaN or absent when the metric vanished. */
  observed?: number;
  /**
   * Instances serving now, by target (those still booting do not count). A route change the
   * instances in service can carry goes ahead of new capacity; unknown, it waits for it.
   */
  inService?: { primary: number; shadow: number };
  nodes?: readonly NodeRisk[];
  /**
   * Nodes the target shows out of service (failed) that have a standby: the standby takes their
   * slot at once, whatever their score, and the group's replacement for them lets it go.
   */
  down?: readonly string[];
  /** Where standbys may go; default: the zones of `nodes` (zonesOf). */
  zones?: readonly Zone[];
  /** Start times of this pool's recent migrations, for the per-hour alert. */
  recentMigrations?: readonly number[];
  /**
   * Further resources the pool serves (memory, network...), each with its units per instance in
   * `policy.capacity.resources`: the pool is sized by the one that binds (resources.ts).
   */
  resources?: readonly ResourceDemand[];
  /** What `forecast` and `observed` measure, as reasons name it; default "demand". */
  resource?: string;
}

export interface PlanInputs {
  pools: readonly PoolInputs[];
  /** Time until the next plan (the policy's schedule): capacity asked for now must last that long. */
  intervalMs: number;
}

export interface PoolPlan {
  pool: string;
  current: PoolState;
  desired: PoolState;
  steps: MigrationStep[];
  /** Why the desired state is what it is, in order. */
  reasons: string[];
  /** Where each new standby goes, by node id, and why. */
  placements: Record<string, string>;
  /** The zone each new standby goes to, when the planner chose one (written into the desired state). */
  zones: Record<string, string>;
  alerts: string[];
}

export interface Plan extends MigrationPlan {
  pools: Record<string, PoolPlan>;
  alerts: string[];
}

export function plan(inputs: PlanInputs, clock: Clock): Plan {
  const now = clock.now();
  const caps = guardrails(inputs.pools);
  let usedInstances = 0;
  let usedCost = 0;
  for (const p of inputs.pools) {
    usedInstances += count(p.current);
    usedCost += cost(p.current, p.policy);
  }
  const pools: Record<string, PoolPlan> = {};
  // Protected pools first: they keep what they have, and the rest share what is left.
  const order = [...inputs.pools].sort(
    (a, b) => Number(isProtected(b)) - Number(isProtected(a)) || a.pool.localeCompare(b.pool),
  );
  for (const p of order) {
    // This pool may grow into what the others leave: their current size until planned, then
    // the largest state any of their steps reaches.
    usedInstances -= count(p.current);
    usedCost -= cost(p.current, p.policy);
    const budget = { instances: caps.instances - usedInstances, cost: caps.cost - usedCost };
    const pp = planPool(p, now, inputs.intervalMs, budget);
    pools[p.pool] = pp;
    const peak = [p.current, ...pp.steps.map((s) => s.state)];
    usedInstances += Math.max(...peak.map(count));
    usedCost += Math.max(...peak.map((s) => cost(s, p.policy)));
  }
  const steps = order.flatMap((p) => pools[p.pool]!.steps);
  const desired = { pools: Object.fromEntries(order.map((p) => [p.pool, pools[p.pool]!.desired])) };
  return { at: now, desired, steps, pools, alerts: order.flatMap((p) => pools[p.pool]!.alerts) };
}

/** Instances a state runs: primary, shadow, and one per standby node. */
export function count(s: PoolState): number {
  return s.primary + s.shadow + Object.keys(s.standby).length;
}

/** Cost per hour of a state under a policy. */
export function cost(s: PoolState, policy: Policy): number {
  const standby = Object.keys(s.standby).length;
  return (s.primary + standby) * policy.capacity.hourlyCost + s.shadow * policy.shadow.hourlyCost;
}

/** The tightest guardrails any pool's policy sets: they bound the whole fleet. */
function guardrails(pools: readonly PoolInputs[]): { instances: number; cost: number } {
  let instances = Infinity;
  let costCap = Infinity;
  for (const p of pools) {
    instances = Math.min(instances, p.policy.guardrails.maxTotalInstances);
    costCap = Math.min(costCap, p.policy.guardrails.maxHourlyCost);
  }
  return { instances, cost: costCap };
}

function isProtected(p: PoolInputs): boolean {
  return p.policy.guardrails.protectedPools.includes(p.pool);
}

interface Budget {
  instances: number;
  cost: number;
}

function planPool(given: PoolInputs, now: number, intervalMs: number, budget: Budget): PoolPlan {
  // The zones standbys and the zone-loss reserve are planned over, derived once.
  const zoned = given.zones ? given : { ...given, zones: zonesOf(given.nodes ?? []) };
  // Several resources: size for the one that binds, in the demand series' units.
  const binding = zoned.resources?.length
    ? bindingDemand(
        {
          name: zoned.resource ?? 'demand',
          forecast: zoned.forecast,
          observed: zoned.observed ?? Number.NaN,
        },
        zoned.policy.capacity.unitsPerInstance,
        zoned.resources,
        zoned.policy.capacity.resources,
      )
    : undefined;
  const p: PoolInputs = binding
    ? { ...zoned, forecast: binding.forecast, observed: binding.observed }
    : zoned;
  const { policy, current } = p;
  const out: PoolPlan = {
    pool: p.pool,
    current,
    desired: current,
    steps: [],
    reasons: [],
    placements: {},
    zones: {},
    alerts: [],
  };
  if (isProtected(p)) {
    out.reasons.push('protected by guardrails.protectedPools: no changes');
    return out;
  }
  if (binding) out.reasons.push(binding.reason);
  const observed = p.observed ?? Number.NaN;
  // The lead time plus the launch buffer: the stack update that asks for instances takes time too.
  const lead =
    Math.max(policy.capacity.provisionMs, policy.shadow.leadTimeMs) + policy.capacity.launchBufferMs;
  let target: Sizes;
  let hold = false;
  let needAt = now;
  /** Demand units the pool must serve at its peak until the next plan (NaN: holding). */
  let totalNeed = Number.NaN;
  if (!Number.isFinite(observed)) {
    // Metrics vanished: hold the last good capacity, never scale on missing data (docs/design.md, rule 4).
    target = { primary: current.primary, shadow: current.shadow, shadowWeight: current.weights.shadow };
    hold = true;
    const what = binding?.missing.length ? binding.missing.join(' and ') : 'demand';
    out.reasons.push(`${what} metric missing: holding the last good capacity`);
    out.alerts.push(`${p.pool}: ${what} metric missing; capacity held at its last good size`);
  } else if (!p.forecast) {
    // No forecast: size from what we see, and never shrink on it (docs/design.md, rule 3).
    const head = 1 + policy.capacity.headroomPercent / 100;
    const fromObserved = sizesFor({ primary: observed * head, total: observed * head }, policy);
    totalNeed = observed * head;
    target = {
      primary: Math.max(current.primary, fromObserved.primary),
      shadow: Math.max(current.shadow, fromObserved.shadow),
      shadowWeight: current.shadow > 0 ? current.weights.shadow : fromObserved.shadowWeight,
    };
    out.reasons.push(
      `no forecast: sized from observed load ${fmt(observed)} + ${policy.capacity.headroomPercent}% headroom, never below current`,
    );
  } else {
    // Capacity asked for now must last until the next plan's capacity can be ready: the next
    // plan comes within the interval (or sooner, when the load outgrows what serves).
    const list = needs(p.forecast, observed, policy, now, now + intervalMs + lead);
    const peak = peakNeed(list);
    target = sizesFor({ primary: peak.primary.primary, total: peak.total.total }, policy);
    totalNeed = Math.max(peak.primary.primary, peak.total.total);
    out.reasons.push(...sizeReasons(policy, peak, target, observed, p.forecast.level));
    needAt = firstNeed(list, current, policy, now);
  }
  if (Number.isFinite(totalNeed)) target = zoneReserve(p, target, totalNeed, out);
  const standby = planStandby(p, now, out);
  let desired: PoolState = {
    primary: target.primary,
    shadow: target.shadow,
    standby: standby.target,
    weights: hold
      ? current.weights
      : { primary: round(1 - target.shadowWeight), shadow: target.shadowWeight },
  };
  desired = withStandbyMeta(
    fit(desired, current, policy, budget, out),
    { ...out.zones, ...current.standbyZones },
    syncsFor(p, standby, now),
  );
  out.desired = desired;
  // A node whose standby the guardrails trimmed cannot move this time.
  const moving = standby.moving.filter((id) => id in desired.standby);
  out.steps = steps(p, desired, { ...standby, moving }, needAt, lead, now);
  // A migration is a route change (however many steps it takes) or a node's switch.
  const routes = out.steps.some((s) => s.subject.what === 'route');
  const migrations = (routes ? 1 : 0) + out.steps.filter((s) => s.subject.what === 'switch').length;
  const recent = (p.recentMigrations ?? []).filter((t) => t > now - 3_600_000).length;
  if (migrations > 0 && recent + migrations > policy.migration.alertPerHour) {
    out.alerts.push(
      `${p.pool}: ${recent + migrations} migrations within an hour (alert above ${policy.migration.alertPerHour})`,
    );
  }
  return out;
}

/**
 * Whether the steps move route weights (one traffic migration, however many steps): read from the
 * states the shifts lead to, never from step ids, which carry the pool's and nodes' names.
 */
/** The tail of a step's id, from its subject: `route`, `warm`, `switch-NODE`, ... (for people and journals; never parsed). */
function idTag(s: StepSubject): string {
  if (s.what === 'ready') return 'warm';
  if (s.what === 'switch') return `switch-${s.nodes.join('-')}`;
  return s.what;
}

/**
 * Primary instances held in reserve so that losing one zone does not take the pool below its
 * need: the policy's `capacity.zoneLoss` says when. `always`: size so that the loss of any one of
 * the pool's zones (the primaries spread evenly over them) leaves the need served. `at-risk`: only
 * when a zone's expected loss (the sum of its nodes' failure probabilities, propagated risk
 * included, in instances) exceeds the headroom the primary has over its need, by the shortfall
 * rounded to whole instances. The target (an Auto
 * Scaling group over one subnet a zone, a Deployment spread across zones) puts the extra
 * instances in every zone, so the healthy ones hold the reserve.
 */
function zoneReserve(p: PoolInputs, target: Sizes, totalNeed: number, out: PoolPlan): Sizes {
  const { capacity } = p.policy;
  const zones = p.zones ?? [];
  if (capacity.zoneLoss === 'ignore' || zones.length < 2) return target;
  const units = capacity.unitsPerInstance;
  const need = (1 - target.shadowWeight) * totalNeed;
  let primary = target.primary;
  let why: string;
  if (capacity.zoneLoss === 'always') {
    const n = zones.length;
    const serving = (x: number) => (x - Math.ceil(x / n)) * units;
    while (serving(primary) < need - 1e-9 && primary < capacity.maxInstances) primary++;
    why = `so that losing any one of ${n} zones (${zones.map((z) => z.name).join(', ')}) leaves ${fmt(serving(primary))} units serving for a need of ${fmt(need)}`;
  } else {
    let worst: { zone: string; loss: number; nodes: number } | undefined;
    for (const z of zones) {
      const inZone = (p.nodes ?? []).filter((n) => n.zone === z.name && Number.isFinite(n.score));
      const loss = inZone.reduce((sum, n) => sum + n.score, 0) * units;
      if (!worst || loss > worst.loss) worst = { zone: z.name, loss, nodes: inZone.length };
    }
    const headroom = primary * units - need;
    // The shortfall in instances, to the nearest: a zone of healthy nodes (a few thousandths of
    // risk each) reserves nothing.
    const extra = worst ? Math.round((worst.loss - headroom) / units) : 0;
    if (!worst || extra < 1) return target;
    primary = Math.min(capacity.maxInstances, primary + extra);
    why = `zone ${worst.zone} could lose ${fmt(worst.loss)} units (${worst.nodes} node${worst.nodes === 1 ? '' : 's'} at risk) and the primary's headroom over its need of ${fmt(need)} is ${fmt(headroom)}`;
  }
  if (primary === target.primary) return target;
  out.reasons.push(
    `reserve ${primary - target.primary} more primary in the healthy zones: ${why}` +
      (primary === capacity.maxInstances ? ` (at the maximum, ${capacity.maxInstances})` : ''),
  );
  return { ...target, primary };
}

function sizeReasons(
  policy: Policy,
  peak: { total: Need; primary: Need },
  target: Sizes,
  observed: number,
  level: number,
): string[] {
  // The interval's upper bound is this quantile: level 0.99 is p99.5, not a rounded "p100".
  const pct = Number((((1 + level) / 2) * 100).toFixed(1));
  const p = peak.primary;
  const fromObserved = !(p.mean >= observed);
  const base = fromObserved
    ? `observed load ${fmt(observed)}`
    : `forecast mean peak ${fmt(p.mean)} at ${isoMinute(p.t)}`;
  const need = `${base} + ${policy.capacity.headroomPercent}% headroom = ${fmt(p.primary)} units`;
  if (!policy.shadow.enabled) {
    return [
      `primary ${target.primary}: ${need}, / ${policy.capacity.unitsPerInstance} per instance` +
        bound(target.primary, policy.capacity.minInstances, policy.capacity.maxInstances),
      'shadow pool disabled by policy',
    ];
  }
  const t = peak.total;
  const total = Math.max(p.primary, t.total);
  const share = Math.round(target.shadowWeight * 100);
  const covered = t.cover * (policy.shadow.peakPercent / 100) * (1 + policy.shadow.bufferPercent / 100);
  const cover =
    t.upper >= t.cover
      ? `the forecast p${pct} upper peak ${fmt(t.upper)} at ${isoMinute(t.t)}`
      : `observed load ${fmt(t.cover)} (above the forecast p${pct} upper bound${Number.isFinite(t.upper) ? ` ${fmt(t.upper)}` : ''})`;
  return [
    `need ${fmt(total)} units: the larger of ${need} and ${cover} × ${policy.shadow.peakPercent}% + ${policy.shadow.bufferPercent}% buffer = ${fmt(covered)}`,
    `primary ${target.primary} for ${100 - share}% of it (${policy.capacity.unitsPerInstance} units each)` +
      bound(target.primary, policy.capacity.minInstances, policy.capacity.maxInstances),
    minimumHolds(policy, total)
      ? `shadow ${target.shadow}: the primary's minimum of ${policy.capacity.minInstances} (${fmt(policy.capacity.minInstances * policy.capacity.unitsPerInstance)} units) holds all of it${target.shadow > 0 ? `; the shadow keeps its minimum size, ${policy.shadow.minSize}, warm` : ''}`
      : `shadow ${target.shadow} for the ${share}% above the primary's need, in steps of ${Math.round(policy.migration.stepSize * 100)}% (${policy.shadow.unitsPerInstance} units each, at least ${policy.shadow.minSize})`,
  ];
}

function bound(v: number, lo: number, hi: number): string {
  if (v === lo) return ` (at the minimum, ${lo})`;
  if (v === hi) return ` (at the maximum, ${hi})`;
  return '';
}

/**
 * When the current state is first too small for the forecast: provisioning starts one lead time
 * before that (or now, if that is past: the forecast did not allow more notice, or the pool must
 * change shape now). Each target is checked for its share under the current weights, since the
 * router does not spill over and the weights change only after the new capacity is ready: a shadow
 * that carries 10 % of a growing load runs out on its own, however much room the primary has.
 */
function firstNeed(list: readonly Need[], current: PoolState, policy: Policy, now: number): number {
  const primary = current.primary * policy.capacity.unitsPerInstance;
  const shadow = current.shadow * policy.shadow.unitsPerInstance;
  const w = current.weights.shadow;
  for (const n of list) {
    const total = Math.max(n.primary, n.total);
    if ((1 - w) * total > primary + 1e-9 || w * total > shadow + 1e-9) return n.t;
  }
  return now;
}

/** Demand units a state's primary and shadow pools serve together. */
export function units(s: PoolState, policy: Policy): number {
  return s.primary * policy.capacity.unitsPerInstance + s.shadow * policy.shadow.unitsPerInstance;
}

interface StandbyPlan {
  /** Standby shares in the desired state (released standbys left out). */
  target: Record<string, number>;
  /** Nodes switched to their standby in this plan, in the order they switch. */
  moving: string[];
  /** Switched nodes retired in this plan: terminated, replaced by their group. */
  retiring: string[];
  /** Retired nodes whose standby is released once their replacement is ready. */
  releasing: string[];
}

/**
 * Standby per node: provisioned at the provision threshold; switched (the node drained, its
 * standby serving in its place) once the score has held at the transition threshold for the dwell
 * time, or at once when the node is down; the switched node retired by the next plan, and its
 * standby released when the group's replacement is ready; a standby whose node stays below the
 * release threshold for the release time is released before any switch. Switches start in workload
 * order (down nodes, then stateless, higher criticality, smaller load), no more at once than the
 * policy's maxConcurrent.
 */
function planStandby(p: PoolInputs, now: number, out: PoolPlan): StandbyPlan {
  const { policy, current } = p;
  const s = policy.standby;
  const target: Record<string, number> = {};
  const retiring: string[] = [];
  const releasing: string[] = [];
  const candidates: NodeRisk[] = [];
  const retired = new Set(current.retired ?? []);
  const down = new Set((p.down ?? []).filter((id) => Object.hasOwn(current.standby, id)));
  const nodes = (p.nodes ?? []).filter((n) => !retired.has(n.id));
  const known = new Set(nodes.map((n) => n.id));
  for (const [id, share] of Object.entries(current.standby).sort(([a], [b]) => a.localeCompare(b))) {
    if (retired.has(id)) {
      releasing.push(id);
      out.reasons.push(`release the standby of ${id} once the replacement of the retired node serves`);
    } else if (share >= 1) {
      retiring.push(id);
      out.reasons.push(`retire ${id}: switched to its standby and out of service; the group replaces it`);
    } else if (down.has(id)) {
      target[id] = share;
      candidates.push(downNode(id, nodes));
    } else if (!known.has(id)) {
      // A node the risk model no longer reports keeps its standby (missing data holds, docs/design.md, rule 4).
      target[id] = share;
      if (share > 0) candidates.push(downNode(id, nodes));
    }
  }
  for (const n of nodes) {
    const share = current.standby[n.id];
    if (down.has(n.id) || (share !== undefined && share >= 1)) continue;
    const th = thresholdsFor(s, n.criticality);
    const score = Number.isFinite(n.score) ? n.score : Number.NaN;
    if (share !== undefined && (share > 0 || Number.isNaN(score))) {
      target[n.id] = share; // switching (from an older state), or no score: holds
      if (share > 0) candidates.push(n);
      continue;
    }
    if (score >= th.transition && n.aboveTransitionMs >= s.dwellMs) {
      target[n.id] = 0;
      candidates.push(n);
      continue;
    }
    if (score >= th.provision) {
      target[n.id] = 0;
      if (share === undefined) {
        out.reasons.push(
          `standby for ${n.id}: failure probability ${fmt(score)} ≥ provision threshold ${fmt(th.provision)} (${n.criticality})`,
        );
        placeStandby(n, p, out);
      }
      continue;
    }
    if (share !== undefined && !(score < th.provision - s.hysteresis && n.belowReleaseMs >= s.releaseMs)) {
      target[n.id] = share; // not low for long enough yet
    } else if (share !== undefined) {
      out.reasons.push(
        `release standby of ${n.id}: below ${fmt(th.provision - s.hysteresis)} for ${formatDuration(n.belowReleaseMs)}`,
      );
    }
  }
  candidates.sort(
    (a, b) =>
      Number(down.has(b.id)) - Number(down.has(a.id)) ||
      Number(b.stateless) - Number(a.stateless) ||
      rank(b.criticality) - rank(a.criticality) ||
      a.load - b.load ||
      a.id.localeCompare(b.id),
  );
  // A down node's slot is lost until its standby takes it: those switch whatever the limit.
  const urgent = candidates.filter((n) => down.has(n.id) || (current.standby[n.id] ?? 0) > 0);
  const fresh = candidates.filter((n) => !urgent.includes(n));
  const room = Math.max(0, policy.migration.maxConcurrent - urgent.length);
  const moving = [...urgent, ...fresh.slice(0, room)].map((n) => n.id);
  for (const n of urgent) {
    out.reasons.push(
      down.has(n.id)
        ? `switch ${n.id} to its standby now: the node is down`
        : `finish switching ${n.id} to its standby: its switch was under way (the standby serves ${fmt(current.standby[n.id]!)} of its slot)`,
    );
  }
  for (const n of fresh.slice(0, room)) {
    const th = thresholdsFor(s, n.criticality);
    out.reasons.push(
      `switch ${n.id} to its standby: failure probability ${fmt(n.score)} ≥ ${fmt(th.transition)} for ${formatDuration(n.aboveTransitionMs)} (dwell ${formatDuration(s.dwellMs)})`,
    );
    if (current.standby[n.id] === undefined) placeStandby(n, p, out);
  }
  for (const n of fresh.slice(room)) {
    out.reasons.push(`switch of ${n.id} waits: ${policy.migration.maxConcurrent} migration(s) at a time`);
  }
  return { target, moving, retiring, releasing };
}

/** A new standby's place: in words for the plan, its zone for the desired state. */
function placeStandby(n: NodeRisk, p: PoolInputs, out: PoolPlan): void {
  const where = place(n, p.zones ?? []);
  out.placements[n.id] = where.text;
  if (where.zone !== undefined) out.zones[n.id] = where.zone;
}

/** A node the risk model does not report (down, or no data), for ordering switches. */
function downNode(id: string, nodes: readonly NodeRisk[]): NodeRisk {
  return (
    nodes.find((n) => n.id === id) ?? {
      id,
      score: Number.NaN,
      criticality: 'normal',
      stateless: false,
      load: 0,
      aboveTransitionMs: 0,
      belowReleaseMs: 0,
    }
  );
}

const RANKS: Record<Criticality, number> = { low: 0, normal: 1, high: 2, critical: 3 };
function rank(c: Criticality): number {
  return RANKS[c] ?? 1;
}

/** Where a standby goes: a zone (absent: beside its node), and why, in words. */
export interface Placement {
  zone?: string;
  text: string;
}

/**
 * Destination for a node's standby: a zone with room, nearest first (the node's own, then its
 * region), then the most stable (lowest mean risk of its nodes), then the roomiest.
 */
export function place(node: Pick<NodeRisk, 'zone' | 'region'>, zones: readonly Zone[]): Placement {
  const open = zones.filter((z) => z.spare > 0);
  if (open.length === 0) return { text: 'beside the node (no zone data)' };
  const distance = (z: Zone) => (z.name === node.zone ? 0 : (z.region ?? '') === (node.region ?? '') ? 1 : 2);
  const best = [...open].sort(
    (a, b) =>
      distance(a) - distance(b) || a.risk - b.risk || b.spare - a.spare || a.name.localeCompare(b.name),
  )[0]!;
  const why = ['same zone', 'same region', 'other region'][distance(best)];
  const spare = Number.isFinite(best.spare) ? `, ${best.spare} spare` : '';
  return { zone: best.name, text: `${best.name} (${why}${spare}, risk ${fmt(best.risk)})` };
}

/**
 * The zones a pool's nodes are in, from the nodes' own zones: each zone's risk is the mean score
 * of its nodes; its room is not known (Infinity) unless the caller says.
 */
export function zonesOf(nodes: readonly Pick<NodeRisk, 'zone' | 'region' | 'score'>[]): Zone[] {
  const by = new Map<string, { region?: string; scores: number[] }>();
  for (const n of nodes) {
    if (n.zone === undefined) continue;
    const z = by.get(n.zone) ?? { region: n.region, scores: [] };
    if (Number.isFinite(n.score)) z.scores.push(n.score);
    by.set(n.zone, z);
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, z]) => ({
      name,
      ...(z.region !== undefined ? { region: z.region } : {}),
      spare: Infinity,
      risk: z.scores.length ? z.scores.reduce((a, b) => a + b, 0) / z.scores.length : 0,
    }));
}

/**
 * Trims the growth of the desired state until its largest step fits the budget: new shadow
 * instances first (they are the buffer), then new standby nodes, then new primary instances.
 * A guardrail only ever stops growth: it never takes a pool below what it runs now (nor so below
 * its minimum), since cutting serving capacity to meet a cost or instance cap is an outage, not a
 * saving. A pool already over a lowered guardrail holds its size, with an alert, until a person or
 * the forecast shrinks it.
 */
function fit(
  desired: PoolState,
  current: PoolState,
  policy: Policy,
  budget: Budget,
  out: PoolPlan,
): PoolState {
  const over = (s: PoolState) =>
    count(grown(current, s)) > budget.instances + 1e-9 ||
    cost(grown(current, s), policy) > budget.cost + 1e-9;
  if (!over(desired)) return desired;
  const d: PoolState = { ...desired, standby: { ...desired.standby } };
  const before = count(grown(current, desired));
  const trim = (): boolean => {
    if (d.shadow > current.shadow) return (d.shadow--, true);
    const fresh = Object.keys(d.standby).filter((id) => current.standby[id] === undefined);
    if (fresh.length > 0) return (delete d.standby[fresh.at(-1)!], true);
    if (d.primary > current.primary) return (d.primary--, true);
    return false;
  };
  while (over(d) && trim());
  d.weights = cappedWeights(d, desired, policy);
  // The bounds that are set (over() found one of them, so at least one is).
  const caps = `${[
    Number.isFinite(budget.instances) ? `${budget.instances} instances` : '',
    Number.isFinite(budget.cost) ? `${fmtCost(budget.cost)}/h` : '',
  ]
    .filter(Boolean)
    .join(' and ')} left for this pool`;
  if (over(d)) {
    out.reasons.push(
      `guardrails (${caps}) are below what the pool runs now (${count(current)} instances, ${fmtCost(cost(current, policy))}/h): no growth; guardrails never shrink a pool below what it serves`,
    );
    out.alerts.push(
      `${out.pool}: already over its guardrails (${count(current)} instances, ${fmtCost(cost(current, policy))}/h); growth stopped, size held`,
    );
  } else {
    out.reasons.push(
      `capped by guardrails (${caps}): growth ${before} -> ${count(grown(current, d))} instances`,
    );
    out.alerts.push(`${out.pool}: plan capped by guardrails`);
  }
  return d;
}

/** A trimmed shadow pool gets no more of the traffic than its instances serve. */
function cappedWeights(d: PoolState, desired: PoolState, policy: Policy): PoolState['weights'] {
  if (d.shadow >= desired.shadow) return desired.weights;
  const shadow = d.shadow * policy.shadow.unitsPerInstance;
  const all = shadow + d.primary * policy.capacity.unitsPerInstance;
  const w = all > 0 ? Math.min(desired.weights.shadow, shadow / all) : 0;
  const ws = Math.floor(w * 1e6) / 1e6;
  return { primary: round(1 - ws), shadow: ws };
}

function fmtCost(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : 'no limit';
}

/** The state while growing from `a` towards `b`: the larger of each, standby of both. */
function grown(a: PoolState, b: PoolState): PoolState {
  return withStandbyMeta(
    {
      primary: Math.max(a.primary, b.primary),
      shadow: Math.max(a.shadow, b.shadow),
      standby: { ...a.standby, ...b.standby },
      weights: a.weights,
      ...(a.retired ? { retired: a.retired } : {}),
    },
    { ...b.standbyZones, ...a.standbyZones },
    { ...b.standbySync, ...a.standbySync },
  );
}

/**
 * When each standby of the desired state is to hold its node's data as of: now for a new one, one
 * whose node switches out in this plan (the hand-off takes the newest data) and one whose last sync
 * is `standby.sync` old; otherwise the time it has.
 */
function syncsFor(p: PoolInputs, standby: StandbyPlan, now: number): Record<string, number> {
  const had = p.current.standbySync ?? {};
  const out: Record<string, number> = {};
  for (const id of Object.keys(standby.target)) {
    const last = had[id];
    const fresh = !Object.hasOwn(p.current.standby, id);
    const due = last === undefined || now - last >= p.policy.standby.syncMs;
    out[id] = fresh || due || standby.moving.includes(id) ? now : last;
  }
  return out;
}

/**
 * provision → warm → shift (route weights, then node switches) → retire switched nodes → warm
 * (their replacements) → decommission (released standbys included).
 */
function steps(
  p: PoolInputs,
  desired: PoolState,
  standby: StandbyPlan,
  needAt: number,
  lead: number,
  now: number,
): MigrationStep[] {
  const { policy, current, pool } = p;
  const out: MigrationStep[] = [];
  const add = (
    kind: StepKind,
    state: PoolState,
    notBefore: number,
    bakeMs: number,
    reason: string,
    subject: StepSubject,
  ) => {
    // Steps run in order, so none may start before the one ahead of it.
    const after = Math.max(notBefore, out.at(-1)?.notBefore ?? notBefore);
    const id = `${pool}#${out.length + 1}:${idTag(subject)}`;
    out.push({ id, pool, kind, subject, state, notBefore: after, bakeMs, reason });
  };
  let state = current;
  const step = policy.migration.stepSize;
  const route = (to: number, why: string) => {
    const from = state.weights.shadow;
    const n = Math.ceil(Math.abs(to - from) / step - 1e-9);
    for (let i = 1; i <= n; i++) {
      const shadow = i === n ? to : round(from + Math.sign(to - from) * step * i);
      state = { ...state, weights: { primary: round(1 - shadow), shadow } };
      add(
        'shift',
        state,
        now,
        policy.migration.bakeMs,
        `route ${fmt(from)} -> ${fmt(to)} of traffic to the shadow pool, step ${i}/${n}: shadow ${fmt(shadow)}${why}`,
        { what: 'route' },
      );
    }
  };
  // 0. A route change the capacity in service can already carry goes first: waiting behind new
  // capacity would leave a target offered more than it serves (the router does not spill over).
  if (p.inService && routesNow(current, p.inService, desired.weights.shadow, p.observed ?? NaN, policy)) {
    route(desired.weights.shadow, ', before new capacity: the instances in service carry it');
  }
  // 1. Provision whatever grows, one lead time before it is needed (now if that is past).
  const up = grown(current, { ...desired, standby: { ...desired.standby } });
  const newStandby = Object.keys(desired.standby).filter((id) => current.standby[id] === undefined);
  const addsPrimary = desired.primary > current.primary;
  const addsShadow = desired.shadow > current.shadow;
  if (addsPrimary || addsShadow || newStandby.length > 0) {
    const starts = [
      addsPrimary ? needAt - policy.capacity.provisionMs - policy.capacity.launchBufferMs : Infinity,
      addsShadow ? needAt - policy.shadow.leadTimeMs - policy.capacity.launchBufferMs : Infinity,
      newStandby.length > 0 ? now : Infinity,
    ];
    const at = Math.max(now, Math.min(...starts));
    const what = [
      addsPrimary ? `primary ${current.primary} -> ${up.primary}` : '',
      addsShadow ? `shadow ${current.shadow} -> ${up.shadow}` : '',
      newStandby.length ? `standby for ${newStandby.join(', ')}` : '',
    ].filter(Boolean);
    state = {
      ...up,
      weights: state.weights,
      standby: { ...current.standby, ...Object.fromEntries(newStandby.map((id) => [id, 0])) },
    };
    add('provision', state, at, 0, `provision ${what.join('; ')}, ready by ${isoMinute(at + lead)}`, {
      what: 'provision',
    });
    add(
      'warm',
      state,
      at + lead,
      0,
      `wait until the new instances are ready and warm (lead time ${formatDuration(lead)})`,
      { what: 'ready' },
    );
  }
  // 1b. Warm standbys whose data is due bring it in step with their nodes' (a new snapshot
  // restored on each): a stack update that moves no traffic.
  const due = Object.keys(state.standby).filter(
    (id) =>
      (state.standby[id] ?? 0) === 0 &&
      !standby.moving.includes(id) &&
      desired.standbySync?.[id] !== undefined &&
      desired.standbySync[id] !== state.standbySync?.[id],
  );
  if (due.length > 0) {
    const synced = { ...state.standbySync };
    for (const id of due) synced[id] = desired.standbySync![id]!;
    state = withStandbyMeta(state, state.standbyZones, synced);
    add(
      'warm',
      state,
      now,
      0,
      `sync the standby${due.length > 1 ? 's' : ''} of ${due.join(', ')}: ${due.length > 1 ? 'their' : 'its'} node's data as of ${isoMinute(now)}`,
      { what: 'sync', nodes: due },
    );
  }
  // 2. Route weights, in steps no larger than the step size, each baked against the health gate.
  if (Math.abs(desired.weights.shadow - state.weights.shadow) > 1e-9) route(desired.weights.shadow, '');
  // 3. Nodes switch to their standby: one step each, since a node is in service or it is not
  // (its target group, its Service's endpoints); the target drains it (the deregistration delay,
  // evictions that honour PodDisruptionBudgets) and the gate watches the pool without it.
  for (const id of standby.moving) {
    // The hand-off takes the node's newest data: the switch syncs once more before traffic follows.
    const synced = { ...state.standbySync, [id]: desired.standbySync?.[id] ?? now };
    state = withStandbyMeta({ ...state, standby: { ...state.standby, [id]: 1 } }, state.standbyZones, synced);
    add(
      'shift',
      state,
      now,
      policy.migration.bakeMs,
      `switch ${id} to its standby: drain ${id} and take it out of service; the standby serves its slot`,
      { what: 'switch', nodes: [id] },
    );
  }
  // 4. Switched nodes are retired: terminated (removed from the cluster), the group replaces them,
  // and each one's standby serves its slot until the replacement is ready.
  if (standby.retiring.length > 0) {
    const retired = [...(state.retired ?? []), ...standby.retiring];
    state = { ...state, retired };
    add(
      'decommission',
      state,
      now,
      0,
      `retire ${standby.retiring.join(', ')}: out of service since the switch; terminate, the group replaces ${standby.retiring.length > 1 ? 'them' : 'it'}`,
      { what: 'retire', nodes: [...standby.retiring] },
    );
  }
  if (standby.retiring.length > 0 || standby.releasing.length > 0) {
    add(
      'warm',
      state,
      now,
      0,
      `wait until the replacement of ${[...standby.retiring, ...standby.releasing].join(', ')} is ready`,
      { what: 'replace', nodes: [...standby.retiring, ...standby.releasing] },
    );
  }
  // 5. Decommission what the desired state no longer needs, released standbys included.
  const finalStandby: Record<string, number> = {};
  for (const id of Object.keys(desired.standby)) finalStandby[id] = state.standby[id] ?? desired.standby[id]!;
  let final: PoolState = {
    primary: desired.primary,
    shadow: desired.shadow,
    standby: finalStandby,
    weights: state.weights,
  };
  final = withStandbyMeta(final, state.standbyZones, state.standbySync);
  if (count(final) < count(state)) {
    const released = new Set([...standby.retiring, ...standby.releasing]);
    const what = [
      final.primary < state.primary ? `primary ${state.primary} -> ${final.primary}` : '',
      final.shadow < state.shadow ? `shadow ${state.shadow} -> ${final.shadow}` : '',
      ...Object.keys(state.standby)
        .filter((id) => final.standby[id] === undefined)
        .map((id) => (released.has(id) ? `standby of ${id} (retired, replaced)` : `standby of ${id}`)),
    ].filter(Boolean);
    add('decommission', final, now, 0, `decommission ${what.join('; ')}: not needed before the next plan`, {
      what: 'decommission',
    });
  }
  return out;
}

/**
 * Whether the route can move to shadow weight `to` before any new capacity: at the load seen now,
 * no step leaves either target offered more than its instances in service serve, nor runs the
 * busier target hotter than it runs now or than the headroom allows, whichever is higher.
 */
function routesNow(
  current: PoolState,
  inService: { primary: number; shadow: number },
  to: number,
  observed: number,
  policy: Policy,
): boolean {
  const from = current.weights.shadow;
  if (Math.abs(to - from) <= 1e-9 || !Number.isFinite(observed)) return false;
  const cap = {
    primary: Math.min(current.primary, inService.primary) * policy.capacity.unitsPerInstance,
    shadow: Math.min(current.shadow, inService.shadow) * policy.shadow.unitsPerInstance,
  };
  const hottest = (w: number) => {
    // A target with nothing in service offered any share runs infinitely hot: no step passes.
    const u = (share: number, c: number) => (share <= 0 ? 0 : c > 0 ? (share * observed) / c : Infinity);
    return Math.max(u(1 - w, cap.primary), u(w, cap.shadow));
  };
  const limit = Math.max(hottest(from), 1 / (1 + policy.capacity.headroomPercent / 100));
  const step = policy.migration.stepSize;
  const n = Math.ceil(Math.abs(to - from) / step - 1e-9);
  for (let i = 1; i <= n; i++) {
    const w = i === n ? to : from + Math.sign(to - from) * step * i;
    const u = hottest(w);
    if (u > 1 + 1e-9 || u > limit + 1e-9) return false;
  }
  return true;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}
