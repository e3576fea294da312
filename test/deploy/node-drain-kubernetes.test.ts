// The Kubernetes switch, its rollback and the retirement against an API server of our own
// (test/support/fake-kube.ts), through the real client library. Every wait is on a condition the
// server reaches, never a fixed sleep.

import { afterEach, describe, expect, it } from 'vitest';
import { drainNode, removeNode, uncordonNode } from '../../src/deploy/pulumi/node-drain-kubernetes.js';
import { cluster, type FakeKube, fakeKube, type Cluster } from '../support/fake-kube.js';

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function apiServer(c: Cluster) {
  fake = await fakeKube(c);
  return fake.kc;
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

  it('checks the hand-off first: waits for the VolumeSnapshot to be ready, and refuses one smaller than the claim', async () => {
    const c = cluster();
    c.snapshots = new Map([
      ['web-standby-node-a-202612050745', { readyAfter: 3, restoreSize: '10Gi' }],
      ['small', { readyAfter: 0, restoreSize: '5Gi' }],
    ]);
    c.claims = new Map([['node-a-data', '10Gi']]);
    const kc = await apiServer(c);
    const lines: string[] = [];
    const handoff = { volumeSnapshot: 'web-standby-node-a-202612050745', claim: 'node-a-data' };
    await drainNode(
      kc,
      { ...TARGET, handoff },
      { timeoutMs: 10_000, pollMs: 5, onProgress: (l) => lines.push(l) },
    );
    expect(lines.slice(0, 4)).toEqual([
      'waiting for VolumeSnapshot shop/web-standby-node-a-202612050745 to be ready to use',
      'waiting for VolumeSnapshot shop/web-standby-node-a-202612050745 to be ready to use',
      'hand-off checked: VolumeSnapshot shop/web-standby-node-a-202612050745 ready, 10Gi',
      'cordoned node-a',
    ]);
    const c2 = cluster();
    c2.snapshots = new Map([['small', { readyAfter: 0, restoreSize: '5Gi' }]]);
    c2.claims = new Map([['node-a-data', '10Gi']]);
    await fake!.close();
    const kc2 = await apiServer(c2);
    await expect(
      drainNode(
        kc2,
        { ...TARGET, handoff: { volumeSnapshot: 'small', claim: 'node-a-data' } },
        { timeoutMs: 10_000, pollMs: 5 },
      ),
    ).rejects.toThrow(
      'hand-off of node-a: VolumeSnapshot shop/small restores 5Gi, the claim node-a-data holds 10Gi: the node stays in service',
    );
    // Nothing was touched: the node still takes pods.
    expect(c2.nodes.get('node-a')!.unschedulable).toBe(false);
    expect(c2.calls.some((x) => x.startsWith('PATCH'))).toBe(false);
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
