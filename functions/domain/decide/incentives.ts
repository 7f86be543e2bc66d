import type { ClaimRequest } from '../claim.ts';
import type { CustomerHistory, Outcome } from '../decide.ts';
import { add, type Money, max, min, money, percentOf, subtract, zero } from '../money.ts';
import type { Policy } from '../policy.ts';
import type { Limits } from './limits.ts';
import { desiredLabel, fmt, labelOf, type Rules } from './rules.ts';

/** What is left of the customer's rolling goodwill budget; undefined when none applies. */
export function goodwillBudgetLeft(limits: Limits, history: CustomerHistory): Money | undefined {
  const budget = limits.goodwillBudget;
  if (!budget) return undefined;
  return max(subtract(budget.amount, history.goodwillSpent), zero(limits.currency));
}

/** The incentives a decision means to add, each already bounded by its own rule. */
export interface Incentives {
  /** The bonus for choosing store credit over cash. */
  readonly bonus: Money;
  /** The apology credit for a fault of the shop. */
  readonly apology: Money;
}

/**
 * Bounds the incentives by what is left of the goodwill budget: the apology credit is served
 * first, then the bonus (a cut is taken from the bonus before the apology).
 */
export function withinBudget(wanted: Incentives, left: Money | undefined): Incentives {
  if (left === undefined) return wanted;
  const apology = min(wanted.apology, left);
  const bonus = min(wanted.bonus, subtract(left, apology));
  return { bonus, apology };
}

/**
 * Writes the sentences of the incentives finally granted: `store-credit-bonus` (or
 * `store-credit-bonus-not-granted`), `apology-credit` (or `apology-credit-not-granted`), and
 * `goodwill-budget` when the budget cut any of them. Only the budget can cut an incentive.
 */
export function describeIncentives(
  rules: Rules,
  policy: Policy,
  limits: Limits,
  history: CustomerHistory,
  wanted: Incentives,
  granted: Incentives,
): void {
  const why = "the customer's goodwill budget does not cover it";
  if (wanted.bonus.amount > 0) {
    const pct = policy.goodwill.storeCreditBonusPercent;
    if (granted.bonus.amount === wanted.bonus.amount) {
      rules.add('store-credit-bonus', `Choosing store credit over cash adds a ${pct} % bonus of ${fmt(wanted.bonus)}`);
    } else if (granted.bonus.amount > 0) {
      rules.add(
        'store-credit-bonus',
        `Choosing store credit over cash adds a ${pct} % bonus, ${fmt(granted.bonus)} of ${fmt(wanted.bonus)}: the rest is not granted because ${why}`,
      );
    } else {
      rules.add(
        'store-credit-bonus-not-granted',
        `The ${pct} % bonus for choosing store credit (${fmt(wanted.bonus)}) is not granted: ${why}`,
      );
    }
  }
  if (wanted.apology.amount > 0) {
    if (granted.apology.amount === wanted.apology.amount) {
      rules.add('apology-credit', `The shop was at fault: an apology credit of ${fmt(wanted.apology)} is added`);
    } else if (granted.apology.amount > 0) {
      rules.add(
        'apology-credit',
        `The shop was at fault: an apology credit of ${fmt(granted.apology)} of ${fmt(wanted.apology)} is added; the rest is not granted because ${why}`,
      );
    } else {
      rules.add(
        'apology-credit-not-granted',
        `The shop was at fault, but the apology credit of ${fmt(wanted.apology)} is not granted: ${why}`,
      );
    }
  }
  if (granted.bonus.amount < wanted.bonus.amount || granted.apology.amount < wanted.apology.amount) describeBudget(rules, limits, history);
}

function describeBudget(rules: Rules, limits: Limits, history: CustomerHistory): void {
  const budget = limits.goodwillBudget;
  const left = goodwillBudgetLeft(limits, history);
  if (!budget || !left) return;
  rules.add(
    'goodwill-budget',
    `Goodwill is capped at ${fmt(budget.amount)} per customer per ${budget.days} days; ${fmt(left)} of it is left`,
  );
}

/**
 * Step 6, incentives: store credit only, never cash, each bounded by its rule and by what is left
 * of the customer's goodwill budget, and outside the refund caps.
 * - Choosing store credit over cash adds `storeCreditBonusPercent` of the refund value finally
 *   credited, rounded up (`store-credit-bonus`).
 * - A fault of the shop adds the apology credit (`apology-credit`), in the order's currency's
 *   amount; none for a currency the policy sets no amounts for.
 *
 * Returns the goodwill granted.
 */
export function grantIncentives(
  form: { readonly outcome: Outcome; readonly refundCredit: Money },
  claim: ClaimRequest,
  policy: Policy,
  limits: Limits,
  history: CustomerHistory,
  rules: Rules,
): Money {
  const none = zero(limits.currency);
  const pct = policy.goodwill.storeCreditBonusPercent;
  const bonus = form.outcome === 'store_credit' && pct > 0 ? percentOf(form.refundCredit, pct, 'up') : none;
  const fault = policy.shopFaultReasons.includes(claim.complaint.reason);
  const wanted: Incentives = { bonus, apology: fault ? limits.apologyCredit : none };
  const granted = withinBudget(wanted, goodwillBudgetLeft(limits, history));
  describeIncentives(rules, policy, limits, history, wanted, granted);
  return add(granted.bonus, granted.apology);
}

/**
 * Goodwill by reason (late delivery): store credit of a percentage of what the order paid,
 * rounded up, kept between the rule's minimum and maximum (amounts in the policy's currency, so
 * only for orders in it), then bounded by the goodwill budget. Never cash, and outside the
 * refund caps: it is compensation, not a refund. Returns the credit granted.
 */
export function goodwillByReason(
  rule: NonNullable<Policy['goodwill']['byReason'][keyof Policy['goodwill']['byReason']]>,
  claim: ClaimRequest,
  policy: Policy,
  limits: Limits,
  history: CustomerHistory,
  rules: Rules,
): Money {
  const { reason, desiredOutcome } = claim.complaint;
  const currency = limits.currency;
  const paid = money(claim.order.paid, currency);
  const raw = percentOf(paid, rule.percentOfPaid, 'up');
  const label = labelOf(reason);
  const id = `goodwill-${reason.replace(/_/g, '-')}`;
  let credit = raw;
  if (limits.goodwillBounds) {
    credit = max(raw, money(rule.min, currency));
    if (rule.max !== null) credit = min(credit, money(rule.max, currency));
    rules.add(
      id,
      `${label}: store credit of ${rule.percentOfPaid} % of the ${fmt(paid)} paid (${fmt(raw)}), kept between ${fmt(money(rule.min, currency))} and ${rule.max === null ? 'no maximum' : fmt(money(rule.max, currency))}: ${fmt(credit)}`,
    );
  } else {
    const bounded = rule.min > 0 || rule.max !== null;
    rules.add(
      id,
      `${label}: store credit of ${rule.percentOfPaid} % of the ${fmt(paid)} paid: ${fmt(credit)}${bounded ? `; the minimum and maximum are amounts in ${policy.currency} and are not applied to an order in ${currency}` : ''}`,
    );
  }
  if (desiredOutcome !== 'store_credit' && desiredOutcome !== 'apology') {
    rules.add(
      'goodwill-instead-of-cash',
      `The customer asked for ${desiredLabel(desiredOutcome)}; for ${label.toLowerCase()} the policy compensates with store credit instead`,
    );
  }
  const left = goodwillBudgetLeft(limits, history);
  if (left !== undefined && credit.amount > left.amount) {
    describeBudget(rules, limits, history);
    return left;
  }
  return credit;
}
