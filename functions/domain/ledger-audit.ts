import { createHash } from 'node:crypto';
import { assertBalanced, entryHash, GENESIS_HASH, type LedgerEntry, verifyChain } from './ledger.ts';

/**
 * Finance's audit of the ledger: the checks `makegood ledger verify` runs, and the storefront
 * digest an auditor pins. Pure: the use case reads the entries and the totals, this decides.
 */

/** The first thing wrong, named so that a person can find it. */
export interface LedgerProblem {
  readonly storefrontId: string;
  readonly claimId: string;
  /** The bad entry's sequence number; null when the problem is not one entry (an order total). */
  readonly seq: number | null;
  readonly orderId?: string;
  readonly problem: string;
}

/** An order's running total as stored beside the ledger. */
export interface StoredOrderTotal {
  readonly granted: number;
  readonly currency: string;
  readonly claims: readonly string[];
}

/** The entry types that move money onto an order's running total. */
export const moneyEntryTypes = ['refund_settled', 'credit_issued'] as const;

/** Whether a money entry converts an earlier grant (a recovery credit, cash asked for again) rather than granting. */
export function isConversion(entry: LedgerEntry): boolean {
  // Read defensively: the audit runs this on entries it has not verified yet.
  const data = entry.data as { recovers?: unknown; replaces?: unknown } | undefined;
  return (
    (entry.type === 'credit_issued' && data?.recovers !== undefined) || (entry.type === 'refund_settled' && data?.replaces !== undefined)
  );
}

/** The refund value a `refund_settled` or `credit_issued` entry granted (minor units, goodwill left out), else 0. */
export function grantedBy(entry: LedgerEntry): number {
  if (entry.type !== 'refund_settled' && entry.type !== 'credit_issued') return 0;
  // A failed refund recovered as credit, or that credit paid in cash after all, changes the form
  // of a grant already counted, never its value.
  if (isConversion(entry)) return 0;
  const data = entry.data as { amount?: { amount?: unknown }; goodwill?: { amount?: unknown } } | undefined;
  const amount = data?.amount?.amount;
  // Goodwill (bonus, compensation, apology) is outside the order's refund cap: the running total
  // counts refund value only, so the audit does too.
  const goodwill = entry.type === 'credit_issued' ? (data?.goodwill?.amount ?? 0) : 0;
  return typeof amount === 'number' && typeof goodwill === 'number' ? amount - goodwill : Number.NaN;
}

/**
 * The first problem in one claim's entries as read by its key: the hash chain (sequence, links,
 * content hashes, balanced postings), then that every entry names this claim and the same
 * storefront, order, customer and currency as the first, and that money entries carry whole amounts.
 */
export function auditClaim(storefrontId: string, claimId: string, entries: readonly LedgerEntry[]): LedgerProblem | undefined {
  if (entries.length === 0)
    return {
      storefrontId,
      claimId,
      seq: null,
      problem:
        'the storefront index lists an entry of this claim but the claim has no entries: an entry names a claim it is not filed under',
    };
  const first = entries[0] as LedgerEntry;
  // The chain first: it names exactly the entry whose stored content differs from what was hashed.
  const bad = verifyChain(entries);
  if (bad) return { storefrontId, claimId, seq: bad.seq, orderId: first.orderId, problem: bad.problem };
  for (const e of entries) {
    const wrong =
      e.claimId !== claimId
        ? `is filed under claim ${claimId} but names claim ${String(e.claimId)}`
        : e.storefrontId !== storefrontId
          ? `names storefront ${String(e.storefrontId)}, not ${storefrontId}`
          : e.orderId !== first.orderId || e.customerId !== first.customerId || e.currency !== first.currency
            ? 'names a different order, customer or currency than the claim’s first entry'
            : undefined;
    if (wrong) return { storefrontId, claimId, seq: e.seq ?? null, problem: wrong };
  }
  for (const e of entries) {
    const granted = grantedBy(e);
    if (!Number.isSafeInteger(granted) || granted < 0) {
      return { storefrontId, claimId, seq: e.seq, orderId: first.orderId, problem: `${e.type} has no whole amount` };
    }
  }
  return undefined;
}

/** What the fast check keeps of an entry read through an index: enough to check its links. */
export interface EntryLink {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  /** What the entry granted on its order (minor units), 0 for entries that grant nothing. */
  readonly granted: number;
}

/** The claim an entry read through an index is expected to belong to (as first seen). */
export interface ClaimIdentity {
  readonly claimId: string;
  readonly storefrontId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
}

/**
 * The checks that need one entry alone: its content matches its hash, its postings balance, it
 * names the claim's storefront, order, customer and currency, and a money entry has a whole
 * amount. A problem's text, or undefined.
 */
export function auditEntryAlone(e: LedgerEntry, claim: ClaimIdentity): string | undefined {
  try {
    if (entryHash(e) !== e.hash) return 'content does not match its hash';
    assertBalanced(e.postings);
  } catch (err) {
    return (err as Error).message;
  }
  if (
    e.storefrontId !== claim.storefrontId ||
    e.orderId !== claim.orderId ||
    e.customerId !== claim.customerId ||
    e.currency !== claim.currency
  ) {
    return "names a different storefront, order, customer or currency than the claim's other entries";
  }
  const granted = grantedBy(e);
  if (!Number.isSafeInteger(granted) || granted < 0) return `${e.type} has no whole amount`;
  return undefined;
}

/**
 * Checks the links of a claim's entries as an index listed them (any order): sequence numbers
 * from 1 without gap or repeat, each linking to its predecessor's hash. `partial` when the first
 * listed entry is not the claim's first (the claim began before the window): the caller then
 * reads the claim by its key.
 */
export function auditLinks(links: readonly EntryLink[]): { seq: number; problem: string } | 'partial' | undefined {
  const sorted = [...links].sort((a, b) => a.seq - b.seq);
  const first = sorted[0];
  if (!first) return undefined;
  if (first.seq !== 1) return 'partial';
  let prev: EntryLink | undefined;
  for (const l of sorted) {
    if (prev && l.seq === prev.seq) return { seq: l.seq, problem: 'listed twice by the index' };
    const expected = prev === undefined ? 1 : prev.seq + 1;
    if (l.seq !== expected) return { seq: l.seq, problem: `expected sequence ${expected}` };
    if (l.prevHash !== (prev?.hash ?? GENESIS_HASH)) return { seq: l.seq, problem: 'does not link to the previous entry' };
    prev = l;
  }
  return undefined;
}

/**
 * Compares an order's running total with the money entries of every claim on the order: the
 * granted sum must equal the sum of their amounts, and the total's claim set must be exactly the
 * claims with money entries. Names the newest money entry when the sums differ.
 */
export function auditOrderTotal(
  storefrontId: string,
  orderId: string,
  orderEntries: readonly LedgerEntry[],
  total: StoredOrderTotal | undefined,
): LedgerProblem | undefined {
  const money = orderEntries.filter((e) => grantedBy(e) !== 0);
  const sum = money.reduce((s, e) => s + grantedBy(e), 0);
  const paidBy = [...new Set(money.map((e) => e.claimId))].sort();
  const granted = total?.granted ?? 0;
  const claims = [...(total?.claims ?? [])].sort();
  const newest = money.at(-1);
  const at = newest ?? orderEntries.at(-1);
  const where = { storefrontId, claimId: at?.claimId ?? '', seq: newest?.seq ?? null, orderId };
  if (granted !== sum) {
    return {
      ...where,
      problem: `order ${orderId}: the running total says ${granted} granted, its refund and credit entries add up to ${sum}`,
    };
  }
  if (claims.join('\n') !== paidBy.join('\n')) {
    const extra = claims.filter((c) => !paidBy.includes(c));
    const missing = paidBy.filter((c) => !claims.includes(c));
    return {
      ...where,
      problem: `order ${orderId}: the running total's claims differ from the entries (${[
        extra.length ? `only in the total: ${extra.join(', ')}` : '',
        missing.length ? `only in the entries: ${missing.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')})`,
    };
  }
  if (total && money.some((e) => e.currency !== total.currency)) {
    return { ...where, problem: `order ${orderId}: the running total is in ${total.currency}, an entry is not` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The storefront digest

/** The newest entry of a claim as of some moment. */
export interface ClaimHead {
  readonly claimId: string;
  readonly seq: number;
  readonly hash: string;
}

/** One day of the digest: the heads that moved that day and the chained digest after it. */
export interface DigestDay {
  readonly day: string;
  readonly heads: readonly ClaimHead[];
  readonly digest: string;
}

/** Everything needed to re-check a digest and to say which claim changed. */
export interface DigestManifest {
  readonly version: 1;
  readonly storefrontId: string;
  /** First day covered (UTC, inclusive). */
  readonly since: string;
  /** Last day covered (UTC, inclusive): the state as of the end of this day. */
  readonly date: string;
  readonly digest: string;
  readonly days: readonly DigestDay[];
}

const DIGEST_PREFIX = 'mgd1';

/** The line of a head that the digest hashes. */
export function headLine(h: ClaimHead): string {
  return `${h.claimId}:${h.seq}:${h.hash}`;
}

/**
 * One day's link of the digest chain: SHA-256 over the previous day's digest, the day, and the
 * sorted head lines of every claim that has entries that day (its head as of the end of the day).
 */
export function dayDigest(previous: string, day: string, heads: readonly ClaimHead[]): string {
  const lines = heads.map(headLine).sort();
  return createHash('sha256')
    .update(`${DIGEST_PREFIX}\n${previous}\n${day}\n${lines.join('\n')}`)
    .digest('hex');
}

/**
 * Accumulates a storefront's entries (in any order) into its daily digest. The digest starts from
 * 64 zeros on `since`; each day with entries chains one link; days without entries add none. As
 * every head hash covers its claim's whole chain up to it, the digest commits to every entry up to
 * the end of `date`: an edit, an insertion or an entry cut off the end of a chain changes it.
 */
export class DigestBuilder {
  private readonly days = new Map<string, Map<string, ClaimHead>>();
  constructor(
    readonly storefrontId: string,
    readonly since: string,
    readonly date: string,
  ) {}

  add(e: LedgerEntry): void {
    const day = e.at.slice(0, 10);
    if (day < this.since || day > this.date) return;
    let heads = this.days.get(day);
    if (!heads) {
      heads = new Map();
      this.days.set(day, heads);
    }
    const known = heads.get(e.claimId);
    if (!known || e.seq > known.seq) heads.set(e.claimId, { claimId: e.claimId, seq: e.seq, hash: e.hash });
  }

  manifest(): DigestManifest {
    let digest = '0'.repeat(64);
    const days: DigestDay[] = [];
    for (const day of [...this.days.keys()].sort()) {
      const heads = [...(this.days.get(day)?.values() ?? [])].sort((a, b) => (a.claimId < b.claimId ? -1 : a.claimId > b.claimId ? 1 : 0));
      digest = dayDigest(digest, day, heads);
      days.push({ day, heads, digest });
    }
    return { version: 1, storefrontId: this.storefrontId, since: this.since, date: this.date, digest, days };
  }
}

/** The digest as one line an auditor can write down: `mgd1:<storefront>:<since>:<date>:<sha256>`. */
export function formatDigest(m: Pick<DigestManifest, 'storefrontId' | 'since' | 'date' | 'digest'>): string {
  return `${DIGEST_PREFIX}:${m.storefrontId}:${m.since}:${m.date}:${m.digest}`;
}

/** Parses a digest line; undefined when it is not one. */
export function parseDigest(text: string): Pick<DigestManifest, 'storefrontId' | 'since' | 'date' | 'digest'> | undefined {
  const m = /^mgd1:(.+):(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2}):([0-9a-f]{64})$/.exec(text.trim());
  if (!m) return undefined;
  return { storefrontId: m[1] as string, since: m[2] as string, date: m[3] as string, digest: m[4] as string };
}

/**
 * Compares a pinned digest manifest with the one computed now, and names the first claim whose
 * head differs (the earliest day, then the claim id). Undefined when they match.
 */
export function compareDigests(pinned: DigestManifest, now: DigestManifest): LedgerProblem | undefined {
  if (pinned.digest === now.digest) return undefined;
  const sf = pinned.storefrontId;
  const pinnedDays = new Map(pinned.days.map((d) => [d.day, d]));
  const nowDays = new Map(now.days.map((d) => [d.day, d]));
  for (const day of [...new Set([...pinnedDays.keys(), ...nowDays.keys()])].sort()) {
    const before = new Map((pinnedDays.get(day)?.heads ?? []).map((h) => [h.claimId, h]));
    const after = new Map((nowDays.get(day)?.heads ?? []).map((h) => [h.claimId, h]));
    for (const claimId of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const b = before.get(claimId);
      const a = after.get(claimId);
      if (b && !a) {
        return { storefrontId: sf, claimId, seq: b.seq, problem: `its entries of ${day} are gone (the pinned head was seq ${b.seq})` };
      }
      if (!b && a) {
        return {
          storefrontId: sf,
          claimId,
          seq: a.seq,
          problem: `has entries dated ${day} that were not there when the digest was pinned`,
        };
      }
      if (a && b && a.seq < b.seq) {
        return {
          storefrontId: sf,
          claimId,
          seq: a.seq + 1,
          problem: `the chain was cut off: on ${day} it ends at seq ${a.seq}, the pinned head is seq ${b.seq}`,
        };
      }
      if (a && b && a.seq > b.seq) {
        return { storefrontId: sf, claimId, seq: b.seq + 1, problem: `has entries dated ${day} after the pinned head seq ${b.seq}` };
      }
      if (a && b && a.hash !== b.hash) {
        return { storefrontId: sf, claimId, seq: b.seq, problem: `its head (seq ${b.seq}, ${day}) changed since the digest was pinned` };
      }
    }
  }
  return { storefrontId: sf, claimId: '', seq: null, problem: 'the digest differs but every head matches: the manifest itself was edited' };
}
