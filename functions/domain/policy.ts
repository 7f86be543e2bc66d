import * as z from 'zod';
import { type Reason, reasons } from './claim.ts';
import { InvalidPolicyError, type Issue, toIssues } from './errors.ts';
import { followUpReasons } from './followups.ts';
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

const peopleRole = z.enum(['agent', 'supervisor', 'finance']);
const hours = z.number().int().min(1).max(720);

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

/** The locales a policy lists risk phrases in. */
export const phraseLocales = ['en', 'uk', 'ru', 'eo'] as const;
export type PhraseLocale = (typeof phraseLocales)[number];

/** The conditions a returned unit can arrive in (grade-return.ts re-exports them). */
export const returnConditions = ['as_new', 'used', 'damaged'] as const;

const phraseList = z.array(z.string().trim().min(1).max(100));

const currencyLimitsSchema = z
  .strictObject({
    /** The keep-it threshold in this currency. */
    keepItThreshold: amount,
    /** One limit per approval tier, in the order of `approval.tiers`: ascending, the last null. */
    tierLimits: z.array(amount.nullable()).min(1),
    /** The goodwill budget in this currency, over `risk.goodwillBudget.days`; none if absent. */
    goodwillBudget: amount.optional(),
    /** The apology credit in this currency; none if absent. */
    apologyCredit: amount.optional(),
  })
  .superRefine((limits, ctx) => {
    limits.tierLimits.forEach((limit, i) => {
      const prev = limits.tierLimits[i - 1];
      if (i > 0 && (prev === null || (limit !== null && prev !== undefined && limit <= prev))) {
        ctx.addIssue({ code: 'custom', path: ['tierLimits', i], message: 'limits must increase from tier to tier' });
      }
      if (i === limits.tierLimits.length - 1 && limit !== null) {
        ctx.addIssue({ code: 'custom', path: ['tierLimits', i], message: 'the top tier must have no limit (null)' });
      }
    });
  });

/**
 * A storefront's policy document (the JSON a shop writes). Each cross-field check sits on the
 * smallest object it reads, so a type error elsewhere does not hide it: a refused document lists
 * every problem at once.
 */
export const policySchema = z
  .strictObject({
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
    /**
     * The reasons the keep-it threshold applies to; for any other reason the goods are always sent
     * back first (where there is something to send back). `null`, the default, means every reason.
     * @default null
     */
    keepItReasons: z.array(reason).nullable().default(null),
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
         * A fixed apology credit added when the shop was at fault (a reason in `shopFaultReasons`),
         * in `currency`. It is an incentive: store credit only, never cash, booked to
         * `goodwill_expense`, bounded by this amount and by what is left of the customer's goodwill
         * budget (`risk.goodwillBudget`), and outside the refund cap, so it is granted on top of a
         * full refund. An order in another currency uses `currencies[code].apologyCredit`.
         * @default 0
         */
        apologyCredit: amount.default(0),
        /**
         * Bonus for taking store credit instead of cash, as a percentage of the refund value finally
         * credited (after the refund caps), rounded up in the customer's favour. It is an incentive:
         * store credit only, booked to `goodwill_expense`, bounded by this percentage and by what is
         * left of the customer's goodwill budget, and outside the refund cap: choosing store credit
         * for an €80.00 refund at 10 % gives €88.00 of credit. Only the budget can withhold it, and
         * the decision then says so.
         * @default 0
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
        /**
         * `not_received` for an order the carrier reports delivered (it has a `deliveredAt`) needs
         * at least `minRole`.
         */
        deliveredButNotReceived: z.strictObject({ minRole: z.enum(roles) }).optional(),
        /**
         * A message that threatens (a chargeback, a lawyer, a public review) or names a competitor
         * needs at least `minRole`. Phrases are listed per locale, and every locale's phrases are
         * checked whatever the customer's locale (a customer may write in another language); see
         * {@link matchPhrases} for how a phrase matches.
         */
        phrases: z
          .strictObject({
            minRole: z.enum(roles),
            /** Threats of action against the shop, by locale. */
            threats: z.partialRecord(z.enum(phraseLocales), phraseList).default({}),
            /** Competitors and "I'll buy elsewhere", by locale. */
            competitors: z.partialRecord(z.enum(phraseLocales), phraseList).default({}),
          })
          .optional(),
      })
      .default({}),
    /**
     * Limits for orders in a currency other than `currency`, by ISO code: the amounts of this
     * document are in `currency` and are never compared with another currency's amounts. An order
     * in a currency without an entry is not refused: the top tier approves it, and the amounts that
     * would need converting (keep-it threshold, goodwill minimum and maximum, apology credit,
     * goodwill budget) are not applied. Percentages apply in every currency.
     * @default {}
     */
    currencies: z
      .record(z.string(), currencyLimitsSchema)
      .default({})
      .superRefine((byCode, ctx) => {
        for (const code of Object.keys(byCode)) {
          if (!isCurrency(code)) ctx.addIssue({ code: 'custom', path: [code], message: 'must be an ISO-4217 currency code such as JPY' });
        }
      }),
    /**
     * How returned units are refunded, by reason and by the condition they arrive in: the share of
     * the unit's refund that is paid (`refundPercent`) and who must agree (`minRole`). A reason may
     * be listed in one entry only. A reason or condition not listed is refunded in full (100 %),
     * automatically.
     * @default []
     */
    returnGrading: z
      .array(
        z.strictObject({
          reasons: z.array(reason).min(1),
          conditions: z.partialRecord(
            z.enum(returnConditions),
            z.strictObject({
              /** The share of the unit's refund paid for a unit in this condition. */
              refundPercent: percent,
              /** Who must agree to the graded refund. @default 'auto' */
              minRole: z.enum(roles).default('auto'),
            }),
          ),
        }),
      )
      .default([])
      .superRefine((entries, ctx) => {
        const seen = new Map<Reason, number>();
        entries.forEach((entry, i) => {
          entry.reasons.forEach((r, j) => {
            const first = seen.get(r);
            if (first !== undefined) {
              ctx.addIssue({ code: 'custom', path: [i, 'reasons', j], message: `${r} is already graded by returnGrading[${first}]` });
            } else seen.set(r, i);
          });
        });
      }),
    /**
     * Who pays the postage of a return, by reason. A reason not listed: the shop when it is one of
     * `shopFaultReasons`, otherwise the customer ({@link returnPostagePaidBy}).
     * @default {}
     */
    returnShippingPaidBy: z.partialRecord(reason, z.enum(['shop', 'customer'])).default({}),
    /**
     * What happens when the storefront reports that a cash refund failed (the card was closed, the
     * payout bounced). `store_credit`: the same value is given as store credit at once, plus
     * `bonusPercent` of it (rounded up; goodwill, within the customer's goodwill budget), and the
     * customer is told; with `cashOnRequest` the customer may ask for the cash again by reply.
     * `none`: nothing is done automatically; `ledger verify` lists the failed refund until a
     * person settles it.
     * @default { offer: 'none' }
     */
    onPayoutFailure: z
      .strictObject({
        offer: z.enum(['store_credit', 'none']),
        bonusPercent: percent.default(0),
        cashOnRequest: z.boolean().default(false),
      })
      .default({ offer: 'none', bonusPercent: 0, cashOnRequest: false }),
    /**
     * Who keeps an email's promise that a person will get in touch, and by when: `role` (whose
     * tier's approvers see the task and are reminded), `dueHours` after the email, a reminder
     * `remindBeforeHours` before it is due, and per reason (`offer_alternative`,
     * `arrange_repair`, `decide_claim`, `review_feedback`, `reach_customer`) another role or due time. A role
     * without a tier of people falls back to the lowest tier of people.
     * @default { role: 'agent', dueHours: 48, remindBeforeHours: 12, byReason: { decide_claim: { role: 'supervisor', dueHours: 24 } } }
     */
    followUps: z
      .strictObject({
        role: peopleRole.default('agent'),
        dueHours: hours.default(48),
        remindBeforeHours: z.number().int().min(0).max(720).default(12),
        byReason: z
          .partialRecord(z.enum(followUpReasons), z.strictObject({ role: peopleRole.optional(), dueHours: hours.optional() }))
          .default({}),
      })
      .default({ role: 'agent', dueHours: 48, remindBeforeHours: 12, byReason: { decide_claim: { role: 'supervisor', dueHours: 24 } } }),
  })
  .superRefine(
    (policy, ctx) => {
      const tiers = policy.approval.tiers.length;
      for (const [code, limits] of Object.entries(policy.currencies)) {
        if (code === policy.currency) {
          ctx.addIssue({
            code: 'custom',
            path: ['currencies', code],
            message: `is the policy's own currency; its limits are the document's`,
          });
        }
        if (limits.tierLimits.length !== tiers) {
          ctx.addIssue({
            code: 'custom',
            path: ['currencies', code, 'tierLimits'],
            message: `must have one limit per approval tier (${tiers})`,
          });
        }
      }
    },
    // Reads the tiers and the currency entries: it runs whenever those two parsed, whatever else failed.
    { when: (payload) => !payload.issues.some((i) => ['approval', 'currencies', 'currency'].includes(String(i.path?.[0]))) },
  );

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

/** Who pays the postage when goods are sent back for `reason`. */
export function returnPostagePaidBy(policy: Policy, reason: Reason): 'shop' | 'customer' {
  return policy.returnShippingPaidBy[reason] ?? (policy.shopFaultReasons.includes(reason) ? 'shop' : 'customer');
}

/** How a unit returned in `condition` for `reason` is refunded: 100 %, automatically, unless the policy grades it. */
export function returnGrade(
  policy: Policy,
  reason: Reason,
  condition: (typeof returnConditions)[number],
): { readonly refundPercent: number; readonly minRole: Role } {
  const entry = policy.returnGrading.find((g) => g.reasons.includes(reason));
  return entry?.conditions[condition] ?? { refundPercent: 100, minRole: 'auto' };
}

/** What a phrase of `risk.phrases` matched in a message. */
export interface PhraseMatch {
  /** The phrase as the policy lists it. */
  readonly phrase: string;
  readonly locale: PhraseLocale;
  /** The words of the message it matched, as normalised (NFKC, lower case). */
  readonly text: string;
}

/** Case-insensitive comparison form: NFKC then lower case, so `Ｓｕｅ` and `SUE` read as `sue`. */
function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** One phrase as a pattern: literal words, any white space between them, a word boundary or a prefix at the end. */
function phrasePattern(phrase: string): string {
  const p = normalise(phrase.trim());
  const prefix = p.endsWith('*');
  const body = (prefix ? p.slice(0, -1) : p)
    .trim()
    .split(/\s+/u)
    .map((word) => word.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'))
    .join('\\s+');
  // A word boundary in any script: no letter or digit may follow, except after a prefix
  // (`юрист*` also matches `юристу`, `юриста`).
  return `(${body}${prefix ? '[\\p{L}\\p{N}]*' : '(?![\\p{L}\\p{N}])'})`;
}

interface CompiledPhrases {
  readonly pattern: RegExp;
  readonly phrases: readonly { readonly phrase: string; readonly locale: PhraseLocale }[];
  /** The last message matched and what it found: a replay matches each message under two policies. */
  last?: { readonly message: string; readonly found: PhraseMatch | undefined };
}

/**
 * Each list of a policy compiled once into one pattern (an alternation with one group per phrase),
 * so a claim's message is scanned once, not once per phrase. Lists with the same phrases (a draft
 * and the version it edits) share one pattern, by their text.
 */
const compiled = new WeakMap<object, CompiledPhrases>();
const compiledByText = new Map<string, CompiledPhrases>();

function compile(byLocale: Partial<Record<PhraseLocale, readonly string[]>>): CompiledPhrases {
  let c = compiled.get(byLocale);
  if (!c) {
    const phrases = phraseLocales.flatMap((locale) => (byLocale[locale] ?? []).map((phrase) => ({ phrase, locale })));
    const text = JSON.stringify(phrases);
    c = compiledByText.get(text);
    if (!c) {
      const alternatives = phrases.map((p) => phrasePattern(p.phrase)).join('|');
      // No letter or digit may come before a phrase either.
      c = { pattern: new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives || '(?!)'})`, 'u'), phrases };
      // Bounded: a process compiles the lists of the policies it reads, a handful in all.
      if (compiledByText.size >= 64) compiledByText.clear();
      compiledByText.set(text, c);
    }
    compiled.set(byLocale, c);
  }
  return c;
}

/**
 * Where a phrase of `byLocale` occurs in `message`, checking every locale's phrases (en, uk, ru,
 * eo) whatever the customer's locale. Matching ignores case (both sides are NFKC-normalised and
 * lower-cased), a phrase matches whole words only (`sue` does not match `issue`), spaces in a
 * phrase match any run of white space, and a phrase ending in `*` matches as a word prefix, for
 * inflected languages (`юрист*` matches `юристу`). The earliest occurrence in the message wins;
 * at the same place, the phrase listed first.
 */
export function matchPhrases(message: string, byLocale: Partial<Record<PhraseLocale, readonly string[]>>): PhraseMatch | undefined {
  if (message === '') return undefined;
  const c = compile(byLocale);
  if (c.last?.message === message) return c.last.found;
  const found = c.pattern.exec(normalise(message));
  const at = found ? found.findIndex((group, i) => i > 0 && group !== undefined) - 1 : -1;
  const hit = c.phrases[at];
  const result = hit && found ? { phrase: hit.phrase, locale: hit.locale, text: found[0] } : undefined;
  c.last = { message, found: result };
  return result;
}
