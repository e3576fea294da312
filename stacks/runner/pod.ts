// One runner's pod: the `shadowcast run` arguments, the environment (the backend's URL as a value,
// every credential by Secret reference), the state volume and the mounted config files, and for a
// Deployment the probes on /metrics. Pure (no Pulumi calls); the component wires the names in.

import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { RunnerSettings, SecretKeyRef } from './args.js';
import { STATE_DIR } from './args.js';

/** The image's user and group (the Dockerfile's `USER`); the state volume is made theirs. */
export const RUNNER_UID = 10001;
export const MOUNTS = {
  state: STATE_DIR,
  policies: '/etc/shadowcast/policies',
  specs: '/etc/shadowcast/forecasts',
  stack: '/etc/shadowcast/stack',
} as const;
export const STACK_TEMPLATE_FILE = 'stack-template.yaml';
export const CONTAINER_NAME = 'shadowcast';

/** Which share of the pools a runner takes: `--shard index/count`, index from 0. */
export interface Shard {
  index: number;
  count: number;
}

/** A runner's workload, pod hostname and (with `-state`) volume: the name, or `<name>-shard-<i>`. */
export function runnerName(s: RunnerSettings, shard: Shard): string {
  return shard.count === 1 ? s.name : `${s.name}-shard-${shard.index}`;
}

/** `--shard` as the CLI reads it: `i/n` with i from 0 to n−1. */
export function shardFlag(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * The container's args after the image's ENTRYPOINT (`node dist/src/cli/main.js`). A single runner
 * gets no `--shard`: it takes every pool.
 */
export function runArgs(s: RunnerSettings, shard: Shard): string[] {
  const args = ['run'];
  if (s.mode === 'cronjob') args.push('--once');
  args.push('--state', MOUNTS.state);
  if (s.specs) args.push('--specs', MOUNTS.specs);
  if (s.policies) args.push('--policies', MOUNTS.policies);
  args.push('--target', s.target);
  if (s.stackTemplate !== undefined) args.push('--stack-template', `${MOUNTS.stack}/${STACK_TEMPLATE_FILE}`);
  if (s.stackName !== undefined) args.push('--stack-name', s.stackName);
  if (shard.count > 1) args.push('--shard', shardFlag(shard));
  if (s.mode === 'deployment')
    args.push('--metrics-port', String(s.metricsPort), '--metrics-host', '0.0.0.0');
  return [...args, ...s.extraArgs];
}

function fromSecret(name: string, ref: SecretKeyRef): k8s.types.input.core.v1.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } };
}

/** PULUMI_BACKEND_URL, then the credentials (by reference), then the plain environment. */
export function runnerEnv(s: RunnerSettings): k8s.types.input.core.v1.EnvVar[] {
  const env: k8s.types.input.core.v1.EnvVar[] = [{ name: 'PULUMI_BACKEND_URL', value: s.backendUrl }];
  if (s.accessToken) env.push(fromSecret('PULUMI_ACCESS_TOKEN', s.accessToken));
  if (s.passphrase) env.push(fromSecret('PULUMI_CONFIG_PASSPHRASE', s.passphrase));
  for (const name of Object.keys(s.secretEnv).sort()) env.push(fromSecret(name, s.secretEnv[name]!));
  for (const name of Object.keys(s.env).sort()) env.push({ name, value: s.env[name]! });
  return env;
}

/** A mounted ConfigMap: its name and the items placing each key at its path. */
export interface MountedConfigMap {
  name: pulumi.Input<string>;
  items: { key: string; path: string }[];
}

export interface PodRefs {
  serviceAccount: pulumi.Input<string>;
  claim: pulumi.Input<string>;
  policies?: MountedConfigMap;
  specs?: MountedConfigMap;
  stackTemplate?: MountedConfigMap;
}

export function runnerPodSpec(
  s: RunnerSettings,
  shard: Shard,
  refs: PodRefs,
): k8s.types.input.core.v1.PodSpec & { containers: k8s.types.input.core.v1.Container[] } {
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: 'state', persistentVolumeClaim: { claimName: refs.claim } },
  ];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: 'state', mountPath: MOUNTS.state }];
  const mount = (name: string, path: string, cm: MountedConfigMap | undefined) => {
    if (!cm) return;
    volumes.push({ name, configMap: { name: cm.name, items: cm.items } });
    mounts.push({ name, mountPath: path, readOnly: true });
  };
  mount('policies', MOUNTS.policies, refs.policies);
  mount('specs', MOUNTS.specs, refs.specs);
  mount('stack-template', MOUNTS.stack, refs.stackTemplate);

  const metrics = s.mode === 'deployment';
  const probe = (periodSeconds: number, failureThreshold: number): k8s.types.input.core.v1.Probe => ({
    httpGet: { path: '/metrics', port: 'metrics' },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  const container: k8s.types.input.core.v1.Container = {
    name: CONTAINER_NAME,
    image: s.image,
    imagePullPolicy: s.imagePullPolicy,
    args: runArgs(s, shard),
    env: runnerEnv(s),
    ...(s.envFromSecrets.length
      ? { envFrom: s.envFromSecrets.map((name) => ({ secretRef: { name } })) }
      : {}),
    volumeMounts: mounts,
    resources: s.resources,
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      // Not read-only: the Automation API writes Pulumi.<stack>.yaml beside the image's
      // Pulumi.yaml, and the CLI writes its workspace files under PULUMI_HOME.
      readOnlyRootFilesystem: false,
    },
    ...(metrics
      ? {
          ports: [{ name: 'metrics', containerPort: s.metricsPort, protocol: 'TCP' }],
          // Startup allows for a slow first start; liveness restarts a runner whose server hangs.
          startupProbe: probe(5, 36),
          readinessProbe: probe(10, 3),
          livenessProbe: probe(30, 5),
        }
      : {}),
  };
  return {
    // The same hostname in every pod of this runner, one after another: the pool locks and the
    // Pulumi file backend's stack locks record the host that took them, and only a lock from this
    // host whose process is gone is cleared. A new name per pod would leave a killed pod's locks
    // held for good.
    hostname: runnerName(s, shard),
    serviceAccountName: refs.serviceAccount,
    // The SIGTERM of a rollout or an eviction makes the runner stop at the next step boundary;
    // this is how long it has to finish the step in flight before SIGKILL.
    terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUNNER_UID,
      runAsGroup: RUNNER_UID,
      fsGroup: RUNNER_UID,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...(s.imagePullSecrets.length ? { imagePullSecrets: s.imagePullSecrets.map((name) => ({ name })) } : {}),
    containers: [container],
    volumes,
  };
}
