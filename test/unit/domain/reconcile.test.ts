import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionIdOf } from '#domain/actions.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { assertStaleDays, type CurrencyAccounts, type Reconciliation, reconcileActions } from '#domain/reconcile.ts';
import {
  actionDone,
  actionFailed,
  actionWithdrawn,
  appendEntries,
  cashAgain,
  chainsOf,
  claimRef,
  creditAsked,
  type EntrySpec,
  MemoryLedger,
  received,
  recoveryCredit,
  refundAsked,
  refundPaid,
  replacementAsked,
} from '../usecases/ledger-fixture.ts';

const T0 = new Date('2026-11-20T09:00:00Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
/** A week after the claims began: late enough for every answer, too early for a stale request. */
const LATER = at(2 * DAY);

/** The id of the action asked by the entry with sequence `seq` of `claimId`. */
const act = actionIdOf;

/** One claim: `received`, then the specs, 20 minutes apart from T0. */
function ledgerOf(...claims: [string, EntrySpec[]][]): MemoryLedger {
  const ledger = new MemoryLedger();
  claims.forEach(([claimId, specs], i) => {
    const ref = claimRef(claimId, `ORD-${i}`);
    appendEntries(ledger, ref, [received(ref), ...specs], T0);
  });
  return ledger;
}

const reconcile = (ledger: MemoryLedger, now = LATER, staleDays = 7) => reconcileActions(chainsOf(ledger), { now, staleDays });
const eurOf = (r: Reconciliation) => r.accounts.find((a) => a.currency === 'EUR') as CurrencyAccounts;

/** The accounts' invariants: every part adds up, and the actions agree with the postings. */
function expectAddsUp(a: CurrencyAccounts): void {
  const { refund: r, storeCredit: c, replacement: p } = a;
  expect(r.paid + r.owed).toBe(r.granted);
  expect(r.awaiting + r.failed + r.shortPaid).toBe(r.owed);
  expect(r.granted).toBe(a.posted.refundsPayable + a.posted.cash);
  expect(r.paid).toBe(a.posted.cash);
  expect(c.issued + c.awaiting + c.failed).toBe(c.granted);
  expect(c.granted).toBe(a.posted.storeCreditLiability);
  expect(p.shipped + p.awaiting + p.failed).toBe(p.asked);
  expect(a.agrees).toBe(true);
}

describe('reconcileActions on a clean ledger', () => {
  it('finds nothing to do when every action was answered as asked', () => {
    // arrange: a refund paid, a credit issued, a replacement shipped (each asked as entry 2, answered as 3)
    const ledger = ledgerOf(
      ['CLM-R', [refundAsked(5000), refundPaid(act('CLM-R', 2), 5000)]],
      ['CLM-C', [creditAsked(1100, 100), actionDone(act('CLM-C', 2), 1100)]],
      ['CLM-P', [replacementAsked(), actionDone(act('CLM-P', 2), 0)]],
    );
    // act
    const r = reconcile(ledger);
    // assert
    expect(r).toMatchObject({ claims: 3, actions: 3, stale: [], mismatched: [], unrecovered: [], unreadable: [], staleDays: 7 });
    expect(r.asOf).toBe(LATER.toISOString());
    expect(eurOf(r)).toMatchObject({
      refund: { granted: 5000, paid: 5000, owed: 0, awaiting: 0, failed: 0, shortPaid: 0, movedToCredit: 0 },
      storeCredit: { granted: 1100, issued: 1100, awaiting: 0, failed: 0, movedToCash: 0 },
      replacement: { asked: 1, shipped: 1, awaiting: 0, failed: 0 },
    });
    expectAddsUp(eurOf(r));
  });
});

describe('stale actions', () => {
  it('lists an action not answered more than staleDays days after it was asked, and not one exactly staleDays old', () => {
    // arrange: the refund is asked at T0 + 20 min (entry 2)
    const ledger = ledgerOf(['CLM-S', [refundAsked(2750)]]);
    const asked = at(1_200_000).getTime();
    // act
    const exactly = reconcile(ledger, new Date(asked + 7 * DAY), 7);
    const justAfter = reconcile(ledger, new Date(asked + 7 * DAY + 1), 7);
    const zeroDays = reconcile(ledger, new Date(asked + 1), 0);
    const zeroDaysAtOnce = reconcile(ledger, new Date(asked + 1), 1);
    // assert
    expect(exactly.stale).toEqual([]);
    expect(justAfter.stale).toHaveLength(1);
    expect(justAfter.stale[0]?.action).toMatchObject({ actionId: act('CLM-S', 2), type: 'refund', amount: { amount: 2750 } });
    expect(justAfter.stale[0]?.ageDays).toBeCloseTo(7, 6);
    expect(zeroDays.stale).toHaveLength(1);
    expect(zeroDaysAtOnce.stale).toEqual([]);
  });

  it('never lists an answered action, and sees only the entries before the moment it is made', () => {
    // arrange: the refund is paid on the third day
    const ledger = new MemoryLedger();
    const ref = claimRef('CLM-L', 'ORD-L');
    appendEntries(ledger, ref, [received(ref), refundAsked(2750)], T0);
    appendEntries(ledger, ref, [refundPaid(act('CLM-L', 2), 2750)], at(2 * DAY));
    // act
    const before = reconcile(ledger, at(DAY), 0);
    const after = reconcile(ledger, at(30 * DAY), 0);
    // assert
    expect(before.stale.map((s) => s.action.actionId)).toEqual([act('CLM-L', 2)]);
    expect(eurOf(before).refund).toMatchObject({ awaiting: 2750, paid: 0 });
    expect(after.stale).toEqual([]);
    expect(eurOf(after).refund).toMatchObject({ awaiting: 0, paid: 2750 });
  });

  it('refuses a staleDays that is not a whole number of days, 0 or more', () => {
    // act / assert
    expect(() => assertStaleDays(-1)).toThrow(RangeError);
    expect(() => assertStaleDays(1.5)).toThrow(RangeError);
    expect(() => reconcileActions([], { now: LATER, staleDays: Number.NaN })).toThrow('staleDays must be a whole number');
    expect(() => assertStaleDays(0)).not.toThrow();
  });
});

describe('mismatched actions', () => {
  it('lists a refund recorded by hand as paid for less, and keeps the rest owed', () => {
    // arrange: 50.00 asked, 30.00 recorded by a person
    const ledger = ledgerOf(['CLM-M', [refundAsked(5000), refundPaid(act('CLM-M', 2), 3000, 5000)]]);
    // act
    const r = reconcile(ledger);
    // assert
    expect(r.mismatched).toHaveLength(1);
    expect(r.mismatched[0]).toMatchObject({
      expected: { amount: 5000, currency: 'EUR' },
      recorded: { amount: 3000, currency: 'EUR' },
      shortBy: { amount: 2000, currency: 'EUR' },
      action: { actionId: act('CLM-M', 2), result: { by: 'operator:jo' } },
    });
    expect(eurOf(r).refund).toMatchObject({ granted: 5000, paid: 3000, owed: 2000, shortPaid: 2000 });
    expect(r.stale).toEqual([]);
    expect(r.unrecovered).toEqual([]);
    expectAddsUp(eurOf(r));
  });

  it('lists an answer in another currency, without a difference it cannot compute', () => {
    // arrange: a hand-written answer in USD
    const ledger = ledgerOf(['CLM-U', [creditAsked(1000), actionDone(act('CLM-U', 2), 1000)]]);
    const answer = ledger.claims.get('CLM-U')?.[2] as LedgerEntry & { data: { amount: { currency: string } } };
    answer.data.amount.currency = 'USD';
    // act
    const r = reconcile(ledger);
    // assert
    expect(r.mismatched).toHaveLength(1);
    expect(r.mismatched[0]?.shortBy).toBeUndefined();
    expect(r.mismatched[0]?.recorded).toEqual({ amount: 1000, currency: 'USD' });
  });
});

describe('unrecovered actions', () => {
  it('lists a failed refund that no credit recovered, and any failed store credit or replacement', () => {
    // arrange
    const ledger = ledgerOf(
      ['CLM-F1', [refundAsked(4000), actionFailed(act('CLM-F1', 2), 4000, 'card closed')]],
      ['CLM-F2', [creditAsked(1100, 100), actionFailed(act('CLM-F2', 2), 1100, 'gift card service down')]],
      ['CLM-F3', [replacementAsked(), actionFailed(act('CLM-F3', 2), 0, 'out of stock')]],
      ['CLM-OK', [refundAsked(2000), actionFailed(act('CLM-OK', 2), 2000), recoveryCredit(act('CLM-OK', 2), 2000, 200)]],
    );
    // act
    const r = reconcile(ledger);
    // assert
    expect(r.unrecovered.map((u) => [u.action.claimId, u.action.type, u.reason])).toEqual([
      ['CLM-F1', 'refund', 'card closed'],
      ['CLM-F2', 'store_credit', 'gift card service down'],
      ['CLM-F3', 'replacement', 'out of stock'],
    ]);
    // CLM-OK's recovery credit (entry 4) still waits for the shop: owed, not unrecovered.
    expect(eurOf(r)).toMatchObject({
      refund: { granted: 4000, failed: 4000, owed: 4000, movedToCredit: 2000 },
      storeCredit: { granted: 1100 + 2200, failed: 1100, awaiting: 2200 },
      replacement: { asked: 1, failed: 1 },
    });
    expect(r.stale).toEqual([]);
    expect(r.mismatched).toEqual([]);
    expectAddsUp(eurOf(r));
  });

  it('lists a credit withdrawn for cash when no refund replaced it', () => {
    // arrange: the cancellation was recorded, the cash-again refund was not (yet)
    const ledger = ledgerOf(['CLM-W', [creditAsked(1100, 100), actionWithdrawn(act('CLM-W', 2))]]);
    // act
    const r = reconcile(ledger);
    // assert
    expect(r.unrecovered).toHaveLength(1);
    expect(r.unrecovered[0]?.action.status).toBe('cancelled');
    expect(r.unrecovered[0]?.reason).toContain('no refund replaced it');
    expectAddsUp(eurOf(r));
  });
});

describe('the accounts', () => {
  // Each ledger: refunds, credits and replacements as they happen, entry 2 being the first action.
  const F = 'CLM-X';
  const flows: Record<string, EntrySpec[]> = {
    'a refund paid': [refundAsked(5000), refundPaid(act(F, 2), 5000)],
    'a refund failed, then recovered as credit': [refundAsked(8000), actionFailed(act(F, 2), 8000), recoveryCredit(act(F, 2), 8000, 800)],
    'a recovery credit issued': [
      refundAsked(8000),
      actionFailed(act(F, 2), 8000),
      recoveryCredit(act(F, 2), 8000, 800),
      actionDone(act(F, 4), 8800),
    ],
    'then cash asked again and paid': [
      refundAsked(8000),
      actionFailed(act(F, 2), 8000),
      recoveryCredit(act(F, 2), 8000, 800),
      actionWithdrawn(act(F, 4)),
      cashAgain(act(F, 4), 8800, 800),
      refundPaid(act(F, 6), 8000),
    ],
    'a credit issued': [creditAsked(1100, 100), actionDone(act(F, 2), 1100)],
    'a replacement shipped': [replacementAsked(), actionDone(act(F, 2), 0)],
  };
  const expected: Record<string, Partial<CurrencyAccounts>> = {
    'a refund paid': { refund: { granted: 5000, paid: 5000, owed: 0, awaiting: 0, failed: 0, shortPaid: 0, movedToCredit: 0 } },
    'a refund failed, then recovered as credit': {
      refund: { granted: 0, paid: 0, owed: 0, awaiting: 0, failed: 0, shortPaid: 0, movedToCredit: 8000 },
      storeCredit: { granted: 8800, issued: 0, awaiting: 8800, failed: 0, movedToCash: 0 },
    },
    'a recovery credit issued': { storeCredit: { granted: 8800, issued: 8800, awaiting: 0, failed: 0, movedToCash: 0 } },
    'then cash asked again and paid': {
      refund: { granted: 8000, paid: 8000, owed: 0, awaiting: 0, failed: 0, shortPaid: 0, movedToCredit: 8000 },
      storeCredit: { granted: 0, issued: 0, awaiting: 0, failed: 0, movedToCash: 8800 },
    },
    'a credit issued': { storeCredit: { granted: 1100, issued: 1100, awaiting: 0, failed: 0, movedToCash: 0 } },
    'a replacement shipped': { replacement: { asked: 1, awaiting: 0, shipped: 1, failed: 0 } },
  };

  for (const [name, specs] of Object.entries(flows)) {
    it(`add up and agree with the postings: ${name}`, () => {
      // arrange
      const ledger = ledgerOf([F, specs]);
      // act
      const r = reconcile(ledger);
      // assert
      expect(eurOf(r)).toMatchObject(expected[name] ?? {});
      expect(r.unrecovered).toEqual([]);
      expect(r.mismatched).toEqual([]);
      expectAddsUp(eurOf(r));
    });
  }

  it('add up and agree with the postings on any mix of claims (200 runs)', () => {
    const steps = (claimId: string, cents: number, bonus: number, paidPart: number): EntrySpec[][] => {
      const a = (seq: number) => act(claimId, seq);
      return [
        [refundAsked(cents)],
        [refundAsked(cents), refundPaid(a(2), cents)],
        [refundAsked(cents), refundPaid(a(2), paidPart, cents)],
        [refundAsked(cents), actionFailed(a(2), cents)],
        [refundAsked(cents), actionFailed(a(2), cents), recoveryCredit(a(2), cents, bonus)],
        [refundAsked(cents), actionFailed(a(2), cents), recoveryCredit(a(2), cents, bonus), actionFailed(a(4), cents + bonus)],
        [refundAsked(cents), actionFailed(a(2), cents), recoveryCredit(a(2), cents, bonus), actionDone(a(4), cents + bonus)],
        [
          refundAsked(cents),
          actionFailed(a(2), cents),
          recoveryCredit(a(2), cents, bonus),
          actionDone(a(4), cents + bonus),
          cashAgain(a(4), cents + bonus, bonus),
        ],
        [
          refundAsked(cents),
          actionFailed(a(2), cents),
          recoveryCredit(a(2), cents, bonus),
          actionWithdrawn(a(4)),
          cashAgain(a(4), cents + bonus, bonus),
          actionFailed(a(6), cents),
        ],
        [creditAsked(cents + bonus, bonus)],
        [creditAsked(cents + bonus, bonus), actionDone(a(2), cents + bonus)],
        [creditAsked(cents + bonus, bonus), actionFailed(a(2), cents + bonus)],
        [replacementAsked(), actionDone(a(2), 0)],
        [replacementAsked(), actionFailed(a(2), 0)],
        [refundAsked(cents), creditAsked(bonus, bonus), refundPaid(a(2), cents), actionDone(a(3), bonus)],
      ];
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 14 }), fc.integer({ min: 2, max: 50_000 }), fc.nat({ max: 5000 })), { minLength: 1, maxLength: 8 }),
        (claims) => {
          // arrange
          const ledger = ledgerOf(
            ...claims.map(([flow, cents, bonus], i): [string, EntrySpec[]] => {
              const claimId = `CLM-${i}`;
              return [claimId, steps(claimId, cents, bonus, Math.max(1, Math.floor(cents / 2)))[flow] ?? []];
            }),
          );
          // act
          const r = reconcile(ledger);
          // assert
          expectAddsUp(eurOf(r));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('leaves out a claim whose action entries cannot be read, and says which', () => {
    // arrange: the refund entry lost its data (verify would report it as tampered)
    const ledger = ledgerOf(['CLM-T', [refundAsked(5000)]], ['CLM-G', [creditAsked(500, 500)]]);
    const refund = ledger.claims.get('CLM-T')?.[1] as unknown as Record<string, unknown>;
    delete refund.data;
    // act
    const r = reconcile(ledger);
    // assert
    expect(r.unreadable).toMatchObject([{ claimId: 'CLM-T', storefrontId: 'demo' }]);
    expect(r.claims).toBe(1);
    expect(eurOf(r).storeCredit.granted).toBe(500);
  });
});
