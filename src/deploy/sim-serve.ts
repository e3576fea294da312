// One minute of traffic on the simulated fleet. The route weights split demand between the primary
// and the shadow target with no spill-over (as ALB weighted target groups and Istio route weights
// do): what a target cannot serve is lost, never sent to the other. Only ready, healthy capacity
// serves. Pure: the fleet hands it the instances and the routing in effect at that minute.

import type { RouteWeights } from '../core/plan.js';
import { inService, type SimInstance } from './sim-instance.js';

/** The routing a pool's stack declares: target weights and, per node, the share moved to its standby. */
export interface Routing {
  weights: RouteWeights;
  standby: Record<string, number>;
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
}

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

interface Group {
  offered: number;
  capacity: number;
}

export function latencyAt(model: LatencyModel, offered: number, capacity: number): number {
  if (offered <= 0) return model.baseMs;
  const u = capacity > 0 ? offered / capacity : Infinity;
  // max(1 - u, 0.01) is 1 - min(u, 0.99) without the rounding of 1 - 0.99.
  return Math.min(model.capMs, model.baseMs / Math.max(1 - u, 0.01));
}

/**
 * Serve `demand` at t. The primary target's demand is split evenly over its node slots: each
 * healthy primary node, plus each standby-covered node even after it failed (its work is pinned to
 * it until moved). A covered node X with moved share s and slot demand q sends s·q to its standby
 * (served only if the standby is ready) and (1 - s)·q to X (lost if X is down); the uncovered
 * nodes pool their slots, as a load balancer spreads over healthy targets.
 */
export function serveMinute(
  instances: readonly SimInstance[],
  routing: Routing,
  units: UnitsPerInstance,
  latency: LatencyModel,
  t: number,
  demand: number,
): Omit<ServeResult, 'signals'> & { signals: HealthSignals } {
  // One pass: this runs every simulated minute of every pool.
  const coveredIds = new Set(Object.keys(routing.standby));
  const standbysFor = new Map<string, number>();
  let primaries = 0;
  let uncovered = 0;
  let standbys = 0;
  let shadows = 0;
  for (const i of instances) {
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
    // A covered node holds a slot while it serves, and after it failed (once it had served).
    const holds =
      x !== undefined &&
      x.role === 'primary' &&
      x.readyAt <= t &&
      (x.removedAt ?? Infinity) > t &&
      (inService(x, t) || (x.failedAt !== undefined && x.failedAt >= x.readyAt));
    if (!holds) return [];
    const standbyUnits = (standbysFor.get(node) ?? 0) * units.primary;
    return [{ share, nodeUnits: inService(x, t) ? units.primary : 0, standbyUnits }];
  });
  const slots = uncovered + covered.length;

  const toPrimary = routing.weights.primary * demand;
  const toShadow = routing.weights.shadow * demand;
  const q = slots > 0 ? toPrimary / slots : 0;
  const primaryGroups: Group[] =
    slots > 0
      ? [
          { offered: q * uncovered, capacity: uncovered * units.primary },
          ...covered.flatMap((c) => [
            { offered: (1 - c.share) * q, capacity: c.nodeUnits },
            { offered: c.share * q, capacity: c.standbyUnits },
          ]),
        ]
      : [{ offered: toPrimary, capacity: 0 }];
  const shadowGroup: Group = { offered: toShadow, capacity: shadows * units.shadow };

  const servedBy = (g: Group) => Math.max(0, Math.min(g.offered, g.capacity));
  const primaryServed = primaryGroups.reduce((sum, g) => sum + servedBy(g), 0);
  const primaryCapacity = (primaries + standbys) * units.primary;
  const target = (offered: number, capacity: number, served: number): TargetLoad => ({
    offered,
    capacity,
    served,
    utilisation: capacity > 0 ? Math.min(1, served / capacity) : 0,
  });
  const primary = target(toPrimary, primaryCapacity, primaryServed);
  const shadow = target(toShadow, shadowGroup.capacity, servedBy(shadowGroup));

  const served = Math.min(demand, primary.served + shadow.served);
  const shortfall = Math.max(0, demand - served);
  let latencyMs = latency.baseMs;
  for (const g of [...primaryGroups, shadowGroup]) {
    if (g.offered > 0) latencyMs = Math.max(latencyMs, latencyAt(latency, g.offered, g.capacity));
  }
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
    },
  };
}
