import * as z from 'zod';
import { type Action, actionStatuses, actionTypes } from '../actions.ts';
import type { Answer } from './answer.ts';
import { coveredUnitsSchema, moneySchema } from './decision.ts';

/** What the shop answered for an action, as the API shows it. */
export const actionResultSchema = z
  .object({
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    at: z.string(),
    by: z.string().meta({ description: '`storefront:<id>`, or `operator:<name>` for a person using `makegood actions`' }),
    provider: z.string().optional(),
    reference: z.string().optional(),
    amount: moneySchema.optional(),
    creditCode: z.string().optional(),
    tracking: z.string().optional(),
    failureReason: z.string().optional(),
  })
  .meta({ id: 'ActionResult', description: 'What the shop answered for an action (its first answer; an action has one).' });

/** One thing the shop must do for a claim. */
export const actionSchema = z
  .object({
    actionId: z.string().meta({ description: 'Stable: `act_<claimId>_<seq>`, the ledger entry that asked for it' }),
    claimId: z.string(),
    orderId: z.string(),
    type: z.enum(actionTypes).meta({
      description:
        '`refund`: pay `amount` back to the original payment method; `store_credit`: issue `amount` of store credit or a gift ' +
        'card; `replacement`: ship `items` again (amount zero)',
    }),
    status: z.enum(actionStatuses).meta({ description: '`cancelled`: withdrawn before an answer (the customer asked for cash instead)' }),
    amount: moneySchema,
    goodwill: moneySchema.optional().meta({ description: 'For store credit: the part that is a bonus, not refund value' }),
    items: z.array(coveredUnitsSchema).meta({ description: 'The order units it is for; empty for credit that covers no goods' }),
    requestedAt: z.string(),
    reference: z.string().nullable().meta({ description: "The shop's reference from its answer, `null` until answered" }),
    replaces: z.string().optional().meta({ description: 'The store-credit action this refund is given instead of' }),
    revokeCreditCode: z.string().optional().meta({
      description:
        'Void this credit before paying: its code, or the reference the shop gave when it issued it without one. The customer asked for cash instead of that credit',
    }),
    recovers: z.string().optional().meta({ description: 'The failed refund this store credit is given instead of' }),
    followedBy: z
      .string()
      .optional()
      .meta({ description: 'What was asked instead: the recovery of a failed refund, or cash instead of credit' }),
    result: actionResultSchema.optional(),
  })
  .meta({ id: 'Action', description: 'One thing the shop must do for a claim, and its answer.' });

/** An action as the API answers it. */
export type ActionView = Answer<z.output<typeof actionSchema>>;

/** The API's view of an action. */
export function actionView(a: Action): ActionView {
  return {
    actionId: a.actionId,
    claimId: a.claimId,
    orderId: a.orderId,
    type: a.type,
    status: a.status,
    amount: { ...a.amount },
    ...(a.goodwill ? { goodwill: { ...a.goodwill } } : {}),
    items: a.items.map((u) => ({ sku: u.sku, quantity: u.quantity })),
    requestedAt: a.requestedAt,
    reference: a.result?.reference ?? null,
    ...(a.replaces ? { replaces: a.replaces } : {}),
    ...(a.revokeCreditCode ? { revokeCreditCode: a.revokeCreditCode } : {}),
    ...(a.recovers ? { recovers: a.recovers } : {}),
    ...(a.followedBy ? { followedBy: a.followedBy } : {}),
    ...(a.result
      ? {
          result: {
            status: a.result.status,
            at: a.result.at,
            by: a.result.by,
            ...(a.result.provider !== undefined ? { provider: a.result.provider } : {}),
            ...(a.result.reference !== undefined ? { reference: a.result.reference } : {}),
            ...(a.result.amount ? { amount: { ...a.result.amount } } : {}),
            ...(a.result.creditCode !== undefined ? { creditCode: a.result.creditCode } : {}),
            ...(a.result.tracking !== undefined ? { tracking: a.result.tracking } : {}),
            ...(a.result.failureReason !== undefined ? { failureReason: a.result.failureReason } : {}),
          },
        }
      : {}),
  };
}

/** Text the customer is emailed as given: no control or invisible formatting characters, no runs of spaces. */
const shownAsSent = (field: string) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((t) => !/[\p{Cc}\p{Cf}]|\s{2,}/u.test(t), {
      message: `must be printable text, without control or invisible characters or runs of spaces: the customer is emailed the ${field} as given`,
    });

/** `POST /v1/claims/{claimId}/actions/{actionId}`: what the shop reports. */
export const actionReportSchema = z
  .strictObject({
    status: z.enum(['succeeded', 'failed']),
    provider: z.string().trim().min(1).max(64).meta({ description: 'Who moved the money or goods: `stripe`, `adyen`, `bank`, `dhl`, …' }),
    reference: z.string().trim().min(1).max(255).meta({
      description: "The provider's reference (refund id, gift-card id, shipment id); with `status`, it makes the report idempotent",
    }),
    amount: moneySchema.optional().meta({
      description:
        'What was refunded or credited: must equal the action’s amount. Required for a refund or store credit; for a replacement, zero if given',
    }),
    failureReason: z.string().trim().min(1).max(500).optional().meta({ description: 'Why it failed (required when `status` is `failed`)' }),
    creditCode: shownAsSent('code')
      .max(100)
      .optional()
      .meta({ description: 'Store credit only: the code or gift card the customer uses; it is emailed to the customer' }),
    tracking: shownAsSent('tracking')
      .max(500)
      .optional()
      .meta({ description: 'Replacement only: the tracking number or link of the parcel; it is emailed to the customer' }),
  })
  .superRefine((r, ctx) => {
    if (r.status === 'failed' && r.failureReason === undefined)
      ctx.addIssue({ code: 'custom', path: ['failureReason'], message: 'is required when status is failed' });
    if (r.status === 'failed' && (r.creditCode !== undefined || r.tracking !== undefined))
      ctx.addIssue({ code: 'custom', path: [r.creditCode !== undefined ? 'creditCode' : 'tracking'], message: 'is only for a success' });
    if (r.status === 'succeeded' && r.failureReason !== undefined)
      ctx.addIssue({ code: 'custom', path: ['failureReason'], message: 'is only for a failure' });
  })
  .meta({ id: 'ActionReport', description: 'What the shop did about one action.' });

export type ActionReport = z.infer<typeof actionReportSchema>;

/** The answer to a report: the action as recorded, and anything asked instead (the recovery of a failed refund). */
export const actionReceiptSchema = z
  .object({
    action: actionSchema,
    created: z.array(actionSchema).meta({ description: 'Actions this answer led to: the store credit that recovers a failed refund' }),
  })
  .meta({ id: 'ActionReceipt' });
export type ActionReceipt = Answer<z.output<typeof actionReceiptSchema>>;

/** `GET /v1/actions`: a page of the storefront's actions waiting for an answer, oldest first. */
export const actionPageSchema = z
  .object({
    actions: z.array(actionSchema),
    next: z.string().nullable().meta({ description: 'The cursor of the next page; `null` at the end' }),
  })
  .meta({ id: 'ActionPage' });
export type ActionPage = Answer<z.output<typeof actionPageSchema>>;
