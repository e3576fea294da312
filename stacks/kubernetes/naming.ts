// Names and labels of the Kubernetes objects shadowcast declares. Namespaced objects get fixed,
// readable names (`storefront-primary`, `storefront-standby-worker-2`) so the deployer and people
// can find them without reading stack outputs; a namespace and pool belong to one stack.
// Selectors use only shadowcast's own labels (never the stack's extra labels), since a
// Deployment's selector cannot change after creation. Pure: no Pulumi calls.

import { createHash } from 'node:crypto';
import { K8S_LABELS, k8sLabels, MANAGED_BY, type Role } from '../tags.js';

/**
 * Pod label saying which pool Service a pod serves behind (`primary` or `shadow`). The primary
 * Service selects on it rather than on the role, so a standby that has taken a share of a node's
 * traffic serves beside the primary pods. (A candidate for K8S_LABELS in stacks/tags.ts.)
 */
export const SERVES_LABEL = 'shadowcast.dev/serves';
/** Pod label telling a standby's pause pods (`placeholder`) from its real workload (`workload`). */
export const STANDBY_KIND_LABEL = 'shadowcast.dev/standby-kind';

export type Backend = 'primary' | 'shadow';

const MAX_NAME = 63;

/**
 * A DNS-1123 label (what a Service name must be) from parts: lowercased, anything but letters,
 * digits and dashes turned into dashes; past 63 characters, cut and suffixed with a hash of the
 * whole so distinct inputs keep distinct names. `objectName('web', 'standby', 'ip-10-0-1-5.ec2.internal')`
 * = `web-standby-ip-10-0-1-5-ec2-internal`.
 */
export function objectName(...parts: string[]): string {
  const raw = parts.join('-');
  const clean = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (clean.length > 0 && clean.length <= MAX_NAME) return clean;
  return hashed(clean, raw, /[^a-z0-9]+$/);
}

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** A label value (at most 63 characters of letters, digits, `-`, `_`, `.`), e.g. a node name. */
export function labelValue(value: string): string {
  if (LABEL_VALUE.test(value)) return value;
  const clean = value.replace(/[^-A-Za-z0-9_.]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return hashed(clean, value, /[^A-Za-z0-9]+$/);
}

/** `clean` cut to leave room for `-` and 8 hex digits of the hash of `raw`. */
function hashed(clean: string, raw: string, trailing: RegExp): string {
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  const head = clean.slice(0, MAX_NAME - 9).replace(trailing, '');
  return head ? `${head}-${digest}` : digest;
}

/** The labels that select one Deployment's pods: its selector, immutable once created. */
export function workloadSelector(pool: string, role: Role, node?: string): Record<string, string> {
  const selector: Record<string, string> = {
    [K8S_LABELS.managedBy]: MANAGED_BY,
    [K8S_LABELS.pool]: pool,
    [K8S_LABELS.role]: role,
  };
  if (node !== undefined) selector[K8S_LABELS.shadows] = labelValue(node);
  return selector;
}

/** What a pool Service selects: every pod serving behind it, whatever its role. */
export function serviceSelector(pool: string, backend: Backend): Record<string, string> {
  return { [K8S_LABELS.managedBy]: MANAGED_BY, [K8S_LABELS.pool]: pool, [SERVES_LABEL]: backend };
}

/** Metadata labels of one object: shadowcast's labels over the stack's extra ones, plus `more`. */
export function objectLabels(
  pool: string,
  role: Role,
  extra: Record<string, string>,
  more: Record<string, string> = {},
): Record<string, string> {
  return { ...k8sLabels(pool, role, extra), ...more };
}
