/**
 * The scenario table of the policy engine: one row per rule and per outcome, plus the edges. It
 * is shared by the table-driven test (`decide.test.ts`) and the closing-note script
 * (`bench/scenarios.ts`), so the list a reader sees is exactly the list the tests prove.
 */
import type { Reason } from '#domain/claim.ts';
import type { CoveredUnits, CustomerHistory, Outcome } from '#domain/decide.ts';
import type { Policy, Role } from '#domain/policy.ts';
import { type ClaimSpec, demoPolicy, emptyHistory, policyWith } from './fixtures.ts';

export const demo = demoPolicy();
/** Demo terms plus a restocking fee for a change of mind (the demo itself has none). */
export const restocking = (percent: number) => policyWith((d) => (d.restockingFee = { percent, reasons: ['changed_mind'] }));
/** Demo terms plus a fixed apology credit of 5.00 when the shop was at fault. */
export const apologyCredit = policyWith((d) => (d.goodwill.apologyCredit = 500));
/** Demo terms with C-42 on the review list. */
export const blocklisted = policyWith((d) => (d.risk.blocklist.customers = ['C-42']));
/** Demo terms with an email on the review list (stored in lower case). */
export const blocklistedEmail = policyWith((d) => (d.risk.blocklist.customers = ['ann@example.com']));
/** Demo terms without any late-delivery compensation. */
export const noLateCompensation = policyWith((d) => (d.goodwill.byReason = {}));
/** Demo terms with 5 % goodwill credit, no minimum or maximum, for "other" complaints. */
export const goodwillForOther = policyWith((d) => (d.goodwill.byReason.other = { percentOfPaid: 5 }));
/**
 * Demo terms plus a refund-rate rule (not in the demo's terms): with 3 or more concluded claims in
 * 180 days, more than half of them ending with money needs an agent.
 */
export const refundRateRule = policyWith((d) => (d.risk.refundRate = { maxPercent: 50, minClaims: 3, days: 180, minRole: 'agent' }));
/** Demo terms plus limits for orders in JPY (the demo itself has none). */
export const withYenLimits = policyWith(
  (d) =>
    (d.currencies = { JPY: { keepItThreshold: 3000, tierLimits: [8000, 30000, 150000, null], goodwillBudget: 8000, apologyCredit: 800 } }),
);
/** Demo terms with the keep-it threshold for the shop's faults only. */
export const keepItForFaults = policyWith((d) => (d.keepItReasons = [...d.shopFaultReasons]));
/** The demo terms with every amount read in another currency. */
export const inCurrency = (currency: string) => policyWith((d) => (d.currency = currency));

export const mug = (unitPrice = 1500, quantity = 1) => ({ sku: 'MUG', category: 'home', unitPrice, quantity });
/** Two boxes of chocolates at 25.00 with 4.99 shipping: 54.99 paid. */
export const chocolates = { items: [{ sku: 'CHOC-BOX', category: 'food', unitPrice: 2500, quantity: 2 }], shipping: 499 } as const;
export const oneBox = [{ sku: 'CHOC-BOX', quantity: 1 }];
export const photo = ['https://shop.example/uploads/123.jpg'];

/** What a scenario expects of the decision. */
export interface Expected {
  readonly outcome: Outcome;
  readonly cash: number;
  readonly storeCredit: number;
  readonly goodwill?: number;
  readonly tier: Role;
  readonly returnRequired?: boolean;
  readonly rules: readonly string[];
  readonly alternative?: string;
  /** The units the decision covers, when the scenario checks them. */
  readonly units?: readonly CoveredUnits[];
  /** The order-level goodwill it grants, when the scenario checks it. */
  readonly orderGoodwill?: Reason;
}

/** One row of the table: a claim, the policy and history it meets, and the decision expected. */
export interface Scenario {
  readonly name: string;
  readonly claim: ClaimSpec;
  readonly policy?: Policy;
  readonly history?: Partial<{
    claimsInWindow: number;
    unreturnedReturns: number;
    /** Earlier concluded claims in the refund-rate window, and how many of them ended with money. */
    refundRate: CustomerHistory['refundRate'];
    goodwillSpent: number;
    orderGranted: number;
    /** What other claims cover on the order, by sku or goodwill coverage key. */
    covered: CustomerHistory['covered'];
  }>;
  readonly expected: Expected;
}

/** The customer history a scenario describes, in its order's currency. */
export function historyOf(currency: string, h: Scenario['history'] = {}): CustomerHistory {
  const base = emptyHistory(currency);
  return {
    claimsInWindow: h.claimsInWindow ?? base.claimsInWindow,
    unreturnedReturns: h.unreturnedReturns ?? base.unreturnedReturns,
    refundRate: h.refundRate ?? base.refundRate,
    goodwillSpent: { amount: h.goodwillSpent ?? 0, currency },
    orderGranted: { amount: h.orderGranted ?? 0, currency },
    covered: h.covered ?? {},
  };
}

export const valueEdge = (value: number, tier: Role): Scenario => ({
  name: `a decision worth exactly ${(value / 100).toFixed(2)} needs ${tier}`,
  claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: value }], reason: 'changed_mind' },
  expected: {
    outcome: 'return_and_refund',
    cash: value,
    storeCredit: 0,
    tier,
    returnRequired: true,
    rules: ['return-window', 'return-required', 'refund-after-return', 'approval-tier'],
  },
});

export const scenarios: Scenario[] = [
  // Perishables
  {
    name: 'perishable damaged with a photo: refund without return, shipping in proportion (4.99 / 2 rounded up to 2.50)',
    claim: { ...chocolates, claim: oneBox, reason: 'damaged', evidence: photo },
    expected: {
      outcome: 'refund_without_return',
      cash: 2750,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'perishable', 'shipping-refund', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'perishable damaged without a photo: the same refund, but an agent checks it',
    claim: { ...chocolates, claim: oneBox, reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 2750,
      storeCredit: 0,
      tier: 'agent',
      returnRequired: false,
      rules: ['return-window', 'perishable-needs-evidence', 'shipping-refund', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'perishable and a change of mind: rejected, a person offers another way',
    claim: { ...chocolates, claim: oneBox, reason: 'changed_mind', evidence: photo },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'perishable-no-return', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'perishable missing from the parcel: nothing to return, no evidence needed, no window',
    claim: {
      items: [{ sku: 'FLOWERS', category: 'flowers', unitPrice: 3000 }, mug(2000)],
      claim: [{ sku: 'FLOWERS', quantity: 1 }],
      reason: 'missing_item',
    },
    expected: {
      outcome: 'refund_without_return',
      cash: 3000,
      storeCredit: 0,
      tier: 'auto',
      rules: ['perishable', 'nothing-to-return', 'refund-without-return', 'approval-tier'],
    },
  },
  // Keep it
  {
    name: 'keep-it: items worth exactly 20.00 are not sent back',
    claim: { items: [mug(2000)], reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 2000,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'keep-it: items worth 20.01 are sent back before the refund',
    claim: { items: [mug(2001)], reason: 'damaged' },
    expected: {
      outcome: 'return_and_refund',
      cash: 2001,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  // Return window
  {
    name: 'return window: day 30 (30 days and 23 hours after delivery) is inside',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4000 }], reason: 'changed_mind', deliveredDaysAgo: 30 + 23 / 24 },
    expected: {
      outcome: 'return_and_refund',
      cash: 4000,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  {
    name: 'return window: day 31 is outside, rejected',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4000 }], reason: 'changed_mind', deliveredDaysAgo: 31 },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'return window: a defect on day 31 is rejected with a repair under the legal guarantee',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4000 }], reason: 'defective', deliveredDaysAgo: 31 },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'alternative-repair'],
      alternative: 'alternative-repair',
    },
  },
  {
    name: 'not received: no delivery date, no window, nothing to return, shipping refunded',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 3000 }], shipping: 499, reason: 'not_received', deliveredDaysAgo: null },
    expected: {
      outcome: 'refund_without_return',
      cash: 3499,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['shipping-refund', 'nothing-to-return', 'refund-without-return', 'approval-tier'],
    },
  },
  // Final sale
  {
    name: 'final sale: a digital item and a change of mind is rejected',
    claim: { items: [{ sku: 'EBOOK', category: 'digital', unitPrice: 1500 }], reason: 'changed_mind' },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      rules: ['final-sale', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'final sale: a defective digital item is refunded',
    claim: { items: [{ sku: 'EBOOK', category: 'digital', unitPrice: 1500 }], reason: 'defective' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'final sale: only the eligible line of a mixed claim is refunded',
    claim: { items: [{ sku: 'EBOOK', category: 'digital', unitPrice: 1500 }, mug(1500)], reason: 'changed_mind' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['final-sale', 'return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  // Late delivery: goodwill credit of 10 % of paid, kept in [2.00, 15.00], never cash
  {
    name: 'late delivery: 10 % of 50.00 paid is 5.00 store credit, instead of the cash asked for',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4500 }], shipping: 500, reason: 'late_delivery' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 500,
      goodwill: 500,
      tier: 'auto',
      returnRequired: false,
      rules: ['goodwill-late-delivery', 'goodwill-instead-of-cash', 'approval-tier'],
    },
  },
  {
    name: 'late delivery: 10 % of 10.00 is raised to the 2.00 minimum',
    claim: { items: [mug(1000)], reason: 'late_delivery', desired: 'store_credit' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 200,
      goodwill: 200,
      tier: 'auto',
      rules: ['goodwill-late-delivery', 'approval-tier'],
    },
  },
  {
    name: 'late delivery: 10 % of 19.99 rounds up to exactly the 2.00 minimum',
    claim: { items: [mug(1999)], reason: 'late_delivery', desired: 'store_credit' },
    expected: { outcome: 'goodwill', cash: 0, storeCredit: 200, tier: 'auto', rules: ['goodwill-late-delivery', 'approval-tier'] },
  },
  {
    name: 'late delivery: 10 % of 150.00 is exactly the 15.00 maximum',
    claim: { items: [{ sku: 'COAT', category: 'clothes', unitPrice: 15000 }], reason: 'late_delivery', desired: 'apology' },
    expected: { outcome: 'goodwill', cash: 0, storeCredit: 1500, tier: 'auto', rules: ['goodwill-late-delivery', 'approval-tier'] },
  },
  {
    name: 'late delivery: 10 % of 150.01 (15.01 rounded up) is cut to the 15.00 maximum',
    claim: { items: [{ sku: 'COAT', category: 'clothes', unitPrice: 15001 }], reason: 'late_delivery', desired: 'store_credit' },
    expected: { outcome: 'goodwill', cash: 0, storeCredit: 1500, tier: 'auto', rules: ['goodwill-late-delivery', 'approval-tier'] },
  },
  {
    name: 'late delivery: the 2.00 minimum holds on an order of 1.50 (compensation is not refund value: no order cap)',
    claim: { items: [mug(150)], reason: 'late_delivery', desired: 'store_credit' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 200,
      goodwill: 200,
      tier: 'auto',
      units: [],
      orderGoodwill: 'late_delivery',
      rules: ['goodwill-late-delivery', 'approval-tier'],
    },
  },
  {
    name: 'late delivery claimed twice on one order: the second is rejected as already compensated',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4500 }], shipping: 500, reason: 'late_delivery', desired: 'store_credit' },
    history: { covered: { 'goodwill#late_delivery': { units: 1, claims: ['clm_late1'] } } },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      units: [],
      rules: ['already-compensated', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: "late delivery: the credit is cut to what is left of the customer's goodwill budget (2.00 of 50.00)",
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4500 }], shipping: 500, reason: 'late_delivery', desired: 'store_credit' },
    history: { goodwillSpent: 4800 },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 200,
      goodwill: 200,
      tier: 'auto',
      rules: ['goodwill-late-delivery', 'goodwill-budget', 'approval-tier'],
    },
  },
  {
    name: 'late delivery: a spent goodwill budget leaves nothing, rejected',
    claim: { items: [{ sku: 'LAMP', category: 'home', unitPrice: 4500 }], shipping: 500, reason: 'late_delivery', desired: 'store_credit' },
    history: { goodwillSpent: 5000 },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      rules: ['goodwill-late-delivery', 'goodwill-budget', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'late delivery under a policy without compensation: rejected',
    policy: noLateCompensation,
    claim: { items: [mug(3000)], reason: 'late_delivery' },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      rules: ['late-delivery-no-compensation', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'a goodwill rule for another reason names its rule after the reason (5 % of 30.00, no min or max)',
    policy: goodwillForOther,
    claim: { items: [mug(3000)], reason: 'other' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 150,
      goodwill: 150,
      tier: 'auto',
      rules: ['goodwill-other', 'goodwill-instead-of-cash', 'approval-tier'],
    },
  },
  // Store credit and its bonus
  {
    name: 'store credit: a damaged 80.00 jacket gives 88.00 of credit, the 8.00 bonus outside the refund cap',
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'damaged', desired: 'store_credit' },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 8800,
      goodwill: 800,
      tier: 'agent',
      returnRequired: true,
      units: [{ sku: 'JACKET', quantity: 1 }],
      rules: ['return-window', 'return-required', 'store-credit', 'store-credit-bonus', 'approval-tier'],
    },
  },
  {
    name: 'store credit: a spent goodwill budget withholds the bonus, the refund as credit stays (80.00, bonus 0)',
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'damaged', desired: 'store_credit' },
    history: { goodwillSpent: 5000 },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 8000,
      goodwill: 0,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'store-credit', 'store-credit-bonus-not-granted', 'goodwill-budget', 'approval-tier'],
    },
  },
  {
    name: 'store credit: after a 10 % restocking fee the 10 % bonus is on the 72.00 credited (72.00 + 7.20)',
    policy: restocking(10),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind', desired: 'store_credit' },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 7920,
      goodwill: 720,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'restocking-fee', 'return-required', 'store-credit', 'store-credit-bonus', 'approval-tier'],
    },
  },
  {
    name: 'store credit: after a 5 % fee the whole bonus is granted, even above the 80.00 paid (76.00 + 7.60)',
    policy: restocking(5),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind', desired: 'store_credit' },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 8360,
      goodwill: 760,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'restocking-fee', 'return-required', 'store-credit', 'store-credit-bonus', 'approval-tier'],
    },
  },
  {
    name: 'store credit: a partly spent goodwill budget (49.00 of 50.00) caps the bonus at 1.00',
    policy: restocking(10),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind', desired: 'store_credit' },
    history: { goodwillSpent: 4900 },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 7300,
      goodwill: 100,
      tier: 'agent',
      rules: [
        'return-window',
        'restocking-fee',
        'return-required',
        'store-credit',
        'store-credit-bonus',
        'goodwill-budget',
        'approval-tier',
      ],
    },
  },
  {
    name: 'restocking fee: a change of mind refunds 72.00 of 80.00 in cash',
    policy: restocking(10),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind' },
    expected: {
      outcome: 'return_and_refund',
      cash: 7200,
      storeCredit: 0,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'restocking-fee', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  // Replacement and apology
  {
    name: 'replacement: a damaged item is replaced, no money moves',
    claim: { items: [mug(3000)], reason: 'damaged', desired: 'replacement' },
    expected: {
      outcome: 'replacement',
      cash: 0,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'replacement', 'approval-tier'],
    },
  },
  {
    name: 'replacement is not offered for a change of mind: the money is refunded instead',
    claim: { items: [mug(1500)], reason: 'changed_mind', desired: 'replacement' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'replacement-not-offered', 'refund-without-return', 'approval-tier'],
      alternative: 'alternative-refund',
    },
  },
  {
    name: 'apology: the customer asks for an apology only, no money',
    claim: { items: [mug(1500)], reason: 'damaged', desired: 'apology' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      rules: ['return-window', 'apology', 'approval-tier'],
    },
  },
  {
    name: "apology credit: the shop's fault adds 5.00 credit to an apology",
    policy: apologyCredit,
    claim: { items: [mug(1500)], reason: 'damaged', desired: 'apology' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 500,
      goodwill: 500,
      tier: 'auto',
      rules: ['return-window', 'apology', 'apology-credit', 'approval-tier'],
    },
  },
  {
    name: 'apology credit: added to a replacement',
    policy: apologyCredit,
    claim: { items: [mug(3000)], reason: 'damaged', desired: 'replacement' },
    expected: {
      outcome: 'replacement',
      cash: 0,
      storeCredit: 500,
      goodwill: 500,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'replacement', 'apology-credit', 'approval-tier'],
    },
  },
  {
    name: 'apology credit: added on top of a full cash refund (incentives are outside the refund cap)',
    policy: apologyCredit,
    claim: { items: [mug(1500)], reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 500,
      goodwill: 500,
      tier: 'auto',
      units: [{ sku: 'MUG', quantity: 1 }],
      rules: ['return-window', 'keep-it', 'refund-without-return', 'apology-credit', 'approval-tier'],
    },
  },
  {
    name: 'apology credit: a spent goodwill budget withholds it from a replacement',
    policy: apologyCredit,
    claim: { items: [mug(3000)], reason: 'damaged', desired: 'replacement' },
    history: { goodwillSpent: 5000 },
    expected: {
      outcome: 'replacement',
      cash: 0,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'replacement', 'apology-credit-not-granted', 'goodwill-budget', 'approval-tier'],
    },
  },
  // Shipping
  {
    name: 'shipping: a change of mind keeps the shipping',
    claim: { items: [mug(1000, 2)], shipping: 499, reason: 'changed_mind' },
    expected: {
      outcome: 'refund_without_return',
      cash: 2000,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'shipping-kept', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'shipping: the whole order refunds all the shipping',
    claim: { items: [mug(1000, 2)], shipping: 499, reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 2499,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'shipping-refund', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'shipping: part of the order refunds shipping in proportion, rounded up (4.99 / 2 → 2.50)',
    claim: { items: [mug(1000, 2)], claim: [{ sku: 'MUG', quantity: 1 }], shipping: 499, reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1250,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'shipping-refund', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'discounted order: the refund is what was paid, goods and shipping in proportion (22.50 + 3.75)',
    claim: {
      items: [{ sku: 'LAMP', category: 'home', unitPrice: 3000 }, mug(1000)],
      claim: [{ sku: 'LAMP', quantity: 1 }],
      shipping: 500,
      paid: 3500,
      reason: 'damaged',
    },
    expected: {
      outcome: 'return_and_refund',
      cash: 2625,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'discounted-order', 'shipping-refund', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  // Approval tiers by value
  valueEdge(5000, 'auto'),
  valueEdge(5001, 'agent'),
  valueEdge(20000, 'agent'),
  valueEdge(20001, 'supervisor'),
  valueEdge(100000, 'supervisor'),
  valueEdge(100001, 'finance'),
  // Risk
  {
    name: 'risk: one earlier claim in the window changes nothing',
    claim: { items: [mug()], reason: 'damaged' },
    history: { claimsInWindow: 1 },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'risk: two earlier claims in the window make this the third, an agent approves',
    claim: { items: [mug()], reason: 'damaged' },
    history: { claimsInWindow: 2 },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'agent',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-frequent-claims'],
    },
  },
  {
    name: 'risk: a return never received, an agent approves',
    claim: { items: [mug()], reason: 'damaged' },
    history: { unreturnedReturns: 1 },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'agent',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-unreturned'],
    },
  },
  {
    name: 'risk: refund rate, 2 of 3 concluded claims ended with money (67 % > 50 %), an agent approves',
    policy: refundRateRule,
    claim: { items: [mug()], reason: 'damaged' },
    history: { refundRate: { concludedClaims: 3, claimsWithMoney: 2 } },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'agent',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-refund-rate'],
    },
  },
  {
    name: 'risk: refund rate exactly at the limit (2 of 4, 50 %) changes nothing',
    policy: refundRateRule,
    claim: { items: [mug()], reason: 'damaged' },
    history: { refundRate: { concludedClaims: 4, claimsWithMoney: 2 } },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'risk: refund rate of 100 % over fewer claims than the minimum (2 of 2 < 3) changes nothing',
    policy: refundRateRule,
    claim: { items: [mug()], reason: 'damaged' },
    history: { refundRate: { concludedClaims: 2, claimsWithMoney: 2 } },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'risk: a blocklisted customer id needs the supervisor',
    policy: blocklisted,
    claim: { items: [mug()], reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'supervisor',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-blocklist'],
    },
  },
  {
    name: 'risk: a blocklisted email matches whatever its case in the claim',
    policy: blocklistedEmail,
    claim: { items: [mug()], reason: 'damaged', customerId: 'C-77', email: 'Ann@Example.com' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'supervisor',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-blocklist'],
    },
  },
  {
    name: 'risk: every signal at once still needs only the highest role they ask for',
    policy: blocklisted,
    claim: { items: [mug()], reason: 'damaged' },
    history: { claimsInWindow: 5, unreturnedReturns: 2 },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'supervisor',
      rules: [
        'return-window',
        'keep-it',
        'refund-without-return',
        'approval-tier',
        'risk-frequent-claims',
        'risk-unreturned',
        'risk-blocklist',
      ],
    },
  },
  {
    name: "risk: a blocklisted customer's decision above the supervisor limit still goes to finance",
    policy: blocklisted,
    claim: { items: [{ sku: 'SOFA', category: 'home', unitPrice: 100001 }], reason: 'changed_mind' },
    expected: {
      outcome: 'return_and_refund',
      cash: 100001,
      storeCredit: 0,
      tier: 'finance',
      rules: ['return-window', 'return-required', 'refund-after-return', 'approval-tier', 'risk-blocklist'],
    },
  },
  {
    name: 'risk: a rejection needs no approver, even for a blocklisted customer',
    policy: blocklisted,
    claim: { items: [{ sku: 'EBOOK', category: 'digital', unitPrice: 1500 }], reason: 'changed_mind' },
    history: { claimsInWindow: 5 },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      rules: ['final-sale', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  // What is left on the order
  {
    name: 'order partly granted by earlier claims: the refund is cut to the 14.99 left',
    claim: { ...chocolates, claim: oneBox, reason: 'damaged', evidence: photo },
    history: { orderGranted: 4000 },
    expected: {
      outcome: 'refund_without_return',
      cash: 1499,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'perishable', 'shipping-refund', 'refund-without-return', 'order-cap', 'approval-tier'],
    },
  },
  {
    name: 'order fully granted by earlier claims: rejected as order-fully-refunded',
    claim: { ...chocolates, claim: oneBox, reason: 'damaged', evidence: photo },
    history: { orderGranted: 5499 },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'perishable', 'shipping-refund', 'order-fully-refunded', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'order partly granted: store credit is cut to the 70.00 left, and the bonus is 10 % of the 70.00 credited',
    policy: restocking(10),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind', desired: 'store_credit' },
    history: { orderGranted: 1000 },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 7700,
      goodwill: 700,
      tier: 'agent',
      rules: ['return-window', 'restocking-fee', 'return-required', 'store-credit', 'order-cap', 'store-credit-bonus', 'approval-tier'],
    },
  },
  // Each unit is compensated once
  {
    name: 'already compensated: both glasses are covered by another claim, rejected with a person to talk to',
    claim: { items: [{ sku: 'GLASS', category: 'home', unitPrice: 1000, quantity: 2 }], reason: 'damaged' },
    history: { covered: { GLASS: { units: 2, claims: ['clm_first'] } } },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      units: [],
      rules: ['return-window', 'already-compensated', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'partly compensated: one of three glasses is covered elsewhere, the claim covers and refunds the other two',
    claim: { items: [{ sku: 'GLASS', category: 'home', unitPrice: 1000, quantity: 3 }], reason: 'damaged' },
    history: { covered: { GLASS: { units: 1, claims: ['clm_first'] } } },
    expected: {
      outcome: 'refund_without_return',
      cash: 2000,
      storeCredit: 0,
      tier: 'auto',
      units: [{ sku: 'GLASS', quantity: 2 }],
      rules: ['return-window', 'partly-compensated', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'a replacement asked for after a full refund of the same unit is rejected as already compensated',
    claim: { items: [mug(3000)], reason: 'damaged', desired: 'replacement' },
    history: { covered: { MUG: { units: 1, claims: ['clm_refunded'] } }, orderGranted: 3000 },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      units: [],
      rules: ['return-window', 'already-compensated', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  // Currencies
  {
    name: 'JPY (no minor digits): perishable refund with 501 yen shipping split and rounded up to 251',
    policy: inCurrency('JPY'),
    claim: {
      items: [{ sku: 'TEA', category: 'food', unitPrice: 1500, quantity: 2 }],
      claim: [{ sku: 'TEA', quantity: 1 }],
      shipping: 501,
      currency: 'JPY',
      reason: 'damaged',
      evidence: photo,
    },
    expected: {
      outcome: 'refund_without_return',
      cash: 1751,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'perishable', 'shipping-refund', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'JPY: late delivery credit of 10 % of 3501 yen rounds up to 351',
    policy: inCurrency('JPY'),
    claim: {
      items: [{ sku: 'TEA', category: 'food', unitPrice: 1500, quantity: 2 }],
      shipping: 501,
      currency: 'JPY',
      reason: 'late_delivery',
      desired: 'store_credit',
    },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 351,
      goodwill: 351,
      tier: 'auto',
      rules: ['goodwill-late-delivery', 'approval-tier'],
    },
  },
  {
    name: 'KWD (three minor digits): a third of 1.001 shipping rounds up to 0.334',
    policy: inCurrency('KWD'),
    claim: {
      items: [{ sku: 'PERFUME', category: 'beauty', unitPrice: 12345, quantity: 3 }],
      claim: [{ sku: 'PERFUME', quantity: 1 }],
      shipping: 1001,
      currency: 'KWD',
      reason: 'damaged',
    },
    expected: {
      outcome: 'return_and_refund',
      cash: 12679,
      storeCredit: 0,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'shipping-refund', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  {
    name: 'a JPY order under the EUR policy is not rejected: no JPY limits, so no keep-it and finance approves',
    claim: { items: [mug(1500)], currency: 'JPY', reason: 'damaged' },
    expected: {
      outcome: 'return_and_refund',
      cash: 1500,
      storeCredit: 0,
      tier: 'finance',
      returnRequired: true,
      units: [{ sku: 'MUG', quantity: 1 }],
      rules: ['currency-no-limits', 'return-window', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  {
    name: 'a JPY late delivery under the EUR policy: 10 % of 3501 yen, no EUR minimum or maximum, no budget, finance approves',
    claim: {
      items: [{ sku: 'TEA', category: 'food', unitPrice: 1500, quantity: 2 }],
      shipping: 501,
      currency: 'JPY',
      reason: 'late_delivery',
    },
    history: { goodwillSpent: 99_999 },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 351,
      goodwill: 351,
      tier: 'finance',
      rules: ['currency-no-limits', 'goodwill-late-delivery', 'goodwill-instead-of-cash', 'approval-tier'],
    },
  },
  {
    name: 'a JPY order under a policy with JPY limits: the JPY keep-it threshold and apology credit apply, auto up to ¥8,000',
    policy: withYenLimits,
    claim: { items: [mug(2500)], currency: 'JPY', reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 2500,
      storeCredit: 800,
      goodwill: 800,
      tier: 'auto',
      rules: ['currency-limits', 'return-window', 'keep-it', 'refund-without-return', 'apology-credit', 'approval-tier'],
    },
  },
  {
    name: 'a JPY order under a policy with JPY limits: ¥9,000 is above the ¥8,000 automatic limit, an agent approves',
    policy: withYenLimits,
    claim: { items: [mug(9000)], currency: 'JPY', reason: 'changed_mind' },
    expected: {
      outcome: 'return_and_refund',
      cash: 9000,
      storeCredit: 0,
      tier: 'agent',
      returnRequired: true,
      rules: ['currency-limits', 'return-window', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  // Keep it, by reason
  {
    name: "keep-it limited to the shop's faults: a 15.00 mug returned for a change of mind is sent back first",
    policy: keepItForFaults,
    claim: { items: [mug(1500)], reason: 'changed_mind' },
    expected: {
      outcome: 'return_and_refund',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'refund-after-return', 'approval-tier'],
    },
  },
  {
    name: "keep-it limited to the shop's faults: a damaged 15.00 mug is still kept",
    policy: keepItForFaults,
    claim: { items: [mug(1500)], reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  // Risk signals in the claim itself
  {
    name: 'risk: not received, but the order is recorded as delivered: an agent approves',
    claim: { items: [mug(1500)], reason: 'not_received', deliveredDaysAgo: 5 },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'agent',
      rules: ['nothing-to-return', 'refund-without-return', 'approval-tier', 'risk-delivered-not-received'],
    },
  },
  ...(
    [
      ['en', 'I will file a CHARGEBACK with my card if this is not fixed.'],
      ['uk', 'Якщо не повернете гроші, звернуся до юриста.'],
      ['ru', 'Если не вернёте деньги, я подам в суд.'],
      ['eo', 'Mi skribos malbonan recenzon pri via vendejo.'],
    ] as const
  ).map(
    ([locale, message]): Scenario => ({
      name: `risk: a threat written in ${locale} ("${message}") needs an agent`,
      claim: { items: [mug(1500)], reason: 'damaged', message },
      expected: {
        outcome: 'refund_without_return',
        cash: 1500,
        storeCredit: 0,
        tier: 'agent',
        rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-threat'],
      },
    }),
  ),
  {
    name: 'risk: a message naming a competitor needs an agent',
    claim: { items: [mug(1500)], reason: 'damaged', message: 'Next time I will just order from Amazon.' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'agent',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier', 'risk-competitor'],
    },
  },
  {
    name: 'risk: "issue" does not match the threat "sue", nothing is raised',
    claim: { items: [mug(1500)], reason: 'damaged', message: 'There is an issue with the handle; the issue is a crack.' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'risk: a threat never rejects, and a rejection needs no approver even with one',
    claim: {
      items: [{ sku: 'EBOOK', category: 'digital', unitPrice: 1500 }],
      reason: 'changed_mind',
      message: 'My lawyer will hear of this.',
    },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      rules: ['final-sale', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  // Zero-value items
  {
    name: 'a free gift claimed on its own refunds nothing, not even shipping',
    claim: {
      items: [mug(2000), { sku: 'GIFT', category: 'home', unitPrice: 0 }],
      claim: [{ sku: 'GIFT', quantity: 1 }],
      shipping: 499,
      reason: 'damaged',
    },
    expected: {
      outcome: 'refund_without_return',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      returnRequired: false,
      rules: ['return-window', 'shipping-refund', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
  {
    name: 'an order of free goods refunds its shipping in full (no division by a zero goods total)',
    claim: {
      items: [{ sku: 'GIFT', category: 'home', unitPrice: 0, quantity: 2 }],
      claim: [{ sku: 'GIFT', quantity: 1 }],
      shipping: 499,
      reason: 'damaged',
    },
    expected: {
      outcome: 'refund_without_return',
      cash: 499,
      storeCredit: 0,
      tier: 'auto',
      rules: ['return-window', 'shipping-refund', 'keep-it', 'refund-without-return', 'approval-tier'],
    },
  },
];
