// Credentials in hook and webhook URLs: the built CLI is run end to end (apply with URL hooks,
// `run --once` with a webhook and a command hook) against a local receiver, with secrets planted
// in the URLs' userinfo and query. The receiver must get the password as a Basic Authorization
// header, and no file the runs write, nor stdout or stderr, may repeat either secret.

import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, migrationState, root, runCli, type CliRun } from '../../bench/migration-fixture.js';

const PASSWORD = 'S3cr3tPlanted';
const TOKEN = 'S3cr3tPlanted2';
const BASIC = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;

interface Received {
  path: string;
  host: string;
  authorization?: string;
  body: string;
}

const received: Received[] = [];
/** Requests still to answer 503: a hook that fails once sends its error into the journal. */
let failNext = 0;
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    received.push({
      path: req.url ?? '',
      host: req.headers.host ?? '',
      authorization: req.headers.authorization,
      body,
    });
    res.writeHead(failNext-- > 0 ? 503 : 204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A URL with both secrets planted: the password in its userinfo, the token in its query. */
const planted = (path: string) => `http://user:${PASSWORD}@${origin}${path}?token=${TOKEN}`;

/** Every file under `dir` (and each symlink's target), as path and text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path);
    if (e.isSymbolicLink()) return [{ path, text: readlinkSync(path) }];
    return [{ path, text: readFileSync(path).toString('latin1') }];
  });
}

function expectNoSecretIn(where: string, text: string): void {
  for (const secret of [PASSWORD, TOKEN]) expect(text, `${where} holds ${secret}`).not.toContain(secret);
}

function expectNoSecretInFiles(dir: string): void {
  const files = filesUnder(dir);
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) expectNoSecretIn(`${f.path}`, `${f.path}\n${f.text}`);
}

/** Files under `dir` that hold a redacted URL: where the hook's error did flow, relative to `dir`. */
function redactedIn(dir: string): string[] {
  return filesUnder(dir)
    .filter((f) => f.text.includes(`***@${origin}`))
    .map((f) => relative(dir, f.path));
}

function expectNoSecretInOutput(runs: CliRun[]): void {
  for (const r of runs) {
    expectNoSecretIn('stdout', r.stdout);
    expectNoSecretIn('stderr', r.stderr);
  }
}

/** Each request came with the password as Basic auth, none with it in the URL; the query token is kept. */
function expectCredentialsAsHeader(requests: Received[], path: string): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(r).toMatchObject({ path: `${path}?token=${TOKEN}`, host: origin, authorization: BASIC });
    expect(Buffer.from(r.authorization!.slice('Basic '.length), 'base64').toString()).toBe(
      `user:${PASSWORD}`,
    );
    expectNoSecretIn(`the body POSTed to ${path}`, r.body);
  }
}

describe('credentials in hook and webhook URLs', () => {
  it('apply: URL hooks send them as an Authorization header, and a failing hook does not echo them', async () => {
    received.length = 0;
    const dir = migrationState();
    const hooks = ['--checkpoint', planted('/checkpoint'), '--restore', planted('/restore')];
    // The first checkpoint answers 503: the migration rolls back, the hook's error is journaled.
    failNext = 1;
    const failed = await apply(dir, ...hooks);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(
      /checkpoint webhook http:\/\/\*\*\*@127\.0\.0\.1:\d+\/checkpoint\S* answered 503/,
    );
    const retried = await apply(dir, '--retry', ...hooks);
    expect(retried.code, retried.stderr).toBe(0);
    const history = await runCli(['history', '--state', dir]);
    const json = await runCli(['history', '--state', dir, '--format', 'json']);
    expect(json.stdout).toContain('answered 503');

    expectCredentialsAsHeader(
      received.filter((r) => r.path.startsWith('/checkpoint')),
      '/checkpoint',
    );
    expectCredentialsAsHeader(
      received.filter((r) => r.path.startsWith('/restore')),
      '/restore',
    );
    expect(received.filter((r) => r.path.startsWith('/restore'))).toHaveLength(4);
    expectNoSecretInOutput([failed, retried, history, json]);
    // The failure reached the journal (redacted), and nothing anywhere holds the secrets.
    expect(redactedIn(dir)).toContain(join('journal', 'storefront.jsonl'));
    expectNoSecretInFiles(dir);
  }, 120_000);

  it('run --once: the alert webhook gets them as a header; a failing command hook does not echo them', async () => {
    received.length = 0;
    failNext = 0;
    const cwd = mkdtempSync(join(tmpdir(), 'shadowcast-credentials-'));
    cpSync(join(root, 'forecasts'), join(cwd, 'forecasts'), { recursive: true });
    cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
    // A command hook naming a URL with credentials, and failing with it on stderr: the step rolls
    // back, and the rollback is alerted to the webhook.
    const command = `echo "warm-up failed at ${planted('/warm')}" >&2; exit 3`;
    const run = await runCli(
      [
        'run',
        '--once',
        '--log-level',
        'info',
        '--webhook',
        planted('/alert'),
        '--checkpoint',
        planted('/checkpoint'),
        '--restore',
        command,
      ],
      cwd,
    );
    expect(run.code, run.stderr).toBe(1);
    // The step's failure, as the JSON log line tells it: the command and its stderr, redacted.
    const failure = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { kind?: string; msg: string })
      .find((e) => e.kind === 'step-failed');
    expect(failure?.msg).toMatch(
      /restore hook `echo "warm-up failed at http:\/\/\*\*\*@127\.0\.0\.1:\d+\/warm\?token=\*\*\*" >&2; exit 3` exited 3: warm-up failed at http:\/\/\*\*\*@127\.0\.0\.1:\d+\/warm\?token=\*\*\*$/,
    );
    const history = await runCli(['history', '--state', join(cwd, '.shadowcast')], cwd);

    expectCredentialsAsHeader(
      received.filter((r) => r.path.startsWith('/checkpoint')),
      '/checkpoint',
    );
    const alerts = received.filter((r) => r.path.startsWith('/alert'));
    expectCredentialsAsHeader(alerts, '/alert');
    expect(alerts.map((a) => (JSON.parse(a.body) as { kind: string }).kind)).toContain('rollback');
    expectNoSecretInOutput([run, history]);
    // The failure reached the journal, plan.json and the run report (redacted); no file holds the secrets.
    expect(redactedIn(join(cwd, '.shadowcast'))).toEqual(
      expect.arrayContaining([
        join('journal', 'storefront.jsonl'),
        join('plans', 'storefront', 'plan.json'),
        expect.stringMatching(/^reports\/run-[^/]+\/run\.json$/),
        expect.stringMatching(/^reports\/run-[^/]+\/report\.html$/),
      ]),
    );
    expectNoSecretInFiles(cwd);
  }, 180_000);
});
