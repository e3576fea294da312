// The pack's policies: each a rule of rules.ts, fed plain properties. Kept apart from index.ts,
// whose `new PolicyPack` starts the gRPC server the Pulumi CLI talks to, so that tests can call
// the very validateResource / validateStack functions the pack registers.

import {
  type Policies,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
  UnknownValueError,
} from '@pulumi/policy';
import {
  checkHourlyCost,
  checkPoolMaximum,
  checkProtectedPool,
  checkRecordWeights,
  checkRouteWeights,
  checkShadowMinimum,
  checkTags,
  checkTotalInstances,
  type PlainResource,
  type PolicyLookup,
  UNKNOWN,
  type Violation,
} from './rules.js';

export const PACK_NAME = 'shadowcast-guardrails';

function isUnknownValue(err: unknown): boolean {
  // Duck-typed too: a second copy of @pulumi/policy would have its own class.
  return err instanceof UnknownValueError || (err instanceof Error && 'unknownTypeSentinel' in err);
}

/**
 * A deep plain copy of properties as the engine hands them over: during preview they are wrapped
 * in a proxy that throws on any value not known yet; here such a value becomes UNKNOWN, so one
 * unknown field skips only the checks that need it rather than the whole policy.
 */
export function plain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const out: unknown[] | Record<string, unknown> = Array.isArray(value) ? [] : {};
  for (const key of Object.keys(value)) {
    let v: unknown;
    try {
      v = plain((value as Record<string, unknown>)[key]);
    } catch (err) {
      if (!isUnknownValue(err)) throw err;
      v = UNKNOWN;
    }
    (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

export function plainResource(r: {
  type: string;
  name: string;
  urn?: string;
  props: Record<string, unknown>;
}): PlainResource {
  return { type: r.type, name: r.name, urn: r.urn, props: plain(r.props) as Record<string, unknown> };
}

function report(violations: readonly Violation[], reportViolation: ReportViolation): void {
  for (const v of violations) reportViolation(v.message, v.urn);
}

function perResource(
  name: string,
  description: string,
  rule: (r: PlainResource) => Violation[],
): ResourceValidationPolicy {
  return {
    name,
    description,
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) =>
      report(rule(plainResource(args)), reportViolation),
  };
}

function perStack(
  name: string,
  description: string,
  rule: (resources: PlainResource[]) => Violation[],
): StackValidationPolicy {
  return {
    name,
    description,
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) =>
      report(rule(args.resources.map((r: PolicyResource) => plainResource(r))), reportViolation),
  };
}

/** The pack's policies over the pools' resolved policies. */
export function guardrailPolicies(policies: PolicyLookup): Policies {
  return [
    perResource(
      'pool-max-instances',
      "A pool's primary group (desiredCapacity, maxSize) or Deployment (replicas) stays within capacity.maxInstances.",
      (r) => checkPoolMaximum(r, policies),
    ),
    perStack(
      'max-total-instances',
      'Groups, standby instances and replicas across all pools stay within guardrails.maxTotalInstances.',
      (rs) => checkTotalInstances(rs, policies),
    ),
    perStack(
      'max-hourly-cost',
      'The hourly cost of all pools, at the policies’ prices, stays within guardrails.maxHourlyCost.',
      (rs) => checkHourlyCost(rs, policies),
    ),
    perResource(
      'route-weights',
      'Weighted routes (ALB forwards, HTTPRoute backendRefs) sum to 100; nginx canary weights lie within 0..100.',
      checkRouteWeights,
    ),
    perStack('route53-weights', "Each pool's Route 53 weighted records sum to 100.", checkRecordWeights),
    perStack('shadow-min-size', "Each pool's shadow pool runs at least shadow.minSize instances.", (rs) =>
      checkShadowMinimum(rs, policies),
    ),
    perResource(
      'required-tags',
      'Every resource shadowcast declares carries managed-by=shadowcast, its pool and its role (groups: at launch too).',
      checkTags,
    ),
    perResource(
      'protected-pools',
      'A pool in guardrails.protectedPools never has its primary scaled to zero.',
      (r) => checkProtectedPool(r, policies),
    ),
  ];
}
