// Forecast specs: the optional `nodes:` block (node metrics for risk scoring, each node's
// workload), validated like the rest of the spec, with the file and line of the first problem.

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/schedule/spec.js';

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
    });
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
    { name: 'no file', nodes: 'nodes:\n  criticality: high\n', line: 7, message: 'nodes.file:' },
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
