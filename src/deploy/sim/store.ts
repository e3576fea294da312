// The simulated fleet kept in the state directory, STATE/sim/POOL.json, so that `apply --target
// sim` behaves like a real target across processes: a killed apply restarts and finds the fleet
// as it was (instances, routing, its simulated clock, and the log of every update with its step
// id), as a real stack keeps its resources when the runner dies. Saved atomically (temp file,
// fsync, rename) after every update. The fleet serves a demand series minute by minute on its
// replay clock, so health gates have signals, and a two-minute bake takes no real time.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { PoolState } from '../../core/plan.js';
import type { ApplyOptions, ApplyResult, Deployer, HealthGate } from '../../core/seams.js';
import type { Gain } from '../transitions.js';
import type { Readiness } from '../readiness.js';
import { type Fault, SimFleet, type SimPoolSnapshot } from './fleet.js';
import { ReplayClock } from './clock.js';
import { type HealthRule, SimHealthGate } from './health.js';

export interface SimStoreConfig {
  unitsPerInstance: number;
  shadowUnitsPerInstance: number;
  provisionMs: number;
  shadowProvisionMs: number;
  hourlyCost: number;
  shadowHourlyCost: number;
  /** One update's duration (default: the fleet's, 45 s ± 20 %). */
  updateMs?: number;
}

/** One update as the fleet saw it: the log `history` cross-checks and tests read. */
export interface UpdateLogEntry {
  /** 1, 2, ... in the order they started. */
  n: number;
  /** As the executor passed it: MIGRATION/STEP-ID, or MIGRATION/rollback#N. */
  stepId: string;
  rollback: boolean;
  ok: boolean;
  /** On the simulated clock (ISO). */
  start: string;
  end: string;
  /** The state asked for. */
  state: PoolState;
  reason?: string;
  /** Which process ran it, and when in real time (epoch ms): two processes never overlap. */
  pid: number;
  wallStart: number;
  wallEnd: number;
}

export interface SimStoreFile {
  version: 1;
  pool: string;
  /** The simulated clock (ISO). */
  now: string;
  seed: number;
  config: SimStoreConfig;
  /** Demand served each simulated minute: each value holds until the next timestamp; the last holds on. */
  demand: { timestamps: string[]; values: number[] };
  fleet: SimPoolSnapshot;
  updates: UpdateLogEntry[];
}

/** What a new store starts from. */
export interface SimStoreInit {
  pool: string;
  now: number;
  seed?: number;
  config: SimStoreConfig;
  demand: { timestamps: number[]; values: number[] };
  initial: PoolState;
}

export function simStoreFile(stateDir: string, pool: string): string {
  return join(stateDir, 'sim', `${pool}.json`);
}

export class SimStore implements Deployer, Readiness {
  readonly clock: ReplayClock;
  private readonly fleet: SimFleet;
  private readonly updates: UpdateLogEntry[];
  private demand: { timestamps: number[]; values: number[] };

  private constructor(
    readonly file: string,
    private readonly saved: Omit<SimStoreFile, 'fleet' | 'updates' | 'now'>,
    now: number,
    fleet: (clock: ReplayClock) => SimFleet,
    updates: UpdateLogEntry[],
  ) {
    this.demand = {
      timestamps: saved.demand.timestamps.map((t) => Date.parse(t)),
      values: saved.demand.values,
    };
    this.clock = new ReplayClock(now, (t) => this.serve(t));
    this.fleet = fleet(this.clock);
    this.updates = updates;
  }

  /** The store at `file`, or a new one from `init` when there is none yet (undefined without init). */
  static open(file: string, init?: () => SimStoreInit): SimStore | undefined {
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      if (!init) return undefined;
      const i = init();
      const saved = {
        version: 1 as const,
        pool: i.pool,
        seed: i.seed ?? 1,
        config: i.config,
        demand: {
          timestamps: i.demand.timestamps.map((t) => new Date(t).toISOString()),
          values: i.demand.values,
        },
      };
      const store = new SimStore(file, saved, i.now, (clock) => fleetOf(saved, clock, i.initial), []);
      store.save();
      return store;
    }
    let data: SimStoreFile;
    try {
      data = JSON.parse(text) as SimStoreFile;
    } catch (err) {
      throw new InputError(
        file,
        undefined,
        `the simulated fleet's state is not JSON: ${(err as Error).message}`,
      );
    }
    if (data.version !== 1 || !data.fleet || !Array.isArray(data.updates)) {
      throw new InputError(file, undefined, 'not a simulated fleet saved by shadowcast (version 1)');
    }
    const { fleet, updates, now, ...saved } = data;
    return new SimStore(
      file,
      saved,
      Date.parse(now),
      (clock) => fleetOf(saved, clock, stateOf(fleet), fleet),
      updates,
    );
  }

  get pool(): string {
    return this.saved.pool;
  }

  /**
   * From now on the fleet serves `demand` (a newer forecast's mean, as each scheduled run makes
   * one): what it served before stays served, and the change is saved with the fleet.
   */
  serveDemand(demand: { timestamps: number[]; values: number[] }): void {
    this.demand = { timestamps: [...demand.timestamps], values: [...demand.values] };
    this.saved.demand = {
      timestamps: demand.timestamps.map((t) => new Date(t).toISOString()),
      values: [...demand.values],
    };
    this.save();
  }

  // ---- Deployer: every update is logged and saved before it returns ------------------------------

  current(pool: string): Promise<PoolState> {
    return this.fleet.current(pool);
  }

  /** Nodes with a standby that are out of service now. */
  down(pool: string): Promise<string[]> {
    return Promise.resolve(this.fleet.down(pool, this.clock.now()));
  }

  apply(pool: string, desired: PoolState, options?: ApplyOptions): Promise<ApplyResult> {
    return this.logged(false, pool, desired, options, () => this.fleet.apply(pool, desired, options));
  }

  rollback(pool: string, to: PoolState, options?: ApplyOptions): Promise<ApplyResult> {
    return this.logged(true, pool, to, options, () => this.fleet.rollback(pool, to, options));
  }

  private async logged(
    rollback: boolean,
    _pool: string,
    state: PoolState,
    options: ApplyOptions | undefined,
    update: () => Promise<ApplyResult>,
  ): Promise<ApplyResult> {
    const wallStart = Date.now();
    const start = this.clock.now();
    const result = await update();
    this.updates.push({
      n: this.updates.length + 1,
      stepId: options?.stepId ?? '',
      rollback,
      ok: result.ok,
      start: new Date(start).toISOString(),
      end: new Date(this.clock.now()).toISOString(),
      state,
      ...(result.reason ? { reason: result.reason } : {}),
      pid: process.pid,
      wallStart,
      wallEnd: Date.now(),
    });
    this.save();
    return result;
  }

  // ---- Readiness, health, faults ------------------------------------------------------------------

  /** Same rule as the replay's: the target gaining traffic has ready capacity for all it declares. */
  async ready(pool: string, gain: Gain): Promise<boolean> {
    return this.fleet.serves(pool, gain, this.clock.now());
  }

  gate(rules: readonly HealthRule[]): HealthGate {
    return new SimHealthGate(this.fleet, rules);
  }

  inject(fault: Fault): void {
    this.fleet.inject(fault);
  }

  /** Every update so far, oldest first. */
  updateLog(): readonly UpdateLogEntry[] {
    return this.updates;
  }

  // ---- Persistence --------------------------------------------------------------------------------

  /** Atomically: a temp file beside it, fsync'd, renamed over it, and the directory fsync'd. */
  save(): void {
    const data: SimStoreFile = {
      ...this.saved,
      now: new Date(this.clock.now()).toISOString(),
      fleet: this.fleet.snapshot(this.saved.pool),
      updates: this.updates,
    };
    writeFileAtomically(this.file, `${JSON.stringify(data)}\n`);
  }

  private serve(t: number): void {
    this.fleet.serve(this.saved.pool, t, demandAt(this.demand, t));
  }
}

function fleetOf(
  saved: Omit<SimStoreFile, 'fleet' | 'updates' | 'now'>,
  clock: ReplayClock,
  initial: PoolState,
  restore?: SimPoolSnapshot,
): SimFleet {
  const c = saved.config;
  return new SimFleet({
    clock,
    seed: saved.seed,
    updateMs: c.updateMs,
    pools: {
      [saved.pool]: {
        initial,
        unitsPerInstance: c.unitsPerInstance,
        shadowUnitsPerInstance: c.shadowUnitsPerInstance,
        provisionMs: c.provisionMs,
        shadowProvisionMs: c.shadowProvisionMs,
        hourlyCost: c.hourlyCost,
        shadowHourlyCost: c.shadowHourlyCost,
        restore,
      },
    },
  });
}

/** The pool state a snapshot declares (a crashed instance's pending replacement counts, as in the fleet). */
function stateOf(s: SimPoolSnapshot): PoolState {
  const live = s.instances.filter((i) => i.failedAt == null && i.removedAt == null);
  return {
    primary: live.filter((i) => i.role === 'primary').length,
    shadow: live.filter((i) => i.role === 'shadow').length,
    standby: { ...s.routing.standby },
    weights: { ...s.routing.weights },
    ...(s.routing.retired?.length ? { retired: [...s.routing.retired] } : {}),
    ...(s.routing.standbyZones ? { standbyZones: { ...s.routing.standbyZones } } : {}),
    ...(s.routing.standbySync ? { standbySync: { ...s.routing.standbySync } } : {}),
  };
}

function demandAt(d: { timestamps: number[]; values: number[] }, t: number): number {
  let lo = 0;
  let hi = d.timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d.timestamps[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, d.values[Math.max(0, lo - 1)] ?? 0);
}

export function writeFileAtomically(file: string, content: string): void {
  fs.mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  let dir: number | undefined;
  try {
    dir = fs.openSync(dirname(file), 'r');
    fs.fsyncSync(dir);
  } catch {
    // A directory that cannot be fsync'd: the rename itself is still atomic.
  } finally {
    if (dir !== undefined) fs.closeSync(dir);
  }
}
