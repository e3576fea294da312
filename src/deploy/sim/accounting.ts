// What the simulated fleet costs: node-hours per role over a window, and money at hourly prices.
// An instance counts from the moment it is asked for until it fails or is removed, because a
// cloud bills the boot and the warm-up too, and capacity that never served still cost money.

import { endOf, type InstanceRole, type SimInstance } from './instance.js';

const HOUR = 3_600_000;

export type RoleTotals = Record<InstanceRole, number> & { total: number };

/** Node-hours of `instances` within [from, to) by role; every term is clamped at zero. */
export function nodeHours(instances: Iterable<SimInstance>, from: number, to: number): RoleTotals {
  const hours: RoleTotals = { primary: 0, shadow: 0, standby: 0, total: 0 };
  for (const instance of instances) {
    const ms = Math.min(to, endOf(instance)) - Math.max(from, instance.requestedAt);
    if (ms > 0) hours[instance.role] += ms / HOUR;
  }
  hours.total = hours.primary + hours.shadow + hours.standby;
  return hours;
}

/** Cost of those node-hours at a price per instance-hour for each role. */
export function costOf(hours: RoleTotals, hourly: Record<InstanceRole, number>): RoleTotals {
  const cost: RoleTotals = {
    primary: hours.primary * hourly.primary,
    shadow: hours.shadow * hourly.shadow,
    standby: hours.standby * hourly.standby,
    total: 0,
  };
  cost.total = cost.primary + cost.shadow + cost.standby;
  return cost;
}
