import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InvalidRequestError } from '#domain/errors.ts';
import { canonicalJson, type LedgerEntry } from '#domain/ledger.ts';
import { type LedgerQuery, MAX_PAGE_SIZE } from '#domain/ledger-query.ts';
import type { Deps, LedgerPage } from '#ports';

/**
 * Serialised entries a page holds at most, before it stops early. A Lambda answer is at most 6 MB,
 * and one `received` entry can carry a 64 KiB claim; CSV may double the quotes of an entry's data.
 */
export const PAGE_BYTE_BUDGET = 2 * 1024 * 1024;
/**
 * Index pages one request reads at most. A narrow `type` filter over a long range could otherwise
 * read the whole range in one request; instead the page comes back short, with a cursor.
 */
export const MAX_INDEX_READS = 20;

/** What one page of the finance export asks for (the format does not change the entries). */
export type LedgerPageQuery = Omit<LedgerQuery, 'format'>;

/**
 * Where the next page starts. `q` binds the cursor to the query it was issued for. On the
 * storefront path: `s` is the storefront being read, `c` the index cursor of the index page being
 * read, `n` how many entries of that index page were already looked at and `k` the time key of the
 * last entry returned (so an entry is never returned twice, even if one was inserted before it).
 * On the claim path: `e` is the sequence number of the last entry returned.
 */
const cursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string(),
  s: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional(),
  c: z.string().optional(),
  n: z.number().int().min(0).max(MAX_PAGE_SIZE).optional(),
  k: z.string().optional(),
  e: z.number().int().min(0).optional(),
});
type Cursor = z.infer<typeof cursorSchema>;

function fingerprint(q: LedgerPageQuery): string {
  const bound = { from: q.from.toISOString(), to: q.to.toISOString(), storefront: q.storefrontId, claim: q.claimId, type: q.type };
  return createHash('sha256').update(canonicalJson(bound)).digest('base64url').slice(0, 16);
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function badCursor(message: string): InvalidRequestError {
  return new InvalidRequestError('The cursor is not valid for this query', [{ path: 'cursor', message }]);
}

function decodeCursor(text: string, q: LedgerPageQuery): Cursor {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('must be the `next` value of an earlier page');
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) throw badCursor('must be the `next` value of an earlier page');
  if (parsed.data.q !== fingerprint(q)) {
    throw badCursor('was issued for a different query: from, to, storefront, claim and type must stay the same while paging');
  }
  return parsed.data;
}

/** The index's sort key of an entry: entries are ordered by it within a storefront. */
export function timeKey(e: LedgerEntry): string {
  return `${e.at}#${e.claimId}#${String(e.seq).padStart(8, '0')}`;
}

function entryBytes(e: LedgerEntry): number {
  return Buffer.byteLength(JSON.stringify(e), 'utf8');
}

/** Collects entries into a page until it is full or its byte budget is spent. */
class PageBuilder {
  readonly entries: LedgerEntry[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get wanted(): number {
    return this.limit - this.entries.length;
  }

  /** Adds the entry, or answers false when the page has no room left for it. */
  offer(e: LedgerEntry): boolean {
    if (this.entries.length >= this.limit) return false;
    const size = entryBytes(e);
    // The first entry always fits, so that every page makes progress.
    if (this.entries.length > 0 && this.bytes + size > PAGE_BYTE_BUDGET) return false;
    this.entries.push(e);
    this.bytes += size;
    return true;
  }
}

/**
 * Finance reads the ledger, one page at a time.
 *
 * What happens:
 * 1. The cursor, if any, is decoded and checked against the query it was issued for.
 * 2. With `claimId`: the claim's entries are read by key, filtered by storefront, time and type,
 *    and the page continues after the last sequence number returned.
 * 3. Otherwise storefront by storefront (the one asked for, or every storefront in id order), the
 *    storefront-day index is read page by page and filtered by type, until the page is full, its
 *    byte budget is spent ({@link PAGE_BYTE_BUDGET}) or it has read {@link MAX_INDEX_READS} index pages.
 * 4. The entries come back oldest first (within each storefront) with the cursor of the next page.
 *    A page may hold fewer entries than `limit`, even none; only `next: null` means the end.
 */
export async function ledgerPage(query: LedgerPageQuery, deps: Pick<Deps, 'ledger' | 'state'>): Promise<LedgerPage> {
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query);
  return query.claimId === undefined ? storefrontPage(query, cursor, deps) : claimPage(query.claimId, query, cursor, deps);
}

async function claimPage(claimId: string, q: LedgerPageQuery, cursor: Cursor | undefined, deps: Pick<Deps, 'ledger'>): Promise<LedgerPage> {
  const after = cursor?.e ?? 0;
  const from = q.from.getTime();
  const to = q.to.getTime();
  const matching = (await deps.ledger.entries(claimId)).filter((e) => {
    const at = Date.parse(e.at);
    return (
      e.seq > after &&
      at >= from &&
      at < to &&
      (q.storefrontId === undefined || e.storefrontId === q.storefrontId) &&
      (q.type === undefined || e.type === q.type)
    );
  });
  const page = new PageBuilder(q.limit);
  for (const e of matching) if (!page.offer(e)) break;
  const last = page.entries.at(-1);
  const more = last !== undefined && page.entries.length < matching.length;
  return { entries: page.entries, next: more ? encodeCursor({ v: 1, q: fingerprint(q), e: last.seq }) : null };
}

async function storefrontPage(q: LedgerPageQuery, cursor: Cursor | undefined, deps: Pick<Deps, 'ledger' | 'state'>): Promise<LedgerPage> {
  if (q.storefrontId !== undefined && cursor?.s !== undefined && cursor.s !== q.storefrontId) {
    throw badCursor('was issued for a different storefront');
  }
  const ids = q.storefrontId !== undefined ? [q.storefrontId] : (await deps.state.storefronts()).sort();
  // Each storefront after the current one, in id order: new storefronts never shift the cursor.
  const after = (id: string) => ids.find((x) => x > id);
  let storefront: string | undefined = cursor === undefined ? ids[0] : cursor.s;
  let indexCursor = cursor?.c;
  let seen = cursor?.n ?? 0;
  let lastKey = cursor?.k;
  const page = new PageBuilder(q.limit);
  const here = (): string | null =>
    storefront === undefined
      ? null
      : encodeCursor({
          v: 1,
          q: fingerprint(q),
          s: storefront,
          ...(indexCursor === undefined ? {} : { c: indexCursor }),
          ...(seen > 0 ? { n: seen } : {}),
          ...(lastKey === undefined ? {} : { k: lastKey }),
        });

  for (let reads = 0; storefront !== undefined; reads++) {
    if (page.wanted === 0 || reads === MAX_INDEX_READS) return { entries: page.entries, next: here() };
    // With a type filter most entries may be dropped: read whole index pages. Without one, read
    // what the page still wants plus what was already looked at on this index page.
    const limit = q.type === undefined ? Math.min(MAX_PAGE_SIZE, seen + page.wanted) : MAX_PAGE_SIZE;
    const read = await deps.ledger.storefrontEntries({
      storefrontId: storefront,
      from: q.from,
      to: q.to,
      ...(indexCursor === undefined ? {} : { cursor: indexCursor }),
      limit,
    });
    for (const [i, e] of read.entries.entries()) {
      const key = timeKey(e);
      if (lastKey !== undefined && key <= lastKey) continue;
      if (q.type !== undefined && e.type !== q.type) continue;
      if (!page.offer(e)) {
        seen = i;
        return { entries: page.entries, next: here() };
      }
      lastKey = key;
    }
    seen = 0;
    if (read.next !== null) {
      indexCursor = read.next;
    } else {
      storefront = after(storefront);
      indexCursor = undefined;
      lastKey = undefined;
    }
  }
  return { entries: page.entries, next: null };
}
