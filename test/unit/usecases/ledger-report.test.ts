import { describe, expect, it } from 'vitest';
import { actionIdOf } from '#domain/actions.ts';
import type { EntryOf, LedgerEntry } from '#domain/ledger.ts';
import { isConversion } from '#domain/ledger-audit.ts';
import { ledgerReport } from '#usecases/ledger-report.ts';
import { reportText } from '../../../cli/ledger-report.ts';
import { reportHtml } from '../../../functions/views/ledger-report.ts';
import {
  actionFailed,
  actionWithdrawn,
  appendEntries,
  buildLedger,
  cashAgain,
  chainOf,
  claimRef,
  MemoryLedger,
  received,
  recoveryCredit,
  refundAsked,
  refundPaid,
  WINDOW,
} from './ledger-fixture.ts';

describe('ledgerReport', () => {
  it('sums value by account, reason, outcome, tier and day', async () => {
    // arrange
    const ledger = buildLedger();
    // act
    const t = await ledgerReport({ ...WINDOW }, { ledger, state: ledger.state() });
    // assert
    expect(t).toMatchObject({ claims: 6, entries: ledger.all().length, storefronts: ['demo'] });
    const eur = t.currencies[0];
    expect(t.currencies).toHaveLength(1);
    expect(eur).toMatchObject({ currency: 'EUR', claims: 6, cash: 2750 + 9399, credit: 500 + 1100, goodwill: 500 + 100, value: 13749 });
    expect(eur?.byAccount).toEqual([
      { account: 'refunds_payable', debit: 0, credit: 12149 },
      { account: 'store_credit_liability', debit: 0, credit: 1600 },
      { account: 'goodwill_expense', debit: 600, credit: 0 },
      { account: 'revenue_reversal', debit: 12149 + 1000, credit: 0 },
      { account: 'cash', debit: 0, credit: 0 },
    ]);
    expect(eur?.byOutcome.map((r) => [r.key, r.claims, r.value])).toEqual([
      ['return_and_refund', 1, 9399],
      ['refund_without_return', 1, 2750],
      ['store_credit', 1, 1100],
      ['goodwill', 1, 500],
      ['rejected', 1, 0],
      ['replacement', 1, 0],
    ]);
    expect(eur?.byTier.map((r) => [r.key, r.claims, r.value])).toEqual([
      ['agent', 1, 9399],
      ['auto', 5, 4350],
    ]);
    expect(eur?.byReason.find((r) => r.key === 'late_delivery')).toMatchObject({ claims: 1, cash: 0, credit: 500 });
    expect(eur?.byDay.map((d) => [d.day, d.received, d.value, d.refundGranted, d.refundPaid])).toEqual([
      ['2026-11-20', 2, 2750 + 500, 2750, 0],
      ['2026-11-21', 2, 9399 + 1100, 9399, 0],
      ['2026-11-22', 2, 0, 0, 0],
    ]);
  });

  it('counts only what is in the window, but reads the reason and decision from before it', async () => {
    // arrange
    const ledger = buildLedger();
    // act: from the moment C's refund settles
    const t = await ledgerReport({ from: new Date('2026-11-21T05:40:00Z'), to: WINDOW.to }, { ledger, state: ledger.state() });
    // assert
    expect(t.currencies[0]?.byOutcome.find((r) => r.key === 'return_and_refund')).toMatchObject({ claims: 1, value: 9399 });
    expect(t.currencies[0]?.byReason.find((r) => r.key === 'defective')).toMatchObject({ claims: 1, value: 9399 });
    expect(t.currencies[0]?.byDay[0]).toMatchObject({ day: '2026-11-21', received: 1 });
  });
});

describe('the report page', () => {
  it('is self-contained, with its three charts as inline SVG, and escapes ledger text', async () => {
    // arrange: a hostile reason stored in a claim
    const ledger = buildLedger();
    const received = ledger.claims.get('CLM-A')?.[0] as EntryOf<'received'>;
    // Not a reason the schema allows, on purpose: the page must escape whatever text the ledger holds.
    (received.data.claim.complaint as { reason: string }).reason = '<script>alert("x")</script>&';
    const t = await ledgerReport({ ...WINDOW }, { ledger, state: ledger.state() });
    // act
    const html = reportHtml(t, new Date('2026-11-23T12:00:00Z'));
    const text = reportText(t);
    // assert
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;');
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('aria-label="Value per day by outcome, EUR"');
    expect(html).toContain('aria-label="Value by reason, EUR"');
    expect(html).toContain('aria-label="Cash refunds granted and paid, cumulative, EUR"');
    expect(text).toContain('refunds_payable');
    expect(text).toContain('93.99 EUR');
  });
});

describe('conversions in the report', () => {
  /** A claim whose 100.00 refund failed, was given as 110.00 of credit, and then paid in cash after all. */
  function cashAgainLedger(upTo: 'recovered' | 'paid'): MemoryLedger {
    const ledger = new MemoryLedger();
    const ref = claimRef('CLM-V', 'ORD-V');
    const refund = actionIdOf('CLM-V', 2);
    const credit = actionIdOf('CLM-V', 4);
    const specs = [refundAsked(10000), actionFailed(refund, 10000), recoveryCredit(refund, 10000, 1000)];
    if (upTo === 'paid') specs.push(actionWithdrawn(credit), cashAgain(credit, 11000, 1000), refundPaid(actionIdOf('CLM-V', 6), 10000));
    appendEntries(ledger, ref, [received(ref), ...specs], new Date('2026-11-20T09:00:00Z'));
    return ledger;
  }

  it('counts a refund given as credit, then as cash again, once', async () => {
    // arrange
    const recovered = cashAgainLedger('recovered');
    const paid = cashAgainLedger('paid');
    // act
    const [r, p] = await Promise.all([
      ledgerReport({ ...WINDOW }, { ledger: recovered, state: recovered.state() }),
      ledgerReport({ ...WINDOW }, { ledger: paid, state: paid.state() }),
    ]);
    // assert: the refund value once, in the form first granted; the recovery's bonus is new goodwill until cash is asked again
    expect(isConversion(chainOf(paid, 'CLM-V')[3] as LedgerEntry)).toBe(true);
    expect(r.currencies[0]).toMatchObject({ cash: 10000, credit: 1000, goodwill: 1000, value: 11000 });
    expect(p.currencies[0]).toMatchObject({ cash: 10000, credit: 0, goodwill: 0, value: 10000 });
    expect(p.currencies[0]?.byDay.map((d) => [d.value, d.refundGranted, d.refundPaid])).toEqual([[10000, 10000, 10000]]);
    expect(p.reconciliation.accounts[0]).toMatchObject({
      refund: { granted: 10000, paid: 10000, owed: 0, movedToCredit: 10000 },
      storeCredit: { granted: 0, movedToCash: 11000 },
      agrees: true,
    });
    expect(r.reconciliation.accounts[0]).toMatchObject({
      refund: { granted: 0, owed: 0 },
      storeCredit: { granted: 11000, awaiting: 11000 },
    });
  });

  it('lists the actions to work on in the text and on the page, escaped', async () => {
    // arrange: a failed refund nobody recovered, with a hostile failure reason
    const ledger = buildLedger();
    const ref = claimRef('CLM-H', 'ORD-H');
    appendEntries(
      ledger,
      ref,
      [received(ref), refundAsked(4000), actionFailed(actionIdOf('CLM-H', 2), 4000, '<img src=x onerror=alert(1)>')],
      new Date('2026-11-21T09:00:00Z'),
    );
    // act
    const t = await ledgerReport({ ...WINDOW, staleDays: 3 }, { ledger, state: ledger.state() });
    const text = reportText(t);
    const html = reportHtml(t, new Date('2026-11-23T12:00:00Z'));
    // assert: A's refund and B's credit, asked on the 20th, are over 3 days old at the window's end
    expect(t.reconciliation.stale.map((s) => s.action.claimId)).toEqual(['CLM-A', 'CLM-B']);
    expect(text).toContain('STALE: 2 action(s) not answered after 3 day(s)');
    expect(text).toContain('UNRECOVERED: 1 action(s) failed with nothing done instead');
    expect(text).toContain('claim CLM-H, act_CLM-H_2, refund 40.00 EUR: failed at');
    expect(text).toMatch(/EUR refunds +granted 161\.49 EUR = paid 0\.00 EUR \+ owed 161\.49 EUR/);
    expect(html).not.toMatch(/<img|<script/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Not answered after 3 days (2)');
    expect(html).toContain('Failed with nothing done instead (1)');
  });
});
