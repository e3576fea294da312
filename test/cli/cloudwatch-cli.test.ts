// The built CLI reading CloudWatch as users run it, against a GetMetricData stub on 127.0.0.1
// (test/support/cloudwatch-stub.ts; the SDK honours AWS_ENDPOINT_URL_CLOUDWATCH): exit codes,
// and stderr free of the AWS SDK's Node-version notice while other warnings still print.

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudWatchStub,
  type StubCall,
  startCloudWatchStub,
  stubEnv,
} from '../support/cloudwatch-stub.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const HOUR = 3_600_000;
const QUERY = 'AWS/ApplicationELB:RequestCount{LoadBalancer=app/storefront/1}:Sum';
const EMPTY = 'AWS/ApplicationELB:RequestCount{LoadBalancer=app/renamed/1}:Sum';
/** What the SDK's notice says (on Node < 22): "NodeVersionSupportWarning: ... require node >=22". */
const NODE_NOTICE = /NodeVersionSupportWarning|require node >=|You are running node/i;
const dir = mkdtempSync(join(tmpdir(), 'shadowcast-cloudwatch-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Async, so the stub in this process can answer the child while it runs. */
function node(args: string[], env: NodeJS.ProcessEnv, cwd = root): Promise<Ran> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      done({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** An hourly daily wave for every period asked, except for the query naming EMPTY's load balancer. */
function answer(call: StubCall) {
  return call.queries.map((q) => {
    const timestamps: number[] = [];
    if (!JSON.stringify(q).includes('renamed'))
      for (let t = call.start; t < call.end; t += HOUR) timestamps.push(t);
    const values = timestamps.map((t) => Math.round(200 + 80 * Math.sin((2 * Math.PI * t) / (24 * HOUR))));
    return { id: q.Id, timestamps, values };
  });
}

describe('the CLI against a CloudWatch stub', () => {
  let stub: CloudWatchStub;
  beforeAll(async () => {
    stub = await startCloudWatchStub(answer);
  });
  afterAll(async () => stub?.close());

  it('forecast --source cloudwatch: exit 0, the forecast on stdout, nothing on stderr', async () => {
    const r = await node(
      [
        cli,
        ...['forecast', '--source', 'cloudwatch', '--region', 'eu-west-1', '--query', QUERY],
        ...['--start', '2026-03-01T00:00:00Z', '--end', '2026-03-15T00:00:00Z', '--step', '1h'],
        ...['--horizon', '24h', '--model', 'naive', '--format', 'json'],
      ],
      stubEnv(stub.url),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect([json.series, json.history_points, json.step_seconds]).toEqual([QUERY, 14 * 24, 3600]);
    expect((json.timestamps as string[])[0]).toBe('2026-03-15T00:00:00.000Z');
  });

  it('forecast --source cloudwatch with an empty result: exit 2, one line (bad input, as for Prometheus)', async () => {
    const r = await node(
      [
        cli,
        ...['forecast', '--source', 'cloudwatch', '--region', 'eu-west-1', '--query', EMPTY],
        ...['--lookback', '7d', '--step', '1h', '--horizon', '24h', '--format', 'json'],
      ],
      stubEnv(stub.url),
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^shadowcast: cloudwatch eu-west-1 query ".*renamed.*" returned no series between \S+ \.\. \S+\n$/,
    );
  });

  it('run --once with a CloudWatch spec that vanished: exit 3, and no Node-version notice on stderr', async () => {
    const cwd = mkdtempSync(join(dir, 'run-'));
    cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
    mkdirSync(join(cwd, 'forecasts'));
    const spec = ['pool: storefront', 'source:', '  kind: cloudwatch', '  region: eu-west-1'];
    writeFileSync(
      join(cwd, 'forecasts', 'storefront.yaml'),
      [...spec, `  query: '${EMPTY}'`, '  step: 1h', '  lookback: 7d', 'horizon: 24h', ''].join('\n'),
    );
    const r = await node([cli, 'run', '--once', '--no-report'], stubEnv(stub.url), cwd);
    expect(r.stderr).not.toMatch(NODE_NOTICE);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(
      /alert: cloudwatch eu-west-1 query .* returned no series .*: holding the last good capacity/,
    );
    expect(r.stdout).toContain('demand metric missing: holding the last good capacity');
  });
});

describe("the AWS SDK's Node-version notice", () => {
  const sdk = join(root, 'node_modules', '@aws-sdk', 'client-cloudwatch', 'dist-cjs', 'index.js');
  const ours = join(root, 'dist', 'src', 'metrics', 'cloudwatch.js');
  const env = stubEnv('http://127.0.0.1:9');
  const major = Number(process.versions.node.split('.')[0]);

  // Without this the tests above could pass only because the notice no longer exists.
  it('is printed for a bare SDK client exactly where the SDK warns, on Node before 22 (the control)', async () => {
    const script = `const { CloudWatchClient } = require(${JSON.stringify(sdk)}); new CloudWatchClient({ region: 'eu-west-1' });`;
    const r = await node(['-e', script], env);
    if (major < 22) expect(r.stderr).toMatch(NODE_NOTICE);
    else expect(r.stderr).not.toMatch(NODE_NOTICE);
  });

  it('is not printed for our source, which leaves other warnings and child environments alone', async () => {
    const script = [
      `const { CloudWatchSource } = await import(${JSON.stringify(ours)});`,
      `new CloudWatchSource({ region: 'eu-west-1' });`,
      `new CloudWatchSource({ region: 'us-east-1' });`,
      `console.log(JSON.stringify(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? null));`,
      `process.emitWarning('another warning still shows', 'ShadowcastTestWarning');`,
    ].join('\n');
    const r = await node(['--input-type=module', '-e', script], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('null\n');
    expect(r.stderr).toContain('ShadowcastTestWarning: another warning still shows');
    expect(r.stderr).not.toMatch(NODE_NOTICE);
  });
});
