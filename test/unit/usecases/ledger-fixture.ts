import { entryItem, itemEntry, itemFiling } from '#adapters/dynamo-ledger.ts';
import { cashAgainPostings, parseActionId, payoutPostings, recoveryPostings } from '#domain/actions.ts';
import type { ClaimRequest, Reason } from '#domain/claim.ts';
import {
  type ClaimRef,
  chainEntry,
  type EntryDataByType,
  type EntryDraft,
  type EntryType,
  type LedgerEntry,
  settlementPostings,
} from '#domain/ledger.ts';
import { grantedBy } from '#domain/ledger-audit.ts';
import { money } from '#domain/money.ts';
import type { LedgerPage, LedgerStore, OrderTotal, StateStore } from '#ports';
import { claimOf } from '../domain/fixtures.ts';

/**
 * A small real ledger built with `chainEntry`, held in memory behind the same ports the DynamoDB
 * adapters implement. It stores DynamoDB's items (`entryItem`: the entry plus its key and index
 * attributes), so tampering with an entry's fields leaves its keys and index attributes as they
 * were, as a raw write to the table would. Entries by claim come in key order, by order and by
 * storefront in index (time key) order.
 */
export class MemoryLedger implements LedgerStore {
  /** claimId → the items of its partition (any order; reads sort them by key). */
  readonly claims = new Map<string, Item[]>();
  /** `<storefront>#<order>` → the running total. */
  readonly totals = new Map<string, OrderTotal>();

  private items(): Item[] {
    return [...this.claims.values()].flat();
  }
  /** Every entry, as stored. */
  all(): LedgerEntry[] {
    return this.items().map(entryOf);
  }
  async entries(claimId: string): Promise<LedgerEntry[]> {
    const items = (this.claims.get(claimId) ?? []).filter((i) => i.pk === `CLAIM#${claimId}`);
    return structuredClone(items.sort((a, b) => (a.sk < b.sk ? -1 : 1)).map(entryOf));
  }
  append(): Promise<LedgerEntry> {
    throw new Error('the audit never appends');
  }
  async customerEntries(): Promise<LedgerEntry[]> {
    throw new Error('the audit never reads by customer');
  }
  private byTime(filter: (i: Item) => boolean): Item[] {
    return this.items()
      .filter(filter)
      .sort((a, b) => (a.timeKey < b.timeKey ? -1 : 1));
  }
  async orderEntries(storefrontId: string, orderId: string): Promise<LedgerEntry[]> {
    return structuredClone(this.byTime((i) => i.orderKey === `${storefrontId}#${orderId}`).map(entryOf));
  }
  async storefrontEntries(args: {
    storefrontId: string;
    from: Date;
    to: Date;
    cursor?: string;
    limit?: number;
    withFiling?: boolean;
  }): Promise<LedgerPage> {
    const from = args.from.toISOString();
    const to = args.to.toISOString();
    const all = this.byTime((i) => i.dayKey.startsWith(`${args.storefrontId}#`) && i.timeKey >= from && i.timeKey <= to);
    const start = Number(args.cursor ?? 0);
    const limit = args.limit ?? 500;
    const page = all.slice(start, start + limit);
    return {
      entries: structuredClone(page.map(entryOf)),
      next: start + limit < all.length ? String(start + limit) : null,
      ...(args.withFiling ? { filed: page.map((i) => itemFiling(i as unknown as Record<string, unknown>)) } : {}),
    };
  }
  /** The state port, as far as the audit reads it. */
  state(): Pick<StateStore, 'storefronts' | 'orderTotal' | 'orderTotals'> {
    return {
      storefronts: async () => ['demo'],
      orderTotal: async (storefrontId, orderId) => {
        const t = this.totals.get(`${storefrontId}#${orderId}`);
        return t ? structuredClone(t) : undefined;
      },
      orderTotals: async (storefrontId, orderIds) => {
        const out = new Map<string, OrderTotal>();
        for (const id of orderIds) {
          const t = this.totals.get(`${storefrontId}#${id}`);
          if (t) out.set(id, structuredClone(t));
        }
        return out;
      },
    };
  }
}

/** A stored item: an entry with its key and index attributes. */
export type Item = LedgerEntry & { pk: string; sk: string; orderKey: string; customerKey: string; dayKey: string; timeKey: string };

/** The entry in a stored item. */
export const entryOf = (i: Item): LedgerEntry => itemEntry(i as unknown as Record<string, unknown>);

/** The claim an item's entry names. */
export const refOf = (i: Item): ClaimRef => ({
  claimId: i.claimId,
  storefrontId: i.storefrontId,
  orderId: i.orderId,
  customerId: i.customerId,
  currency: i.currency,
});

/** The item DynamoDB would store for an entry. */
export const toItem = (e: LedgerEntry): Item => JSON.parse(JSON.stringify(entryItem(e))) as Item;

const T0 = Date.parse('2026-11-20T09:00:00Z');
const system = { kind: 'system' } as const;

/** A claim for one 200.00 box on the order of `ref`, by its customer, as the intake accepts it. */
export function claimFor(ref: ClaimRef, reason: Reason): ClaimRequest {
  const claim = claimOf({ items: [{ sku: 'BOX', category: 'home', unitPrice: 20000 }], reason, customerId: ref.customerId });
  return { ...claim, order: { ...claim.order, id: ref.orderId } };
}

/** An entry type with data of that type. */
export type TypedData = { [T in EntryType]: { readonly type: T; readonly data: EntryDataByType[T] } }[EntryType];

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const sampleRef: ClaimRef = { claimId: 'CLM-S', storefrontId: 'demo', orderId: 'ORD-9', customerId: 'C-9', currency: 'EUR' };
const sampleProposal = { cash: eur(2750), storeCredit: eur(0) };

/** Real data for each type of entry, for tests that do not read an entry's data. */
export const samples: { readonly [T in EntryType]: Extract<TypedData, { type: T }> } = {
  received: { type: 'received', data: { claim: claimFor(sampleRef, 'damaged'), idempotencyKey: 'key-1' } },
  decided: {
    type: 'decided',
    data: {
      decision: {
        outcome: 'return_and_refund',
        ...sampleProposal,
        goodwill: eur(0),
        returnRequired: true,
        tier: 'agent',
        policyVersion: 3,
        rules: [],
        units: [{ sku: 'BOX', quantity: 1 }],
      },
    },
  },
  approval_requested: {
    type: 'approval_requested',
    data: { round: 1, role: 'agent', approvers: ['agent@demo.test'], deadline: '2026-11-23T09:00:00.000Z', proposal: sampleProposal },
  },
  approved: { type: 'approved', data: { round: 1, note: '', proposal: sampleProposal, approved: { ...sampleProposal, goodwill: eur(0) } } },
  rejected: { type: 'rejected', data: { round: 1, note: 'Not covered', proposal: sampleProposal } },
  escalated: { type: 'escalated', data: { round: 1, from: 'agent', to: 'supervisor', reason: 'approval_timed_out' } },
  settlement_refused: { type: 'settlement_refused', data: { reason: 'The order cap is reached', requested: eur(2750) } },
  return_authorised: { type: 'return_authorised', data: { deadline: '2026-12-20T09:00:00.000Z', items: [{ sku: 'BOX', quantity: 1 }] } },
  return_received: {
    type: 'return_received',
    data: { items: [{ sku: 'BOX', quantity: 1, condition: 'as_new' }], receivedAt: '2026-11-25T09:00:00.000Z' },
  },
  refund_settled: { type: 'refund_settled', data: { amount: eur(2750), method: 'original_payment' } },
  credit_issued: { type: 'credit_issued', data: { amount: eur(1100), goodwill: eur(100) } },
  replacement_requested: { type: 'replacement_requested', data: { items: [{ sku: 'BOX', quantity: 1 }] } },
  action_succeeded: {
    type: 'action_succeeded',
    data: { actionId: 'act_CLM-S_3', provider: 'stripe', reference: 're_1', amount: eur(2750) },
  },
  action_failed: {
    type: 'action_failed',
    data: { actionId: 'act_CLM-S_3', provider: 'stripe', reference: 're_1', amount: eur(2750), failureReason: 'card closed' },
  },
  action_cancelled: { type: 'action_cancelled', data: { actionId: 'act_CLM-S_4', reason: 'cash_requested' } },
  followup_opened: {
    type: 'followup_opened',
    data: { reason: 'offer_alternative', role: 'agent', due: '2026-11-26T10:00:00.000Z', email: 'email:outcome' },
  },
  followup_closed: { type: 'followup_closed', data: { followUpId: 'fu_CLM-S_5', note: 'Called the customer; a repair is booked.' } },
  email_sent: { type: 'email_sent', data: { kind: 'outcome', to: 'x@example.com', subject: 'Your claim', messageId: 'msg-1' } },
  email_not_sent: {
    type: 'email_not_sent',
    data: {
      kind: 'outcome',
      to: 'x@example.com',
      subject: 'Your claim',
      reason: 'suppressed',
      cause: 'bounce',
      since: '2026-11-01T09:00:00.000Z',
    },
  },
  email_bounced: {
    type: 'email_bounced',
    data: {
      email: 'email:outcome',
      to: 'x@example.com',
      messageId: 'msg-1',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      status: '5.1.1',
      feedbackId: 'fb-1',
      bouncedAt: '2026-11-01T09:00:00.000Z',
      suppressed: true,
    },
  },
  email_complained: {
    type: 'email_complained',
    data: {
      email: 'email:outcome',
      to: 'x@example.com',
      messageId: 'msg-1',
      feedbackType: 'abuse',
      feedbackId: 'fb-2',
      complainedAt: '2026-11-01T09:00:00.000Z',
      suppressed: true,
    },
  },
  closed: { type: 'closed', data: { reason: 'return_not_received', items: [{ sku: 'BOX', quantity: 1 }] } },
  failed: { type: 'failed', data: { error: 'TransientError', cause: 'DynamoDB is unavailable', resume: { next: 'conclude' } } },
  retried: { type: 'retried', data: { round: 1, execution: 'CLM-S-retry-1', resume: { next: 'conclude' } } },
};

/** The fields of a draft that {@link draft} fills in when left out. */
type Defaulted = 'step' | 'actor' | 'policyVersion';

/** A draft that may leave out its step (then its type), actor (the system) and policy version (3). */
type DraftSpec = {
  [T in EntryType]: Omit<Extract<EntryDraft, { type: T }>, Defaulted> & Partial<Pick<EntryDraft, Defaulted>>;
}[EntryType];

function draft(spec: DraftSpec): EntryDraft {
  return { step: spec.type, actor: system, policyVersion: 3, ...spec };
}

/** The shape of each claim in {@link buildLedger}. */
const plans = [
  {
    claimId: 'CLM-A',
    orderId: 'ORD-1',
    reason: 'damaged',
    outcome: 'refund_without_return',
    cash: 2750,
    credit: 0,
    goodwill: 0,
    tier: 'auto',
  },
  { claimId: 'CLM-B', orderId: 'ORD-2', reason: 'late_delivery', outcome: 'goodwill', cash: 0, credit: 500, goodwill: 500, tier: 'auto' },
  {
    claimId: 'CLM-C',
    orderId: 'ORD-3',
    reason: 'defective',
    outcome: 'return_and_refund',
    cash: 9399,
    credit: 0,
    goodwill: 0,
    tier: 'agent',
  },
  {
    claimId: 'CLM-D',
    orderId: 'ORD-3',
    reason: 'missing_item',
    outcome: 'store_credit',
    cash: 0,
    credit: 1100,
    goodwill: 100,
    tier: 'auto',
  },
  { claimId: 'CLM-E', orderId: 'ORD-4', reason: 'changed_mind', outcome: 'rejected', cash: 0, credit: 0, goodwill: 0, tier: 'auto' },
  { claimId: 'CLM-F', orderId: 'ORD-5', reason: 'wrong_item', outcome: 'replacement', cash: 0, credit: 0, goodwill: 0, tier: 'auto' },
] as const;

/**
 * Six claims of storefront `demo` over three days (2026-11-20 … 22), two on one order, with
 * refunds, credits (one with goodwill), a rejection and a replacement, and order totals that
 * match: a clean ledger to tamper with.
 */
export function buildLedger(): MemoryLedger {
  built ??= chainLedger();
  const ledger = new MemoryLedger();
  for (const [id, chain] of built.claims) ledger.claims.set(id, JSON.parse(JSON.stringify(chain)) as Item[]);
  for (const [key, total] of built.totals) ledger.totals.set(key, structuredClone(total));
  return ledger;
}

let built: MemoryLedger | undefined;

function chainLedger(): MemoryLedger {
  const ledger = new MemoryLedger();
  plans.forEach((p, i) => {
    const ref: ClaimRef = { claimId: p.claimId, storefrontId: 'demo', orderId: p.orderId, customerId: `C-${i}`, currency: 'EUR' };
    const postings = settlementPostings(money(p.cash, 'EUR'), money(p.credit - p.goodwill, 'EUR'), money(p.goodwill, 'EUR'));
    const claim = claimFor(ref, p.reason);
    const drafts: EntryDraft[] = [
      draft({
        type: 'received',
        status: 'received',
        actor: { kind: 'storefront', id: 'demo' },
        policyVersion: null,
        data: {
          claim: { ...claim, complaint: { ...claim.complaint, message: 'Ça <b>"cassé"</b> — 壊れた' } },
          idempotencyKey: `key-${p.claimId}`,
        },
      }),
      draft({
        type: 'decided',
        status: 'assessing',
        data: {
          decision: {
            outcome: p.outcome,
            cash: eur(p.cash),
            storeCredit: eur(p.credit),
            goodwill: eur(p.goodwill),
            returnRequired: p.outcome === 'return_and_refund',
            tier: p.tier,
            policyVersion: 3,
            rules: [],
            // Rejections and goodwill for a late delivery cover no units.
            units: p.outcome === 'rejected' || p.outcome === 'goodwill' ? [] : claim.complaint.items,
          },
        },
      }),
    ];
    if (p.cash > 0)
      drafts.push(
        draft({
          type: 'refund_settled',
          status: 'assessing',
          data: { amount: eur(p.cash), method: 'original_payment' },
          postings: postings.refund,
        }),
      );
    if (p.credit > 0)
      drafts.push(
        draft({
          type: 'credit_issued',
          status: 'assessing',
          data: { amount: eur(p.credit), goodwill: eur(p.goodwill) },
          postings: postings.credit,
        }),
      );
    drafts.push(
      draft({
        type: 'email_sent',
        status: p.outcome === 'rejected' ? 'rejected' : 'settled',
        step: 'email:outcome',
        data: { kind: 'outcome', to: claim.customer.email, subject: 'Your claim', messageId: `msg-${p.claimId}` },
      }),
    );
    const chain: LedgerEntry[] = [];
    drafts.forEach((d, k) => {
      // Claims spread over three days; the last entries of C cross midnight.
      const at = new Date(T0 + i * 10 * 3_600_000 + k * 1_200_000);
      chain.push(chainEntry(ref, chain.at(-1), d, at));
    });
    // A copy: drafts share objects (the system actor), and a tamper test must change one entry only.
    ledger.claims.set(p.claimId, chain.map(toItem));
    // The running total counts refund value: goodwill is outside the order's refund cap.
    const granted = p.cash + p.credit - p.goodwill;
    if (granted > 0) {
      const key = `demo#${p.orderId}`;
      const t = ledger.totals.get(key);
      ledger.totals.set(key, {
        granted: (t?.granted ?? 0) + granted,
        paid: 20000,
        currency: 'EUR',
        claims: [...(t?.claims ?? []), p.claimId].sort(),
      });
    }
  });
  return ledger;
}

/** The window that holds every entry of {@link buildLedger}. */
export const WINDOW = { from: new Date('2026-11-19T00:00:00Z'), to: new Date('2026-11-24T00:00:00Z') } as const;

// ---------------------------------------------------------------------------------------------
// Actions: claims whose refunds, credits and replacements the shop answers (reconciliation tests)

/** A draft that may leave out its step (then its type), actor (the system) and policy version (3). */
export type EntrySpec = DraftSpec;

/** One claim's entries as stored, in sequence order. */
export function chainOf(ledger: MemoryLedger, claimId: string): LedgerEntry[] {
  return [...(ledger.claims.get(claimId) ?? [])].sort((a, b) => a.seq - b.seq).map(entryOf);
}

/** Every claim's entries as stored, in sequence order, claim by claim. */
export function chainsOf(ledger: MemoryLedger): LedgerEntry[][] {
  return [...ledger.claims.keys()].map((id) => chainOf(ledger, id));
}

/** A claim of storefront `demo` on `orderId`, in EUR. */
export function claimRef(claimId: string, orderId: string, customerId = `C-${claimId}`): ClaimRef {
  return { claimId, storefrontId: 'demo', orderId, customerId, currency: 'EUR' };
}

/**
 * Appends entries to a claim (starting it when it has none), chained as the ledger would: the
 * first at `at`, each next 20 minutes later. The order's running total is brought up to what its
 * entries grant, as the use cases keep it, so that `verifyLedger` finds the ledger clean.
 */
export function appendEntries(ledger: MemoryLedger, ref: ClaimRef, specs: readonly EntrySpec[], at: Date): LedgerEntry[] {
  const chain = chainOf(ledger, ref.claimId);
  const added: LedgerEntry[] = [];
  specs.forEach((spec, k) => {
    const e = chainEntry(ref, added.at(-1) ?? chain.at(-1), draft(spec), new Date(at.getTime() + k * 1_200_000));
    added.push(e);
  });
  ledger.claims.set(ref.claimId, [...(ledger.claims.get(ref.claimId) ?? []), ...added.map(toItem)]);
  const onOrder = ledger.all().filter((e) => e.storefrontId === ref.storefrontId && e.orderId === ref.orderId);
  const granted = onOrder.reduce((s, e) => s + grantedBy(e), 0);
  const claims = [...new Set(onOrder.filter((e) => grantedBy(e) > 0).map((e) => e.claimId))].sort();
  if (granted > 0) ledger.totals.set(`${ref.storefrontId}#${ref.orderId}`, { granted, paid: 20000, currency: 'EUR', claims });
  return added;
}

/** The claim's `received` entry: a 200.00 box, damaged. */
export function received(ref: ClaimRef): EntrySpec {
  return {
    type: 'received',
    status: 'received',
    actor: { kind: 'storefront', id: ref.storefrontId },
    policyVersion: null,
    data: { claim: claimFor(ref, 'damaged'), idempotencyKey: `key-${ref.claimId}` },
  };
}

/** A cash refund asked of the shop (`refund_settled`), with its postings. */
export function refundAsked(cents: number): EntrySpec {
  return {
    type: 'refund_settled',
    status: 'settled',
    data: { amount: eur(cents), method: 'original_payment', items: [{ sku: 'BOX', quantity: 1 }] },
    postings: settlementPostings(money(cents, 'EUR'), money(0, 'EUR'), money(0, 'EUR')).refund,
  };
}

/** Store credit asked of the shop (`credit_issued`), `goodwill` of it a bonus, with its postings. */
export function creditAsked(cents: number, goodwill = 0): EntrySpec {
  return {
    type: 'credit_issued',
    status: 'settled',
    data: { amount: eur(cents), goodwill: eur(goodwill), items: cents > goodwill ? [{ sku: 'BOX', quantity: 1 }] : [] },
    postings: settlementPostings(money(0, 'EUR'), money(cents - goodwill, 'EUR'), money(goodwill, 'EUR')).credit,
  };
}

/** A replacement of the box asked of the shop. */
export function replacementAsked(): EntrySpec {
  return { type: 'replacement_requested', status: 'settled', data: { items: [{ sku: 'BOX', quantity: 1 }] } };
}

function answerStep(actionId: string): string {
  return `action#${parseActionId(actionId)?.seq ?? 0}`;
}

/** The shop reports a refund paid: `cents` leave `refunds_payable` for `cash`. `expected`: a person recorded another amount. */
export function refundPaid(actionId: string, cents: number, expected?: number): EntrySpec {
  return {
    type: 'action_succeeded',
    step: answerStep(actionId),
    status: 'settled',
    actor: expected === undefined ? { kind: 'storefront', id: 'demo' } : { kind: 'operator', name: 'jo' },
    data: {
      actionId,
      provider: 'stripe',
      reference: `re_${actionId}`,
      amount: eur(cents),
      ...(expected !== undefined ? { expected: eur(expected) } : {}),
    },
    postings: payoutPostings(money(cents, 'EUR')),
  };
}

/** The shop reports a store credit issued or a replacement shipped (no postings). */
export function actionDone(actionId: string, cents: number): EntrySpec {
  return {
    type: 'action_succeeded',
    step: answerStep(actionId),
    status: 'settled',
    actor: { kind: 'storefront', id: 'demo' },
    data: { actionId, provider: 'shop', reference: `ref_${actionId}`, amount: eur(cents) },
  };
}

/** The shop reports that it could not do what an action asked. */
export function actionFailed(actionId: string, cents: number, failureReason = 'card closed'): EntrySpec {
  return {
    type: 'action_failed',
    step: answerStep(actionId),
    status: 'settled',
    actor: { kind: 'storefront', id: 'demo' },
    data: { actionId, provider: 'stripe', reference: `fail_${actionId}`, amount: eur(cents), failureReason },
  };
}

/** A failed refund given as store credit instead, with a bonus (`recovers` it). */
export function recoveryCredit(refundActionId: string, refundCents: number, bonus: number): EntrySpec {
  return {
    type: 'credit_issued',
    step: `recovery#${parseActionId(refundActionId)?.seq ?? 0}`,
    status: 'settled',
    data: { amount: eur(refundCents + bonus), goodwill: eur(bonus), items: [{ sku: 'BOX', quantity: 1 }], recovers: refundActionId },
    postings: recoveryPostings(money(refundCents, 'EUR'), money(bonus, 'EUR')),
  };
}

/** The customer asks for the cash again instead of a recovery credit (`replaces` it), the bonus taken back. */
export function cashAgain(creditActionId: string, creditCents: number, bonus: number): EntrySpec {
  return {
    type: 'refund_settled',
    step: `cash-again#${parseActionId(creditActionId)?.seq ?? 0}`,
    status: 'settled',
    data: { amount: eur(creditCents - bonus), method: 'original_payment', items: [{ sku: 'BOX', quantity: 1 }], replaces: creditActionId },
    postings: cashAgainPostings(money(creditCents, 'EUR'), money(bonus, 'EUR')),
  };
}

/** A store credit withdrawn before the shop answered: the customer asked for cash instead. */
export function actionWithdrawn(actionId: string): EntrySpec {
  return { type: 'action_cancelled', step: answerStep(actionId), status: 'settled', data: { actionId, reason: 'cash_requested' } };
}
