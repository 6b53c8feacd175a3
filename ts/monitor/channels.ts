// Where alerts go: stdout (one JSON line each) and webhooks (an HTTP POST of the alert, or of a Slack-compatible
// `{text, blocks}` body, retried with exponential back-off on a network error, a timeout or a 5xx/429 answer).
import type { ChannelConfig } from './config.js';

export interface Alert {
  /** Stable identity: the same trigger at the same block always gives the same id (dedup across restarts). */
  id: string;
  rule: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  /** What the alert is about: a loan, a collection, an operation, the pool. */
  subject: string;
  message: string;
  chainId: number;
  block: number;
  /** Block timestamp, seconds. */
  timestamp: number;
  txHash?: string;
  data: Record<string, unknown>;
}

export interface Channel {
  name: string;
  send(alert: Alert): Promise<void>;
}

/** JSON with bigints as decimal strings. */
export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export function stdoutChannel(name: string, write: (line: string) => void): Channel {
  return { name, send: async (a) => write(toJson(a)) };
}

const ICON = { info: 'ℹ️', warning: '⚠️', critical: '🚨' } as const;

/** The body Slack's incoming webhooks (and Mattermost, Discord's /slack endpoint) accept. */
export function slackBody(a: Alert): { text: string; blocks: unknown[] } {
  const text = `${ICON[a.severity]} [${a.severity}] ${a.rule}: ${a.message}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `chain ${a.chainId} · block ${a.block}${a.txHash ? ` · tx ${a.txHash}` : ''} · ${a.subject}` }] },
    ],
  };
}

export class DeliveryError extends Error {}

export function webhookChannel(name: string, c: Extract<ChannelConfig, { type: 'webhook' }>, log: (line: string) => void = () => {}, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Channel {
  const shown = (() => {
    try {
      const u = new URL(c.url);
      return `${u.protocol}//${u.host}`;
    } catch {
      return '<webhook>';
    }
  })();
  return {
    name,
    async send(a) {
      const body = c.format === 'slack' ? toJson(slackBody(a)) : toJson(a);
      let last = '';
      for (let attempt = 0; attempt <= c.retries; attempt++) {
        if (attempt > 0) await sleep(c.backoffMs * 2 ** (attempt - 1));
        try {
          const res = await fetch(c.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': a.id, ...c.headers },
            body,
            signal: AbortSignal.timeout(c.timeoutMs),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return;
          last = `HTTP ${res.status}`;
          // A 4xx other than 408/429 will not get better by asking again.
          if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
        } catch (e) {
          last = (e as Error).name === 'TimeoutError' ? `no answer within ${c.timeoutMs} ms` : ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
        }
        if (attempt < c.retries) log(`webhook ${name} (${shown}): ${last}; retry ${attempt + 1} of ${c.retries}`);
      }
      throw new DeliveryError(`webhook ${name} (${shown}) failed: ${last}`);
    },
  };
}
