// The local target's resource in shadowcast's own Pulumi provider plugin (provider-plugin.ts):
// `shadowcast:local:Pool`, a pool of the simulated fleet kept in a state
// directory (STATE/sim/POOL.json): creating or updating it applies the pool's state to the fleet
// (an update the fleet logs with its step id, taking its simulated time), exactly as `--target
// sim` does in process. So `--target pulumi` with a local stack template runs each step as a
// real `pulumi up`, and the fleet changes only through the engine.

import type { PoolState } from '../../core/plan.js';
import type { Fault } from '../sim/faults.js';
import { SimStore, simStoreFile } from '../sim/store.js';

export const LOCAL_POOL_TYPE = 'shadowcast:local:Pool';

/** A resource's inputs, as stacks/local declares them (state and faults as JSON text). */
interface Inputs {
  stateDir: string;
  pool: string;
  state: string;
  step: string;
  /** "true" for a rollback's update (the deployer says so; nothing reads it from the step id). */
  rollback?: string;
  faults: string;
}

/** Applies the inputs to the pool's simulated fleet; throws the fleet's reason when the update fails. */
export async function applyToFleet(inputs: Inputs): Promise<void> {
  const file = simStoreFile(inputs.stateDir, inputs.pool);
  const store = SimStore.open(file);
  if (!store) {
    throw new Error(
      `${file}: no simulated fleet for pool ${inputs.pool} (the first apply or run with this state directory makes it)`,
    );
  }
  for (const fault of JSON.parse(inputs.faults || '[]') as Fault[]) store.inject(fault);
  const state = JSON.parse(inputs.state) as PoolState;
  const rollback = inputs.rollback === 'true';
  const options = inputs.step ? { stepId: inputs.step } : {};
  const result = rollback
    ? await store.rollback(inputs.pool, state, options)
    : await store.apply(inputs.pool, state, options);
  if (!result.ok) throw new Error(result.reason ?? `the fleet refused the update of pool ${inputs.pool}`);
}

const changed = (olds: Inputs, news: Inputs) =>
  (['stateDir', 'pool', 'state', 'step', 'rollback', 'faults'] as const).filter((k) => olds[k] !== news[k]);

/** The provider, as @pulumi/pulumi/provider serves it. */
export const localProvider = {
  async check(_urn: string, _olds: Inputs, news: Inputs) {
    return { inputs: news };
  },
  async diff(_id: string, _urn: string, olds: Inputs, news: Inputs) {
    const keys = changed(olds, news);
    const replaces = keys.filter((k) => k === 'stateDir' || k === 'pool');
    return { changes: keys.length > 0, ...(replaces.length ? { replaces } : {}) };
  },
  async create(_urn: string, inputs: Inputs) {
    await applyToFleet(inputs);
    return { id: `${inputs.pool}`, outs: inputs };
  },
  async update(_id: string, _urn: string, _olds: Inputs, news: Inputs) {
    await applyToFleet(news);
    return { outs: news };
  },
  async read(id: string, _urn: string, props?: Inputs) {
    return { id, props };
  },
  // Deleting the resource forgets the pool; the simulated fleet keeps what it runs.
  async delete() {},
};
