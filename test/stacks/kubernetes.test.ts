// The Kubernetes side of the Pulumi program under Pulumi's own mocks: every resource the program
// registers is recorded (type, name, inputs) and the tests assert on exact values. Mocks are set
// before the modules under test are imported, as Pulumi's unit-testing guide requires.

import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseStackConfig, type StackConfig, StackConfigError } from '../../stacks/config.js';

type Labels = Record<string, string>;

interface Recorded {
  type: string;
  name: string;
  inputs: unknown;
}

interface Meta {
  name: string;
  namespace?: string;
  labels: Labels;
  annotations?: Labels;
}
interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
  resources: { requests: { cpu: string; memory: string } };
  readinessProbe?: unknown;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface MatchExpression {
  key: string;
  operator: string;
  values: string[];
}
interface PodSpec {
  containers: Container[];
  affinity?: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: { matchExpressions: MatchExpression[] }[];
      };
    };
  };
  nodeSelector?: Labels;
  tolerations?: unknown[];
  priorityClassName?: string;
  topologySpreadConstraints?: unknown[];
  volumes?: { name: string; persistentVolumeClaim: { claimName: string } }[];
}
interface Deployment {
  metadata: Meta;
  spec: {
    replicas: number;
    strategy?: { type: string };
    selector: { matchLabels: Labels };
    template: { metadata: { labels: Labels }; spec: PodSpec };
  };
}
interface Service {
  metadata: Meta;
  spec: { type: string; selector: Labels; ports: { name: string; port: number; targetPort: string }[] };
}
interface Pdb {
  metadata: Meta;
  spec: { maxUnavailable: number | string; selector: { matchLabels: Labels } };
}
interface BackendRef {
  name: string;
  port: number;
  weight: number;
}
interface HttpRoute {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec: {
    parentRefs: Labels[];
    hostnames?: string[];
    rules: { matches: unknown[]; backendRefs: BackendRef[] }[];
  };
}
interface Ingress {
  metadata: Meta;
  spec: {
    ingressClassName: string;
    rules: {
      host: string;
      http: {
        paths: {
          path: string;
          pathType: string;
          backend: { service: { name: string; port: { number: number } } };
        }[];
      };
    }[];
  };
}
interface Pvc {
  metadata: Meta;
  spec: {
    accessModes: string[];
    storageClassName: string;
    volumeMode: string;
    resources: { requests: { storage: string } };
    dataSource: { kind: string; name: string };
  };
}
interface PriorityClass {
  metadata: Meta;
  value: number;
  globalDefault: boolean;
  preemptionPolicy: string;
}

const created: Recorded[] = [];
const reads: { type: string; id: string }[] = [];

/** The existing claims the program may read, by `namespace/name`. */
const CLAIMS: Record<string, unknown> = {
  'shop/node-b-data': {
    metadata: { name: 'node-b-data', namespace: 'shop' },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'csi-hostpath-sc',
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '8Gi' } },
    },
    // The provisioner rounded the request up: the clone must be at least this big.
    status: { phase: 'Bound', capacity: { storage: '10Gi' } },
  },
};

await pulumi.runtime.setMocks(
  {
    newResource(args) {
      if (args.id) {
        // A read (`.get`) of an existing object: no inputs, the cluster's state.
        reads.push({ type: args.type, id: args.id });
        return { id: args.id, state: CLAIMS[args.id] ?? {} };
      }
      created.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}_id`, state: args.inputs };
    },
    call(args) {
      return args.inputs;
    },
  },
  'shadowcast',
  'test',
);

type Module = typeof import('../../stacks/kubernetes/index.js');
let declareKubernetes: Module['declareKubernetes'];
let quantity: typeof import('../../src/core/quantity.js');
let naming: typeof import('../../stacks/kubernetes/naming.js');
let routing: typeof import('../../stacks/kubernetes/weighted-routing.js');

beforeAll(async () => {
  ({ declareKubernetes } = await import('../../stacks/kubernetes/index.js'));
  quantity = await import('../../src/core/quantity.js');
  naming = await import('../../stacks/kubernetes/naming.js');
  routing = await import('../../stacks/kubernetes/weighted-routing.js');
});

type KubernetesConfig = Extract<StackConfig, { target: 'kubernetes' }>;

/** A checked config: the raw values go through parseStackConfig, as the stack's would. */
function config(raw: {
  desired: unknown;
  nodes?: unknown;
  kubernetes: Record<string, unknown>;
}): KubernetesConfig {
  return parseStackConfig({ target: 'kubernetes', ...raw }) as KubernetesConfig;
}

/** Resolves every Output in `value` (so every resource behind them has been registered). */
function settle<T>(value: T): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => pulumi.output(value).apply(resolve));
}

/** Declares `cfg`; returns the settled outputs and what this run registered. */
async function declare(cfg: KubernetesConfig) {
  const before = created.length;
  const readsBefore = reads.length;
  const outputs = await settle(declareKubernetes(cfg));
  const mine = created.slice(before).filter((r) => r.type.startsWith('kubernetes:'));
  const read = reads.slice(readsBefore);
  const find = <T>(type: string, name: string): T => {
    const hits = mine.filter((r) => r.type === type && r.name === name);
    expect(hits, `${type} ${name}`).toHaveLength(1);
    return hits[0]!.inputs as T;
  };
  const has = (type: string, name: string) => mine.some((r) => r.type === type && r.name === name);
  return { outputs, mine, read, find, has };
}

const DEPLOYMENT = 'kubernetes:apps/v1:Deployment';
const SERVICE = 'kubernetes:core/v1:Service';
const PDB = 'kubernetes:policy/v1:PodDisruptionBudget';
const PVC = 'kubernetes:core/v1:PersistentVolumeClaim';
const PRIORITY_CLASS = 'kubernetes:scheduling.k8s.io/v1:PriorityClass';
const HTTP_ROUTE = 'kubernetes:gateway.networking.k8s.io/v1:HTTPRoute';
const INGRESS = 'kubernetes:networking.k8s.io/v1:Ingress';

const MANAGED = 'app.kubernetes.io/managed-by';
const POOL = 'shadowcast.dev/pool';
const ROLE = 'shadowcast.dev/role';
const SHADOWS = 'shadowcast.dev/shadows';
const SERVES = 'shadowcast.dev/serves';
const KIND = 'shadowcast.dev/standby-kind';

const webSettings = {
  image: 'ghcr.io/example/web:1.2.3',
  port: 8080,
  cpu: '500m',
  memory: '512Mi',
  shadowRequestShare: 0.5,
  maxUnavailable: 1,
};

/** Node affinity terms of a pod spec, as `key operator values` strings. */
function affinity(spec: PodSpec): string[] {
  const terms = spec.affinity!.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  expect(terms).toHaveLength(1);
  return terms[0]!.matchExpressions.map((e) => `${e.key} ${e.operator} ${e.values.join(',')}`);
}

describe('declareKubernetes: gateway routing, placeholder standbys', () => {
  // Pool web: 4 primary, 2 shadow, 30 % to the shadow. Standbys: node-a (share 0, own zone) and
  // node-b (share 0.4, placed by the planner in zone-c rather than its own zone-b, with a claim).
  const cfg = () =>
    config({
      desired: {
        pools: {
          web: {
            primary: 4,
            shadow: 2,
            standby: { 'node-a': 0, 'node-b': 0.4 },
            standbyZones: { 'node-b': 'zone-c' },
            weights: { primary: 0.7, shadow: 0.3 },
          },
        },
      },
      nodes: { 'node-a': { zone: 'zone-a' }, 'node-b': { zone: 'zone-b', claim: 'node-b-data' } },
      kubernetes: {
        namespace: 'shop',
        routing: 'gateway',
        gateway: { name: 'shared-gw', namespace: 'infra' },
        host: 'shop.example.test',
        standby: 'placeholder',
        pools: { web: webSettings },
        labels: { team: 'checkout' },
      },
    });
  let run: Awaited<ReturnType<typeof declare>>;
  beforeAll(async () => {
    run = await declare(cfg());
  });

  it('runs the DesiredState replicas, the shadow at half the requests', () => {
    const primary = run.find<Deployment>(DEPLOYMENT, 'web-primary');
    const shadow = run.find<Deployment>(DEPLOYMENT, 'web-shadow');
    expect(primary.metadata.namespace).toBe('shop');
    expect(primary.spec.replicas).toBe(4);
    expect(shadow.spec.replicas).toBe(2);
    const p = primary.spec.template.spec.containers[0]!;
    const s = shadow.spec.template.spec.containers[0]!;
    expect(p.image).toBe('ghcr.io/example/web:1.2.3');
    expect(s.image).toBe('ghcr.io/example/web:1.2.3');
    expect(p.resources.requests).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(s.resources.requests).toEqual({ cpu: '250m', memory: '256Mi' });
    expect(p.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(p.readinessProbe).toEqual({ tcpSocket: { port: 'http' }, periodSeconds: 5, failureThreshold: 3 });
    expect(s.readinessProbe).toEqual(p.readinessProbe);
  });

  it('spreads the primary and shadow pods over the zones, best effort', () => {
    for (const role of ['primary', 'shadow']) {
      const d = run.find<Deployment>(DEPLOYMENT, `web-${role}`);
      expect(d.spec.template.spec.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: d.spec.selector.matchLabels },
        },
      ]);
    }
  });

  it('selects each Deployment by role, and puts a Service and a PodDisruptionBudget in front of it', () => {
    for (const backend of ['primary', 'shadow'] as const) {
      const d = run.find<Deployment>(DEPLOYMENT, `web-${backend}`);
      const selector = { [MANAGED]: 'shadowcast', [POOL]: 'web', [ROLE]: backend };
      expect(d.spec.selector.matchLabels).toEqual(selector);
      expect(d.spec.template.metadata.labels).toMatchObject({ ...selector, [SERVES]: backend });
      const svc = run.find<Service>(SERVICE, `web-${backend}`);
      expect(svc.spec).toEqual({
        type: 'ClusterIP',
        selector: { [MANAGED]: 'shadowcast', [POOL]: 'web', [SERVES]: backend },
        ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
      });
      const pdb = run.find<Pdb>(PDB, `web-${backend}`);
      expect(pdb.metadata.namespace).toBe('shop');
      expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector } });
    }
  });

  it('routes 70/30 through one HTTPRoute on the configured Gateway', () => {
    const route = run.find<HttpRoute>(HTTP_ROUTE, 'web');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.kind).toBe('HTTPRoute');
    expect(route.metadata.namespace).toBe('shop');
    expect(route.spec.parentRefs).toEqual([{ name: 'shared-gw', namespace: 'infra' }]);
    expect(route.spec.hostnames).toEqual(['shop.example.test']);
    expect(route.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { name: 'web-primary', port: 8080, weight: 70 },
          { name: 'web-shadow', port: 8080, weight: 30 },
        ],
      },
    ]);
  });

  it('holds room with a low-priority pause pod per node, in its zone, off the node itself', () => {
    const pc = run.find<PriorityClass>(PRIORITY_CLASS, 'shadowcast-shop-web-placeholder');
    expect(pc.value).toBe(-1);
    expect(pc.globalDefault).toBe(false);
    expect(pc.preemptionPolicy).toBe('Never');
    expect(pc.metadata.namespace).toBeUndefined();

    const a = run.find<Deployment>(DEPLOYMENT, 'web-placeholder-node-a');
    expect(a.metadata.annotations).toEqual({ 'pulumi.com/skipAwait': 'true' });
    expect(a.spec.replicas).toBe(1);
    const pod = a.spec.template.spec;
    expect(pod.priorityClassName).toBe('shadowcast-shop-web-placeholder');
    expect(pod.containers).toEqual([
      {
        name: 'pause',
        image: 'registry.k8s.io/pause:3.10',
        resources: { requests: { cpu: '500m', memory: '512Mi' } },
      },
    ]);
    expect(affinity(pod)).toEqual([
      'topology.kubernetes.io/zone In zone-a',
      'kubernetes.io/hostname NotIn node-a',
    ]);
    expect(a.spec.template.metadata.labels).toMatchObject({
      [ROLE]: 'standby',
      [SHADOWS]: 'node-a',
      [KIND]: 'placeholder',
    });
    expect(a.spec.template.metadata.labels[SERVES]).toBeUndefined();
  });

  it('puts a standby the planner placed elsewhere in that zone, not the node’s own', () => {
    const b = run.find<Deployment>(DEPLOYMENT, 'web-placeholder-node-b');
    expect(affinity(b.spec.template.spec)).toEqual([
      'topology.kubernetes.io/zone In zone-c',
      'kubernetes.io/hostname NotIn node-b',
    ]);
    const workload = run.find<Deployment>(DEPLOYMENT, 'web-standby-node-b');
    expect(affinity(workload.spec.template.spec)).toEqual([
      'topology.kubernetes.io/zone In zone-c',
      'kubernetes.io/hostname NotIn node-b',
    ]);
  });

  it('runs no standby workload and clones nothing while a node’s share is 0', () => {
    expect(run.has(DEPLOYMENT, 'web-standby-node-a')).toBe(false);
    expect(run.has(PVC, 'web-standby-node-a-data')).toBe(false);
  });

  it('once a share has moved, runs the real image behind the primary Service on a clone of the node’s claim', () => {
    const w = run.find<Deployment>(DEPLOYMENT, 'web-standby-node-b');
    expect(w.spec.replicas).toBe(1);
    expect(w.spec.strategy).toEqual({ type: 'Recreate' });
    const labels = w.spec.template.metadata.labels;
    const primaryService = run.find<Service>(SERVICE, 'web-primary');
    expect(labels).toMatchObject(primaryService.spec.selector);
    expect(labels).toMatchObject({ [ROLE]: 'standby', [SHADOWS]: 'node-b', [KIND]: 'workload' });
    // Its own selector does not catch the primary's pods or the placeholder's.
    expect(w.spec.selector.matchLabels).toEqual({
      [MANAGED]: 'shadowcast',
      [POOL]: 'web',
      [ROLE]: 'standby',
      [SHADOWS]: 'node-b',
      [KIND]: 'workload',
    });
    const pod = w.spec.template.spec;
    expect(pod.priorityClassName).toBeUndefined();
    expect(pod.containers[0]!.image).toBe('ghcr.io/example/web:1.2.3');
    expect(pod.containers[0]!.resources.requests).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(pod.containers[0]!.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(pod.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'web-standby-node-b-data' } },
    ]);

    expect(run.read).toEqual([{ type: PVC, id: 'shop/node-b-data' }]);
    const clone = run.find<Pvc>(PVC, 'web-standby-node-b-data');
    expect(clone.metadata.namespace).toBe('shop');
    expect(clone.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'csi-hostpath-sc',
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '10Gi' } },
      dataSource: { kind: 'PersistentVolumeClaim', name: 'node-b-data' },
    });
  });

  it('labels every object, and every pod template, with shadowcast’s labels over the stack’s', () => {
    expect(run.mine.length).toBe(12);
    for (const r of run.mine) {
      const inputs = r.inputs as { metadata: Meta; spec?: Deployment['spec'] };
      const role = inputs.metadata.labels[ROLE];
      const expected = { team: 'checkout', [MANAGED]: 'shadowcast', [POOL]: 'web' };
      expect(inputs.metadata.labels, `${r.type} ${r.name}`).toMatchObject(expected);
      expect(['primary', 'shadow', 'standby', 'routing']).toContain(role);
      if (r.type === DEPLOYMENT) {
        expect(inputs.spec!.template.metadata.labels, `${r.name} pods`).toMatchObject({
          ...expected,
          [ROLE]: role,
        });
      }
      if (role === 'standby' && r.type !== PRIORITY_CLASS) {
        expect(inputs.metadata.labels[SHADOWS], `${r.type} ${r.name}`).toMatch(/^node-[ab]$/);
      }
    }
    expect(run.find<HttpRoute>(HTTP_ROUTE, 'web').metadata.labels[ROLE]).toBe('routing');
  });

  it('returns what the deployer looks up, per pool', () => {
    expect(run.outputs).toEqual({
      web: {
        namespace: 'shop',
        primary: {
          deployment: 'web-primary',
          service: 'web-primary',
          podDisruptionBudget: 'web-primary',
          selector: { [MANAGED]: 'shadowcast', [POOL]: 'web', [ROLE]: 'primary' },
          replicas: 4,
          requests: { cpu: '500m', memory: '512Mi' },
        },
        shadow: {
          deployment: 'web-shadow',
          service: 'web-shadow',
          podDisruptionBudget: 'web-shadow',
          selector: { [MANAGED]: 'shadowcast', [POOL]: 'web', [ROLE]: 'shadow' },
          replicas: 2,
          requests: { cpu: '250m', memory: '256Mi' },
        },
        routing: { kind: 'HTTPRoute', name: 'web' },
        standby: {
          'node-a': {
            zone: 'zone-a',
            share: 0,
            serving: false,
            placeholder: 'web-placeholder-node-a',
            selector: {
              [MANAGED]: 'shadowcast',
              [POOL]: 'web',
              [ROLE]: 'standby',
              [SHADOWS]: 'node-a',
              [KIND]: 'workload',
            },
          },
          'node-b': {
            zone: 'zone-c',
            share: 0.4,
            serving: true,
            placeholder: 'web-placeholder-node-b',
            workload: 'web-standby-node-b',
            dataClaim: 'web-standby-node-b-data',
            selector: {
              [MANAGED]: 'shadowcast',
              [POOL]: 'web',
              [ROLE]: 'standby',
              [SHADOWS]: 'node-b',
              [KIND]: 'workload',
            },
          },
        },
        priorityClass: 'shadowcast-shop-web-placeholder',
        weights: { primary: 70, shadow: 30 },
      },
    });
  });
});

describe('declareKubernetes: HTTPRoute weights in percent', () => {
  const route = (pool: string, weights: { primary: number; shadow: number }, shadow = 1) =>
    config({
      desired: { pools: { [pool]: { primary: 3, shadow, weights } } },
      kubernetes: { routing: 'gateway', gateway: { name: 'gw' }, pools: { [pool]: webSettings } },
    });

  it.each([
    ['even', { primary: 0.7, shadow: 0.3 }, 70, 30],
    ['all-primary', { primary: 1, shadow: 0 }, 100, 0],
    ['mostly-shadow', { primary: 0.25, shadow: 0.75 }, 25, 75],
    ['thirds', { primary: 2 / 3, shadow: 1 / 3 }, 67, 33],
    ['rounded', { primary: 0.934, shadow: 0.066 }, 93, 7],
  ])('%s: %o → %i/%i, both backends listed', async (pool, weights, primary, shadow) => {
    const run = await declare(route(pool, weights));
    const r = run.find<HttpRoute>(HTTP_ROUTE, pool);
    expect(r.spec.rules[0]!.backendRefs).toEqual([
      { name: `${pool}-primary`, port: 8080, weight: primary },
      { name: `${pool}-shadow`, port: 8080, weight: shadow },
    ]);
    // No Gateway namespace: the route's own. No host: every host the listener accepts.
    expect(r.spec.parentRefs).toEqual([{ name: 'gw' }]);
    expect(r.spec.hostnames).toBeUndefined();
    expect(run.outputs[pool]!.weights).toEqual({ primary, shadow });
  });

  it('declares no standby objects for a pool without standbys', async () => {
    const run = await declare(route('bare', { primary: 1, shadow: 0 }, 0));
    expect(run.mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        `${DEPLOYMENT} bare-primary`,
        `${DEPLOYMENT} bare-shadow`,
        `${HTTP_ROUTE} bare`,
        `${PDB} bare-primary`,
        `${PDB} bare-shadow`,
        `${SERVICE} bare-primary`,
        `${SERVICE} bare-shadow`,
      ].sort(),
    );
    expect(run.find<Deployment>(DEPLOYMENT, 'bare-shadow').spec.replicas).toBe(0);
    expect(run.outputs.bare!.standby).toEqual({});
    expect(run.outputs.bare!.priorityClass).toBeUndefined();
  });
});

describe('declareKubernetes: ingress-nginx routing, node-label standbys', () => {
  const cfg = (host?: string) =>
    config({
      desired: {
        pools: {
          search: { primary: 5, shadow: 1, standby: { 'node-b': 0 }, weights: { primary: 0.9, shadow: 0.1 } },
        },
      },
      nodes: { 'node-b': { zone: 'zone-b', claim: 'node-b-data' } },
      kubernetes: {
        namespace: 'shop',
        routing: 'ingress-nginx',
        ...(host ? { host } : {}),
        standby: 'node-label',
        pools: {
          search: {
            ...webSettings,
            cpu: '1',
            memory: '1Gi',
            shadowRequestShare: 0.25,
            maxUnavailable: '25%',
          },
        },
      },
    });
  let run: Awaited<ReturnType<typeof declare>>;
  beforeAll(async () => {
    run = await declare(cfg('search.example.test'));
  });

  it('sends the primary Service through the main Ingress', () => {
    const main = run.find<Ingress>(INGRESS, 'search');
    expect(main.metadata.annotations).toBeUndefined();
    expect(main.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'search.example.test',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'search-primary', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('sends the shadow’s percent to the shadow Service through a canary Ingress', () => {
    const canary = run.find<Ingress>(INGRESS, 'search-canary');
    expect(canary.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '10',
    });
    expect(canary.metadata.labels).toMatchObject({
      [MANAGED]: 'shadowcast',
      [POOL]: 'search',
      [ROLE]: 'routing',
    });
    expect(canary.spec.rules[0]!.host).toBe('search.example.test');
    expect(canary.spec.rules[0]!.http.paths[0]!.backend.service.name).toBe('search-shadow');
    expect(run.outputs.search!.routing).toEqual({ kind: 'Ingress', name: 'search', canary: 'search-canary' });
    expect(run.has(HTTP_ROUTE, 'search')).toBe(false);
  });

  it('scales whole cores and GiB by the share, and passes a percent maxUnavailable through', () => {
    const shadow = run.find<Deployment>(DEPLOYMENT, 'search-shadow');
    expect(shadow.spec.template.spec.containers[0]!.resources.requests).toEqual({
      cpu: '250m',
      memory: '256Mi',
    });
    expect(run.find<Pdb>(PDB, 'search-primary').spec.maxUnavailable).toBe('25%');
  });

  it('runs a warm standby of the real image on the standby node pool, out of traffic at share 0', () => {
    expect(run.has(PRIORITY_CLASS, 'shadowcast-shop-search-placeholder')).toBe(false);
    expect(run.has(DEPLOYMENT, 'search-placeholder-node-b')).toBe(false);
    const w = run.find<Deployment>(DEPLOYMENT, 'search-standby-node-b');
    expect(w.spec.replicas).toBe(1);
    const pod = w.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'shadowcast.dev/node-pool': 'standby' });
    expect(pod.tolerations).toEqual([
      { key: 'shadowcast.dev/node-pool', operator: 'Equal', value: 'standby', effect: 'NoSchedule' },
    ]);
    expect(affinity(pod)).toEqual([
      'topology.kubernetes.io/zone In zone-b',
      'kubernetes.io/hostname NotIn node-b',
    ]);
    expect(pod.containers[0]!.resources.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(w.spec.template.metadata.labels[SERVES]).toBeUndefined();
    // A claim, but no share moved: no clone yet (it is taken when traffic first moves).
    expect(pod.volumes).toBeUndefined();
    expect(run.has(PVC, 'search-standby-node-b-data')).toBe(false);
    expect(run.read).toEqual([]);
    expect(run.outputs.search!.standby).toEqual({
      'node-b': {
        zone: 'zone-b',
        share: 0,
        serving: false,
        workload: 'search-standby-node-b',
        selector: {
          [MANAGED]: 'shadowcast',
          [POOL]: 'search',
          [ROLE]: 'standby',
          [SHADOWS]: 'node-b',
          [KIND]: 'workload',
        },
      },
    });
  });

  it('fails before declaring anything when ingress-nginx has no host', () => {
    const before = created.length;
    expect(() => declareKubernetes(cfg())).toThrow(StackConfigError);
    expect(() => declareKubernetes(cfg())).toThrow(/^shadowcast:kubernetes\.host: routing is ingress-nginx/);
    expect(created.length).toBe(before);
  });
});

describe('declareKubernetes: config the schema lets through', () => {
  it('names the key of a CPU or memory request that is not a quantity', () => {
    const bad = (pool: Record<string, unknown>) =>
      config({
        desired: { pools: { p: { primary: 1, shadow: 0, weights: { primary: 1, shadow: 0 } } } },
        kubernetes: { gateway: { name: 'gw' }, pools: { p: { ...webSettings, ...pool } } },
      });
    const before = created.length;
    expect(() => declareKubernetes(bad({ cpu: 'half' }))).toThrow(
      'shadowcast:kubernetes.pools.p.cpu: "half" is not a CPU quantity like 500m or 2',
    );
    expect(() => declareKubernetes(bad({ memory: '512MB' }))).toThrow(
      'shadowcast:kubernetes.pools.p.memory: "512MB" is not a memory quantity like 512Mi or 1Gi',
    );
    expect(created.length).toBe(before);
  });
});

describe('quantities', () => {
  it.each([
    ['500m', 0.5, '250m'],
    ['1', 0.5, '500m'],
    ['2', 0.5, '1'],
    ['1.5', 0.3, '450m'],
    ['100m', 0.33, '33m'],
    ['250m', 0.1, '25m'],
    ['1m', 0.5, '1m'],
    ['100m', 0.123, '13m'],
  ])('cpu %s × %d = %s', (q, share, expected) => {
    expect(quantity.scaleCpu(q, share)).toBe(expected);
  });

  it.each([
    ['512Mi', 0.5, '256Mi'],
    ['1Gi', 0.5, '512Mi'],
    ['2Gi', 0.5, '1Gi'],
    ['256Mi', 0.3, '77Mi'],
    ['1G', 0.5, '477Mi'],
    ['1048576', 1, '1Mi'],
    ['64Mi', 0.5, '32Mi'],
    ['100Mi', 0.123, '13Mi'],
  ])('memory %s × %d = %s', (q, share, expected) => {
    expect(quantity.scaleMemory(q, share)).toBe(expected);
  });

  it('rejects what is not a quantity', () => {
    expect(quantity.parseCpu('1 core')).toBeUndefined();
    expect(quantity.parseMemory('512MB')).toBeUndefined();
    expect(() => quantity.scaleCpu('x', 0.5)).toThrow('"x" is not a CPU quantity like 500m or 2');
  });
});

describe('names', () => {
  it('turns node names into object names and label values', () => {
    expect(naming.objectName('web', 'standby', 'ip-10-0-1-5.eu-west-1.compute.internal')).toBe(
      'web-standby-ip-10-0-1-5-eu-west-1-compute-internal',
    );
    const long = `node-${'x'.repeat(80)}`;
    const name = naming.objectName('web', 'standby', long);
    expect(name).toHaveLength(63);
    expect(name).toMatch(/^web-standby-node-x+-[0-9a-f]{8}$/);
    expect(naming.objectName('web', 'standby', `${long}y`)).not.toBe(name);
    expect(naming.labelValue('ip-10-0-1-5.eu-west-1.compute.internal')).toBe(
      'ip-10-0-1-5.eu-west-1.compute.internal',
    );
    expect(naming.labelValue(long)).toMatch(/^node-x{49}-[0-9a-f]{8}$/);
  });

  it('keeps percent weights whole and summing to 100', () => {
    for (let i = 0; i <= 1000; i++) {
      const shadow = i / 1000;
      const p = routing.percentWeights({ primary: 1 - shadow, shadow });
      expect(p.primary + p.shadow).toBe(100);
      expect(Number.isInteger(p.shadow)).toBe(true);
      expect(Math.abs(p.shadow - 100 * shadow)).toBeLessThanOrEqual(0.5);
    }
  });
});

describe('Pulumi.example-kubernetes.yaml', () => {
  const raw = parse(
    readFileSync(new URL('../../Pulumi.example-kubernetes.yaml', import.meta.url), 'utf8'),
  ) as {
    config: Record<string, unknown>;
  };
  const values = Object.fromEntries(
    Object.entries(raw.config)
      .filter(([key]) => key.startsWith('shadowcast:'))
      .map(([key, value]) => [key.slice('shadowcast:'.length), value]),
  );

  it('passes parseStackConfig', () => {
    const cfg = parseStackConfig(values);
    expect(cfg.target).toBe('kubernetes');
    expect(cfg.desired.pools.storefront).toEqual({
      primary: 4,
      shadow: 1,
      standby: { 'shadowcast-worker': 0 },
      weights: { primary: 0.9, shadow: 0.1 },
    });
    if (cfg.target !== 'kubernetes') throw new Error('unreachable');
    expect(cfg.kubernetes.routing).toBe('gateway');
    expect(cfg.kubernetes.gateway).toEqual({ name: 'shadowcast', namespace: 'default' });
    expect(cfg.nodes['shadowcast-worker']).toEqual({ zone: 'zone-a' });
    expect(raw.config['kubernetes:context']).toBe('kind-shadowcast');
  });

  it('declares the storefront pool at 90/10 with a placeholder beside shadowcast-worker', async () => {
    const run = await declare(parseStackConfig(values) as KubernetesConfig);
    expect(run.outputs.storefront!.weights).toEqual({ primary: 90, shadow: 10 });
    const shadow = run.find<Deployment>(DEPLOYMENT, 'storefront-shadow');
    expect(shadow.spec.template.spec.containers[0]!.resources.requests).toEqual({
      cpu: '50m',
      memory: '32Mi',
    });
    const placeholder = run.find<Deployment>(DEPLOYMENT, 'storefront-placeholder-shadowcast-worker');
    expect(affinity(placeholder.spec.template.spec)).toEqual([
      'topology.kubernetes.io/zone In zone-a',
      'kubernetes.io/hostname NotIn shadowcast-worker',
    ]);
    expect(run.has(DEPLOYMENT, 'storefront-standby-shadowcast-worker')).toBe(false);
    for (const r of run.mine) {
      expect((r.inputs as { metadata: Meta }).metadata.labels).toMatchObject({
        'app.kubernetes.io/part-of': 'storefront',
        [MANAGED]: 'shadowcast',
        [POOL]: 'storefront',
      });
    }
  });
});

describe('declareKubernetes: a switched node, drained by a NodeDrain once its standby serves', () => {
  const NODE_DRAIN = 'shadowcast:kubernetes:NodeDrain';
  /** node-a warm, node-b switched; `retired`, sync times, node-b's claim and a snapshot class as given. */
  const cfg = (
    retired?: string[],
    data: { standbySync?: Record<string, number>; claim?: string; volumeSnapshotClass?: string } = {},
  ) =>
    config({
      desired: {
        pools: {
          web: {
            primary: 4,
            shadow: 0,
            standby: { 'node-a': 0, 'node-b': 1 },
            weights: { primary: 1, shadow: 0 },
            ...(retired ? { retired } : {}),
            ...(data.standbySync ? { standbySync: data.standbySync } : {}),
          },
        },
      },
      nodes: {
        'node-a': { zone: 'zone-a' },
        'node-b': { zone: 'zone-b', ...(data.claim ? { claim: data.claim } : {}) },
      },
      kubernetes: {
        namespace: 'shop',
        gateway: { name: 'gw' },
        ...(data.volumeSnapshotClass ? { volumeSnapshotClass: data.volumeSnapshotClass } : {}),
        pools: { web: webSettings },
      },
    });

  it('declares one NodeDrain per switched node: the pool’s primary Deployment and pod labels to evict', async () => {
    const before = created.length;
    const { outputs } = await declare(cfg());
    const drains = created.slice(before).filter((r) => r.type === NODE_DRAIN);
    expect(drains.map((r) => r.name)).toEqual(['web-drain-node-b']);
    expect(drains[0]!.inputs).toEqual({
      node: 'node-b',
      namespace: 'shop',
      deployment: 'web-primary',
      selector: { [MANAGED]: 'shadowcast', [POOL]: 'web', [ROLE]: 'primary' },
      retired: false,
      timeoutSeconds: 600,
    });
    expect(outputs.web!.standby['node-b']).toMatchObject({ serving: true, retired: false });
    expect(outputs.web!.standby['node-b']!.drained).toBe('web-drain-node-b_id');
    expect(outputs.web!.standby['node-a']!.drained).toBeUndefined();
  });

  it('with a VolumeSnapshotClass: a snapshot of the claim per sync time, restored for the hand-off and checked by the drain', async () => {
    const at = Date.UTC(2026, 11, 5, 7, 45);
    const synced = cfg(undefined, {
      standbySync: { 'node-a': at - 900_000, 'node-b': at },
      claim: 'node-b-data',
      volumeSnapshotClass: 'csi-hostpath-snapclass',
    });
    const before = created.length;
    const { outputs } = await declare(synced);
    const mine = created.slice(before);
    const snaps = mine.filter((r) => r.type === 'kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot');
    expect(snaps.map((r) => r.name)).toEqual(['web-standby-node-b-snapshot']); // node-a has no claim
    expect(snaps[0]!.inputs).toMatchObject({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'web-standby-node-b-202612050745', namespace: 'shop' },
      spec: {
        volumeSnapshotClassName: 'csi-hostpath-snapclass',
        source: { persistentVolumeClaimName: 'node-b-data' },
      },
    });
    const pvc = mine.find((r) => r.type === PVC && r.name === 'web-standby-node-b-data')!.inputs as Pvc;
    expect(pvc.spec.dataSource).toEqual({
      apiGroup: 'snapshot.storage.k8s.io',
      kind: 'VolumeSnapshot',
      name: 'web-standby-node-b-202612050745',
    });
    const drain = mine.find((r) => r.type === NODE_DRAIN)!;
    expect((drain.inputs as { handoff: unknown }).handoff).toEqual({
      volumeSnapshot: 'web-standby-node-b-202612050745',
      claim: 'node-b-data',
    });
    expect(outputs.web!.standby['node-b']!.snapshot).toBe('web-standby-node-b-202612050745');
  });

  it('marks it retired: the node is deleted from the cluster', async () => {
    const before = created.length;
    const { outputs } = await declare(cfg(['node-b']));
    const drain = created.slice(before).find((r) => r.type === NODE_DRAIN)!;
    expect(drain.inputs).toMatchObject({ node: 'node-b', retired: true });
    expect(outputs.web!.standby['node-b']).toMatchObject({ retired: true });
  });
});
