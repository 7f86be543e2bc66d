import * as z from 'zod';
import { claimRequestSchema } from '../claim.ts';
import { followUpReasons } from '../followups.ts';
import { returnConditions } from '../grade-return.ts';
import { accounts, claimStatuses, type EntryType, entryTypes } from '../ledger.ts';
import { roles } from '../policy.ts';
import type { Answer } from './answer.ts';
import { approvedAmountsSchema, decisionSchema, moneySchema, proposalSchema } from './decision.ts';

/**
 * A ledger entry as finance reads it from `GET /v1/ledger`: the fields every entry has, and its
 * `data` by entry type (one schema per type, as `EntryDataByType` in `ledger.ts` types it).
 */

const unitLine = z.object({ sku: z.string(), quantity: z.number().int().min(1) });
const returnedLine = z.object({ sku: z.string(), quantity: z.number().int().min(1), condition: z.enum(returnConditions) });

/** What each type of entry records in its `data`. */
/** What every report of an action's result records. */
const actionResultFields = {
  actionId: z.string(),
  provider: z.string(),
  reference: z.string(),
  amount: moneySchema,
};

/** Where a claim's workflow stood when a step failed, and where a retry resumes it. */
export const flowPointSchema = z
  .object({
    next: z.enum(['conclude', 'settle_part', 'approval', 'return', 'done']),
    approval: z
      .object({
        round: z.number().int().min(1),
        role: z.enum(roles),
        waitSeconds: z.number().int().min(2),
        remindAfterSeconds: z.number().int().min(1),
        afterReminderSeconds: z.number().int().min(1),
      })
      .optional(),
    returnWaitSeconds: z.number().int().min(1).optional(),
  })
  .meta({ id: 'FlowPoint', description: "The workflow's next step and what it needs" });

const entryDataSchemas = {
  received: z.object({ claim: claimRequestSchema, idempotencyKey: z.string() }),
  decided: z.object({
    decision: decisionSchema,
    history: z.unknown().optional().meta({ description: 'What the decision knew of the customer and order (absent on a graded round)' }),
    graded: z.literal(true).optional().meta({ description: 'A graded round: the goods that came back, graded by their condition' }),
    returned: z.array(returnedLine).optional(),
    ungraded: moneySchema.optional().meta({ description: "What this round's units would have refunded had they all come back as new" }),
  }),
  approval_requested: z.object({
    round: z.number().int().min(1),
    role: z.enum(roles),
    approvers: z.array(z.string()),
    deadline: z.string(),
    proposal: proposalSchema,
  }),
  approved: z.object({
    round: z.number().int().min(1),
    note: z.string(),
    customerNote: z.string().optional().meta({ description: 'What the approver wrote to the customer (in the outcome email)' }),
    proposal: proposalSchema,
    approved: approvedAmountsSchema,
  }),
  rejected: z.object({
    by: z.literal('policy').optional(),
    round: z.number().int().min(1).optional(),
    note: z.string().optional(),
    customerNote: z.string().optional().meta({ description: 'What the approver wrote to the customer (in the outcome email)' }),
    proposal: proposalSchema.optional(),
  }),
  escalated: z.object({
    round: z.number().int().min(1),
    from: z.enum(roles),
    to: z.enum(roles).nullable(),
    reason: z.literal('approval_timed_out').optional(),
  }),
  settlement_refused: z.object({ reason: z.string(), requested: moneySchema }),
  return_authorised: z.object({ deadline: z.string(), items: z.array(unitLine) }),
  return_received: z.object({
    items: z.array(unitLine.extend({ condition: z.enum(returnConditions).optional() })),
    receivedAt: z.string(),
    condition: z.enum(returnConditions).optional().meta({ description: 'Older reports gave one condition for every item' }),
    tracking: z.string().optional(),
  }),
  refund_settled: z.object({
    amount: moneySchema,
    method: z.literal('original_payment'),
    items: z.array(unitLine).optional().meta({ description: 'The units refunded (older entries: the decision’s)' }),
    replaces: z.string().optional().meta({ description: 'The store-credit action this cash is given instead of' }),
    revokeCreditCode: z.string().optional().meta({ description: 'The credit code the shop voids before paying' }),
  }),
  credit_issued: z.object({
    amount: moneySchema,
    goodwill: moneySchema,
    items: z.array(unitLine).optional(),
    recovers: z.string().optional().meta({ description: 'The failed refund action this credit is given instead of' }),
  }),
  replacement_requested: z.object({ items: z.array(unitLine) }),
  action_succeeded: z.object({
    ...actionResultFields,
    creditCode: z.string().optional(),
    tracking: z.string().optional(),
    expected: moneySchema.optional().meta({ description: 'The action’s amount, when a person recorded another' }),
  }),
  action_failed: z.object({ ...actionResultFields, failureReason: z.string() }),
  action_cancelled: z.object({ actionId: z.string(), reason: z.literal('cash_requested') }),
  followup_opened: z.object({
    reason: z.enum(followUpReasons),
    role: z.enum(roles),
    due: z.string().meta({ description: 'When the promised contact is due (ISO 8601)' }),
    email: z.string().meta({ description: 'The step of the email that promised it' }),
  }),
  followup_closed: z.object({ followUpId: z.string(), note: z.string() }),
  email_sent: z.object({ kind: z.string(), to: z.string(), subject: z.string(), messageId: z.string() }),
  email_not_sent: z
    .object({
      kind: z.string(),
      to: z.string(),
      subject: z.string(),
      reason: z.literal('suppressed'),
      cause: z
        .enum(['bounce', 'complaint'])
        .meta({ description: 'Why the address is suppressed: it bounced for good, or its owner complained' }),
      since: z.string().meta({ description: 'When the address was suppressed (ISO 8601)' }),
    })
    .meta({ description: 'An email held back because its address is on the suppression list: the reader was not told' }),
  email_bounced: z.object({
    email: z.string().meta({ description: 'The step of the email that bounced' }),
    to: z.string(),
    messageId: z.string(),
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
    bounceSubType: z.string(),
    status: z.string().optional().meta({ description: "The receiving server's SMTP status (5.1.1)" }),
    feedbackId: z.string(),
    bouncedAt: z.string(),
    suppressed: z.boolean().meta({ description: 'Whether the address is no longer mailed (a permanent bounce)' }),
  }),
  email_complained: z.object({
    email: z.string().meta({ description: 'The step of the email its reader marked as spam' }),
    to: z.string(),
    messageId: z.string(),
    feedbackType: z.string().optional(),
    feedbackId: z.string(),
    complainedAt: z.string(),
    suppressed: z.literal(true),
  }),
  closed: z.object({ reason: z.literal('return_not_received'), items: z.array(unitLine).optional() }),
  failed: z.object({
    error: z.string(),
    cause: z.string(),
    resume: flowPointSchema.optional(),
    retryAt: z.string().optional().meta({ description: 'When the claim is retried by itself (ISO 8601); absent: left to an operator' }),
  }),
  retried: z.object({
    round: z.number().int().min(1),
    execution: z.string().meta({ description: 'The name of the execution the retry started' }),
    resume: flowPointSchema.nullable(),
  }),
} satisfies Record<EntryType, z.ZodType>;

const actorSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('system') }),
    z.object({ kind: z.literal('storefront'), id: z.string() }),
    z.object({ kind: z.literal('approver'), email: z.string(), role: z.enum(roles), ip: z.string(), userAgent: z.string() }),
    z.object({ kind: z.literal('operator'), name: z.string() }),
  ])
  .meta({ id: 'Actor', description: 'Who caused the entry.' });

const postingSchema = z
  .object({ account: z.enum(accounts), debit: z.number().int().min(0), credit: z.number().int().min(0) })
  .meta({ id: 'Posting', description: "One line of a double-entry posting, in the entry's currency; one of debit and credit is zero." });

const hash = z.string().regex(/^[0-9a-f]{64}$/);

/** The fields every entry has, besides `type` and `data`. */
const entryFields = {
  claimId: z.string(),
  seq: z.number().int().min(1).meta({ description: "The entry's place in its claim's chain, from 1" }),
  at: z.string().meta({ description: 'When it was appended (ISO 8601, UTC)' }),
  storefrontId: z.string(),
  orderId: z.string(),
  customerId: z.string(),
  currency: z.string(),
  step: z.string().meta({ description: 'Names the step within the claim; a retried step is recorded once' }),
  status: z.enum(claimStatuses).meta({ description: 'The claim status this entry records' }),
  actor: actorSchema,
  policyVersion: z.number().int().min(1).nullable(),
  postings: z.array(postingSchema).meta({ description: 'Balanced double-entry postings: debits equal credits' }),
  prevHash: hash.meta({ description: 'SHA-256 (hex) of the previous entry of the same claim; 64 zeros for the first' }),
  hash: hash.meta({ description: "SHA-256 (hex) of this entry's canonical JSON without `hash`" }),
};

function entrySchemaOf<T extends EntryType>(type: T) {
  return z.object({ type: z.literal(type), ...entryFields, data: entryDataSchemas[type] }).meta({ id: `LedgerEntry_${type}` });
}

/** The schema of one entry type, each type paired with its own `data`. */
type EntrySchema = { [T in EntryType]: ReturnType<typeof entrySchemaOf<T>> }[EntryType];

/** One appended, hash-chained ledger entry, by its type. */
export const ledgerEntrySchema = z
  .discriminatedUnion('type', entryTypes.map((t) => entrySchemaOf(t)) as unknown as [EntrySchema, ...EntrySchema[]])
  .meta({ id: 'LedgerEntry', description: 'One appended, hash-chained ledger entry. Never updated, never deleted.' });

/** The JSON answer of `GET /v1/ledger`: a page of entries, oldest first, and where the next page starts. */
export const ledgerPageSchema = z
  .object({
    entries: z.array(ledgerEntrySchema),
    next: z.string().nullable().meta({ description: 'The `cursor` of the next page; `null` on the last page' }),
  })
  .meta({ id: 'LedgerPage', description: 'A page of entries, oldest first (within each storefront).' });

/** The JSON answer of `GET /v1/ledger`, as the code builds it. */
export type LedgerPageAnswer = Answer<z.output<typeof ledgerPageSchema>>;
