import * as z from 'zod';
import { reasons } from '../claim.ts';
import { outcomes } from '../decide.ts';
import { roles } from '../policy.ts';

/** An amount in integer minor units of its currency, as every response gives money. */
export const moneySchema = z
  .object({
    amount: z
      .number()
      .int()
      .meta({ description: 'Integer minor units of `currency` (cents for EUR)', examples: [2750] }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .meta({ description: 'ISO 4217 code', examples: ['EUR'] }),
  })
  .meta({ id: 'Money', description: 'An amount in integer minor units of its currency.' });

/** One rule that fired: a stable id and a sentence a merchant understands. */
export const firedRuleSchema = z
  .object({
    id: z.string().meta({ description: 'Stable rule id, e.g. `return-window`, `perishable`, `final-sale`', examples: ['perishable'] }),
    text: z.string().meta({ description: 'What the rule found, in a sentence', examples: ['Food is refunded without a return'] }),
  })
  .meta({ id: 'FiredRule', description: 'One rule that fired.' });

/** Units of one order line that a decision covers. */
export const coveredUnitsSchema = z.object({ sku: z.string(), quantity: z.number().int().min(1) });

/** The amounts an approval round proposes. */
export const proposalSchema = z.object({ cash: moneySchema, storeCredit: moneySchema });

/** The amounts an approver approved (at most the proposal), goodwill included. */
export const approvedAmountsSchema = z.object({ cash: moneySchema, storeCredit: moneySchema, goodwill: moneySchema });

/** The policy's answer to one claim, as the ledger records it and the status API shows it. */
export const decisionSchema = z
  .object({
    outcome: z
      .enum(outcomes)
      .meta({ description: 'What is granted; a cash refund plus an apology credit is one outcome with both amounts' }),
    cash: moneySchema.meta({ description: "Paid back to the customer's payment method" }),
    storeCredit: moneySchema.meta({ description: 'Store credit granted, bonus and goodwill included' }),
    goodwill: moneySchema.meta({ description: 'The part of `storeCredit` that is goodwill (bonus, compensation, apology), not a refund' }),
    returnRequired: z.boolean().meta({ description: 'The goods must come back before the money is granted' }),
    tier: z.enum(roles).meta({ description: 'Who must approve; `auto` needs nobody' }),
    policyVersion: z.number().int().min(1).meta({ description: 'The policy version that decided' }),
    rules: z.array(firedRuleSchema).meta({ description: 'Every rule that fired, in the order it was applied' }),
    alternative: firedRuleSchema
      .optional()
      .meta({ description: "What is offered instead, for a rejection or when the customer's wish was not granted" }),
    units: z
      .array(coveredUnitsSchema)
      .meta({ description: 'The order units this decision covers (each unit is covered by one claim only)' }),
    orderGoodwill: z.enum(reasons).optional().meta({ description: 'Order-level goodwill granted once per order (late delivery)' }),
  })
  .meta({ id: 'Decision', description: "The claim's decision. When an approver lowered it, the approved amounts." });
