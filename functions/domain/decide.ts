import { type ClaimedLine, type ClaimRequest, claimedLines, goodsTotal, type Reason } from './claim.ts';
import { add, formatMoney, type Money, max, min, money, percentOf, share, subtract, sum, zero } from './money.ts';
import { compareRoles, higherRole, type Policy, type PolicyVersion, type Role } from './policy.ts';

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
  /** Cash refunds plus credits already granted on this order by other claims. */
  readonly orderGranted: Money;
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
}

/** The value a decision puts at stake: cash plus store credit (bonus included). */
export function decisionValue(d: Pick<Decision, 'cash' | 'storeCredit'>): Money {
  return add(d.cash, d.storeCredit);
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Reasons where there is nothing to send back. */
const NOTHING_TO_RETURN: readonly Reason[] = ['not_received', 'missing_item'];
/** Reasons where the goods are the shop's to replace. */
const REPLACEABLE: readonly Reason[] = ['damaged', 'defective', 'wrong_item', 'missing_item', 'not_received', 'not_as_described'];
/** Perishable complaints that are settled without a return, on evidence. */
const PERISHABLE_FAULTS: readonly Reason[] = ['damaged', 'defective', 'not_as_described', 'wrong_item'];

/** Amounts in the rules are written in English (`€27.50`); the emails translate the outcome. */
function fmt(m: Money): string {
  return formatMoney(m, 'en');
}

const CONTACT: FiredRule = {
  id: 'alternative-contact',
  text: 'A person from the shop will contact the customer to find another way to help',
};

class Rules {
  readonly list: FiredRule[] = [];
  add(id: string, text: string): void {
    this.list.push({ id, text });
  }
  /** Keeps a rule's place in the order while its words wait for the caps that follow. */
  reserve(): number {
    return this.list.push({ id: '', text: '' }) - 1;
  }
  fill(at: number, id: string, text: string): void {
    this.list[at] = { id, text };
  }
  /** Removes a reserved place that will not be filled (a rejection grants nothing). */
  drop(at: number): void {
    this.list.splice(at, 1);
  }
}

/** Which cap cut goodwill first, for the sentence that says a bonus or credit was not granted. */
type GoodwillCut = 'budget' | 'claim' | 'order' | undefined;

/**
 * Applies a storefront's policy to one claim. Pure and deterministic: the same inputs always give
 * the same decision, and the decision lists every rule that fired, in order.
 *
 * What happens:
 * 1. Late delivery is compensated by the policy's goodwill rule (credit, no cash).
 * 2. Each claimed line is checked: final sale, the return window, perishables.
 * 3. The refundable value is what was paid for the eligible lines, plus shipping when the reason
 *    refunds it (in proportion for a partial claim), less any restocking fee.
 * 4. The customer's wish picks the form: cash (with or without a return), replacement, store
 *    credit with its bonus, or an apology; an apology credit is added when the shop erred.
 * 5. Goodwill is capped by the customer's budget; the total never exceeds what was paid for the
 *    claimed items plus refundable shipping, nor what is left on the order.
 * 6. The approval tier follows the value and the risk signals.
 */
export function decide(claim: ClaimRequest, policyVersion: PolicyVersion, history: CustomerHistory, now: Date): Decision {
  const policy = policyVersion.policy;
  const currency = claim.order.currency;
  const rules = new Rules();
  const { reason, desiredOutcome } = claim.complaint;
  const fault = policy.shopFaultReasons.includes(reason);
  const base = { policyVersion: policyVersion.version, currency };
  const noMoney = zero(currency);

  if (currency !== policy.currency) {
    rules.add('currency', `The order is in ${currency} but the policy's amounts are in ${policy.currency}, so the policy cannot decide it`);
    return finish(base, rules, history, policy, claim, rejection(currency, CONTACT));
  }

  // 1. Late delivery: compensation in credit; the goods arrived and are the customer's to keep.
  const goodwillRule = policy.goodwill.byReason[reason];
  if (reason === 'late_delivery' || goodwillRule !== undefined) {
    if (!goodwillRule) {
      rules.add('late-delivery-no-compensation', 'The policy offers no compensation for late delivery');
      return finish(base, rules, history, policy, claim, rejection(currency, CONTACT));
    }
    const paid = money(claim.order.paid, currency);
    const raw = percentOf(paid, goodwillRule.percentOfPaid, 'up');
    let credit = max(raw, money(goodwillRule.min, currency));
    if (goodwillRule.max !== null) credit = min(credit, money(goodwillRule.max, currency));
    rules.add(
      `goodwill-${reason.replace(/_/g, '-')}`,
      `${labelOf(reason)}: store credit of ${goodwillRule.percentOfPaid} % of the ${fmt(paid)} paid (${fmt(raw)}), kept between ${fmt(money(goodwillRule.min, currency))} and ${goodwillRule.max === null ? 'no maximum' : fmt(money(goodwillRule.max, currency))}: ${fmt(credit)}`,
    );
    if (desiredOutcome !== 'store_credit' && desiredOutcome !== 'apology') {
      rules.add(
        'goodwill-instead-of-cash',
        `The customer asked for ${desiredLabel(desiredOutcome)}; for ${labelOf(reason).toLowerCase()} the policy compensates with store credit instead`,
      );
    }
    // The compensation is goodwill, so the customer's goodwill budget caps it too.
    const capped = capForOrder(capByGoodwillBudget(credit, policy, history, rules, fmt), history, claim, rules, fmt);
    return finish(base, rules, history, policy, claim, {
      outcome: capped.amount > 0 ? 'goodwill' : 'rejected',
      cash: noMoney,
      storeCredit: capped,
      goodwill: capped,
      returnRequired: false,
      minRole: 'auto',
      ...(capped.amount > 0 ? {} : { alternative: CONTACT }),
    });
  }

  // 2. Line by line: final sale, window, perishables.
  const lines = claimedLines(claim);
  const delivered = claim.order.deliveredAt === undefined ? undefined : Date.parse(claim.order.deliveredAt);
  const ageDays = delivered === undefined ? undefined : Math.floor((now.getTime() - delivered) / DAY_MS);
  const eligible: ClaimedLine[] = [];
  let needsEvidenceReview = false;
  let rejectionAlternative: FiredRule = CONTACT;
  for (const line of lines) {
    const finalSale = policy.finalSale.categories.includes(line.category);
    if (finalSale && !policy.finalSale.exceptReasons.includes(reason)) {
      rules.add(
        'final-sale',
        `${line.name} (${line.category}) is final sale; only ${policy.finalSale.exceptReasons.map(labelOf).join(', ').toLowerCase()} qualify`,
      );
      continue;
    }
    if (!NOTHING_TO_RETURN.includes(reason) && ageDays !== undefined) {
      const window = Math.max(policy.returns.categoryWindowDays[line.category] ?? policy.returns.windowDays, policy.returns.legalFloorDays);
      if (ageDays > window) {
        rules.add('return-window', `${line.name}: delivered ${ageDays} days ago, outside the ${window}-day window`);
        if (reason === 'defective') {
          rejectionAlternative = {
            id: 'alternative-repair',
            text: 'The item can be repaired under the legal guarantee; a person from the shop will arrange it',
          };
        }
        continue;
      }
      rules.add(
        'return-window',
        `${line.name}: delivered ${ageDays} ${ageDays === 1 ? 'day' : 'days'} ago, within the ${window}-day window`,
      );
    }
    if (policy.perishableCategories.includes(line.category)) {
      if (!PERISHABLE_FAULTS.includes(reason) && !NOTHING_TO_RETURN.includes(reason)) {
        rules.add('perishable-no-return', `${line.name} is perishable and cannot be sent back for ${labelOf(reason).toLowerCase()}`);
        continue;
      }
      if (PERISHABLE_FAULTS.includes(reason) && claim.complaint.evidence.length === 0) {
        needsEvidenceReview = true;
        rules.add('perishable-needs-evidence', `${line.name} is perishable and no photo was sent; a person checks the claim`);
      } else {
        rules.add('perishable', `${line.name} is perishable: settled without sending it back`);
      }
    }
    eligible.push(line);
  }
  if (eligible.length === 0) {
    return finish(base, rules, history, policy, claim, rejection(currency, rejectionAlternative));
  }

  // 3. What was paid for the eligible lines. A discounted order refunds what was actually paid.
  const listValue = sum(
    currency,
    eligible.map((l) => l.listValue),
  );
  const goods = goodsTotal(claim);
  const paidForGoods = money(claim.order.paid - claim.order.shipping, currency);
  let goodsRefund = listValue;
  if (goods.amount > 0 && paidForGoods.amount < goods.amount) {
    goodsRefund = share(listValue, paidForGoods.amount, goods.amount, 'up');
    rules.add('discounted-order', `The order was paid at a discount: ${fmt(listValue)} at list price is ${fmt(goodsRefund)} as paid`);
  }
  const wholeOrder =
    eligible.length === claim.order.items.length &&
    eligible.every((l) => claim.order.items.find((i) => i.sku === l.sku)?.quantity === l.quantity);
  const shippingPaid = money(claim.order.shipping, currency);
  let shipping = noMoney;
  if (policy.shippingRefundReasons.includes(reason) && shippingPaid.amount > 0) {
    const inFull = wholeOrder || goods.amount === 0;
    shipping = inFull ? shippingPaid : share(shippingPaid, listValue.amount, goods.amount, 'up');
    rules.add(
      'shipping-refund',
      inFull
        ? `${labelOf(reason)} is the shop's fault: shipping (${fmt(shipping)}) is refunded too`
        : `${labelOf(reason)} is the shop's fault: shipping is refunded in proportion to the claimed items, ${fmt(shipping)} of ${fmt(shippingPaid)}`,
    );
  } else if (shippingPaid.amount > 0) {
    rules.add('shipping-kept', `Shipping (${fmt(shippingPaid)}) is not refunded for ${labelOf(reason).toLowerCase()}`);
  }
  let fee = noMoney;
  if (policy.restockingFee.percent > 0 && policy.restockingFee.reasons.includes(reason)) {
    fee = percentOf(goodsRefund, policy.restockingFee.percent, 'down');
    rules.add(
      'restocking-fee',
      `A restocking fee of ${policy.restockingFee.percent} % (${fmt(fee)}) is kept for ${labelOf(reason).toLowerCase()}`,
    );
  }
  const refundable = subtract(add(goodsRefund, shipping), fee);
  const claimCap = add(goodsRefund, shipping);

  // 4. Return or keep it.
  const perishableOnly = eligible.every((l) => policy.perishableCategories.includes(l.category));
  let returnRequired = false;
  if (NOTHING_TO_RETURN.includes(reason)) {
    rules.add('nothing-to-return', `${labelOf(reason)}: there is nothing to send back`);
  } else if (!perishableOnly && desiredOutcome !== 'apology') {
    // An apology settles nothing that would need the goods back.
    const threshold = money(policy.keepItThreshold, currency);
    if (listValue.amount <= threshold.amount) {
      rules.add(
        'keep-it',
        `The claimed items are worth ${fmt(listValue)}, at most the ${fmt(threshold)} keep-it threshold: no need to send them back`,
      );
    } else {
      returnRequired = true;
      rules.add(
        'return-required',
        `The claimed items are worth ${fmt(listValue)}, above the ${fmt(threshold)} keep-it threshold: they are sent back first, within ${policy.returns.sendBackDays} days`,
      );
    }
  }

  // 5. The form the customer asked for, where the policy allows it.
  let outcome: Outcome;
  let cash = noMoney;
  let credit = noMoney;
  let goodwill = noMoney;
  let alternative: FiredRule | undefined;
  // The bonus and the apology credit are goodwill: the caps below may cut them, so their
  // sentences are written once the amounts granted are known (never "adds" what is then cut).
  let bonus = noMoney;
  let bonusRule: number | undefined;
  let apology = noMoney;
  let apologyRule: number | undefined;
  // Likewise the refund's sentence: the order cap may still lower the amount.
  let refundRule: number | undefined;
  if (desiredOutcome === 'replacement' && REPLACEABLE.includes(reason)) {
    outcome = 'replacement';
    rules.add('replacement', `As asked, the shop sends a replacement for ${eligible.map((l) => `${l.quantity} × ${l.name}`).join(', ')}`);
  } else if (desiredOutcome === 'store_credit') {
    outcome = 'store_credit';
    bonus = percentOf(refundable, policy.goodwill.storeCreditBonusPercent, 'up');
    credit = add(refundable, bonus);
    goodwill = bonus;
    refundRule = rules.reserve();
    if (bonus.amount > 0) bonusRule = rules.reserve();
  } else if (desiredOutcome === 'apology') {
    outcome = 'goodwill';
    rules.add('apology', 'The customer asked for an apology rather than money');
  } else {
    outcome = returnRequired ? 'return_and_refund' : 'refund_without_return';
    cash = refundable;
    if (desiredOutcome === 'replacement') {
      alternative = {
        id: 'alternative-refund',
        text: `A replacement is offered for faults of the shop; for ${labelOf(reason).toLowerCase()} the money is refunded instead`,
      };
      rules.add('replacement-not-offered', alternative.text);
    }
    refundRule = rules.reserve();
  }
  if (fault && policy.goodwill.apologyCredit > 0) {
    apology = money(policy.goodwill.apologyCredit, currency);
    credit = add(credit, apology);
    goodwill = add(goodwill, apology);
    apologyRule = rules.reserve();
  }

  // 6. Caps: goodwill budget, what was paid for the claimed items, what is left on the order.
  // Goodwill is always cut before any refund, and within goodwill the bonus before the apology.
  let firstCut: GoodwillCut;
  const budgeted = capByGoodwillBudget(goodwill, policy, history, rules, fmt);
  if (budgeted.amount < goodwill.amount) {
    credit = subtract(credit, subtract(goodwill, budgeted));
    goodwill = budgeted;
    firstCut = 'budget';
  }
  const total = add(cash, credit);
  if (total.amount > claimCap.amount) {
    const cut = subtract(total, claimCap);
    const fromGoodwill = min(cut, goodwill);
    credit = subtract(credit, fromGoodwill);
    goodwill = subtract(goodwill, fromGoodwill);
    firstCut ??= 'claim';
    rules.add('claim-cap', `The total is capped at what was paid for the claimed items plus refundable shipping, ${fmt(claimCap)}`);
  }
  const granted = add(cash, credit);
  const allowed = capForOrder(granted, history, claim, rules, fmt);
  if (allowed.amount < granted.amount) {
    // Take the cut from goodwill first, then credit, then cash: refunds owed come before gifts.
    let cut = subtract(granted, allowed);
    const g = min(cut, goodwill);
    goodwill = subtract(goodwill, g);
    credit = subtract(credit, g);
    cut = subtract(cut, g);
    const c = min(cut, credit);
    credit = subtract(credit, c);
    cut = subtract(cut, c);
    cash = subtract(cash, cut);
    if (g.amount > 0) firstCut ??= 'order';
    describeGoodwill(rules, policy, { bonus, bonusRule, apology, apologyRule, claimCap }, goodwill, firstCut);
    if (add(cash, credit).amount === 0 && outcome !== 'replacement' && outcome !== 'goodwill') {
      // Nothing is refunded: the sentence announcing a refund goes; the caps above say why.
      if (refundRule !== undefined) rules.drop(refundRule);
      return finish(base, rules, history, policy, claim, rejection(currency, CONTACT));
    }
  }

  describeGoodwill(rules, policy, { bonus, bonusRule, apology, apologyRule, claimCap }, goodwill, firstCut);
  if (refundRule !== undefined) {
    if (outcome === 'store_credit') {
      rules.fill(refundRule, 'store-credit', `As asked, ${fmt(subtract(credit, goodwill))} is refunded as store credit`);
    } else {
      rules.fill(
        refundRule,
        returnRequired ? 'refund-after-return' : 'refund-without-return',
        `${fmt(cash)} is refunded to the original payment method${returnRequired ? ' once the goods arrive back' : ''}`,
      );
    }
  }
  return finish(base, rules, history, policy, claim, {
    outcome,
    cash,
    storeCredit: credit,
    goodwill,
    returnRequired,
    minRole: needsEvidenceReview ? 'agent' : 'auto',
    ...(alternative ? { alternative } : {}),
  });
}

/** The goodwill a decision meant to add, and where its sentences wait in the rules. */
interface GoodwillParts {
  readonly bonus: Money;
  readonly bonusRule: number | undefined;
  readonly apology: Money;
  readonly apologyRule: number | undefined;
  readonly claimCap: Money;
}

/**
 * Writes the reserved bonus and apology sentences with the goodwill finally granted: cuts are
 * taken from the bonus first, then the apology, and a part that is not granted is said to be so.
 */
function describeGoodwill(rules: Rules, policy: Policy, parts: GoodwillParts, finalGoodwill: Money, cut: GoodwillCut): void {
  const { bonus, bonusRule, apology, apologyRule, claimCap } = parts;
  if (bonusRule === undefined && apologyRule === undefined) return;
  const apologyGranted = min(apology, finalGoodwill);
  const bonusGranted = subtract(finalGoodwill, apologyGranted);
  const why =
    cut === 'budget'
      ? "the customer's goodwill budget does not cover it"
      : cut === 'order'
        ? "nothing of the order's payment is left for it"
        : `the total would exceed the ${fmt(claimCap)} paid for the claimed items plus refundable shipping`;
  if (bonusRule !== undefined) {
    const pct = policy.goodwill.storeCreditBonusPercent;
    if (bonusGranted.amount === bonus.amount) {
      rules.fill(bonusRule, 'store-credit-bonus', `Choosing store credit over cash adds a ${pct} % bonus of ${fmt(bonus)}`);
    } else if (bonusGranted.amount > 0) {
      rules.fill(
        bonusRule,
        'store-credit-bonus',
        `Choosing store credit over cash adds a ${pct} % bonus, ${fmt(bonusGranted)} of ${fmt(bonus)}: the rest is not granted because ${why}`,
      );
    } else {
      rules.fill(
        bonusRule,
        'store-credit-bonus-not-granted',
        `The ${pct} % bonus for choosing store credit (${fmt(bonus)}) is not granted: ${why}`,
      );
    }
  }
  if (apologyRule !== undefined) {
    if (apologyGranted.amount === apology.amount) {
      rules.fill(apologyRule, 'apology-credit', `The shop was at fault: an apology credit of ${fmt(apology)} is added`);
    } else if (apologyGranted.amount > 0) {
      rules.fill(
        apologyRule,
        'apology-credit',
        `The shop was at fault: an apology credit of ${fmt(apologyGranted)} of ${fmt(apology)} is added; the rest is not granted because ${why}`,
      );
    } else {
      rules.fill(
        apologyRule,
        'apology-credit-not-granted',
        `The shop was at fault, but the apology credit of ${fmt(apology)} is not granted: ${why}`,
      );
    }
  }
}

/** Caps goodwill at what is left of the customer's rolling goodwill budget, when the policy sets one. */
function capByGoodwillBudget(goodwill: Money, policy: Policy, history: CustomerHistory, rules: Rules, fmt: (m: Money) => string): Money {
  const budget = policy.risk.goodwillBudget;
  if (!budget || goodwill.amount === 0) return goodwill;
  const left = max(subtract(money(budget.amount, goodwill.currency), history.goodwillSpent), zero(goodwill.currency));
  if (goodwill.amount <= left.amount) return goodwill;
  rules.add(
    'goodwill-budget',
    `Goodwill is capped at ${fmt(money(budget.amount, goodwill.currency))} per customer per ${budget.days} days; ${fmt(left)} of it is left`,
  );
  return left;
}

/** Caps `amount` at what is left of the order's payment after other claims' grants. */
function capForOrder(amount: Money, history: CustomerHistory, claim: ClaimRequest, rules: Rules, fmt: (m: Money) => string): Money {
  const paid = money(claim.order.paid, amount.currency);
  const left = max(subtract(paid, history.orderGranted), zero(amount.currency));
  if (amount.amount <= left.amount) return amount;
  rules.add(
    left.amount === 0 ? 'order-fully-refunded' : 'order-cap',
    left.amount === 0
      ? `The order's ${fmt(paid)} has already been refunded or credited in full`
      : `Only ${fmt(left)} of the order's ${fmt(paid)} is left after earlier refunds and credits`,
  );
  return left;
}

/** A rejection by the policy: nothing granted, nothing to return, an alternative offered. */
function rejection(currency: string, alternative: FiredRule): Draft {
  const none = zero(currency);
  return { outcome: 'rejected', cash: none, storeCredit: none, goodwill: none, returnRequired: false, minRole: 'auto', alternative };
}

interface Draft {
  readonly outcome: Outcome;
  readonly cash: Money;
  readonly storeCredit: Money;
  readonly goodwill: Money;
  readonly returnRequired: boolean;
  readonly minRole: Role;
  readonly alternative?: FiredRule;
}

/** Adds the approval tier (value and risk) and the rejection's alternative, and freezes the result. */
function finish(
  base: { policyVersion: number; currency: string },
  rules: Rules,
  history: CustomerHistory,
  policy: Policy,
  claim: ClaimRequest,
  draft: Draft,
): Decision {
  if (draft.outcome === 'rejected') {
    // A rejection by the policy is explained and needs nobody's approval.
    if (draft.alternative) rules.add(draft.alternative.id, draft.alternative.text);
    return freeze(base, draft, 'auto', rules);
  }
  const risk = policy.risk;
  const riskRules: FiredRule[] = [];
  let minRole: Role = draft.minRole;
  if (risk.frequentClaims && history.claimsInWindow + 1 >= risk.frequentClaims.count) {
    minRole = higherRole(minRole, risk.frequentClaims.minRole);
    riskRules.push({
      id: 'risk-frequent-claims',
      text: `This is the customer's claim number ${history.claimsInWindow + 1} in ${risk.frequentClaims.days} days (${risk.frequentClaims.count} or more need a person)`,
    });
  }
  if (risk.unreturned && history.unreturnedReturns > 0) {
    minRole = higherRole(minRole, risk.unreturned.minRole);
    riskRules.push({
      id: 'risk-unreturned',
      text: `The customer has ${history.unreturnedReturns} authorised ${history.unreturnedReturns === 1 ? 'return' : 'returns'} never received after ${risk.unreturned.afterDays} days`,
    });
  }
  const rate = risk.refundRate;
  const { concludedClaims, claimsWithMoney } = history.refundRate;
  // Compared in whole numbers: maxPercent has at most two decimals, so ×100 is exact.
  if (rate && concludedClaims >= rate.minClaims && claimsWithMoney * 10_000 > Math.round(rate.maxPercent * 100) * concludedClaims) {
    minRole = higherRole(minRole, rate.minRole);
    riskRules.push({
      id: 'risk-refund-rate',
      text: `${claimsWithMoney} of the customer's ${concludedClaims} concluded claims in ${rate.days} days ended with money granted, more than the ${rate.maxPercent} % that needs a person`,
    });
  }
  const listed = new Set(risk.blocklist?.customers.map((c) => c.toLowerCase()) ?? []);
  if (risk.blocklist && (listed.has(claim.customer.id.toLowerCase()) || listed.has(claim.customer.email.toLowerCase()))) {
    minRole = higherRole(minRole, risk.blocklist.minRole);
    riskRules.push({
      id: 'risk-blocklist',
      text: `The customer is on the shop's review list: ${risk.blocklist.minRole} approval is needed`,
    });
  }
  const value = add(draft.cash, draft.storeCredit);
  const byValue = policy.approval.tiers.find((t) => t.limit === null || value.amount <= t.limit);
  let tier: Role = byValue?.role ?? 'finance';
  const limit = byValue?.limit ?? null;
  if (compareRoles(minRole, tier) > 0) tier = policy.approval.tiers.find((x) => compareRoles(x.role, minRole) >= 0)?.role ?? tier;
  const raised = tier !== (byValue?.role ?? 'finance');
  rules.add(
    'approval-tier',
    raised
      ? `The decision is worth ${fmt(value)}; ${tier} approval is needed because of the review rules in this list`
      : tier === 'auto'
        ? `The decision is worth ${fmt(value)}, within the ${fmt(money(limit ?? 0, value.currency))} approved automatically`
        : `The decision is worth ${fmt(value)}: ${tier} approval is needed${limit === null ? '' : ` (up to ${fmt(money(limit, value.currency))})`}`,
  );
  for (const r of riskRules) rules.add(r.id, r.text);
  return freeze(base, draft, tier, rules);
}

function freeze(base: { policyVersion: number }, draft: Draft, tier: Role, rules: Rules): Decision {
  return {
    outcome: draft.outcome,
    cash: draft.cash,
    storeCredit: draft.storeCredit,
    goodwill: draft.goodwill,
    returnRequired: draft.returnRequired,
    tier,
    policyVersion: base.policyVersion,
    rules: rules.list,
    ...(draft.alternative ? { alternative: draft.alternative } : {}),
  };
}

const reasonLabels: Record<Reason, string> = {
  damaged: 'Damaged goods',
  defective: 'A defect',
  not_as_described: 'Goods not as described',
  wrong_item: 'A wrong item',
  missing_item: 'A missing item',
  late_delivery: 'Late delivery',
  not_received: 'An order not received',
  changed_mind: 'A change of mind',
  other: 'Another reason',
};

/** A reason in words. */
export function labelOf(reason: Reason): string {
  return reasonLabels[reason];
}

function desiredLabel(d: ClaimRequest['complaint']['desiredOutcome']): string {
  return { refund: 'a refund', return: 'a return', replacement: 'a replacement', store_credit: 'store credit', apology: 'an apology' }[d];
}
