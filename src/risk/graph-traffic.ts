// The service graph from traffic metrics (pure: the window and the run's time come from the
// caller). Each caller→callee series, such as `sum by (source, destination) (rate(requests_total[5m]))`,
// becomes a call observation; between runs edges decay by a half-life and fade out below a floor.

import type { ServiceGraph } from '../core/graph.js';
import type { Series, SeriesSet } from '../core/series.js';
import { buildServiceGraph, type EdgeObservation, type NodeSpec } from './graph.js';

export interface TrafficOptions {
  /** The label naming the calling service; default `source`. */
  sourceLabel?: string;
  /** The label naming the called service; default `destination`. */
  destinationLabel?: string;
  /** Services whose traffic is left out, noted (Istio's `unknown`: callers outside the mesh). */
  ignore?: readonly string[];
}

/** Istio's standard request metrics: `sum by (source_workload, destination_workload) (rate(istio_requests_total[5m]))`. */
export const ISTIO_TRAFFIC: Readonly<TrafficOptions> = {
  sourceLabel: 'source_workload',
  destinationLabel: 'destination_workload',
  ignore: ['unknown'],
};

/** The time the traffic series were read over (epoch ms, both ends included). */
export interface TrafficWindow {
  start: number;
  end: number;
}

export interface TrafficObservations {
  /** One per caller→callee pair: the mean rate over the window (summed over its series), at the window's end. */
  observations: EdgeObservation[];
  /** Series left out and why (no label, a self-loop, no samples, ignored): for the run report. */
  notes: string[];
}

/**
 * Call observations from traffic series. A series missing either label, calling itself (common,
 * and no dependency), naming an ignored service, or without a finite sample in the window is
 * skipped with a note, never thrown; several series of one pair (split by another label) add up.
 */
export function trafficObservations(
  set: SeriesSet,
  window: TrafficWindow,
  opts: TrafficOptions = {},
): TrafficObservations {
  if (!(window.start <= window.end))
    throw new RangeError(`window start ${window.start} is after its end ${window.end}`);
  const sourceLabel = opts.sourceLabel ?? 'source';
  const destinationLabel = opts.destinationLabel ?? 'destination';
  const ignore = new Set(opts.ignore ?? []);
  const notes: string[] = [];
  const pairs = new Map<string, EdgeObservation>();
  for (const s of set.series) {
    const skip = (why: string) => notes.push(`series ${describe(s)}: ${why}; skipped`);
    const from = s.labels?.[sourceLabel] ?? '';
    const to = s.labels?.[destinationLabel] ?? '';
    const missing = [from ? '' : sourceLabel, to ? '' : destinationLabel].filter(Boolean);
    if (missing.length > 0) {
      skip(`no ${missing.map((m) => `"${m}"`).join(' or ')} label`);
      continue;
    }
    const ignored = [from, to].find((id) => ignore.has(id));
    if (ignored !== undefined) skip(`service "${ignored}" is ignored`);
    else if (from === to) skip(`"${from}" calls itself (a self-loop is no dependency)`);
    else {
      const rate = meanIn(s, window);
      if (rate === undefined) skip('no samples in the window');
      else if (rate < 0) skip(`mean rate ${rate} is negative`);
      else {
        const key = JSON.stringify([from, to]);
        const seen = pairs.get(key);
        if (seen) seen.weight += rate;
        else pairs.set(key, { from, to, weight: rate, at: window.end });
      }
    }
  }
  return { observations: [...pairs.values()], notes };
}

function meanIn(s: Series, window: TrafficWindow): number | undefined {
  let sum = 0;
  let n = 0;
  for (const [i, t] of s.timestamps.entries()) {
    const v = s.values[i]!;
    if (t < window.start || t > window.end || !Number.isFinite(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? undefined : sum / n;
}

/** `name{a="x", b="y"}`, as Prometheus writes a series. */
function describe(s: Series): string {
  const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${s.name}{${labels.join(', ')}}`;
}

/** One call in the state the scheduler keeps between runs: its weight as valued at `at` (epoch ms). */
export interface TrafficEdge {
  from: string;
  to: string;
  weight: number;
  at: number;
}

/** The decayed edges after a run; ./graph-traffic-state.ts reads and writes it as JSON. */
export interface TrafficState {
  /** Sorted by caller, then callee; each pair once. */
  edges: TrafficEdge[];
}

export interface TrafficDecay {
  /** The run's time (epoch ms): every weight is valued at it; normally the traffic window's end. */
  asOf: number;
  /** A weight halves every `halfLifeMs` without new traffic. */
  halfLifeMs: number;
  /** Edges whose weight falls below this are dropped; default 0.001 (in the weights' unit, e.g. calls/s). */
  floor?: number;
}

/**
 * The state after a run: each previous edge's weight × 2^(−(asOf − at) / halfLife), plus this run's
 * observations of the same call (each decayed from its own time, normally asOf), all valued at
 * `asOf`; edges below the floor are dropped. Pure; throws RangeError for times after `asOf`.
 */
export function decayTraffic(
  previous: TrafficState | undefined,
  observations: readonly EdgeObservation[],
  opts: TrafficDecay,
): TrafficState {
  const { asOf, halfLifeMs, floor = 0.001 } = opts;
  if (!(halfLifeMs > 0 && Number.isFinite(halfLifeMs)))
    throw new RangeError(`half-life ${halfLifeMs} ms must be a number > 0`);
  if (!(floor >= 0)) throw new RangeError(`floor ${floor} must be a number >= 0`);
  const weights = new Map<string, TrafficEdge>();
  const add = (from: string, to: string, weight: number, at: number, what: string) => {
    if (at > asOf)
      throw new RangeError(
        `${what} from "${from}" to "${to}" is at ${new Date(at).toISOString()}, after the run's time ${new Date(asOf).toISOString()}`,
      );
    if (from === to) throw new RangeError(`${what} from "${from}" to itself: a self-loop is no dependency`);
    if (!(weight >= 0 && Number.isFinite(weight)))
      throw new RangeError(`${what} from "${from}" to "${to}": weight ${weight} must be a number >= 0`);
    const w = weight * 2 ** (-(asOf - at) / halfLifeMs);
    const key = JSON.stringify([from, to]);
    const edge = weights.get(key);
    if (edge) edge.weight += w;
    else weights.set(key, { from, to, weight: w, at: asOf });
  };
  for (const e of previous?.edges ?? []) add(e.from, e.to, e.weight, e.at, 'an edge of the previous state');
  for (const o of observations) add(o.from, o.to, o.weight, o.at ?? asOf, 'an observation');
  const edges = [...weights.values()].filter((e) => e.weight >= floor);
  edges.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  return { edges };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The service graph of a traffic state: the `nodes` given (tier, criticality, capacity, load), then
 * every other service the edges name with default metadata (noted when a node list was given:
 * often a name that differs between the metrics and the list).
 */
export function trafficServiceGraph(
  state: TrafficState,
  nodes?: readonly NodeSpec[],
): { graph: ServiceGraph; notes: string[] } {
  const specs = [...(nodes ?? [])];
  const known = new Set(specs.map((n) => n.id));
  const notes: string[] = [];
  for (const e of state.edges)
    for (const id of [e.from, e.to]) {
      if (known.has(id)) continue;
      known.add(id);
      specs.push({ id });
      if (nodes) notes.push(`service "${id}" is not in the node list; it gets default metadata`);
    }
  // The weights are already decayed to the run's time: no half-life here.
  const graph = buildServiceGraph(
    specs,
    state.edges.map((e) => ({ from: e.from, to: e.to, weight: e.weight, at: e.at })),
  );
  return { graph, notes };
}
