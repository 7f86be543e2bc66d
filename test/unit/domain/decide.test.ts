import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertConsistentClaim, type ClaimRequest, desiredOutcomes, parseClaimRequest, reasons } from '#domain/claim.ts';
import { type CustomerHistory, type Decision, decide, decisionValue, type Outcome } from '#domain/decide.ts';
import type { Policy, Role } from '#domain/policy.ts';
import { type ClaimSpec, claimBody, claimOf, demoPolicy, emptyHistory, NOW, policyWith, version } from './fixtures.ts';

const demo = demoPolicy();
/** Demo terms plus a restocking fee for a change of mind (the demo itself has none). */
const restocking = (percent: number) => policyWith((d) => (d.restockingFee = { percent, reasons: ['changed_mind'] }));
/** Demo terms plus a fixed apology credit of 5.00 when the shop was at fault. */
const apologyCredit = policyWith((d) => (d.goodwill.apologyCredit = 500));
/** Demo terms with C-42 on the review list. */
const blocklisted = policyWith((d) => (d.risk.blocklist.customers = ['C-42']));
/** Demo terms with an email on the review list (stored in lower case). */
const blocklistedEmail = policyWith((d) => (d.risk.blocklist.customers = ['ann@example.com']));
/** Demo terms without any late-delivery compensation. */
const noLateCompensation = policyWith((d) => (d.goodwill.byReason = {}));
/** Demo terms with 5 % goodwill credit, no minimum or maximum, for "other" complaints. */
const goodwillForOther = policyWith((d) => (d.goodwill.byReason.other = { percentOfPaid: 5 }));
/** The demo terms with every amount read in another currency. */
const inCurrency = (currency: string) => policyWith((d) => (d.currency = currency));

const mug = (unitPrice = 1500, quantity = 1) => ({ sku: 'MUG', category: 'home', unitPrice, quantity });
/** Two boxes of chocolates at 25.00 with 4.99 shipping: 54.99 paid. */
const chocolates = { items: [{ sku: 'CHOC-BOX', category: 'food', unitPrice: 2500, quantity: 2 }], shipping: 499 } as const;
const oneBox = [{ sku: 'CHOC-BOX', quantity: 1 }];
const photo = ['https://shop.example/uploads/123.jpg'];

interface Expected {
  readonly outcome: Outcome;
  readonly cash: number;
  readonly storeCredit: number;
  readonly goodwill?: number;
  readonly tier: Role;
  readonly returnRequired?: boolean;
  readonly rules: readonly string[];
  readonly alternative?: string;
}

interface Scenario {
  readonly name: string;
  readonly claim: ClaimSpec;
  readonly policy?: Policy;
  readonly history?: Partial<{ claimsInWindow: number; unreturnedReturns: number; goodwillSpent: number; orderGranted: number }>;
  readonly expected: Expected;
}

function historyOf(currency: string, h: Scenario['history'] = {}): CustomerHistory {
  const base = emptyHistory(currency);
  return {
    claimsInWindow: h.claimsInWindow ?? base.claimsInWindow,
    unreturnedReturns: h.unreturnedReturns ?? base.unreturnedReturns,
    goodwillSpent: { amount: h.goodwillSpent ?? 0, currency },
    orderGranted: { amount: h.orderGranted ?? 0, currency },
  };
}

const valueEdge = (value: number, tier: Role): Scenario => ({
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

const scenarios: Scenario[] = [
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
    name: 'late delivery: the 2.00 minimum is cut to the 1.50 the order paid',
    claim: { items: [mug(150)], reason: 'late_delivery', desired: 'store_credit' },
    expected: {
      outcome: 'goodwill',
      cash: 0,
      storeCredit: 150,
      tier: 'auto',
      rules: ['goodwill-late-delivery', 'order-cap', 'approval-tier'],
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
    name: 'store credit: the 10 % bonus is cut by the claim cap when there is no fee (credit = 80.00, bonus 0)',
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'damaged', desired: 'store_credit' },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 8000,
      goodwill: 0,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'return-required', 'store-credit', 'store-credit-bonus', 'claim-cap', 'approval-tier'],
    },
  },
  {
    name: 'store credit: after a 10 % restocking fee the whole 10 % bonus fits under the cap (72.00 + 7.20)',
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
    name: 'store credit: after a 5 % fee the bonus is cut where it would exceed the 80.00 paid (76.00 + 4.00 of 7.60)',
    policy: restocking(5),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind', desired: 'store_credit' },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 8000,
      goodwill: 400,
      tier: 'agent',
      returnRequired: true,
      rules: ['return-window', 'restocking-fee', 'return-required', 'store-credit', 'store-credit-bonus', 'claim-cap', 'approval-tier'],
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
    name: 'apology credit: on top of a full cash refund it is cut by the claim cap',
    policy: apologyCredit,
    claim: { items: [mug(1500)], reason: 'damaged' },
    expected: {
      outcome: 'refund_without_return',
      cash: 1500,
      storeCredit: 0,
      goodwill: 0,
      tier: 'auto',
      rules: ['return-window', 'keep-it', 'refund-without-return', 'apology-credit', 'claim-cap', 'approval-tier'],
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
      rules: ['return-window', 'perishable', 'shipping-refund', 'refund-without-return', 'order-fully-refunded', 'alternative-contact'],
      alternative: 'alternative-contact',
    },
  },
  {
    name: 'order partly granted: store credit is cut before anything else',
    policy: restocking(10),
    claim: { items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'changed_mind', desired: 'store_credit' },
    history: { orderGranted: 1000 },
    expected: {
      outcome: 'store_credit',
      cash: 0,
      storeCredit: 7000,
      goodwill: 0,
      tier: 'agent',
      rules: ['return-window', 'restocking-fee', 'return-required', 'store-credit', 'store-credit-bonus', 'order-cap', 'approval-tier'],
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
    name: 'an order in another currency than the policy is rejected with a person to contact, needing no approval',
    claim: { items: [mug()], currency: 'USD', reason: 'damaged' },
    expected: {
      outcome: 'rejected',
      cash: 0,
      storeCredit: 0,
      tier: 'auto',
      rules: ['currency', 'alternative-contact'],
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

describe('decide: the demo policy, scenario by scenario', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    // arrange
    const policy = s.policy ?? demo;
    const claim = claimOf(s.claim);
    const currency = claim.order.currency;
    const history = historyOf(currency, s.history);
    // act
    const decision = decide(claim, version(policy), history, NOW);
    // assert
    const e = s.expected;
    expect(decision.rules.map((r) => r.id)).toEqual(e.rules);
    expect(decision.outcome).toBe(e.outcome);
    expect(decision.cash).toEqual({ amount: e.cash, currency });
    expect(decision.storeCredit).toEqual({ amount: e.storeCredit, currency });
    if (e.goodwill !== undefined) expect(decision.goodwill).toEqual({ amount: e.goodwill, currency });
    expect(decision.tier).toBe(e.tier);
    if (e.returnRequired !== undefined) expect(decision.returnRequired).toBe(e.returnRequired);
    expect(decision.alternative?.id).toBe(e.alternative);
    expect(decision.policyVersion).toBe(3);
  });

  it('emits every rule id and every outcome the engine knows in at least one scenario above', () => {
    // arrange
    const ids = new Set(scenarios.flatMap((s) => s.expected.rules));
    const seenOutcomes = new Set(scenarios.map((s) => s.expected.outcome));
    // act / assert
    for (const id of [
      'currency',
      'late-delivery-no-compensation',
      'goodwill-late-delivery',
      'goodwill-instead-of-cash',
      'final-sale',
      'return-window',
      'perishable-no-return',
      'perishable-needs-evidence',
      'perishable',
      'discounted-order',
      'shipping-refund',
      'shipping-kept',
      'restocking-fee',
      'nothing-to-return',
      'keep-it',
      'return-required',
      'replacement',
      'store-credit',
      'store-credit-bonus',
      'apology',
      'replacement-not-offered',
      'refund-after-return',
      'refund-without-return',
      'apology-credit',
      'goodwill-budget',
      'claim-cap',
      'order-fully-refunded',
      'order-cap',
      'approval-tier',
      'risk-frequent-claims',
      'risk-unreturned',
      'risk-blocklist',
      'alternative-contact',
      'alternative-repair',
    ]) {
      expect(ids, id).toContain(id);
    }
    expect([...seenOutcomes].sort()).toEqual([
      'goodwill',
      'refund_without_return',
      'rejected',
      'replacement',
      'return_and_refund',
      'store_credit',
    ]);
  });
});

describe('decide: what the rules say', () => {
  it('explains the return window in days and the proportional shipping in money', () => {
    // arrange
    const claim = claimOf({ ...chocolates, claim: oneBox, reason: 'damaged', evidence: photo, deliveredDaysAgo: 30 });
    // act
    const decision = decide(claim, version(demo), emptyHistory(), NOW);
    // assert
    const text = Object.fromEntries(decision.rules.map((r) => [r.id, r.text]));
    expect(text['return-window']).toBe('choc-box: delivered 30 days ago, within the 30-day window');
    expect(text['shipping-refund']).toBe(
      "Damaged goods is the shop's fault: shipping is refunded in proportion to the claimed items, €2.50 of €4.99",
    );
    expect(text['refund-without-return']).toBe('€27.50 is refunded to the original payment method');
  });

  it('states the late-delivery arithmetic: percentage, raw amount, bounds and result', () => {
    // arrange
    const claim = claimOf({ items: [mug(1000)], reason: 'late_delivery', desired: 'store_credit' });
    // act
    const decision = decide(claim, version(demo), emptyHistory(), NOW);
    // assert
    expect(decision.rules[0]).toEqual({
      id: 'goodwill-late-delivery',
      text: 'Late delivery: store credit of 10 % of the €10.00 paid (€1.00), kept between €2.00 and €15.00: €2.00',
    });
  });

  it('puts the offered alternative of a rejection both in the rules and in the decision', () => {
    // arrange
    const claim = claimOf({ items: [{ sku: 'EBOOK', category: 'digital', unitPrice: 1500 }], reason: 'changed_mind' });
    // act
    const decision = decide(claim, version(demo), emptyHistory(), NOW);
    // assert
    expect(decision.alternative).toEqual(decision.rules.at(-1));
  });

  it('values a decision as cash plus store credit', () => {
    // act / assert
    expect(decisionValue({ cash: { amount: 1500, currency: 'EUR' }, storeCredit: { amount: 500, currency: 'EUR' } })).toEqual({
      amount: 2000,
      currency: 'EUR',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over generated orders and claims that pass assertConsistentClaim.

const categories = ['food', 'flowers', 'digital', 'custom', 'home', 'clothes'] as const;
const currencies = ['EUR', 'JPY', 'KWD'] as const;
const policies: Record<string, Policy> = { EUR: demo, JPY: inCurrency('JPY'), KWD: inCurrency('KWD') };
const blocklistedByCurrency: Record<string, Policy> = Object.fromEntries(
  currencies.map((c) => [
    c,
    policyWith((d) => {
      d.currency = c;
      d.risk.blocklist.customers = ['C-42'];
    }),
  ]),
);

interface Generated {
  readonly claim: ClaimRequest;
  readonly policy: Policy;
  readonly history: CustomerHistory;
}

const arbGenerated: fc.Arbitrary<Generated> = fc
  .record({
    currency: fc.constantFrom(...currencies),
    lines: fc.array(
      fc.record({
        category: fc.constantFrom(...categories),
        quantity: fc.integer({ min: 1, max: 4 }),
        unitPrice: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60_000 })),
        claimed: fc.integer({ min: 0, max: 4 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    shipping: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1500 })),
    paidPercentOfGoods: fc.integer({ min: 0, max: 120 }),
    reason: fc.constantFrom(...reasons),
    desired: fc.constantFrom(...desiredOutcomes),
    evidence: fc.boolean(),
    deliveredDaysAgo: fc.option(fc.double({ min: 0, max: 60, noNaN: true }), { nil: null }),
    blocklisted: fc.boolean(),
    claimsInWindow: fc.integer({ min: 0, max: 4 }),
    unreturnedReturns: fc.integer({ min: 0, max: 2 }),
    goodwillSpent: fc.integer({ min: 0, max: 6000 }),
    grantedPercent: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 110 })),
  })
  .map((g) => {
    const items = g.lines.map((l, i) => ({ sku: `SKU-${i}`, category: l.category, unitPrice: l.unitPrice, quantity: l.quantity }));
    const claimLines = g.lines
      .map((l, i) => ({ sku: `SKU-${i}`, quantity: Math.min(l.claimed, l.quantity) }))
      .filter((l) => l.quantity > 0);
    const goods = items.reduce((a, i) => a + i.unitPrice * i.quantity, 0);
    const paid = g.shipping + Math.floor((goods * g.paidPercentOfGoods) / 100);
    const body = claimBody({
      items,
      claim: claimLines.length > 0 ? claimLines : [{ sku: 'SKU-0', quantity: 1 }],
      reason: g.reason,
      desired: g.desired,
      shipping: g.shipping,
      paid,
      currency: g.currency,
      deliveredDaysAgo: g.deliveredDaysAgo,
      evidence: g.evidence ? photo : [],
    });
    const claim = parseClaimRequest(body);
    const history: CustomerHistory = {
      claimsInWindow: g.claimsInWindow,
      unreturnedReturns: g.unreturnedReturns,
      goodwillSpent: { amount: g.goodwillSpent, currency: g.currency },
      orderGranted: { amount: Math.floor((paid * g.grantedPercent) / 100), currency: g.currency },
    };
    const policy = (g.blocklisted ? blocklistedByCurrency : policies)[g.currency]!;
    return { claim, policy, history };
  });

/** What was paid for the claimed items plus their share of shipping, each rounded up. */
function paidForClaimedItemsWithShipping(claim: ClaimRequest): number {
  const { order, complaint } = claim;
  const goods = order.items.reduce((a, i) => a + i.unitPrice * i.quantity, 0);
  const listValue = complaint.items.reduce((a, l) => a + l.quantity * order.items.find((i) => i.sku === l.sku)!.unitPrice, 0);
  const paidForGoods = order.paid - order.shipping;
  const goodsPaid = goods > 0 && paidForGoods < goods ? Math.ceil((listValue * paidForGoods) / goods) : listValue;
  const shipping = goods === 0 ? order.shipping : Math.ceil((order.shipping * listValue) / goods);
  return goodsPaid + shipping;
}

const runs = { numRuns: 150 };
const decideGenerated = (g: Generated): Decision => decide(g.claim, version(g.policy), g.history, NOW);

describe('decide: properties', () => {
  it('generated claims are consistent, so the properties below test real inputs', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act / assert
        expect(() => assertConsistentClaim(g.claim, NOW)).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('never grants more than was paid for the claimed items plus refundable shipping (late-delivery credit: more than the order paid)', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act
        const d = decideGenerated(g);
        // assert
        const total = d.cash.amount + d.storeCredit.amount;
        const leftOnOrder = Math.max(0, g.claim.order.paid - g.history.orderGranted.amount);
        expect(total).toBeLessThanOrEqual(leftOnOrder);
        // Late-delivery compensation is a share of the whole order, not a refund of the claimed items.
        if (g.claim.complaint.reason !== 'late_delivery') {
          expect(total).toBeLessThanOrEqual(paidForClaimedItemsWithShipping(g.claim));
        }
      }),
      runs,
    );
  });

  it("grants only whole, non-negative minor units in the order's currency", () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act
        const d = decideGenerated(g);
        // assert
        for (const m of [d.cash, d.storeCredit, d.goodwill]) {
          expect(Number.isSafeInteger(m.amount)).toBe(true);
          expect(m.amount).toBeGreaterThanOrEqual(0);
          expect(m.currency).toBe(g.claim.order.currency);
        }
        expect(d.goodwill.amount).toBeLessThanOrEqual(d.storeCredit.amount);
      }),
      runs,
    );
  });

  it("never grants goodwill beyond what is left of the customer's goodwill budget", () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act
        const d = decideGenerated(g);
        // assert
        const budget = g.policy.risk.goodwillBudget!.amount;
        expect(d.goodwill.amount).toBeLessThanOrEqual(Math.max(0, budget - g.history.goodwillSpent.amount));
      }),
      runs,
    );
  });

  it('a rejection grants nothing and asks for no return; any other outcome needs at least the tier of its value', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act
        const d = decideGenerated(g);
        // assert
        if (d.outcome === 'rejected') {
          expect(d.cash.amount + d.storeCredit.amount).toBe(0);
          expect(d.returnRequired).toBe(false);
          expect(d.alternative).toBeDefined();
        } else {
          const value = d.cash.amount + d.storeCredit.amount;
          const byValue = g.policy.approval.tiers.find((t) => t.limit === null || value <= t.limit)!.role;
          const order: Role[] = ['auto', 'agent', 'supervisor', 'finance'];
          expect(order.indexOf(d.tier)).toBeGreaterThanOrEqual(order.indexOf(byValue));
        }
      }),
      runs,
    );
  });

  it('is deterministic: the same inputs (even copied) give a deep-equal decision', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act
        const first = decideGenerated(g);
        const second = decide(
          structuredClone(g.claim),
          version(structuredClone(g.policy)),
          structuredClone(g.history),
          new Date(NOW.getTime()),
        );
        // assert
        expect(second).toEqual(first);
      }),
      runs,
    );
  });

  it('does not change its inputs', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // arrange
        const before = structuredClone(g);
        // act
        decideGenerated(g);
        // assert
        expect(g).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });
});

describe('decide: review fixes', () => {
  it('asks for no return when the customer wants only an apology, whatever the items are worth', () => {
    // arrange
    const claim = claimOf({ items: [mug(8900)], reason: 'damaged', desired: 'apology' });
    // act
    const d = decide(claim, version(demo), emptyHistory(), NOW);
    // assert
    expect(d.outcome).toBe('goodwill');
    expect(d.returnRequired).toBe(false);
    expect(d.rules.map((r) => r.id)).not.toContain('return-required');
  });

  it('says why a small claim needs a person when a review rule raised its tier', () => {
    // arrange: €15.00, normally automatic, but the customer is on the review list
    const claim = claimOf({ items: [mug(1500)], reason: 'damaged', customerId: 'C-42' });
    // act
    const d = decide(claim, version(blocklisted), emptyHistory(), NOW);
    // assert
    expect(d.tier).toBe('supervisor');
    const tierRule = d.rules.find((r) => r.id === 'approval-tier');
    expect(tierRule?.text).not.toContain('approved automatically');
    expect(tierRule?.text).toContain('supervisor approval is needed');
  });

  it('matches the review list without regard to case', () => {
    // arrange
    const shouting = policyWith((doc) => (doc.risk.blocklist.customers = ['ANN@Example.COM']));
    const claim = claimOf({ items: [mug(1500)], reason: 'damaged', email: 'ann@example.com' });
    // act
    const d = decide(claim, version(shouting), emptyHistory(), NOW);
    // assert
    expect(d.rules.map((r) => r.id)).toContain('risk-blocklist');
  });
});
