import type { ClaimRequest, Reason } from './claim.ts';
import { capRefundValue } from './decide/caps.ts';
import { checkEligibility } from './decide/eligibility.ts';
import { chooseForm } from './decide/form.ts';
import { goodwillByReason, grantIncentives } from './decide/incentives.ts';
import { describeLimits, type Limits, limitsFor } from './decide/limits.ts';
import { CONTACT, claimsText, fmt, labelOf, Rules } from './decide/rules.ts';
import { approvalTier, riskSignals } from './decide/tier.ts';
import { coverUnits } from './decide/units.ts';
import { paidFor, refundableValue } from './decide/value.ts';
import { add, type Money, subtract, zero } from './money.ts';
import type { Policy, PolicyVersion, Role } from './policy.ts';

export { labelOf } from './decide/rules.ts';

/** What the decision grants. */
export const outcomes = ['refund_without_return', 'return_and_refund', 'replacement', 'store_credit', 'goodwill', 'rejected'] as const;
export type Outcome = (typeof outcomes)[number];

/** One rule that fired: a stable id and a sentence a merchant understands. */
export interface FiredRule {
  readonly id: string;
  readonly text: string;
}

/** What the ledger knows about this customer and order when the claim is decided. */
export interface CustomerHistory {
  /** Earlier claims by this customer inside the policy's frequent-claims window (not this one). */
  readonly claimsInWindow: number;
  /** Authorised returns never received within the policy's `unreturned.afterDays`. */
  readonly unreturnedReturns: number;
  /**
   * Earlier claims received inside the policy's refund-rate window that have concluded (settled,
   * rejected or closed), and how many of them ended with money granted (a refund or credit).
   */
  readonly refundRate: { readonly concludedClaims: number; readonly claimsWithMoney: number };
  /** Goodwill (credit beyond refunds, bonuses) granted inside the goodwill-budget window. */
  readonly goodwillSpent: Money;
  /**
   * Refund value (cash plus store credit given instead of cash; never goodwill) already granted
   * on this order by other claims, from the order's stored running total.
   */
  readonly orderGranted: Money;
  /**
   * What other claims cover on this order (settled, or still being decided), by coverage key:
   * a line's sku, or `goodwill#<reason>` for order-level goodwill ({@link goodwillCoverageKey}).
   * `units` is their total; `claims` names them. Absent keys are free. This claim's own holding
   * is never in it.
   */
  readonly covered: Readonly<Record<string, CoveredBy>>;
}

/** Units of one coverage key held by other claims. */
export interface CoveredBy {
  readonly units: number;
  readonly claims: readonly string[];
}

/** Units of one order line that a decision covers (refund, replacement, or credit instead of a refund). */
export interface CoveredUnits {
  readonly sku: string;
  readonly quantity: number;
}

/** The coverage key of order-level goodwill by reason (late delivery is compensated once per order). */
export function goodwillCoverageKey(reason: Reason): string {
  return `goodwill#${reason}`;
}

/** The policy's answer to one claim. */
export interface Decision {
  readonly outcome: Outcome;
  /** Money paid back to the customer's payment method. */
  readonly cash: Money;
  /** Store credit granted, bonus and goodwill included. */
  readonly storeCredit: Money;
  /** The part of `storeCredit` that is goodwill (bonus, compensation, apology), not a refund. */
  readonly goodwill: Money;
  /** The customer must send the goods back before the money is granted. */
  readonly returnRequired: boolean;
  /** Who must approve: `auto` needs nobody. */
  readonly tier: Role;
  readonly policyVersion: number;
  /** Every rule that fired, in the order it was applied. */
  readonly rules: readonly FiredRule[];
  /** For a rejection, or when the customer's wish was not granted: what is offered instead. */
  readonly alternative?: FiredRule;
  /**
   * The order units this decision covers: each unit can be covered by one claim only. Empty for
   * a rejection and for goodwill that covers no goods (late delivery, an apology).
   */
  readonly units: readonly CoveredUnits[];
  /** Order-level goodwill this decision grants, once per order (held under {@link goodwillCoverageKey}). */
  readonly orderGoodwill?: Reason;
}

/** The value a decision puts at stake: cash plus store credit (bonus included). */
export function decisionValue(d: Pick<Decision, 'cash' | 'storeCredit'>): Money {
  return add(d.cash, d.storeCredit);
}

/**
 * Applies a storefront's policy to one claim. Pure and deterministic: the same inputs always give
 * the same decision, and the decision lists every rule that fired, in order. The claim's order
 * facts are the pinned ones (the use case puts them in place), so every bound reads them.
 *
 * What happens, one step per module of `decide/`:
 * 0. Limits: an order in another currency than the policy's uses the policy's limits for that
 *    currency, or none (`currency-no-limits`: the top tier approves, amounts are not applied).
 *    Goodwill by reason (late delivery) is its own path: credit once per order, no units.
 * 1. Eligibility: each claimed line against final sale, the return window and perishables.
 * 2. Units: only units no other claim covers are compensated (`already-compensated`,
 *    `partly-compensated`).
 * 3. Refundable value: what was paid for the covered units, plus shipping when the reason refunds
 *    it, less any restocking fee.
 * 4. Form: keep it or send it back, then cash, replacement, store credit or an apology.
 * 5. Caps on refund value: what was paid for the covered units plus their shipping, and what is
 *    left of the order's payment.
 * 6. Incentives: the store-credit bonus (on the refund value finally credited, hence after the
 *    caps) and the apology credit, store credit only, bounded by the goodwill budget, outside the
 *    caps.
 * 7. Tier: the value (cash plus all store credit) and the risk signals.
 */
export function decide(claim: ClaimRequest, policyVersion: PolicyVersion, history: CustomerHistory, now: Date): Decision {
  const policy = policyVersion.policy;
  const currency = claim.order.currency;
  const rules = new Rules();
  const { reason, desiredOutcome } = claim.complaint;
  const ctx: Context = { claim, policy, history, rules, limits: limitsFor(policy, currency), policyVersion: policyVersion.version };
  describeLimits(ctx.limits, policy, rules);

  const goodwillRule = policy.goodwill.byReason[reason];
  if (reason === 'late_delivery' || goodwillRule !== undefined) {
    // Goodwill by reason covers no goods: the goods arrived and are the customer's to keep.
    const held = history.covered[goodwillCoverageKey(reason)];
    if (held && held.units > 0) {
      rules.add(
        'already-compensated',
        `${labelOf(reason)} of this order is already compensated by ${claimsText(held.claims)}; it is compensated once per order`,
      );
      return rejected(ctx, CONTACT);
    }
    if (!goodwillRule) {
      rules.add('late-delivery-no-compensation', 'The policy offers no compensation for late delivery');
      return rejected(ctx, CONTACT);
    }
    const credit = goodwillByReason(goodwillRule, claim, policy, ctx.limits, history, rules);
    if (credit.amount === 0) return rejected(ctx, CONTACT);
    return granted(ctx, {
      outcome: 'goodwill',
      cash: zero(currency),
      storeCredit: credit,
      goodwill: credit,
      returnRequired: false,
      minRole: 'auto',
      units: [],
      orderGoodwill: reason,
      alternative: undefined,
    });
  }

  // 1. Eligibility.
  const eligibility = checkEligibility(claim, policy, now, rules);
  if (eligibility.lines.length === 0) return rejected(ctx, eligibility.alternative);

  // 2. Units. An apology covers no goods, so it needs no free units.
  const lines = desiredOutcome === 'apology' ? eligibility.lines : coverUnits(eligibility.lines, claim, history, rules);
  if (lines.length === 0) return rejected(ctx, CONTACT);

  // 3. Refundable value.
  const value = refundableValue(lines, claim, policy, rules);

  // 4. Form.
  const form = chooseForm(claim, policy, ctx.limits, lines, value, rules);

  // 5. Caps on refund value.
  const bound = paidFor(lines, claim, policy);
  const capped = capRefundValue(form, add(bound.goods, bound.shipping), claim, history, rules);
  if (form.refundRule !== undefined) {
    if (capped.nothingLeft) {
      // Nothing is refunded: the sentence announcing a refund goes; the cap says why.
      rules.drop(form.refundRule);
      return rejected(ctx, CONTACT);
    }
    if (form.outcome === 'store_credit') {
      rules.fill(form.refundRule, 'store-credit', `As asked, ${fmt(capped.refundCredit)} is refunded as store credit`);
    } else {
      rules.fill(
        form.refundRule,
        form.returnRequired ? 'refund-after-return' : 'refund-without-return',
        `${fmt(capped.cash)} is refunded to the original payment method${form.returnRequired ? ' once the goods arrive back' : ''}`,
      );
    }
  }

  // 6. Incentives.
  const goodwill = grantIncentives({ outcome: form.outcome, refundCredit: capped.refundCredit }, claim, policy, ctx.limits, history, rules);

  // 7. Tier (in `granted`).
  return granted(ctx, {
    outcome: form.outcome,
    cash: capped.cash,
    storeCredit: add(capped.refundCredit, goodwill),
    goodwill,
    returnRequired: form.returnRequired,
    minRole: lines.some((l) => l.needsEvidence) ? 'agent' : 'auto',
    units: form.coversUnits ? lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) : [],
    alternative: form.alternative,
  });
}

/** What every step reads. */
interface Context {
  readonly claim: ClaimRequest;
  readonly policy: Policy;
  readonly history: CustomerHistory;
  readonly rules: Rules;
  readonly limits: Limits;
  readonly policyVersion: number;
}

/** A decision that grants something, before its tier. */
interface Draft extends Omit<Decision, 'tier' | 'policyVersion' | 'rules' | 'alternative'> {
  /** The least role a review rule of the steps asks for (evidence to check). */
  readonly minRole: Role;
  readonly alternative: FiredRule | undefined;
}

/** Adds the approval tier: by value, raised by the risk signals. */
function granted(ctx: Context, draft: Draft): Decision {
  const signals = riskSignals(ctx.claim, ctx.policy, ctx.history);
  const tier = approvalTier(decisionValue(draft), draft.minRole, signals, ctx.policy, ctx.limits, ctx.rules);
  // Built field by field, optional ones only when present: object spreads are slow on this path.
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = {
    outcome: draft.outcome,
    cash: draft.cash,
    storeCredit: draft.storeCredit,
    goodwill: draft.goodwill,
    returnRequired: draft.returnRequired,
    tier,
    policyVersion: ctx.policyVersion,
    rules: ctx.rules.list,
    units: draft.units,
  };
  if (draft.alternative) decision.alternative = draft.alternative;
  if (draft.orderGoodwill) decision.orderGoodwill = draft.orderGoodwill;
  return decision;
}

/** A rejection by the policy: nothing granted, nothing to return, explained, needing nobody's approval. */
function rejected(ctx: Context, alternative: FiredRule): Decision {
  const none = zero(ctx.claim.order.currency);
  ctx.rules.add(alternative.id, alternative.text);
  return {
    outcome: 'rejected',
    cash: none,
    storeCredit: none,
    goodwill: none,
    returnRequired: false,
    tier: 'auto',
    policyVersion: ctx.policyVersion,
    rules: ctx.rules.list,
    alternative,
    units: [],
  };
}

/** The refund value of a decision: cash plus store credit given instead of cash (never goodwill). */
export function refundValue(d: Pick<Decision, 'cash' | 'storeCredit' | 'goodwill'>): Money {
  return subtract(add(d.cash, d.storeCredit), d.goodwill);
}
