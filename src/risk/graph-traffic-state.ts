// The traffic state the scheduler keeps between runs, as JSON text (the caller reads and writes
// the file): `{"version": 1, "edges": [{"from", "to", "weight", "at"}]}`, `at` an ISO time.
// Every refusal is an InputError naming the file and line.

import { InputError } from '../core/errors.js';
import { readJson } from './graph-text.js';
import type { TrafficEdge, TrafficState } from './graph-traffic.js';

export const TRAFFIC_STATE_VERSION = 1;
const EXAMPLE =
  '{"version": 1, "edges": [{"from": "web", "to": "api", "weight": 12.5, "at": "2026-03-01T12:00:00.000Z"}]}';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads a traffic state file, refusing any other shape, a self-loop, or the same edge twice. */
export function parseTrafficState(file: string, text: string): TrafficState {
  const json = readJson(file, text, `a traffic state like ${EXAMPLE}`);
  json.object([], 'the traffic state', ['version', 'edges']);
  const version = json.number(['version'], 'the traffic state');
  if (version !== TRAFFIC_STATE_VERSION)
    throw json.fail(
      ['version'],
      version === undefined
        ? `missing "version" (this shadowcast writes version ${TRAFFIC_STATE_VERSION})`
        : `version ${version} is not one this shadowcast reads (${TRAFFIC_STATE_VERSION})`,
    );
  if (json.at(['edges']) === undefined) throw json.fail([], 'missing "edges" (the list of decayed calls)');
  const firstLine = new Map<string, number>();
  return {
    edges: json.list(['edges'], '"edges"').map((_, i): TrafficEdge => {
      const path = ['edges', i];
      const label = `edge ${i + 1}`;
      json.object(path, label, ['from', 'to', 'weight', 'at']);
      const from = json.text([...path, 'from'], label, true)!;
      const to = json.text([...path, 'to'], label, true)!;
      const what = `edge from ${JSON.stringify(from)} to ${JSON.stringify(to)}`;
      const line = json.line(path);
      if (!from || !to) throw new InputError(file, line, `${what}: "from" and "to" must name services`);
      if (from === to) throw new InputError(file, line, `${what}: a self-loop is no dependency`);
      const key = JSON.stringify([from, to]);
      const first = firstLine.get(key);
      if (first !== undefined)
        throw new InputError(file, line, `${what} is listed twice (first at line ${first})`);
      firstLine.set(key, line);
      const weight = json.number([...path, 'weight'], what);
      if (weight === undefined) throw json.fail(path, `${what}: missing "weight"`);
      if (!(weight >= 0)) throw json.fail([...path, 'weight'], `${what}: weight ${weight} must be >= 0`);
      const stamp = json.text([...path, 'at'], what, true)!;
      const at = ISO.test(stamp) ? Date.parse(stamp) : NaN;
      if (Number.isNaN(at))
        throw json.fail(
          [...path, 'at'],
          `${what}: at ${JSON.stringify(stamp)} is not an ISO time with a zone, like 2026-03-01T12:00:00Z`,
        );
      return { from, to, weight, at };
    }),
  };
}

/** The state as the JSON text `parseTrafficState` reads back to the same state (two-space indent, newline at the end). */
export function formatTrafficState(state: TrafficState): string {
  const edges = state.edges.map((e) => ({
    from: e.from,
    to: e.to,
    weight: e.weight,
    at: new Date(e.at).toISOString(),
  }));
  return `${JSON.stringify({ version: TRAFFIC_STATE_VERSION, edges }, null, 2)}\n`;
}
