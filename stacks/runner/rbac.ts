// What a runner needs to drive Kubernetes pool stacks from inside the cluster: the objects
// stacks/kubernetes declares, in the pools' namespaces, and the placeholders' PriorityClass
// cluster-wide, plus read access to what Pulumi's await logic watches (ReplicaSets, Pods, Events).
// Pure data; the component binds it to the runner's ServiceAccount.

import type * as k8s from '@pulumi/kubernetes';

type Rule = k8s.types.input.rbac.v1.PolicyRule;

const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];

/** Per pool namespace: ShadowPool, StandbyNodes and WeightedRouting's objects. */
export const NAMESPACE_RULES: Rule[] = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: MANAGE },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
  { apiGroups: [''], resources: ['services', 'persistentvolumeclaims'], verbs: MANAGE },
  { apiGroups: [''], resources: ['pods', 'events'], verbs: READ },
  // A switched node's pods leave through the Eviction API (which honours PodDisruptionBudgets).
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: MANAGE },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: MANAGE },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: MANAGE },
];

/** Cluster-scoped: the standby placeholders' PriorityClass; StorageClasses, which the PVC await reads; nodes. */
export const CLUSTER_RULES: Rule[] = [
  { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], verbs: MANAGE },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: READ },
  // A switched node is cordoned (uncordoned on a rollback) and, retired, deleted.
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch', 'delete'] },
];
