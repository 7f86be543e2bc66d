import * as z from 'zod';
import { claimStatuses, entryTypes } from '../ledger.ts';
import { roles } from '../policy.ts';
import { actionSchema } from './action.ts';
import type { Answer } from './answer.ts';
import { approvedAmountsSchema, decisionSchema, proposalSchema } from './decision.ts';

/**
 * The schemas of what the API answers. The handlers and use cases type their answers with them
 * ({@link Answer}), and the OpenAPI document is generated from them.
 */

const claimStatus = z.enum(claimStatuses).meta({
  id: 'ClaimStatus',
  description:
    '`settled`: the money or credit is granted and the customer told; `rejected`: the customer was told why and offered an ' +
    'alternative; `closed`: ended without payment for another reason (the return never arrived); `failed`: an operator must look.',
});

/** `202` to `POST /v1/claims`: the claim is accepted and its workflow runs asynchronously. */
export const claimAcceptedSchema = z
  .object({
    claimId: z.string().meta({ examples: ['clm_3f2a9c0d6b1e4f7a8c5d2e9b0a1f3c4d'] }),
    status: z.literal('received'),
    statusUrl: z.url().meta({ description: 'Where `GET /v1/claims/{claimId}` reads it' }),
  })
  .meta({ id: 'ClaimAccepted', description: 'The claim is accepted; the workflow runs asynchronously.' });

/** The body of a `202` to `POST /v1/claims`. */
export type ClaimAccepted = z.infer<typeof claimAcceptedSchema>;

/** One approval round as the status API shows it. */
export const approvalRoundSchema = z
  .object({
    round: z.number().int().min(1),
    role: z.enum(roles).nullable().meta({ description: 'The tier asked to approve' }),
    approvers: z.array(z.string()).meta({ description: 'The approvers who got a link' }),
    requestedAt: z.string(),
    deadline: z.string().nullable().meta({ description: 'When the round escalates if nobody answers' }),
    proposal: proposalSchema.nullable().meta({ description: 'What the decision proposed, before any approver lowered it' }),
    result: z.enum(['pending', 'approved', 'rejected', 'escalated']),
    decidedBy: z.string().optional(),
    decidedAt: z.string().optional(),
    approved: approvedAmountsSchema.nullable().optional().meta({ description: 'What the approver approved (at most the proposal)' }),
    note: z.string().optional(),
  })
  .meta({ id: 'ApprovalRound', description: 'One approval round.' });

/** One approval round of a claim. */
export type ApprovalRound = z.infer<typeof approvalRoundSchema>;

/** One step of a claim's timeline: a ledger entry, in a few words. */
const timelineStepSchema = z
  .object({
    seq: z.number().int().min(1),
    at: z.string(),
    type: z.enum(entryTypes),
    status: claimStatus,
    actor: z.string().meta({ description: '`system`, `storefront:<id>` or `<role>:<email>`', examples: ['system'] }),
  })
  .meta({ id: 'TimelineStep' });

/** `200` to `GET /v1/claims/{claimId}`: the claim, rebuilt from its ledger entries. */
export const claimStatusSchema = z
  .object({
    claimId: z.string(),
    status: claimStatus,
    storefrontId: z.string(),
    orderId: z.string(),
    customerId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    decision: decisionSchema.nullable().meta({ description: "The claim's current decision; `null` until it is decided" }),
    approvals: z.array(approvalRoundSchema),
    actions: z.array(actionSchema).meta({ description: 'What the shop is asked to do, oldest first, each with its answer' }),
    timeline: z.array(timelineStepSchema).meta({ description: 'Every ledger entry of the claim, oldest first' }),
  })
  .meta({ id: 'ClaimStatusView', description: 'A claim as its storefront reads it, rebuilt from the ledger on every read.' });

/** The answer of `GET /v1/claims/{claimId}`, as the use case builds it. */
export type ClaimStatusView = Answer<z.output<typeof claimStatusSchema>>;

/** `200` to `POST /v1/claims/{claimId}/returns`: the report is recorded (or was, the same, before). */
export const returnReceiptSchema = z.object({ claimId: z.string(), status: claimStatus }).meta({
  id: 'ReturnReceipt',
  description: 'The report is recorded and the claim is being assessed again (or was: the same report again).',
});

/** The answer of a return report. */
export type ReturnReceipt = Answer<z.output<typeof returnReceiptSchema>>;

/** What `GET /health` checks. */
export const healthChecks = ['ledger', 'state', 'mailer'] as const;

/** `200` to `GET /health` and `GET /health/deep`. */
export const healthySchema = z.object({ ok: z.literal(true) }).meta({ id: 'Healthy' });

/** `503` to `GET /health/deep`: what did not answer. */
export const unhealthySchema = z
  .object({ ok: z.literal(false), unavailable: z.array(z.enum(healthChecks)).min(1) })
  .meta({ id: 'Unhealthy' });
