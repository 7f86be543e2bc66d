import { describe, expect, it } from 'vitest';
import type { EntryOf } from '#domain/ledger.ts';
import { ledgerReport } from '#usecases/ledger-report.ts';
import { reportText } from '../../../cli/ledger-report.ts';
import { escapeHtml, reportHtml } from '../../../cli/ledger-report-html.ts';
import { buildLedger, WINDOW } from './ledger-fixture.ts';

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
    expect(eur?.byDay.map((d) => [d.day, d.received, d.value])).toEqual([
      ['2026-11-20', 2, 2750 + 500],
      ['2026-11-21', 2, 9399 + 1100],
      ['2026-11-22', 2, 0],
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
  it('is self-contained, with both charts as inline SVG, and escapes ledger text', async () => {
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
    expect(html).toContain(escapeHtml('<script>alert("x")</script>&'.replaceAll('_', ' ')));
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('aria-label="Value per day by outcome, EUR"');
    expect(html).toContain('aria-label="Value by reason, EUR"');
    expect(text).toContain('refunds_payable');
    expect(text).toContain('93.99 EUR');
  });
});
