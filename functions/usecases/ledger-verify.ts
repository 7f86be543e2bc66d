import { actionTypeOf } from '#domain/actions.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import {
  auditClaim,
  auditEntryAlone,
  auditLinks,
  auditOrderTotal,
  type ClaimIdentity,
  compareDigests,
  DigestBuilder,
  type DigestManifest,
  type EntryLink,
  formatDigest,
  grantedBy,
  type LedgerProblem,
} from '#domain/ledger-audit.ts';
import { assertStaleDays, DEFAULT_STALE_DAYS, type Reconciliation, reconcileActions } from '#domain/reconcile.ts';
import type { EntryFiling, LedgerStore, StateStore } from '#ports';

/** What `verify` reads: the ledger by its keys and indexes, and the order totals. */
export type AuditDeps = { readonly ledger: LedgerStore; readonly state: Pick<StateStore, 'storefronts' | 'orderTotal' | 'orderTotals'> };

/** The window and scope of an audit. */
export interface AuditScope {
  /** One storefront, or every storefront with settings. */
  readonly storefrontId?: string;
  /** `from <= at < to`. */
  readonly from: Date;
  readonly to: Date;
  /** How many claims (or orders) are read at once. @default 16 */
  readonly concurrency?: number;
  /**
   * Days an action may wait for the shop's answer before the reconciliation lists it as stale
   * (a whole number, 0 or more). @default DEFAULT_STALE_DAYS (7)
   */
  readonly staleDays?: number;
  /** Called as pages and claims are read. */
  readonly onProgress?: (p: { entriesIndexed: number; claimsChecked: number; claims: number }) => void;
}

/** The outcome of `verify`. */
export interface VerifyResult {
  readonly storefronts: number;
  readonly claims: number;
  /** Entries checked: those the index listed in the window, plus those outside it of claims read by key. */
  readonly entries: number;
  /** Entries the storefront-day index listed in the window. */
  readonly indexed: number;
  readonly orders: number;
  /** Every problem found, the first (in time order of the claims) first. */
  readonly problems: readonly LedgerProblem[];
  /**
   * The actions of the claims in the window, as of the window's end: work to do, not tampering.
   * Claims with a problem are left out (their entries cannot be trusted).
   */
  readonly reconciliation: Reconciliation;
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** A claim the index listed in the window, with the order it is on. */
export interface ListedClaim {
  readonly storefrontId: string;
  readonly claimId: string;
  readonly orderId: string;
}

/** The UTC days a window touches, each as its own `[from, to)` slice of the window. */
export function daySlices(from: Date, to: Date): { from: Date; to: Date }[] {
  const slices: { from: Date; to: Date }[] = [];
  let start = from.getTime();
  while (start < to.getTime()) {
    const midnight = Date.parse(`${new Date(start).toISOString().slice(0, 10)}T00:00:00Z`) + 86_400_000;
    const end = Math.min(midnight, to.getTime());
    slices.push({ from: new Date(start), to: new Date(end) });
    start = end;
  }
  return slices;
}

/**
 * Pages a storefront's window through the storefront-day index, several days at once (each day
 * is its own index partition, so they are independent Queries). Returns the distinct claims in
 * order of their first entry, and hands every indexed entry to `each` (days in any order).
 */
export async function claimsInWindow(
  ledger: LedgerStore,
  storefrontId: string,
  from: Date,
  to: Date,
  each?: (e: LedgerEntry, filed?: EntryFiling) => void,
  concurrency = 8,
  withFiling = false,
): Promise<{ claims: ListedClaim[]; indexed: number }> {
  let indexed = 0;
  const perDay = await mapLimit(daySlices(from, to), concurrency, async (day) => {
    const seen = new Map<string, ListedClaim>();
    let cursor: string | undefined;
    do {
      const page = await ledger.storefrontEntries({
        storefrontId,
        from: day.from,
        to: day.to,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
        ...(withFiling ? { withFiling } : {}),
      });
      page.entries.forEach((e, i) => {
        indexed++;
        each?.(e, page.filed?.[i]);
        if (!seen.has(e.claimId)) seen.set(e.claimId, { storefrontId, claimId: e.claimId, orderId: e.orderId });
      });
      cursor = page.next ?? undefined;
    } while (cursor);
    return [...seen.values()];
  });
  const claims = new Map<string, ListedClaim>();
  for (const day of perDay) for (const c of day) if (!claims.has(c.claimId)) claims.set(c.claimId, c);
  return { claims: [...claims.values()], indexed };
}

/**
 * The index and the claim's own partition must agree: every entry the storefront-day index listed
 * is the claim's entry with that sequence and hash, and no entry is listed twice (a copy stored
 * under another claim's key still names the claim it was copied from).
 */
function auditListing(
  storefrontId: string,
  claimId: string,
  chain: readonly LedgerEntry[],
  listed: ReadonlyMap<number, string> | undefined,
  duplicate: number | undefined,
): LedgerProblem | undefined {
  if (duplicate !== undefined) {
    return {
      storefrontId,
      claimId,
      seq: duplicate,
      problem: 'the storefront index lists this entry twice: a copy is stored under another key',
    };
  }
  for (const [seq, hash] of listed ?? []) {
    const own = chain[seq - 1];
    if (!own || own.seq !== seq)
      return {
        storefrontId,
        claimId,
        seq,
        problem: "the storefront index lists this entry but the claim's chain has none: an entry names a claim it is not filed under",
      };
    if (own.hash !== hash)
      return { storefrontId, claimId, seq, problem: "the storefront index and the claim's chain hold different versions of this entry" };
  }
  return undefined;
}

/** What verify keeps per claim while it pages the index. */
interface ClaimTrack {
  readonly identity: ClaimIdentity;
  /** Earliest time the index listed for the claim: problems are reported in this order. */
  firstAt: string;
  readonly links: EntryLink[];
  /** The entries that ask for an action or answer one, as listed: what the reconciliation reads. */
  readonly actionEntries: LedgerEntry[];
  /** The first entry that failed a check on its own, as listed. */
  suspect?: { seq: number; problem: string };
}

/** Whether an entry asks something of the shop or records its answer (these are also the only entries with postings). */
function isActionEntry(e: LedgerEntry): boolean {
  return actionTypeOf(e.type) !== undefined || e.type === 'action_succeeded' || e.type === 'action_failed' || e.type === 'action_cancelled';
}

/**
 * Checks the ledger of one storefront (or all) in a window.
 *
 * What happens:
 * 1. The storefront-day index is paged, several days at once (Query only, never a Scan). Every
 *    entry is checked on its own as it arrives (content against its hash, balanced postings, the
 *    claim's storefront, order, customer and currency) and its links are kept.
 * 2. Each claim's links must run from sequence 1 without gap or repeat, each entry linking to its
 *    predecessor's hash. A claim that failed, or that began before the window, is then read by its
 *    key (strongly consistent) and audited whole; only what that read confirms is reported, and
 *    the index must list the claim's own entries (same sequence and hash, none twice).
 * 3. The running totals of the orders those claims are on are read in batches. Each must equal
 *    the refunds and credits of its claims, with the same set of claims. A total that does not
 *    add up is confirmed by reading the order's entries by the order index and then reported.
 * 4. The actions of the claims without a problem are reconciled as of the window's end (see
 *    `reconcileActions`): from the entries the index listed, or the whole chain where it was read
 *    by key. This reads nothing more.
 * Nothing is written. The problems come back in the time order of the claims, chains before
 * totals.
 */
export async function verifyLedger(scope: AuditScope, deps: AuditDeps): Promise<VerifyResult> {
  const staleDays = scope.staleDays ?? DEFAULT_STALE_DAYS;
  // Refused before reading anything rather than after a long walk through the index.
  assertStaleDays(staleDays);
  const storefronts = scope.storefrontId ? [scope.storefrontId] : (await deps.state.storefronts()).sort();
  const limit = scope.concurrency ?? 16;
  const claimProblems: { at: string; problem: LedgerProblem }[] = [];
  const orderProblems: LedgerProblem[] = [];
  let claims = 0;
  let entries = 0;
  let indexed = 0;
  let orders = 0;
  let checked = 0;
  const toReconcile: (readonly LedgerEntry[])[] = [];
  for (const storefrontId of storefronts) {
    const tracks = new Map<string, ClaimTrack>();
    const listed = await claimsInWindow(
      deps.ledger,
      storefrontId,
      scope.from,
      scope.to,
      (e, filed) => {
        let t = tracks.get(e.claimId);
        if (!t) {
          const { claimId, orderId, customerId, currency } = e;
          t = { identity: { claimId, storefrontId, orderId, customerId, currency }, firstAt: e.at, links: [], actionEntries: [] };
          tracks.set(e.claimId, t);
        }
        if (e.at < t.firstAt) t.firstAt = e.at;
        // An entry stored under another claim's or sequence's key (two entries swapped, a copy).
        const misfiled =
          filed && (filed.claimId !== e.claimId || filed.seq !== e.seq) ? `is filed as claim ${filed.claimId} seq ${filed.seq}` : undefined;
        const alone = misfiled ?? auditEntryAlone(e, t.identity);
        if (alone && (!t.suspect || e.seq < t.suspect.seq)) t.suspect = { seq: e.seq, problem: alone };
        t.links.push({ seq: e.seq, prevHash: e.prevHash, hash: e.hash, granted: alone ? 0 : grantedBy(e) });
        if (isActionEntry(e)) t.actionEntries.push(e);
        if (++checked % 50_000 === 0) scope.onProgress?.({ entriesIndexed: checked, claimsChecked: 0, claims: tracks.size });
      },
      limit,
      true,
    );
    indexed += listed.indexed;
    entries += listed.indexed;
    claims += tracks.size;

    // Claims the index alone cannot clear are read whole by their key.
    const byKey = new Map<string, LedgerEntry[]>();
    const toRead = [...tracks.values()].filter((t) => t.suspect !== undefined || auditLinks(t.links) !== undefined);
    await mapLimit(toRead, limit, async (t) => {
      const chain = await deps.ledger.entries(t.identity.claimId);
      byKey.set(t.identity.claimId, chain);
      entries += chain.filter((e) => e.at < scope.from.toISOString() || e.at >= scope.to.toISOString()).length;
      const listedLinks = new Map(t.links.map((l) => [l.seq, l.hash]));
      const repeated =
        t.links.length === listedLinks.size ? undefined : t.links.find((l, i) => t.links.findIndex((m) => m.seq === l.seq) !== i)?.seq;
      const problem =
        chain.length === 0
          ? auditListing(storefrontId, t.identity.claimId, chain, listedLinks, repeated)
          : (auditClaim(storefrontId, t.identity.claimId, chain) ??
            auditListing(storefrontId, t.identity.claimId, chain, listedLinks, repeated));
      if (problem) claimProblems.push({ at: t.firstAt, problem });
      else toReconcile.push(chain);
    });
    for (const t of tracks.values()) {
      if (!byKey.has(t.identity.claimId)) toReconcile.push([...t.actionEntries].sort((a, b) => a.seq - b.seq));
    }

    // Order totals: the claims' money (whole chains where read by key) against the stored totals.
    const perOrder = new Map<string, { sum: number; paidBy: Set<string>; claims: Set<string> }>();
    for (const t of tracks.values()) {
      const o = perOrder.get(t.identity.orderId) ?? { sum: 0, paidBy: new Set<string>(), claims: new Set<string>() };
      perOrder.set(t.identity.orderId, o);
      o.claims.add(t.identity.claimId);
      const chain = byKey.get(t.identity.claimId);
      const granted = chain ? chain.reduce((s, e) => s + grantedBy(e), 0) : t.links.reduce((s, l) => s + l.granted, 0);
      o.sum += granted;
      if (granted > 0) o.paidBy.add(t.identity.claimId);
    }
    orders += perOrder.size;
    const orderIds = [...perOrder.keys()];
    const chunks = Array.from({ length: Math.ceil(orderIds.length / 500) }, (_, i) => orderIds.slice(i * 500, i * 500 + 500));
    const totals = new Map((await mapLimit(chunks, limit, (ids) => deps.state.orderTotals(storefrontId, ids))).flatMap((m) => [...m]));
    const doubtful = [...perOrder.entries()].filter(([orderId, o]) => {
      const total = totals.get(orderId);
      const named = total?.claims ?? [];
      // Money outside the window, or claims on the order that the window did not list, need the order index.
      return (total?.granted ?? 0) !== o.sum || named.length !== o.paidBy.size || named.some((c) => !o.paidBy.has(c));
    });
    const confirmed = await mapLimit(doubtful, limit, async ([orderId]) => {
      const [onOrder, total] = await Promise.all([
        deps.ledger.orderEntries(storefrontId, orderId),
        deps.state.orderTotal(storefrontId, orderId),
      ]);
      try {
        return auditOrderTotal(storefrontId, orderId, onOrder, total);
      } catch (err) {
        // An entry stripped of the fields a total is summed from: verify reports it, never stops on it.
        return {
          storefrontId,
          claimId: '',
          seq: null,
          orderId,
          problem: `order ${orderId}: an entry on the order cannot be read (${(err as Error).message})`,
        };
      }
    });
    for (const p of confirmed) if (p) orderProblems.push(p);
  }
  claimProblems.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.problem.claimId < b.problem.claimId ? -1 : 1));
  return {
    storefronts: storefronts.length,
    claims,
    entries,
    indexed,
    orders,
    problems: [...claimProblems.map((c) => c.problem), ...orderProblems],
    reconciliation: reconcileActions(toReconcile, { now: scope.to, staleDays }),
  };
}

/** The UTC day after `day`. */
function dayAfter(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
}

/**
 * Computes a storefront's digest as of the end of `date`, covering the days from `since`.
 *
 * What happens:
 * 1. The storefront-day index is paged from `since` to the end of `date`.
 * 2. For each day, the head (highest sequence) of every claim with entries that day is kept.
 * 3. The days are chained into one SHA-256 digest (see {@link DigestBuilder}).
 */
export async function storefrontDigest(
  args: { storefrontId: string; since: string; date: string },
  deps: Pick<AuditDeps, 'ledger'>,
): Promise<DigestManifest & { line: string; entries: number }> {
  const builder = new DigestBuilder(args.storefrontId, args.since, args.date);
  const { indexed } = await claimsInWindow(deps.ledger, args.storefrontId, new Date(`${args.since}T00:00:00Z`), dayAfter(args.date), (e) =>
    builder.add(e),
  );
  const manifest = builder.manifest();
  return { ...manifest, line: formatDigest(manifest), entries: indexed };
}

/**
 * Checks the ledger against a digest pinned earlier: recomputes the digest for the same
 * storefront and days and names the first claim whose head differs. Given only the digest line
 * (no manifest), it can say that something changed, not where.
 */
export async function verifyAgainstDigest(
  pinned: DigestManifest | Pick<DigestManifest, 'storefrontId' | 'since' | 'date' | 'digest'>,
  deps: Pick<AuditDeps, 'ledger'>,
): Promise<LedgerProblem | undefined> {
  const now = await storefrontDigest(pinned, deps);
  if (now.digest === pinned.digest) return undefined;
  if ('days' in pinned) return compareDigests(pinned, now);
  return {
    storefrontId: pinned.storefrontId,
    claimId: '',
    seq: null,
    problem: `the ledger from ${pinned.since} to ${pinned.date} no longer matches the pinned digest (pinned ${pinned.digest}, now ${now.digest}); pass the digest's manifest file to name the claim`,
  };
}
