import { z } from 'zod';
import { reasons } from './claim.ts';
import { InvalidPolicyError, type Issue, toIssues } from './errors.ts';
import { isCurrency } from './money.ts';

/** Approval roles, lowest first. `auto` means no person has to approve. */
export const roles = ['auto', 'agent', 'supervisor', 'finance'] as const;
export type Role = (typeof roles)[number];

/** Orders two roles: negative when `a` is lower than `b`. */
export function compareRoles(a: Role, b: Role): number {
  return roles.indexOf(a) - roles.indexOf(b);
}

/** The higher of two roles. */
export function higherRole(a: Role, b: Role): Role {
  return compareRoles(a, b) >= 0 ? a : b;
}

const amount = z.number().int('must be a whole number of minor units').nonnegative('must not be negative');
const percent = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Number.isInteger(Math.round(p * 100)) && Math.abs(Math.round(p * 100) - p * 100) < 1e-9, {
    message: 'must have at most two decimals',
  });
const reason = z.enum(reasons);
const days = z.number().int().min(0).max(3650);

const tierSchema = z.strictObject({
  role: z.enum(roles),
  /** Highest decision value this tier may approve; null for the top tier (no limit). */
  limit: amount.nullable(),
  /** Who approves at this tier (empty for `auto`). */
  approvers: z.array(z.email()).default([]),
  /** How long this tier has to answer before the claim escalates one tier up. */
  waitHours: z
    .number()
    .positive()
    .max(24 * 90)
    .optional(),
});

const goodwillRuleSchema = z
  .strictObject({
    /** Store credit as a percentage of what the order paid. */
    percentOfPaid: percent,
    min: amount.default(0),
    max: amount.nullable().default(null),
  })
  .refine((rule) => rule.max === null || rule.max >= rule.min, { path: ['max'], message: 'must be at least min' });

/**
 * A storefront's policy document (the JSON a shop writes). Each cross-field check sits on the
 * smallest object it reads, so a type error elsewhere does not hide it: a refused document lists
 * every problem at once.
 */
export const policySchema = z.strictObject({
  storefrontId: z.string().min(1).max(64),
  /** Currency of every amount in this document. */
  currency: z.string().refine(isCurrency, { message: 'must be an ISO-4217 currency code such as EUR' }),
  returns: z
    .strictObject({
      /** Days from delivery within which a claim is accepted. */
      windowDays: days,
      /** The legal minimum; no window, not even a category's, is shorter. */
      legalFloorDays: days.default(14),
      /** Windows that differ by category. */
      categoryWindowDays: z.record(z.string(), days).default({}),
      /** Days the customer has to send authorised goods back. */
      sendBackDays: z.number().int().min(1).max(365).default(30),
    })
    .superRefine((r, ctx) => {
      for (const [category, d] of Object.entries(r.categoryWindowDays)) {
        if (d < r.legalFloorDays) {
          ctx.addIssue({
            code: 'custom',
            path: ['categoryWindowDays', category],
            message: `is shorter than the legal floor of ${r.legalFloorDays} days`,
          });
        }
      }
    }),
  /** Categories that are never sent back (food, flowers): refunded or replaced on evidence. */
  perishableCategories: z.array(z.string().min(1)).default([]),
  /** Categories sold as final, and the reasons that still qualify. */
  finalSale: z
    .strictObject({
      categories: z.array(z.string().min(1)).default([]),
      exceptReasons: z.array(reason).default([]),
    })
    .default({ categories: [], exceptReasons: [] }),
  /** Refund without return ("keep it") when the claimed items are worth at most this. */
  keepItThreshold: amount,
  /** Reasons that are the shop's fault: an apology is owed. */
  shopFaultReasons: z.array(reason).default([]),
  /**
   * Reasons for which the shipping the order paid is refunded too. The rule:
   * - a claim for the whole order (every line, every unit, all of them eligible) refunds the
   *   shipping in full;
   * - a claim for part of the order refunds the shipping in proportion to the claimed items'
   *   list value over the order's goods at list value, rounded up to the next minor unit (the
   *   customer's favour), e.g. one of two €25.00 boxes with €4.99 shipping refunds €2.50;
   * - an order whose goods are all free (list value 0) refunds its shipping in full;
   * - for any other reason the shipping is kept, and the decision says so (`shipping-kept`).
   */
  shippingRefundReasons: z.array(reason).default([]),
  /** A fee kept from the refund for these reasons. */
  restockingFee: z.strictObject({ percent, reasons: z.array(reason).default([]) }).default({ percent: 0, reasons: [] }),
  goodwill: z
    .strictObject({
      /** Store-credit compensation by reason; the reason is then settled with credit, not cash. */
      byReason: z.partialRecord(reason, goodwillRuleSchema).default({}),
      /**
       * A fixed apology credit added when the shop was at fault. It is goodwill, so the goodwill
       * budget and the claim cap bound it like the store-credit bonus: on top of a full refund
       * there is no room, and the decision says it is not granted.
       */
      apologyCredit: amount.default(0),
      /**
       * Bonus for taking store credit instead of cash, as a percentage of the refundable amount
       * (rounded up). Like every goodwill credit it stays inside the claim cap: the total never
       * exceeds what was paid for the claimed items plus refundable shipping. So the bonus is
       * granted only where the refund leaves room under that cap (after a restocking fee, for
       * example); where it does not, the decision says the bonus is not granted, and why.
       */
      storeCreditBonusPercent: percent.default(0),
    })
    .default({ byReason: {}, apologyCredit: 0, storeCreditBonusPercent: 0 }),
  approval: z
    .strictObject({
      /** Tiers from `auto` up, limits ascending; the last tier has no limit. */
      tiers: z.array(tierSchema).min(1),
    })
    .superRefine(({ tiers }, ctx) => {
      tiers.forEach((t, i) => {
        const prev = tiers[i - 1];
        if (prev && compareRoles(prev.role, t.role) >= 0) {
          ctx.addIssue({ code: 'custom', path: ['tiers', i, 'role'], message: 'tiers must go up one role at a time, lowest first' });
        }
        if (prev && (prev.limit === null || (t.limit !== null && t.limit <= prev.limit))) {
          ctx.addIssue({ code: 'custom', path: ['tiers', i, 'limit'], message: 'limits must increase from tier to tier' });
        }
        if (i === tiers.length - 1 && t.limit !== null) {
          ctx.addIssue({ code: 'custom', path: ['tiers', i, 'limit'], message: 'the top tier must have no limit (null)' });
        }
        if (t.role !== 'auto' && t.approvers.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['tiers', i, 'approvers'], message: 'a tier of people needs at least one approver' });
        }
        if (t.role !== 'auto' && t.waitHours === undefined) {
          ctx.addIssue({ code: 'custom', path: ['tiers', i, 'waitHours'], message: 'a tier of people needs waitHours' });
        }
      });
    }),
  risk: z
    .strictObject({
      /** Many claims in a rolling window need at least `minRole`. */
      frequentClaims: z.strictObject({ count: z.number().int().min(1), days, minRole: z.enum(roles) }).optional(),
      /** An authorised return never received after `afterDays` needs at least `minRole`. */
      unreturned: z.strictObject({ afterDays: days, minRole: z.enum(roles) }).optional(),
      /**
       * A customer whose earlier claims mostly ended with money needs at least `minRole`: when
       * they have at least `minClaims` concluded claims received in the last `days`, and more
       * than `maxPercent` of those ended with money granted (a cash refund or store credit).
       */
      refundRate: z.strictObject({ maxPercent: percent, minClaims: z.number().int().min(1), days, minRole: z.enum(roles) }).optional(),
      /** Customers (ids or emails) that always need at least `minRole`. */
      blocklist: z.strictObject({ customers: z.array(z.string().min(1)).default([]), minRole: z.enum(roles) }).optional(),
      /** Goodwill (credit beyond a refund, bonus) per customer over a rolling window. */
      goodwillBudget: z.strictObject({ amount, days }).optional(),
    })
    .default({}),
});

/** A validated policy document. */
export type Policy = z.infer<typeof policySchema>;
export type Tier = Policy['approval']['tiers'][number];

/** A policy as stored: the document plus its version. */
export interface PolicyVersion {
  readonly storefrontId: string;
  readonly version: number;
  readonly policy: Policy;
  readonly publishedAt: string;
}

/** Validates a policy document; throws {@link InvalidPolicyError} listing every problem by path. */
export function parsePolicy(doc: unknown): Policy {
  const parsed = policySchema.safeParse(doc);
  if (!parsed.success) {
    const issues: Issue[] = toIssues(parsed.error.issues);
    throw new InvalidPolicyError(`The policy has ${issues.length} problem(s)`, issues);
  }
  return parsed.data;
}

/** The tier for a role, if the policy has one. */
export function tierFor(policy: Policy, role: Role): Tier | undefined {
  return policy.approval.tiers.find((t) => t.role === role);
}

/** The tier one above `role`, or undefined at the top. */
export function tierAbove(policy: Policy, role: Role): Tier | undefined {
  const i = policy.approval.tiers.findIndex((t) => t.role === role);
  return i < 0 ? undefined : policy.approval.tiers[i + 1];
}
