// One pool's primary and shadow on Kubernetes: a Deployment each (replicas from the
// DesiredState), a ClusterIP Service each (what the route's backends point at), and a
// PodDisruptionBudget each (at most `maxUnavailable` pods evicted at once). The shadow runs the
// same image as the primary with `shadowRequestShare` of its CPU and memory requests: a lighter,
// warm replica that takes a small weight of the traffic and grows when the forecast asks.
//
// Both spread their pods over the cluster's zones (topologySpreadConstraints on
// topology.kubernetes.io/zone, max skew 1, best effort). Every pod has a TCP readiness probe on the pool's port, so neither Service nor route sends it
// traffic before it accepts connections, and Pulumi's Deployment await (the stack update finishes
// once the new pods are Ready) means "applied" also means "serving".

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { KubernetesPoolSettings } from '../config.js';
import {
  type Backend,
  objectLabels,
  objectName,
  SERVES_LABEL,
  serviceSelector,
  workloadSelector,
} from './naming.js';
import { scaleCpu, scaleMemory } from '../../src/core/quantity.js';

/** The well-known node label the primary and shadow pods spread over. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** CPU and memory requests of one pod. */
export interface Requests {
  cpu: string;
  memory: string;
}

export interface ShadowPoolArgs {
  pool: string;
  namespace: string;
  /** Replicas of the primary and the shadow: the DesiredState's `primary` and `shadow`. */
  primary: number;
  shadow: number;
  settings: KubernetesPoolSettings;
  /** The stack's extra labels, under shadowcast's own. */
  labels?: Record<string, string>;
}

/** One side of the pool (primary or shadow) and what selects its pods. */
export interface PoolWorkload {
  deployment: k8s.apps.v1.Deployment;
  service: k8s.core.v1.Service;
  podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  /** Labels that select exactly this Deployment's pods. */
  selector: Record<string, string>;
  replicas: number;
  requests: Requests;
}

/** The shadow's requests: `shadowRequestShare` of the primary's, rounded up. */
export function shadowRequests(settings: KubernetesPoolSettings): Requests {
  return {
    cpu: scaleCpu(settings.cpu, settings.shadowRequestShare),
    memory: scaleMemory(settings.memory, settings.shadowRequestShare),
  };
}

/** The pool's container: its image, the `http` port, requests, and a TCP readiness probe. */
export function appContainer(
  pool: string,
  settings: KubernetesPoolSettings,
  requests: Requests,
  volumeMounts?: k8s.types.input.core.v1.VolumeMount[],
): k8s.types.input.core.v1.Container {
  return {
    name: pool,
    image: settings.image,
    ports: [{ name: 'http', containerPort: settings.port, protocol: 'TCP' }],
    resources: { requests: { cpu: requests.cpu, memory: requests.memory } },
    readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
    ...(volumeMounts ? { volumeMounts } : {}),
  };
}

export class ShadowPool extends pulumi.ComponentResource {
  readonly primary: PoolWorkload;
  readonly shadow: PoolWorkload;

  constructor(name: string, args: ShadowPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super('shadowcast:kubernetes:ShadowPool', name, {}, opts);
    const primaryRequests = { cpu: args.settings.cpu, memory: args.settings.memory };
    this.primary = this.workload(args, 'primary', args.primary, primaryRequests);
    this.shadow = this.workload(args, 'shadow', args.shadow, shadowRequests(args.settings));
    this.registerOutputs({
      primaryDeployment: this.primary.deployment.metadata.name,
      primaryService: this.primary.service.metadata.name,
      shadowDeployment: this.shadow.deployment.metadata.name,
      shadowService: this.shadow.service.metadata.name,
    });
  }

  private workload(
    args: ShadowPoolArgs,
    backend: Backend,
    replicas: number,
    requests: Requests,
  ): PoolWorkload {
    const { pool, namespace, settings } = args;
    const extra = args.labels ?? {};
    const name = objectName(pool, backend);
    const labels = objectLabels(pool, backend, extra);
    const selector = workloadSelector(pool, backend);
    const parent = { parent: this };

    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name, namespace, labels },
        spec: {
          replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: objectLabels(pool, backend, extra, { [SERVES_LABEL]: backend }) },
            spec: {
              containers: [appContainer(pool, settings, requests)],
              // Spread over the zones, so losing one zone loses a share of each pool, never all
              // of one; best effort (a zone short of room does not hold a rollout back).
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: ZONE_LABEL,
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: selector },
                },
              ],
            },
          },
        },
      },
      parent,
    );
    const service = new k8s.core.v1.Service(
      name,
      {
        metadata: { name, namespace, labels },
        spec: {
          type: 'ClusterIP',
          selector: serviceSelector(pool, backend),
          ports: [{ name: 'http', port: settings.port, targetPort: 'http', protocol: 'TCP' }],
        },
      },
      parent,
    );
    const podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      name,
      {
        metadata: { name, namespace, labels },
        spec: { maxUnavailable: settings.maxUnavailable, selector: { matchLabels: selector } },
      },
      parent,
    );
    return { deployment, service, podDisruptionBudget, selector, replicas, requests };
  }
}
