import { createHash } from 'node:crypto';
import type { ClaimRequest } from './claim.ts';
import type { Decision } from './decide.ts';
import type { FollowUpReason } from './followups.ts';
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
  'replacement_requested',
  'action_succeeded',
  'action_failed',
  'action_cancelled',
  'followup_opened',
  'followup_closed',
  'email_sent',
  'email_not_sent',
  'email_bounced',
  'email_complained',
  'closed',
  'failed',
  'retried',
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

/**
 * The accounts money moves between. `refunds_payable` is cash owed to customers; `cash` is cash
 * that actually left, when the storefront reports a refund paid.
 */
export const accounts = ['refunds_payable', 'store_credit_liability', 'goodwill_expense', 'revenue_reversal', 'cash'] as const;
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
  | { readonly kind: 'approver'; readonly email: string; readonly role: Role; readonly ip: string; readonly userAgent: string }
  /** A person working the ledger by command (`makegood actions succeed`), by the name they gave. */
  | { readonly kind: 'operator'; readonly name: string };

/** Who made an entry, in a few words: `system`, `storefront:<id>`, `<role>:<email>` or `operator:<name>`. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'system':
      return 'system';
    case 'storefront':
      return `storefront:${actor.id}`;
    case 'approver':
      return `${actor.role}:${actor.email}`;
    case 'operator':
      return `operator:${actor.name}`;
  }
}

/** JSON values as stored in an entry's data. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Money as stored in entry data. */
interface StoredMoney {
  readonly amount: number;
  readonly currency: string;
}

/** A decision's proposal as an approval round records it. */
interface Proposal {
  readonly cash: StoredMoney;
  readonly storeCredit: StoredMoney;
}

/** The units one line of a return authorisation or report names. */
interface UnitLine {
  readonly sku: string;
  readonly quantity: number;
}

/** What every report of an action's result records. */
interface ActionResultData {
  readonly actionId: string;
  readonly provider: string;
  readonly reference: string;
  readonly amount: StoredMoney;
}

/**
 * What each type of entry records in its `data`. The ledger stores it as JSON; readers narrow an
 * entry by its `type` and read typed fields, with no casts.
 */
export interface EntryDataByType {
  received: { readonly claim: ClaimRequest; readonly idempotencyKey: string };
  decided: {
    readonly decision: Decision;
    /** What the decision knew of the customer and order (absent on a graded round). */
    readonly history?: Json;
    /** A graded round: the goods that came back, graded by their condition. */
    readonly graded?: true;
    readonly returned?: readonly ReturnedLine[];
    /** What this round's units would have refunded had they all come back as new. */
    readonly ungraded?: StoredMoney;
  };
  approval_requested: {
    readonly round: number;
    readonly role: Role;
    readonly approvers: readonly string[];
    readonly deadline: string;
    readonly proposal: Proposal;
  };
  approved: {
    readonly round: number;
    readonly note: string;
    /** What the approver wrote to the customer; it reaches the outcome email. */
    readonly customerNote?: string;
    readonly proposal: Proposal;
    readonly approved: { readonly cash: StoredMoney; readonly storeCredit: StoredMoney; readonly goodwill: StoredMoney };
  };
  rejected: {
    readonly by?: 'policy';
    readonly round?: number;
    readonly note?: string;
    /** What the approver wrote to the customer; it reaches the outcome email. */
    readonly customerNote?: string;
    readonly proposal?: Proposal;
  };
  escalated: { readonly round: number; readonly from: Role; readonly to: Role | null; readonly reason?: 'approval_timed_out' };
  settlement_refused: { readonly reason: string; readonly requested: StoredMoney };
  return_authorised: { readonly deadline: string; readonly items: readonly UnitLine[] };
  return_received: {
    readonly items: readonly (UnitLine & { readonly condition?: ReturnedLine['condition'] })[];
    readonly receivedAt: string;
    /** Older reports gave one condition for every item. */
    readonly condition?: ReturnedLine['condition'];
    readonly tracking?: string;
  };
  /**
   * A cash refund granted and asked of the shop: the `refund` action (its id is this entry's).
   * `items`: the units it refunds (older entries lack it: the decision's units). `replaces`: the
   * store-credit action this cash is given instead of, when the customer asked for cash again;
   * `revokeCreditCode`: that credit's code, which the shop must void, when it was issued already.
   */
  refund_settled: {
    readonly amount: StoredMoney;
    readonly method: 'original_payment';
    readonly items?: readonly UnitLine[];
    readonly replaces?: string;
    readonly revokeCreditCode?: string;
  };
  /**
   * Store credit granted and asked of the shop: the `store_credit` action. `goodwill` is the part
   * that is not refund value. `recovers`: the failed refund action this credit is given instead of.
   */
  credit_issued: {
    readonly amount: StoredMoney;
    readonly goodwill: StoredMoney;
    readonly items?: readonly UnitLine[];
    readonly recovers?: string;
  };
  /** A replacement asked of the shop: the `replacement` action. */
  replacement_requested: { readonly items: readonly UnitLine[] };
  /**
   * The shop did what an action asked. `amount` is what it reports; `expected`, only when a person
   * recorded another amount than the action's (`makegood actions succeed --amount`), is the action's.
   */
  action_succeeded: ActionResultData & {
    readonly creditCode?: string;
    readonly tracking?: string;
    readonly expected?: StoredMoney;
  };
  /** The shop could not do what an action asked. */
  action_failed: ActionResultData & { readonly failureReason: string };
  /** An action withdrawn before the shop answered it: the customer asked for cash instead of the credit. */
  action_cancelled: { readonly actionId: string; readonly reason: 'cash_requested' };
  /**
   * A person was promised to the customer (an email said someone will get in touch): the task
   * that keeps the promise, for a role, due by `due`. Its id is this entry's (`fu_<claim>_<seq>`);
   * `email` is the step of the email that made the promise.
   */
  followup_opened: { readonly reason: FollowUpReason; readonly role: Role; readonly due: string; readonly email: string };
  /** The promise kept: the person who closed the task and what they did (`note`). */
  followup_closed: { readonly followUpId: string; readonly note: string };
  email_sent: { readonly kind: string; readonly to: string; readonly subject: string; readonly messageId: string };
  /**
   * An email the step would have sent and did not, so nothing later claims its reader was told:
   * the address is on makegood's suppression list (it bounced for good, or its owner complained),
   * `since` when and `cause` why. Recorded under the email's own step, which is then done.
   */
  email_not_sent: {
    readonly kind: string;
    readonly to: string;
    readonly subject: string;
    readonly reason: 'suppressed';
    readonly cause: SuppressionCause;
    readonly since: string;
  };
  /**
   * SES reported that the email of step `email` bounced. `Permanent` (the address does not take
   * mail) puts the address on the suppression list (`suppressed`); `Transient` and `Undetermined`
   * (a full mailbox, a server that gave up for now) are recorded and not suppressed.
   */
  email_bounced: {
    readonly email: string;
    readonly to: string;
    readonly messageId: string;
    readonly bounceType: 'Permanent' | 'Transient' | 'Undetermined';
    readonly bounceSubType: string;
    /** The SMTP status the receiving server gave (`5.1.1`), when SES has one. */
    readonly status?: string;
    readonly feedbackId: string;
    /** When the bounce happened, as SES reports it (ISO 8601). */
    readonly bouncedAt: string;
    readonly suppressed: boolean;
  };
  /** SES reported that the reader of the email of step `email` marked it as spam: the address is suppressed. */
  email_complained: {
    readonly email: string;
    readonly to: string;
    readonly messageId: string;
    /** The complaint's type as the mailbox provider reports it (`abuse`, `not-spam`, …), when it gives one. */
    readonly feedbackType?: string;
    readonly feedbackId: string;
    readonly complainedAt: string;
    readonly suppressed: true;
  };
  closed: { readonly reason: 'return_not_received'; readonly items?: readonly UnitLine[] };
  failed: {
    readonly error: string;
    readonly cause: string;
    /** Where the workflow stood: what the failed step was given. Absent when it was the decision itself. */
    readonly resume?: FlowPoint;
    /** When it is retried by itself (a transient error, within the automatic rounds); absent: left to an operator. */
    readonly retryAt?: string;
  };
  /** An operator re-ran a failed claim (`makegood claims retry`): its workflow starts again from `resume`. */
  retried: { readonly round: number; readonly execution: string; readonly resume: FlowPoint | null };
}

/** Why an address is on makegood's suppression list: it bounced for good, or its owner complained. */
export type SuppressionCause = 'bounce' | 'complaint';

/**
 * The claim's outcome emails, one per settlement round: each that went out (`email_sent`) and each
 * that the suppression list held back (`email_not_sent`). Either closes its round.
 */
export function outcomeEmails(entries: readonly LedgerEntry[]): (EntryOf<'email_sent'> | EntryOf<'email_not_sent'>)[] {
  return entries.filter(
    (e): e is EntryOf<'email_sent'> | EntryOf<'email_not_sent'> =>
      (e.type === 'email_sent' || e.type === 'email_not_sent') && e.data.kind === 'outcome',
  );
}

/** The step a claim's workflow goes to next, with what that step needs (the ASL's Route reads `next`). */
export interface FlowPoint {
  readonly next: 'conclude' | 'settle_part' | 'approval' | 'return' | 'done';
  readonly approval?: {
    readonly round: number;
    readonly role: Role;
    readonly waitSeconds: number;
    readonly remindAfterSeconds: number;
    readonly afterReminderSeconds: number;
  };
  readonly returnWaitSeconds?: number;
}

interface DraftFields<T extends EntryType> {
  readonly type: T;
  /**
   * Names this step within the claim (`decided`, `approval-decision#1`). Appending a step that is
   * already recorded returns the recorded entry instead of writing again, so retries are safe.
   */
  readonly step: string;
  readonly status: ClaimStatus;
  readonly actor: Actor;
  readonly policyVersion: number | null;
  readonly data: EntryDataByType[T];
  readonly postings?: readonly Posting[];
}

/** What a use case asks to append; the ledger adds sequence, time and hashes. */
export type EntryDraft = { [T in EntryType]: DraftFields<T> }[EntryType];

/** The fields the ledger adds to a draft. */
interface EntryFields {
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

/** An appended, hash-chained ledger entry. Never updated, never deleted. */
export type LedgerEntry = { [T in EntryType]: DraftFields<T> & EntryFields }[EntryType];

/** An appended entry of one type. */
export type EntryOf<T extends EntryType> = Extract<LedgerEntry, { type: T }>;

/** The entries of one type, narrowed. */
export function entriesOf<T extends EntryType>(entries: readonly LedgerEntry[], type: T): EntryOf<T>[] {
  return entries.filter((e): e is EntryOf<T> => e.type === type);
}

/** The return deadline the claim's first return authorisation set (ISO), if it has one. */
export function returnDeadline(entries: readonly LedgerEntry[]): string | undefined {
  return entriesOf(entries, 'return_authorised')[0]?.data.deadline;
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
  // The draft is spread whole so that its type and data stay paired (one entry type each).
  const { postings: _given, ...fields } = draft;
  const body = {
    ...claim,
    ...fields,
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

/** Stores a decision as entry data: a plain copy, as it will read back from the ledger. */
export function decisionData(d: Decision): { decision: Decision } {
  return { decision: structuredClone(d) };
}

/** The claim request recorded by the `received` entry. */
export function claimOf(entries: readonly LedgerEntry[]): ClaimRequest | undefined {
  return entriesOf(entries, 'received')[0]?.data.claim;
}

/** The latest decision, as amended by an approver who approved a lower amount. */
export function currentDecision(entries: readonly LedgerEntry[]): StoredDecision | undefined {
  let decision: StoredDecision | undefined;
  for (const e of entries) {
    if (e.type === 'decided') decision = e.data.decision;
    if (e.type === 'approved' && decision && e.data.approved) decision = { ...decision, ...e.data.approved };
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
/** The note to the customer of the claim's latest approval answer, if its approver wrote one. */
export function customerNoteOf(entries: readonly LedgerEntry[]): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e?.type === 'approved' || (e?.type === 'rejected' && e.data.by !== 'policy')) return e.data.customerNote || undefined;
  }
  return undefined;
}

export function statusOf(entries: readonly LedgerEntry[]): ClaimStatus | undefined {
  return entries.at(-1)?.status;
}

/**
 * The id a claim's grants are recorded under in the stored totals (order total, goodwill budget):
 * the claim id for its first settlement round, `<claimId>#<round>` for later ones.
 */
export function grantIdOf(claimId: string, round: number): string {
  return round > 1 ? `${claimId}#${round}` : claimId;
}

/** The claim a grant id belongs to (see {@link grantIdOf}). */
export function claimOfGrant(grantId: string): string {
  return grantId.split('#')[0] ?? grantId;
}

/** Units the storefront reported back, each with the condition it arrived in. */
export interface ReturnedLine {
  readonly sku: string;
  readonly quantity: number;
  readonly condition: 'as_new' | 'used' | 'damaged';
}

/** The units one `return_received` entry reports (older entries gave one condition for all). */
export function returnedLinesOf(entry: EntryOf<'return_received'>): ReturnedLine[] {
  const fallback = entry.data.condition ?? 'as_new';
  return entry.data.items.map((i) => ({ sku: i.sku, quantity: i.quantity, condition: i.condition ?? fallback }));
}

/** Every unit reported back so far, report by report. */
export function allReturned(entries: readonly LedgerEntry[]): ReturnedLine[] {
  return entriesOf(entries, 'return_received').flatMap(returnedLinesOf);
}

/** Whether a `decided` entry grades returned goods (a later round of a claim whose goods came back). */
export function isGraded(entry: LedgerEntry): entry is EntryOf<'decided'> {
  return entry.type === 'decided' && entry.data.graded === true;
}

/**
 * The decision that authorised the claim's return, as an approver amended it: the current
 * decision up to the first graded one. Undefined when no decision asked for the goods back.
 */
export function authorisingDecision(entries: readonly LedgerEntry[]): StoredDecision | undefined {
  const firstGraded = entries.findIndex(isGraded);
  const decision = currentDecision(firstGraded < 0 ? entries : entries.slice(0, firstGraded));
  return decision?.returnRequired ? decision : undefined;
}

/** Units by sku: the sum of the lines given. */
export function unitsBySku(lines: readonly { sku: string; quantity: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.sku, (out.get(l.sku) ?? 0) + l.quantity);
  return out;
}

/**
 * The authorised units that have not come back yet (authorised minus every report so far), by
 * sku; empty when the claim asked for no return or everything arrived.
 */
export function outstandingUnits(entries: readonly LedgerEntry[]): { sku: string; quantity: number }[] {
  const authorised = authorisingDecision(entries);
  if (!authorised) return [];
  const back = unitsBySku(allReturned(entries));
  return authorised.units.map((u) => ({ sku: u.sku, quantity: u.quantity - (back.get(u.sku) ?? 0) })).filter((u) => u.quantity > 0);
}
