import { type Action, type ActionType, actionsOf } from './actions.ts';
import type { Account, LedgerEntry } from './ledger.ts';
import { type Money, money } from './money.ts';

/**
 * Reconciliation of actions: what makegood asked of the shop against what the shop answered, as
 * finance reads it at the end of a month. Pure: the use cases read the claims, this decides.
 *
 * The integrity checks (`ledger-audit.ts`) say whether the ledger was edited; this says what is
 * still to be done about an intact one: an answer the shop owes, a payout booked for another
 * amount, a failure nobody took care of. Nothing here is tampering.
 */

/** How many days an action may wait for the shop's answer before reconciliation lists it. */
export const DEFAULT_STALE_DAYS = 7;

const DAY_MS = 86_400_000;

/** An action the shop has not answered, older than the allowed wait. */
export interface StaleAction {
  readonly action: Action;
  /** Days from the request to the moment of the reconciliation (not rounded). */
  readonly ageDays: number;
}

/** An action recorded as done, but for another amount than it asked. */
export interface MismatchedAction {
  readonly action: Action;
  /** What the action asked (its amount). */
  readonly expected: Money;
  /** What the answer recorded as paid or issued. */
  readonly recorded: Money;
  /**
   * `expected - recorded` when both are in one currency: for a refund, the cash still owed to the
   * customer (it stays on `refunds_payable`). Negative when more was recorded than asked.
   * Undefined when the currencies differ (the two cannot be subtracted).
   */
  readonly shortBy?: Money;
}

/** An action the shop did not carry out, with nothing done instead. */
export interface UnrecoveredAction {
  readonly action: Action;
  /** The shop's failure reason, or why it was withdrawn. */
  readonly reason: string;
}

/** A claim whose action entries could not be read (an entry without its data): `ledger verify` names what is wrong. */
export interface UnreadableClaim {
  readonly storefrontId: string;
  readonly claimId: string;
  readonly problem: string;
}

/**
 * Cash refunds in one currency (minor units). Every refund asked of the shop lands in exactly one
 * of `paid`, `awaiting`, `failed`, `shortPaid` or `movedToCredit`, so
 * `granted = paid + owed` and `owed = awaiting + failed + shortPaid`.
 */
export interface RefundAccount {
  /**
   * Cash the customers are entitled to: every refund asked of the shop (including cash asked for
   * again instead of a store credit), less the refunds that failed and were given as store credit
   * instead. Equals what the postings hold on `refunds_payable` plus what they moved to `cash`.
   */
  readonly granted: number;
  /** Cash the shop reported paid out, as booked from `refunds_payable` to `cash`. */
  readonly paid: number;
  /** Cash still owed to customers: `granted - paid`, the balance of `refunds_payable`. */
  readonly owed: number;
  /** Part of `owed`: refunds asked of the shop that it has not answered yet. */
  readonly awaiting: number;
  /** Part of `owed`: refunds the shop could not pay, with nothing given instead (a person must act). */
  readonly failed: number;
  /** Part of `owed`: the rest of refunds the shop paid only in part (asked minus paid). */
  readonly shortPaid: number;
  /** Not in `granted`: failed refunds given as store credit instead (that credit is in the store-credit account). */
  readonly movedToCredit: number;
}

/**
 * Store credit in one currency (minor units), goodwill included. Every credit asked of the shop
 * lands in exactly one of `issued`, `awaiting`, `failed` or `movedToCash`, so
 * `granted = issued + awaiting + failed`.
 */
export interface StoreCreditAccount {
  /**
   * Credit the customers are entitled to: every credit asked of the shop, less the credits
   * replaced by a cash refund at the customer's request. Equals the balance of
   * `store_credit_liability` (issued credit stays a liability until the customer spends it).
   */
  readonly granted: number;
  /** Credit the shop reported issued (a code the customer can spend), at the amount asked. */
  readonly issued: number;
  /** Credit asked of the shop that it has not answered yet. */
  readonly awaiting: number;
  /** Credit the shop could not issue, or that was withdrawn, with nothing given instead (a person must act). */
  readonly failed: number;
  /** Not in `granted`: credits replaced by a cash refund (that refund is in the refund account). */
  readonly movedToCash: number;
}

/** Replacements in one currency (the claim's), counted: they move goods, not money. */
export interface ReplacementCount {
  /** Every replacement asked of the shop: `awaiting + shipped + failed`. */
  readonly asked: number;
  /** Not answered yet. */
  readonly awaiting: number;
  /** The shop reported them shipped. */
  readonly shipped: number;
  /** The shop could not ship them (a person must act). */
  readonly failed: number;
}

/** What the postings of the same entries hold, to cross-check the accounts (minor units). */
export interface PostedBalances {
  /** Credits less debits on `refunds_payable`: cash owed. */
  readonly refundsPayable: number;
  /** Credits less debits on `cash`: cash that left. */
  readonly cash: number;
  /** Credits less debits on `store_credit_liability`: credit owed. */
  readonly storeCreditLiability: number;
}

/** Every account of one currency. */
export interface CurrencyAccounts {
  readonly currency: string;
  readonly refund: RefundAccount;
  readonly storeCredit: StoreCreditAccount;
  readonly replacement: ReplacementCount;
  readonly posted: PostedBalances;
  /**
   * Whether the actions and the postings tell the same story: refund `granted` equals
   * `refunds_payable` plus `cash`, and store credit `granted` equals `store_credit_liability`.
   */
  readonly agrees: boolean;
}

/** The reconciliation of a set of claims as of one moment. */
export interface Reconciliation {
  /** The moment it is made (ISO): entries after it are not seen. */
  readonly asOf: string;
  /** An action is stale when it waited more than this many days. */
  readonly staleDays: number;
  /** Claims with at least one action. */
  readonly claims: number;
  /** Actions read. */
  readonly actions: number;
  /** Not answered after `staleDays` days, oldest first. */
  readonly stale: readonly StaleAction[];
  /** Recorded as done for another amount than asked, oldest first. */
  readonly mismatched: readonly MismatchedAction[];
  /** Failed (or withdrawn) with nothing done instead, oldest first. */
  readonly unrecovered: readonly UnrecoveredAction[];
  /** Per currency, sorted by currency code. */
  readonly accounts: readonly CurrencyAccounts[];
  /** Claims left out because their entries could not be read. */
  readonly unreadable: readonly UnreadableClaim[];
}

/** Throws a RangeError unless `staleDays` is a whole number of days, 0 or more. */
export function assertStaleDays(staleDays: number): void {
  if (!Number.isSafeInteger(staleDays) || staleDays < 0)
    throw new RangeError(`staleDays must be a whole number, 0 or more, not ${staleDays}`);
}

/** Days from `requestedAt` (ISO) to `now`, not rounded. */
export function ageInDays(requestedAt: string, now: Date): number {
  return (now.getTime() - Date.parse(requestedAt)) / DAY_MS;
}

/**
 * Whether an action still waits for the shop's answer more than `staleDays` days after it was
 * asked. Exactly `staleDays` days is not yet stale; a moment more is.
 */
export function isStale(action: Action, now: Date, staleDays: number): boolean {
  return action.status === 'requested' && now.getTime() - Date.parse(action.requestedAt) > staleDays * DAY_MS;
}

/** Whether an action was recorded as done for another amount (or currency) than it asked. */
export function isMismatched(action: Action): boolean {
  const recorded = action.result?.amount;
  return (
    action.status === 'succeeded' &&
    recorded !== undefined &&
    (recorded.amount !== action.amount.amount || recorded.currency !== action.amount.currency)
  );
}

/** Whether an action was not carried out (failed, or withdrawn) and nothing was done instead. */
export function isUnrecovered(action: Action): boolean {
  return (action.status === 'failed' || action.status === 'cancelled') && action.followedBy === undefined;
}

interface MutableAccounts {
  refund: { -readonly [K in keyof RefundAccount]: number };
  storeCredit: { -readonly [K in keyof StoreCreditAccount]: number };
  replacement: { -readonly [K in keyof ReplacementCount]: number };
  posted: { -readonly [K in keyof PostedBalances]: number };
}

function emptyAccounts(): MutableAccounts {
  return {
    refund: { granted: 0, paid: 0, owed: 0, awaiting: 0, failed: 0, shortPaid: 0, movedToCredit: 0 },
    storeCredit: { granted: 0, issued: 0, awaiting: 0, failed: 0, movedToCash: 0 },
    replacement: { asked: 0, awaiting: 0, shipped: 0, failed: 0 },
    posted: { refundsPayable: 0, cash: 0, storeCreditLiability: 0 },
  };
}

const postedAccount: Partial<Record<Account, keyof PostedBalances>> = {
  refunds_payable: 'refundsPayable',
  cash: 'cash',
  store_credit_liability: 'storeCreditLiability',
};

/** Credits less debits on one account in an entry's postings. */
function creditBalance(entry: LedgerEntry | undefined, account: Account): number {
  return (entry?.postings ?? []).reduce((s, p) => (p.account === account ? s + p.credit - p.debit : s), 0);
}

/** Adds one action to its currency's accounts. `answer` is the entry that answered it. */
function book(acc: MutableAccounts, a: Action, answer: LedgerEntry | undefined): void {
  const type: ActionType = a.type;
  if (type === 'refund') {
    const r = acc.refund;
    if (a.followedBy !== undefined) {
      // Only a recovery credit follows a refund: the value now lives in the store-credit account.
      r.movedToCredit += a.amount.amount;
      return;
    }
    r.granted += a.amount.amount;
    if (a.status === 'requested') r.awaiting += a.amount.amount;
    else if (a.status === 'succeeded') {
      // What the books moved to cash, which is what the shop reported paid.
      const paid = creditBalance(answer, 'cash');
      r.paid += paid;
      r.shortPaid += a.amount.amount - paid;
    } else r.failed += a.amount.amount;
  } else if (type === 'store_credit') {
    const c = acc.storeCredit;
    if (a.followedBy !== undefined) {
      // Replaced by cash asked for again, whether it was issued (its code voided) or withdrawn.
      c.movedToCash += a.amount.amount;
      return;
    }
    c.granted += a.amount.amount;
    // Issued credit is booked at the amount asked: the liability does not follow what the shop reported.
    if (a.status === 'requested') c.awaiting += a.amount.amount;
    else if (a.status === 'succeeded') c.issued += a.amount.amount;
    else c.failed += a.amount.amount;
  } else {
    const p = acc.replacement;
    p.asked++;
    if (a.status === 'requested') p.awaiting++;
    else if (a.status === 'succeeded') p.shipped++;
    else p.failed++;
  }
}

const byRequest = <T extends { action: Action }>(a: T, b: T): number =>
  a.action.requestedAt < b.action.requestedAt
    ? -1
    : a.action.requestedAt > b.action.requestedAt
      ? 1
      : a.action.claimId < b.action.claimId
        ? -1
        : a.action.claimId > b.action.claimId
          ? 1
          : a.action.seq - b.action.seq;

/**
 * Reconciles the actions of claims (each claim's entries, oldest first) as of `now`: entries
 * after `now` are not seen, so a past moment gives the picture as it was then.
 *
 * - `stale`: actions still waiting for the shop's answer more than `staleDays` days after they
 *   were asked (see {@link isStale});
 * - `mismatched`: actions recorded as done for another amount or currency than asked (a person
 *   recorded a partial payout by hand, `makegood actions succeed --amount`);
 * - `unrecovered`: actions that failed (or were withdrawn) with nothing done instead: a failed
 *   refund no store credit recovered, any failed store credit or replacement;
 * - `accounts`: per currency, where every refund, store credit and replacement stands, with the
 *   postings' balances beside them to cross-check.
 *
 * Throws a RangeError unless `staleDays` is a whole number of days, 0 or more.
 */
export function reconcileActions(
  claims: readonly (readonly LedgerEntry[])[],
  args: { readonly now: Date; readonly staleDays: number },
): Reconciliation {
  const { now, staleDays } = args;
  assertStaleDays(staleDays);
  const asOf = now.toISOString();
  const stale: StaleAction[] = [];
  const mismatched: MismatchedAction[] = [];
  const unrecovered: UnrecoveredAction[] = [];
  const unreadable: UnreadableClaim[] = [];
  const perCurrency = new Map<string, MutableAccounts>();
  let claimCount = 0;
  let actionCount = 0;
  for (const chain of claims) {
    const seen = chain.filter((e) => e.at < asOf);
    const first = seen[0];
    if (!first) continue;
    let actions: Action[];
    try {
      actions = actionsOf(seen);
    } catch (err) {
      unreadable.push({ storefrontId: first.storefrontId, claimId: first.claimId, problem: (err as Error).message });
      continue;
    }
    if (actions.length > 0) claimCount++;
    actionCount += actions.length;
    let acc = perCurrency.get(first.currency);
    if (!acc) {
      acc = emptyAccounts();
      perCurrency.set(first.currency, acc);
    }
    for (const e of seen) {
      for (const p of e.postings) {
        const key = postedAccount[p.account];
        if (key) acc.posted[key] += p.credit - p.debit;
      }
    }
    const bySeq = new Map(seen.map((e) => [e.seq, e]));
    for (const a of actions) {
      book(acc, a, a.result ? bySeq.get(a.result.seq) : undefined);
      if (isStale(a, now, staleDays)) stale.push({ action: a, ageDays: ageInDays(a.requestedAt, now) });
      const recorded = a.result?.amount;
      if (recorded && isMismatched(a)) {
        mismatched.push({
          action: a,
          expected: a.amount,
          recorded,
          ...(recorded.currency === a.amount.currency ? { shortBy: money(a.amount.amount - recorded.amount, a.amount.currency) } : {}),
        });
      }
      if (isUnrecovered(a)) {
        const reason =
          a.status === 'cancelled'
            ? 'withdrawn (the customer asked for cash), but no refund replaced it'
            : a.result?.failureReason || 'no reason given';
        unrecovered.push({ action: a, reason });
      }
    }
  }
  const accounts: CurrencyAccounts[] = [...perCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, acc]) => ({
      currency,
      refund: { ...acc.refund, owed: acc.refund.granted - acc.refund.paid },
      storeCredit: { ...acc.storeCredit },
      replacement: { ...acc.replacement },
      posted: { ...acc.posted },
      agrees:
        acc.refund.granted === acc.posted.refundsPayable + acc.posted.cash &&
        acc.refund.paid === acc.posted.cash &&
        acc.storeCredit.granted === acc.posted.storeCreditLiability,
    }));
  return {
    asOf,
    staleDays,
    claims: claimCount,
    actions: actionCount,
    stale: stale.sort(byRequest),
    mismatched: mismatched.sort(byRequest),
    unrecovered: unrecovered.sort(byRequest),
    accounts,
    unreadable,
  };
}

/** How many findings a reconciliation lists: work for a person, not tampering. */
export function findingsOf(r: Reconciliation): number {
  return r.stale.length + r.mismatched.length + r.unrecovered.length + r.accounts.filter((a) => !a.agrees).length;
}
