// An instance of the simulated fleet as plain data: when it was asked for, when it could serve,
// and when it stopped (failed or removed). Everything the fleet answers (capacity at a minute,
// node-hours, cost) is a function of these timestamps, so a past minute can be asked about again.

/** primary: a node of the primary pool; shadow: a warm shadow instance; standby: one node's stand-in. */
export type InstanceRole = 'primary' | 'shadow' | 'standby';

export interface SimInstance {
  /** `POOL-p-N` (primary: the node ids the risk scorer knows), `POOL-s-N` (shadow), `POOL-sb-N` (standby). */
  readonly id: string;
  readonly pool: string;
  readonly role: InstanceRole;
  /** For a standby: the primary node whose work it takes over. */
  readonly standbyFor?: string;
  /** When it was asked for (epoch ms): it is paid for from here, booting or not. */
  readonly requestedAt: number;
  /** When it can first serve: requestedAt plus provisioning and warm-up. */
  readonly readyAt: number;
  /** When it crashed: it stops serving and being paid for at once. */
  failedAt?: number;
  /** When an update removed it. */
  removedAt?: number;
  /** The failed instance this one replaces, as an auto-scaling group would. */
  readonly replaces?: string;
  /** The zone it runs in, when the pool has zones. */
  readonly zone?: string;
}

/** When the instance stops existing, or Infinity while it lives. */
export function endOf(instance: SimInstance): number {
  return Math.min(instance.failedAt ?? Infinity, instance.removedAt ?? Infinity);
}

/** Ready, not failed and not removed at t: the only instances that serve. */
export function inService(instance: SimInstance, t: number): boolean {
  return instance.readyAt <= t && endOf(instance) > t;
}
