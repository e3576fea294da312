// `--target sim|pulumi`: the deploy target a command works on. `sim` is the simulated fleet kept
// in the state directory (STATE/sim/POOL.json), created by the first `apply` from the plan's
// starting state, serving the pool's forecast mean (STATE/forecasts/POOL/forecast.json, written
// by `plan`) minute by minute on its own simulated clock. `pulumi` is wired in pulumiTarget.

import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { InputError, UsageError } from '../core/errors.js';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../core/clock.js';
import { MetricsThresholdGate } from './metrics-gate.js';
import { PulumiDeployer } from './pulumi/deployer.js';
import { parseStackTemplate, type StackSettings } from './pulumi/config.js';
import { pluginShim } from './pulumi/provider-plugin.js';
import type { Fault } from './sim/faults.js';
import type { PoolState } from '../core/plan.js';
import type { ApplyOptions, ApplyResult, Clock, Deployer, HealthGate } from '../core/seams.js';
import type { Readiness } from './readiness.js';
import { SimStore, type SimStoreInit, simStoreFile } from './sim/store.js';
import { CsvSource } from '../metrics/csv.js';
import type { MetricSource } from '../core/seams.js';
import type { Policy } from '../policy/types.js';

/** Where a plan starts: a new simulated fleet starts from this state at this time. */
export interface PlanStart {
  at: number;
  current: PoolState;
}

/** A deploy target as the executor and the run pipeline use it: the deployer and what goes with it. */
export interface Target {
  name: string;
  deployer: Deployer;
  gate: HealthGate;
  clock: Clock;
  readiness?: Readiness;
  /** A real timer, when the clock is the wall clock (see ExecutorOptions.timer). */
  timer?: (ms: number, signal: AbortSignal) => Promise<unknown>;
  /** The simulated fleet's faults (apply --inject); absent on a real target. */
  inject?(fault: Fault): void;
  /** What an update to `desired` would change (Pulumi: `pulumi preview`'s diff); absent where there is none. */
  preview?(pool: string, desired: PoolState): Promise<string>;
  /** The simulated fleet serves this demand from now on (each scheduled run's newest forecast). */
  serveDemand?(demand: { timestamps: number[]; values: number[] }): void;
  /** After every journal record: the simulated fleet saves its state (and clock) here. */
  persist?(): void;
  /** The simulated fleet lives on to `t` (run --at), serving its demand; no-op once its clock is there. */
  advanceTo?(t: number): Promise<void>;
  /** Nodes with a standby that the target shows out of service (failed): the planner switches them at once. */
  down?(pool: string): Promise<string[]>;
  close?(): Promise<void>;
}

export const TARGETS = ['sim', 'pulumi'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface TargetContext {
  stateDir: string;
  pool: string;
  policy: Policy;
  /** The plan being applied: a new simulated fleet starts from its state and time. */
  plan?: PlanStart;
  /** `--target pulumi`'s settings. */
  pulumi?: PulumiTargetFlags;
  /** The gate metrics from a live source (the spec's `health:` on its Prometheus), instead of --health. */
  health?: { source: MetricSource; queries: Readonly<Record<string, string>> };
}

/** `--stack-template`, `--stack-name` and `--health`, as the deploy commands take them. */
export interface PulumiTargetFlags {
  stackTemplate?: string;
  stackName?: string;
  health?: string;
}

/**
 * Opens the target. `create`: make its state when there is none (the simulated fleet's first
 * apply); otherwise undefined then. Called only under the pool's lock when it may change anything.
 */
export type TargetOpener = ((create: boolean) => Promise<Target | undefined>) & {
  /** The target is the simulated fleet (sim, or Pulumi's local target): it can meet its faults. */
  simulated?: boolean;
};

/** The target's opener; a target that cannot be used fails here, before anything is read or changed. */
export function targetFor(name: TargetName, ctx: TargetContext): TargetOpener {
  return name === 'pulumi' ? pulumiTarget(ctx) : simTarget(ctx);
}

/**
 * `--target pulumi`: each pool's Pulumi stack (`--stack-name`, default `<pool>`) of the program in
 * Pulumi.yaml, with the target's settings from `--stack-template` (a `Pulumi.<stack>.yaml`), updated
 * through the Automation API on the file backend in the state directory unless PULUMI_BACKEND_URL
 * names another. The health gate reads the policy's gate metrics from `--health`, a metrics CSV
 * whose series are named `<pool>:<metric>` (error_rate, latency_p99_ms, ...), and fails closed when
 * a metric has no samples in the bake window. Wall clock, with a real timer so a hung update meets
 * its deadline. Pulumi's own stack lock stands behind shadowcast's pool lock.
 */
export function pulumiTarget(ctx: TargetContext): TargetOpener {
  const flags = ctx.pulumi ?? {};
  if (!flags.stackTemplate) {
    throw new UsageError(
      '--target pulumi needs --stack-template FILE: a Pulumi.<stack>.yaml with shadowcast:target and its settings (see Pulumi.example-aws.yaml)',
    );
  }
  let templateText: string;
  try {
    templateText = readFileSync(flags.stackTemplate, 'utf8');
  } catch (err) {
    throw new InputError(
      flags.stackTemplate,
      undefined,
      `cannot read the stack config template: ${(err as Error).message}`,
    );
  }
  const settings = parseStackTemplate(flags.stackTemplate, templateText);
  if (settings['shadowcast:target'] === 'local') return localTarget(ctx, settings, flags);
  if (!flags.health && !ctx.health) {
    throw new UsageError(
      "--target pulumi needs --health FILE (the gate metrics as a CSV of series <pool>:<metric>, timestamp, value), or, for run, a health: block in the pool's forecast spec",
    );
  }
  const health = flags.health;
  const live = ctx.health;
  return async () => {
    // The stacks' NodeDrain resources (a node switched out for its standby) are served by
    // shadowcast's own provider plugin.
    const shim = await pluginShim(ctx.stateDir);
    const deployer = new PulumiDeployer({
      settings,
      stateDir: ctx.stateDir,
      log: note,
      envVars: { PATH: `${shim}${delimiter}${process.env.PATH ?? ''}` },
      ...(flags.stackName ? { stackName: flags.stackName } : {}),
    });
    const gates = ctx.policy.migration.gates;
    const gate = new MetricsThresholdGate(
      health
        ? {
            source: new CsvSource(health, (f) => readFile(f, 'utf8')),
            rules: gates,
            queries: Object.fromEntries(gates.map((g) => [g.metric, `{pool}:${g.metric}`])),
          }
        : { source: live!.source, rules: gates, queries: live!.queries },
    );
    return {
      name: 'pulumi',
      deployer,
      gate,
      clock: systemClock,
      // Resolves at the deadline; rejects (and stops) once the step finished first.
      timer: (ms, signal) => sleep(ms, undefined, { signal }),
      preview: async (pool, desired) => previewLine(await deployer.preview(pool, desired)),
    };
  };
}

/**
 * `--target pulumi` with a stack template whose `shadowcast:target` is `local`: the simulated fleet
 * of `--target sim` (STATE/sim/POOL.json, made from the plan on the first apply), changed only by
 * real `pulumi up`s of the pool's stack through shadowcast's provider plugin, which the CLI finds
 * in STATE/pulumi/bin. Health, readiness and the clock are the fleet's own, read again from its
 * file after every update the engine made; `--inject` faults of an update ride in the stack's
 * config to the provider.
 */
function localTarget(ctx: TargetContext, settings: StackSettings, flags: PulumiTargetFlags): TargetOpener {
  const file = simStoreFile(ctx.stateDir, ctx.pool);
  const openFleet = fleetOpener(ctx);
  const opener: TargetOpener = async (create) => {
    const first = openFleet(create);
    if (!first) return undefined;
    let store = first;
    const shim = await pluginShim(ctx.stateDir);
    // Faults of the next update go to the provider; windows (metrics outages) stay with the fleet
    // this process reads, and are put back each time it is read again.
    const updateFaults: Fault[] = [];
    const windows: Fault[] = [];
    let step = '';
    let rollback = false;
    let updating = false;
    const local = (settings['shadowcast:local'] ?? {}) as Record<string, unknown>;
    const pulumi = new PulumiDeployer({
      settings: () => ({
        ...settings,
        'shadowcast:local': {
          ...local,
          stateDir: resolve(ctx.stateDir),
          step,
          rollback,
          faults: updateFaults.splice(0),
        },
      }),
      stateDir: ctx.stateDir,
      log: note,
      envVars: { PATH: `${shim}${delimiter}${process.env.PATH ?? ''}` },
      ...(flags.stackName ? { stackName: flags.stackName } : {}),
    });
    const through = async (
      options: ApplyOptions | undefined,
      back: boolean,
      update: () => Promise<ApplyResult>,
    ) => {
      // What this process's clock did (bakes) is on disk before the provider opens the fleet.
      store.save();
      step = options?.stepId ?? '';
      rollback = back;
      updating = true;
      try {
        return await update();
      } finally {
        updating = false;
        const reread = SimStore.open(file);
        if (reread) {
          store = reread;
          for (const w of windows) store.inject(w);
        }
      }
    };
    const deployer: Deployer = {
      // The fleet is the infrastructure: its state is what the engine's updates made it.
      current: (pool) => store.current(pool),
      apply: (pool, desired, options) => through(options, false, () => pulumi.apply(pool, desired, options)),
      rollback: (pool, to, options) => through(options, true, () => pulumi.rollback(pool, to, options)),
      cancel: (pool) => pulumi.cancel(pool),
    };
    const gates = ctx.policy.migration.gates;
    return {
      name: 'pulumi',
      deployer,
      gate: { check: (pool, from, to) => store.gate(gates).check(pool, from, to) },
      clock: { now: () => store.clock.now(), sleep: (ms) => store.clock.sleep(ms) },
      readiness: { ready: (pool, gain) => store.ready(pool, gain) },
      inject: (fault) => {
        if (fault.kind === 'failed-step' || fault.kind === 'slow-update') updateFaults.push(fault);
        else {
          windows.push(fault);
          store.inject(fault);
        }
      },
      serveDemand: (d) => store.serveDemand(d),
      down: (pool) => store.down(pool),
      persist: () => {
        if (!updating) store.save();
      },
      preview: async (pool, desired) => previewLine(await pulumi.preview(pool, desired)),
    };
  };
  opener.simulated = true;
  return opener;
}

/**
 * The pool's simulated fleet (STATE/sim/POOL.json); `create`: made from the plan when there is
 * none. A fleet still to be made needs the pool's forecast: a missing one fails here, before any
 * file is written.
 */
function fleetOpener(ctx: TargetContext): (create: boolean) => SimStore | undefined {
  const file = simStoreFile(ctx.stateDir, ctx.pool);
  const plan = ctx.plan;
  const demand =
    plan && !existsSync(file)
      ? forecastDemand(join(ctx.stateDir, 'forecasts', ctx.pool, 'forecast.json'))
      : undefined;
  return (create) => SimStore.open(file, create && plan ? () => simInit(ctx, plan, demand) : undefined);
}

/** `pulumi preview`'s counts in a few words. */
function previewLine(changes: Record<string, number>): string {
  const parts = Object.entries(changes)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${n} to ${op}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

/** The Pulumi deployer's notes (waiting on a lock, clearing an interrupted update), on stderr. */
const note = (line: string) => process.stderr.write(`shadowcast: note: ${line}\n`);

function simTarget(ctx: TargetContext): TargetOpener {
  const openFleet = fleetOpener(ctx);
  const opener: TargetOpener = async (create) => {
    const store = openFleet(create);
    if (!store) return undefined;
    return {
      name: 'sim',
      deployer: store,
      gate: store.gate(ctx.policy.migration.gates),
      clock: store.clock,
      readiness: store,
      inject: (fault) => store.inject(fault),
      serveDemand: (demand) => store.serveDemand(demand),
      persist: () => store.save(),
      down: (pool) => store.down(pool),
      advanceTo: async (t) => {
        if (t <= store.clock.now()) return;
        await store.clock.sleep(t - store.clock.now());
        store.save();
      },
    };
  };
  opener.simulated = true;
  return opener;
}

/** A new simulated fleet: the plan's starting state at the plan's time, serving the forecast's mean. */
function simInit(
  ctx: TargetContext,
  plan: PlanStart,
  demand: SimStoreInit['demand'] | undefined,
): SimStoreInit {
  const { capacity, shadow } = ctx.policy;
  return {
    pool: ctx.pool,
    now: plan.at,
    initial: plan.current,
    demand: demand ?? forecastDemand(join(ctx.stateDir, 'forecasts', ctx.pool, 'forecast.json')),
    config: {
      unitsPerInstance: capacity.unitsPerInstance,
      shadowUnitsPerInstance: shadow.unitsPerInstance,
      provisionMs: capacity.provisionMs,
      shadowProvisionMs: shadow.leadTimeMs,
      hourlyCost: capacity.hourlyCost,
      shadowHourlyCost: shadow.hourlyCost,
    },
  };
}

function forecastDemand(file: string): { timestamps: number[]; values: number[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(
      `${file}: missing: the simulated fleet serves the pool's forecast (\`shadowcast plan\` writes it)`,
    );
  }
  let json: { timestamps?: unknown; mean?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new InputError(file, undefined, `not JSON: ${(err as Error).message}`);
  }
  const ts = json.timestamps;
  const mean = json.mean;
  if (!Array.isArray(ts) || !Array.isArray(mean) || ts.length === 0 || ts.length !== mean.length) {
    throw new InputError(file, undefined, 'expected "timestamps" and "mean" of the same, non-zero length');
  }
  const timestamps = ts.map((t) => Date.parse(String(t)));
  const values = mean.map(Number);
  if (timestamps.some((t) => !Number.isFinite(t)) || values.some((v) => !(v >= 0))) {
    throw new InputError(file, undefined, 'timestamps must be ISO-8601 times and means numbers >= 0');
  }
  return { timestamps, values };
}
