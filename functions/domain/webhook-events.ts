import * as z from 'zod';
import { actionsOf } from './actions.ts';
import { actionSchema, actionView } from './api/action.ts';
import { type Outcome, outcomes } from './decide.ts';
import { InvalidRequestError } from './errors.ts';
import { claimStatuses, currentDecision, type EntryDraft, type LedgerEntry } from './ledger.ts';
import { roles } from './policy.ts';

/**
 * The events a storefront's webhook receives (Standard Webhooks): one per ledger entry that
 * changes what the shop should know. The body is built from the entry itself, so a webhook never
 * says more than the ledger recorded.
 */
export const webhookEventTypes = [
  'claim.received',
  'claim.decided',
  'claim.awaiting_approval',
  'claim.approved',
  'claim.rejected',
  'claim.awaiting_return',
  'claim.return_received',
  'claim.settled',
  'claim.closed',
  'claim.failed',
  'refund.requested',
  'store_credit.requested',
  'replacement.requested',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/**
 * Which event an entry about to be appended produces, if any. Decided from the draft alone (its
 * type and the status it records), so the event can be staged before the entry is written.
 * Statuses a customer has been told of (`settled`, `rejected`) come from the entry that says the
 * customer was told; the others from the entry that records the step.
 */
export function webhookEventTypeOf(draft: Pick<EntryDraft, 'type' | 'status' | 'data'>): WebhookEventType | undefined {
  switch (draft.type) {
    case 'received':
      return 'claim.received';
    case 'decided':
      return 'claim.decided';
    case 'approval_requested':
      return 'claim.awaiting_approval';
    case 'approved':
      return 'claim.approved';
    case 'return_authorised':
      return 'claim.awaiting_return';
    case 'return_received':
      return 'claim.return_received';
    case 'closed':
      return 'claim.closed';
    case 'failed':
      return 'claim.failed';
    case 'refund_settled':
      return 'refund.requested';
    case 'credit_issued':
      return 'store_credit.requested';
    case 'replacement_requested':
      return 'replacement.requested';
    case 'escalated':
      // No tier left above: the claim fails here, with no `failed` entry of its own.
      return draft.status === 'failed' ? 'claim.failed' : undefined;
    case 'email_sent':
    case 'email_not_sent': {
      // Only the outcome email tells the customer the claim is settled or rejected; a later
      // email (the return never came) carries the status on without being a new outcome. An
      // outcome email held back (the address is suppressed) still ends the claim's settlement.
      const data = draft.data as { readonly kind?: string };
      if (data.kind !== 'outcome') return undefined;
      if (draft.status === 'settled') return 'claim.settled';
      if (draft.status === 'rejected') return 'claim.rejected';
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The event id (`webhook-id`): derived from claim and sequence, so it is the same on every attempt. */
export function webhookEventId(claimId: string, seq: number): string {
  return `evt_${claimId}_${seq}`;
}

/** The claim and sequence an event id names, or undefined when it is not one. */
export function parseWebhookEventId(eventId: string): { claimId: string; seq: number } | undefined {
  const m = /^evt_([A-Za-z0-9_-]{1,128})_(\d{1,8})$/.exec(eventId);
  return m?.[1] && m[2] ? { claimId: m[1], seq: Number(m[2]) } : undefined;
}

const moneySchema = z.object({
  amount: z.number().int().describe('Integer minor units of `currency`'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .describe('ISO 4217'),
});
const unitsSchema = z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) }));

/** A decision as an event reports it: the outcome, the amounts and who approves. */
const decisionSummarySchema = z.object({
  outcome: z.enum(outcomes),
  cash: moneySchema,
  storeCredit: moneySchema,
  tier: z.enum(roles),
  policyVersion: z.number().int().min(1),
});

const baseData = {
  claimId: z.string(),
  orderId: z.string(),
  customerId: z.string(),
  seq: z.number().int().min(0).describe('The ledger entry this event reports'),
  status: z.enum(claimStatuses).describe('The claim status once this step is recorded'),
};

const eventDataSchemas = {
  'claim.received': z.object(baseData),
  'claim.decided': z.object({ ...baseData, decision: decisionSummarySchema, graded: z.boolean() }),
  'claim.awaiting_approval': z.object({
    ...baseData,
    approval: z.object({ round: z.number().int(), tier: z.enum(roles), deadline: z.string() }),
  }),
  'claim.approved': z.object({ ...baseData, approved: z.object({ cash: moneySchema, storeCredit: moneySchema }) }),
  'claim.rejected': z.object({ ...baseData, decision: decisionSummarySchema.nullable() }),
  'claim.awaiting_return': z.object({ ...baseData, return: z.object({ deadline: z.string(), items: unitsSchema }) }),
  'claim.return_received': z.object({ ...baseData, return: z.object({ receivedAt: z.string(), items: unitsSchema }) }),
  'claim.settled': z.object({ ...baseData, decision: decisionSummarySchema }),
  'claim.closed': z.object({ ...baseData, reason: z.string() }),
  'claim.failed': z.object({ ...baseData, error: z.string() }),
  'refund.requested': z.object({ ...baseData, action: actionSchema }),
  'store_credit.requested': z.object({ ...baseData, action: actionSchema }),
  'replacement.requested': z.object({ ...baseData, action: actionSchema }),
} satisfies Record<WebhookEventType, z.ZodType>;

/** The body of each event type, for the OpenAPI `webhooks` section and for receivers to validate. */
export const webhookEventSchemas = Object.fromEntries(
  webhookEventTypes.map(
    (type) =>
      [
        type,
        z.object({
          type: z.literal(type),
          timestamp: z.string().describe('When the step was recorded (ISO 8601)'),
          data: eventDataSchemas[type],
        }),
      ] as const,
  ),
) as { [T in WebhookEventType]: z.ZodObject<{ type: z.ZodLiteral<T>; timestamp: z.ZodString; data: (typeof eventDataSchemas)[T] }> };

/** Any event body. */
export const webhookEventSchema = z.discriminatedUnion(
  'type',
  webhookEventTypes.map((t) => webhookEventSchemas[t]) as unknown as [
    (typeof webhookEventSchemas)[WebhookEventType],
    ...(typeof webhookEventSchemas)[WebhookEventType][],
  ],
);
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

function summary(d: {
  outcome: Outcome;
  cash: z.infer<typeof moneySchema>;
  storeCredit: z.infer<typeof moneySchema>;
  tier: (typeof roles)[number];
  policyVersion: number;
}) {
  return { outcome: d.outcome, cash: { ...d.cash }, storeCredit: { ...d.storeCredit }, tier: d.tier, policyVersion: d.policyVersion };
}

/**
 * The body of the event an appended entry produces, or undefined when it produces none.
 * `entries` are the claim's entries; only those up to this one are read, so the body is the same
 * whenever it is built.
 */
export function webhookEventOf(entry: LedgerEntry, entries: readonly LedgerEntry[]): WebhookEvent | undefined {
  const type = webhookEventTypeOf(entry);
  if (!type) return undefined;
  const upTo = entries.filter((e) => e.seq <= entry.seq);
  const base = { claimId: entry.claimId, orderId: entry.orderId, customerId: entry.customerId, seq: entry.seq, status: entry.status };
  const decision = currentDecision(upTo);
  const body = (data: object) => ({ type, timestamp: entry.at, data: { ...base, ...data } });
  switch (entry.type) {
    case 'decided':
      return body({ decision: summary(entry.data.decision), graded: entry.data.graded === true }) as WebhookEvent;
    case 'approval_requested':
      return body({ approval: { round: entry.data.round, tier: entry.data.role, deadline: entry.data.deadline } }) as WebhookEvent;
    case 'approved':
      return body({
        approved: { cash: { ...entry.data.approved.cash }, storeCredit: { ...entry.data.approved.storeCredit } },
      }) as WebhookEvent;
    case 'return_authorised':
      return body({
        return: { deadline: entry.data.deadline, items: entry.data.items.map((i) => ({ sku: i.sku, quantity: i.quantity })) },
      }) as WebhookEvent;
    case 'return_received':
      return body({
        return: { receivedAt: entry.data.receivedAt, items: entry.data.items.map((i) => ({ sku: i.sku, quantity: i.quantity })) },
      }) as WebhookEvent;
    case 'closed':
      return body({ reason: entry.data.reason }) as WebhookEvent;
    case 'failed':
      return body({ error: entry.data.error }) as WebhookEvent;
    case 'refund_settled':
    case 'credit_issued':
    case 'replacement_requested': {
      // As asked: built from the entries up to this one, so it never carries a later answer.
      const action = actionsOf(upTo).find((a) => a.seq === entry.seq);
      return action ? (body({ action: actionView(action) }) as WebhookEvent) : undefined;
    }
    case 'escalated':
      return body({ error: `the approval timed out at the ${entry.data.from} tier, the highest` }) as WebhookEvent;
    default:
      break;
  }
  if (type === 'claim.settled') return decision ? (body({ decision: summary(decision) }) as WebhookEvent) : undefined;
  if (type === 'claim.rejected') return body({ decision: decision ? summary(decision) : null }) as WebhookEvent;
  return body({}) as WebhookEvent;
}

/**
 * Checks a webhook endpoint URL: absolute `https://`, or `http://` to this machine only (the
 * embedded mode's receivers). Throws InvalidRequestError naming `webhook.url` otherwise.
 */
export function assertWebhookUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const loopback = parsed !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  const ok =
    parsed !== undefined &&
    (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)) &&
    !parsed.username &&
    !parsed.password;
  if (!ok) {
    throw new InvalidRequestError('The webhook URL is not one makegood can send to', [
      { path: 'webhook.url', message: 'must be an absolute https:// URL without credentials (http:// only to 127.0.0.1 or localhost)' },
    ]);
  }
}
