import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClaimRequest } from '#domain/claim.ts';
import { type Decision, decide, refundValue } from '#domain/decide.ts';
import { UnprocessableClaimError } from '#domain/errors.ts';
import { gradeReturn, type ReturnCondition, type ReturnedUnits, returnConditions } from '#domain/grade-return.ts';
import { claimOf, emptyHistory, NOW, policyWith, version } from './fixtures.ts';
import { demo } from './scenarios.ts';

const lamp = { sku: 'LAMP', category: 'home', unitPrice: 4000 };
const glass = { sku: 'GLASS', category: 'home', unitPrice: 1000, quantity: 2 };
const vase = { sku: 'VASE', category: 'home', unitPrice: 3000 };

/** The decision that asked for the goods back, as `decide` makes it under the demo policy. */
function authorisedFor(claim: ClaimRequest): Decision {
  const d = decide(claim, version(demo), emptyHistory(claim.order.currency), NOW);
  expect(d.returnRequired).toBe(true);
  return d;
}

function grade(claim: ClaimRequest, authorised: Decision, returned: ReturnedUnits[], earlier: ReturnedUnits[] = []): Decision {
  return gradeReturn({ authorised, claim, returned, earlier, policyVersion: version(demo), history: emptyHistory(claim.order.currency) });
}

const texts = (d: Decision, id: string) => d.rules.filter((r) => r.id === id).map((r) => r.text);

describe('gradeReturn: the demo grading', () => {
  it('keeps 10 % of a unit returned used after a change of mind, automatically', () => {
    // arrange
    const claim = claimOf({ items: [lamp], reason: 'changed_mind' });
    const authorised = authorisedFor(claim);
    // act
    const d = grade(claim, authorised, [{ sku: 'LAMP', quantity: 1, condition: 'used' }]);
    // assert
    expect(d.outcome).toBe('return_and_refund');
    expect(d.cash.amount).toBe(3600);
    expect(d.storeCredit.amount).toBe(0);
    expect(d.returnRequired).toBe(false);
    expect(d.tier).toBe('auto');
    expect(d.units).toEqual([{ sku: 'LAMP', quantity: 1 }]);
    expect(d.policyVersion).toBe(authorised.policyVersion);
    expect(d.rules.map((r) => r.id)).toEqual(['return-graded', 'refund-after-return', 'approval-tier']);
    expect(texts(d, 'return-graded')).toEqual(['1 × lamp arrived used: 10 % (€4.00) is kept for a change of mind, €36.00 is refunded']);
    expect(texts(d, 'refund-after-return')).toEqual(['€36.00 is refunded to the original payment method']);
  });

  it('refunds units that arrive as new in full', () => {
    // arrange
    const claim = claimOf({ items: [glass, lamp], reason: 'changed_mind' });
    const authorised = authorisedFor(claim);
    // act
    const d = grade(claim, authorised, [
      { sku: 'GLASS', quantity: 2, condition: 'as_new' },
      { sku: 'LAMP', quantity: 1, condition: 'as_new' },
    ]);
    // assert
    expect(d.cash.amount).toBe(6000);
    expect(texts(d, 'return-graded')).toEqual([
      '2 × glass arrived as new: €20.00 refunded in full',
      '1 × lamp arrived as new: €40.00 refunded in full',
    ]);
    expect(d.units).toEqual([
      { sku: 'GLASS', quantity: 2 },
      { sku: 'LAMP', quantity: 1 },
    ]);
  });

  it('proposes 50 % for a unit returned damaged after a change of mind, and an agent decides', () => {
    // arrange
    const claim = claimOf({ items: [vase], reason: 'changed_mind' });
    const authorised = authorisedFor(claim);
    // act
    const d = grade(claim, authorised, [{ sku: 'VASE', quantity: 1, condition: 'damaged' }]);
    // assert
    expect(d.cash.amount).toBe(1500);
    expect(d.tier).toBe('agent');
    expect(texts(d, 'return-graded')).toEqual(['1 × vase arrived damaged: 50 % (€15.00) is proposed and a person decides']);
    expect(texts(d, 'approval-tier')).toEqual([
      'The condition of the goods needs a person: agent approval is needed for the graded €15.00',
    ]);
  });

  it("deducts nothing for the shop's fault, whatever the condition", () => {
    // arrange
    const claim = claimOf({ items: [lamp], reason: 'damaged' });
    const authorised = authorisedFor(claim);
    // act
    const d = grade(claim, authorised, [{ sku: 'LAMP', quantity: 1, condition: 'damaged' }]);
    // assert
    expect(d.cash.amount).toBe(4000);
    expect(d.tier).toBe('auto');
    expect(texts(d, 'return-graded')).toEqual(['1 × lamp arrived damaged: €40.00 refunded in full']);
  });

  it('keeps store credit as credit and recomputes its bonus on the graded value', () => {
    // arrange: €80.00 jacket as store credit: €88.00 authorised, €8.00 of it bonus
    const claim = claimOf({
      items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }],
      reason: 'changed_mind',
      desired: 'store_credit',
    });
    const authorised = authorisedFor(claim);
    // act
    const d = grade(claim, authorised, [{ sku: 'JACKET', quantity: 1, condition: 'used' }]);
    // assert: 90 % of €80.00 is €72.00, plus a 10 % bonus of €7.20
    expect(authorised.storeCredit.amount).toBe(8800);
    expect(d.outcome).toBe('store_credit');
    expect(d.cash.amount).toBe(0);
    expect(d.storeCredit.amount).toBe(7920);
    expect(d.goodwill.amount).toBe(720);
    expect(d.rules.map((r) => r.id)).toEqual(['return-graded', 'store-credit', 'store-credit-bonus', 'approval-tier']);
    expect(texts(d, 'store-credit-bonus')).toEqual(['Choosing store credit over cash adds a 10 % bonus of €7.20']);
  });

  it('bounds the recomputed bonus by what is left of the goodwill budget', () => {
    // arrange
    const claim = claimOf({
      items: [{ sku: 'JACKET', category: 'clothes', unitPrice: 8000 }],
      reason: 'changed_mind',
      desired: 'store_credit',
    });
    const authorised = authorisedFor(claim);
    const spent = { ...emptyHistory(), goodwillSpent: { amount: 4800, currency: 'EUR' } };
    // act
    const d = gradeReturn({
      authorised,
      claim,
      returned: [{ sku: 'JACKET', quantity: 1, condition: 'as_new' }],
      earlier: [],
      policyVersion: version(demo),
      history: spent,
    });
    // assert
    expect(d.goodwill.amount).toBe(200);
    expect(d.rules.map((r) => r.id)).toContain('goodwill-budget');
  });

  it('grades a replacement without money', () => {
    // arrange
    const claim = claimOf({ items: [lamp], reason: 'defective', desired: 'replacement' });
    const authorised = authorisedFor(claim);
    // act
    const d = grade(claim, authorised, [{ sku: 'LAMP', quantity: 1, condition: 'used' }]);
    // assert
    expect(d.outcome).toBe('replacement');
    expect(d.cash.amount + d.storeCredit.amount).toBe(0);
    expect(texts(d, 'return-graded')).toEqual(['1 × lamp arrived used: the replacement is sent']);
    expect(texts(d, 'replacement')).toEqual(['The shop sends the replacement for 1 × lamp']);
  });

  it('splits an amount an approver lowered over the units by list price, exactly', () => {
    // arrange: 2 glasses (€10.00) and a lamp (€40.00) authorised €60.00, lowered to €50.00
    const claim = claimOf({ items: [glass, lamp], reason: 'changed_mind' });
    const lowered = { ...authorisedFor(claim), cash: { amount: 5000, currency: 'EUR' } };
    // act
    const glasses = grade(claim, lowered, [{ sku: 'GLASS', quantity: 2, condition: 'as_new' }]);
    const theLamp = grade(
      claim,
      lowered,
      [{ sku: 'LAMP', quantity: 1, condition: 'as_new' }],
      [{ sku: 'GLASS', quantity: 2, condition: 'as_new' }],
    );
    // assert: shares 8.34 + 8.33 + 33.33 by largest remainder
    expect(glasses.cash.amount).toBe(1667);
    expect(theLamp.cash.amount).toBe(3333);
  });

  it('refuses more units than the decision authorised, counting earlier rounds', () => {
    // arrange
    const claim = claimOf({ items: [glass, lamp], reason: 'changed_mind' });
    const authorised = authorisedFor(claim);
    // act / assert
    expect(() =>
      grade(claim, authorised, [{ sku: 'GLASS', quantity: 1, condition: 'as_new' }], [{ sku: 'GLASS', quantity: 2, condition: 'used' }]),
    ).toThrow(UnprocessableClaimError);
  });

  it('refuses to grade a decision that asked for no goods back', () => {
    // arrange
    const claim = claimOf({ items: [{ sku: 'MUG', category: 'home', unitPrice: 1500 }], reason: 'damaged' });
    const kept = decide(claim, version(demo), emptyHistory(), NOW);
    // act / assert
    expect(() => grade(claim, kept, [{ sku: 'MUG', quantity: 1, condition: 'as_new' }])).toThrow(UnprocessableClaimError);
  });

  it('grants an apology credit the authorised decision carried with the first round only', () => {
    // arrange
    const withApology = policyWith((d) => (d.goodwill.apologyCredit = 500));
    const claim = claimOf({ items: [{ ...glass, unitPrice: 1500 }], reason: 'damaged' });
    const authorised = decide(claim, version(withApology), emptyHistory(), NOW);
    const args = { authorised, claim, policyVersion: version(withApology), history: emptyHistory() };
    // act
    const first = gradeReturn({ ...args, returned: [{ sku: 'GLASS', quantity: 1, condition: 'as_new' }], earlier: [] });
    const second = gradeReturn({
      ...args,
      returned: [{ sku: 'GLASS', quantity: 1, condition: 'as_new' }],
      earlier: [{ sku: 'GLASS', quantity: 1, condition: 'as_new' }],
    });
    // assert
    expect(authorised.goodwill.amount).toBe(500);
    expect(authorised.returnRequired).toBe(true);
    expect([first.cash.amount, first.goodwill.amount]).toEqual([1500, 500]);
    expect(texts(first, 'apology-credit')).toEqual(['The shop was at fault: an apology credit of €5.00 is added']);
    expect([second.cash.amount, second.goodwill.amount]).toEqual([1500, 0]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: any order whose claim was sent back, returned over any split into rounds.

interface Returned {
  readonly claim: ClaimRequest;
  readonly authorised: Decision;
  /** Every authorised unit, one row each, with its round and condition. */
  readonly units: readonly { sku: string; round: number; condition: ReturnCondition }[];
}

const arbReturned: fc.Arbitrary<Returned> = fc
  .record({
    lines: fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 4 }), unitPrice: fc.integer({ min: 0, max: 60_000 }) }), {
      minLength: 1,
      maxLength: 4,
    }),
    shipping: fc.integer({ min: 0, max: 1500 }),
    reason: fc.constantFrom('changed_mind' as const, 'damaged' as const, 'not_as_described' as const),
    desired: fc.constantFrom('refund' as const, 'store_credit' as const),
    lowerPercent: fc.oneof(fc.constant(100), fc.integer({ min: 0, max: 100 })),
    rounds: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 16, maxLength: 16 }),
    conditions: fc.array(fc.constantFrom(...returnConditions), { minLength: 16, maxLength: 16 }),
  })
  .map((g) => {
    // At least one unit above the keep-it threshold, so the goods are sent back.
    const items = g.lines.map((l, i) => ({
      sku: `SKU-${i}`,
      category: 'home',
      quantity: l.quantity,
      unitPrice: i === 0 ? l.unitPrice + 2001 : l.unitPrice,
    }));
    const claim = claimOf({ items, reason: g.reason, desired: g.desired, shipping: g.shipping });
    const decided = decide(claim, version(demo), emptyHistory(), NOW);
    // An approver may have lowered the refund value (never the bonus above its share).
    const lowered = Math.floor((refundValue(decided).amount * g.lowerPercent) / 100);
    const authorised: Decision =
      decided.outcome === 'store_credit'
        ? { ...decided, storeCredit: { amount: lowered + decided.goodwill.amount, currency: 'EUR' } }
        : { ...decided, cash: { amount: lowered, currency: 'EUR' } };
    const units = decided.units.flatMap((u) => Array.from({ length: u.quantity }, () => u.sku));
    return {
      claim,
      authorised,
      units: units.map((sku, i) => ({ sku, round: g.rounds[i % 16]!, condition: g.conditions[i % 16]! })),
    };
  });

/** Grades the units round by round, each round with the earlier ones as `earlier`. */
function gradeInRounds(r: Returned, conditionOf: (u: Returned['units'][number]) => ReturnCondition): Decision[] {
  const out: Decision[] = [];
  const earlier: ReturnedUnits[] = [];
  for (let round = 0; round <= 3; round++) {
    const rows = r.units.filter((u) => u.round === round).map((u) => ({ sku: u.sku, quantity: 1, condition: conditionOf(u) }));
    if (rows.length === 0) continue;
    out.push(grade(r.claim, r.authorised, rows, [...earlier]));
    earlier.push(...rows);
  }
  return out;
}

describe('gradeReturn: properties', () => {
  it('units returned as new over any split into rounds sum exactly to the authorised refund value and bonus', () => {
    fc.assert(
      fc.property(arbReturned, (r) => {
        // act
        const rounds = gradeInRounds(r, () => 'as_new');
        // assert
        const refunded = rounds.reduce((a, d) => a + refundValue(d).amount, 0);
        const goodwill = rounds.reduce((a, d) => a + d.goodwill.amount, 0);
        expect(refunded).toBe(refundValue(r.authorised).amount);
        expect(goodwill).toBe(Math.min(r.authorised.goodwill.amount, Math.ceil((refundValue(r.authorised).amount * 10) / 100)));
        for (const d of rounds) expect(d.tier).toBe('auto');
      }),
      { numRuns: 200 },
    );
  });

  it('grading never gives more than was authorised, in any round or in total, and only whole non-negative amounts', () => {
    fc.assert(
      fc.property(arbReturned, (r) => {
        // act
        const rounds = gradeInRounds(r, (u) => u.condition);
        // assert
        let refunded = 0;
        let goodwill = 0;
        for (const d of rounds) {
          expect(d.outcome).toBe(r.authorised.outcome);
          expect(d.returnRequired).toBe(false);
          for (const m of [d.cash, d.storeCredit, d.goodwill]) {
            expect(Number.isSafeInteger(m.amount)).toBe(true);
            expect(m.amount).toBeGreaterThanOrEqual(0);
          }
          if (r.authorised.outcome === 'return_and_refund') expect(d.storeCredit.amount).toBe(0);
          if (r.authorised.outcome === 'store_credit') expect(d.cash.amount).toBe(0);
          refunded += refundValue(d).amount;
          goodwill += d.goodwill.amount;
        }
        expect(refunded).toBeLessThanOrEqual(refundValue(r.authorised).amount);
        expect(goodwill).toBeLessThanOrEqual(r.authorised.goodwill.amount);
        const units = rounds.flatMap((d) => d.units).reduce((a, u) => a + u.quantity, 0);
        expect(units).toBe(r.units.length);
      }),
      { numRuns: 200 },
    );
  });

  it('a unit returned damaged after a change of mind always needs an agent', () => {
    fc.assert(
      fc.property(arbReturned, (r) => {
        // act
        const rounds = gradeInRounds(r, (u) => u.condition);
        // assert
        rounds.forEach((d, i) => {
          const round = [...new Set(r.units.map((u) => u.round))].sort()[i];
          const damaged = r.units.some((u) => u.round === round && u.condition === 'damaged');
          expect(d.tier).toBe(damaged && r.claim.complaint.reason === 'changed_mind' ? 'agent' : 'auto');
        });
      }),
      { numRuns: 100 },
    );
  });
});
