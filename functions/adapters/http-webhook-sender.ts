import { Webhook } from 'standardwebhooks';
import type { WebhookSender } from '#ports';

/**
 * Sends webhooks over HTTP with `fetch`, signed by the `standardwebhooks` package (headers
 * `webhook-id`, `webhook-timestamp`, `webhook-signature`). Redirects are not followed: a
 * receiver that moved says so with its own answer, and a signed body never goes somewhere the
 * storefront did not set.
 */
export class HttpWebhookSender implements WebhookSender {
  async send(r: { url: string; secrets: readonly string[]; eventId: string; timestamp: Date; body: string; timeoutMs: number }) {
    // One `v1,<signature>` per secret, space-separated: a receiver holding either the old or the
    // new secret of a rotation verifies the delivery (the Standard Webhooks spec's rule).
    const signature = r.secrets.map((secret) => new Webhook(secret).sign(r.eventId, r.timestamp, r.body)).join(' ');
    try {
      const res = await fetch(r.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'makegood-webhooks/1',
          'webhook-id': r.eventId,
          'webhook-timestamp': String(Math.floor(r.timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: r.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(r.timeoutMs),
      });
      // Only the status counts; the body is drained so the connection can be reused.
      await res.body?.cancel().catch(() => {});
      return { kind: 'answered' as const, status: res.status };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout' as const };
      return { kind: 'unreachable' as const, message: e.cause?.code ?? e.cause?.message ?? e.message };
    }
  }
}
