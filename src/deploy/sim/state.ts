// The routing a pool state declares, as the simulated fleet serves it: compared to tell a route
// change, and described for the event log.

import type { PoolState } from '../../core/plan.js';
import { sameList, sameMap } from '../../core/pool-state.js';
import type { Routing } from './serve.js';

export function routingOf(state: PoolState): Routing {
  const r: Routing = { weights: { ...state.weights }, standby: { ...state.standby } };
  if (state.retired?.length) r.retired = [...state.retired];
  if (state.standbyZones && Object.keys(state.standbyZones).length)
    r.standbyZones = { ...state.standbyZones };
  if (state.standbySync && Object.keys(state.standbySync).length) r.standbySync = { ...state.standbySync };
  return r;
}

export function sameRouting(a: Routing, b: Routing): boolean {
  return (
    a.weights.primary === b.weights.primary &&
    a.weights.shadow === b.weights.shadow &&
    sameMap(a.standby, b.standby) &&
    sameList(a.retired, b.retired) &&
    sameMap(a.standbyZones, b.standbyZones) &&
    sameMap(a.standbySync, b.standbySync)
  );
}

export function describeRouting(r: Routing): string {
  const standby = Object.entries(r.standby).map(([node, share]) => `${node} ${share}`);
  const retired = r.retired?.length ? `, retired ${r.retired.join(', ')}` : '';
  return `weights ${r.weights.primary}/${r.weights.shadow}${standby.length > 0 ? `, standby ${standby.join(', ')}` : ''}${retired}`;
}
