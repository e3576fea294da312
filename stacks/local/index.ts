// The local target: each pool of the DesiredState is one `shadowcast:local:Pool` resource, which
// shadowcast's provider plugin (pulumi-resource-shadowcast, src/deploy/pulumi/provider-plugin.ts) applies
// to the simulated fleet in the state directory. So `--target pulumi` with a local stack template
// runs every step as a real `pulumi up` on a machine with no cloud, and the fleet changes only
// through the engine.

import * as pulumi from '@pulumi/pulumi';
import type { LocalSettings, StackConfig } from '../config.js';

/** The provider's resource token (package `shadowcast`, module `local`). */
export const LOCAL_POOL_TYPE = 'shadowcast:local:Pool';

export interface LocalPoolInputs {
  stateDir: string;
  pool: string;
  /** The pool's whole state as JSON: any change to it is an update. */
  state: string;
  step: string;
  /** "true" when this update is a rollback. */
  rollback: string;
  faults: string;
}

/** One pool of the simulated fleet, as the provider plugin manages it. */
export class LocalPool extends pulumi.CustomResource {
  declare readonly pool: pulumi.Output<string>;
  constructor(name: string, inputs: LocalPoolInputs, opts?: pulumi.CustomResourceOptions) {
    super(LOCAL_POOL_TYPE, name, { ...inputs }, opts);
  }
}

export function declareLocal(c: Extract<StackConfig, { target: 'local' }>) {
  const settings: LocalSettings = c.local;
  const pools: Record<string, { id: pulumi.Output<string> }> = {};
  for (const [pool, state] of Object.entries(c.desired.pools)) {
    const resource = new LocalPool(pool, {
      stateDir: settings.stateDir,
      pool,
      state: JSON.stringify(state),
      step: settings.step,
      rollback: String(settings.rollback),
      faults: JSON.stringify(settings.faults),
    });
    pools[pool] = { id: resource.id };
  }
  return pools;
}
