// The whole Pulumi program (stacks/index.ts) under Pulumi's mocks, with its config set as stack
// config would be: a good DesiredState declares the pool and exports it; a bad one fails the
// program with the config message before a single resource is declared.

import { readFile } from 'node:fs/promises';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';

const created: string[] = [];

await pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push(args.type);
      return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:mock:${args.name}` } };
    },
    call(args) {
      return args.inputs as Record<string, unknown>;
    },
  },
  'shadowcast',
  'test',
);

/** Stack config from an example file, as `pulumi config` hands it to the program (objects as JSON). */
async function exampleConfig(file: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(new URL(`../../${file}`, import.meta.url), 'utf8')) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(doc.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

async function runProgram(config: Record<string, string>) {
  pulumi.runtime.setAllConfig(config);
  vi.resetModules();
  return import('../../stacks/index.js');
}

afterEach(() => {
  created.length = 0;
});

function settle(o: pulumi.Input<Record<string, unknown>>): Promise<unknown> {
  return new Promise((resolve) => {
    pulumi.output(o).apply((v) => resolve(v));
  });
}

describe('stacks/index.ts', () => {
  it.each(['Pulumi.example-aws.yaml', 'Pulumi.example-kubernetes.yaml'])(
    'declares %s and exports the DesiredState it applied',
    async (file) => {
      const config = await exampleConfig(file);
      const program = await runProgram(config);
      const desired = JSON.parse(config['shadowcast:desired']!) as { pools: Record<string, unknown> };
      expect(program.desired).toEqual(desired);
      expect(program.target).toBe(config['shadowcast:target']);
      expect(Object.keys(program.pools)).toEqual(Object.keys(desired.pools));
      await settle(Object.values(program.pools)[0] as pulumi.Input<Record<string, unknown>>);
      expect(created.length).toBeGreaterThan(5);
    },
  );

  it.each([
    {
      what: 'weights that do not sum to 1',
      desired: { weights: { primary: 0.6, shadow: 0.3 } },
      error:
        'shadowcast:desired.pools.storefront.weights: primary 0.6 + shadow 0.3 = 0.9: route weights must sum to 1',
    },
    {
      what: 'a negative size',
      desired: { primary: -2 },
      error: 'shadowcast:desired.pools.storefront.primary: primary must not be negative',
    },
  ])('fails on $what before declaring any resource', async ({ desired, error }) => {
    for (const file of ['Pulumi.example-aws.yaml', 'Pulumi.example-kubernetes.yaml']) {
      const config = await exampleConfig(file);
      const state = JSON.parse(config['shadowcast:desired']!) as { pools: { storefront: object } };
      state.pools.storefront = { ...state.pools.storefront, ...desired };
      config['shadowcast:desired'] = JSON.stringify(state);
      const run = runProgram(config);
      await expect(run).rejects.toThrow(error);
      await expect(run).rejects.toBeInstanceOf(pulumi.RunError);
      expect(created).toEqual([]);
    }
  });

  it('fails on an unknown pool before declaring any resource', async () => {
    const config = await exampleConfig('Pulumi.example-aws.yaml');
    const state = JSON.parse(config['shadowcast:desired']!) as { pools: Record<string, object> };
    state.pools.checkout = state.pools.storefront!;
    config['shadowcast:desired'] = JSON.stringify(state);
    await expect(runProgram(config)).rejects.toThrow(
      'shadowcast:desired.pools.checkout: unknown pool: shadowcast:aws.pools defines storefront',
    );
    expect(created).toEqual([]);
  });

  it('fails on what only the target can check (an ALB needs two zones) with the same one-line message', async () => {
    const config = await exampleConfig('Pulumi.example-aws.yaml');
    const aws = JSON.parse(config['shadowcast:aws']!) as { subnets: Record<string, string> };
    const [zone, subnet] = Object.entries(aws.subnets)[0]!;
    aws.subnets = { [zone]: subnet };
    config['shadowcast:aws'] = JSON.stringify(aws);
    const run = runProgram(config);
    await expect(run).rejects.toBeInstanceOf(pulumi.RunError);
    await expect(run).rejects.toThrow(/^shadowcast:aws\.subnets: /);
    expect(created).toEqual([]);
  });

  it('fails on config that is not JSON, naming the key', async () => {
    const config = await exampleConfig('Pulumi.example-kubernetes.yaml');
    config['shadowcast:desired'] = '{pools: ';
    await expect(runProgram(config)).rejects.toThrow(/^shadowcast:desired is not valid JSON/);
    expect(created).toEqual([]);
  });
});
