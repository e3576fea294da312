// One minute of traffic on the simulated fleet. The route weights split demand between the primary
// and the shadow target with no spill-over (as ALB weighted target groups and Istio route weights
// do): what a target cannot serve is lost, never sent to the other. Only ready, healthy capacity
// serves. Pure: the fleet hands it the instances and the routing in effect at that minute.

import type { RouteWeights } from '../../core/plan.js';
import { inService, type SimInstance } from './instance.js';

/** The routing a pool's stack declares: target weights and, per node, the share moved to its standby. */
export interface Routing {
  weights: RouteWeights;
  standby: Record<string, number>;
  /** Switched nodes retired for good: their standby serves their slot until it is released. */
  retired?: string[];
  /** Where each standby was placed (declared; the standby instance runs there). */
  standbyZones?: Record<string, string>;
  /** The time each standby's data is as of (declared; the fleet keeps no data). */
  standbySync?: Record<string, number>;
}

export interface UnitsPerInstance {
  primary: number;
  shadow: number;
}

/**
 * p99 latency of a group at utilisation u: baseMs / (1 - min(u, 0.99)), at most capMs. This is the
 * M/M/1 shape (a response-time quantile grows as 1 / (1 - u)); baseMs is the p99 of an idle instance.
 */
export interface LatencyModel {
  baseMs: number;
  capMs: number;
}

export const LATENCY_DEFAULTS: LatencyModel = { baseMs: 50, capMs: 5_000 };

export interface TargetLoad {
  /** Demand the routing sends to the target. */
  offered: number;
  /** Units its ready, healthy instances can serve. */
  capacity: number;
  served: number;
  /** served / capacity, in [0, 1]; 0 when there is no capacity. */
  utilisation: number;
}

/** What a health source would report for the pool at that minute; the gate's rules name these keys. */
export interface HealthSignals {
  /** shortfall / demand; 0 when there is no demand. */
  error_rate: number;
  /** The hottest group carrying traffic sets the pool's p99. */
  latency_p99_ms: number;
  /** The busier target's utilisation. */
  utilisation: number;
  /** served / demand: the share of requests answered; 1 when there is no demand. */
  availability: number;
}

/** The metrics a health gate can name on the simulated fleet. */
export const SIM_HEALTH_METRICS: readonly (keyof HealthSignals)[] = [
  'error_rate',
  'latency_p99_ms',
  'utilisation',
  'availability',
];

export interface ServeResult {
  t: number;
  demand: number;
  served: number;
  /** demand - served: lost, since nothing spills over. */
  shortfall: number;
  targets: { primary: TargetLoad; shadow: TargetLoad };
  /** null while metrics are out: the fleet served, but no health source saw it. */
  signals: HealthSignals | null;
}

export function latencyAt(model: LatencyModel, offered: number, capacity: number): number {
  if (offered <= 0) return model.baseMs;
  const u = capacity > 0 ? offered / capacity : Infinity;
  // max(1 - u, 0.01) is 1 - min(u, 0.99) without the rounding of 1 - 0.99.
  return Math.min(model.capMs, model.baseMs / Math.max(1 - u, 0.01));
}

/**
 * Who can serve at t, and for how long that holds: a replay serves most minutes from the same
 * composition, so the fleet keeps it until the next instance readiness, end or routing change.
 */
export interface Composition {
  weights: RouteWeights;
  /** In-service primary nodes, standbys and shadows. */
  primaries: number;
  standbys: number;
  shadows: number;
  /** In-service primary nodes no standby covers: they pool their slots. */
  uncovered: number;
  /** Covered nodes that hold a slot: the share moved, whether the node serves, its ready standbys. */
  covered: { share: number; nodeUp: boolean; standbys: number }[];
  /** From t it holds until this time (the next readiness, end or routing change among the instances). */
  validUntil: number;
}

/**
 * The composition at t. The primary target's demand is split evenly over its node slots: each
 * healthy primary node, plus each standby-covered node even after it failed (its work is pinned to
 * it until moved). A covered node X with moved share s and slot demand q sends s·q to its standby
 * (served only if the standby is ready) and (1 - s)·q to X (lost if X is down); the uncovered
 * nodes pool their slots, as a load balancer spreads over healthy targets.
 */
export function compose(
  instances: readonly SimInstance[],
  routing: Routing & { until?: number },
  t: number,
): Composition {
  const coveredIds = new Set(Object.keys(routing.standby));
  const standbysFor = new Map<string, number>();
  let primaries = 0;
  let uncovered = 0;
  let standbys = 0;
  let shadows = 0;
  let validUntil = routing.until ?? Infinity;
  const later = (at: number | undefined) => {
    if (at !== undefined && at > t && at < validUntil) validUntil = at;
  };
  for (const i of instances) {
    later(i.readyAt);
    later(i.failedAt);
    later(i.removedAt);
    if (!inService(i, t)) continue;
    if (i.role === 'primary') {
      primaries++;
      if (!coveredIds.has(i.id)) uncovered++;
    } else if (i.role === 'shadow') shadows++;
    else {
      standbys++;
      if (i.standbyFor !== undefined) standbysFor.set(i.standbyFor, (standbysFor.get(i.standbyFor) ?? 0) + 1);
    }
  }
  const covered = Object.entries(routing.standby).flatMap(([node, share]) => {
    const x = instances.find((i) => i.id === node);
    // A covered node holds a slot while it serves, after it failed (once it had served), and after
    // it was retired with its work moved: its standby serves the slot until it is released.
    const removed = x?.removedAt !== undefined && x.removedAt <= t;
    const holds =
      x !== undefined &&
      x.role === 'primary' &&
      x.readyAt <= t &&
      (removed ? share >= 1 : inService(x, t) || (x.failedAt !== undefined && x.failedAt >= x.readyAt));
    if (!holds) return [];
    return [{ share, nodeUp: inService(x, t), standbys: standbysFor.get(node) ?? 0 }];
  });
  return {
    weights: routing.weights,
    primaries,
    standbys,
    shadows,
    uncovered,
    covered,
    validUntil,
  };
}

/** Serve `demand` at t: the instances and routing in effect then, as `compose` and `loadOf` read them. */
export function serveMinute(
  instances: readonly SimInstance[],
  routing: Routing,
  units: UnitsPerInstance,
  latency: LatencyModel,
  t: number,
  demand: number,
): Omit<ServeResult, 'signals'> & { signals: HealthSignals } {
  return loadOf(compose(instances, routing, t), units, latency, t, demand);
}

/** One minute's demand on a composition: served, shortfall, per-target load and health signals. */
export function loadOf(
  c: Composition,
  units: UnitsPerInstance,
  latency: LatencyModel,
  t: number,
  demand: number,
): Omit<ServeResult, 'signals'> & { signals: HealthSignals } {
  const slots = c.uncovered + c.covered.length;
  const toPrimary = c.weights.primary * demand;
  const toShadow = c.weights.shadow * demand;
  const q = slots > 0 ? toPrimary / slots : 0;
  // Each group serves what it is offered up to its capacity; the hottest one sets the p99.
  let primaryServed = 0;
  let latencyMs = latency.baseMs;
  const group = (offered: number, capacity: number) => {
    if (offered <= 0) return 0;
    latencyMs = Math.max(latencyMs, latencyAt(latency, offered, capacity));
    return Math.min(offered, capacity);
  };
  if (slots === 0) group(toPrimary, 0);
  else {
    primaryServed += group(q * c.uncovered, c.uncovered * units.primary);
    for (const x of c.covered) {
      primaryServed += group((1 - x.share) * q, x.nodeUp ? units.primary : 0);
      primaryServed += group(x.share * q, x.standbys * units.primary);
    }
  }
  const shadowCapacity = c.shadows * units.shadow;
  const shadowServed = group(toShadow, shadowCapacity);

  const target = (offered: number, capacity: number, served: number): TargetLoad => ({
    offered,
    capacity,
    served,
    utilisation: capacity > 0 ? Math.min(1, served / capacity) : 0,
  });
  const primary = target(toPrimary, (c.primaries + c.standbys) * units.primary, primaryServed);
  const shadow = target(toShadow, shadowCapacity, shadowServed);
  const served = Math.min(demand, primary.served + shadow.served);
  const shortfall = Math.max(0, demand - served);
  return {
    t,
    demand,
    served,
    shortfall,
    targets: { primary, shadow },
    signals: {
      error_rate: demand > 0 ? shortfall / demand : 0,
      latency_p99_ms: latencyMs,
      utilisation: Math.max(primary.utilisation, shadow.utilisation),
      availability: demand > 0 ? served / demand : 1,
    },
  };
}
