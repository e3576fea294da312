// The `NodeDrain` resources of shadowcast's provider plugin: one per node switched out for its
// standby, declared by the AWS and Kubernetes stacks while the pool's state has the node's
// standby at 1. Its life is the node's:
//
//   create                 switch: drain the node and take it out of service
//   update retired → true  retire: terminate it (delete it from the cluster)
//   delete, not retired    undo the switch (a rollback): the node serves again
//   delete, retired        nothing: the node is gone, its standby is being released
//
// Node drains on the targets themselves are in node-drain-aws.ts and node-drain-kubernetes.ts.

import type { AwsNodeTarget } from './node-drain-aws.js';
import type { KubeNodeTarget } from './node-drain-kubernetes.js';

export const AWS_NODE_DRAIN_TYPE = 'shadowcast:aws:NodeDrain';
export const KUBERNETES_NODE_DRAIN_TYPE = 'shadowcast:kubernetes:NodeDrain';
/** How long a drain may take when the stack does not say (the step's own deadline bounds it too). */
export const DEFAULT_DRAIN_TIMEOUT_S = 600;
/** Between readings while a drain waits: the Kubernetes API is cheap to ask; AWS's is throttled. */
const POLL_MS = { kubernetes: 1_000, aws: 2_000 };

interface Common {
  retired: boolean;
  timeoutSeconds?: number;
}
export type AwsNodeDrainInputs = Common &
  AwsNodeTarget & {
    /** Absent: the SDK's default (AWS_REGION, the profile). */
    region?: string;
  };
export type KubernetesNodeDrainInputs = Common &
  KubeNodeTarget & {
    /** A kubeconfig file; absent: the default (KUBECONFIG, ~/.kube/config, or in-cluster). */
    kubeconfig?: string;
    context?: string;
  };

/** The switch, undo and retirement on one target. */
interface Ops<I> {
  id(inputs: I): string;
  /** Inputs whose change means another node: a replacement, never an update. */
  identity: (keyof I)[];
  drain(inputs: I): Promise<unknown>;
  undo(inputs: I): Promise<void>;
  retire(inputs: I): Promise<void>;
}

const timing = (i: Common, pollMs: number) => ({
  timeoutMs: (i.timeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_S) * 1000,
  pollMs,
});

const awsOps: Ops<AwsNodeDrainInputs> = {
  id: (i) => i.instanceId,
  identity: ['instanceId', 'autoScalingGroup', 'region'],
  async drain(i) {
    const { awsClients, drainInstance } = await import('./node-drain-aws.js');
    return drainInstance(awsClients(i.region), i, timing(i, POLL_MS.aws));
  },
  async undo(i) {
    const { awsClients, restoreInstance } = await import('./node-drain-aws.js');
    await restoreInstance(awsClients(i.region), i);
  },
  async retire(i) {
    const { awsClients, retireInstance } = await import('./node-drain-aws.js');
    await retireInstance(awsClients(i.region), i, timing(i, POLL_MS.aws));
  },
};

async function kubeConfig(i: KubernetesNodeDrainInputs) {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (i.kubeconfig) kc.loadFromFile(i.kubeconfig);
  else kc.loadFromDefault();
  if (i.context) kc.setCurrentContext(i.context);
  return kc;
}

const kubernetesOps: Ops<KubernetesNodeDrainInputs> = {
  id: (i) => i.node,
  identity: ['node', 'namespace', 'kubeconfig', 'context'],
  async drain(i) {
    const { drainNode } = await import('./node-drain-kubernetes.js');
    return drainNode(await kubeConfig(i), i, timing(i, POLL_MS.kubernetes));
  },
  async undo(i) {
    const { uncordonNode } = await import('./node-drain-kubernetes.js');
    await uncordonNode(await kubeConfig(i), i.node);
  },
  async retire(i) {
    const { removeNode } = await import('./node-drain-kubernetes.js');
    await removeNode(await kubeConfig(i), i.node);
  },
};

/** A resource provider (as @pulumi/pulumi/provider serves it) for one target's NodeDrain. */
function nodeDrainProvider<I extends Common>(ops: Ops<I>) {
  return {
    async check(_urn: string, _olds: I, news: I) {
      return { inputs: news };
    },
    async diff(_id: string, _urn: string, olds: I, news: I) {
      const replaces = ops.identity.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
      const changes = replaces.length > 0 || JSON.stringify(olds) !== JSON.stringify(news);
      return { changes, ...(replaces.length ? { replaces: replaces.map(String) } : {}) };
    },
    async create(_urn: string, inputs: I) {
      await ops.drain(inputs);
      if (inputs.retired) await ops.retire(inputs);
      return { id: ops.id(inputs), outs: inputs };
    },
    async update(id: string, _urn: string, olds: I, news: I) {
      if (olds.retired && !news.retired) {
        throw new Error(`${id} was retired (terminated): it cannot be put back in service`);
      }
      if (news.retired && !olds.retired) await ops.retire(news);
      return { outs: news };
    },
    async read(id: string, _urn: string, props?: I) {
      return { id, props };
    },
    async delete(_id: string, _urn: string, props: I) {
      if (!props.retired) await ops.undo(props);
    },
  };
}

export const awsNodeDrain = nodeDrainProvider(awsOps);
export const kubernetesNodeDrain = nodeDrainProvider(kubernetesOps);
