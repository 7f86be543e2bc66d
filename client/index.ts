/**
 * `makegood/client`: what a storefront needs to talk to makegood, in a few self-contained files
 * (node:crypto and the `standardwebhooks` package; nothing of the server).
 *
 * ```ts
 * import { MakegoodClient, MakegoodApiError, verifyWebhook } from 'makegood/client';
 *
 * const makegood = new MakegoodClient({ baseUrl: 'http://127.0.0.1:8787', storefrontId: 'demo', secret: 'demo-secret' });
 * const { claimId, replayed } = await makegood.createClaim(claim, { idempotencyKey: `claim-${order.id}` });
 * const view = await makegood.getClaim(claimId);
 *
 * // what the shop is asked to do, and its answers:
 * for await (const action of makegood.requestedActions()) {
 *   await makegood.reportAction(action.claimId, action.actionId, {
 *     status: 'succeeded', provider: 'stripe', reference: refund.id, amount: action.amount,
 *   });
 * }
 *
 * // in the webhook receiver, with the body exactly as received:
 * const event = verifyWebhook(process.env.WEBHOOK_SECRET, rawBody, req.headers);
 * ```
 *
 * Every request is signed (`X-Makegood-Signature`) on each attempt; `POST /v1/claims` carries an
 * `Idempotency-Key` that stays the same across retries. Retries follow the rule documented in
 * {@link RetryOptions}: no answer, 429 and 5xx are tried again with full-jitter backoff or the
 * server's `Retry-After`; other answers are final. Errors are {@link MakegoodApiError} (the
 * server answered) and {@link MakegoodNetworkError} (it did not).
 *
 * @module
 */
export { MakegoodClient, type MakegoodClientOptions, type MakegoodResponse, type RequestOptions } from './client.ts';
export { MakegoodApiError, MakegoodNetworkError, WebhookVerificationError } from './errors.ts';
export { backoffDelay, defaultRetryOptions, isRetryable, type RetryOptions, retryAfterMs } from './retry.ts';
export { signRequest } from './signature.ts';
export type * from './types.ts';
export {
  type DecisionSummary,
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventBase,
  type WebhookEventDataByType,
  type WebhookEventType,
  type WebhookHeaders,
} from './webhook.ts';
