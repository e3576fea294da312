// The pack as the Pulumi CLI runs it, without the CLI: the same command its Node.js language host
// starts (`node @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>`, in the pack's directory),
// then the analyzer gRPC calls the engine makes. Catches what unit tests cannot: the entry failing
// to load (ES modules, TypeScript errors), the pack not serving, policies not registered.

import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACK = join(ROOT, 'policies', 'pack');
const UNKNOWN_NUMBER = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

// The gRPC stubs and protobuf runtime the pack itself uses (one copy, so messages interoperate).
const requireHere = createRequire(import.meta.url);
const runPolicyPack = requireHere.resolve('@pulumi/pulumi/cmd/run-policy-pack');
const fromSdk = createRequire(requireHere.resolve('@pulumi/pulumi/proto/analyzer_grpc_pb.js'));
/* eslint-disable @typescript-eslint/no-explicit-any -- generated CommonJS stubs, untyped here */
const grpc: any = fromSdk('@grpc/grpc-js');
const services: any = fromSdk('./analyzer_grpc_pb.js');
const messages: any = fromSdk('./analyzer_pb.js');
const { Struct }: any = fromSdk('google-protobuf/google/protobuf/struct_pb.js');
const { Empty }: any = fromSdk('google-protobuf/google/protobuf/empty_pb.js');

interface Diagnostic {
  policy: string;
  message: string;
  mandatory: boolean;
}

function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

function diagnostics(res: any): Diagnostic[] {
  return res.getDiagnosticsList().map((d: any) => ({
    policy: d.getPolicyname(),
    message: d.getMessage(),
    mandatory: d.getEnforcementlevel() === messages.EnforcementLevel.MANDATORY,
  }));
}

function resource(kind: 'AnalyzeRequest' | 'AnalyzerResource', type: string, name: string, props: object) {
  const r = new messages[kind]();
  r.setType(type);
  r.setName(name);
  r.setUrn(`urn:pulumi:test::shadowcast::${type}::${name}`);
  r.setProperties(Struct.fromJavaScript(props));
  r.setOptions(new messages.AnalyzerResourceOptions());
  return r;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const groupTags = (pool: string, role: string) =>
  [
    ['managed-by', 'shadowcast'],
    ['shadowcast:pool', pool],
    ['shadowcast:role', role],
  ].map(([key, value]) => ({ key, value, propagateAtLaunch: true }));

describe('the pack under run-policy-pack, as the CLI starts it', () => {
  let child: ChildProcess;
  let client: unknown;
  let stderr = '';

  beforeAll(async () => {
    // The engine address is only used to report errors; nothing listens there.
    child = spawn(process.execPath, [runPolicyPack, '127.0.0.1:1', PACK], {
      cwd: PACK,
      env: { ...process.env, SHADOWCAST_POLICY_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0]!;
        if (out.includes('\n') && /^\d+$/.test(line.trim())) resolve(Number(line));
      });
      child.on('exit', (code) =>
        reject(new Error(`the pack exited (${code}) before serving:\n${out}${stderr}`)),
      );
    });
    client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 120_000);

  afterAll(() => {
    (client as { close?: () => void } | undefined)?.close?.();
    child?.kill();
  });

  it('serves the pack: its name, version, mandatory policies', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const info: any = await call(client, 'getAnalyzerInfo', new Empty());
    expect(info.getName()).toBe('shadowcast-guardrails');
    expect(info.getVersion()).toBe('0.1.0');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const policies = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    expect(policies.map(([name]: [string]) => name).sort()).toEqual([
      'max-hourly-cost',
      'max-total-instances',
      'pool-max-instances',
      'protected-pools',
      'required-tags',
      'route-weights',
      'route53-weights',
      'shadow-min-size',
    ]);
    expect(
      policies.every(([, level]: [string, number]) => level === messages.EnforcementLevel.MANDATORY),
    ).toBe(true);
  });

  it('reports a primary group above capacity.maxInstances, read from the repository policies', async () => {
    const req = resource('AnalyzeRequest', 'aws:autoscaling/group:Group', 'storefront-primary', {
      desiredCapacity: 60,
      maxSize: 40,
      minSize: 4,
      tags: groupTags('storefront', 'primary'),
    });
    const found = diagnostics(await call(client, 'analyze', req));
    expect(found).toEqual([
      {
        policy: 'pool-max-instances',
        mandatory: true,
        message: expect.stringContaining(
          'storefront primary group "storefront-primary" asks for 60 instances (desiredCapacity); policies/pools/storefront.yaml allows at most 40 (capacity.maxInstances)',
        ),
      },
    ]);
  });

  it('passes a compliant group, and skips a value unknown during preview instead of failing', async () => {
    const ok = resource('AnalyzeRequest', 'aws:autoscaling/group:Group', 'storefront-primary', {
      desiredCapacity: 20,
      maxSize: 40,
      tags: groupTags('storefront', 'primary'),
    });
    expect(diagnostics(await call(client, 'analyze', ok))).toEqual([]);
    const unknown = resource('AnalyzeRequest', 'aws:autoscaling/group:Group', 'storefront-primary', {
      desiredCapacity: UNKNOWN_NUMBER,
      maxSize: 60,
      tags: groupTags('storefront', 'primary'),
    });
    expect(diagnostics(await call(client, 'analyze', unknown)).map((d) => d.message)).toEqual([
      expect.stringContaining('may grow to 60 instances (maxSize)'),
    ]);
  });

  it('runs the stack policies over all resources', async () => {
    const req = new messages.AnalyzeStackRequest();
    req.setResourcesList([
      resource('AnalyzerResource', 'aws:autoscaling/group:Group', 'storefront-primary', {
        desiredCapacity: 40,
        tags: groupTags('storefront', 'primary'),
      }),
      resource('AnalyzerResource', 'aws:autoscaling/group:Group', 'checkout-api-primary', {
        desiredCapacity: 24,
        tags: groupTags('checkout-api', 'primary'),
      }),
      resource('AnalyzerResource', 'aws:autoscaling/group:Group', 'storefront-shadow', {
        desiredCapacity: 60,
        tags: groupTags('storefront', 'shadow'),
      }),
    ]);
    const found = diagnostics(await call(client, 'analyzeStack', req));
    expect(found.map((d) => [d.policy, d.mandatory])).toEqual([
      ['max-total-instances', true],
      ['shadow-min-size', true],
    ]);
    expect(found[0]!.message).toContain(
      'the stack asks for 124 instances across its pools (checkout-api 24, storefront 100); policies/defaults.yaml allows at most 120 (guardrails.maxTotalInstances)',
    );
    expect(found[1]!.message).toContain(
      'checkout-api shadow pool runs 0 instances (it has no shadow group or Deployment); the built-in default asks for at least 1 (shadow.minSize)',
    );
  });
});

// The pack's directory is what PulumiPolicy.yaml and `--policy-pack` name.
it('keeps the files the CLI needs beside each other', () => {
  expect(dirname(requireHere.resolve(PACK))).toBe(PACK);
  expect(requireHere.resolve(PACK)).toBe(join(PACK, 'index.cjs'));
});
