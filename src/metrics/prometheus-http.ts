// One call to the Prometheus HTTP API with the policy a flaky network needs: a timeout per
// attempt, retries with exponential backoff and jitter on network errors, timeouts, 5xx, 408 and
// 429 — never on a request the server refused (bad PromQL, bad credentials) — and errors that
// say which of the two it was: UsageError (exit 2) or DependencyError (exit 3).

import { DependencyError, UsageError } from '../core/errors.js';
import { type ApiEnvelope, envelopeOf, warningsOf } from './prometheus-response.js';

export interface RetryPolicy {
  /** Longest one attempt may take, answer body included. */
  timeoutMs: number;
  /** Attempts after the first one. */
  retries: number;
  /** Delay before the first retry; it doubles on each retry, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. */
  random: () => number;
}

export interface ApiCall {
  /** Absolute endpoint URL (shown in errors, never with credentials). */
  url: URL;
  form: URLSearchParams;
  headers: Record<string, string>;
  /** The PromQL, named in errors. */
  query: string;
}

export interface ApiAnswer {
  data: unknown;
  warnings: string[];
}

/** Why an attempt failed: a cause worth retrying, or (`error`) a final answer to throw at once. */
interface Failure {
  /** How long the server asked us to wait (Retry-After), if it did. */
  retryAfterMs?: number;
  cause: string;
  error?: Error;
}

const RETRY_STATUS = new Set([408, 429]);

/**
 * Delay before retry number `attempt` (0-based): half of min(max, base·2^attempt) fixed, half
 * random ("equal jitter"), so runners that failed together do not retry together, yet each
 * still waits a growing minimum.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'backoffMs' | 'maxBackoffMs' | 'random'>,
) {
  const cap = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** attempt);
  return cap / 2 + (policy.random() * cap) / 2;
}

export async function callApi(call: ApiCall, policy: RetryPolicy): Promise<ApiAnswer> {
  let last: Failure | undefined;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (last) {
      const wait = backoffDelay(attempt - 1, policy);
      await policy.sleep(Math.min(policy.maxBackoffMs, Math.max(wait, last.retryAfterMs ?? 0)));
    }
    const outcome = await attemptOnce(call, policy.timeoutMs);
    if ('data' in outcome) return outcome;
    if (outcome.error) throw outcome.error;
    last = outcome;
  }
  const tries = policy.retries === 0 ? '1 attempt' : `${policy.retries + 1} attempts`;
  throw new DependencyError(`Prometheus at ${call.url.href} unreachable after ${tries}: ${last?.cause}`);
}

async function attemptOnce(call: ApiCall, timeoutMs: number): Promise<ApiAnswer | Failure> {
  let status: number;
  let body: string;
  let retryAfter: string | null;
  try {
    const res = await fetch(call.url, {
      method: 'POST',
      headers: {
        ...call.headers,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: call.form,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    retryAfter = res.headers.get('retry-after');
    body = await res.text();
  } catch (err) {
    return { cause: networkCause(err, timeoutMs) };
  }
  const env = envelopeOf(body);
  if (status >= 200 && status < 300) {
    if (env?.status === 'success') return { data: env.data, warnings: warningsOf(env) };
    if (env?.status === 'error') return { cause: '', error: refused(call, status, env) };
    const what = `HTTP ${status} with a body that is not a Prometheus API answer: ${snippet(body)}`;
    return { cause: what, error: new DependencyError(`Prometheus at ${call.url.href} answered ${what}`) };
  }
  const why = env?.error ?? snippet(body);
  if (status >= 500 || RETRY_STATUS.has(status)) {
    return { retryAfterMs: retryAfterMs(retryAfter), cause: `HTTP ${status}: ${why}` };
  }
  return { cause: '', error: refused(call, status, env ?? { error: why }) };
}

/** The server answered and said no: the request is wrong, so retrying cannot help (exit 2). */
function refused(call: ApiCall, status: number, env: ApiEnvelope): Error {
  const text = env.error ?? '';
  if (env.errorType === 'bad_data' || status === 400) {
    return new UsageError(
      `Prometheus refused query "${call.query}": ${text} (HTTP ${status} from ${call.url.href})`,
    );
  }
  if (status === 401 || status === 403) {
    return new UsageError(
      `Prometheus at ${call.url.href} answered HTTP ${status} (${status === 401 ? 'unauthorized' : 'forbidden'}): check the bearer token or basic-auth credentials`,
    );
  }
  if (status === 404) {
    return new UsageError(
      `no Prometheus API at ${call.url.href} (HTTP 404): check the URL and its path prefix`,
    );
  }
  return new UsageError(
    `Prometheus could not run query "${call.query}": ${text} (HTTP ${status} from ${call.url.href})`,
  );
}

/** Why a fetch failed, in words: a timeout, or the network's own reason. */
export function networkCause(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { message?: string; code?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000}s`;
  return e.cause?.message ?? e.cause?.code ?? e.message ?? String(err);
}

/** A Retry-After header in seconds, as milliseconds (undefined: none, or a date we do not read). */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function snippet(body: string): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one || '(empty body)';
}
