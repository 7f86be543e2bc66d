import { createHash } from 'node:crypto';
import type { ClaimRequest } from './claim.ts';
import type { Decision } from './decide.ts';
import type { Money } from './money.ts';
import type { Role } from './policy.ts';

/** Every kind of step a claim's ledger records. */
export const entryTypes = [
  'received',
  'decided',
  'approval_requested',
  'approved',
  'rejected',
  'escalated',
  'settlement_refused',
  'return_authorised',
  'return_received',
  'refund_settled',
  'credit_issued',
  'email_sent',
  'closed',
  'failed',
] as const;
export type EntryType = (typeof entryTypes)[number];

/** A claim's status, as the API reports it. */
export const claimStatuses = [
  'received',
  'assessing',
  'awaiting_approval',
  'awaiting_return',
  'settled',
  'rejected',
  'closed',
  'failed',
] as const;
export type ClaimStatus = (typeof claimStatuses)[number];

/** The accounts money moves between. */
export const accounts = ['refunds_payable', 'store_credit_liability', 'goodwill_expense', 'revenue_reversal'] as const;
export type Account = (typeof accounts)[number];

/** One line of a double-entry posting, in the entry's currency. One of debit/credit is zero. */
export interface Posting {
  readonly account: Account;
  readonly debit: number;
  readonly credit: number;
}

/** Who caused an entry. */
export type Actor =
  | { readonly kind: 'system' }
  | { readonly kind: 'storefront'; readonly id: string }
  | { readonly kind: 'approver'; readonly email: string; readonly role: Role; readonly ip: string; readonly userAgent: string };

/** JSON values as stored in an entry's data. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What a use case asks to append; the ledger adds sequence, time and hashes. */
export interface EntryDraft {
  readonly type: EntryType;
  /**
   * Names this step within the claim (`decided`, `approval-decision#1`). Appending a step that is
   * already recorded returns the recorded entry instead of writing again, so retries are safe.
   */
  readonly step: string;
  readonly status: ClaimStatus;
  readonly actor: Actor;
  readonly policyVersion: number | null;
  readonly data: { readonly [key: string]: Json };
  readonly postings?: readonly Posting[];
}

/** An appended, hash-chained ledger entry. Never updated, never deleted. */
export interface LedgerEntry extends EntryDraft {
  readonly claimId: string;
  readonly seq: number;
  readonly at: string;
  readonly storefrontId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly postings: readonly Posting[];
  /** SHA-256 (hex) of the previous entry of the same claim; 64 zeros for the first. */
  readonly prevHash: string;
  /** SHA-256 (hex) of this entry's canonical serialisation without `hash`. */
  readonly hash: string;
}

/** The claim an entry belongs to. */
export interface ClaimRef {
  readonly claimId: string;
  readonly storefrontId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` dropped. The hash chain is
 * computed over this, so the same entry always hashes the same whatever the key order it was
 * stored or read with.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError('Non-finite numbers cannot be hashed');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** SHA-256 of an entry without its own `hash`. */
export function entryHash(entry: Omit<LedgerEntry, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = entry;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Builds the next entry of a claim's chain. */
export function chainEntry(claim: ClaimRef, previous: LedgerEntry | undefined, draft: EntryDraft, at: Date): LedgerEntry {
  const postings = draft.postings ?? [];
  assertBalanced(postings);
  const body: Omit<LedgerEntry, 'hash'> = {
    ...claim,
    type: draft.type,
    step: draft.step,
    status: draft.status,
    actor: draft.actor,
    policyVersion: draft.policyVersion,
    data: draft.data,
    postings,
    seq: previous === undefined ? 1 : previous.seq + 1,
    at: at.toISOString(),
    prevHash: previous === undefined ? GENESIS_HASH : previous.hash,
  };
  return { ...body, hash: entryHash(body) };
}

/** Throws unless debits equal credits and each line has exactly one non-negative side. */
export function assertBalanced(postings: readonly Posting[]): void {
  let debit = 0;
  let credit = 0;
  for (const p of postings) {
    if (!Number.isSafeInteger(p.debit) || !Number.isSafeInteger(p.credit) || p.debit < 0 || p.credit < 0 || (p.debit > 0 && p.credit > 0)) {
      throw new RangeError(`Posting to ${p.account} must have one non-negative whole side`);
    }
    debit += p.debit;
    credit += p.credit;
  }
  if (debit !== credit) throw new RangeError(`Posting does not balance: debits ${debit}, credits ${credit}`);
}

/** The first problem in a claim's chain, or undefined when it is intact. */
export function verifyChain(entries: readonly LedgerEntry[]): { seq: number; problem: string } | undefined {
  let prev: LedgerEntry | undefined;
  for (const e of entries) {
    const expectedSeq = prev === undefined ? 1 : prev.seq + 1;
    if (e.seq !== expectedSeq) return { seq: e.seq, problem: `expected sequence ${expectedSeq}` };
    if (e.prevHash !== (prev?.hash ?? GENESIS_HASH)) return { seq: e.seq, problem: 'does not link to the previous entry' };
    if (entryHash(e) !== e.hash) return { seq: e.seq, problem: 'content does not match its hash' };
    try {
      assertBalanced(e.postings);
    } catch (err) {
      return { seq: e.seq, problem: (err as Error).message };
    }
    prev = e;
  }
  return undefined;
}

/** Postings for money granted: cash refunds, credit refunds and goodwill credit. */
export function settlementPostings(cash: Money, refundCredit: Money, goodwillCredit: Money): { refund: Posting[]; credit: Posting[] } {
  const refund: Posting[] =
    cash.amount > 0
      ? [
          { account: 'revenue_reversal', debit: cash.amount, credit: 0 },
          { account: 'refunds_payable', debit: 0, credit: cash.amount },
        ]
      : [];
  const credit: Posting[] = [];
  if (refundCredit.amount > 0) credit.push({ account: 'revenue_reversal', debit: refundCredit.amount, credit: 0 });
  if (goodwillCredit.amount > 0) credit.push({ account: 'goodwill_expense', debit: goodwillCredit.amount, credit: 0 });
  if (refundCredit.amount + goodwillCredit.amount > 0) {
    credit.push({ account: 'store_credit_liability', debit: 0, credit: refundCredit.amount + goodwillCredit.amount });
  }
  return { refund, credit };
}

/** A decision as stored in a `decided` entry: the decision itself, as JSON. */
export type StoredDecision = Decision;

/** Stores a decision as entry data. */
export function decisionData(d: Decision): { [key: string]: Json } {
  return { decision: JSON.parse(JSON.stringify(d)) as Json };
}

/** The claim request recorded by the `received` entry. */
export function claimOf(entries: readonly LedgerEntry[]): ClaimRequest | undefined {
  const received = entries.find((e) => e.type === 'received');
  return received?.data.claim as unknown as ClaimRequest | undefined;
}

/** The latest decision, as amended by an approver who approved a lower amount. */
export function currentDecision(entries: readonly LedgerEntry[]): StoredDecision | undefined {
  let decision: StoredDecision | undefined;
  for (const e of entries) {
    if (e.type === 'decided') decision = e.data.decision as unknown as StoredDecision;
    if (e.type === 'approved' && decision) {
      const approved = e.data.approved as unknown as { cash: Money; storeCredit: Money; goodwill: Money } | undefined;
      if (approved) decision = { ...decision, ...approved };
    }
    if (e.type === 'rejected' && decision) {
      decision = {
        ...decision,
        outcome: 'rejected',
        cash: { ...decision.cash, amount: 0 },
        storeCredit: { ...decision.storeCredit, amount: 0 },
        goodwill: { ...decision.goodwill, amount: 0 },
      };
    }
  }
  return decision;
}

/** The entries since the latest `decided` entry (the current round of the claim). */
export function sinceLastDecision(entries: readonly LedgerEntry[]): readonly LedgerEntry[] {
  const i = entries.map((e) => e.type).lastIndexOf('decided');
  return i < 0 ? [] : entries.slice(i);
}

/** The claim's status: the status recorded by its latest entry. */
export function statusOf(entries: readonly LedgerEntry[]): ClaimStatus | undefined {
  return entries.at(-1)?.status;
}
