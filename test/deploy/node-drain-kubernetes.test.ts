// The Kubernetes switch, its rollback and the retirement against an API server of our own (HTTP,
// the endpoints the drain uses, a PodDisruptionBudget that refuses evictions a number of times and
// a Deployment whose evicted pods come back ready on other nodes after a while), through the real
// client library. Every wait is on a condition the server reaches, never a fixed sleep.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { drainNode, removeNode, uncordonNode } from '../../src/deploy/node-drain-kubernetes.js';

interface Pod {
  name: string;
  node: string;
  app: string;
  /** Counts as ready once the server has answered this many more deployment reads. */
  readyAfter: number;
}

interface Cluster {
  nodes: Map<string, { unschedulable: boolean }>;
  pods: Pod[];
  /** Evictions the PodDisruptionBudget refuses before it allows them. */
  pdbRefusals: number;
  replicas: number;
  calls: string[];
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function apiServer(cluster: Cluster): Promise<KubeConfig> {
  let replacement = 0;
  const json = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const status = (res: ServerResponse, code: number, message: string) =>
    json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const url = new URL(req.url!, 'http://x');
    cluster.calls.push(`${req.method} ${url.pathname}`);
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname))) {
      const node = cluster.nodes.get(m[1]!);
      if (!node) return status(res, 404, `nodes "${m[1]}" not found`);
      if (req.method === 'PATCH') {
        expect(req.headers['content-type']).toBe('application/merge-patch+json');
        node.unschedulable = (JSON.parse(text) as { spec: { unschedulable: boolean } }).spec.unschedulable;
        return json(res, 200, { kind: 'Node', metadata: { name: m[1] }, spec: { ...node } });
      }
      if (req.method === 'DELETE') {
        cluster.nodes.delete(m[1]!);
        return json(res, 200, { kind: 'Status', status: 'Success' });
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/shop\/pods$/.exec(url.pathname))) {
      const node = /^spec\.nodeName=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const app = /^app=(.+)$/.exec(url.searchParams.get('labelSelector') ?? '')?.[1];
      const items = cluster.pods
        .filter((p) => p.node === node && p.app === app)
        .map((p) => ({ metadata: { name: p.name, namespace: 'shop', labels: { app: p.app } } }));
      return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
    }
    if ((m = /^\/api\/v1\/namespaces\/shop\/pods\/([^/]+)\/eviction$/.exec(url.pathname))) {
      const pod = cluster.pods.find((p) => p.name === m![1]);
      if (!pod) return status(res, 404, `pods "${m[1]}" not found`);
      if (cluster.pdbRefusals > 0) {
        cluster.pdbRefusals--;
        return status(res, 429, "Cannot evict pod as it would violate the pod's disruption budget.");
      }
      // The Deployment replaces the pod on a node that takes pods; it is ready a few reads later.
      const to = [...cluster.nodes].find(([, n]) => !n.unschedulable)![0];
      cluster.pods = cluster.pods.filter((p) => p !== pod);
      cluster.pods.push({ name: `web-new-${replacement++}`, node: to, app: pod.app, readyAfter: 3 });
      return json(res, 201, { kind: 'Eviction', apiVersion: 'policy/v1' });
    }
    if (/^\/apis\/apps\/v1\/namespaces\/shop\/deployments\/web$/.test(url.pathname)) {
      for (const p of cluster.pods) p.readyAfter = Math.max(0, p.readyAfter - 1);
      const ready = cluster.pods.filter((p) => p.app === 'web' && p.readyAfter === 0).length;
      return json(res, 200, {
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { replicas: cluster.replicas },
        status: { readyReplicas: ready },
      });
    }
    return status(res, 404, `no route ${req.method} ${url.pathname}`);
  };
  server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => status(res, 500, String(err)));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'test' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kc;
}

function cluster(pdbRefusals = 0): Cluster {
  return {
    nodes: new Map([
      ['node-a', { unschedulable: false }],
      ['node-b', { unschedulable: false }],
      ['standby-1', { unschedulable: false }],
    ]),
    pods: [
      { name: 'web-1', node: 'node-a', app: 'web', readyAfter: 0 },
      { name: 'web-2', node: 'node-a', app: 'web', readyAfter: 0 },
      { name: 'web-3', node: 'node-b', app: 'web', readyAfter: 0 },
      { name: 'cache-1', node: 'node-a', app: 'cache', readyAfter: 0 },
    ],
    pdbRefusals,
    replicas: 3,
    calls: [],
  };
}

const TARGET = { node: 'node-a', namespace: 'shop', deployment: 'web', selector: { app: 'web' } };

describe('switching a Kubernetes node out', () => {
  it('cordons it, evicts the pool’s pods through the Eviction API, and waits until they are ready elsewhere', async () => {
    const c = cluster();
    const kc = await apiServer(c);
    const lines: string[] = [];
    const report = await drainNode(kc, TARGET, {
      timeoutMs: 10_000,
      pollMs: 5,
      onProgress: (l) => lines.push(l),
    });
    expect(report.evicted).toEqual(['web-1', 'web-2']);
    expect(report.refusals).toBe(0);
    expect(c.nodes.get('node-a')!.unschedulable).toBe(true);
    // The pool's pods left; another workload's pod on the node is not the pool's to move.
    expect(c.pods.filter((p) => p.node === 'node-a').map((p) => p.name)).toEqual(['cache-1']);
    expect(c.pods.filter((p) => p.app === 'web').every((p) => p.readyAfter === 0)).toBe(true);
    expect(c.calls[0]).toBe('PATCH /api/v1/nodes/node-a');
    expect(c.calls.filter((x) => x.endsWith('/eviction'))).toHaveLength(2);
    expect(lines.at(-1)).toBe('node-a drained: 2 pod(s) ready elsewhere');
  });

  it('honours a PodDisruptionBudget: a refused eviction is tried again until it is allowed', async () => {
    const c = cluster(3);
    const kc = await apiServer(c);
    const report = await drainNode(kc, TARGET, { timeoutMs: 10_000, pollMs: 5 });
    expect(report.refusals).toBe(3);
    expect(report.evicted).toEqual(['web-1', 'web-2']);
    expect(c.calls.filter((x) => x.endsWith('/eviction'))).toHaveLength(5);
  });

  it('fails, naming the pod, when the budget still refuses at the deadline; the rollback uncordons', async () => {
    const c = cluster(1_000_000);
    const kc = await apiServer(c);
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    await expect(drainNode(kc, TARGET, { timeoutMs: 60_000, pollMs: 10_000, ...clock })).rejects.toThrow(
      'drain of node-a timed out after 60 s: the eviction of web-1 is still refused by a PodDisruptionBudget',
    );
    expect(c.nodes.get('node-a')!.unschedulable).toBe(true);
    await uncordonNode(kc, 'node-a');
    expect(c.nodes.get('node-a')!.unschedulable).toBe(false);
    expect(c.pods.filter((p) => p.node === 'node-a')).toHaveLength(3); // nothing was evicted
  });

  it('fails, saying how many are ready, when the replacements are not ready in time', async () => {
    const c = cluster();
    c.replicas = 4; // one more than will ever be ready
    const kc = await apiServer(c);
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    await expect(drainNode(kc, TARGET, { timeoutMs: 60_000, pollMs: 10_000, ...clock })).rejects.toThrow(
      /timed out after \d+ s: deployment web has 3 of 4 replicas ready/,
    );
  });

  it('retires the node by deleting it; a node already gone counts as retired', async () => {
    const c = cluster();
    const kc = await apiServer(c);
    await removeNode(kc, 'node-a');
    expect(c.nodes.has('node-a')).toBe(false);
    await removeNode(kc, 'node-a');
    await expect(uncordonNode(kc, 'node-a')).rejects.toThrow(
      'uncordoning node-a: HTTP 404: nodes "node-a" not found',
    );
  });
});
