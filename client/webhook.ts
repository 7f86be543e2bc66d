import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError } from './errors.ts';
import type { Action, ClaimStatus, Money, Outcome, Role, Units } from './types.ts';

/** What every event's `data` carries. */
export interface WebhookEventBase {
  readonly claimId: string;
  readonly orderId: string;
  readonly customerId: string;
  /** The ledger entry this event reports: events of one claim can be ordered by it. */
  readonly seq: number;
  /** The claim's status once this step is recorded. */
  readonly status: ClaimStatus;
}

/** A decision as an event reports it. */
export interface DecisionSummary {
  readonly outcome: Outcome;
  readonly cash: Money;
  readonly storeCredit: Money;
  readonly tier: Role;
  readonly policyVersion: number;
}

/** The `data` of each event type, beyond {@link WebhookEventBase}. */
export interface WebhookEventDataByType {
  'claim.received': Record<never, never>;
  'claim.decided': { readonly decision: DecisionSummary; readonly graded: boolean };
  'claim.awaiting_approval': { readonly approval: { readonly round: number; readonly tier: Role; readonly deadline: string } };
  'claim.approved': { readonly approved: { readonly cash: Money; readonly storeCredit: Money } };
  'claim.rejected': { readonly decision: DecisionSummary | null };
  'claim.awaiting_return': { readonly return: { readonly deadline: string; readonly items: readonly Units[] } };
  'claim.return_received': { readonly return: { readonly receivedAt: string; readonly items: readonly Units[] } };
  'claim.settled': { readonly decision: DecisionSummary };
  'claim.closed': { readonly reason: string };
  'claim.failed': { readonly error: string };
  'refund.requested': { readonly action: Action };
  'store_credit.requested': { readonly action: Action };
  'replacement.requested': { readonly action: Action };
}

/** An event type makegood sends. New types may be added: ignore the ones you do not know. */
export type WebhookEventType = keyof WebhookEventDataByType;

/**
 * A webhook body, `{type, timestamp, data}`, narrowed by `type`:
 * `if (event.type === 'claim.settled') event.data.decision.cash`.
 */
export type WebhookEvent = {
  [T in WebhookEventType]: { readonly type: T; readonly timestamp: string; readonly data: WebhookEventBase & WebhookEventDataByType[T] };
}[WebhookEventType];

/** Request headers as `fetch` (`Headers`) or `node:http` (`req.headers`) give them. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Checks a webhook makegood sent (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) and returns its event. `secret` is the storefront's `whsec_…` webhook
 * secret; `rawBody` the body exactly as received, before any JSON parsing.
 *
 * Throws {@link WebhookVerificationError} when a header is missing, the signature does not match,
 * the timestamp is more than 5 minutes from now, or the body is not an event: answer 400 and do
 * nothing. The same event may arrive more than once (delivery is at least once): `webhook-id`
 * is the same on every attempt, so deduplicate by it.
 */
export function verifyWebhook(secret: string, rawBody: string | Buffer, headers: WebhookHeaders): WebhookEvent {
  const flat: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, key) => {
      flat[key] = value;
    });
  } else {
    for (const [key, value] of Object.entries(headers)) {
      if (value !== undefined) flat[key.toLowerCase()] = typeof value === 'string' ? value : value.join(' ');
    }
  }
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const webhook = webhookOf(secret);
  try {
    webhook.verify(body, flat, { jsonParse: false });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new WebhookVerificationError(`The webhook does not verify: ${reason}`, { cause: err });
  }
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (err) {
    throw new WebhookVerificationError('The webhook is signed but its body is not JSON', { cause: err });
  }
  if (!isEvent(event)) throw new WebhookVerificationError('The webhook is signed but its body is not a makegood event');
  return event;
}

/** A misconfigured secret is the receiver's fault, not the sender's: a plain Error, not a verification failure. */
function webhookOf(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch (err) {
    throw new Error('The webhook secret must be the whsec_… value of the storefront settings (base64 after the prefix)', { cause: err });
  }
}

function isEvent(value: unknown): value is WebhookEvent {
  const v = value as { type?: unknown; timestamp?: unknown; data?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.type === 'string' &&
    typeof v.timestamp === 'string' &&
    typeof v.data === 'object' &&
    v.data !== null
  );
}
