// `shadowcast risk propagate` as users and bots see it: the built CLI run as a child process
// (`npm test` builds first). The JSON shape is a contract; bad input exits 2 with one line that
// names the file and line.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-propagate-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'risk', 'propagate', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const graphJson = [
  '{',
  '  "nodes": [',
  '    {"id": "lb", "tier": "edge", "criticality": "high"},',
  '    {"id": "api-1", "group": "api", "tier": "api", "capacity": 100, "load": 60},',
  '    {"id": "api-2", "group": "api", "tier": "api", "capacity": 100, "load": 55},',
  '    {"id": "db", "tier": "data", "criticality": "critical"}',
  '  ],',
  '  "edges": [',
  '    {"from": "lb", "to": "api-1", "weight": 5},',
  '    {"from": "lb", "to": "api-2", "weight": 5},',
  '    {"from": "api-1", "to": "db", "weight": 2},',
  '    {"from": "api-2", "to": "db", "weight": 2}',
  '  ]',
  '}',
  '',
].join('\n');
const graph = write('graph.json', graphJson);
const initial = write(
  'scores.csv',
  'node,timestamp,score\napi-1,2026-03-01T00:00:00Z,0.5\napi-1,2026-03-01T01:00:00Z,0.1\ndb,2026-03-01T01:00:00Z,0.05\n',
);
const edgesCsv = 'from,to,weight,timestamp\nlb,api,10,2026-03-01T00:00:00Z\napi,db,4,2026-03-01T01:00:00Z\n';
const edges = write('edges.csv', edgesCsv);
const nodes = write(
  'nodes.csv',
  'id,group,tier,criticality,capacity,load\nlb,,edge,,,\napi,,api,high,100,50\ndb,,data,critical,,\n',
);

describe('risk propagate --format json', () => {
  const args = [
    '--graph',
    graph,
    '--initial',
    initial,
    '--trials',
    '5000',
    '--seed',
    '7',
    '--format',
    'json',
  ];
  const r = run(args);

  it('prints one JSON object of the documented shape, nodes in graph order', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!);
    expect(Object.keys(json)).toEqual(['trials', 'seed', 'expectedFailed', 'expectedUnserved', 'nodes']);
    expect([json.trials, json.seed]).toEqual([5000, 7]);
    expect(Object.keys(json.expectedFailed)).toEqual(['mean', 'lower', 'upper']);
    expect(json.expectedFailed.lower).toBeLessThanOrEqual(json.expectedFailed.mean);
    expect(json.expectedFailed.mean).toBeLessThanOrEqual(json.expectedFailed.upper);
    expect(json.expectedUnserved).toBeGreaterThan(0);
    expect(json.nodes.map((n: { id: string }) => n.id)).toEqual(['lb', 'api-1', 'api-2', 'db']);
    for (const n of json.nodes) {
      expect(Object.keys(n)).toEqual(['id', 'risk', 'lower', 'upper', 'cascade']);
      expect(n.lower).toBeLessThanOrEqual(n.risk);
      expect(n.risk).toBeLessThanOrEqual(n.upper);
      expect(n.cascade).toBeLessThanOrEqual(n.risk);
    }
    // db has no dependencies and takes only its own latest score, 0.05.
    const db = json.nodes[3];
    expect(db.cascade).toBe(0);
    expect(Math.abs(db.risk - 0.05)).toBeLessThan(0.015);
    // api-2 has no risk of its own: it fails only through db or by taking api-1's load.
    expect(json.nodes[2].cascade).toBe(json.nodes[2].risk);
    expect(json.nodes[2].risk).toBeGreaterThan(0);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(run(args).stdout).toBe(r.stdout);
    const other = run([...args.slice(0, -4), '--seed', '8', '--format', 'json']);
    expect(other.code).toBe(0);
    expect(other.stdout).not.toBe(r.stdout);
  });

  it('zero coupling: nothing spreads along calls', () => {
    const z = JSON.parse(run([...args, '--coupling', '0']).stdout);
    expect(z.nodes[0]).toEqual({ id: 'lb', risk: 0, lower: 0, upper: z.nodes[0].upper, cascade: 0 });
  });
});

describe('risk propagate, other inputs', () => {
  it('CSV edges with a nodes CSV, JSON scores, decay: table of the riskiest nodes', () => {
    // api -> db: coupling 0.2 * share 1 * critical 2 = 0.4, so P(api) = 1 - 0.95 * (1 - 0.5 * 0.4) = 0.24;
    // lb -> api: 0.2 * 1 * high 1.5 = 0.3, so P(lb) = 0.24 * 0.3 = 0.072; P(db) = 0.5.
    const scores = write('scores.json', '{"db": 0.5, "api": 0.05}\n');
    const r = run([
      ...['--graph', edges, '--nodes', nodes, '--initial', scores, '--trials', '2000', '--coupling', '0.2'],
      ...['--half-life', '1h', '--as-of', '2026-03-01T02:00:00Z'],
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^3 nodes, 2 edges, 2000 trials \(seed 1\): expected failed nodes [\d.]+ \[[\d.]+, [\d.]+\]/,
    );
    expect(lines[2]).toMatch(/node\s+tier\s+risk\s+lower\s+upper\s+cascade/);
    expect(lines.slice(4).map((l) => l.trim().split(/\s+/)[0])).toEqual(['db', 'api', 'lb']);
  });
});

describe('risk propagate, bad input: exit 2 and one line naming file:line', () => {
  const edgesWith = (name: string, row: string) => write(name, `${edgesCsv}${row}\n`);
  const cases = [
    {
      name: 'unknown node in a JSON edge',
      args: [
        '--graph',
        write(
          'unknown.json',
          graphJson.replace('"to": "db", "weight": 2}\n', '"to": "db-9", "weight": 2}\n'),
        ),
      ],
      where: `${join(dir, 'unknown.json')}:12: edge from "api-2" to "db-9": unknown node "db-9"`,
    },
    {
      name: 'negative weight in a JSON edge',
      args: [
        '--graph',
        write(
          'negative.json',
          graphJson.replace(
            '"weight": 5},\n    {"from": "lb", "to": "api-2"',
            '"weight": -5},\n    {"from": "lb", "to": "api-2"',
          ),
        ),
      ],
      where: `${join(dir, 'negative.json')}:9: edge from "lb" to "api-1": weight -5`,
    },
    {
      name: 'malformed JSON graph',
      args: ['--graph', write('broken.json', graphJson.replace('"tier": "data",', '"tier": "data"'))],
      where: `${join(dir, 'broken.json')}:6: not valid JSON`,
    },
    {
      name: 'negative weight in CSV',
      args: ['--graph', edgesWith('negative.csv', 'db,lb,-1,')],
      where: `${join(dir, 'negative.csv')}:4: edge from "db" to "lb": weight -1`,
    },
    {
      name: 'self-loop in CSV',
      args: ['--graph', edgesWith('loop.csv', 'api,api,3,')],
      where: `${join(dir, 'loop.csv')}:4: edge from "api" to "api": a node cannot depend on itself`,
    },
    {
      name: 'unknown node in CSV edges with a nodes file',
      args: ['--graph', edgesWith('unknown.csv', 'api,cache,3,'), '--nodes', nodes],
      where: `${join(dir, 'unknown.csv')}:4: edge from "api" to "cache": unknown node "cache"`,
    },
    {
      name: 'malformed CSV (unclosed quote)',
      args: ['--graph', edgesWith('quote.csv', 'api,"db,3,')],
      where: `${join(dir, 'quote.csv')}:4: not a valid CSV file`,
    },
    {
      name: 'malformed CSV (missing field)',
      args: ['--graph', edgesWith('short.csv', 'api,db')],
      where: `${join(dir, 'short.csv')}:4: expected 4 fields`,
    },
    {
      name: 'unknown node in the initial risks',
      args: ['--graph', graph, '--initial', write('ghost.csv', 'node,score\ndb,0.1\nghost,0.2\n')],
      where: `${join(dir, 'ghost.csv')}:3: unknown node "ghost"`,
    },
    {
      name: 'score outside [0, 1]',
      args: ['--graph', graph, '--initial', write('big.csv', 'node,score\ndb,2\n')],
      where: `${join(dir, 'big.csv')}:2: node "db": score "2" must be a probability`,
    },
  ];

  it.each(cases)('$name', ({ args, where }) => {
    const full = args.includes('--initial')
      ? args
      : [...args, '--initial', write('none.csv', 'node,score\n')];
    const r = run([...full, '--trials', '100', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`shadowcast: ${where}`)).toBe(true);
  });

  it.each([
    { name: 'missing --trials', args: ['--graph', graph, '--initial', initial] },
    { name: '--trials 0', args: ['--graph', graph, '--initial', initial, '--trials', '0'] },
    {
      name: 'bad --coupling',
      args: ['--graph', graph, '--initial', initial, '--trials', '9', '--coupling', '-1'],
    },
    {
      name: 'bad --half-life',
      args: ['--graph', graph, '--initial', initial, '--trials', '9', '--half-life', 'soon'],
    },
    {
      name: 'bad --as-of',
      args: ['--graph', graph, '--initial', initial, '--trials', '9', '--as-of', 'later'],
    },
    {
      name: 'a nodes file beside a JSON graph',
      args: ['--graph', graph, '--nodes', nodes, '--initial', initial, '--trials', '9'],
    },
  ])('usage: $name exits 2', ({ args }) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().length).toBeGreaterThan(0);
  });

  it('a missing file is named', () => {
    const r = run(['--graph', join(dir, 'nope.json'), '--initial', initial, '--trials', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`shadowcast: ${join(dir, 'nope.json')}: cannot read: no such file\n`);
  });
});
