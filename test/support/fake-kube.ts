// A Kubernetes API server of our own for the node-drain tests: plain HTTP, the endpoints a drain
// uses (nodes, the pool's pods, evictions, its Deployment), a PodDisruptionBudget that refuses
// evictions a number of times, and a Deployment whose evicted pods come back ready on another
// node a few reads later. It records every call.

import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface Pod {
  name: string;
  node: string;
  app: string;
  /** Counts as ready once the server has answered this many more deployment reads. */
  readyAfter: number;
}

export interface Cluster {
  nodes: Map<string, { unschedulable: boolean }>;
  pods: Pod[];
  /** Evictions the PodDisruptionBudget refuses before it allows them. */
  pdbRefusals: number;
  replicas: number;
  calls: string[];
  /** VolumeSnapshots by name: ready to use after this many more reads, restoring this size. */
  snapshots?: Map<string, { readyAfter: number; restoreSize: string }>;
  /** PersistentVolumeClaims by name, with their capacity. */
  claims?: Map<string, string>;
}

export interface FakeKube {
  kc: KubeConfig;
  server: string;
  /** A kubeconfig file pointing at the server. */
  writeKubeconfig(file: string): void;
  close(): Promise<void>;
}

export async function fakeKube(cluster: Cluster): Promise<FakeKube> {
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
        if (req.headers['content-type'] !== 'application/merge-patch+json') {
          return status(res, 415, `unsupported patch type ${req.headers['content-type']}`);
        }
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
    if (
      (m = /^\/apis\/snapshot\.storage\.k8s\.io\/v1\/namespaces\/shop\/volumesnapshots\/([^/]+)$/.exec(
        url.pathname,
      ))
    ) {
      const snap = cluster.snapshots?.get(m[1]!);
      if (!snap) return status(res, 404, `volumesnapshots.snapshot.storage.k8s.io "${m[1]}" not found`);
      snap.readyAfter = Math.max(0, snap.readyAfter - 1);
      return json(res, 200, {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: m[1], namespace: 'shop' },
        status: { readyToUse: snap.readyAfter === 0, restoreSize: snap.restoreSize },
      });
    }
    if ((m = /^\/api\/v1\/namespaces\/shop\/persistentvolumeclaims\/([^/]+)$/.exec(url.pathname))) {
      const size = cluster.claims?.get(m[1]!);
      if (size === undefined) return status(res, 404, `persistentvolumeclaims "${m[1]}" not found`);
      return json(res, 200, {
        kind: 'PersistentVolumeClaim',
        metadata: { name: m[1], namespace: 'shop' },
        spec: { resources: { requests: { storage: size } } },
        status: { capacity: { storage: size } },
      });
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
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => status(res, 500, String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const options = {
    clusters: [{ name: 'test', server: url, skipTLSVerify: true }],
    users: [{ name: 'test' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  };
  const kc = new KubeConfig();
  kc.loadFromOptions(options);
  return {
    kc,
    server: url,
    writeKubeconfig: (file) =>
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'test', user: {} }],
          contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
          'current-context': 'test',
        }),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Three nodes; the pool `web` has two pods on node-a and one on node-b; another app's pod on node-a. */
export function cluster(pdbRefusals = 0): Cluster {
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
