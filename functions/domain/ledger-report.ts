import { actionIdOf } from './actions.ts';
import { accounts, claimOf, currentDecision, type LedgerEntry } from './ledger.ts';
import { isConversion } from './ledger-audit.ts';
import { DEFAULT_STALE_DAYS, type Reconciliation, reconcileActions } from './reconcile.ts';

/**
 * Finance's totals over a window of the ledger: what was paid out, what is owed as store credit,
 * what goodwill cost, and why. Pure: the use case reads the entries, this sums them.
 *
 * Value is counted once, in the form it was first granted. A conversion (a failed refund given
 * as store credit instead, or that credit paid in cash after all, see `isConversion`) changes the
 * form of a grant already counted, not its value: it adds nothing to `cash` or `credit`, except
 * the recovery's bonus, which is new goodwill (counted as credit, as goodwill always is) and is
 * taken back when the customer asks for the cash again. Where each grant stands now is the
 * reconciliation's job (`reconciliation`).
 */

/** One row of a breakdown: the claims in it and the money they were granted in the window. */
export interface TotalsRow {
  readonly key: string;
  /** Claims with any entry in the window. */
  readonly claims: number;
  /** Cash refunds settled in the window (minor units). */
  readonly cash: number;
  /** Store credit issued in the window, goodwill included (minor units). */
  readonly credit: number;
  /** cash + credit. */
  readonly value: number;
}

/** One day's cash refunds, from the postings (minor units). */
export interface RefundDay {
  /**
   * Cash refunds granted that day: new cash owed on `refunds_payable` plus what left as `cash`
   * (refunds asked of the shop, less failed ones given as store credit instead).
   */
  readonly refundGranted: number;
  /** Cash refunds the shop reported paid that day (booked to `cash`). */
  readonly refundPaid: number;
}

/** One day: claims received and value granted, by outcome, and the day's cash refunds. */
export interface DayRow extends RefundDay {
  readonly day: string;
  readonly received: number;
  readonly value: number;
  readonly byOutcome: Readonly<Record<string, number>>;
}

/** One account's movements in the window. */
export interface AccountRow {
  readonly account: string;
  readonly debit: number;
  readonly credit: number;
}

/** Everything in one currency (amounts are never added across currencies). */
export interface CurrencyTotals {
  readonly currency: string;
  readonly claims: number;
  readonly cash: number;
  readonly credit: number;
  readonly goodwill: number;
  readonly value: number;
  readonly byAccount: readonly AccountRow[];
  readonly byReason: readonly TotalsRow[];
  readonly byOutcome: readonly TotalsRow[];
  readonly byTier: readonly TotalsRow[];
  readonly byDay: readonly DayRow[];
}

/** The report over `from <= at < to`. */
export interface LedgerTotals {
  readonly from: string;
  readonly to: string;
  readonly storefronts: readonly string[];
  readonly claims: number;
  readonly entries: number;
  readonly currencies: readonly CurrencyTotals[];
  /**
   * The actions of the claims with entries in the window, as of the window's end: stale,
   * mismatched and unrecovered actions, and where each account stands.
   */
  readonly reconciliation: Reconciliation;
}

/** Key of a claim without a decision yet. */
export const UNDECIDED = 'undecided';

interface MutableRow {
  key: string;
  claims: number;
  cash: number;
  credit: number;
}

function row(map: Map<string, MutableRow>, key: string): MutableRow {
  let r = map.get(key);
  if (!r) {
    r = { key, claims: 0, cash: 0, credit: 0 };
    map.set(key, r);
  }
  return r;
}

function rows(map: Map<string, MutableRow>): TotalsRow[] {
  return [...map.values()]
    .map((r) => ({ ...r, value: r.cash + r.credit }))
    .sort((a, b) => b.value - a.value || b.claims - a.claims || (a.key < b.key ? -1 : 1));
}

function amountOf(e: LedgerEntry): number {
  const a = (e.data as { amount?: { amount?: unknown } } | undefined)?.amount?.amount;
  return typeof a === 'number' ? a : 0;
}

function goodwillOf(e: LedgerEntry | undefined): number {
  const g = (e?.data as { goodwill?: { amount?: unknown } } | undefined)?.goodwill?.amount;
  return typeof g === 'number' ? g : 0;
}

/**
 * The value an entry grants, by form (minor units). A conversion grants no new value: a
 * recovery credit adds only its bonus, cash asked for again takes the replaced credit's bonus back.
 */
export function valueGranted(e: LedgerEntry, chain: readonly LedgerEntry[]): { cash: number; credit: number } {
  if (e.type !== 'refund_settled' && e.type !== 'credit_issued') return { cash: 0, credit: 0 };
  // The report also reads chains nobody verified: an entry stripped of its data grants nothing.
  const conversion = typeof e.data === 'object' && e.data !== null && isConversion(e);
  if (!conversion) return e.type === 'refund_settled' ? { cash: amountOf(e), credit: 0 } : { cash: 0, credit: amountOf(e) };
  if (e.type === 'credit_issued') return { cash: 0, credit: goodwillOf(e) };
  const replaced = chain.find((c) => c.type === 'credit_issued' && actionIdOf(c.claimId, c.seq) === e.data.replaces);
  return { cash: 0, credit: -goodwillOf(replaced) };
}

/**
 * Sums whole claim chains over a window. A claim counts when any of its entries is in the window;
 * its money counts on the day it was settled or issued, conversions once (see the module's
 * note). The outcome and tier are the claim's current decision (as an approver amended it); the
 * reason is the customer's. The same chains are reconciled as of `to`, an action being stale
 * after `staleDays` days (@default {@link DEFAULT_STALE_DAYS}).
 */
export function ledgerTotals(args: {
  chains: readonly (readonly LedgerEntry[])[];
  from: Date;
  to: Date;
  storefronts: readonly string[];
  staleDays?: number;
}): LedgerTotals {
  const fromIso = args.from.toISOString();
  const toIso = args.to.toISOString();
  const inWindow = (e: LedgerEntry) => e.at >= fromIso && e.at < toIso;
  const perCurrency = new Map<
    string,
    {
      claims: number;
      goodwill: number;
      accounts: Map<string, AccountRow & { debit: number; credit: number }>;
      reason: Map<string, MutableRow>;
      outcome: Map<string, MutableRow>;
      tier: Map<string, MutableRow>;
      day: Map<string, { day: string; received: number; byOutcome: Record<string, number>; refundGranted: number; refundPaid: number }>;
    }
  >();
  let claims = 0;
  let entries = 0;
  const inWindowChains: (readonly LedgerEntry[])[] = [];
  for (const chain of args.chains) {
    const touched = chain.filter(inWindow);
    const first = chain[0];
    if (touched.length === 0 || !first) continue;
    inWindowChains.push(chain);
    claims++;
    entries += touched.length;
    let c = perCurrency.get(first.currency);
    if (!c) {
      c = {
        claims: 0,
        goodwill: 0,
        accounts: new Map(accounts.map((a) => [a, { account: a, debit: 0, credit: 0 }])),
        reason: new Map(),
        outcome: new Map(),
        tier: new Map(),
        day: new Map(),
      };
      perCurrency.set(first.currency, c);
    }
    c.claims++;
    const decision = currentDecision(chain);
    const outcome = decision?.outcome ?? UNDECIDED;
    const rowsOfClaim = [
      row(c.reason, claimOf(chain)?.complaint.reason ?? 'unknown'),
      row(c.outcome, outcome),
      row(c.tier, decision?.tier ?? UNDECIDED),
    ];
    for (const r of rowsOfClaim) r.claims++;
    for (const e of touched) {
      const dayKey = e.at.slice(0, 10);
      let d = c.day.get(dayKey);
      if (!d) {
        d = { day: dayKey, received: 0, byOutcome: {}, refundGranted: 0, refundPaid: 0 };
        c.day.set(dayKey, d);
      }
      if (e.type === 'received') d.received++;
      for (const p of e.postings) {
        const a = c.accounts.get(p.account) ?? { account: p.account, debit: 0, credit: 0 };
        a.debit += p.debit;
        a.credit += p.credit;
        c.accounts.set(p.account, a);
        if (p.account === 'goodwill_expense') c.goodwill += p.debit - p.credit;
        // Granted = still owed + paid: a payout moves the money from one to the other, a recovery out of both.
        if (p.account === 'refunds_payable' || p.account === 'cash') d.refundGranted += p.credit - p.debit;
        if (p.account === 'cash') d.refundPaid += p.credit - p.debit;
      }
      const value = valueGranted(e, chain);
      if (value.cash === 0 && value.credit === 0) continue;
      for (const r of rowsOfClaim) {
        r.cash += value.cash;
        r.credit += value.credit;
      }
      d.byOutcome[outcome] = (d.byOutcome[outcome] ?? 0) + value.cash + value.credit;
    }
  }
  const currencies: CurrencyTotals[] = [...perCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, c]) => {
      const byOutcome = rows(c.outcome);
      const cash = byOutcome.reduce((s, r) => s + r.cash, 0);
      const credit = byOutcome.reduce((s, r) => s + r.credit, 0);
      return {
        currency,
        claims: c.claims,
        cash,
        credit,
        goodwill: c.goodwill,
        value: cash + credit,
        byAccount: [...c.accounts.values()],
        byReason: rows(c.reason),
        byOutcome,
        byTier: rows(c.tier),
        byDay: [...c.day.values()]
          .sort((a, b) => (a.day < b.day ? -1 : 1))
          .map((d) => ({ ...d, value: Object.values(d.byOutcome).reduce((s, v) => s + v, 0) })),
      };
    });
  const reconciliation = reconcileActions(inWindowChains, { now: args.to, staleDays: args.staleDays ?? DEFAULT_STALE_DAYS });
  return { from: fromIso, to: toIso, storefronts: args.storefronts, claims, entries, currencies, reconciliation };
}
