// The pool's traffic split between its primary and shadow Services, in whole percent:
// shadow = round(100 × weights.shadow), primary = 100 − shadow, so the two always sum to 100.
//
// - `gateway`: one Gateway API HTTPRoute (gateway.networking.k8s.io/v1) attached to the
//   configured Gateway, answering for `host` when set (else every host the listener accepts),
//   with one rule whose backendRefs are both Services and their weights. A backend at weight 0
//   stays listed (it gets no traffic, and the next shift is a weight change, not a new backend).
//   Needs the Gateway API CRDs and an implementation that supports weighted backendRefs; a
//   Gateway in another namespace must allow routes from this one (`allowedRoutes`).
// - `ingress-nginx`: a main Ingress to the primary Service and a canary Ingress to the shadow
//   Service for the same host and path, with `nginx.ingress.kubernetes.io/canary: "true"` and
//   `canary-weight: "<shadow percent>"` (of the default canary-weight-total, 100). Both use the
//   `nginx` IngressClass. ingress-nginx allows one canary per host and path, and matches the two
//   Ingresses by host, so `host` is required. The community ingress-nginx controller is retired
//   (best-effort maintenance ended March 2026): prefer `gateway` for new clusters.

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { RouteWeights } from '../../src/core/plan.js';
import { StackConfigError, type KubernetesSettings } from '../config.js';
import { type PercentWeights, percentWeights } from '../weights.js';
import { objectLabels, objectName } from './naming.js';

export const INGRESS_CLASS = 'nginx';
export const CANARY_ANNOTATION = 'nginx.ingress.kubernetes.io/canary';
export const CANARY_WEIGHT_ANNOTATION = 'nginx.ingress.kubernetes.io/canary-weight';

export { type PercentWeights, percentWeights };

export interface WeightedRoutingArgs {
  pool: string;
  namespace: string;
  routing: KubernetesSettings['routing'];
  /** The Gateway the HTTPRoute attaches to (`gateway` routing). */
  gateway?: KubernetesSettings['gateway'];
  /** Host the route answers for; required for `ingress-nginx`. */
  host?: string;
  /** The Services' port. */
  port: number;
  primaryService: pulumi.Input<string>;
  shadowService: pulumi.Input<string>;
  weights: RouteWeights;
  labels?: Record<string, string>;
}

export class WeightedRouting extends pulumi.ComponentResource {
  /** The weights applied, in percent. */
  readonly percents: PercentWeights;
  /** The HTTPRoute (`gateway`). */
  readonly route?: k8s.apiextensions.CustomResource;
  /** The main and canary Ingresses (`ingress-nginx`). */
  readonly ingress?: k8s.networking.v1.Ingress;
  readonly canary?: k8s.networking.v1.Ingress;

  constructor(name: string, args: WeightedRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('shadowcast:kubernetes:WeightedRouting', name, {}, opts);
    const { pool, namespace, port } = args;
    this.percents = percentWeights(args.weights);
    const labels = objectLabels(pool, 'routing', args.labels ?? {});

    if (args.routing === 'gateway') {
      if (!args.gateway) {
        throw new StackConfigError(
          'shadowcast:kubernetes.gateway: routing is gateway, so set {name, namespace}',
        );
      }
      const parentRef: Record<string, string> = { name: args.gateway.name };
      if (args.gateway.namespace !== undefined) parentRef.namespace = args.gateway.namespace;
      const routeName = objectName(pool);
      this.route = new k8s.apiextensions.CustomResource(
        routeName,
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: routeName, namespace, labels },
          spec: {
            parentRefs: [parentRef],
            ...(args.host !== undefined ? { hostnames: [args.host] } : {}),
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/' } }],
                backendRefs: [
                  { name: args.primaryService, port, weight: this.percents.primary },
                  { name: args.shadowService, port, weight: this.percents.shadow },
                ],
              },
            ],
          },
        },
        { parent: this },
      );
      this.registerOutputs({ route: this.route.metadata.name, percents: this.percents });
      return;
    }

    if (args.host === undefined) {
      throw new StackConfigError(
        `shadowcast:kubernetes.host: routing is ingress-nginx, so set the host pool ${pool} answers for ` +
          '(the canary Ingress is matched to the main one by host)',
      );
    }
    const rule = (service: pulumi.Input<string>): k8s.types.input.networking.v1.IngressRule => ({
      host: args.host,
      http: {
        paths: [
          { path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } },
        ],
      },
    });
    const mainName = objectName(pool);
    this.ingress = new k8s.networking.v1.Ingress(
      mainName,
      {
        metadata: { name: mainName, namespace, labels },
        spec: { ingressClassName: INGRESS_CLASS, rules: [rule(args.primaryService)] },
      },
      { parent: this },
    );
    const canaryName = objectName(pool, 'canary');
    this.canary = new k8s.networking.v1.Ingress(
      canaryName,
      {
        metadata: {
          name: canaryName,
          namespace,
          labels,
          annotations: {
            [CANARY_ANNOTATION]: 'true',
            [CANARY_WEIGHT_ANNOTATION]: String(this.percents.shadow),
          },
        },
        spec: { ingressClassName: INGRESS_CLASS, rules: [rule(args.shadowService)] },
      },
      // The canary only means something beside the main Ingress.
      { parent: this, dependsOn: [this.ingress] },
    );
    this.registerOutputs({
      ingress: this.ingress.metadata.name,
      canary: this.canary.metadata.name,
      percents: this.percents,
    });
  }
}
