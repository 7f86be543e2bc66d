import { describe, expect, it } from 'vitest';
import { decide } from '#domain/decide.ts';
import { chainEntry, decisionData, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { simulate } from '#domain/simulate.ts';
import { claimOf, demoPolicy, emptyHistory, NOW, policyWith, version } from './fixtures.ts';

const policyV3 = version(demoPolicy());

/** A claim's entries: received, and (unless `decided` is null) decided as `decided` says. */
function claimEntries(
  claimId: string,
  decided: null | { policyVersion: number | null; edit?: (d: ReturnType<typeof decide>) => object; history?: boolean },
): LedgerEntry[] {
  const claim = claimOf({ items: [{ sku: 'PAN', category: 'kitchen', unitPrice: 3000 }], reason: 'defective', customerId: `C-${claimId}` });
  const ref = { claimId, storefrontId: 'demo', orderId: `O-${claimId}`, customerId: `C-${claimId}`, currency: 'EUR' };
  const drafts: EntryDraft[] = [
    {
      type: 'received',
      step: 'received',
      status: 'received',
      actor: { kind: 'system' },
      policyVersion: null,
      data: { claim, idempotencyKey: claimId },
    },
  ];
  if (decided) {
    const decision = decide(claim, policyV3, emptyHistory(), NOW);
    drafts.push({
      type: 'decided',
      step: 'decided#1',
      status: 'assessing',
      actor: { kind: 'system' },
      policyVersion: decided.policyVersion,
      data: {
        ...decisionData({ ...decision, ...decided.edit?.(decision) }),
        ...(decided.history === false ? {} : { history: JSON.parse(JSON.stringify(emptyHistory())) }),
      },
    });
  }
  const out: LedgerEntry[] = [];
  drafts.forEach((d, i) => {
    out.push(chainEntry(ref, out.at(-1), d, new Date(NOW.getTime() + i)));
  });
  return out;
}

const window = { storefrontId: 'demo', from: new Date(NOW.getTime() - 86_400_000), to: new Date(NOW.getTime() + 86_400_000) };

describe('simulate', () => {
  it('names every claim it cannot replay, and why', () => {
    // arrange
    const entries = [
      ...claimEntries('undecided', null),
      ...claimEntries('unknown-version', { policyVersion: 7 }),
      ...claimEntries('no-order-state', { policyVersion: 3, history: false }),
    ];
    // act
    const report = simulate({ ...window, entries, versions: [policyV3], draft: demoPolicy(), pinned: new Map() });
    // assert
    expect(report.claims).toBe(0);
    expect(report.skipped).toEqual([
      { claimId: 'no-order-state', why: 'its decision recorded no order state (what other claims had taken of the order)' },
      { claimId: 'undecided', why: 'it has no decision yet' },
      { claimId: 'unknown-version', why: 'it was decided under policy version 7, which is not among the published versions' },
    ]);
  });

  it('reports a recorded decision that its own version does not reproduce, and still compares the replays', () => {
    // arrange: the ledger says €10.00 where the policy gives €30.00
    const entries = claimEntries('odd', { policyVersion: 3, edit: (d) => ({ cash: { ...d.cash, amount: 1000 } }) });
    const draft = policyWith((doc) => {
      doc.keepItThreshold = 5000;
    });
    // act
    const report = simulate({ ...window, entries, versions: [policyV3], draft, pinned: new Map() });
    // assert
    expect(report.mismatches).toHaveLength(1);
    expect(report.mismatches[0]).toMatchObject({ claimId: 'odd', recorded: { cash: 1000 }, replayed: { cash: 3000 }, history: [] });
    expect(report).toMatchObject({ claims: 1, changed: 1, byTransition: { 'return_and_refund→refund_without_return': 1 } });
    expect(report.money.cash).toEqual({ before: { EUR: 3000 }, after: { EUR: 3000 } });
  });

  it('leaves out claims received outside the window and entries of other storefronts', () => {
    // arrange
    const entries = claimEntries('in', { policyVersion: 3 });
    const other = claimEntries('elsewhere', { policyVersion: 3 }).map((e) => ({ ...e, storefrontId: 'other' }));
    // act
    const before = simulate({
      ...window,
      from: new Date(NOW.getTime() + 1000),
      entries,
      versions: [policyV3],
      draft: demoPolicy(),
      pinned: new Map(),
    });
    const inside = simulate({ ...window, entries: [...entries, ...other], versions: [policyV3], draft: demoPolicy(), pinned: new Map() });
    // assert
    expect(before.claims).toBe(0);
    expect(inside).toMatchObject({ claims: 1, changed: 0, mismatches: [], skipped: [], draftVersion: 4 });
  });
});
