// Hooks and the secrets in their URLs: a URL hook sends its userinfo as a Basic Authorization
// header, and no hook's error (which becomes a journal reason, a report line, an alert) repeats a
// password or token, whether the URL is the hook or appears in a command's text or stderr.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { hookFrom, type HookPayload } from '../../src/deploy/hooks.js';

const seen: { authorization?: string; path?: string }[] = [];
let status = 204;
const server = createServer((req, res) => {
  seen.push({ authorization: req.headers.authorization, path: req.url });
  req.resume();
  req.on('end', () => res.writeHead(status).end());
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const lastGood = { primary: 1, shadow: 0, standby: {}, weights: { primary: 1, shadow: 0 } };
const payload: HookPayload = {
  hook: 'restore',
  migration: 'm-1',
  pool: 'web',
  index: 1,
  step: {
    id: 'web#1:provision',
    pool: 'web',
    kind: 'provision',
    subject: { what: 'provision' },
    state: lastGood,
    notBefore: 0,
    bakeMs: 0,
    reason: 'r',
  },
  lastGood,
  at: '2026-01-01T00:00:00.000Z',
};

/** The hook's rejection message ('' when it resolved). */
const failure = (spec: string, timeoutMs = 5_000) =>
  hookFrom(spec)(payload, timeoutMs).then(
    () => '',
    (err: Error) => err.message,
  );

describe('a URL hook with credentials', () => {
  it('POSTs to the URL without them, with them as a Basic Authorization header', async () => {
    seen.length = 0;
    status = 204;
    expect(await failure(`http://deploy:hunter2@${origin}/restore?token=tok3n`)).toBe('');
    expect(seen).toEqual([
      {
        authorization: `Basic ${Buffer.from('deploy:hunter2').toString('base64')}`,
        path: '/restore?token=tok3n',
      },
    ]);
  });

  it('names the URL redacted when the receiver answers an error', async () => {
    status = 503;
    expect(await failure(`http://deploy:hunter2@${origin}/restore?token=tok3n`)).toBe(
      `restore webhook http://***@${origin}/restore?token=*** answered 503 Service Unavailable`,
    );
    status = 204;
  });

  it('names the URL redacted when it cannot be reached', async () => {
    const port = await closedPort();
    expect(await failure(`http://deploy:hunter2@127.0.0.1:${port}/restore?api_key=tok3n`)).toBe(
      `restore webhook http://***@127.0.0.1:${port}/restore?api_key=***: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });
});

/** A port on 127.0.0.1 that was free a moment ago (nothing listens on it now). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('a command hook naming a URL with credentials', () => {
  it('quotes the command and its stderr redacted when it fails', async () => {
    const url = 'https://deploy:hunter2@cache.example/warm?token=tok3n';
    expect(await failure(`echo "cannot reach ${url}" >&2; exit 3`)).toBe(
      'restore hook `echo "cannot reach https://***@cache.example/warm?token=***" >&2; exit 3` exited 3: ' +
        'cannot reach https://***@cache.example/warm?token=***',
    );
  });

  it('quotes the command redacted when it outlasts its timeout', async () => {
    expect(await failure('sleep 5 # https://deploy:hunter2@cache.example/', 200)).toBe(
      'restore hook `sleep 5 # https://***@cache.example/` did not finish within 0.2 s',
    );
  });
});
