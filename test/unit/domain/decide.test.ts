import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertConsistentClaim, type ClaimRequest, desiredOutcomes, parseClaimRequest, reasons } from '#domain/claim.ts';
import { type CustomerHistory, type Decision, decide, decisionValue } from '#domain/decide.ts';
import type { Policy, Role } from '#domain/policy.ts';
import { claimBody, claimOf, emptyHistory, NOW, policyWith, version } from './fixtures.ts';

import { apologyCredit, blocklisted, chocolates, demo, historyOf, inCurrency, mug, oneBox, photo, scenarios } from './scenarios.ts';

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
      'store-credit-bonus-not-granted',
      'apology',
      'replacement-not-offered',
      'refund-after-return',
      'refund-without-return',
      'apology-credit',
      'apology-credit-not-granted',
      'goodwill-budget',
      'claim-cap',
      'order-fully-refunded',
      'order-cap',
      'approval-tier',
      'risk-frequent-claims',
      'risk-unreturned',
      'risk-refund-rate',
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

  it('never says a bonus is added when the claim cap takes it away: the demo bonus on a full refund is not granted', () => {
    // arrange: €80.00 paid for the jacket; 10 % bonus would be €8.00
    const claim = claimOf({ items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }], reason: 'damaged', desired: 'store_credit' });
    // act
    const d = decide(claim, version(demo), emptyHistory(), NOW);
    // assert
    expect(d.storeCredit.amount).toBe(8000);
    expect(d.goodwill.amount).toBe(0);
    expect(d.rules.map((r) => r.text).join('\n')).not.toMatch(/adds a .*bonus/);
    expect(d.rules.find((r) => r.id === 'store-credit-bonus-not-granted')?.text).toBe(
      'The 10 % bonus for choosing store credit (€8.00) is not granted: the total would exceed the €80.00 paid for the claimed items plus refundable shipping',
    );
  });

  it('says how much of a bonus is granted when a cap cuts part of it', () => {
    // arrange: a 5 % fee leaves €4.00 of room under the €80.00 cap for a €7.60 bonus
    const withFee = policyWith((doc) => (doc.restockingFee = { percent: 5, reasons: ['changed_mind'] }));
    const claim = claimOf({
      items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }],
      reason: 'changed_mind',
      desired: 'store_credit',
    });
    // act
    const d = decide(claim, version(withFee), emptyHistory(), NOW);
    // assert
    expect(d.goodwill.amount).toBe(400);
    expect(d.rules.find((r) => r.id === 'store-credit-bonus')?.text).toBe(
      'Choosing store credit over cash adds a 10 % bonus, €4.00 of €7.60: the rest is not granted because the total would exceed the €80.00 paid for the claimed items plus refundable shipping',
    );
  });

  it('states the refund the customer gets after the order cap, not the amount before it', () => {
    // arrange: €40.00 of the €54.99 order was granted before; the claim is worth €27.50
    const claim = claimOf({ ...chocolates, claim: oneBox, reason: 'damaged', evidence: photo });
    const granted = { ...emptyHistory(), orderGranted: { amount: 4000, currency: 'EUR' } };
    // act
    const d = decide(claim, version(demo), granted, NOW);
    // assert
    expect(d.cash.amount).toBe(1499);
    expect(d.rules.find((r) => r.id === 'refund-without-return')?.text).toBe('€14.99 is refunded to the original payment method');
  });

  it('says an apology credit is not granted when the goodwill budget is spent', () => {
    // arrange: a replacement moves no money, so only the budget can stop the apology credit
    const claim = claimOf({ items: [mug(1500)], reason: 'damaged', desired: 'replacement' });
    const spent = { ...emptyHistory(), goodwillSpent: { amount: 5000, currency: 'EUR' } };
    // act
    const d = decide(claim, version(apologyCredit), spent, NOW);
    // assert
    expect(d.storeCredit.amount).toBe(0);
    expect(d.rules.find((r) => r.id === 'apology-credit-not-granted')?.text).toBe(
      "The shop was at fault, but the apology credit of €5.00 is not granted: the customer's goodwill budget does not cover it",
    );
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
    concludedClaims: fc.integer({ min: 0, max: 6 }),
    withMoneyPercent: fc.integer({ min: 0, max: 100 }),
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
      refundRate: { concludedClaims: g.concludedClaims, claimsWithMoney: Math.floor((g.concludedClaims * g.withMoneyPercent) / 100) },
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

  it('a rule that adds a bonus or an apology credit only fires when goodwill is granted', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // act
        const d = decideGenerated(g);
        // assert
        const ids = d.rules.map((r) => r.id);
        if (ids.includes('store-credit-bonus') || ids.includes('apology-credit')) expect(d.goodwill.amount).toBeGreaterThan(0);
        expect(ids).not.toContain('');
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

  it('the refund-rate rule fires exactly above its rate over enough claims, raises only the tier, and never lowers it', () => {
    fc.assert(
      fc.property(arbGenerated, (g) => {
        // arrange: the same claim under the same policy plus a refund-rate rule (above 40 % of 2 or more claims → supervisor)
        const withRule = policyWith((d) => {
          Object.assign(d, JSON.parse(JSON.stringify(g.policy)));
          d.risk.refundRate = { maxPercent: 40, minClaims: 2, days: 180, minRole: 'supervisor' };
        });
        const { concludedClaims, claimsWithMoney } = g.history.refundRate;
        const above = concludedClaims >= 2 && claimsWithMoney * 100 > 40 * concludedClaims;
        // act
        const without = decideGenerated(g);
        const d = decide(g.claim, version(withRule), g.history, NOW);
        // assert
        const order: Role[] = ['auto', 'agent', 'supervisor', 'finance'];
        expect({ ...d, tier: without.tier, rules: without.rules }).toEqual(without);
        expect(order.indexOf(d.tier)).toBeGreaterThanOrEqual(order.indexOf(without.tier));
        if (d.outcome === 'rejected') return;
        expect(d.rules.some((r) => r.id === 'risk-refund-rate')).toBe(above);
        if (above) expect(order.indexOf(d.tier)).toBeGreaterThanOrEqual(order.indexOf('supervisor'));
        else expect(d.tier).toBe(without.tier);
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
