// A CloudWatch GetMetricData endpoint on 127.0.0.1 for the built CLI, which aws-sdk-client-mock
// cannot reach in a child process: the SDK speaks AWS JSON 1.0 to AWS_ENDPOINT_URL_CLOUDWATCH, so
// a node:http server answering that one operation stands in for AWS, with fake credentials.

import { createServer } from 'node:http';

/** One GetMetricData call as the stub saw it; times in epoch ms. */
export interface StubCall {
  queries: { Id: string; Expression?: string; MetricStat?: { Period: number; Stat: string } }[];
  start: number;
  end: number;
}

/** One result to answer with; `timestamps` in epoch ms. */
export interface StubResult {
  id: string;
  label?: string;
  timestamps: number[];
  values: number[];
}

export interface CloudWatchStub {
  url: string;
  calls: StubCall[];
  close(): Promise<void>;
}

export async function startCloudWatchStub(answer: (call: StubCall) => StubResult[]): Promise<CloudWatchStub> {
  const calls: StubCall[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      if (target !== 'GraniteServiceVersion20100801.GetMetricData') {
        res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'InvalidAction', message: `not stubbed: ${String(target)}` }));
        return;
      }
      const input = JSON.parse(body) as {
        MetricDataQueries: StubCall['queries'];
        StartTime: number;
        EndTime: number;
      };
      const call = {
        queries: input.MetricDataQueries,
        start: input.StartTime * 1000,
        end: input.EndTime * 1000,
      };
      calls.push(call);
      const results = answer(call).map((r) => ({
        Id: r.id,
        Label: r.label ?? r.id,
        Timestamps: r.timestamps.map((t) => t / 1000),
        Values: r.values,
        StatusCode: 'Complete',
      }));
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ MetricDataResults: results, Messages: [] }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

/**
 * The environment for a child process that talks to the stub: fake static credentials, no shared
 * config, profile or instance metadata from this machine, and no Node-version switch inherited
 * (a test of that notice must see what a user's shell would).
 */
export function stubEnv(url: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  return {
    ...env,
    AWS_ENDPOINT_URL_CLOUDWATCH: url,
    AWS_ACCESS_KEY_ID: 'AKIDSTUB',
    AWS_SECRET_ACCESS_KEY: 'stub-secret',
    AWS_CONFIG_FILE: '/nonexistent/shadowcast-test-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/shadowcast-test-aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
