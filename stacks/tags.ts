// The tags (AWS) and labels (Kubernetes) every resource shadowcast declares carries: the policy
// pack checks them, the deployer finds its resources by them, and people can tell what is ours.

export const ROLES = ['primary', 'shadow', 'standby', 'routing'] as const;
export type Role = (typeof ROLES)[number];

/** AWS tag keys. */
export const AWS_TAGS = {
  managedBy: 'managed-by',
  pool: 'shadowcast:pool',
  role: 'shadowcast:role',
} as const;

/** Kubernetes label keys. */
export const K8S_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  pool: 'shadowcast.dev/pool',
  role: 'shadowcast.dev/role',
  /** On a standby: the node it shadows. */
  shadows: 'shadowcast.dev/shadows',
} as const;

export const MANAGED_BY = 'shadowcast';

/** Tags for one AWS resource of `pool` in `role`, over the stack's extra tags. */
export function awsTags(
  pool: string,
  role: Role,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...extra, [AWS_TAGS.managedBy]: MANAGED_BY, [AWS_TAGS.pool]: pool, [AWS_TAGS.role]: role };
}

/** Labels for one Kubernetes object of `pool` in `role`, over the stack's extra labels. */
export function k8sLabels(
  pool: string,
  role: Role,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...extra, [K8S_LABELS.managedBy]: MANAGED_BY, [K8S_LABELS.pool]: pool, [K8S_LABELS.role]: role };
}
