// The Kubernetes target: per pool in the DesiredState, a ShadowPool (primary and shadow
// Deployments, Services, PodDisruptionBudgets), StandbyNodes (standby room and workloads beside
// at-risk nodes) and WeightedRouting (HTTPRoute or ingress-nginx canary). Everything goes through
// the default Kubernetes provider, so the stack's `kubernetes:*` config applies (`kubernetes:context`,
// `kubernetes:renderYamlToDirectory` for an offline render).
//
// The namespace (`shadowcast:kubernetes.namespace`, default `default`) must already exist: the
// stack does not create or own it. Every value is checked before the first resource is declared,
// so a bad setting fails the update with one message naming its key, not halfway through.

import * as pulumi from '@pulumi/pulumi';
import { type StackConfig, StackConfigError, standbyZone } from '../config.js';
import { KubernetesNodeDrain, switchedNodes } from '../node-drain.js';
import { parseCpu, parseMemory } from '../../src/core/quantity.js';
import { ShadowPool, type PoolWorkload } from './shadow-pool.js';
import { type StandbyNode, StandbyNodes } from './standby-nodes.js';
import { type PercentWeights, WeightedRouting } from './weighted-routing.js';

export type KubernetesStackConfig = Extract<StackConfig, { target: 'kubernetes' }>;

/** A primary or shadow Deployment and the Service in front of it. */
export interface KubernetesWorkloadOutputs {
  deployment: pulumi.Output<string>;
  service: pulumi.Output<string>;
  podDisruptionBudget: pulumi.Output<string>;
  /** Pod labels selecting exactly this Deployment's pods (e.g. for kube_pod_labels). */
  selector: Record<string, string>;
  replicas: number;
  requests: { cpu: string; memory: string };
}

/** One node's standby. */
export interface KubernetesStandbyOutputs {
  zone: string;
  share: number;
  /** Pause-pod Deployment (`placeholder` mode). */
  placeholder?: pulumi.Output<string>;
  /** Standby Deployment of the real image (`node-label` mode, or once share > 0). */
  workload?: pulumi.Output<string>;
  /** Whether the workload's pods are behind the primary Service. */
  serving: boolean;
  /** The clone of the node's PersistentVolumeClaim the serving workload mounts. */
  dataClaim?: pulumi.Output<string>;
  /** Pod labels selecting exactly the standby workload's pods. */
  selector: Record<string, string>;
  /** The newest VolumeSnapshot of the node's claim, when its data is synced by snapshots. */
  snapshot?: string;
  /** Once switched: the node's NodeDrain (cordoned, its pods evicted), and whether it is retired. */
  drained?: pulumi.Output<string>;
  retired?: boolean;
}

export interface KubernetesRoutingOutputs {
  kind: 'HTTPRoute' | 'Ingress';
  /** The HTTPRoute, or the main Ingress. */
  name: pulumi.Output<string>;
  /** The canary Ingress (`ingress-nginx`). */
  canary?: pulumi.Output<string>;
}

export interface KubernetesPoolOutputs {
  namespace: string;
  primary: KubernetesWorkloadOutputs;
  shadow: KubernetesWorkloadOutputs;
  routing: KubernetesRoutingOutputs;
  /** By node name. */
  standby: Record<string, KubernetesStandbyOutputs>;
  /** The placeholders' PriorityClass (cluster-scoped), when any. */
  priorityClass?: pulumi.Output<string>;
  /** Route weights as applied, in percent (sum 100). */
  weights: PercentWeights;
}

/** Declares every pool of the DesiredState; returns, per pool, what the deployer looks up. */
export function declareKubernetes(config: KubernetesStackConfig): Record<string, KubernetesPoolOutputs> {
  const k8s = config.kubernetes;
  check(config);
  const outputs: Record<string, KubernetesPoolOutputs> = {};
  for (const [pool, state] of Object.entries(config.desired.pools)) {
    const settings = k8s.pools[pool]!;
    const common = { pool, namespace: k8s.namespace, labels: k8s.labels };
    const pair = new ShadowPool(pool, { ...common, primary: state.primary, shadow: state.shadow, settings });
    const nodes: StandbyNode[] = Object.entries(state.standby).map(([node, share]) => {
      const info = config.nodes[node];
      return {
        node,
        zone: standbyZone(config, pool, node),
        share,
        ...(info?.zone !== undefined ? { nodeZone: info.zone } : {}),
        ...(info?.claim !== undefined ? { claim: info.claim } : {}),
        ...(state.standbySync?.[node] !== undefined ? { syncedAt: state.standbySync[node] } : {}),
      };
    });
    const standby = new StandbyNodes(pool, {
      ...common,
      mode: k8s.standby,
      ...(k8s.volumeSnapshotClass !== undefined ? { volumeSnapshotClass: k8s.volumeSnapshotClass } : {}),
      settings,
      nodes,
    });
    // Each switched node: cordoned and its pods evicted once its standby serves (it is declared
    // after the standby's workload), uncordoned if the switch is rolled back, deleted when retired.
    const context = new pulumi.Config('kubernetes').get('context');
    const drains: Record<string, KubernetesNodeDrain> = {};
    for (const { node, retired } of switchedNodes(state)) {
      const s = standby.nodes[node]!;
      const claim = nodes.find((x) => x.node === node)?.claim;
      drains[node] = new KubernetesNodeDrain(
        `${pool}-drain-${node}`,
        {
          node,
          namespace: k8s.namespace,
          deployment: pair.primary.deployment.metadata.name,
          selector: pair.primary.selector,
          retired,
          timeoutSeconds: k8s.drainTimeoutSeconds,
          ...(s.snapshot && s.dataClaim && claim !== undefined
            ? { handoff: { volumeSnapshot: s.snapshot.name, claim } }
            : {}),
          ...(context !== undefined ? { context } : {}),
        },
        { dependsOn: [s.workload ?? s.placeholder].filter((r) => r !== undefined) },
      );
    }
    const routing = new WeightedRouting(pool, {
      ...common,
      routing: k8s.routing,
      ...(k8s.gateway ? { gateway: k8s.gateway } : {}),
      ...(k8s.host !== undefined ? { host: k8s.host } : {}),
      port: settings.port,
      primaryService: pair.primary.service.metadata.name,
      shadowService: pair.shadow.service.metadata.name,
      weights: state.weights,
    });

    outputs[pool] = {
      namespace: k8s.namespace,
      primary: workloadOutputs(pair.primary),
      shadow: workloadOutputs(pair.shadow),
      routing: routing.route
        ? { kind: 'HTTPRoute', name: routing.route.metadata.name }
        : { kind: 'Ingress', name: routing.ingress!.metadata.name, canary: routing.canary!.metadata.name },
      standby: Object.fromEntries(
        Object.entries(standby.nodes).map(([node, o]) => [
          node,
          {
            zone: o.zone,
            share: o.share,
            serving: o.serving,
            selector: o.selector,
            ...(o.placeholder ? { placeholder: o.placeholder.metadata.name } : {}),
            ...(o.workload ? { workload: o.workload.metadata.name } : {}),
            ...(o.dataClaim ? { dataClaim: o.dataClaim.metadata.name } : {}),
            ...(drains[node]
              ? { drained: drains[node].id, retired: state.retired?.includes(node) ?? false }
              : {}),
            ...(o.snapshot ? { snapshot: o.snapshot.name } : {}),
          },
        ]),
      ),
      ...(standby.priorityClass ? { priorityClass: standby.priorityClass.metadata.name } : {}),
      weights: routing.percents,
    };
  }
  return outputs;
}

function workloadOutputs(w: PoolWorkload): KubernetesWorkloadOutputs {
  return {
    deployment: w.deployment.metadata.name,
    service: w.service.metadata.name,
    podDisruptionBudget: w.podDisruptionBudget.metadata.name,
    selector: w.selector,
    replicas: w.replicas,
    requests: w.requests,
  };
}

/** What parseStackConfig leaves to the target: quantities, and a host for ingress-nginx. */
function check(config: KubernetesStackConfig): void {
  const k8s = config.kubernetes;
  for (const pool of Object.keys(config.desired.pools)) {
    const settings = k8s.pools[pool]!;
    if (parseCpu(settings.cpu) === undefined) {
      throw new StackConfigError(
        `shadowcast:kubernetes.pools.${pool}.cpu: ${JSON.stringify(settings.cpu)} is not a CPU quantity like 500m or 2`,
      );
    }
    if (parseMemory(settings.memory) === undefined) {
      throw new StackConfigError(
        `shadowcast:kubernetes.pools.${pool}.memory: ${JSON.stringify(settings.memory)} is not a memory quantity like 512Mi or 1Gi`,
      );
    }
    for (const node of Object.keys(config.desired.pools[pool]!.standby)) standbyZone(config, pool, node);
  }
  if (k8s.routing === 'ingress-nginx' && k8s.host === undefined) {
    throw new StackConfigError(
      'shadowcast:kubernetes.host: routing is ingress-nginx, so set the host the pools answer for ' +
        '(the canary Ingress is matched to the main one by host)',
    );
  }
  if (k8s.routing === 'gateway' && !k8s.gateway) {
    throw new StackConfigError('shadowcast:kubernetes.gateway: routing is gateway, so set {name, namespace}');
  }
}
