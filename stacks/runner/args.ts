// What a ShadowcastRunner takes, and the check that turns those args into settings with every
// default filled in. Pure (no Pulumi calls): a bad value fails with one line naming the arg
// before a single resource is declared. Credentials are only ever named (a Secret and a key in
// it), never given as values, so none lands in stack config or in the pod spec.

import { Cron } from 'croner';
import { cronProblem } from '../../src/policy/cron.js';
import { type MountedFiles, mountedFiles } from './config-files.js';
import { RunnerArgsError } from './errors.js';

export { RunnerArgsError } from './errors.js';

export const MODES = ['cronjob', 'deployment'] as const;
export type RunnerMode = (typeof MODES)[number];

/** A key of an existing Kubernetes Secret in the runner's namespace. */
export interface SecretKeyRef {
  /** The Secret's name. */
  secret: string;
  /** The key in it. */
  key: string;
}

export interface RunnerStorage {
  /** Size of each runner's state volume (journal, locks, plans, reports, a file backend). Default 1Gi. */
  size?: string;
  /** Default: the cluster's default StorageClass. */
  storageClassName?: string;
}

export interface RunnerResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface ShadowcastRunnerArgs {
  /** The shadowcast image (this repository's Dockerfile), e.g. `ghcr.io/acme/shadowcast:0.1.0`. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets?: string[];
  /**
   * `cronjob`: `shadowcast run --once` every `schedule`, never two at once (concurrencyPolicy
   * Forbid). `deployment`: a long-running `shadowcast run` that runs each pool on its policy's
   * cron schedule and serves /metrics.
   */
  mode: RunnerMode;
  /** cronjob: a 5-field cron expression (or @hourly, @daily, ...). Default every 15 minutes. */
  schedule?: string;
  /** cronjob: the time zone `schedule` is read in (an IANA name). Default Etc/UTC. */
  timeZone?: string;
  /** cronjob: a run that could not start within this many seconds of its time is skipped. Default 300. */
  startingDeadlineSeconds?: number;
  /** cronjob: a run still going after this many seconds is stopped (SIGTERM, then the grace period). */
  activeDeadlineSeconds?: number;
  /**
   * Runners, each with `--shard i/n` (i from 0) and a state volume of its own. Default 1. More than
   * one needs a backend they all share (not a file backend on each runner's own volume).
   */
  shards?: number;

  /** Namespace of every namespaced object. Default `shadowcast`. */
  namespace?: string;
  /** Create the namespace (default true); false: it must exist. */
  createNamespace?: boolean;

  /**
   * PULUMI_BACKEND_URL: `s3://bucket?region=...`, `gs://...`, `azblob://...`, `https://api.pulumi.com`,
   * or `file://...`. Default `file:///var/lib/shadowcast/pulumi`, on the runner's state volume.
   */
  backendUrl?: string;
  /** PULUMI_ACCESS_TOKEN, for Pulumi Cloud (an https:// backend). */
  accessToken?: SecretKeyRef;
  /** PULUMI_CONFIG_PASSPHRASE, for stacks using the passphrase secrets provider. */
  passphrase?: SecretKeyRef;
  /** More environment from Secret keys, e.g. `{AWS_ACCESS_KEY_ID: {secret: 'aws', key: 'id'}}`. */
  secretEnv?: Record<string, SecretKeyRef>;
  /** Secrets whose every key becomes an environment variable (`envFrom`). */
  envFromSecrets?: string[];
  /** Plain environment (never credentials: those go in secretEnv). */
  env?: Record<string, string>;
  /** Annotations of the ServiceAccount, e.g. `eks.amazonaws.com/role-arn` for IAM roles for service accounts. */
  serviceAccountAnnotations?: Record<string, string>;

  /** `pulumi` (default): each pool's stack; `sim`: the simulated fleet on the state volume (a dry run). */
  target?: 'pulumi' | 'sim';
  /**
   * target pulumi: the text of a `Pulumi.<stack>.yaml` whose `shadowcast:*` and provider settings
   * every pool stack gets (`--stack-template`). Mounted from a ConfigMap.
   */
  stackTemplate?: string;
  /** target pulumi: each pool's stack name, `<pool>` replaced (`--stack-name`). Default `<pool>`. */
  stackName?: string;
  /**
   * Policy files by path relative to the policy directory (`defaults.yaml`, `pools/web.yaml`),
   * mounted from a ConfigMap as `--policies`. Default: the image's own `policies/`.
   */
  policies?: Record<string, string>;
  /** Forecast specs (and the calendars they name) by relative path, mounted as `--specs`. Default: the image's `forecasts/`. */
  specs?: Record<string, string>;
  /** More arguments after shadowcast's own (`--health FILE`, ...). */
  extraArgs?: string[];

  storage?: RunnerStorage;
  /** deployment: the port `--metrics-port` serves /metrics on, probed and scraped. Default 9464. */
  metricsPort?: number;
  /** deployment: `prometheus.io/scrape` annotations on the pods and the Service. Default true. */
  prometheusScrape?: boolean;
  /**
   * Seconds between SIGTERM and SIGKILL. The runner stops at the next step boundary on SIGTERM,
   * so this must cover one step (an update and its bake). Default 600.
   */
  terminationGracePeriodSeconds?: number;
  /** Default requests cpu 500m, memory 1Gi; limit memory 2Gi (the Pulumi CLI and providers run in the pod). */
  resources?: RunnerResources;
  /**
   * Kubernetes target, in-cluster: grant the runner's ServiceAccount what shadowcast's pool stacks
   * declare in these namespaces (Deployments, Services, PodDisruptionBudgets, PersistentVolumeClaims,
   * HTTPRoutes, Ingresses) and PriorityClasses cluster-wide.
   */
  rbac?: { namespaces: string[] };
  /** Labels on every object, under the app.kubernetes.io ones. */
  labels?: Record<string, string>;
}

/** The args checked, with every default filled in. */
export interface RunnerSettings {
  name: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: string[];
  mode: RunnerMode;
  schedule: string;
  timeZone: string;
  startingDeadlineSeconds: number;
  activeDeadlineSeconds?: number;
  shards: number;
  namespace: string;
  createNamespace: boolean;
  backendUrl: string;
  accessToken?: SecretKeyRef;
  passphrase?: SecretKeyRef;
  secretEnv: Record<string, SecretKeyRef>;
  envFromSecrets: string[];
  env: Record<string, string>;
  serviceAccountAnnotations: Record<string, string>;
  target: 'pulumi' | 'sim';
  stackTemplate?: string;
  stackName?: string;
  /** The files as a ConfigMap's data and the volume items that put them back at their paths. */
  policies?: MountedFiles;
  specs?: MountedFiles;
  extraArgs: string[];
  storage: { size: string; storageClassName?: string };
  metricsPort: number;
  prometheusScrape: boolean;
  terminationGracePeriodSeconds: number;
  resources: Required<RunnerResources>;
  rbac?: { namespaces: string[] };
  labels: Record<string, string>;
}

export const STATE_DIR = '/var/lib/shadowcast';
export const DEFAULT_BACKEND_URL = `file://${STATE_DIR}/pulumi`;
export const DEFAULTS = {
  schedule: '*/15 * * * *',
  timeZone: 'Etc/UTC',
  startingDeadlineSeconds: 300,
  namespace: 'shadowcast',
  storageSize: '1Gi',
  metricsPort: 9464,
  terminationGracePeriodSeconds: 600,
  resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
} as const;

/** Environment the runner sets itself: not to be given again in env or secretEnv. */
const MANAGED_ENV = ['PULUMI_BACKEND_URL', 'PULUMI_ACCESS_TOKEN', 'PULUMI_CONFIG_PASSPHRASE', 'PULUMI_HOME'];
/** Names that say "credential": such a value belongs in a Secret, not in plain env. */
const CREDENTIAL_NAME = /SECRET|TOKEN|PASSWORD|PASSPHRASE|CREDENTIAL|PRIVATE_KEY/i;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUANTITY = /^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const BACKEND = /^(file|s3|gs|azblob|https?):\/\/\S+$/;
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
/** The longest runner name: `-shard-NN` and `-state` still fit a CronJob's 52 characters. */
const MAX_NAME = 40;
const MAX_SHARDS = 99;

function fail(key: string, problem: string): never {
  throw new RunnerArgsError(key, problem);
}

function whole(key: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    fail(key, `${JSON.stringify(value)} must be a whole number ${range}`);
  }
  return value;
}

function text(key: string, value: unknown, pattern?: RegExp, what?: string): string {
  if (typeof value !== 'string' || value.length === 0)
    fail(key, `${JSON.stringify(value)} must be a non-empty string`);
  if (pattern && !pattern.test(value))
    fail(key, `${JSON.stringify(value)} ${what ?? `must match ${pattern}`}`);
  return value;
}

function strings(key: string, value: unknown, pattern?: RegExp, what?: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(key, `${JSON.stringify(value)} must be a list`);
  return value.map((v, i) => text(`${key}.${i}`, v, pattern, what));
}

function record(key: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(key, `${JSON.stringify(value)} must be a map`);
  }
  return value as Record<string, unknown>;
}

function stringMap(key: string, value: unknown): Record<string, string> {
  const map = record(key, value);
  for (const [k, v] of Object.entries(map)) text(`${key}.${k}`, v);
  return map as Record<string, string>;
}

function secretRef(key: string, value: unknown): SecretKeyRef {
  const ref = record(key, value);
  const extra = Object.keys(ref).filter((k) => k !== 'secret' && k !== 'key');
  if (extra.length || ref.secret === undefined || ref.key === undefined) {
    fail(
      key,
      'must name a Secret and a key in it, {secret, key}: credentials are referenced, never given as values',
    );
  }
  return {
    secret: text(`${key}.secret`, ref.secret, DNS_SUBDOMAIN, 'is not a Secret name'),
    key: text(`${key}.key`, ref.key, SECRET_KEY, 'is not a Secret key (letters, digits, - _ .)'),
  };
}

function files(key: string, value: unknown): MountedFiles | undefined {
  if (value === undefined) return undefined;
  const map = record(key, value);
  if (Object.keys(map).length === 0) fail(key, 'names no files: leave it unset to use the image’s own');
  for (const [path, content] of Object.entries(map)) {
    const parts = path.split('/');
    if (path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      fail(`${key}.${path}`, 'must be a relative path inside the directory (no /, . or .. segments)');
    }
    if (typeof content !== 'string') fail(`${key}.${path}`, 'must be the file’s text');
  }
  return mountedFiles(key, map as Record<string, string>);
}

/** Why `schedule` is no cron expression a CronJob takes, or undefined. */
export function scheduleProblem(schedule: string, timeZone: string): string | undefined {
  const expr = NICKNAMES[schedule.trim()] ?? schedule;
  const problem = cronProblem(expr);
  if (problem) return problem;
  // In the CronJob's own time zone too (croner, as the policy check).
  const next = new Cron(expr, { timezone: timeZone, paused: true, mode: '5-part' }).nextRun();
  return next ? undefined : 'never fires';
}

function timeZoneOk(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The runner `name`'s args → settings with defaults; throws RunnerArgsError (one line, naming the
 * arg) on the first one that is wrong.
 */
export function checkRunnerArgs(name: string, args: ShadowcastRunnerArgs): RunnerSettings {
  if (!DNS_LABEL.test(name) || name.length > MAX_NAME) {
    fail(
      'name',
      `${JSON.stringify(name)} must be at most ${MAX_NAME} lowercase letters, digits and dashes (it names the Kubernetes objects)`,
    );
  }
  const a = args as unknown as Record<string, unknown>;
  const known = new Set<string>(KNOWN_ARGS);
  for (const key of Object.keys(a)) {
    if (!known.has(key)) fail(key, `unknown arg; known: ${KNOWN_ARGS.join(', ')}`);
  }
  const mode = a.mode;
  if (!MODES.includes(mode as RunnerMode))
    fail('mode', `${JSON.stringify(mode)} must be cronjob or deployment`);
  const cronjob = mode === 'cronjob';
  for (const key of ['schedule', 'timeZone', 'startingDeadlineSeconds', 'activeDeadlineSeconds'] as const) {
    if (!cronjob && a[key] !== undefined) {
      fail(key, 'only for mode cronjob (a deployment runs each pool on its policy’s own schedule)');
    }
  }
  for (const key of ['metricsPort', 'prometheusScrape'] as const) {
    if (cronjob && a[key] !== undefined)
      fail(key, 'only for mode deployment (a CronJob’s run exits, so nothing to scrape)');
  }

  const timeZone = a.timeZone === undefined ? DEFAULTS.timeZone : text('timeZone', a.timeZone);
  if (!timeZoneOk(timeZone))
    fail('timeZone', `${JSON.stringify(timeZone)} is not an IANA time zone like Europe/Berlin`);
  const schedule = a.schedule === undefined ? DEFAULTS.schedule : text('schedule', a.schedule);
  const why = scheduleProblem(schedule, timeZone);
  if (why) fail('schedule', `${JSON.stringify(schedule)}: ${why}`);

  const shards = a.shards === undefined ? 1 : whole('shards', a.shards, 1, MAX_SHARDS);
  const backendUrl = a.backendUrl === undefined ? DEFAULT_BACKEND_URL : text('backendUrl', a.backendUrl);
  if (!BACKEND.test(backendUrl)) {
    fail(
      'backendUrl',
      `${JSON.stringify(backendUrl)} must be a Pulumi backend URL: file://, s3://, gs://, azblob:// or https://`,
    );
  }
  if (shards > 1 && backendUrl.startsWith('file://')) {
    fail(
      'backendUrl',
      `${shards} shards need a backend they all share (s3://, gs://, azblob://, https://): a file backend on each runner's own volume would split the pools' stacks between runners`,
    );
  }
  const accessToken = a.accessToken === undefined ? undefined : secretRef('accessToken', a.accessToken);
  if (/^https?:\/\//.test(backendUrl) && !accessToken) {
    fail(
      'accessToken',
      `backendUrl ${backendUrl} is Pulumi Cloud: name the Secret holding PULUMI_ACCESS_TOKEN, {secret, key}`,
    );
  }
  const passphrase = a.passphrase === undefined ? undefined : secretRef('passphrase', a.passphrase);

  const secretEnv: Record<string, SecretKeyRef> = {};
  for (const [k, v] of Object.entries(record('secretEnv', a.secretEnv))) {
    if (!ENV_NAME.test(k)) fail(`secretEnv.${k}`, 'is not an environment variable name');
    if (MANAGED_ENV.includes(k)) fail(`secretEnv.${k}`, `set by the runner itself (${managedHow(k)})`);
    secretEnv[k] = secretRef(`secretEnv.${k}`, v);
  }
  const env = stringMap('env', a.env);
  for (const k of Object.keys(env)) {
    if (!ENV_NAME.test(k)) fail(`env.${k}`, 'is not an environment variable name');
    if (MANAGED_ENV.includes(k)) fail(`env.${k}`, `set by the runner itself (${managedHow(k)})`);
    if (CREDENTIAL_NAME.test(k))
      fail(`env.${k}`, 'looks like a credential: give it as secretEnv {secret, key}, not a value');
    if (k in secretEnv) fail(`env.${k}`, 'is in secretEnv too');
  }

  const target = a.target === undefined ? 'pulumi' : a.target;
  if (target !== 'pulumi' && target !== 'sim')
    fail('target', `${JSON.stringify(target)} must be pulumi or sim`);
  const stackTemplate = a.stackTemplate === undefined ? undefined : text('stackTemplate', a.stackTemplate);
  if (target === 'pulumi' && stackTemplate === undefined) {
    fail(
      'stackTemplate',
      'target pulumi needs the text of a Pulumi.<stack>.yaml with shadowcast:target and its settings',
    );
  }
  for (const key of ['stackTemplate', 'stackName'] as const) {
    if (target === 'sim' && a[key] !== undefined) fail(key, 'only for target pulumi');
  }
  const stackName = a.stackName === undefined ? undefined : text('stackName', a.stackName);
  if (stackName !== undefined && !stackName.includes('<pool>')) {
    fail('stackName', `${JSON.stringify(stackName)} must contain <pool>: each pool needs a stack of its own`);
  }

  const storage = record('storage', a.storage);
  for (const k of Object.keys(storage)) {
    if (k !== 'size' && k !== 'storageClassName')
      fail(`storage.${k}`, 'unknown; known: size, storageClassName');
  }
  const size =
    storage.size === undefined
      ? DEFAULTS.storageSize
      : text('storage.size', storage.size, QUANTITY, 'is not a quantity like 1Gi');
  const resources = record('resources', a.resources);
  for (const k of Object.keys(resources)) {
    if (k !== 'requests' && k !== 'limits') fail(`resources.${k}`, 'unknown; known: requests, limits');
  }
  const rbac = a.rbac === undefined ? undefined : record('rbac', a.rbac);
  const rbacNamespaces = rbac
    ? strings('rbac.namespaces', rbac.namespaces, DNS_LABEL, 'is not a namespace name')
    : [];
  if (rbac && rbacNamespaces.length === 0)
    fail('rbac.namespaces', 'name the namespaces the pool stacks declare objects in');

  const pullPolicy = a.imagePullPolicy ?? 'IfNotPresent';
  if (!['Always', 'IfNotPresent', 'Never'].includes(pullPolicy as string)) {
    fail('imagePullPolicy', `${JSON.stringify(pullPolicy)} must be Always, IfNotPresent or Never`);
  }
  const activeDeadlineSeconds =
    a.activeDeadlineSeconds === undefined
      ? undefined
      : whole('activeDeadlineSeconds', a.activeDeadlineSeconds, 1);
  const policies = files('policies', a.policies);
  const specs = files('specs', a.specs);

  return {
    name,
    image: text('image', a.image, /^\S+$/, 'is not an image reference'),
    imagePullPolicy: pullPolicy as RunnerSettings['imagePullPolicy'],
    imagePullSecrets: strings('imagePullSecrets', a.imagePullSecrets, DNS_SUBDOMAIN, 'is not a Secret name'),
    mode: mode as RunnerMode,
    schedule,
    timeZone,
    startingDeadlineSeconds:
      a.startingDeadlineSeconds === undefined
        ? DEFAULTS.startingDeadlineSeconds
        : whole('startingDeadlineSeconds', a.startingDeadlineSeconds, 10),
    ...(activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds } : {}),
    shards,
    namespace:
      a.namespace === undefined
        ? DEFAULTS.namespace
        : text('namespace', a.namespace, DNS_LABEL, 'is not a namespace name'),
    createNamespace: a.createNamespace === undefined ? true : bool('createNamespace', a.createNamespace),
    backendUrl,
    ...(accessToken ? { accessToken } : {}),
    ...(passphrase ? { passphrase } : {}),
    secretEnv,
    envFromSecrets: strings('envFromSecrets', a.envFromSecrets, DNS_SUBDOMAIN, 'is not a Secret name'),
    env,
    serviceAccountAnnotations: stringMap('serviceAccountAnnotations', a.serviceAccountAnnotations),
    target,
    ...(stackTemplate !== undefined ? { stackTemplate } : {}),
    ...(stackName !== undefined ? { stackName } : {}),
    ...(policies ? { policies } : {}),
    ...(specs ? { specs } : {}),
    extraArgs: strings('extraArgs', a.extraArgs),
    storage: {
      size,
      ...(storage.storageClassName !== undefined
        ? {
            storageClassName: text(
              'storage.storageClassName',
              storage.storageClassName,
              DNS_SUBDOMAIN,
              'is not a StorageClass name',
            ),
          }
        : {}),
    },
    metricsPort:
      a.metricsPort === undefined ? DEFAULTS.metricsPort : whole('metricsPort', a.metricsPort, 1024, 65535),
    prometheusScrape: a.prometheusScrape === undefined ? true : bool('prometheusScrape', a.prometheusScrape),
    terminationGracePeriodSeconds:
      a.terminationGracePeriodSeconds === undefined
        ? DEFAULTS.terminationGracePeriodSeconds
        : whole('terminationGracePeriodSeconds', a.terminationGracePeriodSeconds, 30),
    resources: {
      requests:
        resources.requests === undefined
          ? { ...DEFAULTS.resources.requests }
          : quantities('resources.requests', resources.requests),
      limits:
        resources.limits === undefined
          ? { ...DEFAULTS.resources.limits }
          : quantities('resources.limits', resources.limits),
    },
    ...(rbac ? { rbac: { namespaces: rbacNamespaces } } : {}),
    labels: stringMap('labels', a.labels),
  };
}

function bool(key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(key, `${JSON.stringify(value)} must be true or false`);
  return value;
}

function quantities(key: string, value: unknown): Record<string, string> {
  const map = stringMap(key, value);
  for (const [k, v] of Object.entries(map)) {
    if (!QUANTITY.test(v)) fail(`${key}.${k}`, `${JSON.stringify(v)} is not a quantity like 500m or 1Gi`);
  }
  return map;
}

function managedHow(key: string): string {
  switch (key) {
    case 'PULUMI_BACKEND_URL':
      return 'from backendUrl';
    case 'PULUMI_ACCESS_TOKEN':
      return 'from accessToken';
    case 'PULUMI_CONFIG_PASSPHRASE':
      return 'from passphrase';
    default:
      return 'the image sets it';
  }
}

/** Every arg ShadowcastRunnerArgs has, for the unknown-arg check (a typo fails, not ignored). */
export const KNOWN_ARGS = [
  'image',
  'imagePullPolicy',
  'imagePullSecrets',
  'mode',
  'schedule',
  'timeZone',
  'startingDeadlineSeconds',
  'activeDeadlineSeconds',
  'shards',
  'namespace',
  'createNamespace',
  'backendUrl',
  'accessToken',
  'passphrase',
  'secretEnv',
  'envFromSecrets',
  'env',
  'serviceAccountAnnotations',
  'target',
  'stackTemplate',
  'stackName',
  'policies',
  'specs',
  'extraArgs',
  'storage',
  'metricsPort',
  'prometheusScrape',
  'terminationGracePeriodSeconds',
  'resources',
  'rbac',
  'labels',
] as const satisfies readonly (keyof ShadowcastRunnerArgs)[];
/** Fails to compile when ShadowcastRunnerArgs gains an arg KNOWN_ARGS lacks. */
const _everyArgKnown: Exclude<keyof ShadowcastRunnerArgs, (typeof KNOWN_ARGS)[number]> extends never
  ? true
  : never = true;
