// The two AWS APIs a node drain calls (Elastic Load Balancing v2 and EC2 Auto Scaling), served
// over HTTP in their query protocol (form-encoded requests, XML answers) for the end-to-end test
// through the Pulumi engine: the provider plugin's SDK clients reach it through
// AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 and AWS_ENDPOINT_URL_AUTO_SCALING. One target group
// and one Auto Scaling group; a deregistered target drains for a number of reads. Every action is
// recorded.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAwsState {
  /** The node's state in the target group; `draining` counts reads down to `unused`. */
  target: { state: 'healthy' | 'draining' | 'unused'; drainingReads: number };
  /** Its lifecycle state in the group; undefined once it left. */
  lifecycle: string | undefined;
  desired: number;
  /** Instances in service in the group; new ones (up to desired) come in service a few reads later. */
  inService: number;
  launching: { readsLeft: number }[];
  /** Actions in order, e.g. `ElasticLoadBalancingV2:DeregisterTargets`. */
  calls: string[];
}

export interface FakeAws {
  url: string;
  state: FakeAwsState;
  close(): Promise<void>;
}

const ELB = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const ASG = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export async function fakeAws(
  instanceId: string,
  group: string,
  opts: { drainingReads?: number; desired?: number } = {},
): Promise<FakeAws> {
  const drainingReads = opts.drainingReads ?? 2;
  const state: FakeAwsState = {
    target: { state: 'healthy', drainingReads },
    lifecycle: 'InService',
    desired: opts.desired ?? 4,
    inService: opts.desired ?? 4,
    launching: [],
    calls: [],
  };
  const reply = (ns: string, action: string, result = '') =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ns}">${
      result ? `<${action}Result>${result}</${action}Result>` : ''
    }<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></${action}Response>`;
  const answer = (form: URLSearchParams): { code: number; body: string } => {
    const action = form.get('Action') ?? '';
    const elb = form.has('TargetGroupArn');
    state.calls.push(`${elb ? 'ElasticLoadBalancingV2' : 'AutoScaling'}:${action}`);
    switch (action) {
      case 'DeregisterTargets':
        if (state.target.state === 'healthy') state.target.state = 'draining';
        return { code: 200, body: reply(ELB, action, '') };
      case 'RegisterTargets':
        state.target = { state: 'healthy', drainingReads };
        return { code: 200, body: reply(ELB, action, '') };
      case 'DescribeTargetHealth': {
        if (state.target.state === 'draining' && state.target.drainingReads-- <= 0)
          state.target.state = 'unused';
        const member = `<member><Target><Id>${instanceId}</Id><Port>80</Port></Target><TargetHealth><State>${state.target.state}</State></TargetHealth></member>`;
        return {
          code: 200,
          body: reply(ELB, action, `<TargetHealthDescriptions>${member}</TargetHealthDescriptions>`),
        };
      }
      case 'DescribeAutoScalingInstances': {
        const member = state.lifecycle
          ? `<member><InstanceId>${instanceId}</InstanceId><AutoScalingGroupName>${group}</AutoScalingGroupName><AvailabilityZone>eu-west-1a</AvailabilityZone><LifecycleState>${state.lifecycle}</LifecycleState><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`
          : '';
        return {
          code: 200,
          body: reply(ASG, action, `<AutoScalingInstances>${member}</AutoScalingInstances>`),
        };
      }
      case 'EnterStandby':
        if (form.get('ShouldDecrementDesiredCapacity') === 'true') state.desired--;
        state.lifecycle = 'Standby';
        state.inService--;
        return { code: 200, body: reply(ASG, action, '<Activities></Activities>') };
      case 'ExitStandby':
        state.desired++;
        state.lifecycle = 'InService';
        state.inService++;
        return { code: 200, body: reply(ASG, action, '<Activities></Activities>') };
      case 'TerminateInstanceInAutoScalingGroup':
        state.lifecycle = undefined;
        return { code: 200, body: reply(ASG, action, '') };
      case 'SetDesiredCapacity':
        state.desired = Number(form.get('DesiredCapacity'));
        while (state.inService + state.launching.length < state.desired)
          state.launching.push({ readsLeft: 2 });
        return { code: 200, body: reply(ASG, action) };
      case 'DescribeAutoScalingGroups': {
        for (const l of state.launching) l.readsLeft--;
        state.inService += state.launching.filter((l) => l.readsLeft <= 0).length;
        state.launching = state.launching.filter((l) => l.readsLeft > 0);
        const members = Array.from(
          { length: state.inService },
          (_, i) =>
            `<member><InstanceId>i-${String(i).padStart(17, '0')}</InstanceId><AvailabilityZone>eu-west-1a</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`,
        ).join('');
        const groupXml = `<member><AutoScalingGroupName>${group}</AutoScalingGroupName><MinSize>0</MinSize><MaxSize>10</MaxSize><DesiredCapacity>${state.desired}</DesiredCapacity><DefaultCooldown>300</DefaultCooldown><AvailabilityZones><member>eu-west-1a</member></AvailabilityZones><HealthCheckType>EC2</HealthCheckType><CreatedTime>2026-01-01T00:00:00Z</CreatedTime><Instances>${members}</Instances></member>`;
        return { code: 200, body: reply(ASG, action, `<AutoScalingGroups>${groupXml}</AutoScalingGroups>`) };
      }
      default:
        return {
          code: 400,
          body: `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>no action ${action}</Message></Error></ErrorResponse>`,
        };
    }
  };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const { code, body } = answer(new URLSearchParams(text));
      res.writeHead(code, { 'content-type': 'text/xml' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
