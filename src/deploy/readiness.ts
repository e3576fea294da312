// Whether new capacity serves yet: what the executor asks before moving traffic onto a target
// (and after a warm step), so traffic only ever moves onto instances that are ready. Optional:
// a deployer whose update itself waits for readiness (an ASG with a wait for capacity) has none.

import type { Gain } from './transitions.js';

export interface Readiness {
  /** The instances that are to take traffic (`all`: every instance of the pool) serve now. */
  ready(pool: string, gain: Gain): Promise<boolean>;
}
