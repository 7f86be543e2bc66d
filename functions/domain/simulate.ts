import { type OrderFacts, orderFactsOf, type Reason, withPinnedFacts } from './claim.ts';
import { type CoveredBy, type CustomerHistory, type Decision, decide, type FiredRule, type Outcome } from './decide.ts';
import { customerHistory, historyWindowsOf } from './history.ts';
import { type EntryOf, entriesOf, type LedgerEntry } from './ledger.ts';
import { money } from './money.ts';
import type { Policy, PolicyVersion, Role } from './policy.ts';
import { historyLookbackDays } from './policy-terms.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a replay reads: the window, the policies, and the ledger of every customer with a claim in it. */
export interface SimulationInput {
  readonly storefrontId: string;
  /** Claims received with `from <= at < to` are replayed. */
  readonly from: Date;
  readonly to: Date;
  /**
   * Every ledger entry of each customer who has a claim received in the window, from
   * {@link simulationLookbackDays} before `from` on (any order of entries).
   */
  readonly entries: readonly LedgerEntry[];
  /** The storefront's published versions. */
  readonly versions: readonly PolicyVersion[];
  /** The policy to try. */
  readonly draft: Policy;
  /** Each order's facts as its first claim pinned them, by order id. */
  readonly pinned: ReadonlyMap<string, OrderFacts>;
  /** Example claims kept per transition (default 3). */
  readonly examplesPerTransition?: number;
}

/** A decision in a report: what it grants, who approves it, and the rules that fired. */
export interface DecisionSummary {
  readonly outcome: Outcome;
  readonly currency: string;
  readonly cash: number;
  readonly storeCredit: number;
  readonly goodwill: number;
  readonly returnRequired: boolean;
  readonly tier: Role;
  readonly rules: readonly FiredRule[];
}

/** Minor units by currency. */
export type Amounts = Record<string, number>;

export interface SimulationReport {
  readonly storefrontId: string;
  readonly from: string;
  readonly to: string;
  /** The version the draft would get if published now. */
  readonly draftVersion: number;
  /** Claims replayed under both policies. */
  readonly claims: number;
  /** Replayed claims whose decision differs in outcome, money, tier or return. */
  readonly changed: number;
  /** Changed claims by `<before>→<after>` outcome. */
  readonly byTransition: Record<string, number>;
  /** What the decisions grant, by account, before (as decided) and after (under the draft). */
  readonly money: Record<'cash' | 'storeCredit' | 'goodwill', { readonly before: Amounts; readonly after: Amounts }>;
  /** Decisions by the role that must approve them: `auto` needs nobody. */
  readonly tiers: { readonly before: Partial<Record<Role, number>>; readonly after: Partial<Record<Role, number>> };
  /** Replayed and changed claims by the complaint's reason. */
  readonly byReason: Partial<Record<Reason, { claims: number; changed: number }>>;
  /** Replayed claims by the version that decided them. */
  readonly byVersion: Record<string, number>;
  /** Value granted (cash plus store credit) per day of receipt and currency, before and after. */
  readonly daily: readonly { day: string; currency: string; before: number; after: number }[];
  readonly examples: readonly {
    transition: string;
    claimId: string;
    receivedAt: string;
    reason: Reason;
    before: DecisionSummary;
    after: DecisionSummary;
  }[];
  /**
   * Claims whose replay under the version that decided them differs from the recorded decision,
   * with what differs in the history rebuilt from the ledger. They are still compared (replay
   * against replay), but their figures are less certain.
   */
  readonly mismatches: readonly { claimId: string; recorded: DecisionSummary; replayed: DecisionSummary; history: readonly string[] }[];
  /** Claims received in the window that could not be replayed, and why. */
  readonly skipped: readonly { claimId: string; why: string }[];
  /** What a replay cannot know. */
  readonly limits: readonly string[];
}

/** The limits every report states. */
export const REPLAY_LIMITS = [
  'A replay keeps what customers and agents actually did: it cannot know whether a customer would have accepted a different offer, sent goods back or claimed again, or how an agent would have answered a different approval request.',
  'Each claim is decided with the history the ledger held at its time (earlier claims, returns, goodwill already granted, what other claims had taken of its order); a different decision by the draft on one claim does not change the history of the claims after it.',
  'Money is what the first decisions grant, before any approval, return grading or payout: not what was paid.',
] as const;

/** How far before the window a replay reads each customer's ledger, for any of these policies. */
export function simulationLookbackDays(policies: readonly Policy[]): number {
  return Math.max(0, ...policies.map(historyLookbackDays));
}

/** The report's view of a decision. */
export function summarise(d: Decision): DecisionSummary {
  return {
    outcome: d.outcome,
    currency: d.cash.currency,
    cash: d.cash.amount,
    storeCredit: d.storeCredit.amount,
    goodwill: d.goodwill.amount,
    returnRequired: d.returnRequired,
    tier: d.tier,
    rules: d.rules.map((r) => ({ id: r.id, text: r.text })),
  };
}

/** What a report compares of a decision, as `decide` returns it or the ledger recorded it. */
type Compared = Pick<Decision, 'outcome' | 'cash' | 'storeCredit' | 'goodwill' | 'returnRequired' | 'tier' | 'rules'>;

/** Two decisions differ for a shop when they grant a different outcome, amount, tier or return. */
function differs(a: Compared, b: Compared): boolean {
  return (
    a.outcome !== b.outcome ||
    a.cash.amount !== b.cash.amount ||
    a.storeCredit.amount !== b.storeCredit.amount ||
    a.goodwill.amount !== b.goodwill.amount ||
    a.tier !== b.tier ||
    a.returnRequired !== b.returnRequired
  );
}

/** The recorded decision and the replay disagree: as {@link differs}, or in the rules that fired. */
function mismatch(recorded: Compared, replayed: Compared): boolean {
  return (
    differs(recorded, replayed) ||
    recorded.rules.length !== replayed.rules.length ||
    recorded.rules.some((r, i) => r.id !== replayed.rules[i]?.id)
  );
}

/** The order state a decision recorded (what other claims had taken and been granted), if it is whole. */
function recordedOrderState(history: unknown, currency: string): Pick<CustomerHistory, 'orderGranted' | 'covered'> | undefined {
  if (typeof history !== 'object' || history === null) return undefined;
  const h = history as { orderGranted?: { amount?: unknown; currency?: unknown }; covered?: unknown };
  const amount = h.orderGranted?.amount;
  if (!Number.isSafeInteger(amount) || h.orderGranted?.currency !== currency) return undefined;
  if (typeof h.covered !== 'object' || h.covered === null) return undefined;
  return { orderGranted: money(amount as number, currency), covered: h.covered as Record<string, CoveredBy> };
}

/** The rebuilt history's customer facts that differ from the ones the decision recorded. */
function historyDifferences(recorded: unknown, rebuilt: CustomerHistory): string[] {
  const r = (recorded ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const compare = (name: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${name}: recorded ${JSON.stringify(a)}, rebuilt ${JSON.stringify(b)}`);
  };
  compare('claimsInWindow', r.claimsInWindow, rebuilt.claimsInWindow);
  compare('unreturnedReturns', r.unreturnedReturns, rebuilt.unreturnedReturns);
  compare('refundRate', r.refundRate, rebuilt.refundRate);
  compare('goodwillSpent', (r.goodwillSpent as { amount?: unknown } | undefined)?.amount, rebuilt.goodwillSpent.amount);
  return out;
}

/** Orders strings by code unit, as ISO times and ids sort (no locale collation: slow, and not needed). */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const bump = <K extends string>(into: Partial<Record<K, number>>, key: K, by = 1) => {
  into[key] = (into[key] ?? 0) + by;
};

/**
 * Replays every claim received in the window under the version that decided it and under the
 * draft, each as of the time it was first decided: its facts from its `received` entry (with
 * its order's pinned facts), the customer's history rebuilt from the ledger entries before that
 * moment under each policy's own windows, and the order's state (what other claims had taken
 * and been granted) as the decision recorded it. Pure: reads nothing, writes nothing.
 */
export function simulate(input: SimulationInput): SimulationReport {
  const { from, to, draft } = input;
  const perTransition = input.examplesPerTransition ?? 3;
  const versions = new Map(input.versions.map((v) => [v.version, v]));
  const draftVersion: PolicyVersion = {
    storefrontId: input.storefrontId,
    version: Math.max(0, ...input.versions.map((v) => v.version)) + 1,
    policy: draft,
    publishedAt: to.toISOString(),
  };

  // Each claim's entries by seq, the same entry read twice kept once; each customer's entries
  // claim by claim (the history counts per claim and by time, so needs no other order).
  const byClaim = new Map<string, LedgerEntry[]>();
  for (const e of input.entries) {
    if (e.storefrontId !== input.storefrontId) continue;
    const list = byClaim.get(e.claimId);
    if (list) list.push(e);
    else byClaim.set(e.claimId, [e]);
  }
  const byCustomer = new Map<string, LedgerEntry[]>();
  const received: { r: EntryOf<'received'>; claimEntries: LedgerEntry[] }[] = [];
  const [fromIso, toIso] = [from.toISOString(), to.toISOString()];
  for (const list of byClaim.values()) {
    list.sort((a, b) => a.seq - b.seq);
    const unique = list.filter((e, i) => i === 0 || e.seq !== (list[i - 1] as LedgerEntry).seq);
    const first = unique[0] as LedgerEntry;
    const own = byCustomer.get(first.customerId);
    if (own) own.push(...unique);
    else byCustomer.set(first.customerId, [...unique]);
    const r = entriesOf(unique, 'received')[0];
    if (r && r.at >= fromIso && r.at < toIso) received.push({ r, claimEntries: unique });
  }
  received.sort((a, b) => byCode(a.r.at, b.r.at) || byCode(a.r.claimId, b.r.claimId));

  // Policies that rebuild a history the same way share one rebuild per claim. Entry times
  // compare as strings: every `at` is written by chainEntry with toISOString, and hashed so.
  const historyTerms = (p: Policy) => `${historyLookbackDays(p)}|${historyWindowsOf(p)}`;
  const termsOf = new Map<Policy, string>([draft, ...input.versions.map((v) => v.policy)].map((p) => [p, historyTerms(p)]));

  const emptyMoney = () => ({ before: {} as Amounts, after: {} as Amounts });
  const report = {
    claims: 0,
    changed: 0,
    byTransition: {} as Record<string, number>,
    money: { cash: emptyMoney(), storeCredit: emptyMoney(), goodwill: emptyMoney() },
    tiers: { before: {} as Partial<Record<Role, number>>, after: {} as Partial<Record<Role, number>> },
    byReason: {} as Partial<Record<Reason, { claims: number; changed: number }>>,
    byVersion: {} as Record<string, number>,
    examples: [] as SimulationReport['examples'][number][],
    mismatches: [] as SimulationReport['mismatches'][number][],
    skipped: [] as SimulationReport['skipped'][number][],
  };
  const daily = new Map<string, { day: string; currency: string; before: number; after: number }>();
  const examplesOf = new Map<string, number>();

  for (const { r, claimEntries } of received) {
    const decided = entriesOf(claimEntries, 'decided').find((e) => e.data.graded !== true);
    if (!decided) {
      report.skipped.push({ claimId: r.claimId, why: 'it has no decision yet' });
      continue;
    }
    const version = decided.policyVersion === null ? undefined : versions.get(decided.policyVersion);
    if (!version) {
      report.skipped.push({
        claimId: r.claimId,
        why:
          decided.policyVersion === null
            ? 'its decision recorded no policy version'
            : `it was decided under policy version ${decided.policyVersion}, which is not among the published versions`,
      });
      continue;
    }
    const orderState = recordedOrderState(decided.data.history, r.currency);
    if (!orderState) {
      report.skipped.push({ claimId: r.claimId, why: 'its decision recorded no order state (what other claims had taken of the order)' });
      continue;
    }
    const now = new Date(decided.at);
    const claim = withPinnedFacts(r.data.claim, input.pinned.get(r.orderId) ?? orderFactsOf(r.data.claim));
    const earlier = (byCustomer.get(r.customerId) ?? []).filter((e) => e.at < decided.at && e.claimId !== r.claimId);
    const rebuilt = new Map<string, CustomerHistory>();
    const historyUnder = (policy: Policy): CustomerHistory => {
      const terms = termsOf.get(policy) as string;
      const known = rebuilt.get(terms);
      if (known) return known;
      const since = new Date(now.getTime() - historyLookbackDays(policy) * DAY_MS).toISOString();
      const history = {
        ...customerHistory({
          entries: earlier.filter((e) => e.at >= since),
          policy,
          now,
          currentClaimId: r.claimId,
          orderGranted: orderState.orderGranted,
        }),
        ...orderState,
      };
      rebuilt.set(terms, history);
      return history;
    };

    let before: Decision;
    let after: Decision;
    let history: CustomerHistory;
    try {
      history = historyUnder(version.policy);
      before = decide(claim, version, history, now);
    } catch (err) {
      report.skipped.push({ claimId: r.claimId, why: `version ${version.version} could not decide it again: ${(err as Error).message}` });
      continue;
    }
    try {
      after = decide(claim, draftVersion, historyUnder(draft), now);
    } catch (err) {
      report.skipped.push({ claimId: r.claimId, why: `the draft could not decide it: ${(err as Error).message}` });
      continue;
    }
    const recorded = decided.data.decision;
    if (mismatch(recorded, before)) {
      report.mismatches.push({
        claimId: r.claimId,
        recorded: summarise(recorded),
        replayed: summarise(before),
        history: historyDifferences(decided.data.history, history),
      });
    }

    report.claims += 1;
    bump(report.byVersion, String(version.version));
    const reason = r.data.claim.complaint.reason;
    const byReason = report.byReason[reason] ?? { claims: 0, changed: 0 };
    report.byReason[reason] = byReason;
    byReason.claims += 1;
    const currency = before.cash.currency;
    for (const account of ['cash', 'storeCredit', 'goodwill'] as const) {
      bump(report.money[account].before, currency, before[account].amount);
      bump(report.money[account].after, currency, after[account].amount);
    }
    bump(report.tiers.before, before.tier);
    bump(report.tiers.after, after.tier);
    const dayKey = `${r.at.slice(0, 10)}#${currency}`;
    const day = daily.get(dayKey) ?? { day: r.at.slice(0, 10), currency, before: 0, after: 0 };
    daily.set(dayKey, day);
    day.before += before.cash.amount + before.storeCredit.amount;
    day.after += after.cash.amount + after.storeCredit.amount;

    if (!differs(before, after)) continue;
    report.changed += 1;
    byReason.changed += 1;
    const transition = `${before.outcome}→${after.outcome}`;
    bump(report.byTransition, transition);
    const shown = examplesOf.get(transition) ?? 0;
    if (shown < perTransition) {
      examplesOf.set(transition, shown + 1);
      report.examples.push({
        transition,
        claimId: r.claimId,
        receivedAt: r.at,
        reason,
        before: summarise(before),
        after: summarise(after),
      });
    }
  }

  return {
    storefrontId: input.storefrontId,
    from: from.toISOString(),
    to: to.toISOString(),
    draftVersion: draftVersion.version,
    ...report,
    daily: [...daily.values()].sort((a, b) => a.day.localeCompare(b.day) || a.currency.localeCompare(b.currency)),
    limits: [...REPLAY_LIMITS],
  };
}
