// Alerts from the run loop go three ways at once: a counter on /metrics (for alert rules), a log
// event (for people and log pipelines), and, when a webhook is set, a JSON POST (Slack-style
// receivers, Alertmanager's webhook, PagerDuty's relay). A webhook that fails is logged and
// retried a little, never allowed to stop a run. A webhook URL's `user:password@` is sent as a
// Basic Authorization header (fetch refuses it in the URL); logs name the URL by its origin only.

import type { Logger } from 'pino';
import { redactText, splitCredentials } from '../core/redact.js';
import type { RunMetrics } from './telemetry.js';

export const ALERT_KINDS = [
  'forecast-drift',
  'migration-rate',
  'run-failed',
  'rollback',
  'plan',
  'metrics-missing',
  'signal-missing',
  'risk-model',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  at: number;
  pool: string;
  kind: AlertKind;
  message: string;
  /** The run it came from. */
  run: string;
}

export interface WebhookOptions {
  url: string;
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Attempts in all (default 3), 1 s, 2 s apart. */
  attempts?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export class Alerter {
  /** Every alert raised, in order: the run report shows them. */
  readonly raised: Alert[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly metrics: RunMetrics,
    private readonly webhook?: WebhookOptions,
  ) {}

  raise(alert: Alert): void {
    this.raised.push(alert);
    this.metrics.alert(alert.pool, alert.kind);
    this.log.warn(
      { event: 'alert', pool: alert.pool, kind: alert.kind, run: alert.run },
      `alert: ${alert.message}`,
    );
    if (this.webhook) {
      const sent = this.post(this.webhook, alert).finally(() => this.pending.delete(sent));
      this.pending.add(sent);
    }
  }

  /** Waits for webhook deliveries under way (before exiting). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async post(w: WebhookOptions, alert: Alert): Promise<void> {
    const attempts = w.attempts ?? 3;
    const doFetch = w.fetch ?? fetch;
    const sleep = w.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const body = JSON.stringify({
      source: 'shadowcast',
      at: new Date(alert.at).toISOString(),
      pool: alert.pool,
      kind: alert.kind,
      run: alert.run,
      text: `shadowcast ${alert.pool}: ${alert.message}`,
      message: alert.message,
    });
    const { url, authorization } = splitCredentials(w.url);
    let why = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body,
          signal: AbortSignal.timeout(w.timeoutMs ?? 5_000),
        });
        if (res.ok) return;
        why = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        // fetch's errors may quote the URL, token and all.
        why = redactText((err as Error).message);
      }
      if (attempt < attempts) await sleep(1_000 * attempt);
    }
    this.log.error(
      { event: 'webhook-failed', pool: alert.pool, kind: alert.kind, url: redact(w.url) },
      `alert webhook failed: ${why}`,
    );
  }
}

/** A webhook URL often carries a token in its path or query: log only its origin. */
function redact(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
