// The pack against the stacks as they are declared: the whole Pulumi program (stacks/index.ts)
// under Pulumi's mocks, with the example stack configs, and every registered policy run over the
// resources it declares, as the engine would in a preview. No CLI needed, so this runs in every
// CI: a component that drops a tag, or an example that breaks a guardrail, fails here.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ResourceValidation,
  type StackValidationArgs,
  type StackValidationPolicy,
  unknownCheckingProxy,
} from '@pulumi/policy';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { loadGuardrails } from '../../policies/pack/guardrails.js';
import { guardrailPolicies } from '../../policies/pack/policies.js';
import type { PolicyLookup } from '../../policies/pack/rules.js';
import * as settings from '@pulumi/pulumi/runtime/settings.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROGRAM = '../../stacks/index.js';

interface Declared {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const declared: Declared[] = [];

type Config = Record<string, unknown> & {
  'shadowcast:desired': { pools: Record<string, Record<string, unknown>> };
};

/** The SDK's own wait for outstanding registrations (internal to @pulumi/pulumi, not in its types). */
const waitForRPCs = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

async function example(file: string): Promise<Config> {
  return (parse(await readFile(join(ROOT, file), 'utf8')) as { config: Config }).config;
}

/** The resources the program declares for `config`, with their inputs. */
async function declare(config: Config): Promise<Declared[]> {
  declared.length = 0;
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ),
  );
  vi.resetModules();
  const program = (await import(PROGRAM)) as { pools: unknown };
  await new Promise((resolve) => pulumi.output(program.pools as Record<string, unknown>).apply(resolve));
  // Resources registered inside applies land later: wait until the SDK's queue of resource
  // registrations has drained, as the SDK itself does before a program ends.
  await waitForRPCs();
  return [...declared];
}

/** Every violation the pack's policies report over the resources, as `policy: message`. */
async function violations(resources: Declared[], policies: PolicyLookup): Promise<string[]> {
  const out: string[] = [];
  const args = (r: Declared) => ({
    type: r.type,
    name: r.name,
    urn: `urn:pulumi:test::shadowcast::${r.type}::${r.name}`,
    props: unknownCheckingProxy(r.inputs),
  });
  for (const p of guardrailPolicies(policies)) {
    const report = (message: string) => out.push(`${p.name}: ${message}`);
    if ('validateStack' in p) {
      await (p as StackValidationPolicy).validateStack(
        { resources: resources.map(args) } as unknown as StackValidationArgs,
        report,
      );
    } else if (p.validateResource) {
      for (const r of resources) await (p.validateResource as ResourceValidation)(args(r) as never, report);
    }
  }
  return out;
}

describe('the example stacks, declared under mocks, through the policy pack', () => {
  let policies: PolicyLookup;

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          declared.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
          return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:mock:${args.name}` } };
        },
        call: (args) => args.inputs as Record<string, unknown>,
      },
      'shadowcast',
      'test',
    );
    policies = await loadGuardrails(join(ROOT, 'policies'));
  });

  it.each([
    ['Pulumi.example-aws.yaml', {}],
    [
      'Pulumi.example-aws.yaml',
      { routing: 'route53', route53: { zoneId: 'Z0123456789', recordName: 'shop.example.com' } },
    ],
    ['Pulumi.example-kubernetes.yaml', {}],
    ['Pulumi.example-kubernetes.yaml', { routing: 'ingress-nginx' }],
  ])('%s %j passes every guardrail', async (file, settings) => {
    const config = await example(file);
    const key = `shadowcast:${config['shadowcast:target'] as string}`;
    config[key] = { ...(config[key] as object), ...settings };
    const resources = await declare(config);
    expect(resources.length).toBeGreaterThan(5);
    expect(await violations(resources, policies)).toEqual([]);
  });

  it.each([
    ['Pulumi.example-aws.yaml', 'group', 'instances (desiredCapacity)'],
    ['Pulumi.example-kubernetes.yaml', 'Deployment', 'replicas'],
  ])(
    '%s: a primary above capacity.maxInstances is a violation naming pool, %s and numbers',
    async (file, noun, unit) => {
      const config = await example(file);
      const [pool, state] = Object.entries(config['shadowcast:desired'].pools)[0]!;
      const p = policies(pool);
      const max = p.policy.capacity.maxInstances;
      state.primary = max + 1;
      const found = await violations(await declare(config), policies);
      expect(found).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^pool-max-instances: ${pool} primary ${noun} "[^"]+" asks for ${max + 1} ${unit.replace(/[()]/g, '\\$&')}; ${p.from('capacity.maxInstances').replace(/\./g, '\\.')} allows at most ${max} \\(capacity\\.maxInstances\\)$`,
          ),
        ),
      );
    },
  );
});
