// shadowcast's Pulumi program: reads one DesiredState and the target's settings from stack config
// and declares the pools, standbys and weighted routing from it. It never forecasts or plans:
// every migration step is this program run with the next DesiredState in config.
//
//   shadowcast:target   aws | kubernetes | local (the simulated fleet, through shadowcast's provider)
//   shadowcast:desired  {pools: {<pool>: {primary, shadow, standby, weights, standbyZones?}}}
//   shadowcast:aws | shadowcast:kubernetes | shadowcast:local   the target's settings (see Pulumi.example-*.yaml)
//   shadowcast:nodes    {<node id>: {zone, volumeId? | claim?}}: the nodes standbys shadow

import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig, StackConfigError, type StackConfig } from './config.js';
import { declareLocal } from './local/index.js';

/**
 * A RunError: the runner prints its message alone, with no stack trace. Its stack is dropped too,
 * because the runner also formats the whole error for its trace span, and formatting this one's
 * stack (source-mapped through ts-node) cost it about 15 s of CPU before the update could fail.
 */
function configError(message: string): pulumi.RunError {
  const err = new pulumi.RunError(message);
  err.stack = undefined;
  return err;
}

function load(): StackConfig {
  const cfg = new pulumi.Config('shadowcast');
  const raw: Record<string, unknown> = {};
  for (const key of ['target', 'desired', 'aws', 'kubernetes', 'local', 'nodes']) {
    try {
      raw[key] = key === 'target' ? cfg.get(key) : cfg.getObject(key);
    } catch (err) {
      throw configError(`shadowcast:${key} is not valid JSON: ${(err as Error).message}`);
    }
  }
  try {
    return parseStackConfig(raw);
  } catch (err) {
    // A RunError prints its message alone, with no stack trace: the key and what is wrong.
    if (err instanceof StackConfigError) throw configError(err.message);
    throw err;
  }
}

const config = load();

/** The DesiredState this update declared: the deployer reads it back as the pool's current state. */
export const desired = config.desired;
export const target = config.target;
/** Per pool: resource ids and where the deployer reads health (target groups, services). */
export const pools = await declare(config);

async function declare(c: StackConfig) {
  try {
    // Each target's SDK loads only for that target: a step's update does not pay for the others'.
    if (c.target === 'local') return declareLocal(c);
    if (c.target === 'aws') return (await import('./aws/index.js')).declareAws(c);
    return (await import('./kubernetes/index.js')).declareKubernetes(c);
  } catch (err) {
    // The components check what the config parser cannot (an ALB needs two zones, ...): same message form.
    if (err instanceof StackConfigError) throw configError(err.message);
    throw err;
  }
}
