#!/usr/bin/env node
// pulumi-resource-shadowcast: shadowcast's own Pulumi provider plugin, for the local target. Its
// one resource, `shadowcast:local:Pool`, is a pool of the simulated fleet kept in a state
// directory (STATE/sim/POOL.json): creating or updating it applies the pool's state to the fleet
// (an update the fleet logs with its step id, taking its simulated time), exactly as `--target
// sim` does in process. So `--target pulumi` with a local stack template runs each step as a
// real `pulumi up`, and the fleet changes only through the engine.
//
// The engine starts it as `pulumi-resource-shadowcast ENGINE_ADDRESS` (localShim writes that
// executable into the state directory and the target puts it on the CLI's PATH).

import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PoolState } from '../core/plan.js';
import type { Fault } from './sim-faults.js';
import { SimStore, simStoreFile } from './sim-store.js';

export const LOCAL_POOL_TYPE = 'shadowcast:local:Pool';
const VERSION = '0.1.0';

/** A resource's inputs, as stacks/local declares them (state and faults as JSON text). */
interface Inputs {
  stateDir: string;
  pool: string;
  state: string;
  step: string;
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
  // The executor names a rollback's update MIGRATION/rollback#N.
  const rollback = /\/rollback#\d+$/.test(inputs.step);
  const options = inputs.step ? { stepId: inputs.step } : {};
  const result = rollback
    ? await store.rollback(inputs.pool, state, options)
    : await store.apply(inputs.pool, state, options);
  if (!result.ok) throw new Error(result.reason ?? `the fleet refused the update of pool ${inputs.pool}`);
}

const changed = (olds: Inputs, news: Inputs) =>
  (['stateDir', 'pool', 'state', 'step', 'faults'] as const).filter((k) => olds[k] !== news[k]);

/** The provider, as @pulumi/pulumi/provider serves it. */
export const localProvider = {
  version: VERSION,
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

/**
 * A `pulumi-resource-shadowcast` executable in STATE/pulumi/bin, running this module with this
 * Node.js; that directory goes first on the PATH of the CLI the deployer runs. Rewritten only
 * when its content changes. Returns the directory.
 */
export async function localShim(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'pulumi', 'bin');
  const file = join(dir, 'pulumi-resource-shadowcast');
  const self = fileURLToPath(import.meta.url);
  const text = `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(self)} "$@"\n`;
  const old = await readFile(file, 'utf8').catch(() => undefined);
  if (old !== text) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, text, { mode: 0o755 });
    await chmod(file, 0o755);
  }
  return dir;
}

function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

// Run as the plugin: serve the engine.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { main } = await import('@pulumi/pulumi/provider/index.js');
  await main(localProvider, process.argv.slice(2));
}
