import type { Reason } from './claim.ts';
import type { CoveredBy, CustomerHistory, Outcome } from './decide.ts';
import { claimOfGrant, currentDecision, type LedgerEntry, statusOf } from './ledger.ts';
import { type Money, money } from './money.ts';
import type { Policy } from './policy.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What {@link customerHistory} reads of a policy, as one key: two policies with the same key
 * rebuild the same history from the same entries. Keep it in step with the function below.
 */
export function historyWindowsOf(policy: Policy): string {
  const r = policy.risk;
  return [r.frequentClaims?.days, r.unreturned?.afterDays, r.refundRate?.days, r.goodwillBudget?.days].join();
}

/**
 * A customer's history, derived from their ledger entries (read by the customer index) and the
 * order's running total. Pure: the use case reads, this counts.
 */
export function customerHistory(args: {
  entries: readonly LedgerEntry[];
  policy: Policy;
  now: Date;
  currentClaimId: string;
  orderGranted: Money;
  /** The order's coverage as stored (by key, units per claim); this claim's own holding is left out. */
  coverage?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * The customer's goodwill grants as the stored budget keeps them (the total the conditional
   * write enforces). Without them, goodwill is counted from the ledger's `credit_issued` entries.
   */
  goodwillGrants?: readonly { readonly grantId: string; readonly amount: number; readonly at: string }[];
}): CustomerHistory {
  const { entries, policy, now, currentClaimId } = args;
  const currency = args.orderGranted.currency;
  const since = (days: number) => now.getTime() - days * DAY_MS;
  const claimsWindow = policy.risk.frequentClaims?.days ?? 0;
  const claimsInWindow = new Set(
    entries
      .filter((e) => e.type === 'received' && e.claimId !== currentClaimId && Date.parse(e.at) >= since(claimsWindow))
      .map((e) => e.claimId),
  ).size;

  // A return counts as never received once authorised more than `afterDays` ago with nothing
  // received, or when the claim was closed for that reason.
  const afterDays = policy.risk.unreturned?.afterDays ?? 30;
  const byClaim = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const list = byClaim.get(e.claimId);
    if (list) list.push(e);
    else byClaim.set(e.claimId, [e]);
  }
  let unreturnedReturns = 0;
  for (const [claimId, list] of byClaim) {
    if (claimId === currentClaimId) continue;
    const authorised = list.find((e) => e.type === 'return_authorised');
    if (!authorised) continue;
    const received = list.some((e) => e.type === 'return_received');
    const closedUnreturned = list.some((e) => e.type === 'closed' && e.data.reason === 'return_not_received');
    if (closedUnreturned || (!received && Date.parse(authorised.at) < since(afterDays))) unreturnedReturns += 1;
  }

  // Refund rate: of the earlier claims received inside the window that have concluded (settled,
  // rejected or closed), how many ended with money granted (a refund settled or credit issued).
  // Claims still open are left out: they have not ended either way.
  const rateDays = policy.risk.refundRate?.days ?? 0;
  let concludedClaims = 0;
  let claimsWithMoney = 0;
  for (const [claimId, list] of byClaim) {
    if (claimId === currentClaimId) continue;
    const received = list.find((e) => e.type === 'received');
    if (!received || Date.parse(received.at) < since(rateDays)) continue;
    const last = list.reduce((a, e) => (e.seq > a.seq ? e : a));
    if (last.status !== 'settled' && last.status !== 'rejected' && last.status !== 'closed') continue;
    concludedClaims += 1;
    if (list.some((e) => e.type === 'refund_settled' || e.type === 'credit_issued')) claimsWithMoney += 1;
  }

  const budgetDays = policy.risk.goodwillBudget?.days ?? 365;
  let goodwill = 0;
  if (args.goodwillGrants) {
    for (const g of args.goodwillGrants) {
      const own = claimOfGrant(g.grantId) === currentClaimId;
      if (!own && Date.parse(g.at) >= since(budgetDays)) goodwill += g.amount;
    }
  } else {
    for (const e of entries) {
      if (Date.parse(e.at) < since(budgetDays) || e.currency !== currency) continue;
      // Credited back when cash replaced a recovery credit's bonus.
      goodwill += e.postings.filter((p) => p.account === 'goodwill_expense').reduce((a, p) => a + p.debit - p.credit, 0);
    }
  }
  const covered: Record<string, CoveredBy> = {};
  for (const [key, holders] of Object.entries(args.coverage ?? {})) {
    const others = Object.entries(holders).filter(([id, n]) => id !== currentClaimId && n > 0);
    if (others.length === 0) continue;
    covered[key] = { units: others.reduce((a, [, n]) => a + n, 0), claims: others.map(([id]) => id).sort() };
  }
  return {
    claimsInWindow,
    unreturnedReturns,
    refundRate: { concludedClaims, claimsWithMoney },
    goodwillSpent: money(goodwill, currency),
    orderGranted: args.orderGranted,
    covered,
  };
}

/** One of the customer's earlier claims, as a person deciding a new one reads it. */
export interface EarlierClaim {
  readonly claimId: string;
  readonly orderId: string;
  /** When it was received (ISO). */
  readonly at: string;
  readonly reason: Reason;
  /** Its decision's outcome, or `pending` while it has none. */
  readonly outcome: Outcome | 'pending';
  /** Where it stands now. */
  readonly status: string;
  /** What its latest decision grants (cash plus store credit). */
  readonly amount?: Money;
}

/** The customer's claims other than `currentClaimId`, newest first, from their ledger entries. */
export function earlierClaims(entries: readonly LedgerEntry[], currentClaimId: string): EarlierClaim[] {
  const byClaim = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    if (e.claimId === currentClaimId) continue;
    const list = byClaim.get(e.claimId);
    if (list) list.push(e);
    else byClaim.set(e.claimId, [e]);
  }
  const out: EarlierClaim[] = [];
  for (const [claimId, list] of byClaim) {
    const received = list.find((e) => e.type === 'received');
    if (received?.type !== 'received') continue;
    const decision = currentDecision(list);
    out.push({
      claimId,
      orderId: received.data.claim.order.id,
      at: received.at,
      reason: received.data.claim.complaint.reason,
      outcome: decision?.outcome ?? 'pending',
      status: statusOf(list) ?? received.status,
      ...(decision ? { amount: money(decision.cash.amount + decision.storeCredit.amount, decision.cash.currency) } : {}),
    });
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}
