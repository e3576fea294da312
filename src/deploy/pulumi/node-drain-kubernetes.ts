// Switching a Kubernetes node out for its standby, undoing that, and retiring the node: what the
// provider plugin's `shadowcast:kubernetes:NodeDrain` resource does (create, delete, update to
// retired), through the Kubernetes API.
//
//   switch   check the hand-off (the VolumeSnapshot the standby restores is ready to use, and as
//            large as the node's claim), cordon the node (spec.unschedulable), evict the pool's pods on it through the
//            Eviction API, which refuses (429) while a PodDisruptionBudget would be broken: the
//            eviction is retried until it is allowed or the step's time is up; then wait until
//            none of the pool's pods is left on the node and its Deployment has every replica
//            ready again (elsewhere: the standby's room, or other nodes).
//   undo     uncordon the node: it takes pods again (a rollback of the switch).
//   retire   delete the Node object; the cloud's node group (or its autoscaler) replaces it.
//
// Each is idempotent, so a step retried after a crash does no harm: an evicted pod that is
// already gone counts as evicted, a node already deleted as retired.

import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { parseMemory } from '../../core/quantity.js';

/** The node to switch out, and the pool workload whose pods must leave it. */
export interface KubeNodeTarget {
  node: string;
  namespace: string;
  /** The primary Deployment of the pool: its pods are evicted, and it must be ready again. */
  deployment: string;
  /** Labels of its pods. */
  selector: Record<string, string>;
  /**
   * The hand-off, when the standby restores the node's claim from a VolumeSnapshot: before the
   * node is cordoned, the snapshot must be ready to use and restore at least the claim's size.
   */
  handoff?: { volumeSnapshot: string; claim: string };
}

export interface DrainTiming {
  /** The whole drain must be done within this (ms). */
  timeoutMs: number;
  /** Between attempts of a refused eviction, and between readiness checks (ms). */
  pollMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** One line per thing done or waited for. */
  onProgress?: (line: string) => void;
}

export interface DrainReport {
  evicted: string[];
  /** Evictions refused by a PodDisruptionBudget before they were allowed. */
  refusals: number;
  durationMs: number;
}

const MERGE_PATCH = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Cordon, evict the pool's pods, wait for them to be ready elsewhere. Throws why it could not. */
export async function drainNode(
  kc: KubeConfig,
  t: KubeNodeTarget,
  timing: DrainTiming,
): Promise<DrainReport> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const now = timing.now ?? Date.now;
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const say = timing.onProgress ?? (() => {});
  const start = now();
  const deadline = start + timing.timeoutMs;
  const late = (what: string) =>
    new Error(`drain of ${t.node} timed out after ${Math.round((now() - start) / 1000)} s: ${what}`);

  if (t.handoff)
    await checkHandoff(kc, t, t.handoff, { deadline, now, sleep, say, late, pollMs: timing.pollMs });
  await core.patchNode({ name: t.node, body: { spec: { unschedulable: true } } }, MERGE_PATCH());
  say(`cordoned ${t.node}`);
  const labelSelector = Object.entries(t.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const onNode = async () =>
    (
      await core.listNamespacedPod({
        namespace: t.namespace,
        fieldSelector: `spec.nodeName=${t.node}`,
        labelSelector,
      })
    ).items.map((p) => p.metadata!.name!);

  const evicted: string[] = [];
  let refusals = 0;
  for (const name of await onNode()) {
    for (;;) {
      try {
        await core.createNamespacedPodEviction({
          name,
          namespace: t.namespace,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: t.namespace } },
        });
        break;
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) break; // already gone
        if (!(err instanceof ApiException && err.code === 429)) throw apiError(`evicting ${name}`, err);
        refusals++;
        if (now() + timing.pollMs > deadline) {
          throw late(`the eviction of ${name} is still refused by a PodDisruptionBudget`);
        }
        say(`eviction of ${name} refused by a PodDisruptionBudget; trying again`);
        await sleep(timing.pollMs);
      }
    }
    evicted.push(name);
    say(`evicted ${name}`);
  }

  for (;;) {
    const left = await onNode();
    const d = await apps.readNamespacedDeployment({ name: t.deployment, namespace: t.namespace });
    const want = d.spec?.replicas ?? 1;
    const ready = d.status?.readyReplicas ?? 0;
    if (left.length === 0 && ready >= want) break;
    if (now() + timing.pollMs > deadline) {
      throw late(
        left.length > 0
          ? `${left.length} pod(s) still on the node (${left.join(', ')})`
          : `deployment ${t.deployment} has ${ready} of ${want} replicas ready`,
      );
    }
    await sleep(timing.pollMs);
  }
  say(`${t.node} drained: ${evicted.length} pod(s) ready elsewhere`);
  return { evicted, refusals, durationMs: now() - start };
}

/** Waits until the VolumeSnapshot is ready to use, then checks it restores the claim's size. */
async function checkHandoff(
  kc: KubeConfig,
  t: KubeNodeTarget,
  h: { volumeSnapshot: string; claim: string },
  w: {
    deadline: number;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    say: (line: string) => void;
    late: (what: string) => Error;
    pollMs: number;
  },
): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const what = `VolumeSnapshot ${t.namespace}/${h.volumeSnapshot}`;
  let status: { readyToUse?: boolean; restoreSize?: string; error?: { message?: string } } = {};
  for (;;) {
    try {
      const snap = (await custom.getNamespacedCustomObject({
        group: 'snapshot.storage.k8s.io',
        version: 'v1',
        namespace: t.namespace,
        plural: 'volumesnapshots',
        name: h.volumeSnapshot,
      })) as { status?: typeof status };
      status = snap.status ?? {};
    } catch (err) {
      throw apiError(`hand-off of ${t.node}: reading ${what}`, err);
    }
    if (status.error?.message)
      throw new Error(`hand-off of ${t.node}: ${what} failed: ${status.error.message}`);
    if (status.readyToUse === true) break;
    if (w.now() + w.pollMs > w.deadline)
      throw w.late(`${what} is not ready to use: the node stays in service`);
    w.say(`waiting for ${what} to be ready to use`);
    await w.sleep(w.pollMs);
  }
  let claimSize: string | undefined;
  try {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: h.claim, namespace: t.namespace });
    claimSize = pvc.status?.capacity?.storage ?? pvc.spec?.resources?.requests?.storage;
  } catch (err) {
    throw apiError(`hand-off of ${t.node}: reading claim ${h.claim}`, err);
  }
  const restore = parseMemory(status.restoreSize ?? '');
  const need = parseMemory(claimSize ?? '');
  if (restore === undefined || need === undefined || restore < need) {
    throw new Error(
      `hand-off of ${t.node}: ${what} restores ${status.restoreSize ?? 'no size'}, the claim ${h.claim} holds ${claimSize ?? 'no size'}: the node stays in service`,
    );
  }
  w.say(`hand-off checked: ${what} ready, ${status.restoreSize}`);
}

/** Undo a switch: the node takes pods again. */
export async function uncordonNode(kc: KubeConfig, node: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, MERGE_PATCH());
  } catch (err) {
    throw apiError(`uncordoning ${node}`, err);
  }
}

/** Retire the node: delete it from the cluster (gone already counts). */
export async function removeNode(kc: KubeConfig, node: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.deleteNode({ name: node });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return;
    throw apiError(`deleting node ${node}`, err);
  }
}

/** One line: what was being done, the HTTP status and the API's message (never a token). */
function apiError(what: string, err: unknown): Error {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    let message: string | undefined;
    if (typeof body === 'string') {
      try {
        message = (JSON.parse(body) as { message?: string }).message;
      } catch {
        message = body.slice(0, 200);
      }
    } else if (body && typeof body === 'object') message = (body as { message?: string }).message;
    return new Error(`${what}: HTTP ${err.code}${message ? `: ${message}` : ''}`);
  }
  return new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}
