// Forecast specs: the optional `nodes:` block (node metrics for risk scoring, each node's
// workload), validated like the rest of the spec, with the file and line of the first problem.

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/pipeline/spec.js';

const FILE = '/specs/web.yaml';
const BASE = 'pool: web\nsource:\n  kind: csv\n  file: web.csv\nhorizon: 24h\n';

describe('parseSpec nodes:', () => {
  it('is optional', () => {
    expect(parseSpec(FILE, BASE).nodes).toBeUndefined();
  });

  it('resolves the file beside the spec and fills the defaults', () => {
    const spec = parseSpec(FILE, `${BASE}nodes:\n  file: data/web-nodes.csv\n`);
    expect(spec.nodes).toEqual({
      file: resolve('/specs/data/web-nodes.csv'),
      timezone: 'UTC',
      criticality: 'normal',
      stateless: true,
      workloads: {},
      zones: {},
      node_label: 'instance',
      lookback: '2d',
      step: '1m',
    });
  });

  it('keeps each node’s zone, and the label a live source names zones by', () => {
    const spec = parseSpec(
      FILE,
      `${BASE}nodes:\n  file: n.csv\n  zone_label: label_topology_kubernetes_io_zone\n  zones:\n    web-p-1: eu-west-1a\n`,
    );
    expect(spec.nodes?.zones).toEqual({ 'web-p-1': 'eu-west-1a' });
    expect(spec.nodes?.zone_label).toBe('label_topology_kubernetes_io_zone');
  });

  it('keeps per-node workloads', () => {
    const spec = parseSpec(
      FILE,
      `${BASE}nodes:\n  file: n.csv\n  criticality: high\n  workloads:\n    web-p-1: { criticality: critical, stateless: false }\n`,
    );
    expect(spec.nodes?.criticality).toBe('high');
    expect(spec.nodes?.workloads).toEqual({ 'web-p-1': { criticality: 'critical', stateless: false } });
  });

  it.each([
    {
      name: 'no file',
      nodes: 'nodes:\n  criticality: high\n',
      line: 7,
      message: 'nodes: give exactly one of file (a node metrics CSV) or queries',
    },
    {
      name: 'a bad criticality',
      nodes: 'nodes:\n  file: n.csv\n  criticality: urgent\n',
      line: 8,
      message: 'nodes.criticality:',
    },
    {
      name: 'an unknown key',
      nodes: 'nodes:\n  file: n.csv\n  owner: me\n',
      line: 7,
      message: 'nodes: Unrecognized key',
    },
    {
      name: 'a workload that is not a boolean',
      nodes: 'nodes:\n  file: n.csv\n  workloads:\n    web-p-1: { stateless: yes }\n',
      line: 9,
      message: 'nodes.workloads.web-p-1.stateless:',
    },
  ])('refuses $name with the file and line', ({ nodes, line, message }) => {
    let error: unknown;
    try {
      parseSpec(FILE, BASE + nodes);
    } catch (e) {
      error = e;
    }
    expect(String((error as Error).message)).toContain(message);
    expect(error).toMatchObject({ file: FILE, line });
  });
});

describe('parseSpec live sources, graph: and health:', () => {
  const PROM =
    "pool: web\nsource:\n  kind: prometheus\n  url: http://prom:9090\n  query: 'sum(rate(x[5m]))'\n  bearer_token_file: secrets/token\nhorizon: 24h\n";

  it('fills a Prometheus source with its defaults and resolves its credential file beside the spec', () => {
    const spec = parseSpec(FILE, PROM);
    expect(spec.source).toEqual({
      kind: 'prometheus',
      url: 'http://prom:9090',
      query: 'sum(rate(x[5m]))',
      step: '5m',
      lookback: '28d',
      timeout: '30s',
      timezone: 'UTC',
      max_gap: 6,
      bearer_token_file: resolve('/specs/secrets/token'),
    });
  });

  it('fills a CloudWatch source and a graph: block with their defaults', () => {
    const cw = parseSpec(
      FILE,
      "pool: web\nsource:\n  kind: cloudwatch\n  region: eu-west-1\n  query: 'AWS/EC2:CPUUtilization{InstanceId=i-1}:Average'\nhorizon: 24h\n",
    );
    expect(cw.source).toMatchObject({ kind: 'cloudwatch', region: 'eu-west-1', step: '5m', lookback: '28d' });
    const g = parseSpec(FILE, `${PROM}graph:\n  query: 'sum by (source, destination) (rate(r[5m]))'\n`);
    expect(g.graph).toEqual({
      query: 'sum by (source, destination) (rate(r[5m]))',
      window: '1h',
      half_life: '6h',
      source_label: 'source',
      destination_label: 'destination',
      ignore: [],
      trials: 2000,
    });
  });

  it('reads nodes from per-metric queries on a Prometheus source, with defaults', () => {
    const spec = parseSpec(FILE, `${PROM}nodes:\n  queries:\n    memory: 'node_mem{pool="web"}'\n`);
    expect(spec.nodes).toMatchObject({
      queries: { memory: 'node_mem{pool="web"}' },
      node_label: 'instance',
      lookback: '2d',
      step: '1m',
    });
    expect(spec.nodes?.file).toBeUndefined();
  });

  it.each([
    {
      name: 'nodes with both a file and queries',
      text: `${PROM}nodes:\n  file: n.csv\n  queries:\n    cpu: x\n`,
      line: 9,
      message: 'nodes: give exactly one of file (a node metrics CSV) or queries (one per metric)',
    },
    {
      name: 'node queries on a CSV source',
      text: `${BASE}nodes:\n  queries:\n    cpu: x\n`,
      line: 8,
      message: 'nodes.queries: queries: need a prometheus source',
    },
    {
      name: 'a graph: on a CSV source',
      text: `${BASE}graph:\n  query: x\n`,
      line: 7,
      message: 'graph: needs a prometheus source',
    },
    {
      name: 'a health: on a CSV source',
      text: `${BASE}health:\n  error_rate: x\n`,
      line: 7,
      message: 'health: needs a prometheus source',
    },
    {
      name: 'a lookback that is no duration',
      text: PROM.replace('bearer_token_file: secrets/token', 'lookback: forever'),
      line: 6,
      message: 'source.lookback: lookback: expected a duration',
    },
    {
      name: 'a URL that is no URL',
      text: PROM.replace('http://prom:9090', 'prom 9090'),
      line: 4,
      message: 'source.url:',
    },
    {
      name: 'an unknown source kind',
      text: PROM.replace('kind: prometheus', 'kind: graphite'),
      line: 3,
      message: 'source.kind:',
    },
  ])('refuses $name with its line', ({ text, line, message }) => {
    expect(() => parseSpec(FILE, text)).toThrow(`${FILE}:${line}: ${message}`);
  });
});

describe('parseSpec limits: a value past its limit is refused at its line, the limit in the message', () => {
  const PROM = "pool: web\nsource:\n  kind: prometheus\n  url: http://prom:9090\n  query: 'x'\n";
  it.each([
    {
      name: 'a horizon of 99999 weeks (it grew to 6.2 GB)',
      text: BASE.replace('24h', '99999w'),
      line: 5,
      message: 'horizon: "99999w" is longer than the limit of 366d',
    },
    {
      name: 'a 320-digit horizon (it read as Infinity)',
      text: BASE.replace('24h', `${'9'.repeat(320)}h`),
      line: 5,
      message: `horizon: "${'9'.repeat(40)}…" is longer than the limit of 366d`,
    },
    {
      name: 'a horizon of 99999 steps',
      text: BASE.replace('24h', '99999'),
      line: 5,
      message: 'horizon: "99999" is more than the limit of 10000 steps',
    },
    {
      name: 'a horizon that is neither steps nor a duration',
      text: BASE.replace('24h', 'soon'),
      line: 5,
      message: 'horizon: "soon" must be a number of steps (48) or a duration (48h, 2d, 90m, 1w)',
    },
    {
      name: 'a max_gap of a billion points',
      text: BASE.replace('file: web.csv', 'file: web.csv\n  max_gap: 1000000000'),
      line: 5,
      message: 'source.max_gap: must be at most 10000',
    },
    {
      name: 'a lookback of ten years',
      text: `${PROM}  lookback: 3650d\nhorizon: 24h\n`,
      line: 6,
      message: 'source.lookback: "3650d" is longer than the limit of 1098d',
    },
    {
      name: 'a lookback of more points than a series holds',
      text: `${PROM}  lookback: 366d\n  step: 10s\nhorizon: 24h\n`,
      line: 6,
      message: 'source.lookback: lookback 366d at step 10s is 3162240 points, more than the limit of 1000000',
    },
    {
      name: 'node metrics read every second for a month',
      text: `${BASE}nodes:\n  file: n.csv\n  lookback: 30d\n  step: 1s\n`,
      line: 8,
      message: 'nodes.lookback: lookback 30d at step 1s is 2592000 points',
    },
  ])('refuses $name', ({ text, line, message }) => {
    expect(() => parseSpec(FILE, text)).toThrow(`${FILE}:${line}: ${message}`);
  });

  it('refuses YAML nested too deeply, or a bomb of aliases, at line 1 instead of crashing', () => {
    expect(() => parseSpec(FILE, `${BASE}description:\n${'- '.repeat(20_000)}x\n`)).toThrow(
      new RegExp(`^${FILE}:\\d+: not valid YAML: nested too deeply$`),
    );
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(`${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`);
    expect(() => parseSpec(FILE, `${bomb.join('\n')}\n${BASE}`)).toThrow(`${FILE}:1: not valid YAML:`);
  });

  it('accepts each limit itself', () => {
    expect(parseSpec(FILE, BASE.replace('24h', '366d')).horizon).toBe('366d');
    expect(parseSpec(FILE, BASE.replace('24h', '10000')).horizon).toBe('10000');
    const live = parseSpec(FILE, `${PROM}  lookback: 1098d\n  step: 1h\nhorizon: 24h\n`);
    expect(live.source).toMatchObject({ lookback: '1098d', step: '1h' });
  });
});

describe('parseSpec signals:', () => {
  const signal = (extra = '') =>
    `${BASE}signals:\n  - name: mentions\n    source:\n      kind: csv\n      file: data/mentions.csv\n${extra}`;

  it('is an empty list by default', () => {
    expect(parseSpec(FILE, BASE).signals).toEqual([]);
  });

  it('reads each signal from any source, its file relative to the spec, with a default lag bound of a day', () => {
    const spec = parseSpec(
      FILE,
      `${signal()}  - name: sentiment\n    max_lag: 6h\n    source:\n      kind: json\n      url: https://feeds.example/sentiment\n      bearer_token_file: token\n`,
    );
    expect(spec.signals).toEqual([
      {
        name: 'mentions',
        max_lag: '1d',
        source: { kind: 'csv', file: resolve('/specs/data/mentions.csv'), timezone: 'UTC', max_gap: 6 },
      },
      {
        name: 'sentiment',
        max_lag: '6h',
        source: expect.objectContaining({
          kind: 'json',
          url: 'https://feeds.example/sentiment',
          bearer_token_file: resolve('/specs/token'),
          step: '5m',
          lookback: '28d',
        }),
      },
    ]);
  });

  it.each([
    [signal('    max_lag: soon\n'), 11, 'signals.0.max_lag: max_lag: expected a duration like 5m, 1h, 28d'],
    [signal('    lag: 1h\n'), 7, 'signals.0: Unrecognized key: "lag"'],
    [
      `${signal()}  - name: mentions\n    source:\n      kind: csv\n      file: other.csv\n`,
      11,
      'signals.1.name: signal "mentions" is named twice',
    ],
    [
      `${BASE}signals:\n  - name: bad name\n    source:\n      kind: csv\n      file: x.csv\n`,
      7,
      'signals.0.name: signal names are letters, digits, dots, dashes and underscores',
    ],
  ])('refuses a bad signal at its line: %#', (text, line, message) => {
    expect(() => parseSpec(FILE, text)).toThrow(`${FILE}:${line}: ${message}`);
  });

  it('refuses more than 8 signals', () => {
    const many = Array.from(
      { length: 9 },
      (_, i) => `  - name: s${i}\n    source: { kind: csv, file: s${i}.csv }\n`,
    );
    expect(() => parseSpec(FILE, `${BASE}signals:\n${many.join('')}`)).toThrow(
      'signals: at most 8 signals a pool (each costs a backtest per fit)',
    );
  });
});

describe('parseSpec resources:', () => {
  it('names what source: measures (default demand) and reads each further resource, its file beside the spec', () => {
    expect(parseSpec(FILE, BASE)).toMatchObject({ resource: 'demand', resources: [] });
    const spec = parseSpec(
      FILE,
      `${BASE}resource: cpu\nresources:\n  - name: memory\n    source: { kind: csv, file: mem.csv }\n`,
    );
    expect(spec.resource).toBe('cpu');
    expect(spec.resources).toEqual([
      {
        name: 'memory',
        source: { kind: 'csv', file: resolve('/specs/mem.csv'), timezone: 'UTC', max_gap: 6 },
      },
    ]);
  });

  it.each([
    [
      `${BASE}resource: cpu\nresources:\n  - name: cpu\n    source: { kind: csv, file: c.csv }\n`,
      8,
      'resources.0.name: resource "cpu" is named twice (source: measures "cpu")',
    ],
    [
      `${BASE}resources:\n  - name: Memory\n    source: { kind: csv, file: m.csv }\n`,
      7,
      'resources.0.name: resource names are lowercase letters, digits, dashes and underscores',
    ],
  ])('refuses a bad resource at its line: %#', (text, line, message) => {
    expect(() => parseSpec(FILE, text)).toThrow(`${FILE}:${line}: ${message}`);
  });
});
