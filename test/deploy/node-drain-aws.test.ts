// The AWS switch, its rollback and the retirement at the SDK boundary (aws-sdk-client-mock): a
// target group that keeps a deregistered target draining for a few reads (its deregistration
// delay), and an Auto Scaling group whose instances move between InService, Standby and gone,
// with the desired capacity the API would keep.

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
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  drainInstance,
  handoffProblem,
  restoreInstance,
  retireInstance,
} from '../../src/deploy/pulumi/node-drain-aws.js';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-primary/0123456789abcdef';
const NODE = {
  instanceId: 'i-0aaa',
  autoScalingGroup: 'web-primary',
  targetGroupArns: [TG],
  port: 80,
  groupSize: 4,
};

interface World {
  /** Target state in the group; `draining` counts down reads until `unused`. */
  target: { state: 'healthy' | 'draining' | 'unused'; drainingReads: number };
  lifecycle: string | undefined;
  desired: number;
  /** In service; a launched instance comes in service after `launchReads` reads of the group. */
  inService: number;
  launching: number[];
  calls: string[];
}

const elb = mockClient(ElasticLoadBalancingV2Client);
const asg = mockClient(AutoScalingClient);
afterEach(() => {
  elb.reset();
  asg.reset();
});

function world(drainingReads = 3, refuseStandby = false, launchReads = 2): World {
  const w: World = {
    target: { state: 'healthy', drainingReads },
    lifecycle: 'InService',
    desired: 4,
    inService: 4,
    launching: [],
    calls: [],
  };
  elb.on(DeregisterTargetsCommand).callsFake(() => {
    w.calls.push('DeregisterTargets');
    if (w.target.state === 'healthy') w.target.state = 'draining';
    return {};
  });
  elb.on(DescribeTargetHealthCommand).callsFake(() => {
    if (w.target.state === 'draining' && w.target.drainingReads-- <= 0) w.target.state = 'unused';
    return {
      TargetHealthDescriptions: [
        { Target: { Id: NODE.instanceId }, TargetHealth: { State: w.target.state } },
      ],
    };
  });
  elb.on(RegisterTargetsCommand).callsFake(() => {
    w.calls.push('RegisterTargets');
    w.target = { state: 'healthy', drainingReads };
    return {};
  });
  asg.on(DescribeAutoScalingInstancesCommand).callsFake(() => ({
    AutoScalingInstances: w.lifecycle ? [{ InstanceId: NODE.instanceId, LifecycleState: w.lifecycle }] : [],
  }));
  asg.on(EnterStandbyCommand).callsFake((input: { ShouldDecrementDesiredCapacity: boolean }) => {
    w.calls.push('EnterStandby');
    if (refuseStandby) {
      const err = new Error('Instance i-0aaa is not in a state to enter standby');
      err.name = 'ValidationError';
      throw err;
    }
    expect(input.ShouldDecrementDesiredCapacity).toBe(true);
    w.lifecycle = 'Standby';
    w.desired--;
    w.inService--;
    return {};
  });
  asg.on(ExitStandbyCommand).callsFake(() => {
    w.calls.push('ExitStandby');
    w.lifecycle = 'InService';
    w.desired++;
    w.inService++;
    return {};
  });
  asg.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(() => {
    w.calls.push('TerminateInstanceInAutoScalingGroup');
    w.lifecycle = undefined;
    return {};
  });
  asg.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    w.calls.push(`SetDesiredCapacity ${input.DesiredCapacity}`);
    w.desired = input.DesiredCapacity;
    while (w.inService + w.launching.length < w.desired) w.launching.push(launchReads);
    return {};
  });
  asg.on(DescribeAutoScalingGroupsCommand).callsFake(() => {
    w.launching = w.launching.map((r) => r - 1);
    w.inService += w.launching.filter((r) => r <= 0).length;
    w.launching = w.launching.filter((r) => r > 0);
    const Instances = Array.from({ length: w.inService }, (_, i) => ({
      InstanceId: `i-${i}`,
      LifecycleState: 'InService',
    }));
    return { AutoScalingGroups: [{ AutoScalingGroupName: NODE.autoScalingGroup, Instances }] };
  });
  return w;
}

const clients = () => ({ elb: new ElasticLoadBalancingV2Client({}), asg: new AutoScalingClient({}) });

describe('switching an EC2 node out', () => {
  it('deregisters it, waits out the deregistration delay, then moves it to Standby without a replacement', async () => {
    const w = world(3);
    const lines: string[] = [];
    const report = await drainInstance(clients(), NODE, {
      timeoutMs: 60_000,
      pollMs: 1,
      onProgress: (l) => lines.push(l),
    });
    expect(w.calls).toEqual(['DeregisterTargets', 'EnterStandby']);
    expect(w.target.state).toBe('unused');
    expect(w.lifecycle).toBe('Standby');
    expect(w.desired).toBe(3); // the standby serves the slot; no replacement yet
    expect(report.deregistered.map((d) => d.targetGroupArn)).toEqual([TG]);
    expect(lines.filter((l) => l.includes('waiting for the deregistration delay'))).toHaveLength(3);
    // Done again (a retry after a crash): nothing more happens.
    await drainInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1 });
    expect(w.calls).toEqual(['DeregisterTargets', 'EnterStandby', 'DeregisterTargets']);
    expect(w.desired).toBe(3);
  });

  it('fails when the target is still draining at the deadline; the rollback registers it again', async () => {
    const w = world(1_000_000);
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    await expect(
      drainInstance(clients(), NODE, { timeoutMs: 300_000, pollMs: 60_000, ...clock }),
    ).rejects.toThrow(
      `deregistration of i-0aaa from ${TG} timed out after 300 s: the target is still draining`,
    );
    expect(w.lifecycle).toBe('InService');
    await restoreInstance(clients(), NODE);
    expect(w.calls).toEqual(['DeregisterTargets', 'RegisterTargets']);
    expect(w.target.state).toBe('healthy');
    expect(w.desired).toBe(4);
  });

  it('a refused Standby fails the switch naming the call; the rollback puts the node back in service', async () => {
    const w = world(0, true);
    await expect(drainInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1 })).rejects.toThrow(
      'moving i-0aaa to Standby in web-primary: ValidationError: Instance i-0aaa is not in a state to enter standby',
    );
    await restoreInstance(clients(), NODE);
    expect(w.target.state).toBe('healthy');
    expect(w.lifecycle).toBe('InService');
  });

  it('undoes a switch that landed: out of Standby (capacity back), registered again', async () => {
    const w = world(0);
    await drainInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1 });
    await restoreInstance(clients(), NODE);
    expect(w.calls).toEqual(['DeregisterTargets', 'EnterStandby', 'ExitStandby', 'RegisterTargets']);
    expect(w.lifecycle).toBe('InService');
    expect(w.desired).toBe(4);
  });

  it('checks the hand-off first: a standby whose copy is smaller than the node’s volume leaves the node in service', async () => {
    const w = world(0);
    const short = { ...NODE, handoff: { snapshotId: 'snap-0abc', snapshotGiB: 50, nodeGiB: 100 } };
    await expect(drainInstance(clients(), short, { timeoutMs: 60_000, pollMs: 1 })).rejects.toThrow(
      "hand-off of i-0aaa: snapshot snap-0abc holds 50 GiB, the node's volume 100 GiB: the node stays in service",
    );
    expect(w.calls).toEqual([]);
    expect(
      handoffProblem({ instanceId: 'i-0aaa', handoff: { snapshotId: '', snapshotGiB: 100, nodeGiB: 100 } }),
    ).toBe("hand-off of i-0aaa: the standby has no snapshot of the node's data");
    const whole = { ...NODE, handoff: { snapshotId: 'snap-0abc', snapshotGiB: 100, nodeGiB: 100 } };
    const lines: string[] = [];
    await drainInstance(clients(), whole, { timeoutMs: 60_000, pollMs: 1, onProgress: (l) => lines.push(l) });
    expect(lines[0]).toBe('hand-off checked: snapshot snap-0abc, 100 GiB');
    expect(w.lifecycle).toBe('Standby');
  });

  it('retiring waits until the replacement is in service, so the standby is released only then', async () => {
    const w = world(0, false, 3);
    await drainInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1 });
    const lines: string[] = [];
    await retireInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1, onProgress: (l) => lines.push(l) });
    expect(w.inService).toBe(4);
    expect(lines).toEqual([
      'web-primary: 3 of 4 in service; waiting for the replacement',
      'web-primary: 3 of 4 in service; waiting for the replacement',
    ]);
  });

  it('a replacement that never comes fails the retirement in time, and says the standby stays', async () => {
    const w = world(0, false, 1_000_000);
    await drainInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1 });
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    await expect(
      retireInstance(clients(), NODE, { timeoutMs: 600_000, pollMs: 60_000, ...clock }),
    ).rejects.toThrow(
      'retirement of i-0aaa: web-primary has 3 of 4 instances in service after 600 s; its standby keeps serving',
    );
    expect(w.desired).toBe(4);
  });

  it('retires it: terminated, and the group back to its declared size so that it launches the replacement', async () => {
    const w = world(0);
    await drainInstance(clients(), NODE, { timeoutMs: 60_000, pollMs: 1 });
    await retireInstance(clients(), NODE);
    expect(w.lifecycle).toBeUndefined();
    expect(w.desired).toBe(4);
    // Again (the instance already gone): only the size is set.
    await retireInstance(clients(), NODE);
    expect(w.calls.slice(2)).toEqual([
      'TerminateInstanceInAutoScalingGroup',
      'SetDesiredCapacity 4',
      'SetDesiredCapacity 4',
    ]);
  });
});
