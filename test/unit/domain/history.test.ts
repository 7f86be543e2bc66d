import { describe, expect, it } from 'vitest';
import { customerHistory, historyWindowsOf } from '#domain/history.ts';
import {
  type ClaimStatus,
  chainEntry,
  type EntryDraft,
  type EntryType,
  type Json,
  type LedgerEntry,
  type Posting,
  settlementPostings,
} from '#domain/ledger.ts';
import { money } from '#domain/money.ts';
import { DAY_MS, type Doc, daysAgo, demoPolicy, NOW, policyWith } from './fixtures.ts';

const policy = demoPolicy();
const CURRENT = 'CLM-NOW';

/** What a test may set on a draft besides its type. */
interface DraftExtra {
  readonly step?: string;
  readonly status?: ClaimStatus;
  readonly data?: Record<string, Json>;
  readonly postings?: readonly Posting[];
}

/**
 * A draft of any type. The history reads no entry data but a closed entry's reason, so the drafts
 * carry only what a test gives them; the union by type cannot check a draft built for every type
 * at once, hence the one cast.
 */
function draftOf(type: EntryType, extra: DraftExtra = {}): EntryDraft {
  return { type, step: type, status: 'received', actor: { kind: 'system' }, policyVersion: 3, data: {}, ...extra } as EntryDraft;
}

/** One ledger entry of claim `claimId`, `days` before now. */
function entry(claimId: string, type: EntryType, days: number, extra: DraftExtra & { currency?: string } = {}): LedgerEntry {
  const { currency = 'EUR', ...draft } = extra;
  return chainEntry(
    { claimId, storefrontId: 'demo', orderId: `ORD-${claimId}`, customerId: 'C-42', currency },
    undefined,
    draftOf(type, draft),
    new Date(NOW.getTime() - days * DAY_MS),
  );
}

const historyOf = (entries: LedgerEntry[], orderGranted = money(0, 'EUR')) =>
  customerHistory({ entries, policy, now: NOW, currentClaimId: CURRENT, orderGranted });

/** The postings of a credit_issued entry for `refund` credit plus `goodwill` credit. */
const credit = (refund: number, goodwill: number, currency = 'EUR') =>
  settlementPostings(money(0, currency), money(refund, currency), money(goodwill, currency)).credit;

describe('customerHistory: claims in the frequent-claims window', () => {
  it('counts each earlier claim received within 90 days once, and not the current claim', () => {
    // arrange
    const entries = [
      entry('CLM-A', 'received', 10),
      entry('CLM-A', 'decided', 10),
      entry('CLM-B', 'received', 89.9),
      entry('CLM-C', 'received', 90),
      entry('CLM-OLD', 'received', 90.01),
      entry(CURRENT, 'received', 0),
    ];
    // act
    const history = historyOf(entries);
    // assert: A, B and C (exactly 90 days ago is inside the window)
    expect(history.claimsInWindow).toBe(3);
  });

  it('counts nothing for a new customer', () => {
    // act
    const history = historyOf([entry(CURRENT, 'received', 0)]);
    // assert
    expect(history).toEqual({
      claimsInWindow: 0,
      unreturnedReturns: 0,
      refundRate: { concludedClaims: 0, claimsWithMoney: 0 },
      goodwillSpent: { amount: 0, currency: 'EUR' },
      orderGranted: { amount: 0, currency: 'EUR' },
      covered: {},
    });
  });
});

describe('customerHistory: returns never received', () => {
  it('counts a return authorised more than 30 days ago with nothing received', () => {
    // arrange
    const entries = [entry('CLM-A', 'received', 40), entry('CLM-A', 'return_authorised', 31)];
    // act / assert
    expect(historyOf(entries).unreturnedReturns).toBe(1);
  });

  it('does not count a return authorised exactly 30 days ago, nor one authorised recently', () => {
    // arrange
    const entries = [entry('CLM-A', 'return_authorised', 30), entry('CLM-B', 'return_authorised', 10)];
    // act / assert
    expect(historyOf(entries).unreturnedReturns).toBe(0);
  });

  it('does not count a return that arrived, however late', () => {
    // arrange
    const entries = [entry('CLM-A', 'return_authorised', 60), entry('CLM-A', 'return_received', 45)];
    // act / assert
    expect(historyOf(entries).unreturnedReturns).toBe(0);
  });

  it('counts a claim closed because the return was not received, even before 30 days', () => {
    // arrange
    const entries = [
      entry('CLM-A', 'return_authorised', 10),
      entry('CLM-A', 'closed', 1, { status: 'closed', data: { reason: 'return_not_received' } }),
      entry('CLM-B', 'return_authorised', 10),
      entry('CLM-B', 'closed', 1, { status: 'closed', data: { reason: 'withdrawn' } }),
    ];
    // act / assert
    expect(historyOf(entries).unreturnedReturns).toBe(1);
  });

  it("does not count the current claim's own return", () => {
    // arrange
    const entries = [entry(CURRENT, 'return_authorised', 45)];
    // act / assert
    expect(historyOf(entries).unreturnedReturns).toBe(0);
  });

  it('counts every claim with an unreturned return', () => {
    // arrange
    const entries = [
      entry('CLM-A', 'return_authorised', 31),
      entry('CLM-B', 'return_authorised', 10),
      entry('CLM-B', 'closed', 1, { status: 'closed', data: { reason: 'return_not_received' } }),
      entry('CLM-C', 'return_authorised', 50),
      entry('CLM-C', 'return_received', 20),
    ];
    // act / assert
    expect(historyOf(entries).unreturnedReturns).toBe(2);
  });
});

describe('customerHistory: goodwill spent', () => {
  it('sums the goodwill_expense debits of credit_issued entries inside the 365-day budget window', () => {
    // arrange
    const entries = [
      entry('CLM-A', 'credit_issued', 100, { postings: credit(7200, 720) }),
      entry('CLM-B', 'credit_issued', 364.9, { postings: credit(0, 500) }),
      entry('CLM-OLD', 'credit_issued', 366, { postings: credit(0, 1000) }),
    ];
    // act
    const history = historyOf(entries);
    // assert: 7.20 + 5.00; the refund credit is not goodwill and the old credit is outside the window
    expect(history.goodwillSpent).toEqual({ amount: 1220, currency: 'EUR' });
  });

  it('ignores other entry types and credit in another currency', () => {
    // arrange
    const entries = [
      entry('CLM-A', 'refund_settled', 10, { postings: settlementPostings(money(5000, 'EUR'), money(0, 'EUR'), money(0, 'EUR')).refund }),
      entry('CLM-B', 'credit_issued', 10, { postings: credit(0, 900, 'USD'), currency: 'USD' }),
      entry('CLM-C', 'credit_issued', 10, { postings: credit(0, 300) }),
    ];
    // act
    const history = historyOf(entries);
    // assert
    expect(history.goodwillSpent).toEqual({ amount: 300, currency: 'EUR' });
  });

  it("passes the order's running total through as orderGranted", () => {
    // act
    const history = historyOf([], money(4000, 'EUR'));
    // assert
    expect(history.orderGranted).toEqual({ amount: 4000, currency: 'EUR' });
  });
});

describe('customerHistory: goodwill spent, from the stored budget', () => {
  /** The history with the budget's `goodwillGrants` passed, and the ledger's `entries`. */
  const withGrants = (goodwillGrants: { grantId: string; amount: number; at: string }[], entries: LedgerEntry[] = [], p = policy) =>
    customerHistory({ entries, policy: p, now: NOW, currentClaimId: CURRENT, orderGranted: money(0, 'EUR'), goodwillGrants });

  it('sums the stored grants inside the 365-day budget window', () => {
    // act
    const history = withGrants([
      { grantId: 'CLM-A', amount: 700, at: daysAgo(10) },
      { grantId: 'CLM-B#2', amount: 300, at: daysAgo(365) },
      { grantId: 'CLM-OLD', amount: 1000, at: daysAgo(365.01) },
    ]);
    // assert: exactly 365 days ago is inside the window
    expect(history.goodwillSpent).toEqual({ amount: 1000, currency: 'EUR' });
  });

  it("leaves out the current claim's own grants, of every round, but not a claim whose id merely begins the same", () => {
    // act
    const history = withGrants([
      { grantId: CURRENT, amount: 500, at: daysAgo(2) },
      { grantId: `${CURRENT}#2`, amount: 250, at: daysAgo(1) },
      { grantId: `${CURRENT}-2`, amount: 40, at: daysAgo(1) },
      { grantId: `${CURRENT}X#2`, amount: 2, at: daysAgo(1) },
    ]);
    // assert
    expect(history.goodwillSpent).toEqual({ amount: 42, currency: 'EUR' });
  });

  it('counts the stored grants instead of the ledger, even when there are none', () => {
    // arrange
    const entries = [entry('CLM-A', 'credit_issued', 10, { postings: credit(0, 900) })];
    // act
    const none = withGrants([], entries);
    const stored = withGrants([{ grantId: 'CLM-A', amount: 600, at: daysAgo(10) }], entries);
    // assert
    expect(none.goodwillSpent).toEqual({ amount: 0, currency: 'EUR' });
    expect(stored.goodwillSpent).toEqual({ amount: 600, currency: 'EUR' });
  });

  it("takes the window from the policy's goodwill budget", () => {
    // arrange
    const thirtyDays = policyWith((d) => (d.risk.goodwillBudget = { amount: 5000, days: 30 }));
    // act
    const history = withGrants(
      [
        { grantId: 'CLM-A', amount: 100, at: daysAgo(29) },
        { grantId: 'CLM-B', amount: 1000, at: daysAgo(31) },
      ],
      [],
      thirtyDays,
    );
    // assert
    expect(history.goodwillSpent).toEqual({ amount: 100, currency: 'EUR' });
  });
});

describe('customerHistory: units covered by other claims', () => {
  const withCoverage = (coverage: Record<string, Record<string, number>>) =>
    customerHistory({ entries: [], policy, now: NOW, currentClaimId: CURRENT, orderGranted: money(0, 'EUR'), coverage });

  it("sums the units each key's other claims hold and names those claims, sorted", () => {
    // act
    const history = withCoverage({
      'SKU-1': { 'CLM-B': 1, 'CLM-A': 2 },
      'goodwill#late_delivery': { 'CLM-C': 1 },
    });
    // assert
    expect(history.covered).toEqual({
      'SKU-1': { units: 3, claims: ['CLM-A', 'CLM-B'] },
      'goodwill#late_delivery': { units: 1, claims: ['CLM-C'] },
    });
  });

  it("leaves out the current claim's own holding, and a key only it holds", () => {
    // act
    const history = withCoverage({
      'SKU-1': { [CURRENT]: 2, 'CLM-A': 1 },
      'SKU-2': { [CURRENT]: 1 },
    });
    // assert
    expect(history.covered).toEqual({ 'SKU-1': { units: 1, claims: ['CLM-A'] } });
  });

  it('drops holdings of zero units, and a key whose holdings are all zero', () => {
    // act
    const history = withCoverage({
      'SKU-1': { 'CLM-A': 0, 'CLM-B': 2 },
      'SKU-2': { 'CLM-A': 0 },
      'SKU-3': {},
    });
    // assert
    expect(history.covered).toEqual({ 'SKU-1': { units: 2, claims: ['CLM-B'] } });
  });

  it('covers nothing when no coverage is given', () => {
    // act / assert
    expect(historyOf([]).covered).toEqual({});
  });
});

describe('customerHistory: refund rate', () => {
  /** Demo terms plus a refund-rate rule over 180 days. */
  const withRate = policyWith((d) => (d.risk.refundRate = { maxPercent: 50, minClaims: 3, days: 180, minRole: 'agent' }));

  /** A claim's chained entries: `[type, status]` steps, received `days` ago, one hour apart. */
  function claim(claimId: string, days: number, steps: ReadonlyArray<readonly [EntryType, ClaimStatus]>): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    steps.forEach(([type, status], i) => {
      out.push(
        chainEntry(
          { claimId, storefrontId: 'demo', orderId: `ORD-${claimId}`, customerId: 'C-42', currency: 'EUR' },
          out.at(-1),
          draftOf(type, { step: `${type}#${i}`, status }),
          new Date(NOW.getTime() - days * DAY_MS + i * 3_600_000),
        ),
      );
    });
    return out;
  }

  it('counts the concluded earlier claims in the window and those that ended with money', () => {
    // arrange
    const entries = [
      ...claim('CLM-REFUNDED', 10, [
        ['received', 'received'],
        ['decided', 'assessing'],
        ['refund_settled', 'settled'],
      ]),
      ...claim('CLM-CREDITED', 179, [
        ['received', 'received'],
        ['credit_issued', 'settled'],
      ]),
      ...claim('CLM-REJECTED', 20, [
        ['received', 'received'],
        ['decided', 'assessing'],
        ['email_sent', 'rejected'],
      ]),
      ...claim('CLM-CLOSED', 30, [
        ['received', 'received'],
        ['return_authorised', 'awaiting_return'],
        ['closed', 'closed'],
      ]),
      ...claim('CLM-REPLACED', 40, [
        ['received', 'received'],
        ['email_sent', 'settled'],
      ]),
      ...claim('CLM-OPEN', 5, [
        ['received', 'received'],
        ['approval_requested', 'awaiting_approval'],
      ]),
      ...claim('CLM-OLD', 181, [
        ['received', 'received'],
        ['refund_settled', 'settled'],
      ]),
      ...claim(CURRENT, 0, [['received', 'received']]),
    ];
    // act
    const history = customerHistory({ entries, policy: withRate, now: NOW, currentClaimId: CURRENT, orderGranted: money(0, 'EUR') });
    // assert: refunded, credited, rejected, closed and replaced have concluded; two ended with money.
    // The open claim, the claim received 181 days ago and the current claim do not count.
    expect(history.refundRate).toEqual({ concludedClaims: 5, claimsWithMoney: 2 });
  });

  it('counts nothing when the policy has no refund-rate rule (a zero-day window)', () => {
    // arrange
    const entries = claim('CLM-REFUNDED', 10, [
      ['received', 'received'],
      ['refund_settled', 'settled'],
    ]);
    // act / assert
    expect(historyOf(entries).refundRate).toEqual({ concludedClaims: 0, claimsWithMoney: 0 });
  });
});

describe('historyWindowsOf', () => {
  it('tells apart policies whose windows differ, and not those that differ elsewhere', () => {
    const base = historyWindowsOf(demoPolicy());
    expect(historyWindowsOf(policyWith((d) => (d.keepItThreshold = 4000)))).toBe(base);
    for (const edit of [
      (d: Doc) => (d.risk.frequentClaims.days = 30),
      (d: Doc) => (d.risk.unreturned.afterDays = 14),
      (d: Doc) => (d.risk.refundRate = { maxPercent: 50, minClaims: 3, days: 45, minRole: 'agent' }),
      (d: Doc) => (d.risk.goodwillBudget.days = 180),
    ]) {
      const other = policyWith(edit);
      expect(historyWindowsOf(other)).not.toBe(base);
    }
  });
});
