// The service graph from traffic metrics: series to call observations (labels, notes for what is
// skipped), decay between runs computed by hand over three runs, the state file's round trip and
// refusals, and the graph it gives running through the real propagation.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { Series, SeriesSet } from '../../src/core/series.js';
import {
  decayTraffic,
  ISTIO_TRAFFIC,
  trafficObservations,
  trafficServiceGraph,
  type TrafficState,
} from '../../src/risk/graph-traffic.js';
import { formatTrafficState, parseTrafficState } from '../../src/risk/graph-traffic-state.js';
import { simulatePropagation } from '../../src/risk/propagate.js';
import { edgesOf } from '../support/graph-edges.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const WINDOW = { start: T0 - 10 * MIN, end: T0 };

/** A series sampled every 5 minutes over WINDOW (3 points) with `labels`. */
function traffic(labels: Record<string, string>, values: number[], name = 'requests'): Series {
  return {
    name,
    labels,
    timestamps: values.map((_, i) => WINDOW.start + i * 5 * MIN),
    values: Float64Array.from(values),
    stepMs: 5 * MIN,
  };
}
const set = (...series: Series[]): SeriesSet => ({ series, repairs: [] });

describe('trafficObservations', () => {
  it('one observation per pair: the mean rate over the window, at its end; pairs split by another label add up', () => {
    const got = trafficObservations(
      set(
        traffic({ source: 'web', destination: 'api' }, [10, 20, 30]),
        traffic({ source: 'api', destination: 'db', method: 'GET' }, [4, 4, 4]),
        traffic({ source: 'api', destination: 'db', method: 'POST' }, [1, NaN, 2]),
      ),
      WINDOW,
    );
    expect(got).toEqual({
      observations: [
        { from: 'web', to: 'api', weight: 20, at: T0 },
        { from: 'api', to: 'db', weight: 5.5, at: T0 },
      ],
      notes: [],
    });
  });

  it('only samples inside the window count', () => {
    const s = traffic({ source: 'a', destination: 'b' }, [100, 2, 4, 6]); // the last one is past the end
    s.timestamps = [WINDOW.start - MIN, WINDOW.start, WINDOW.end, WINDOW.end + MIN];
    expect(trafficObservations(set(s), WINDOW).observations).toEqual([
      { from: 'a', to: 'b', weight: 3, at: T0 },
    ]);
  });

  it('skips self-loops, missing labels, empty series and negative rates with a note each', () => {
    const got = trafficObservations(
      set(
        traffic({ source: 'api', destination: 'api' }, [5, 5, 5]),
        traffic({ source: 'web' }, [1, 1, 1]),
        traffic({ destination: 'db', source: '' }, [1, 1, 1]),
        traffic({}, [1], 'bare'),
        traffic({ source: 'web', destination: 'db' }, [NaN, NaN, NaN]),
        traffic({ source: 'web', destination: 'cache' }, [-1, -1, -1]),
        traffic({ source: 'web', destination: 'api' }, [3, 3, 3]),
      ),
      WINDOW,
    );
    expect(got.observations).toEqual([{ from: 'web', to: 'api', weight: 3, at: T0 }]);
    expect(got.notes).toEqual([
      'series requests{source="api", destination="api"}: "api" calls itself (a self-loop is no dependency); skipped',
      'series requests{source="web"}: no "destination" label; skipped',
      'series requests{destination="db", source=""}: no "source" label; skipped',
      'series bare{}: no "source" or "destination" label; skipped',
      'series requests{source="web", destination="db"}: no samples in the window; skipped',
      'series requests{source="web", destination="cache"}: mean rate -1 is negative; skipped',
    ]);
  });

  it.each([
    {
      name: 'Istio labels, and its "unknown" caller left out',
      opts: ISTIO_TRAFFIC,
      observations: [{ from: 'web-v1', to: 'api-v2', weight: 2, at: T0 }],
      notes: [
        'series requests{source_workload="unknown", destination_workload="web-v1", source="x", destination="y"}: service "unknown" is ignored; skipped',
        'series requests{source="web", destination="api"}: no "source_workload" or "destination_workload" label; skipped',
      ],
    },
    {
      name: 'the default labels read the same series differently',
      opts: {},
      observations: [
        { from: 'x', to: 'y', weight: 7, at: T0 },
        { from: 'web', to: 'api', weight: 1, at: T0 },
      ],
      notes: [
        'series requests{source_workload="web-v1", destination_workload="api-v2"}: no "source" or "destination" label; skipped',
      ],
    },
    {
      name: 'any label names',
      opts: { sourceLabel: 'client', destinationLabel: 'server' },
      observations: [],
      notes: [
        'series requests{source_workload="web-v1", destination_workload="api-v2"}: no "client" or "server" label; skipped',
        'series requests{source_workload="unknown", destination_workload="web-v1", source="x", destination="y"}: no "client" or "server" label; skipped',
        'series requests{source="web", destination="api"}: no "client" or "server" label; skipped',
      ],
    },
  ])('$name', ({ opts, observations, notes }) => {
    const series = set(
      traffic({ source_workload: 'web-v1', destination_workload: 'api-v2' }, [2, 2, 2]),
      traffic(
        { source_workload: 'unknown', destination_workload: 'web-v1', source: 'x', destination: 'y' },
        [7, 7, 7],
      ),
      traffic({ source: 'web', destination: 'api' }, [1, 1, 1]),
    );
    expect(trafficObservations(series, WINDOW, opts)).toEqual({ observations, notes });
  });
});

describe('decayTraffic', () => {
  it('three runs, by hand: old × 2^(−Δt/halfLife) + new, dropped below the floor', () => {
    const opts = { halfLifeMs: HOUR, floor: 0.1 };
    // Run 1 at T0: web→api 8.
    const run1 = decayTraffic(undefined, [{ from: 'web', to: 'api', weight: 8, at: T0 }], {
      ...opts,
      asOf: T0,
    });
    expect(run1).toEqual({ edges: [{ from: 'web', to: 'api', weight: 8, at: T0 }] });
    // Run 2 one hour later: web→api 8 × 0.5 + 4 = 8; api→db 2 and api→cache 0.3 are new.
    const t2 = T0 + HOUR;
    const run2 = decayTraffic(
      run1,
      [
        { from: 'web', to: 'api', weight: 4, at: t2 },
        { from: 'api', to: 'db', weight: 2, at: t2 },
        { from: 'api', to: 'cache', weight: 0.3, at: t2 },
      ],
      { ...opts, asOf: t2 },
    );
    expect(run2).toEqual({
      edges: [
        { from: 'api', to: 'cache', weight: 0.3, at: t2 },
        { from: 'api', to: 'db', weight: 2, at: t2 },
        { from: 'web', to: 'api', weight: 8, at: t2 },
      ],
    });
    // Run 3 two hours later, only api→db seen (1): web→api 8 × 0.25 = 2; api→db 2 × 0.25 + 1 = 1.5;
    // api→cache 0.3 × 0.25 = 0.075 falls below the floor 0.1.
    const t3 = t2 + 2 * HOUR;
    const run3 = decayTraffic(run2, [{ from: 'api', to: 'db', weight: 1, at: t3 }], { ...opts, asOf: t3 });
    expect(run3).toEqual({
      edges: [
        { from: 'api', to: 'db', weight: 1.5, at: t3 },
        { from: 'web', to: 'api', weight: 2, at: t3 },
      ],
    });
  });

  it('a half-life of 2 hours, 3 hours on: 2^−1.5; an observation older than the run decays too', () => {
    const state: TrafficState = { edges: [{ from: 'a', to: 'b', weight: 8, at: T0 }] };
    const got = decayTraffic(state, [{ from: 'a', to: 'b', weight: 4, at: T0 + HOUR }], {
      asOf: T0 + 3 * HOUR,
      halfLifeMs: 2 * HOUR,
    });
    expect(got.edges).toHaveLength(1);
    expect(got.edges[0]!.weight).toBeCloseTo(8 * 2 ** -1.5 + 4 * 2 ** -1, 12);
    expect(got.edges[0]!.at).toBe(T0 + 3 * HOUR);
  });

  it('the default floor is 0.001', () => {
    const state: TrafficState = {
      edges: [
        { from: 'a', to: 'b', weight: 0.002, at: T0 },
        { from: 'a', to: 'c', weight: 0.0019, at: T0 },
      ],
    };
    const got = decayTraffic(state, [], { asOf: T0 + HOUR, halfLifeMs: HOUR });
    expect(got.edges.map((e) => [e.to, e.weight])).toEqual([['b', 0.001]]);
  });

  it.each([
    {
      name: 'a previous edge after the run time',
      state: { edges: [{ from: 'a', to: 'b', weight: 1, at: T0 + 1 }] },
      observations: [],
      halfLifeMs: HOUR,
      message:
        'an edge of the previous state from "a" to "b" is at 2026-03-01T12:00:00.001Z, after the run\'s time 2026-03-01T12:00:00.000Z',
    },
    {
      name: 'a self-loop observation',
      state: undefined,
      observations: [{ from: 'a', to: 'a', weight: 1 }],
      halfLifeMs: HOUR,
      message: 'an observation from "a" to itself: a self-loop is no dependency',
    },
    {
      name: 'a negative weight',
      state: undefined,
      observations: [{ from: 'a', to: 'b', weight: -1 }],
      halfLifeMs: HOUR,
      message: 'an observation from "a" to "b": weight -1 must be a number >= 0',
    },
    {
      name: 'a zero half-life',
      state: undefined,
      observations: [],
      halfLifeMs: 0,
      message: 'half-life 0 ms must be a number > 0',
    },
  ])('refuses $name', ({ state, observations, halfLifeMs, message }) => {
    expect(() => decayTraffic(state, observations, { asOf: T0, halfLifeMs })).toThrow(
      new RangeError(message),
    );
  });
});

describe('the traffic state file', () => {
  it('round-trips: format then parse gives the same state', () => {
    const state = decayTraffic(
      undefined,
      [
        { from: 'web', to: 'api', weight: 1 / 3, at: T0 - 17 * MIN },
        { from: 'api', to: 'db', weight: 12.5, at: T0 },
      ],
      { asOf: T0, halfLifeMs: 6 * HOUR },
    );
    const text = formatTrafficState(state);
    expect(text).toBe(
      `{
  "version": 1,
  "edges": [
    {
      "from": "api",
      "to": "db",
      "weight": 12.5,
      "at": "2026-03-01T12:00:00.000Z"
    },
    {
      "from": "web",
      "to": "api",
      "weight": ${state.edges[1]!.weight},
      "at": "2026-03-01T12:00:00.000Z"
    }
  ]
}
`,
    );
    expect(parseTrafficState('traffic.json', text)).toEqual(state);
  });

  it('reads times with an offset and an empty edge list', () => {
    expect(
      parseTrafficState(
        's.json',
        '{"version": 1, "edges": [{"from": "a", "to": "b", "weight": 0, "at": "2026-03-01T13:00+01:00"}]}',
      ),
    ).toEqual({ edges: [{ from: 'a', to: 'b', weight: 0, at: T0 }] });
    expect(parseTrafficState('s.json', '{"version": 1, "edges": []}')).toEqual({ edges: [] });
  });

  const edge = (fields: string) =>
    `{"version": 1, "edges": [\n  {"from": "a", "to": "b", "weight": 1, "at": "2026-03-01T12:00:00Z"},\n  ${fields}\n]}`;
  it.each([
    [
      '',
      's.json:1: the file is empty (expected a traffic state like {"version": 1, "edges": [{"from": "web", "to": "api", "weight": 12.5, "at": "2026-03-01T12:00:00.000Z"}]})',
    ],
    ['[1]', 's.json:1: the traffic state must be an object like {"version": ...}'],
    ['{"edges": []}', 's.json:1: missing "version" (this shadowcast writes version 1)'],
    ['{"version": 2, "edges": []}', 's.json:1: version 2 is not one this shadowcast reads (1)'],
    ['{"version": 1}', 's.json:1: missing "edges" (the list of decayed calls)'],
    [
      '{"version": 1, "edges": [], "asOf": 3}',
      's.json:1: the traffic state: unknown field "asOf" (fields are version, edges)',
    ],
    [
      edge('{"from": "a", "to": "a", "weight": 1, "at": "2026-03-01T12:00:00Z"}'),
      's.json:3: edge from "a" to "a": a self-loop is no dependency',
    ],
    [
      edge('{"from": "a", "to": "b", "weight": 2, "at": "2026-03-01T12:00:00Z"}'),
      's.json:3: edge from "a" to "b" is listed twice (first at line 2)',
    ],
    [
      edge('{"from": "a", "to": "c", "weight": -2, "at": "2026-03-01T12:00:00Z"}'),
      's.json:3: edge from "a" to "c": weight -2 must be >= 0',
    ],
    [
      edge('{"from": "a", "to": "c", "weight": "2", "at": "2026-03-01T12:00:00Z"}'),
      's.json:3: edge from "a" to "c": "weight" must be a number',
    ],
    [
      edge('{"from": "a", "to": "c", "at": "2026-03-01T12:00:00Z"}'),
      's.json:3: edge from "a" to "c": missing "weight"',
    ],
    [
      edge('{"from": "a", "to": "c", "weight": 1, "at": "2026-03-01 12:00"}'),
      's.json:3: edge from "a" to "c": at "2026-03-01 12:00" is not an ISO time with a zone, like 2026-03-01T12:00:00Z',
    ],
    [edge('{"from": "a", "to": "c", "weight": 1}'), 's.json:3: edge from "a" to "c": missing "at"'],
    [edge('{"from": "a", "weight": 1, "at": "2026-03-01T12:00:00Z"}'), 's.json:3: edge 2: missing "to"'],
    [
      edge('{"from": "", "to": "c", "weight": 1, "at": "2026-03-01T12:00:00Z"}'),
      's.json:3: edge from "" to "c": "from" and "to" must name services',
    ],
    [
      edge('{"from": "a", "to": "c", "weight": 1, "at": "2026-03-01T12:00:00Z", "w": 1}'),
      's.json:3: edge 2: unknown field "w" (fields are from, to, weight, at)',
    ],
    [
      '{"version": 1, "edges": [}',
      's.json:1: not valid JSON: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  ])('refuses %j', (text, message) => {
    let err: unknown;
    try {
      parseTrafficState('s.json', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(message);
  });
});

describe('trafficServiceGraph', () => {
  const state: TrafficState = {
    edges: [
      { from: 'api', to: 'db', weight: 6, at: T0 },
      { from: 'api', to: 'cache', weight: 2, at: T0 },
      { from: 'web', to: 'api', weight: 10, at: T0 },
    ],
  };

  it('takes node metadata from the list and gives unknown services defaults, with a note', () => {
    const { graph, notes } = trafficServiceGraph(state, [
      { id: 'db', tier: 'data', criticality: 'critical', capacity: 100, load: 40 },
      { id: 'api', group: 'api', tier: 'api', criticality: 'high' },
    ]);
    expect(graph.nodes.map((n) => [n.id, n.group, n.tier, n.criticality, n.capacity, n.load])).toEqual([
      ['db', 'db', 'data', 'critical', 100, 40],
      ['api', 'api', 'api', 'high', Infinity, 0],
      ['cache', 'cache', 'default', 'normal', Infinity, 0],
      ['web', 'web', 'default', 'normal', Infinity, 0],
    ]);
    expect(edgesOf(graph)).toEqual([
      ['api', 'db', 6],
      ['api', 'cache', 2],
      ['web', 'api', 10],
    ]);
    expect(notes).toEqual([
      'service "cache" is not in the node list; it gets default metadata',
      'service "web" is not in the node list; it gets default metadata',
    ]);
  });

  it('without a node list every service is a default node, and nothing is noted', () => {
    const { graph, notes } = trafficServiceGraph(state);
    expect(graph.nodes.map((n) => n.id)).toEqual(['api', 'db', 'cache', 'web']);
    expect(notes).toEqual([]);
  });

  it('from series to propagation: a failing database takes its callers with it', () => {
    const observed = trafficObservations(
      set(
        traffic({ source: 'web', destination: 'api' }, [10, 10, 10]),
        traffic({ source: 'api', destination: 'db' }, [6, 6, 6]),
        traffic({ source: 'api', destination: 'api' }, [1, 1, 1]),
      ),
      WINDOW,
    );
    const decayed = decayTraffic(undefined, observed.observations, { asOf: WINDOW.end, halfLifeMs: HOUR });
    const { graph } = trafficServiceGraph(decayed, [{ id: 'db', criticality: 'critical' }]);
    const initial = Float64Array.from(graph.nodes.map((n) => (n.id === 'db' ? 0.5 : 0)));
    const result = simulatePropagation(graph, initial, 4000, 7);
    const risk = Object.fromEntries(graph.nodes.map((n, i) => [n.id, result.risk[i]!]));
    // api calls only db: coupling 0.5 × share 1 × critical 2 = 1, so api fails whenever db does;
    // web calls only api (normal): 0.5 of those. Monte Carlo error at 4000 trials is ~0.01.
    expect(risk.db).toBeCloseTo(0.5, 1);
    expect(risk.api).toBeCloseTo(risk.db!, 5);
    expect(risk.web).toBeCloseTo(0.25, 1);
  });
});
