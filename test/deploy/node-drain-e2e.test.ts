// The Kubernetes NodeDrain through the real Pulumi engine: an inline program declaring the resource
// as the Kubernetes stack does, shadowcast's provider plugin (the built one, from dist/) on the
// CLI's PATH, a file backend in a temporary directory, and an API server of our own standing in
// for the cluster (test/support/fake-kube.ts). `pulumi up` switches the node out (cordoned, the
// pool's pods evicted past a PodDisruptionBudget that refuses twice, ready elsewhere); removing the
// resource from the program (a rolled-back switch) uncordons it; `retired: true` deletes the node,
// and removing it after that leaves the cluster alone.
//
// Needs the engine (npm run engine); skips with one line without it, fails in CI
// (SHADOWCAST_E2E_REQUIRED=1).

import { join } from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesNodeDrain } from '../../stacks/node-drain.js';
import { cluster, type Cluster, type FakeKube, fakeKube } from '../support/fake-kube.js';
import { type PluginStack, pluginStack } from '../support/plugin-stack.js';
import { pulumiCli } from '../support/pulumi-cli.js';

const MINUTES = 60_000;
const cli = pulumiCli('node drain e2e');

describe.skipIf(!cli)(`a Kubernetes NodeDrain through the engine (${cli ?? 'no CLI'})`, () => {
  let kubeconfig: string;
  let fake: FakeKube;
  let c: Cluster;
  let stack: Stack;
  /** What the program declares on the next `up`: nothing, or the drain of node-a. */
  let declared: { retired: boolean } | undefined;

  const program = async () => {
    if (!declared) return {};
    const drain = new KubernetesNodeDrain('web-drain-node-a', {
      node: 'node-a',
      namespace: 'shop',
      deployment: 'web',
      selector: { app: 'web' },
      retired: declared.retired,
      timeoutSeconds: 120,
      kubeconfig,
    });
    return { drained: drain.id };
  };

  let made: PluginStack | undefined;
  beforeAll(async () => {
    made = await pluginStack('shadowcast-node-drain-e2e', program);
    stack = made.stack;
    kubeconfig = join(made.root, 'kubeconfig');
    c = cluster(2);
    fake = await fakeKube(c);
    fake.writeKubeconfig(kubeconfig);
  }, MINUTES);
  afterAll(async () => {
    await fake?.close();
    await made?.remove();
  }, MINUTES);

  it(
    'up switches the node out: cordoned, the pool’s pods evicted past the budget, ready elsewhere',
    async () => {
      declared = { retired: false };
      const up = await stack.up();
      expect(up.summary.result).toBe('succeeded');
      expect(up.outputs.drained!.value).toBe('node-a');
      expect(c.nodes.get('node-a')!.unschedulable).toBe(true);
      expect(c.pods.filter((p) => p.node === 'node-a').map((p) => p.name)).toEqual(['cache-1']);
      expect(c.pods.filter((p) => p.app === 'web')).toHaveLength(3);
      expect(c.pods.filter((p) => p.app === 'web').every((p) => p.readyAfter === 0)).toBe(true);
      expect(c.pdbRefusals).toBe(0); // both refusals were met and waited out
      // Nothing to do on a second up: the drain is not repeated.
      const calls = c.calls.length;
      expect((await stack.up()).summary.resourceChanges).toEqual({ same: 2 });
      expect(c.calls.slice(calls).filter((x) => x !== 'GET /version')).toEqual([]);
    },
    5 * MINUTES,
  );

  it(
    'a rolled-back switch (the resource gone from the program) uncordons the node',
    async () => {
      declared = undefined;
      const up = await stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ delete: 1 });
      expect(c.nodes.get('node-a')!.unschedulable).toBe(false);
    },
    5 * MINUTES,
  );

  it(
    'retired, the node is deleted from the cluster; releasing it afterwards touches nothing',
    async () => {
      declared = { retired: false };
      await stack.up();
      expect(c.nodes.get('node-a')!.unschedulable).toBe(true);
      declared = { retired: true };
      const up = await stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(c.nodes.has('node-a')).toBe(false);
      declared = undefined;
      const calls = c.calls.length;
      await stack.up();
      expect(c.calls.slice(calls)).toEqual([]);
      expect(c.nodes.has('node-a')).toBe(false);
    },
    5 * MINUTES,
  );
});
