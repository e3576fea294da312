// The runner stack (stacks/runner) under Pulumi's own mocks: every Kubernetes object a
// ShadowcastRunner registers is recorded (type, name, inputs) and the tests assert on exact values:
// the `shadowcast run` arguments each runner gets, its state volume, the environment (the backend's
// URL as a value, credentials only by Secret reference), CronJob and Deployment settings, sharding,
// and bad args failing with one line before anything is declared. Mocks are set before the modules
// under test are imported, as Pulumi's unit-testing guide requires.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';

type Labels = Record<string, string>;

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
interface Meta {
  name: string;
  namespace?: string;
  labels: Labels;
  annotations?: Labels;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env: EnvVar[];
  envFrom?: { secretRef: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext: { allowPrivilegeEscalation: boolean };
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  configMap?: { name: string; items: { key: string; path: string }[] };
}
interface PodSpec {
  hostname: string;
  serviceAccountName: string;
  terminationGracePeriodSeconds: number;
  restartPolicy?: string;
  securityContext: { runAsNonRoot: boolean; runAsUser: number; fsGroup: number };
  containers: Container[];
  volumes: Volume[];
}
interface PodTemplate {
  metadata: { labels: Labels; annotations?: Labels };
  spec: PodSpec;
}
interface Deployment {
  metadata: Meta;
  spec: {
    replicas: number;
    strategy: { type: string };
    selector: { matchLabels: Labels };
    template: PodTemplate;
  };
}
interface CronJob {
  metadata: Meta;
  spec: {
    schedule: string;
    timeZone: string;
    concurrencyPolicy: string;
    startingDeadlineSeconds: number;
    jobTemplate: { spec: { backoffLimit: number; activeDeadlineSeconds?: number; template: PodTemplate } };
  };
}
interface Pvc {
  metadata: Meta;
  spec: { accessModes: string[]; resources: { requests: { storage: string } }; storageClassName?: string };
}
interface Service {
  metadata: Meta;
  spec: { selector: Labels; ports: { name: string; port: number; targetPort: string }[] };
}
interface ConfigMap {
  metadata: Meta;
  data: Record<string, string>;
}
interface Binding {
  metadata: Meta;
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}

const created: Recorded[] = [];

await pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      return { id: `${args.name}_id`, state: args.inputs };
    },
    call(args) {
      return args.inputs;
    },
  },
  'shadowcast-runner',
  'test',
);

type Component = typeof import('../../stacks/runner/component.js');
let ShadowcastRunner: Component['ShadowcastRunner'];
let argsModule: typeof import('../../stacks/runner/args.js');

beforeAll(async () => {
  ({ ShadowcastRunner } = await import('../../stacks/runner/component.js'));
  argsModule = await import('../../stacks/runner/args.js');
});

type Args = import('../../stacks/runner/args.js').ShadowcastRunnerArgs;

const TEMPLATE = 'config:\n  shadowcast:target: kubernetes\n';
const base = (more: Partial<Args> = {}): Args => ({
  image: 'ghcr.io/acme/shadowcast:0.1.0',
  mode: 'deployment',
  stackTemplate: TEMPLATE,
  ...more,
});

/** Resolves every Output in `value` (so every resource behind them has been registered). */
function settle<T>(value: T): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => pulumi.output(value).apply(resolve));
}

const DEPLOYMENT = 'kubernetes:apps/v1:Deployment';
const CRONJOB = 'kubernetes:batch/v1:CronJob';
const PVC = 'kubernetes:core/v1:PersistentVolumeClaim';
const SERVICE = 'kubernetes:core/v1:Service';
const CONFIGMAP = 'kubernetes:core/v1:ConfigMap';
const NAMESPACE = 'kubernetes:core/v1:Namespace';
const SERVICE_ACCOUNT = 'kubernetes:core/v1:ServiceAccount';

/** Declares a runner; returns what it registered, with finders over it. */
async function declare(name: string, args: Args) {
  const before = created.length;
  const runner = new ShadowcastRunner(name, args);
  await settle([
    runner.urn,
    runner.serviceAccount.urn,
    ...runner.runners.flatMap((r) => [r.workload.urn, r.claim.urn]),
    ...runner.configMaps.map((c) => c.urn),
    ...runner.rbac.map((r) => r.urn),
    runner.service?.urn,
  ]);
  const mine = created.slice(before).filter((r) => r.type.startsWith('kubernetes:'));
  const all = <T>(type: string): T[] => mine.filter((r) => r.type === type).map((r) => r.inputs as T);
  const one = <T>(type: string, objectName?: string): T => {
    const hits = all<{ metadata: Meta }>(type).filter(
      (o) => objectName === undefined || o.metadata.name === objectName,
    );
    expect(hits, `${type} ${objectName ?? ''}`).toHaveLength(1);
    return hits[0] as T;
  };
  return { runner, mine, all, one };
}

/** Every runner's pod template, CronJob or Deployment alike, by workload name. */
function pods(d: Awaited<ReturnType<typeof declare>>): Record<string, PodTemplate> {
  return Object.fromEntries([
    ...d.all<Deployment>(DEPLOYMENT).map((w) => [w.metadata.name, w.spec.template] as const),
    ...d.all<CronJob>(CRONJOB).map((w) => [w.metadata.name, w.spec.jobTemplate.spec.template] as const),
  ]);
}

const env = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e]));

describe('ShadowcastRunner: deployment mode, one runner', () => {
  it('runs `shadowcast run` with the state volume, the stack template and the metrics port', async () => {
    const d = await declare('shadowcast', base());
    const deployment = d.one<Deployment>(DEPLOYMENT, 'shadowcast');
    expect(deployment.metadata.namespace).toBe('shadowcast');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template;
    const [c] = pod.spec.containers;
    expect(pod.spec.containers).toHaveLength(1);
    expect(c!.image).toBe('ghcr.io/acme/shadowcast:0.1.0');
    expect(c!.args).toEqual([
      'run',
      '--state',
      '/var/lib/shadowcast',
      '--target',
      'pulumi',
      '--stack-template',
      '/etc/shadowcast/stack/stack-template.yaml',
      '--metrics-port',
      '9464',
      '--metrics-host',
      '0.0.0.0',
    ]);

    // The state directory is the runner's own claim, mounted where --state points.
    const claim = d.one<Pvc>(PVC, 'shadowcast-state');
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(claim.spec.resources.requests.storage).toBe('1Gi');
    expect(claim.metadata.annotations).toEqual({ 'pulumi.com/skipAwait': 'true' });
    const state = pod.spec.volumes.find((v) => v.persistentVolumeClaim);
    expect(state!.persistentVolumeClaim!.claimName).toBe('shadowcast-state');
    expect(c!.volumeMounts).toContainEqual({ name: state!.name, mountPath: '/var/lib/shadowcast' });

    // The stack template comes from a ConfigMap, read-only, at the path --stack-template names.
    const template = d.one<ConfigMap>(CONFIGMAP, 'shadowcast-stack-template');
    expect(template.data).toEqual({ 'stack-template.yaml': TEMPLATE });
    const templateVolume = pod.spec.volumes.find((v) => v.configMap?.name === 'shadowcast-stack-template');
    expect(templateVolume!.configMap!.items).toEqual([
      { key: 'stack-template.yaml', path: 'stack-template.yaml' },
    ]);
    expect(c!.volumeMounts).toContainEqual({
      name: templateVolume!.name,
      mountPath: '/etc/shadowcast/stack',
      readOnly: true,
    });

    // Probes and scraping on the metrics port.
    expect(c!.ports).toEqual([{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    for (const probe of [c!.readinessProbe, c!.livenessProbe, c!.startupProbe]) {
      expect(probe!.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
    }
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9464',
      'prometheus.io/path': '/metrics',
    });
    const service = d.one<Service>(SERVICE, 'shadowcast-metrics');
    expect(service.metadata.annotations!['prometheus.io/scrape']).toBe('true');
    expect(service.spec.ports).toEqual([
      { name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);

    // SIGTERM → the runner stops at a step boundary: it has 10 minutes to finish the step.
    expect(pod.spec.terminationGracePeriodSeconds).toBe(600);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    expect(c!.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(pod.spec.serviceAccountName).toBe('shadowcast');
    expect(pod.spec.hostname).toBe('shadowcast');
    expect(d.one<Meta & { metadata: Meta }>(SERVICE_ACCOUNT).metadata.name).toBe('shadowcast');
    expect(d.one<{ metadata: Meta }>(NAMESPACE).metadata.name).toBe('shadowcast');

    // app.kubernetes.io labels on every object.
    for (const r of d.mine) {
      const labels = (r.inputs.metadata as Meta).labels;
      expect(labels, `${r.type} ${r.name}`).toMatchObject({
        'app.kubernetes.io/name': 'shadowcast',
        'app.kubernetes.io/instance': 'shadowcast',
        'app.kubernetes.io/component': 'runner',
        'app.kubernetes.io/managed-by': 'pulumi',
      });
    }
  });

  it('takes the backend URL from its args (default: a file backend on the state volume)', async () => {
    const byDefault = await declare('backend-default', base({ createNamespace: false }));
    const c1 = Object.values(pods(byDefault))[0]!.spec.containers[0]!;
    expect(env(c1).PULUMI_BACKEND_URL).toEqual({
      name: 'PULUMI_BACKEND_URL',
      value: 'file:///var/lib/shadowcast/pulumi',
    });
    const s3 = 's3://acme-pulumi/shadowcast?region=eu-west-1&awssdk=v2';
    const shared = await declare('backend-s3', base({ createNamespace: false, backendUrl: s3 }));
    const c2 = Object.values(pods(shared))[0]!.spec.containers[0]!;
    expect(env(c2).PULUMI_BACKEND_URL!.value).toBe(s3);
    expect(byDefault.all(NAMESPACE)).toHaveLength(0);
  });

  it('names every credential by Secret and key, never by value', async () => {
    const d = await declare(
      'creds',
      base({
        createNamespace: false,
        backendUrl: 'https://api.pulumi.com',
        accessToken: { secret: 'pulumi-cloud', key: 'token' },
        passphrase: { secret: 'pulumi-passphrase', key: 'passphrase' },
        secretEnv: { AWS_SECRET_ACCESS_KEY: { secret: 'aws', key: 'secret' } },
        envFromSecrets: ['prometheus-auth'],
        env: { AWS_REGION: 'eu-west-1' },
        serviceAccountAnnotations: {
          'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/shadowcast',
        },
      }),
    );
    const c = Object.values(pods(d))[0]!.spec.containers[0]!;
    expect(c.env).toEqual([
      { name: 'PULUMI_BACKEND_URL', value: 'https://api.pulumi.com' },
      { name: 'PULUMI_ACCESS_TOKEN', valueFrom: { secretKeyRef: { name: 'pulumi-cloud', key: 'token' } } },
      {
        name: 'PULUMI_CONFIG_PASSPHRASE',
        valueFrom: { secretKeyRef: { name: 'pulumi-passphrase', key: 'passphrase' } },
      },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'aws', key: 'secret' } } },
      { name: 'AWS_REGION', value: 'eu-west-1' },
    ]);
    expect(c.envFrom).toEqual([{ secretRef: { name: 'prometheus-auth' } }]);
    expect(d.one<{ metadata: Meta }>(SERVICE_ACCOUNT).metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/shadowcast',
    });
    // The runner declares no Secret of its own: the credentials stay wherever they were put.
    expect(d.mine.filter((r) => r.type === 'kubernetes:core/v1:Secret')).toEqual([]);
  });

  it('mounts policies and forecast specs at their paths, and restarts the runner when they change', async () => {
    const policies = { 'defaults.yaml': 'mode: enforce\n', 'pools/web.yaml': 'pool: web\n' };
    const specs = { 'web.yaml': 'pool: web\n', 'calendars/launches.ics': 'BEGIN:VCALENDAR\n' };
    const d = await declare('files', base({ createNamespace: false, policies, specs }));
    const pod = d.one<Deployment>(DEPLOYMENT, 'files').spec.template;
    const c = pod.spec.containers[0]!;
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--policies',
        '/etc/shadowcast/policies',
        '--specs',
        '/etc/shadowcast/forecasts',
      ]),
    );
    expect(c.args.indexOf('--policies') + 1).toBe(c.args.indexOf('/etc/shadowcast/policies'));
    expect(d.one<ConfigMap>(CONFIGMAP, 'files-policies').data).toEqual({
      'defaults.yaml': 'mode: enforce\n',
      'pools__web.yaml': 'pool: web\n',
    });
    const volume = pod.spec.volumes.find((v) => v.configMap?.name === 'files-policies')!;
    expect(volume.configMap!.items).toEqual([
      { key: 'defaults.yaml', path: 'defaults.yaml' },
      { key: 'pools__web.yaml', path: 'pools/web.yaml' },
    ]);
    expect(c.volumeMounts).toContainEqual({
      name: volume.name,
      mountPath: '/etc/shadowcast/policies',
      readOnly: true,
    });
    const specVolume = pod.spec.volumes.find((v) => v.configMap?.name === 'files-specs')!;
    expect(specVolume.configMap!.items).toContainEqual({
      key: 'calendars__launches.ics',
      path: 'calendars/launches.ics',
    });

    const changed = await declare(
      'files-changed',
      base({
        createNamespace: false,
        policies: { ...policies, 'pools/web.yaml': 'pool: web\n# new\n' },
        specs,
      }),
    );
    const hash = (x: PodTemplate) => x.metadata.annotations!['shadowcast.dev/config-hash'];
    const same = await declare('files-same', base({ createNamespace: false, policies, specs }));
    expect(hash(same.one<Deployment>(DEPLOYMENT).spec.template)).toBe(hash(pod));
    expect(hash(changed.one<Deployment>(DEPLOYMENT).spec.template)).not.toBe(hash(pod));
  });

  it('binds the ServiceAccount to what the pool stacks declare, per pool namespace and cluster-wide', async () => {
    const d = await declare('k8s', base({ namespace: 'ops', rbac: { namespaces: ['shop', 'web'] } }));
    const roles = d.all<{ metadata: Meta; rules: { resources: string[]; verbs: string[] }[] }>(
      'kubernetes:rbac.authorization.k8s.io/v1:Role',
    );
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['shop', 'web']);
    const resources = roles[0]!.rules.flatMap((r) => r.resources);
    for (const kind of [
      'deployments',
      'services',
      'poddisruptionbudgets',
      'persistentvolumeclaims',
      'httproutes',
      'ingresses',
    ]) {
      expect(resources).toContain(kind);
    }
    const bindings = d.all<Binding>('kubernetes:rbac.authorization.k8s.io/v1:RoleBinding');
    expect(bindings.map((b) => [b.metadata.namespace, b.roleRef.name, b.subjects])).toEqual(
      ['shop', 'web'].map((ns) => [
        ns,
        'k8s-pools',
        [{ kind: 'ServiceAccount', name: 'k8s', namespace: 'ops' }],
      ]),
    );
    const clusterBinding = d.one<Binding>('kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding');
    expect(clusterBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'ops-k8s-pools',
    });
    const clusterRole = d.one<{ rules: { resources: string[] }[] }>(
      'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole',
    );
    expect(clusterRole.rules.flatMap((r) => r.resources)).toContain('priorityclasses');
  });
});

describe('ShadowcastRunner: cronjob mode', () => {
  it('runs `run --once` on the schedule, never two at once, with no metrics server', async () => {
    const d = await declare(
      'cron',
      base({
        mode: 'cronjob',
        schedule: '*/10 * * * *',
        timeZone: 'Europe/Berlin',
        terminationGracePeriodSeconds: 900,
      }),
    );
    const job = d.one<CronJob>(CRONJOB, 'cron');
    expect(job.spec.schedule).toBe('*/10 * * * *');
    expect(job.spec.timeZone).toBe('Europe/Berlin');
    expect(job.spec.concurrencyPolicy).toBe('Forbid');
    expect(job.spec.startingDeadlineSeconds).toBe(300);
    expect(job.spec.jobTemplate.spec.backoffLimit).toBe(0);
    const pod = job.spec.jobTemplate.spec.template;
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(900);
    const c = pod.spec.containers[0]!;
    expect(c.args).toEqual([
      'run',
      '--once',
      '--state',
      '/var/lib/shadowcast',
      '--target',
      'pulumi',
      '--stack-template',
      '/etc/shadowcast/stack/stack-template.yaml',
    ]);
    expect(c.ports).toBeUndefined();
    expect(c.readinessProbe).toBeUndefined();
    expect(pod.spec.volumes.find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim!.claimName).toBe(
      'cron-state',
    );
    expect(d.all(SERVICE)).toHaveLength(0);
    expect(d.all(DEPLOYMENT)).toHaveLength(0);
  });

  it('defaults to every 15 minutes, UTC', async () => {
    const job = (
      await declare('cron-default', base({ mode: 'cronjob', createNamespace: false }))
    ).one<CronJob>(CRONJOB);
    expect([job.spec.schedule, job.spec.timeZone]).toEqual(['*/15 * * * *', 'Etc/UTC']);
  });
});

describe('ShadowcastRunner: shards', () => {
  const S3 = 's3://acme-pulumi/shadowcast?region=eu-west-1';
  it.each(['deployment', 'cronjob'] as const)(
    '%s: 3 shards are 3 runners, --shard 0/3, 1/3, 2/3, each with its own volume',
    async (mode) => {
      const d = await declare(
        `sharded-${mode}`,
        base({ mode, shards: 3, backendUrl: S3, createNamespace: false }),
      );
      const templates = pods(d);
      const names = Object.keys(templates).sort();
      expect(names).toEqual([0, 1, 2].map((i) => `sharded-${mode}-shard-${i}`));
      const shardArgs = names.map((n) => {
        const args = templates[n]!.spec.containers[0]!.args;
        return args[args.indexOf('--shard') + 1];
      });
      expect(shardArgs).toEqual(['0/3', '1/3', '2/3']);
      const claims = names.map(
        (n) =>
          templates[n]!.spec.volumes.find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim!.claimName,
      );
      expect(claims).toEqual(names.map((n) => `${n}-state`));
      expect(
        d
          .all<Pvc>(PVC)
          .map((p) => p.metadata.name)
          .sort(),
      ).toEqual(claims);
      expect(names.map((n) => templates[n]!.metadata.labels['shadowcast.dev/shard'])).toEqual([
        '0',
        '1',
        '2',
      ]);
      // A stable hostname per runner: its locks outlive a pod, and are judged by host.
      expect(names.map((n) => templates[n]!.spec.hostname)).toEqual(names);
      if (mode === 'deployment') {
        // Each Deployment selects its own shard's pod; the one metrics Service selects them all.
        const selectors = d
          .all<Deployment>(DEPLOYMENT)
          .map((w) => w.spec.selector.matchLabels['shadowcast.dev/shard']);
        expect(selectors.sort()).toEqual(['0', '1', '2']);
        const service = d.one<Service>(SERVICE);
        for (const n of names) expect(templates[n]!.metadata.labels).toMatchObject(service.spec.selector);
      }
    },
  );

  it('a single runner gets no --shard: it takes every pool', async () => {
    const d = await declare('single', base({ createNamespace: false }));
    expect(Object.values(pods(d))[0]!.spec.containers[0]!.args).not.toContain('--shard');
  });
});

describe('ShadowcastRunner: bad args fail with one line, before anything is declared', () => {
  const big = 'x'.repeat(600 * 1024);
  const cases: {
    what: string;
    args: Partial<Args> & Record<string, unknown>;
    name?: string;
    error: string;
  }[] = [
    { what: 'no shards', args: { shards: 0 }, error: 'shards: 0 must be a whole number from 1 to 99' },
    {
      what: 'a fractional shard count',
      args: { shards: 1.5 },
      error: 'shards: 1.5 must be a whole number from 1 to 99',
    },
    {
      what: 'an unknown mode',
      args: { mode: 'daemonset' as Args['mode'] },
      error: 'mode: "daemonset" must be cronjob or deployment',
    },
    {
      what: 'a 4-field schedule',
      args: { mode: 'cronjob', schedule: '*/15 * * *' },
      error:
        'schedule: "*/15 * * *": needs 5 fields (minute hour day-of-month month day-of-week, like "*/15 * * * *"); it has 4',
    },
    {
      what: 'a schedule outside its range',
      args: { mode: 'cronjob', schedule: '61 * * * *' },
      error: 'schedule: "61 * * * *": minute "61" is outside 0-59',
    },
    {
      what: 'a schedule that never fires',
      args: { mode: 'cronjob', schedule: '0 0 31 2 *' },
      error: 'schedule: "0 0 31 2 *": never fires',
    },
    {
      what: 'a schedule for a deployment',
      args: { schedule: '*/5 * * * *' },
      error: 'schedule: only for mode cronjob (a deployment runs each pool on its policy’s own schedule)',
    },
    {
      what: 'a metrics port for a cronjob',
      args: { mode: 'cronjob', metricsPort: 9000 },
      error: 'metricsPort: only for mode deployment (a CronJob’s run exits, so nothing to scrape)',
    },
    {
      what: 'an unknown time zone',
      args: { mode: 'cronjob', timeZone: 'Mars/Olympus' },
      error: 'timeZone: "Mars/Olympus" is not an IANA time zone like Europe/Berlin',
    },
    {
      what: 'shards on per-runner file backends',
      args: { shards: 2 },
      error:
        "backendUrl: 2 shards need a backend they all share (s3://, gs://, azblob://, https://): a file backend on each runner's own volume would split the pools' stacks between runners",
    },
    {
      what: 'a backend that is no URL',
      args: { backendUrl: 'my-bucket' },
      error:
        'backendUrl: "my-bucket" must be a Pulumi backend URL: file://, s3://, gs://, azblob:// or https://',
    },
    {
      what: 'Pulumi Cloud without a token',
      args: { backendUrl: 'https://api.pulumi.com' },
      error:
        'accessToken: backendUrl https://api.pulumi.com is Pulumi Cloud: name the Secret holding PULUMI_ACCESS_TOKEN, {secret, key}',
    },
    {
      what: 'a passphrase given as a value',
      args: { passphrase: 'hunter2' as unknown as Args['passphrase'] },
      error: 'passphrase: "hunter2" must be a map',
    },
    {
      what: 'a secret ref with a value in it',
      args: { passphrase: { secret: 's', key: 'k', value: 'hunter2' } as unknown as Args['passphrase'] },
      error:
        'passphrase: must name a Secret and a key in it, {secret, key}: credentials are referenced, never given as values',
    },
    {
      what: 'a credential in plain env',
      args: { env: { AWS_SECRET_ACCESS_KEY: 'wJalr' } },
      error:
        'env.AWS_SECRET_ACCESS_KEY: looks like a credential: give it as secretEnv {secret, key}, not a value',
    },
    {
      what: 'the backend URL in env',
      args: { env: { PULUMI_BACKEND_URL: 'file:///tmp' } },
      error: 'env.PULUMI_BACKEND_URL: set by the runner itself (from backendUrl)',
    },
    {
      what: 'target pulumi without a stack template',
      args: { stackTemplate: undefined },
      error:
        'stackTemplate: target pulumi needs the text of a Pulumi.<stack>.yaml with shadowcast:target and its settings',
    },
    {
      what: 'a stack name for one stack',
      args: { stackName: 'prod' },
      error: 'stackName: "prod" must contain <pool>: each pool needs a stack of its own',
    },
    { what: 'an unknown arg', args: { replicas: 2 }, error: 'replicas: unknown arg; known: ' },
    {
      what: 'a grace period too short for a step',
      args: { terminationGracePeriodSeconds: 5 },
      error: 'terminationGracePeriodSeconds: 5 must be a whole number of at least 30',
    },
    {
      what: 'a policy path out of its directory',
      args: { policies: { '../secrets.yaml': 'x' } },
      error:
        'policies.../secrets.yaml: must be a relative path inside the directory (no /, . or .. segments)',
    },
    {
      what: 'specs too big for a ConfigMap',
      args: { specs: { 'a.csv': big, 'b.csv': big } },
      error:
        "specs: 1.17 MiB of files; a ConfigMap holds at most 1 MiB: leave specs unset to use the image's own, or trim them",
    },
    {
      what: 'a name that is no DNS label',
      name: 'Shadowcast',
      args: {},
      error:
        'name: "Shadowcast" must be at most 40 lowercase letters, digits and dashes (it names the Kubernetes objects)',
    },
  ];

  it.each(cases)('$what', ({ args, name, error }) => {
    const before = created.length;
    const runnerName = name ?? 'bad';
    let message = '';
    try {
      new ShadowcastRunner(runnerName, base(args as Partial<Args>));
    } catch (err) {
      message = (err as Error).message;
      expect(err).toBeInstanceOf(argsModule.RunnerArgsError);
    }
    expect(message.startsWith(`ShadowcastRunner ${runnerName}: ${error}`), message).toBe(true);
    expect(message).not.toContain('\n');
    expect(created.length).toBe(before);
  });

  it('checkRunnerArgs lists every default it filled in', () => {
    const s = argsModule.checkRunnerArgs('x', base());
    expect(s).toMatchObject({
      shards: 1,
      namespace: 'shadowcast',
      createNamespace: true,
      backendUrl: 'file:///var/lib/shadowcast/pulumi',
      metricsPort: 9464,
      terminationGracePeriodSeconds: 600,
      storage: { size: '1Gi' },
      target: 'pulumi',
    });
  });
});

describe('the runner program (stacks/runner/index.ts)', () => {
  const runnerDir = fileURLToPath(new URL('../../stacks/runner/', import.meta.url));

  /** Stack config from a Pulumi.<stack>.yaml, as `pulumi config` hands it to the program. */
  function stackConfig(file: string): Record<string, string> {
    const doc = parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
    return Object.fromEntries(
      Object.entries(doc.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  }

  /** Runs the program as the CLI would: from its project directory, with `config`. */
  async function runProgram(config: Record<string, string>) {
    pulumi.runtime.setAllConfig(config);
    vi.resetModules();
    const cwd = process.cwd();
    process.chdir(runnerDir);
    try {
      return await import('../../stacks/runner/index.js');
    } finally {
      process.chdir(cwd);
    }
  }

  it('declares the example stack: the policies, specs and stack template read from the repository', async () => {
    const before = created.length;
    const program = await runProgram(stackConfig(`${runnerDir}Pulumi.example.yaml`));
    const [workloads, claims, service] = await settle([
      program.workloads,
      program.stateClaims,
      program.metricsService,
    ]);
    expect(workloads).toEqual(['shadowcast']);
    expect(claims).toEqual(['shadowcast-state']);
    expect(service).toBe('shadowcast-metrics');
    const mine = created.slice(before);
    const maps = Object.fromEntries(
      mine
        .filter((r) => r.type === CONFIGMAP)
        .map((r) => [
          (r.inputs as unknown as ConfigMap).metadata.name,
          (r.inputs as unknown as ConfigMap).data,
        ]),
    );
    // The policy loader's files only (not the CrossGuard pack), and every spec file.
    expect(Object.keys(maps['shadowcast-policies']!).sort()).toEqual([
      'defaults.yaml',
      'pools__checkout-api.yaml',
      'pools__storefront.yaml',
    ]);
    expect(maps['shadowcast-policies']!['defaults.yaml']).toBe(
      readFileSync(`${runnerDir}../../policies/defaults.yaml`, 'utf8'),
    );
    expect(Object.keys(maps['shadowcast-specs']!)).toContain('calendars__deploys.ics');
    expect(Object.keys(maps['shadowcast-specs']!)).toContain('storefront.yaml');
    expect(maps['shadowcast-stack-template']!['stack-template.yaml']).toBe(
      readFileSync(`${runnerDir}stack-template.example.yaml`, 'utf8'),
    );
    const deployment = mine.find((r) => r.type === DEPLOYMENT)!.inputs as unknown as Deployment;
    const c = deployment.spec.template.spec.containers[0]!;
    expect(env(c).PULUMI_CONFIG_PASSPHRASE!.valueFrom).toEqual({
      secretKeyRef: { name: 'shadowcast-pulumi', key: 'passphrase' },
    });
    expect(mine.filter((r) => r.type === NAMESPACE)).toEqual([]);
  });

  it("the example's stack template is Pulumi.example-kubernetes.yaml's settings, less its context and DesiredState", () => {
    const template = stackConfig(`${runnerDir}stack-template.example.yaml`);
    const example = stackConfig(`${runnerDir}../../Pulumi.example-kubernetes.yaml`);
    delete example['kubernetes:context'];
    delete example['shadowcast:desired'];
    expect(template).toEqual(example);
  });

  it.each<{ config: Record<string, string>; error: string }>([
    {
      config: { 'shadowcast-runner:shards': '0' },
      error: 'shadowcast-runner:shards: 0 must be a whole number from 1 to 99',
    },
    { config: { 'shadowcast-runner:shard': '2' }, error: 'shadowcast-runner:shard: unknown key; known: ' },
    {
      config: { 'shadowcast-runner:shards': 'three' },
      error: 'shadowcast-runner:shards: "three" is not a number, true/false, list or map',
    },
    {
      config: { 'shadowcast-runner:stackTemplate': 'config: {}' },
      error:
        'shadowcast-runner:stackTemplateFile: give shadowcast-runner:stackTemplateFile or shadowcast-runner:stackTemplate, not both',
    },
    {
      config: { 'shadowcast-runner:specsDir': 'no-such-dir' },
      error: 'shadowcast-runner:specsDir: cannot read ',
    },
  ])('fails with the config key: $error', async ({ config, error }) => {
    const example = stackConfig(`${runnerDir}Pulumi.example.yaml`);
    const before = created.length;
    const failure = await runProgram({ ...example, ...config }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(pulumi.RunError);
    expect((failure as Error).message.startsWith(error), (failure as Error).message).toBe(true);
    expect(created.length).toBe(before);
  });
});
