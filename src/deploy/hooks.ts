// User hooks around each step, for handing state over when work moves (a cache snapshot, a
// session drain): `checkpoint` runs before the step's update, `restore` after it lands and before
// its health gate. A hook is a command (run by /bin/sh with the step as JSON on stdin) or an
// http(s) URL (POSTed the same JSON). A hook that fails, or outlasts its timeout, fails the step,
// and the executor rolls back. After a crash the step in flight may see its hook again: hooks
// must be idempotent.

import { spawn } from 'node:child_process';
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
        reject(new Error(`${payload.hook} hook \`${command}\` did not finish within ${seconds(timeoutMs)}`));
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`${payload.hook} hook \`${command}\` could not run: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        const last = stderr.trim().split('\n').at(-1) ?? '';
        const how = signal ? `was killed by ${signal}` : `exited ${code}`;
        reject(new Error(`${payload.hook} hook \`${command}\` ${how}${last ? `: ${last}` : ''}`));
      });
      // A hook that does not read its stdin must not fail the step with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(`${JSON.stringify(payload)}\n`);
    });
}

function webhook(url: string): Hook {
  return async (payload, timeoutMs) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${seconds(timeoutMs)}` : e.message;
      throw new Error(`${payload.hook} webhook ${url}: ${why}`, { cause: err });
    }
    await res.body?.cancel();
    if (!res.ok) throw new Error(`${payload.hook} webhook ${url} answered ${res.status} ${res.statusText}`);
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
