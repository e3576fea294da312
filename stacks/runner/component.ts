// ShadowcastRunner: `shadowcast run` on Kubernetes, driving the pool stacks through the Automation
// API from the image this repository's Dockerfile builds. Per runner (one, or `shards` of them,
// each with `--shard i/n`): a CronJob (`run --once` on a schedule, never two at once) or a
// Deployment (long-running `run`, one replica, Recreate), and a PersistentVolumeClaim for its state
// directory. Shared by the runners: the ServiceAccount, ConfigMaps holding the policies, forecast
// specs and stack template when given, a metrics Service (deployment mode), RBAC for a Kubernetes
// target when asked, and the namespace when it is to be created.
//
// State directories are per runner: shadowcast's pool lock only guards one of them. What keeps two
// runners off one stack is the Pulumi backend's own stack lock, which is why more than one shard
// needs a backend they share.

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { checkRunnerArgs, RunnerArgsError, type RunnerSettings, type ShadowcastRunnerArgs } from './args.js';
import { contentHash, type MountedFiles } from './config-files.js';
import { type MountedConfigMap, runnerName, runnerPodSpec, type Shard, STACK_TEMPLATE_FILE } from './pod.js';
import { CLUSTER_RULES, NAMESPACE_RULES } from './rbac.js';

export type { ShadowcastRunnerArgs } from './args.js';

export const RUNNER_LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  /** The runner's shard index (`--shard <this>/<count>`), from 0. */
  shard: 'shadowcast.dev/shard',
  shards: 'shadowcast.dev/shards',
} as const;

/** A runner's workload and state volume. */
export interface RunnerWorkload {
  shard: Shard;
  workload: k8s.batch.v1.CronJob | k8s.apps.v1.Deployment;
  claim: k8s.core.v1.PersistentVolumeClaim;
}

export class ShadowcastRunner extends pulumi.ComponentResource {
  readonly settings: RunnerSettings;
  readonly namespace: pulumi.Output<string>;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly runners: RunnerWorkload[];
  readonly configMaps: k8s.core.v1.ConfigMap[];
  /** The metrics Service (deployment mode). */
  readonly service?: k8s.core.v1.Service;
  /** Roles and bindings for a Kubernetes target (`rbac`). */
  readonly rbac: pulumi.CustomResource[] = [];

  constructor(name: string, args: ShadowcastRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything registers: bad args fail with one line, with nothing half-declared.
    let settings: RunnerSettings;
    try {
      settings = checkRunnerArgs(name, args);
    } catch (err) {
      if (err instanceof RunnerArgsError)
        throw new RunnerArgsError(`ShadowcastRunner ${name}: ${err.key}`, err.problem);
      throw err;
    }
    super('shadowcast:runner:ShadowcastRunner', name, {}, opts);
    this.settings = settings;
    const s = settings;
    const parent = { parent: this };
    const common = this.labels();

    const ns = s.createNamespace
      ? new k8s.core.v1.Namespace(
          `${name}-namespace`,
          { metadata: { name: s.namespace, labels: common } },
          parent,
        )
      : undefined;
    // Through the Namespace's output, so every namespaced object waits for it.
    this.namespace = ns ? ns.metadata.name : pulumi.output(s.namespace);
    const meta = (objectName: string, labels = common) => ({
      name: objectName,
      namespace: this.namespace,
      labels,
    });

    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          ...meta(name),
          ...(Object.keys(s.serviceAccountAnnotations).length
            ? { annotations: s.serviceAccountAnnotations }
            : {}),
        },
      },
      parent,
    );

    this.configMaps = [];
    const configMap = (suffix: string, mounted: MountedFiles | undefined) => {
      if (!mounted) return undefined;
      const cm = new k8s.core.v1.ConfigMap(
        `${name}-${suffix}`,
        { metadata: meta(`${name}-${suffix}`), data: mounted.data },
        parent,
      );
      this.configMaps.push(cm);
      return {
        mounted: { name: cm.metadata.name, items: mounted.items } as MountedConfigMap,
        data: mounted.data,
      };
    };
    const policies = configMap('policies', s.policies);
    const specs = configMap('specs', s.specs);
    const stackTemplate = configMap(
      'stack-template',
      s.stackTemplate !== undefined
        ? {
            data: { [STACK_TEMPLATE_FILE]: s.stackTemplate },
            items: [{ key: STACK_TEMPLATE_FILE, path: STACK_TEMPLATE_FILE }],
          }
        : undefined,
    );
    const configHash = contentHash(policies?.data ?? {}, specs?.data ?? {}, stackTemplate?.data ?? {});

    if (s.rbac) this.declareRbac(name, s.rbac.namespaces, common);

    this.runners = [];
    for (let index = 0; index < s.shards; index++) {
      const shard = { index, count: s.shards };
      const workloadName = runnerName(s, shard);
      const labels = {
        ...common,
        [RUNNER_LABELS.shard]: String(index),
        [RUNNER_LABELS.shards]: String(s.shards),
      };
      const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${workloadName}-state`,
        {
          metadata: {
            ...meta(`${workloadName}-state`, labels),
            // Bound once the runner's pod mounts it (WaitForFirstConsumer classes): do not wait for
            // that here; the Deployment's own await covers it, and a CronJob has no pod yet.
            annotations: { 'pulumi.com/skipAwait': 'true' },
          },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: s.storage.size } },
            ...(s.storage.storageClassName !== undefined
              ? { storageClassName: s.storage.storageClassName }
              : {}),
          },
        },
        // The journal, and with the default file backend the pool stacks' state, live here:
        // removing the runner must not delete them.
        { ...parent, retainOnDelete: true },
      );
      const podSpec = runnerPodSpec(s, shard, {
        serviceAccount: this.serviceAccount.metadata.name,
        claim: claim.metadata.name,
        ...(policies ? { policies: policies.mounted } : {}),
        ...(specs ? { specs: specs.mounted } : {}),
        ...(stackTemplate ? { stackTemplate: stackTemplate.mounted } : {}),
      });
      const selector = this.selector(index);
      const workload =
        s.mode === 'cronjob'
          ? this.cronJob(workloadName, meta(workloadName, labels), labels, podSpec)
          : this.deployment(workloadName, meta(workloadName, labels), labels, selector, podSpec, configHash);
      this.runners.push({ shard, workload, claim });
    }

    if (s.mode === 'deployment') {
      this.service = new k8s.core.v1.Service(
        `${name}-metrics`,
        {
          metadata: {
            ...meta(`${name}-metrics`),
            ...(s.prometheusScrape ? { annotations: this.scrape() } : {}),
          },
          spec: {
            type: 'ClusterIP',
            // Every shard's pod: one endpoint each.
            selector: this.selector(),
            ports: [{ name: 'metrics', port: s.metricsPort, targetPort: 'metrics', protocol: 'TCP' }],
          },
        },
        parent,
      );
    }

    this.registerOutputs({
      namespace: this.namespace,
      serviceAccount: this.serviceAccount.metadata.name,
      workloads: this.runners.map((r) => r.workload.metadata.name),
      claims: this.runners.map((r) => r.claim.metadata.name),
      ...(this.service ? { service: this.service.metadata.name } : {}),
    });
  }

  /** app.kubernetes.io labels over the args' own. */
  private labels(): Record<string, string> {
    return {
      ...this.settings.labels,
      [RUNNER_LABELS.name]: 'shadowcast',
      [RUNNER_LABELS.instance]: this.settings.name,
      [RUNNER_LABELS.component]: 'runner',
      [RUNNER_LABELS.partOf]: 'shadowcast',
      [RUNNER_LABELS.managedBy]: 'pulumi',
    };
  }

  /** The pods of one shard, or of every shard: only fixed labels, since a selector cannot change. */
  private selector(shard?: number): Record<string, string> {
    return {
      [RUNNER_LABELS.name]: 'shadowcast',
      [RUNNER_LABELS.instance]: this.settings.name,
      [RUNNER_LABELS.component]: 'runner',
      ...(shard !== undefined ? { [RUNNER_LABELS.shard]: String(shard) } : {}),
    };
  }

  private scrape(): Record<string, string> {
    return {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(this.settings.metricsPort),
      'prometheus.io/path': '/metrics',
    };
  }

  private cronJob(
    name: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    labels: Record<string, string>,
    podSpec: k8s.types.input.core.v1.PodSpec,
  ): k8s.batch.v1.CronJob {
    const s = this.settings;
    return new k8s.batch.v1.CronJob(
      name,
      {
        metadata,
        spec: {
          schedule: s.schedule,
          timeZone: s.timeZone,
          // A run still going when the next is due: the next is skipped, never started beside it.
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: s.startingDeadlineSeconds,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels },
            spec: {
              // A failed run is not retried at once: the next schedule runs it, and the journal
              // resumes or rolls back what it left.
              backoffLimit: 0,
              ...(s.activeDeadlineSeconds !== undefined
                ? { activeDeadlineSeconds: s.activeDeadlineSeconds }
                : {}),
              template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Never' } },
            },
          },
        },
      },
      { parent: this },
    );
  }

  private deployment(
    name: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    labels: Record<string, string>,
    selector: Record<string, string>,
    podSpec: k8s.types.input.core.v1.PodSpec,
    configHash: string,
  ): k8s.apps.v1.Deployment {
    const s = this.settings;
    // Recreate waits out the old pod's grace period before starting the new one: allow for it.
    const timeout = `${Math.ceil(s.terminationGracePeriodSeconds / 60) + 10}m`;
    return new k8s.apps.v1.Deployment(
      name,
      {
        metadata,
        spec: {
          // One runner per state directory: never a second pod on the same volume, not even
          // during a rollout (Recreate stops the old pod first).
          replicas: 1,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels,
              annotations: {
                ...(s.prometheusScrape ? this.scrape() : {}),
                // New policies, specs or stack template restart the runner to read them.
                'shadowcast.dev/config-hash': configHash,
              },
            },
            spec: podSpec,
          },
        },
      },
      { parent: this, customTimeouts: { create: timeout, update: timeout } },
    );
  }

  private declareRbac(name: string, namespaces: string[], labels: Record<string, string>): void {
    const subject = {
      kind: 'ServiceAccount',
      name: this.serviceAccount.metadata.name,
      namespace: this.namespace,
    };
    const parent = { parent: this };
    for (const ns of namespaces) {
      const role = new k8s.rbac.v1.Role(
        `${name}-pools-${ns}`,
        { metadata: { name: `${name}-pools`, namespace: ns, labels }, rules: NAMESPACE_RULES },
        parent,
      );
      const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-pools-${ns}`,
        {
          metadata: { name: `${name}-pools`, namespace: ns, labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
          subjects: [subject],
        },
        parent,
      );
      this.rbac.push(role, binding);
    }
    // Cluster-scoped names are global: qualified by the runner's namespace.
    const clusterName = pulumi.interpolate`${this.namespace}-${name}-pools`;
    const clusterRole = new k8s.rbac.v1.ClusterRole(
      `${name}-pools`,
      { metadata: { name: clusterName, labels }, rules: CLUSTER_RULES },
      parent,
    );
    const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-pools`,
      {
        metadata: { name: clusterName, labels },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: clusterRole.metadata.name,
        },
        subjects: [subject],
      },
      parent,
    );
    this.rbac.push(clusterRole, clusterBinding);
  }
}
