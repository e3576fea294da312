// Standby capacity beside the primary nodes the risk model marks at risk, one standby per node in
// the pool's `standby` map (node name → share of that node's traffic already moved, 0..1).
//
// Where: every standby pod is pinned to the standby's zone (node affinity on
// `topology.kubernetes.io/zone`: the node's own zone, unless the planner placed it elsewhere via
// `standbyZones`) and kept off the at-risk node itself (node affinity `kubernetes.io/hostname`
// NotIn [node]; this assumes the hostname label equals the node name, as it does on kind, EKS, GKE
// and AKS nodes, but not everywhere).
//
// How the room is kept warm, per `kubernetes.standby`:
// - `placeholder`: a Deployment of one pause pod (`registry.k8s.io/pause`) requesting one primary
//   replica's CPU and memory, in a PriorityClass of value -1 that never preempts. If the zone has
//   no room, the pod stays Pending and a cluster autoscaler adds a node for it; any real pod
//   (priority 0) preempts it at once. Without an autoscaler (kind) it only holds room that
//   exists. The stack update does not wait for it to be scheduled (`pulumi.com/skipAwait`), so a
//   slow scale-up does not fail the update. The pause pod stays while the node is in the standby
//   map: once the standby workload below takes its room, it goes Pending again and the autoscaler
//   keeps a replica's room free for the at-risk node's own pods if that node fails.
// - `node-label`: no pause pods; a standby Deployment of the real image runs from the start on
//   a dedicated node pool: nodes labelled `shadowcast.dev/node-pool=standby` (optionally tainted
//   `shadowcast.dev/node-pool=standby:NoSchedule`, which the standby tolerates) in that zone. At
//   share 0 it is warm but takes no traffic.
//
// Traffic: once share > 0, the standby workload (the real image, one primary replica's requests,
// `ceil(share × 1)` = 1 replica) carries the primary Service's selector (`shadowcast.dev/serves:
// primary`) and so takes traffic beside the primary pods. The Service spreads requests evenly over
// its ready endpoints, so the standby gets one endpoint's worth, not exactly `share` of the
// node's traffic. The node itself is cordoned and drained by the NodeDrain the stack declares
// for it once it is switched (share 1; stacks/node-drain.ts): its pods are evicted through the
// Eviction API, which honours the pool's PodDisruptionBudget, and land on the standby's room or
// other nodes; retired, the node is deleted from the cluster. In `node-label` mode, switching to serving changes
// the pod template, so the warm pod is replaced (strategy Recreate, same node pool, image cached).
//
// Data hand-off: when the node has a `claim` (a PersistentVolumeClaim in the pool's namespace),
// the serving standby mounts a clone of it at /data: a new PVC with
// `dataSource: {kind: PersistentVolumeClaim, name: claim}` (CSI volume cloning). The stack reads
// the source claim from the cluster for its storage class, access modes, volume mode and size, so
// the clone matches them (offline rendering cannot do this read). Requirements, checked by the
// cluster, not here: a CSI driver that implements cloning (kind's default local-path provisioner
// does not; csi-driver-host-path does), a dynamically provisioned source in the same namespace,
// and, per the Kubernetes docs, a source that is not in use: many drivers clone an attached volume
// anyway (a crash-consistent copy), others refuse or wait until it is detached. The clone is taken
// once, when traffic first moves, and never refreshed. Zonal block storage usually clones into
// the source's zone, so a standby the planner placed in another zone may not be able to attach
// it; the stack warns in that case.

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { KubernetesPoolSettings, KubernetesSettings } from '../config.js';
import { K8S_LABELS } from '../tags.js';
import {
  labelValue,
  objectLabels,
  objectName,
  SERVES_LABEL,
  STANDBY_KIND_LABEL,
  workloadSelector,
} from './naming.js';
import { appContainer, type Requests } from './shadow-pool.js';

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/**
 * Below every pod without a PriorityClass (0), so real pods preempt the placeholders; not below
 * the cluster autoscaler's default expendable cutoff (-10), under which it would not add nodes
 * for them.
 */
export const PLACEHOLDER_PRIORITY = -1;
/** Node label (and optional taint key) of the standby node pool in `node-label` mode. */
export const STANDBY_NODE_POOL_LABEL = 'shadowcast.dev/node-pool';
export const STANDBY_NODE_POOL_VALUE = 'standby';
/** Where the serving standby mounts the clone of the node's claim. */
export const DATA_MOUNT_PATH = '/data';
/** Replicas one node's standby stands for: one primary replica's worth. */
export const REPLICAS_PER_STANDBY = 1;
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** One standby to declare. */
export interface StandbyNode {
  /** The at-risk primary node this standby shadows (its Kubernetes node name). */
  node: string;
  /** Zone the standby goes in (`standbyZone()`). */
  zone: string;
  /** The node's own zone, when known. */
  nodeZone?: string;
  /** Share of the node's traffic already moved to the standby, 0..1. */
  share: number;
  /** PersistentVolumeClaim holding the node's data, in the pool's namespace. */
  claim?: string;
  /** The time the standby's copy of the claim is to be as of (the state's standbySync). */
  syncedAt?: number;
}

export interface StandbyNodesArgs {
  pool: string;
  namespace: string;
  mode: KubernetesSettings['standby'];
  /** With it, a node's claim is copied by VolumeSnapshots of this class at each sync time. */
  volumeSnapshotClass?: string;
  settings: KubernetesPoolSettings;
  nodes: StandbyNode[];
  labels?: Record<string, string>;
}

/** What was declared for one node's standby. */
export interface StandbyObjects {
  zone: string;
  share: number;
  /** The pause-pod Deployment (`placeholder` mode). */
  placeholder?: k8s.apps.v1.Deployment;
  /** The standby Deployment of the real image: `node-label` mode, or once share > 0. */
  workload?: k8s.apps.v1.Deployment;
  /** Whether the workload carries the primary Service's selector (share > 0). */
  serving: boolean;
  /** The copy of the node's claim the serving workload mounts. */
  dataClaim?: k8s.core.v1.PersistentVolumeClaim;
  /** The newest VolumeSnapshot of the node's claim (with a volumeSnapshotClass and a sync time). */
  snapshot?: { resource: k8s.apiextensions.CustomResource; name: string };
  /** Labels that select exactly the standby workload's pods. */
  selector: Record<string, string>;
}

/** Replicas of a standby workload at `share`: `ceil(share × 1)`, so 1 once any share has moved. */
export function standbyReplicas(share: number): number {
  return Math.ceil(share * REPLICAS_PER_STANDBY);
}

/** Required node affinity: in `zone`, and not on `node` itself. */
export function standbyAffinity(zone: string, node: string): k8s.types.input.core.v1.Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: ZONE_LABEL, operator: 'In', values: [zone] },
              { key: HOSTNAME_LABEL, operator: 'NotIn', values: [node] },
            ],
          },
        ],
      },
    },
  };
}

export class StandbyNodes extends pulumi.ComponentResource {
  /** The placeholders' PriorityClass: `placeholder` mode with at least one standby. */
  readonly priorityClass?: k8s.scheduling.v1.PriorityClass;
  readonly nodes: Record<string, StandbyObjects> = {};

  constructor(name: string, args: StandbyNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('shadowcast:kubernetes:StandbyNodes', name, {}, opts);
    const { pool, namespace, mode } = args;
    const extra = args.labels ?? {};
    if (mode === 'placeholder' && args.nodes.length > 0) {
      // Cluster-scoped: the namespace in the name keeps two stacks' pools apart.
      const pcName = objectName('shadowcast', namespace, pool, 'placeholder');
      this.priorityClass = new k8s.scheduling.v1.PriorityClass(
        pcName,
        {
          metadata: { name: pcName, labels: objectLabels(pool, 'standby', extra) },
          value: PLACEHOLDER_PRIORITY,
          globalDefault: false,
          preemptionPolicy: 'Never',
          description: `shadowcast: placeholder pods holding standby room for pool ${pool} in ${namespace}; any real pod preempts them.`,
        },
        { parent: this },
      );
    }
    const requests: Requests = { cpu: args.settings.cpu, memory: args.settings.memory };
    for (const standby of args.nodes) {
      this.nodes[standby.node] = this.standby(args, standby, requests, extra);
    }
    this.registerOutputs({
      priorityClass: this.priorityClass?.metadata.name,
      nodes: Object.fromEntries(
        Object.entries(this.nodes).map(([node, o]) => [
          node,
          { placeholder: o.placeholder?.metadata.name, workload: o.workload?.metadata.name },
        ]),
      ),
    });
  }

  private standby(
    args: StandbyNodesArgs,
    standby: StandbyNode,
    requests: Requests,
    extra: Record<string, string>,
  ): StandbyObjects {
    const { pool, namespace, mode } = args;
    const { node, zone, share } = standby;
    const shadows = { [K8S_LABELS.shadows]: labelValue(node) };
    const affinity = standbyAffinity(zone, node);
    const serving = share > 0;
    const selector = { ...workloadSelector(pool, 'standby', node), [STANDBY_KIND_LABEL]: 'workload' };
    const objects: StandbyObjects = { zone, share, serving, selector };
    if (
      standby.claim !== undefined &&
      args.volumeSnapshotClass !== undefined &&
      standby.syncedAt !== undefined
    ) {
      objects.snapshot = this.snapshotClaim(args, standby, extra);
    }

    if (mode === 'placeholder') {
      const name = objectName(pool, 'placeholder', node);
      const labels = objectLabels(pool, 'standby', extra, {
        ...shadows,
        [STANDBY_KIND_LABEL]: 'placeholder',
      });
      objects.placeholder = new k8s.apps.v1.Deployment(
        name,
        {
          metadata: { name, namespace, labels, annotations: { 'pulumi.com/skipAwait': 'true' } },
          spec: {
            replicas: 1,
            selector: {
              matchLabels: {
                ...workloadSelector(pool, 'standby', node),
                [STANDBY_KIND_LABEL]: 'placeholder',
              },
            },
            template: {
              metadata: { labels },
              spec: {
                priorityClassName: this.priorityClass!.metadata.name,
                terminationGracePeriodSeconds: 0,
                automountServiceAccountToken: false,
                affinity,
                containers: [
                  {
                    name: 'pause',
                    image: PAUSE_IMAGE,
                    resources: { requests: { cpu: requests.cpu, memory: requests.memory } },
                  },
                ],
              },
            },
          },
        },
        { parent: this },
      );
    }

    if (mode === 'node-label' || serving) {
      if (serving && standby.claim !== undefined) {
        objects.dataClaim = this.cloneClaim(args, standby, extra, objects.snapshot);
      }
      const name = objectName(pool, 'standby', node);
      const labels = objectLabels(pool, 'standby', extra, { ...shadows, [STANDBY_KIND_LABEL]: 'workload' });
      const podLabels = serving ? { ...labels, [SERVES_LABEL]: 'primary' } : labels;
      const data = objects.dataClaim;
      objects.workload = new k8s.apps.v1.Deployment(
        name,
        {
          metadata: { name, namespace, labels },
          spec: {
            replicas: mode === 'node-label' ? Math.max(1, standbyReplicas(share)) : standbyReplicas(share),
            // One replica, maybe a ReadWriteOnce volume: replace in place rather than surge.
            strategy: { type: 'Recreate' },
            selector: { matchLabels: selector },
            template: {
              metadata: { labels: podLabels },
              spec: {
                affinity,
                ...(mode === 'node-label'
                  ? {
                      nodeSelector: { [STANDBY_NODE_POOL_LABEL]: STANDBY_NODE_POOL_VALUE },
                      tolerations: [
                        {
                          key: STANDBY_NODE_POOL_LABEL,
                          operator: 'Equal',
                          value: STANDBY_NODE_POOL_VALUE,
                          effect: 'NoSchedule',
                        },
                      ],
                    }
                  : {}),
                containers: [
                  appContainer(
                    pool,
                    args.settings,
                    requests,
                    data ? [{ name: 'data', mountPath: DATA_MOUNT_PATH }] : undefined,
                  ),
                ],
                ...(data
                  ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: data.metadata.name } }] }
                  : {}),
              },
            },
          },
        },
        { parent: this },
      );
    }
    return objects;
  }

  /**
   * A VolumeSnapshot of the node's claim as of its sync time: a new one (a new name) for each time
   * the planner moves it on, the last one deleted once the new one is declared.
   */
  private snapshotClaim(
    args: StandbyNodesArgs,
    standby: StandbyNode,
    extra: Record<string, string>,
  ): { resource: k8s.apiextensions.CustomResource; name: string } {
    const { pool, namespace } = args;
    const stamp = new Date(standby.syncedAt!).toISOString().slice(0, 16).replace(/[-T:]/g, '');
    const name = `${objectName(pool, 'standby', standby.node)}-${stamp}`.slice(0, 253);
    const resource = new k8s.apiextensions.CustomResource(
      objectName(pool, 'standby', standby.node, 'snapshot'),
      {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: {
          name,
          namespace,
          labels: objectLabels(pool, 'standby', extra, { [K8S_LABELS.shadows]: labelValue(standby.node) }),
        },
        spec: {
          volumeSnapshotClassName: args.volumeSnapshotClass,
          source: { persistentVolumeClaimName: standby.claim },
        },
      },
      { parent: this },
    );
    return { resource, name };
  }

  /**
   * A copy of the node's claim: same storage class, access and volume modes, at least its size;
   * restored from its newest VolumeSnapshot when there is one, else a CSI clone of the claim.
   */
  private cloneClaim(
    args: StandbyNodesArgs,
    standby: StandbyNode,
    extra: Record<string, string>,
    snapshot?: { resource: k8s.apiextensions.CustomResource; name: string },
  ): k8s.core.v1.PersistentVolumeClaim {
    const { pool, namespace } = args;
    const { node, claim } = standby;
    if (standby.nodeZone !== undefined && standby.nodeZone !== standby.zone) {
      void pulumi.log.warn(
        `pool ${pool}: the standby for ${node} is in ${standby.zone} but its claim ${claim} is in ${standby.nodeZone}; ` +
          'zonal storage usually clones into the source zone, where this standby cannot attach it',
        this,
      );
    }
    const source = k8s.core.v1.PersistentVolumeClaim.get(
      objectName(pool, 'source', node),
      `${namespace}/${claim}`,
      {
        parent: this,
      },
    );
    const size = pulumi.all([source.status, source.spec]).apply(([status, spec]) => {
      const storage = status?.capacity?.storage ?? spec?.resources?.requests?.storage;
      if (storage === undefined)
        throw new Error(`PersistentVolumeClaim ${namespace}/${claim} has no size to clone`);
      return storage;
    });
    const name = objectName(pool, 'standby', node, 'data');
    return new k8s.core.v1.PersistentVolumeClaim(
      name,
      {
        metadata: {
          name,
          namespace,
          labels: objectLabels(pool, 'standby', extra, { [K8S_LABELS.shadows]: labelValue(node) }),
        },
        spec: {
          accessModes: source.spec.accessModes,
          storageClassName: source.spec.storageClassName,
          volumeMode: source.spec.volumeMode,
          resources: { requests: { storage: size } },
          dataSource: snapshot
            ? { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshot.name }
            : { kind: 'PersistentVolumeClaim', name: claim! },
        },
      },
      { parent: this, ...(snapshot ? { dependsOn: [snapshot.resource] } : {}) },
    );
  }
}
