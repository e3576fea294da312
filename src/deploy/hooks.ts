// User hooks around each step, for handing state over when work moves (a cache snapshot, a
// session drain): `checkpoint` runs before the step's update, `restore` after it lands and before
// its health gate. A hook is a command (run by /bin/sh with the step as JSON on stdin) or an
// http(s) URL (POSTed the same JSON). A hook that fails, or outlasts its timeout, fails the step,
// and the executor rolls back. After a crash the step in flight may see its hook again: hooks
// must be idempotent. A URL's `user:password@` is sent as a Basic Authorization header, and no
// error names a hook's URL (or a URL in a command) other than redacted.

import { spawn } from 'node:child_process';
import { redactText, redactUrl, splitCredentials } from '../core/redact.js';
import type { MigrationStep, PoolState } from '../core/plan.js';

export type HookName = 'checkpoint' | 'restore';

export interface HookPayload {
  hook: HookName;
  migration: string;
  pool: string;
  /** 1-based, as plans print it. */
  index: number;
  step: MigrationStep;
  lastGood: PoolState;
  /** ISO, on the executor's clock. */
  at: string;
}

/** Resolves when the hook succeeded; rejects with a one-line reason otherwise. */
export type Hook = (payload: HookPayload, timeoutMs: number) => Promise<void>;

export interface StepHooks {
  checkpoint?: Hook;
  restore?: Hook;
}

/** A hook from its flag value: an http(s) URL, or a shell command. */
export function hookFrom(spec: string): Hook {
  return /^https?:\/\//i.test(spec) ? webhook(spec) : commandHook(spec);
}

function commandHook(command: string): Hook {
  // Errors become journal reasons, reports and log lines: they quote the command redacted.
  const shown = redactText(command);
  return (payload, timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: {
          ...process.env,
          SHADOWCAST_HOOK: payload.hook,
          SHADOWCAST_POOL: payload.pool,
          SHADOWCAST_MIGRATION: payload.migration,
          SHADOWCAST_STEP: payload.step.id,
        },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${payload.hook} hook \`${shown}\` did not finish within ${seconds(timeoutMs)}`));
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`${payload.hook} hook \`${shown}\` could not run: ${redactText(err.message)}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        // The command's own stderr may repeat a URL it was given.
        const last = redactText(stderr.trim().split('\n').at(-1) ?? '');
        const how = signal ? `was killed by ${signal}` : `exited ${code}`;
        reject(new Error(`${payload.hook} hook \`${shown}\` ${how}${last ? `: ${last}` : ''}`));
      });
      // A hook that does not read its stdin must not fail the step with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(`${JSON.stringify(payload)}\n`);
    });
}

function webhook(spec: string): Hook {
  // fetch refuses a URL with userinfo: it goes as a header, and errors name the URL redacted.
  const { url, authorization } = splitCredentials(spec);
  const shown = redactUrl(spec);
  return async (payload, timeoutMs) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // No `cause`: the raw error may quote the URL's token, and a logger would print it.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`${payload.hook} webhook ${shown}: ${fetchFailure(err, timeoutMs)}`);
    }
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${payload.hook} webhook ${shown} answered ${res.status} ${res.statusText}`);
  };
}

/** Why fetch threw, redacted; undici's "fetch failed" says why only in its cause. */
function fetchFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error;
  if (e.name === 'TimeoutError') return `no answer within ${seconds(timeoutMs)}`;
  const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
  return redactText(`${e.message}${cause}`);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
