// The service graph: building it (decay of old observations, defaults, CSR layout), its JSON and
// CSV files and the initial-risk files, and the exact file:line and message of every refusal.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { buildServiceGraph, type EdgeObservation } from '../../src/risk/graph.js';
import {
  parseEdgeCsv,
  parseGraph,
  parseGraphCsv,
  parseGraphJson,
  parseInitialRisk,
  parseNodeCsv,
} from '../../src/risk/graph-file.js';
import { parseTime } from '../../src/risk/graph-text.js';
import { edgesOf } from '../support/graph-edges.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** The InputError `f` throws; fails the test when it throws nothing or something else. */
function refusal(f: () => unknown): InputError {
  try {
    f();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

describe('buildServiceGraph', () => {
  const obs = (weight: number, at?: number): EdgeObservation => ({ from: 'api', to: 'db', weight, at });

  it.each([
    {
      name: 'no half-life: observations add up whatever their age',
      edges: [obs(10, T0), obs(10, T0 + HOUR)],
      opts: {},
      weight: 20,
    },
    {
      name: 'half-life 1h, as of the latest observation: the older one counts half',
      edges: [obs(10, T0), obs(10, T0 + HOUR)],
      opts: { halfLifeMs: HOUR },
      weight: 15,
    },
    {
      name: 'as of one hour later both count half as much again',
      edges: [obs(10, T0), obs(10, T0 + HOUR)],
      opts: { halfLifeMs: HOUR, asOf: T0 + 2 * HOUR },
      weight: 7.5,
    },
    {
      name: 'half-life 2h, 3h old: 0.5^1.5',
      edges: [obs(8, T0)],
      opts: { halfLifeMs: 2 * HOUR, asOf: T0 + 3 * HOUR },
      weight: 8 * 0.5 ** 1.5,
    },
    {
      name: 'observations without a time count fully',
      edges: [obs(10, T0), obs(10, T0 + HOUR), obs(4)],
      opts: { halfLifeMs: HOUR },
      weight: 19,
    },
    { name: 'a zero weight is kept', edges: [obs(0)], opts: {}, weight: 0 },
  ])('$name', ({ edges, opts, weight }) => {
    const g = buildServiceGraph(undefined, edges, opts);
    expect(edgesOf(g)).toHaveLength(1);
    expect(edgesOf(g)[0]![2]).toBeCloseTo(weight, 12);
  });

  it('infers nodes in order of first mention with default metadata; callees sorted by index; cycles allowed', () => {
    const g = buildServiceGraph(undefined, [
      { from: 'web', to: 'db', weight: 1 },
      { from: 'web', to: 'api', weight: 2 },
      { from: 'api', to: 'db', weight: 3 },
      { from: 'db', to: 'web', weight: 4 },
    ]);
    expect(g.nodes.map((n) => n.id)).toEqual(['web', 'db', 'api']);
    expect(g.nodes[0]).toEqual({
      id: 'web',
      group: 'web',
      tier: 'default',
      criticality: 'normal',
      capacity: Infinity,
      load: 0,
    });
    expect([...g.edgeStart]).toEqual([0, 2, 3, 4]);
    expect(edgesOf(g)).toEqual([
      ['web', 'db', 1],
      ['web', 'api', 2],
      ['db', 'web', 4],
      ['api', 'db', 3],
    ]);
  });

  it('keeps the given node list, its order and metadata, nodes without edges included', () => {
    const g = buildServiceGraph(
      [
        { id: 'a', group: 'pool', tier: 'api', criticality: 'high', capacity: 10, load: 4 },
        { id: 'b', group: 'pool' },
        { id: 'lonely' },
      ],
      [{ from: 'b', to: 'a', weight: 1 }],
    );
    expect(g.nodes.map((n) => [n.id, n.group, n.tier, n.criticality, n.capacity, n.load])).toEqual([
      ['a', 'pool', 'api', 'high', 10, 4],
      ['b', 'pool', 'default', 'normal', Infinity, 0],
      ['lonely', 'lonely', 'default', 'normal', Infinity, 0],
    ]);
  });

  const at = (line: number) => ({ file: 'g.csv', line });
  it.each([
    {
      name: 'self-loop',
      nodes: undefined,
      edges: [{ from: 'a', to: 'a', weight: 1, source: at(3) }],
      line: 3,
      detail: 'edge from "a" to "a": a node cannot depend on itself (self-loop)',
    },
    {
      name: 'negative weight',
      nodes: undefined,
      edges: [{ from: 'a', to: 'b', weight: -2, source: at(4) }],
      line: 4,
      detail: 'edge from "a" to "b": weight -2 must be a number >= 0',
    },
    {
      name: 'infinite weight',
      nodes: undefined,
      edges: [{ from: 'a', to: 'b', weight: Infinity, source: at(5) }],
      line: 5,
      detail: 'edge from "a" to "b": weight Infinity must be a number >= 0',
    },
    {
      name: 'unknown node when a node list is given',
      nodes: [{ id: 'a' }],
      edges: [{ from: 'a', to: 'b', weight: 1, source: at(6) }],
      line: 6,
      detail: 'edge from "a" to "b": unknown node "b" (not in the node list)',
    },
    {
      name: 'node listed twice',
      nodes: [
        { id: 'a', source: at(2) },
        { id: 'a', source: at(7) },
      ],
      edges: [],
      line: 7,
      detail: 'node "a" is listed twice (first at line 2)',
    },
    {
      name: 'unknown criticality',
      nodes: [{ id: 'a', criticality: 'urgent', source: at(2) }],
      edges: [],
      line: 2,
      detail: 'node "a": criticality "urgent" is not one of low, normal, high, critical',
    },
    {
      name: 'zero capacity',
      nodes: [{ id: 'a', capacity: 0, source: at(2) }],
      edges: [],
      line: 2,
      detail: 'node "a": capacity 0 must be a number > 0 (omit it for unlimited)',
    },
    {
      name: 'negative load',
      nodes: [{ id: 'a', load: -1, source: at(2) }],
      edges: [],
      line: 2,
      detail: 'node "a": load -1 must be a number >= 0',
    },
    {
      name: 'observed after the as-of time',
      nodes: undefined,
      edges: [{ from: 'a', to: 'b', weight: 1, at: T0 + HOUR, source: at(9) }],
      asOf: T0,
      line: 9,
      detail:
        'edge from "a" to "b": observed at 2026-03-01T01:00:00.000Z, after the as-of time 2026-03-01T00:00:00.000Z',
    },
  ])('refuses: $name', ({ nodes, edges, asOf, line, detail }) => {
    const err = refusal(() => buildServiceGraph(nodes, edges, { asOf }));
    expect([err.file, err.line, err.detail]).toEqual(['g.csv', line, detail]);
  });
});

describe('JSON graph files', () => {
  const good = lines(
    '{',
    '  "nodes": [',
    '    {"id": "api-1", "group": "api", "tier": "api", "criticality": "high", "capacity": 100, "load": 40},',
    '    {"id": "api-2", "group": "api", "capacity": null},',
    '    {"id": "db-1", "criticality": "critical"}',
    '  ],',
    '  "edges": [',
    '    {"from": "api-1", "to": "db-1", "weight": 10, "at": "2026-03-01T00:00:00Z"},',
    '    {"from": "api-1", "to": "db-1", "weight": 10, "at": "2026-03-01T01:00:00Z"},',
    '    {"from": "api-2", "to": "db-1"}',
    '  ]',
    '}',
  );

  it('reads nodes, edges (weight 1 by default), decay and unlimited capacity (null or absent)', () => {
    const g = parseGraphJson('g.json', good, { halfLifeMs: HOUR });
    expect(g.nodes.map((n) => [n.id, n.group, n.criticality, n.capacity, n.load])).toEqual([
      ['api-1', 'api', 'high', 100, 40],
      ['api-2', 'api', 'normal', Infinity, 0],
      ['db-1', 'db-1', 'critical', Infinity, 0],
    ]);
    expect(edgesOf(g)).toEqual([
      ['api-1', 'db-1', 15],
      ['api-2', 'db-1', 1],
    ]);
  });

  it('infers the nodes when "nodes" is absent', () => {
    const g = parseGraphJson('g.json', '{"edges": [{"from": "a", "to": "b", "weight": 2}]}');
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b']);
  });

  const bad = (edit: (l: string[]) => void) => {
    const l = good.split('\n');
    edit(l);
    return l.join('\n');
  };
  it.each([
    {
      name: 'unknown node in an edge',
      text: bad((l) => (l[9] = '    {"from": "api-2", "to": "db-9"}')),
      where: 'g.json:10',
      detail: 'edge from "api-2" to "db-9": unknown node "db-9" (not in the node list)',
    },
    {
      name: 'negative weight',
      text: bad((l) => (l[8] = '    {"from": "api-1", "to": "db-1", "weight": -3},')),
      where: 'g.json:9',
      detail: 'edge from "api-1" to "db-1": weight -3 must be a number >= 0',
    },
    {
      name: 'self-loop',
      text: bad((l) => (l[9] = '    {"from": "db-1", "to": "db-1"}')),
      where: 'g.json:10',
      detail: 'edge from "db-1" to "db-1": a node cannot depend on itself (self-loop)',
    },
    {
      name: 'missing comma',
      text: bad((l) => (l[9] = '    {"from": "api-2" "to": "db-1"}')),
      where: 'g.json:10',
      detail: 'not valid JSON: Unexpected double-quoted-scalar token',
    },
    {
      name: 'unterminated string',
      text: bad((l) => (l[4] = '    {"id": "db-1}')),
      where: 'g.json:',
      detail: 'not valid JSON: ',
    },
    {
      name: 'bare word',
      text: bad((l) => (l[3] = '    {"id": "api-2", "group": api},')),
      where: 'g.json:4',
      detail: 'not valid JSON: Unresolved plain scalar "api"',
    },
    {
      name: 'duplicate key',
      text: bad((l) => (l[4] = '    {"id": "db-1", "id": "db-2"}')),
      where: 'g.json:5',
      detail: 'not valid JSON: a key appears twice in one object',
    },
    {
      name: 'weight as text',
      text: bad((l) => (l[8] = '    {"from": "api-1", "to": "db-1", "weight": "10"},')),
      where: 'g.json:9',
      detail: 'edge from "api-1" to "db-1": "weight" must be a number',
    },
    {
      name: 'misspelt field',
      text: bad((l) => (l[9] = '    {"from": "api-2", "too": "db-1"}')),
      where: 'g.json:10',
      detail: 'edge 3: unknown field "too" (fields are from, to, weight, at)',
    },
    {
      name: 'edge without "to" on several lines',
      text: bad((l) => (l[9] = '    {\n      "from": "api-2"\n    }')),
      where: 'g.json:10',
      detail: 'edge 3: missing "to"',
    },
    {
      name: 'bad time',
      text: bad((l) => (l[8] = '    {"from": "api-1", "to": "db-1", "at": "yesterday"},')),
      where: 'g.json:9',
      detail: 'edge from "api-1" to "db-1": at "yesterday" is not an ISO time like 2026-03-01T12:00:00Z',
    },
    {
      name: 'bad criticality',
      text: bad((l) => (l[4] = '    {"id": "db-1", "criticality": "urgent"}')),
      where: 'g.json:5',
      detail: 'node "db-1": criticality "urgent" is not one of low, normal, high, critical',
    },
    {
      name: 'node without id',
      text: bad((l) => (l[4] = '    {"group": "db"}')),
      where: 'g.json:5',
      detail: 'node 3: missing "id"',
    },
    {
      name: 'missing edges',
      text: '{\n  "nodes": []\n}\n',
      where: 'g.json:1',
      detail: 'missing "edges" (the list of calls between nodes)',
    },
    {
      name: 'edges not a list',
      text: '{\n  "edges": {}\n}\n',
      where: 'g.json:2',
      detail: '"edges" must be a list [...]',
    },
    {
      name: 'a list instead of an object',
      text: '[]\n',
      where: 'g.json:1',
      detail: 'the graph must be an object like {"nodes": ...}',
    },
    {
      name: 'empty file',
      text: '\n',
      where: 'g.json:1',
      detail: 'the file is empty (expected a graph like {"nodes": [...], "edges": [...]})',
    },
  ])('refuses: $name', ({ text, where, detail }) => {
    const err = refusal(() => parseGraphJson('g.json', text));
    expect(err.message.startsWith(`${where}`)).toBe(true);
    expect(err.detail.startsWith(detail)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it.each([
    {
      name: 'an unterminated string: the line where it opens',
      text: '{"edges": [\n  {"from": "a,\n  "to": "b"}\n]}\n',
      line: 2,
    },
    {
      name: 'a line break inside a string',
      text: '{"edges": [\n  {"from": "a\n  b", "to": "c"}\n]}\n',
      line: 2,
      detail: 'not valid JSON: a string runs past the end of its line (missing closing quote?)',
    },
    {
      name: 'single quotes',
      text: '{"edges": [\n  {"from": \'a\', "to": "c"}\n]}\n',
      line: 2,
      detail: 'not valid JSON: strings take double quotes',
    },
    {
      name: 'YAML instead of JSON',
      text: '"edges":\n  - {"from": "a", "to": "c"}\n',
      line: 1,
      detail: 'not valid JSON: objects and lists need braces and brackets',
    },
  ])('refuses $name, naming its line', ({ text, line, detail }) => {
    const err = refusal(() => parseGraphJson('g.json', text));
    expect(err.line).toBe(line);
    if (detail) expect(err.detail).toBe(detail);
  });
});

describe('CSV graph files', () => {
  const edges = lines(
    'from,to,weight,timestamp',
    'web,api,10,2026-03-01T00:00:00Z',
    'web,api,10,2026-03-01 01:00:00',
    'api,db,5,',
  );
  const nodes = lines(
    'id,group,tier,criticality,capacity,load',
    'web,,edge,,,',
    'api,api,api,high,100,30',
    'db,,data,critical,inf,',
  );

  it('reads edges with and without timestamps (space or T, no offset = UTC), decaying the old ones', () => {
    expect(parseEdgeCsv('e.csv', edges).map((e) => [e.from, e.to, e.weight, e.at, e.source?.line])).toEqual([
      ['web', 'api', 10, T0, 2],
      ['web', 'api', 10, T0 + HOUR, 3],
      ['api', 'db', 5, undefined, 4],
    ]);
    const g = parseGraphCsv({ file: 'e.csv', text: edges }, undefined, { halfLifeMs: HOUR });
    expect(g.nodes.map((n) => n.id)).toEqual(['web', 'api', 'db']);
    expect(edgesOf(g)).toEqual([
      ['web', 'api', 15],
      ['api', 'db', 5],
    ]);
  });

  it('reads the nodes file: empty cells take defaults, columns in any order, inf capacity', () => {
    const g = parseGraphCsv({ file: 'e.csv', text: edges }, { file: 'n.csv', text: nodes });
    expect(g.nodes.map((n) => [n.id, n.group, n.tier, n.criticality, n.capacity, n.load])).toEqual([
      ['web', 'web', 'edge', 'normal', Infinity, 0],
      ['api', 'api', 'api', 'high', 100, 30],
      ['db', 'db', 'data', 'critical', Infinity, 0],
    ]);
    expect(parseNodeCsv('n.csv', 'load,id\n3,x\n').map((n) => [n.id, n.load])).toEqual([['x', 3]]);
  });

  it('a header alone is a graph without edges', () => {
    expect(parseGraphCsv({ file: 'e.csv', text: 'from,to,weight\n' }, undefined).nodes).toEqual([]);
  });

  it.each([
    {
      name: 'unknown node in an edge',
      e: edges.replace('api,db,5', 'api,cache,5'),
      n: nodes,
      where: 'e.csv:4',
      detail: 'edge from "api" to "cache": unknown node "cache" (not in the node list)',
    },
    {
      name: 'negative weight',
      e: edges.replace('api,db,5', 'api,db,-5'),
      where: 'e.csv:4',
      detail: 'edge from "api" to "db": weight -5 must be a number >= 0',
    },
    {
      name: 'self-loop',
      e: edges.replace('api,db,5', 'db,db,5'),
      where: 'e.csv:4',
      detail: 'edge from "db" to "db": a node cannot depend on itself (self-loop)',
    },
    {
      name: 'weight not a number',
      e: edges.replace('web,api,10,2026-03-01 01', 'web,api,ten,2026-03-01 01'),
      where: 'e.csv:3',
      detail: 'edge from "web" to "api": weight "ten" is not a number',
    },
    {
      name: 'empty weight',
      e: 'from,to,weight\na,b,\n',
      where: 'e.csv:2',
      detail: 'edge from "a" to "b": weight "" is not a number',
    },
    {
      name: 'bad timestamp',
      e: edges.replace('2026-03-01 01:00:00', '03/01/2026'),
      where: 'e.csv:3',
      detail: 'edge from "web" to "api": timestamp "03/01/2026" is not an ISO time like 2026-03-01T12:00:00Z',
    },
    {
      name: 'missing field',
      e: 'from,to,weight\na,b,1\na,c\n',
      where: 'e.csv:3',
      detail: 'expected 3 fields (from,to,weight), found 2',
    },
    {
      name: 'unclosed quote',
      e: 'from,to,weight\na,b,1\na,"c,1\n',
      where: 'e.csv:3',
      detail: 'not a valid CSV file: Quote Not Closed',
    },
    {
      name: 'no header',
      e: 'a,b,1\n',
      where: 'e.csv:1',
      detail: 'unknown column "a" (expected the header from,to,weight,[timestamp])',
    },
    {
      name: 'missing column',
      e: 'from,to\na,b\n',
      where: 'e.csv:1',
      detail: 'missing column "weight" (expected the header from,to,weight,[timestamp])',
    },
    {
      name: 'empty edge file',
      e: '',
      where: 'e.csv:1',
      detail: 'the file is empty (expected the header from,to,weight,[timestamp])',
    },
    {
      name: 'empty node id',
      e: 'from,to,weight\n,b,1\n',
      where: 'e.csv:2',
      detail: 'edge from "" to "b": "from" and "to" must name nodes',
    },
    {
      name: 'nodes: bad criticality',
      e: edges,
      n: nodes.replace('high', 'urgent'),
      where: 'n.csv:3',
      detail: 'node "api": criticality "urgent" is not one of low, normal, high, critical',
    },
    {
      name: 'nodes: bad capacity',
      e: edges,
      n: nodes.replace(',100,', ',lots,'),
      where: 'n.csv:3',
      detail: 'node "api": capacity "lots" is not a number',
    },
    {
      name: 'nodes: negative capacity',
      e: edges,
      n: nodes.replace(',100,', ',-1,'),
      where: 'n.csv:3',
      detail: 'node "api": capacity -1 must be a number > 0 (omit it for unlimited)',
    },
    {
      name: 'nodes: listed twice',
      e: edges,
      n: `${nodes}api,,,,,\n`,
      where: 'n.csv:5',
      detail: 'node "api" is listed twice (first at line 3)',
    },
    {
      name: 'nodes: column twice',
      e: edges,
      n: 'id,id\na,a\n',
      where: 'n.csv:1',
      detail: 'column "id" appears twice',
    },
  ])('refuses: $name', ({ e, n, where, detail }) => {
    const err = refusal(() =>
      parseGraphCsv({ file: 'e.csv', text: e }, n === undefined ? undefined : { file: 'n.csv', text: n }),
    );
    expect(err.message.startsWith(`${where}: `)).toBe(true);
    expect(err.detail.startsWith(detail)).toBe(true);
  });

  it('parseGraph picks JSON or CSV by the text, and refuses a nodes file beside a JSON graph', () => {
    expect(
      parseGraph({ file: 'g', text: ' {"edges": [{"from": "a", "to": "b"}]}' }, undefined).nodes,
    ).toHaveLength(2);
    expect(parseGraph({ file: 'g', text: 'from,to,weight\na,b,1\n' }, undefined).nodes).toHaveLength(2);
    const err = refusal(() =>
      parseGraph({ file: 'g.json', text: '{"edges": []}' }, { file: 'n.csv', text: 'id\na\n' }),
    );
    expect(err.message).toBe('n.csv: a nodes file goes with CSV edges; g.json lists its own nodes');
  });
});

describe('initial risk files', () => {
  const graph = buildServiceGraph(undefined, [
    { from: 'a', to: 'b', weight: 1 },
    { from: 'b', to: 'c', weight: 1 },
  ]);
  const risk = (text: string) => [...parseInitialRisk('r', text, graph)];

  it.each([
    { name: 'CSV node,score; unlisted nodes get 0', text: 'node,score\na,0.1\nc,1\n', expected: [0.1, 0, 1] },
    {
      name: 'risk score long output: each node takes its latest row, whatever the row order',
      text: lines(
        'node,timestamp,score',
        'a,2026-03-01T02:00:00Z,0.3',
        'a,2026-03-01T01:00:00Z,0.9',
        'b,2026-03-01T01:00:00Z,0.2',
        'b,2026-03-01T03:00:00Z,0.4',
      ),
      expected: [0.3, 0.4, 0],
    },
    { name: 'JSON object', text: '{"b": 0.25, "c": 0}', expected: [0, 0.25, 0] },
  ])('$name', ({ text, expected }) => {
    expect(risk(text)).toEqual(expected);
  });

  it.each([
    {
      name: 'unknown node (CSV)',
      text: 'node,score\na,0.1\nz,0.2\n',
      where: 'r:3',
      detail: 'unknown node "z" (not in the graph)',
    },
    {
      name: 'score above 1',
      text: 'node,score\na,1.5\n',
      where: 'r:2',
      detail: 'node "a": score "1.5" must be a probability between 0 and 1',
    },
    {
      name: 'score not a number',
      text: 'node,score\na,high\n',
      where: 'r:2',
      detail: 'node "a": score "high" must be a probability between 0 and 1',
    },
    {
      name: 'listed twice',
      text: 'node,score\na,0.1\nb,0.1\na,0.2\n',
      where: 'r:4',
      detail: 'node "a" is listed twice (first at line 2)',
    },
    {
      name: 'bad timestamp',
      text: 'node,timestamp,score\na,soon,0.1\n',
      where: 'r:2',
      detail: 'node "a": timestamp "soon" is not an ISO time like 2026-03-01T12:00:00Z',
    },
    {
      name: 'wrong header',
      text: 'id,score\na,0.1\n',
      where: 'r:1',
      detail: 'unknown column "id" (expected the header node,score,[timestamp])',
    },
    {
      name: 'unknown node (JSON)',
      text: '{\n  "a": 0.1,\n  "z": 0.2\n}\n',
      where: 'r:3',
      detail: 'unknown node "z" (not in the graph)',
    },
    {
      name: 'negative score (JSON)',
      text: '{\n  "a": -0.1\n}\n',
      where: 'r:2',
      detail: 'node "a": score -0.1 must be a probability between 0 and 1',
    },
    {
      name: 'score as text (JSON)',
      text: '{\n  "a": "0.1"\n}\n',
      where: 'r:2',
      detail: 'node "a": "a" must be a number',
    },
    {
      name: 'malformed JSON',
      text: '{\n  "a": 0.1,\n  "b" 0.2\n}\n',
      where: 'r:3',
      detail: 'not valid JSON',
    },
  ])('refuses: $name', ({ text, where, detail }) => {
    const err = refusal(() => risk(text));
    expect(err.message.startsWith(`${where}: `)).toBe(true);
    expect(err.detail.startsWith(detail)).toBe(true);
  });
});

describe('parseTime', () => {
  it.each([
    ['2026-03-01T00:00:00Z', T0],
    ['2026-03-01 01:00', T0 + HOUR],
    ['2026-03-01T02:00:00+01:00', T0 + HOUR],
    ['2026-03-01', T0],
    [String(T0 / 1000), T0],
    [String(T0), T0],
    ['2026-13-01', undefined],
    ['tomorrow', undefined],
    ['', undefined],
  ])('%s', (text, expected) => {
    expect(parseTime(text)).toBe(expected);
  });
});
