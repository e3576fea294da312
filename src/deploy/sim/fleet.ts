// The simulated fleet: a deploy target that behaves like a real one, for the demo, `simulate`
// backtests on a fake clock, tests and fault injection. An update takes time and can fail;
// instances take time to boot and can crash (an auto-scaling group replaces them after a detection
// delay); capacity that is not ready does not serve. Everything is seeded: same inputs, same fleet.

import type { Clock, ApplyOptions, ApplyResult, DeployEvent, Deployer } from '../../core/seams.js';
import type { PoolState, RouteWeights } from '../../core/plan.js';
import type { Gain } from '../transitions.js';
import { mulberry32 } from '../../core/random.js';
import { costOf, nodeHours, type RoleTotals } from './accounting.js';
import { type Fault, Faults } from './faults.js';
import { type HealthRecord, type SignalSample, SignalLog } from './health.js';
import { endOf, inService, type InstanceRole, type SimInstance } from './instance.js';
import {
  compose,
  type Composition,
  LATENCY_DEFAULTS,
  type LatencyModel,
  loadOf,
  type Routing,
  type ServeResult,
} from './serve.js';
import { describeState, poolStateProblem } from '../../core/pool-state.js';
import { describeRouting, routingOf, sameRouting } from './state.js';
import { iso } from '../../core/time-format.js';

export type { Fault } from './faults.js';

export interface SimPoolConfig {
  /** The pool at the start, every instance already ready. */
  initial: PoolState;
  /** Demand units one primary (or standby) instance serves at full load. */
  unitsPerInstance: number;
  /** Default: unitsPerInstance. */
  shadowUnitsPerInstance?: number;
  /** Request to ready, boot and warm-up included (default 5 min); standbys boot like primaries. */
  provisionMs?: number;
  /** Default: provisionMs. */
  shadowProvisionMs?: number;
  /** Per primary (and standby) instance-hour (default 0). */
  hourlyCost?: number;
  /** Default: hourlyCost. */
  shadowHourlyCost?: number;
  /** The pool as `snapshot` saved it: its instances, routing and counters instead of `initial`'s. */
  restore?: SimPoolSnapshot;
  /**
   * Zones the pool's instances spread over, as an Auto Scaling group over one subnet a zone does:
   * each new primary or shadow goes to the zone with fewest of its role, a standby to the zone the
   * state places it in (else its node's); a zone in an outage takes none. Absent: no zones.
   */
  zones?: string[];
}

/**
 * One pool of the fleet as plain data (sim/store.ts persists it): every instance it ever had,
 * the routing in effect, and the counters that keep ids and seeded draws going where they left off.
 */
export interface SimPoolSnapshot {
  instances: SimInstance[];
  routing: Routing;
  next: Record<InstanceRole, number>;
  updates: number;
  trace: FailureTraceEntry[];
}

/** A crash at `at`: a named instance, or `any` in-service instance of the pool (a seeded pick). */
export interface FailureTraceEntry {
  at: number;
  pool: string;
  instance: string;
}

export interface SimFleetOptions {
  clock: Clock;
  pools: Record<string, SimPoolConfig>;
  /** One stack update (default 45 s), varied by ±updateJitter of itself (default 0.2), seeded. */
  updateMs?: number;
  updateJitter?: number;
  seed?: number;
  /** Crashes from a trace. */
  failures?: readonly FailureTraceEntry[];
  /** Random crashes: each instance fails at this rate per hour of its life (default 0). */
  failureRatePerHour?: number;
  /** From a crash to the replacement being requested (default 2 min). */
  detectionMs?: number;
  latency?: Partial<LatencyModel>;
  /** Signals kept behind the newest (default 7 days); older ones are dropped. */
  signalRetentionMs?: number;
  /** Events kept in the log (default 10,000); the oldest go first. */
  maxEvents?: number;
  /** Every event of every pool, as it happens (instance-ready ones included). */
  onEvent?: (event: DeployEvent) => void;
}

/** Ready capacity in demand units: primary nodes, their standbys, and the shadow pool. */
export interface ReadyCapacity {
  primary: number;
  standby: number;
  shadow: number;
}

export const SIM_DEFAULTS = {
  updateMs: 45_000,
  updateJitter: 0.2,
  provisionMs: 5 * 60_000,
  detectionMs: 2 * 60_000,
  seed: 1,
  maxEvents: 10_000,
} as const;

const HOUR = 3_600_000;
const PREFIX: Record<InstanceRole, string> = { primary: 'p', shadow: 's', standby: 'sb' };

interface Tracked {
  instance: SimInstance;
  /** When the random process crashes it (Infinity: never). */
  failAt: number;
  announced: boolean;
}

interface PoolRuntime {
  name: string;
  units: { primary: number; shadow: number };
  provisionMs: { primary: number; shadow: number };
  hourly: Record<InstanceRole, number>;
  byId: Map<string, SimInstance>;
  /** Not failed, not removed (a replacement waiting to be requested included). */
  live: Tracked[];
  /** Failed or removed, ordered by when they ended. */
  retired: SimInstance[];
  /** Routing history: each entry in effect from `from` until the next. */
  routing: (Routing & { from: number })[];
  next: Record<InstanceRole, number>;
  trace: FailureTraceEntry[];
  zones: string[];
  /** Zone outages, in start order; `applied` once their instances have failed. */
  outages: { zone: string; from: number; to: number; applied: boolean }[];
  updates: number;
  updating: boolean;
  listener?: (event: DeployEvent) => void;
  /** Bumped by every change to instances, routing or the trace: it invalidates the two caches below. */
  version: number;
  /** Nothing to play before `until` (a replay asks every minute; events are rare). */
  quiet?: { version: number; until: number };
  /** The composition computed at `at`, valid until its validUntil. */
  composition?: { version: number; at: number; value: Composition };
}

/** FNV-1a: a string to 32 bits, to seed one stream per (seed, purpose, key). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class SimFleet implements Deployer, HealthRecord {
  private readonly clock: Clock;
  private readonly pools = new Map<string, PoolRuntime>();
  private readonly signalLog: SignalLog;
  private readonly log: DeployEvent[] = [];
  private readonly updateMs: number;
  private readonly jitter: number;
  private readonly seed: number;
  private readonly ratePerHour: number;
  private readonly detectionMs: number;
  private readonly latency: LatencyModel;
  private readonly maxEvents: number;
  private readonly onEvent: ((event: DeployEvent) => void) | undefined;
  private readonly faults = new Faults();

  constructor(options: SimFleetOptions) {
    this.clock = options.clock;
    this.updateMs = options.updateMs ?? SIM_DEFAULTS.updateMs;
    this.jitter = options.updateJitter ?? SIM_DEFAULTS.updateJitter;
    this.seed = options.seed ?? SIM_DEFAULTS.seed;
    this.ratePerHour = options.failureRatePerHour ?? 0;
    this.detectionMs = options.detectionMs ?? SIM_DEFAULTS.detectionMs;
    this.latency = { ...LATENCY_DEFAULTS, ...options.latency };
    this.maxEvents = options.maxEvents ?? SIM_DEFAULTS.maxEvents;
    this.onEvent = options.onEvent;
    this.signalLog = new SignalLog(options.signalRetentionMs);
    const start = this.clock.now();
    for (const [name, config] of Object.entries(options.pools)) {
      const problem = poolStateProblem(config.initial);
      if (problem) throw new Error(`simulated pool ${name}: initial state: ${problem}`);
      const units = config.unitsPerInstance;
      const provisionMs = config.provisionMs ?? SIM_DEFAULTS.provisionMs;
      for (const [what, v] of Object.entries({
        units,
        provisionMs,
        shadowProvisionMs: config.shadowProvisionMs,
      })) {
        if (v !== undefined && !(v >= 0 && Number.isFinite(v))) {
          throw new Error(`simulated pool ${name}: ${what} must be a number >= 0, got ${v}`);
        }
      }
      const hourly = config.hourlyCost ?? 0;
      const pool: PoolRuntime = {
        name,
        units: { primary: units, shadow: config.shadowUnitsPerInstance ?? units },
        provisionMs: { primary: provisionMs, shadow: config.shadowProvisionMs ?? provisionMs },
        hourly: { primary: hourly, standby: hourly, shadow: config.shadowHourlyCost ?? hourly },
        byId: new Map(),
        live: [],
        retired: [],
        routing: [
          {
            from: start,
            ...(config.restore ? structuredClone(config.restore.routing) : routingOf(config.initial)),
          },
        ],
        next: { primary: 0, shadow: 0, standby: 0 },
        trace: [],
        zones: [...(config.zones ?? [])],
        outages: [],
        updates: 0,
        updating: false,
        version: 0,
      };
      this.pools.set(name, pool);
      if (config.restore) {
        this.restore(pool, config.restore, start);
        continue;
      }
      const { primary, shadow, standby } = config.initial;
      for (let i = 0; i < primary; i++) this.create(pool, 'primary', start, true);
      for (let i = 0; i < shadow; i++) this.create(pool, 'shadow', start, true);
      for (const node of Object.keys(standby)) this.create(pool, 'standby', start, true, node);
    }
    for (const entry of options.failures ?? []) this.inject({ kind: 'crash', ...entry });
  }

  // ---- Deployer -------------------------------------------------------------------------------

  /** The pool as its stack has it: a crashed instance's pending replacement counts, as in an ASG's desired size. */
  async current(pool: string): Promise<PoolState> {
    const rt = this.runtime(pool);
    this.advance(rt, this.clock.now());
    return this.stateOf(rt);
  }

  apply(pool: string, desired: PoolState, options?: ApplyOptions): Promise<ApplyResult> {
    return this.update(pool, desired, options ?? {}, false);
  }

  /** An update like any other, marked as a rollback in the log. */
  rollback(pool: string, to: PoolState, options?: ApplyOptions): Promise<ApplyResult> {
    return this.update(pool, to, options ?? {}, true);
  }

  // ---- Serving --------------------------------------------------------------------------------

  /**
   * Serve one minute's demand at t and record its health signals (unless metrics are out). t may
   * not run ahead of the clock: an update applied later would land before minutes already served
   * and recorded, so a replay must move the clock (a FakeClock's sleep) to each minute it serves.
   */
  serve(pool: string, t: number, demand: number): ServeResult {
    if (!(demand >= 0 && Number.isFinite(demand))) throw new Error(`demand must be >= 0, got ${demand}`);
    const now = this.clock.now();
    if (t > now) {
      throw new Error(
        `cannot serve ${pool} at ${iso(t)}, ahead of the clock (${iso(now)}): advance the clock first`,
      );
    }
    const rt = this.runtime(pool);
    this.advance(rt, t);
    const result = loadOf(this.compositionAt(rt, t), rt.units, this.latency, t, demand);
    const signals = this.faults.metricsOut(pool, t) ? null : result.signals;
    this.signalLog.record(pool, { t, signals });
    return { ...result, signals };
  }

  /** Ready capacity at t; after the clock, as things stand (no more crashes or updates). */
  readyCapacity(pool: string, t: number): ReadyCapacity {
    const rt = this.runtime(pool);
    this.advance(rt, t);
    const c = this.compositionAt(rt, t);
    return {
      primary: c.primaries * rt.units.primary,
      standby: c.standbys * rt.units.primary,
      shadow: c.shadows * rt.units.shadow,
    };
  }

  /**
   * The instances that are to take traffic serve at t: `all`, every live instance is ready; a
   * target (`primary`, `shadow`), its ready capacity covers all it declares; `none`, nothing to wait for.
   */
  serves(pool: string, gain: Gain, t: number): boolean {
    if (gain === 'none') return true;
    const rt = this.runtime(pool);
    this.advance(rt, t);
    if (gain === 'all') return rt.live.every(({ instance: i }) => endOf(i) <= t || i.readyAt <= t);
    const declared = this.stateOf(rt);
    const c = this.compositionAt(rt, t);
    const ready =
      gain === 'primary' ? (c.primaries + c.standbys) * rt.units.primary : c.shadows * rt.units.shadow;
    return ready >= declared[gain] * rt.units[gain] - 1e-9;
  }

  /** Instances paid for at t: asked for by then, and neither failed nor removed. */
  paidAt(pool: string, t: number): number {
    const rt = this.runtime(pool);
    this.advance(rt, t);
    return this.around(rt, t).filter((i) => i.requestedAt <= t && endOf(i) > t).length;
  }

  /** The route weights in effect at t. */
  weightsAt(pool: string, t: number): RouteWeights {
    return this.routingAt(this.runtime(pool), t).weights;
  }

  /** Ids of the primary nodes serving at t: the nodes the risk scorer scores and standbys name. */
  nodes(pool: string, t: number): string[] {
    const rt = this.runtime(pool);
    this.advance(rt, t);
    return this.around(rt, t)
      .filter((i) => i.role === 'primary' && inService(i, t))
      .map((i) => i.id);
  }

  /** Nodes with a standby, not retired, that are out of service at t (failed, or gone). */
  down(pool: string, t: number): string[] {
    const rt = this.runtime(pool);
    this.advance(rt, t);
    const routing = this.routingAt(rt, t);
    const retired = new Set(routing.retired ?? []);
    return Object.keys(routing.standby).filter((node) => {
      const x = rt.byId.get(node);
      return !retired.has(node) && (x === undefined || !inService(x, t));
    });
  }

  samples(pool: string, start: number, end: number): readonly SignalSample[] {
    return this.signalLog.samples(pool, start, end);
  }

  // ---- Inspection and accounting --------------------------------------------------------------

  /** Every instance the pool ever had, live ones first. */
  instances(pool: string): readonly SimInstance[] {
    const rt = this.runtime(pool);
    return [...rt.live.map((l) => l.instance), ...rt.retired];
  }

  /** The event log (bounded to the newest maxEvents), of one pool or all. */
  events(pool?: string): readonly DeployEvent[] {
    return pool === undefined ? [...this.log] : this.log.filter((e) => e.pool === pool);
  }

  /** Node-hours by role within [from, to); a window past the clock assumes nothing more happens. */
  nodeHours(pool: string, from: number, to: number): RoleTotals {
    const rt = this.runtime(pool);
    this.advance(rt, to);
    return nodeHours(rt.byId.values(), from, to);
  }

  /** Those node-hours at the pool's hourly prices (a standby costs what a primary does). */
  cost(pool: string, from: number, to: number): RoleTotals {
    return costOf(this.nodeHours(pool, from, to), this.runtime(pool).hourly);
  }

  /** The pool as plain data, to build the same fleet again later (`SimPoolConfig.restore`). */
  snapshot(pool: string): SimPoolSnapshot {
    const rt = this.runtime(pool);
    this.advance(rt, this.clock.now());
    const { from: _from, ...routing } = rt.routing[rt.routing.length - 1]!;
    return structuredClone({
      instances: [...rt.byId.values()],
      routing,
      next: rt.next,
      updates: rt.updates,
      trace: rt.trace,
    });
  }

  private restore(rt: PoolRuntime, saved: SimPoolSnapshot, now: number): void {
    rt.next = { ...saved.next };
    rt.updates = saved.updates;
    rt.trace = saved.trace.map((e) => ({ ...e })).sort((a, b) => a.at - b.at);
    for (const i of saved.instances) {
      // Every field present, as `create` makes them (one object shape keeps the loops fast).
      const instance: SimInstance = {
        id: i.id,
        pool: rt.name,
        role: i.role,
        standbyFor: i.standbyFor,
        requestedAt: i.requestedAt,
        readyAt: i.readyAt,
        failedAt: i.failedAt ?? undefined,
        removedAt: i.removedAt ?? undefined,
        replaces: i.replaces,
        zone: i.zone,
      };
      rt.byId.set(instance.id, instance);
      if (endOf(instance) === Infinity) {
        const failAt = this.failAtOf(instance.id, instance.requestedAt);
        rt.live.push({ instance, failAt, announced: instance.readyAt <= now });
      } else rt.retired.push(instance);
    }
    rt.retired.sort((a, b) => endOf(a) - endOf(b));
    rt.version++;
  }

  // ---- Fault injection ------------------------------------------------------------------------

  inject(fault: Fault): void {
    if (fault.kind === 'zone-outage') {
      const rt = this.runtime(fault.pool);
      if (!rt.zones.includes(fault.zone)) {
        throw new Error(
          `zone outage: pool ${fault.pool} has no zone ${fault.zone} (it has ${rt.zones.join(', ') || 'none'})`,
        );
      }
      rt.outages.push({ zone: fault.zone, from: fault.from, to: fault.to, applied: false });
      rt.outages.sort((a, b) => a.from - b.from);
      rt.version++;
      return;
    }
    if (fault.kind !== 'crash') return this.faults.add(fault);
    const rt = this.runtime(fault.pool);
    const entry = { at: fault.at, pool: fault.pool, instance: fault.instance ?? 'any' };
    let at = rt.trace.length;
    while (at > 0 && rt.trace[at - 1]!.at > entry.at) at--;
    rt.trace.splice(at, 0, entry);
    rt.version++;
  }

  // ---- The update -----------------------------------------------------------------------------

  private async update(
    pool: string,
    desired: PoolState,
    options: ApplyOptions,
    isRollback: boolean,
  ): Promise<ApplyResult> {
    const rt = this.runtime(pool);
    const start = this.clock.now();
    this.advance(rt, start);
    const step = options.stepId === undefined ? '' : ` ${options.stepId}`;
    const what = `${isRollback ? 'rollback' : 'update'}${step}`;
    if (rt.updating) {
      // As a stack lock refuses a second concurrent update.
      const reason = `${what} refused: another update of ${pool} is in progress`;
      this.emit(rt, { at: start, pool, kind: 'update-failed', message: reason }, options.onEvent);
      return { ok: false, state: this.stateOf(rt), reason };
    }
    rt.updating = true;
    rt.listener = options.onEvent;
    try {
      if (isRollback) {
        this.emit(rt, {
          at: start,
          pool,
          kind: 'rollback',
          message: `rolling back to ${describeState(desired)}`,
        });
      }
      this.emit(rt, {
        at: start,
        pool,
        kind: 'update-started',
        message: `${what} started: ${describeState(desired)}`,
      });
      const invalid = poolStateProblem(desired);
      if (invalid) return this.failed(rt, `${what} failed: invalid desired state: ${invalid}`);
      const ms = this.updateDuration(rt, this.faults.updateFactor(pool, options.stepId));
      await this.clock.sleep(ms);
      const end = this.clock.now();
      this.advance(rt, end);
      const injected = this.faults.failedStep(pool, options.stepId);
      if (injected) {
        const reason = injected.reason ?? 'injected failure';
        return this.failed(rt, `${what} failed after ${seconds(ms)}: ${reason}`);
      }
      const changes = this.reconcile(rt, desired, end);
      this.emit(rt, {
        at: end,
        pool,
        kind: 'update-done',
        message: `${what} done in ${seconds(ms)}: ${changes.length > 0 ? changes.join(', ') : 'no changes'}`,
      });
      return { ok: true, state: this.stateOf(rt) };
    } finally {
      rt.updating = false;
      rt.listener = undefined;
    }
  }

  private failed(rt: PoolRuntime, reason: string): ApplyResult {
    this.emit(rt, { at: this.clock.now(), pool: rt.name, kind: 'update-failed', message: reason });
    return { ok: false, state: this.stateOf(rt), reason };
  }

  private updateDuration(rt: PoolRuntime, factor = 1): number {
    const u = mulberry32(hash(`${this.seed}:update:${rt.name}:${rt.updates++}`))();
    return Math.max(0, Math.round(this.updateMs * (1 + this.jitter * (2 * u - 1)) * factor));
  }

  /** Bring the pool to `desired` at t; returns the changes in words. Same state twice: no change. */
  private reconcile(rt: PoolRuntime, desired: PoolState, t: number): string[] {
    const changes: string[] = [];
    // A retired node leaves the group for good, as a terminated instance does; the group's size
    // below then launches its replacement.
    for (const node of desired.retired ?? []) {
      const l = rt.live.find((x) => x.instance.id === node && x.instance.role === 'primary');
      if (!l) continue;
      this.remove(rt, l, t);
      changes.push(`${node} retired`);
    }
    for (const role of ['primary', 'shadow'] as const) {
      const have = rt.live.filter((l) => l.instance.role === role);
      const want = desired[role];
      for (let i = have.length; i < want; i++) this.create(rt, role, t, false);
      for (const l of removalOrder(have, t).slice(0, Math.max(0, have.length - want))) this.remove(rt, l, t);
      if (want !== have.length) changes.push(`${role} ${have.length} -> ${want}`);
    }
    // The routing first: a new standby goes to the zone it places it in.
    const now = rt.routing[rt.routing.length - 1]!;
    const next = routingOf(desired);
    let routed = '';
    if (!sameRouting(now, next)) {
      rt.routing.push({ from: t, ...next });
      rt.version++;
      routed = `routing ${describeRouting(next)}`;
    }
    const standbys = rt.live.filter((l) => l.instance.role === 'standby');
    const covered = new Set<string>();
    for (const l of removalOrder(standbys, t).reverse()) {
      const node = l.instance.standbyFor!;
      if (Object.hasOwn(desired.standby, node) && !covered.has(node)) covered.add(node);
      else {
        this.remove(rt, l, t);
        changes.push(`standby for ${node} removed`);
      }
    }
    for (const node of Object.keys(desired.standby)) {
      if (covered.has(node)) continue;
      this.create(rt, 'standby', t, false, node);
      changes.push(`standby for ${node} requested`);
    }
    if (routed) changes.push(routed);
    return changes;
  }

  // ---- Instances over time --------------------------------------------------------------------

  private create(
    rt: PoolRuntime,
    role: InstanceRole,
    requestedAt: number,
    ready: boolean,
    standbyFor?: string,
    replaces?: string,
  ): SimInstance {
    const id = `${rt.name}-${PREFIX[role]}-${rt.next[role]++}`;
    const zone = this.zoneFor(rt, role, requestedAt, standbyFor);
    const boot = role === 'shadow' ? rt.provisionMs.shadow : rt.provisionMs.primary;
    const readyAt = ready ? requestedAt : requestedAt + boot * this.faults.slowFactor(rt.name, requestedAt);
    // Every field present from the start: one object shape keeps the per-minute loops fast.
    const instance: SimInstance = {
      id,
      pool: rt.name,
      role,
      standbyFor,
      requestedAt,
      readyAt,
      failedAt: undefined,
      removedAt: undefined,
      replaces,
      zone,
    };
    rt.live.push({ instance, failAt: this.failAtOf(id, requestedAt), announced: ready });
    rt.byId.set(id, instance);
    rt.version++;
    return instance;
  }

  /**
   * Where a new instance goes at t: none without zones; a standby to the zone the state places it
   * in, else its node's; a primary or shadow to the zone with fewest live ones of its role (the
   * first listed on a tie). A zone in an outage at t takes nothing while another zone can.
   */
  private zoneFor(rt: PoolRuntime, role: InstanceRole, t: number, standbyFor?: string): string | undefined {
    if (rt.zones.length === 0) return undefined;
    const down = new Set(rt.outages.filter((o) => o.from <= t && t < o.to).map((o) => o.zone));
    const up = rt.zones.filter((z) => !down.has(z));
    const open = up.length > 0 ? up : rt.zones;
    if (standbyFor !== undefined) {
      const routing = rt.routing[rt.routing.length - 1]!;
      const wanted = routing.standbyZones?.[standbyFor] ?? rt.byId.get(standbyFor)?.zone;
      if (wanted !== undefined && open.includes(wanted)) return wanted;
    }
    const count = (z: string) =>
      rt.live.filter((l) => l.instance.role === role && l.instance.zone === z).length;
    return open.reduce((best, z) => (count(z) < count(best) ? z : best));
  }

  /** When the random process crashes instance `id` (Infinity: never): seeded by its id, so a restored fleet agrees. */
  private failAtOf(id: string, requestedAt: number): number {
    const u = mulberry32(hash(`${this.seed}:fail:${id}`))();
    return this.ratePerHour > 0 ? requestedAt + (-Math.log(1 - u) / this.ratePerHour) * HOUR : Infinity;
  }

  private remove(rt: PoolRuntime, tracked: Tracked, t: number): void {
    tracked.instance.removedAt = t;
    this.retire(rt, tracked);
  }

  private retire(rt: PoolRuntime, tracked: Tracked): void {
    rt.live.splice(rt.live.indexOf(tracked), 1);
    rt.version++;
    const end = endOf(tracked.instance);
    let at = rt.retired.length;
    while (at > 0 && endOf(rt.retired[at - 1]!) > end) at--;
    rt.retired.splice(at, 0, tracked.instance);
  }

  /** Instances that may matter at t: the live ones and those that ended after t. */
  private around(rt: PoolRuntime, t: number): SimInstance[] {
    const out = rt.live.map((l) => l.instance);
    for (let i = rt.retired.length - 1; i >= 0 && endOf(rt.retired[i]!) > t; i--) out.push(rt.retired[i]!);
    // A failed node that a standby covers keeps its slot (its work is pinned to it until moved).
    for (const node of Object.keys(this.routingAt(rt, t).standby)) {
      const x = rt.byId.get(node);
      if (x && !out.some((i) => i.id === node)) out.push(x);
    }
    return out;
  }

  /** The routing in effect at t, and until when. */
  private routingAt(rt: PoolRuntime, t: number): Routing & { until: number } {
    let i = rt.routing.length - 1;
    while (i > 0 && rt.routing[i]!.from > t) i--;
    return { ...rt.routing[i]!, until: rt.routing[i + 1]?.from ?? Infinity };
  }

  private compositionAt(rt: PoolRuntime, t: number): Composition {
    const cached = rt.composition;
    // Only forward from where it was computed: going back, instances that ended since are missing.
    if (cached?.version === rt.version && cached.at <= t && t < cached.value.validUntil) return cached.value;
    const value = compose(this.around(rt, t), this.routingAt(rt, t), t);
    rt.composition = { version: rt.version, at: t, value };
    return value;
  }

  /**
   * Play the pool's crashes and readiness up to t, in time order (a crash before a readiness at the
   * same moment). A crashed instance is replaced: requested after the detection delay, as an ASG
   * does. Never past the clock: an answer about a later time assumes nothing more happens (no
   * crash, no update), so looking ahead never changes what the fleet does.
   */
  private advance(rt: PoolRuntime, until: number): void {
    const t = Math.min(until, this.clock.now());
    if (rt.quiet?.version === rt.version && t < rt.quiet.until) return;
    for (;;) {
      // The earliest pending crash and readiness, whenever they are.
      let crash: Tracked | undefined;
      let ready: Tracked | undefined;
      for (const l of rt.live) {
        if (l.failAt < (crash?.failAt ?? Infinity)) crash = l;
        if (!l.announced && l.instance.readyAt < (ready?.instance.readyAt ?? Infinity)) ready = l;
      }
      const crashAt = crash?.failAt ?? Infinity;
      const traceAt = rt.trace[0]?.at ?? Infinity;
      const readyAt = ready?.instance.readyAt ?? Infinity;
      const outage = rt.outages.find((o) => !o.applied);
      const outageAt = outage?.from ?? Infinity;
      const next = Math.min(crashAt, traceAt, readyAt, outageAt);
      if (next > t) {
        rt.quiet = { version: rt.version, until: next };
        return;
      }
      if (outage && outageAt === next) {
        outage.applied = true;
        rt.version++;
        const victims = rt.live.filter(
          (l) => l.instance.zone === outage.zone && l.instance.requestedAt <= next,
        );
        for (const l of victims) this.crash(rt, l, next, `zone ${outage.zone} outage`);
      } else if (traceAt === next) {
        const entry = rt.trace.shift()!;
        rt.version++;
        const victim = this.traceVictim(rt, entry);
        if (victim) this.crash(rt, victim, entry.at, 'injected');
      } else if (crash && crashAt === next) {
        this.crash(rt, crash, crashAt, 'random failure');
      } else if (ready) {
        ready.announced = true;
        rt.version++;
        const { id, requestedAt } = ready.instance;
        this.emit(rt, {
          at: readyAt,
          pool: rt.name,
          kind: 'instance-ready',
          message: `${id} ready after ${seconds(readyAt - requestedAt)}`,
        });
      }
    }
  }

  private traceVictim(rt: PoolRuntime, entry: FailureTraceEntry): Tracked | undefined {
    if (entry.instance !== 'any') {
      return rt.live.find((l) => l.instance.id === entry.instance && l.instance.requestedAt <= entry.at);
    }
    const candidates = rt.live.filter((l) => inService(l.instance, entry.at));
    if (candidates.length === 0) return undefined;
    const u = mulberry32(hash(`${this.seed}:any:${rt.name}:${entry.at}`))();
    return candidates[Math.floor(u * candidates.length)];
  }

  private crash(rt: PoolRuntime, tracked: Tracked, at: number, cause: string): void {
    const { instance } = tracked;
    instance.failedAt = at;
    tracked.failAt = Infinity;
    this.retire(rt, tracked);
    const replacement = this.create(
      rt,
      instance.role,
      at + this.detectionMs,
      false,
      instance.standbyFor,
      instance.id,
    );
    this.emit(rt, {
      at,
      pool: rt.name,
      kind: 'instance-failed',
      message: `${instance.id} failed (${cause}); replacement ${replacement.id} requested at ${iso(replacement.requestedAt)}`,
    });
  }

  // ---- State and events -----------------------------------------------------------------------

  private stateOf(rt: PoolRuntime): PoolState {
    const count = (role: InstanceRole) => rt.live.filter((l) => l.instance.role === role).length;
    const routing = rt.routing[rt.routing.length - 1]!;
    const state: PoolState = {
      primary: count('primary'),
      shadow: count('shadow'),
      standby: { ...routing.standby },
      weights: { ...routing.weights },
    };
    if (routing.retired?.length) state.retired = [...routing.retired];
    if (routing.standbyZones) state.standbyZones = { ...routing.standbyZones };
    if (routing.standbySync) state.standbySync = { ...routing.standbySync };
    return state;
  }

  /** To the log, the fleet's listener, and the caller of the update under way (or `listener`). */
  private emit(rt: PoolRuntime, event: DeployEvent, listener = rt.listener): void {
    this.log.push(event);
    if (this.log.length > this.maxEvents) this.log.splice(0, this.log.length - this.maxEvents);
    this.onEvent?.(event);
    listener?.(event);
  }

  private runtime(pool: string): PoolRuntime {
    const rt = this.pools.get(pool);
    if (!rt)
      throw new Error(
        `the simulated fleet has no pool ${pool} (it has ${[...this.pools.keys()].join(', ')})`,
      );
    return rt;
  }
}

/** Not-ready first, then newest: a scale-in never kills a serving node while a booting one could go. */
function removalOrder(tracked: Tracked[], t: number): Tracked[] {
  return [...tracked].sort((a, b) => {
    const readyA = a.instance.readyAt <= t ? 1 : 0;
    const readyB = b.instance.readyAt <= t ? 1 : 0;
    if (readyA !== readyB) return readyA - readyB;
    if (a.instance.requestedAt !== b.instance.requestedAt)
      return b.instance.requestedAt - a.instance.requestedAt;
    return idNumber(b.instance.id) - idNumber(a.instance.id);
  });
}

const idNumber = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
