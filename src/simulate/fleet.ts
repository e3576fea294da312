// What the simulator needs of a fleet beyond the Deployer seam (to serve a minute of demand, to
// say whether new capacity is ready, to gate a step on its health, to count what it cost), and
// the simulated fleet dressed for it, configured from the pool's policy.

import type { PoolState } from '../core/plan.js';
import type { Clock, Deployer, HealthGate } from '../core/seams.js';
import { type FailureTraceEntry, type Fault, SimFleet } from '../deploy/sim/fleet.js';
import { SimHealthGate } from '../deploy/sim/health.js';
import type { Gain } from '../deploy/transitions.js';
import type { HealthGateRule, Policy } from '../policy/types.js';

export interface Fleet extends Deployer {
  /** Serves one minute of `demand` at `t`; what could not be served is the shortfall. */
  serve(pool: string, t: number, demand: number): { shortfall: number };
  /** Demand units the pool's ready instances serve at `t`, by route target (standbys count as primary). */
  ready(pool: string, t: number): { primary: number; shadow: number };
  /** Instances paid for at `t` (asked for, not yet failed or removed), booting or serving. */
  paid(pool: string, t: number): number;
  /** The route weights in effect at `t`. */
  weights(pool: string, t: number): { primary: number; shadow: number };
  /** The instances that are to take traffic (`all`: every live one) serve at `t` (SimFleet.serves). */
  serves(pool: string, gain: Gain, t: number): boolean;
  gate(rules: readonly HealthGateRule[]): HealthGate;
  /** Adds a fault from now on (crash, slow provisioning, failed updates, metrics outage). */
  inject(fault: Fault): void;
  /** Instance-hours paid for from the start until now (from request to removal), and their cost. */
  nodeHours(pool: string): { nodeHours: number; cost: number };
}

/** A fresh fleet on `clock`; `updateMs` overrides how long one update of it takes. */
export type FleetFactory = (clock: Clock, initial: Record<string, PoolState>, updateMs?: number) => Fleet;

export interface SimFleetSettings {
  seed: number;
  /** Crashes from a trace. */
  failures?: readonly FailureTraceEntry[];
  /** Random crashes per instance-hour. */
  failureRatePerHour?: number;
  /** One stack update's duration (default: the fleet's, 45 s). */
  updateMs?: number;
  /** Zones the instances spread over. */
  zones?: string[];
}

/** A fresh simulated fleet per call, the pool's instances and prices from its policy. */
export function simFleetFactory(pool: string, policy: Policy, settings: SimFleetSettings): FleetFactory {
  return (clock, initial, updateMs) => {
    const start = clock.now();
    const fleet = new SimFleet({
      clock,
      seed: settings.seed,
      failures: settings.failures,
      failureRatePerHour: settings.failureRatePerHour,
      updateMs: updateMs ?? settings.updateMs,
      pools: {
        [pool]: {
          initial: initial[pool]!,
          unitsPerInstance: policy.capacity.unitsPerInstance,
          shadowUnitsPerInstance: policy.shadow.unitsPerInstance,
          provisionMs: policy.capacity.provisionMs,
          shadowProvisionMs: policy.shadow.leadTimeMs,
          hourlyCost: policy.capacity.hourlyCost,
          shadowHourlyCost: policy.shadow.hourlyCost,
          ...(settings.zones ? { zones: settings.zones } : {}),
        },
      },
    });
    return {
      current: (p) => fleet.current(p),
      apply: (p, s, o) => fleet.apply(p, s, o),
      rollback: (p, s, o) => fleet.rollback(p, s, o),
      serve: (p, t, d) => fleet.serve(p, t, d),
      ready: (p, t) => {
        const c = fleet.readyCapacity(p, t);
        return { primary: c.primary + c.standby, shadow: c.shadow };
      },
      paid: (p, t) => fleet.paidAt(p, t),
      weights: (p, t) => fleet.weightsAt(p, t),
      serves: (p, g, t) => fleet.serves(p, g, t),
      gate: (rules) => new SimHealthGate(fleet, rules),
      inject: (f) => fleet.inject(f),
      nodeHours: (p) => {
        const now = clock.now();
        return { nodeHours: fleet.nodeHours(p, start, now).total, cost: fleet.cost(p, start, now).total };
      },
    };
  };
}
