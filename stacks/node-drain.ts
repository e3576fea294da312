// A node switched out for its standby, as the AWS and Kubernetes stacks declare it while the pool's
// state has the node's standby at 1: a `NodeDrain` resource of shadowcast's provider plugin
// (src/deploy/pulumi/provider-plugin.ts). Creating it drains the node and takes it out of service;
// `retired: true` terminates it (deletes it from the cluster); deleting it before that (a rollback
// of the switch) puts the node back in service.

import * as pulumi from '@pulumi/pulumi';
import {
  AWS_NODE_DRAIN_TYPE,
  type AwsNodeDrainInputs,
  KUBERNETES_NODE_DRAIN_TYPE,
  type KubernetesNodeDrainInputs,
} from '../src/deploy/pulumi/node-drain-provider.js';

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export class AwsNodeDrain extends pulumi.CustomResource {
  declare readonly instanceId: pulumi.Output<string>;
  declare readonly retired: pulumi.Output<boolean>;
  constructor(name: string, inputs: Inputs<AwsNodeDrainInputs>, opts?: pulumi.CustomResourceOptions) {
    super(AWS_NODE_DRAIN_TYPE, name, { ...inputs }, opts);
  }
}

export class KubernetesNodeDrain extends pulumi.CustomResource {
  declare readonly node: pulumi.Output<string>;
  declare readonly retired: pulumi.Output<boolean>;
  constructor(name: string, inputs: Inputs<KubernetesNodeDrainInputs>, opts?: pulumi.CustomResourceOptions) {
    super(KUBERNETES_NODE_DRAIN_TYPE, name, { ...inputs }, opts);
  }
}

/** The nodes of a pool state switched out (standby at 1), each with whether it is retired. */
export function switchedNodes(state: { standby: Record<string, number>; retired?: string[] }) {
  return Object.entries(state.standby)
    .filter(([, share]) => share >= 1)
    .map(([node]) => ({ node, retired: state.retired?.includes(node) ?? false }))
    .sort((a, b) => a.node.localeCompare(b.node));
}
