import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry, settlementPostings } from '#domain/ledger.ts';
import { ledgerTotals } from '#domain/ledger-report.ts';
import { money } from '#domain/money.ts';
import { reportHtml } from '../../functions/views/ledger-report.ts';
import { claimOf } from '../unit/domain/fixtures.ts';
import { ARTIFACTS, launchChromium } from './chromium.ts';

let chrome: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  chrome = await launchChromium();
});
afterAll(async () => {
  await chrome?.close();
});

const outcomes = [
  { outcome: 'refund_without_return', reason: 'damaged', cash: 2750, credit: 0, goodwill: 0, tier: 'auto' },
  { outcome: 'return_and_refund', reason: 'defective', cash: 9399, credit: 0, goodwill: 0, tier: 'agent' },
  { outcome: 'goodwill', reason: 'late_delivery', cash: 0, credit: 650, goodwill: 650, tier: 'auto' },
  { outcome: 'store_credit', reason: 'changed_mind', cash: 0, credit: 4400, goodwill: 400, tier: 'auto' },
  { outcome: 'replacement', reason: 'wrong_item', cash: 0, credit: 0, goodwill: 0, tier: 'auto' },
  { outcome: 'rejected', reason: 'changed_mind', cash: 0, credit: 0, goodwill: 0, tier: 'auto' },
  { outcome: 'return_and_refund', reason: 'not_as_described', cash: 24900, credit: 0, goodwill: 0, tier: 'supervisor' },
  { outcome: 'refund_without_return', reason: 'missing_item', cash: 1599, credit: 0, goodwill: 0, tier: 'auto' },
] as const;

/** Two weeks of a shop's claims, built with the real hash chain. */
function twoWeeks(): LedgerEntry[][] {
  const chains: LedgerEntry[][] = [];
  const start = Date.parse('2026-11-09T08:00:00Z');
  // A fixed pseudo-random sequence (LCG), so the picture is the same on every run.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 150; i++) {
    const o = outcomes[Math.floor(random() * outcomes.length)] as (typeof outcomes)[number];
    const scale = 0.5 + random() * 1.5;
    const cash = Math.round(o.cash * scale);
    const credit = Math.round(o.credit * scale);
    const goodwill = Math.round(o.goodwill * scale);
    const ref: ClaimRef = { claimId: `clm_${i}`, storefrontId: 'demo', orderId: `ORD-${i}`, customerId: `C-${i}`, currency: 'EUR' };
    const postings = settlementPostings(money(cash, 'EUR'), money(credit - goodwill, 'EUR'), money(goodwill, 'EUR'));
    const system = { kind: 'system' } as const;
    const claim = claimOf({ items: [{ sku: 'BOX', category: 'home', unitPrice: 30000 }], reason: o.reason, customerId: ref.customerId });
    const drafts: EntryDraft[] = [
      {
        type: 'received',
        step: 'received',
        status: 'received',
        actor: { kind: 'storefront', id: 'demo' },
        policyVersion: null,
        data: {
          claim: { ...claim, order: { ...claim.order, id: ref.orderId } },
          idempotencyKey: `key-${i}`,
        },
      },
      {
        type: 'decided',
        step: 'decided',
        status: 'assessing',
        actor: system,
        policyVersion: 3,
        data: {
          decision: {
            outcome: o.outcome,
            cash: { amount: cash, currency: 'EUR' },
            storeCredit: { amount: credit, currency: 'EUR' },
            goodwill: { amount: goodwill, currency: 'EUR' },
            returnRequired: o.outcome === 'return_and_refund',
            tier: o.tier,
            policyVersion: 3,
            rules: [],
            // Rejections and goodwill for a late delivery cover no units.
            units: o.outcome === 'rejected' || o.outcome === 'goodwill' ? [] : claim.complaint.items,
          },
        },
      },
    ];
    if (cash > 0)
      drafts.push({
        type: 'refund_settled',
        step: 'refund',
        status: 'assessing',
        actor: system,
        policyVersion: 3,
        data: { amount: { amount: cash, currency: 'EUR' }, method: 'original_payment' },
        postings: postings.refund,
      });
    if (credit > 0)
      drafts.push({
        type: 'credit_issued',
        step: 'credit',
        status: 'assessing',
        actor: system,
        policyVersion: 3,
        data: { amount: { amount: credit, currency: 'EUR' }, goodwill: { amount: goodwill, currency: 'EUR' } },
        postings: postings.credit,
      });
    const chain: LedgerEntry[] = [];
    const at = start + Math.floor(random() * random() * 14) * 86_400_000 + Math.floor(random() * 12 * 3600) * 1000;
    for (const [k, d] of drafts.entries()) chain.push(chainEntry(ref, chain.at(-1), d, new Date(at + k * 600_000)));
    chains.push(chain);
  }
  return chains;
}

describe('the ledger report in a real browser', () => {
  it('renders both charts from inline SVG, loading nothing else', async () => {
    // arrange
    const totals = ledgerTotals({
      chains: twoWeeks(),
      from: new Date('2026-11-09T00:00:00Z'),
      to: new Date('2026-11-23T00:00:00Z'),
      storefronts: ['demo'],
    });
    const file = join(ARTIFACTS, 'ledger-report.html');
    await writeFile(file, reportHtml(totals, new Date('2026-11-23T12:00:00Z')));
    const requests: string[] = [];
    chrome.page.on('request', (r) => requests.push(r.url()));
    // act
    await chrome.page.goto(pathToFileURL(file).href);
    await chrome.page.screenshot({ path: join(ARTIFACTS, 'ledger-report.png'), fullPage: true });
    // assert
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(await chrome.page.title()).toBe('Ledger report 2026-11-09 – 2026-11-23');
    expect(await chrome.page.locator('svg[aria-label="Value per day by outcome, EUR"] rect').count()).toBeGreaterThan(20);
    expect(await chrome.page.locator('svg[aria-label="Value by reason, EUR"] rect').count()).toBe(totals.currencies[0]?.byReason.length);
    const box = await chrome.page.locator('svg[aria-label="Value per day by outcome, EUR"]').boundingBox();
    expect(box?.width).toBeGreaterThan(600);
  });
});
