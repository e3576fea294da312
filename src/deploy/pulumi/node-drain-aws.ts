// Switching an EC2 node out for its standby, undoing that, and retiring the node: what the
// provider plugin's `shadowcast:aws:NodeDrain` resource does (create, delete, update to retired).
// The standby is already registered in the node's target group by the stack (its share is 1).
//
//   switch   check the hand-off (the snapshot the standby restored is complete, so Pulumi created
//            it, and holds as many GiB as the node's volume), then
//            deregister the node from each of its target groups and wait until the group has let
//            it go (the deregistration delay: in-flight requests finish, no new ones arrive), then
//            move it to its Auto Scaling group's Standby state, decrementing the group's desired
//            capacity so that no replacement is launched yet (the standby serves the node's slot).
//   undo     take it out of Standby (the group's desired capacity goes back up) and register it
//            in its target groups again: it serves as before (a rollback of the switch).
//   retire   terminate it, and set the group's desired capacity back to the size the stack
//            declares: the group launches the node's replacement.
//
// Each is idempotent (a target already deregistered, an instance already in Standby or already
// gone count as done), so a step retried after a crash does no harm.

import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DrainTiming } from './node-drain-kubernetes.js';

export interface AwsNodeTarget {
  instanceId: string;
  autoScalingGroup: string;
  /** The target groups the node serves in (the pool's primary target group). */
  targetGroupArns: string[];
  /** Port the targets are registered on. */
  port: number;
  /** The group's desired capacity as the stack declares it: restored after a retirement. */
  groupSize: number;
  /**
   * The copy of the node's data the standby was given, when the node has a volume: checked before
   * the node is taken out (the hand-off), so traffic never follows to a standby whose copy is short.
   */
  handoff?: { snapshotId: string; snapshotGiB: number; nodeGiB: number };
}

/** Why the standby's copy cannot take the node's place, or undefined when it can. */
export function handoffProblem(t: Pick<AwsNodeTarget, 'instanceId' | 'handoff'>): string | undefined {
  const h = t.handoff;
  if (!h) return undefined;
  if (!h.snapshotId) return `hand-off of ${t.instanceId}: the standby has no snapshot of the node's data`;
  if (!(h.snapshotGiB >= h.nodeGiB)) {
    return `hand-off of ${t.instanceId}: snapshot ${h.snapshotId} holds ${h.snapshotGiB} GiB, the node's volume ${h.nodeGiB} GiB`;
  }
  return undefined;
}

export interface AwsClients {
  elb: ElasticLoadBalancingV2Client;
  asg: AutoScalingClient;
}

export function awsClients(region?: string): AwsClients {
  return { elb: new ElasticLoadBalancingV2Client({ region }), asg: new AutoScalingClient({ region }) };
}

export interface AwsDrainReport {
  /** Target groups the node was deregistered from, and how long until each let it go (ms). */
  deregistered: { targetGroupArn: string; ms: number }[];
  standby: boolean;
  durationMs: number;
}

/** Deregister (waiting out the deregistration delay), then Standby. Throws why it could not. */
export async function drainInstance(
  c: AwsClients,
  t: AwsNodeTarget,
  timing: DrainTiming,
): Promise<AwsDrainReport> {
  const now = timing.now ?? Date.now;
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const say = timing.onProgress ?? (() => {});
  const start = now();
  const deadline = start + timing.timeoutMs;
  const problem = handoffProblem(t);
  if (problem) throw new Error(`${problem}: the node stays in service`);
  if (t.handoff) say(`hand-off checked: snapshot ${t.handoff.snapshotId}, ${t.handoff.snapshotGiB} GiB`);
  const target = { Id: t.instanceId, Port: t.port };
  const deregistered: AwsDrainReport['deregistered'] = [];
  for (const arn of t.targetGroupArns) {
    await call(`deregistering ${t.instanceId} from ${arn}`, () =>
      c.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [target] })),
    );
    const from = now();
    for (;;) {
      const health = await call(`reading ${t.instanceId}'s health in ${arn}`, () =>
        c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [target] })),
      );
      const state = health.TargetHealthDescriptions?.[0]?.TargetHealth?.State;
      if (state === undefined || state === 'unused') break;
      if (now() + timing.pollMs > deadline) {
        throw new Error(
          `deregistration of ${t.instanceId} from ${arn} timed out after ${Math.round((now() - start) / 1000)} s: the target is still ${state}`,
        );
      }
      say(`${t.instanceId} ${state} in ${arn}; waiting for the deregistration delay`);
      await sleep(timing.pollMs);
    }
    deregistered.push({ targetGroupArn: arn, ms: now() - from });
    say(`${t.instanceId} deregistered from ${arn}`);
  }
  const state = await lifecycle(c, t.instanceId);
  if (state === 'InService') {
    await call(`moving ${t.instanceId} to Standby in ${t.autoScalingGroup}`, () =>
      c.asg.send(
        new EnterStandbyCommand({
          AutoScalingGroupName: t.autoScalingGroup,
          InstanceIds: [t.instanceId],
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
    say(`${t.instanceId} in Standby in ${t.autoScalingGroup}`);
  } else if (state !== 'Standby' && state !== 'EnteringStandby') {
    throw new Error(
      `${t.instanceId} is ${state ?? 'not in any Auto Scaling group'}, not InService: cannot move it to Standby`,
    );
  }
  return { deregistered, standby: true, durationMs: now() - start };
}

/** Undo a switch: out of Standby, registered again. */
export async function restoreInstance(c: AwsClients, t: AwsNodeTarget): Promise<void> {
  const state = await lifecycle(c, t.instanceId);
  if (state === 'Standby') {
    await call(`taking ${t.instanceId} out of Standby in ${t.autoScalingGroup}`, () =>
      c.asg.send(
        new ExitStandbyCommand({ AutoScalingGroupName: t.autoScalingGroup, InstanceIds: [t.instanceId] }),
      ),
    );
  }
  for (const arn of t.targetGroupArns) {
    await call(`registering ${t.instanceId} in ${arn}`, () =>
      c.elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: t.instanceId, Port: t.port }] }),
      ),
    );
  }
}

/**
 * Retire: terminate the node, set the group back to its declared size (its replacement launches),
 * and wait until the group has that many instances in service, so that the standby serving the
 * node's slot is released only once the replacement serves.
 */
export async function retireInstance(c: AwsClients, t: AwsNodeTarget, timing?: DrainTiming): Promise<void> {
  const state = await lifecycle(c, t.instanceId);
  if (state !== undefined && !state.startsWith('Terminat')) {
    await call(`terminating ${t.instanceId}`, () =>
      c.asg.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: t.instanceId,
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
  }
  await call(`setting ${t.autoScalingGroup}'s desired capacity to ${t.groupSize}`, () =>
    c.asg.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: t.autoScalingGroup,
        DesiredCapacity: t.groupSize,
        HonorCooldown: false,
      }),
    ),
  );
  if (!timing) return;
  const now = timing.now ?? Date.now;
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  for (;;) {
    const out = await call(`reading ${t.autoScalingGroup}`, () =>
      c.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [t.autoScalingGroup] })),
    );
    const serving = (out.AutoScalingGroups?.[0]?.Instances ?? []).filter(
      (i) => i.LifecycleState === 'InService',
    );
    if (serving.length >= t.groupSize) return;
    if (now() + timing.pollMs > start + timing.timeoutMs) {
      throw new Error(
        `retirement of ${t.instanceId}: ${t.autoScalingGroup} has ${serving.length} of ${t.groupSize} instances in service after ${Math.round((now() - start) / 1000)} s; its standby keeps serving`,
      );
    }
    timing.onProgress?.(
      `${t.autoScalingGroup}: ${serving.length} of ${t.groupSize} in service; waiting for the replacement`,
    );
    await sleep(timing.pollMs);
  }
}

/** The instance's lifecycle state in its Auto Scaling group; undefined when it is in none. */
async function lifecycle(c: AwsClients, instanceId: string): Promise<string | undefined> {
  const out = await call(`reading ${instanceId}'s Auto Scaling state`, () =>
    c.asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
  );
  return out.AutoScalingInstances?.[0]?.LifecycleState;
}

/** An AWS call; its failure in one line naming what was being done (the SDK never echoes credentials). */
async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    const e = err as { name?: string; message?: string };
    throw new Error(`${what}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { cause: err });
  }
}
