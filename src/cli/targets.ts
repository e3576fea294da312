// `--target sim|pulumi`: the deploy target a command works on. `sim` is the simulated fleet kept
// in the state directory (STATE/sim/POOL.json), created by the first `apply` from the plan's
// starting state, serving the pool's forecast mean (STATE/forecasts/POOL/forecast.json, written
// by `plan`) minute by minute on its own simulated clock. `pulumi` is wired in pulumiTarget.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../core/errors.js';
import { SimStore, type SimStoreInit, simStoreFile } from '../deploy/sim-store.js';
import type { Policy } from '../policy/types.js';
import type { Target } from '../schedule/migrate.js';
import type { PlanFile } from '../schedule/plan-file.js';

export const TARGETS = ['sim', 'pulumi'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface TargetContext {
  stateDir: string;
  pool: string;
  policy: Policy;
  /** The plan being applied: a new simulated fleet starts from its state and time. */
  plan?: PlanFile;
}

/**
 * Opens the target. `create`: make its state when there is none (the simulated fleet's first
 * apply); otherwise undefined then. Called only under the pool's lock when it may change anything.
 */
export type TargetOpener = (create: boolean) => Promise<Target | undefined>;

/** The target's opener; a target that cannot be used fails here, before anything is read or changed. */
export function targetFor(name: TargetName, ctx: TargetContext): TargetOpener {
  return name === 'pulumi' ? pulumiTarget(ctx) : simTarget(ctx);
}

/**
 * `--target pulumi`. The lead wires the Pulumi deployer (src/deploy/pulumi.ts) in here: its
 * Deployer, a metrics HealthGate from the policy's gates, the system clock, a real timer
 * (ExecutorOptions.timer, so a hung update meets its deadline), and `preview` (the diff `plan`
 * prints). Pulumi's own stack lock stands behind shadowcast's pool lock.
 */
export function pulumiTarget(_ctx: TargetContext): TargetOpener {
  throw new UsageError('--target pulumi: the Pulumi deployer is not wired into this build yet');
}

function simTarget(ctx: TargetContext): TargetOpener {
  const file = simStoreFile(ctx.stateDir, ctx.pool);
  // A fleet still to be made needs the pool's forecast: a missing one fails now, before any file is written.
  const plan = ctx.plan;
  const demand =
    plan && !existsSync(file)
      ? forecastDemand(join(ctx.stateDir, 'forecasts', ctx.pool, 'forecast.json'))
      : undefined;
  return async (create) => {
    const store = SimStore.open(file, create && plan ? () => simInit(ctx, plan, demand) : undefined);
    if (!store) return undefined;
    return {
      name: 'sim',
      deployer: store,
      gate: store.gate(ctx.policy.migration.gates),
      clock: store.clock,
      readiness: store,
      inject: (fault) => store.inject(fault),
      persist: () => store.save(),
    };
  };
}

/** A new simulated fleet: the plan's starting state at the plan's time, serving the forecast's mean. */
function simInit(
  ctx: TargetContext,
  plan: PlanFile,
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
