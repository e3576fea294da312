// The AWS NodeDrain through the real Pulumi engine: an inline program declaring the resource as
// the AWS stack does, shadowcast's provider plugin (the built one, from dist/) on the CLI's PATH,
// a file backend in a temporary directory, and the two AWS APIs a drain calls served by a fake of
// our own (test/support/fake-aws.ts) that the plugin's SDK clients reach through the standard
// AWS_ENDPOINT_URL_* variables. `pulumi up` checks the hand-off, deregisters the node and waits
// out its draining, and moves it to Standby; removing the resource (a rolled-back switch) takes it
// out of Standby and registers it again; `retired: true` terminates it and sets the group back to
// its size.
//
// Needs the engine (npm run engine); skips with one line without it, fails in CI
// (SHADOWCAST_E2E_REQUIRED=1).

import type { Stack } from '@pulumi/pulumi/automation/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsNodeDrain } from '../../stacks/node-drain.js';
import { type FakeAws, fakeAws } from '../support/fake-aws.js';
import { type PluginStack, pluginStack } from '../support/plugin-stack.js';
import { pulumiCli } from '../support/pulumi-cli.js';

const MINUTES = 60_000;
const NODE = 'i-0aaaabbbbcccc0001';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-primary/0123456789abcdef';
const cli = pulumiCli('aws node drain e2e');

describe.skipIf(!cli)(`an AWS NodeDrain through the engine (${cli ?? 'no CLI'})`, () => {
  let aws: FakeAws;
  let stack: Stack;
  let declared: { retired: boolean; snapshotGiB: number } | undefined;

  const program = async () => {
    if (!declared) return {};
    const drain = new AwsNodeDrain('web-drain-node', {
      instanceId: NODE,
      autoScalingGroup: 'web-primary',
      targetGroupArns: [TG],
      port: 80,
      groupSize: 4,
      retired: declared.retired,
      timeoutSeconds: 120,
      region: 'eu-west-1',
      handoff: { snapshotId: 'snap-0123456789abcdef0', snapshotGiB: declared.snapshotGiB, nodeGiB: 100 },
    });
    return { drained: drain.id };
  };

  let made: PluginStack | undefined;
  beforeAll(async () => {
    aws = await fakeAws(NODE, 'web-primary', { drainingReads: 1, desired: 4 });
    made = await pluginStack('shadowcast-aws-drain-e2e', program, {
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: aws.url,
      AWS_ENDPOINT_URL_AUTO_SCALING: aws.url,
      AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-for-a-local-fake',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    stack = made.stack;
  }, MINUTES);
  afterAll(async () => {
    await aws?.close();
    await made?.remove();
  }, MINUTES);

  it(
    'refuses a hand-off whose snapshot is smaller than the node’s volume: nothing is touched',
    async () => {
      declared = { retired: false, snapshotGiB: 50 };
      await expect(stack.up()).rejects.toThrow(
        /snapshot snap-0123456789abcdef0 holds 50 GiB, the node's volume 100 GiB/,
      );
      expect(aws.state.calls).toEqual([]);
      expect(aws.state.lifecycle).toBe('InService');
    },
    5 * MINUTES,
  );

  it(
    'up switches the node out: deregistered, drained, in Standby with the group one smaller',
    async () => {
      declared = { retired: false, snapshotGiB: 100 };
      const up = await stack.up();
      expect(up.summary.result).toBe('succeeded');
      expect(up.outputs.drained!.value).toBe(NODE);
      expect(aws.state.target.state).toBe('unused');
      expect(aws.state.lifecycle).toBe('Standby');
      expect(aws.state.desired).toBe(3);
      expect(aws.state.calls).toEqual([
        'ElasticLoadBalancingV2:DeregisterTargets',
        'ElasticLoadBalancingV2:DescribeTargetHealth',
        'ElasticLoadBalancingV2:DescribeTargetHealth',
        'AutoScaling:DescribeAutoScalingInstances',
        'AutoScaling:EnterStandby',
      ]);
    },
    5 * MINUTES,
  );

  it(
    'a rolled-back switch puts the node back: out of Standby, registered again',
    async () => {
      declared = undefined;
      const up = await stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ delete: 1 });
      expect(aws.state.lifecycle).toBe('InService');
      expect(aws.state.target.state).toBe('healthy');
      expect(aws.state.desired).toBe(4);
    },
    5 * MINUTES,
  );

  it(
    'retired: terminated, and the group back to its size so that it launches the replacement',
    async () => {
      declared = { retired: false, snapshotGiB: 100 };
      await stack.up();
      declared = { retired: true, snapshotGiB: 100 };
      const up = await stack.up();
      expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
      expect(aws.state.lifecycle).toBeUndefined();
      expect(aws.state.desired).toBe(4);
      // The update returns once the replacement serves: the standby may then be released.
      expect(aws.state.inService).toBe(4);
      const retire = aws.state.calls.slice(
        aws.state.calls.lastIndexOf('AutoScaling:DescribeAutoScalingInstances') + 1,
      );
      expect(retire.slice(0, 2)).toEqual([
        'AutoScaling:TerminateInstanceInAutoScalingGroup',
        'AutoScaling:SetDesiredCapacity',
      ]);
      expect(retire.length).toBeGreaterThan(2);
      expect(new Set(retire.slice(2))).toEqual(new Set(['AutoScaling:DescribeAutoScalingGroups']));
      declared = undefined;
      const calls = aws.state.calls.length;
      await stack.up();
      expect(aws.state.calls.length).toBe(calls);
    },
    5 * MINUTES,
  );
});
