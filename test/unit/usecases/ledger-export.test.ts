import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#domain/errors.ts';
import { type ClaimRef, chainEntry, type EntryType, entryTypes, type LedgerEntry } from '#domain/ledger.ts';
import type { LedgerPage, LedgerStore } from '#ports';
import { type LedgerPageQuery, ledgerPage, MAX_INDEX_READS, PAGE_BYTE_BUDGET, timeKey } from '#usecases/ledger-export.ts';
import { samples, type TypedData } from './ledger-fixture.ts';

/** Sample data of `type`; a `received` entry's claim carries the customer's `message` when one is given. */
function typedData(type: EntryType, message: string | undefined): TypedData {
  if (type !== 'received' || message === undefined) return samples[type];
  const { data } = samples.received;
  return { type, data: { ...data, claim: { ...data.claim, complaint: { ...data.claim.complaint, message } } } };
}

/**
 * A ledger in memory behind the LedgerStore port, paging the way the DynamoDB adapter does: by
 * time key, with an opaque cursor that resumes after the last entry of the previous page.
 */
class FakeLedger implements Pick<LedgerStore, 'entries' | 'storefrontEntries'> {
  readonly all: LedgerEntry[] = [];
  reads = 0;

  async entries(claimId: string): Promise<LedgerEntry[]> {
    return this.all.filter((e) => e.claimId === claimId).sort((a, b) => a.seq - b.seq);
  }

  private sorted: Array<{ key: string; entry: LedgerEntry }> | undefined;

  async storefrontEntries(args: { storefrontId: string; from: Date; to: Date; cursor?: string; limit?: number }): Promise<LedgerPage> {
    this.reads++;
    const after = args.cursor === undefined ? '' : Buffer.from(args.cursor, 'base64url').toString();
    if (args.cursor !== undefined && !after.includes('#'))
      throw new InvalidRequestError('foreign cursor', [{ path: 'cursor', message: 'x' }]);
    this.sorted ??= this.all.map((entry) => ({ key: timeKey(entry), entry })).sort((a, b) => (a.key < b.key ? -1 : 1));
    const from = args.from.toISOString();
    const to = args.to.toISOString();
    const limit = args.limit ?? 500;
    const entries: LedgerEntry[] = [];
    let more = false;
    for (const { key, entry: e } of this.sorted) {
      if (e.storefrontId !== args.storefrontId || e.at < from || e.at >= to || key <= after) continue;
      if (entries.length === limit) {
        more = true;
        break;
      }
      entries.push(e);
    }
    const last = entries.at(-1);
    return { entries: structuredClone(entries), next: more && last ? Buffer.from(timeKey(last)).toString('base64url') : null };
  }

  /**
   * Appends a claim's chain of entries of the given types at the given times, with sample data
   * (`message` is the customer's message of a `received` step).
   */
  addClaim(ref: ClaimRef, steps: ReadonlyArray<{ type: EntryType; at: Date; message?: string }>): void {
    let prev: LedgerEntry | undefined;
    for (const [i, s] of steps.entries()) {
      prev = chainEntry(
        ref,
        prev,
        {
          ...typedData(s.type, s.message),
          step: `${s.type}#${i}`,
          status: 'assessing',
          actor: { kind: 'system' },
          policyVersion: 1,
        },
        s.at,
      );
      this.all.push(prev);
    }
    this.sorted = undefined;
  }

  /** Many entries quickly: copies of one entry at other times (their hashes do not matter here). */
  addCopies(ref: ClaimRef, type: EntryType, times: readonly Date[]): void {
    this.addClaim(ref, [{ type, at: times[0] as Date }]);
    const first = this.all.at(-1) as LedgerEntry;
    times.slice(1).forEach((at, i) => {
      this.all.push({ ...first, seq: i + 2, at: at.toISOString() });
    });
  }
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const refOf = (storefrontId: string, n: number): ClaimRef => ({
  claimId: `clm_${storefrontId}_${n}`,
  storefrontId,
  orderId: `ORD-${n}`,
  customerId: `C-${n}`,
  currency: 'EUR',
});

function depsOf(ledger: FakeLedger, storefronts: string[]) {
  return {
    ledger: ledger as unknown as LedgerStore,
    state: { storefronts: async () => [...storefronts] } as never,
  };
}

/** Every page of a query, following `next` to the end. */
async function readAll(query: LedgerPageQuery, deps: ReturnType<typeof depsOf>): Promise<{ entries: LedgerEntry[]; pages: number }> {
  const entries: LedgerEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await ledgerPage({ ...query, ...(cursor === undefined ? {} : { cursor }) }, deps);
    expect(page.entries.length).toBeLessThanOrEqual(query.limit);
    entries.push(...page.entries);
    cursor = page.next ?? undefined;
    pages++;
    if (pages > 10_000) throw new Error('paging does not end');
  } while (cursor !== undefined);
  return { entries, pages };
}

const ids = (entries: readonly LedgerEntry[]) => entries.map((e) => `${e.claimId}/${e.seq}`);

describe('ledgerPage', () => {
  it('pages through any ledger: the pages joined are exactly the matching entries, in order, once each (property)', async () => {
    const claim = fc.record({
      storefront: fc.constantFrom('alpha', 'beta', 'gamma'),
      steps: fc.array(fc.record({ type: fc.constantFrom(...entryTypes), hours: fc.integer({ min: 0, max: 24 * 5 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(claim, { maxLength: 12 }),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.constantFrom(...entryTypes), { nil: undefined }),
        fc.option(fc.constantFrom('alpha', 'beta', 'gamma', 'delta'), { nil: undefined }),
        fc.integer({ min: 0, max: 48 }),
        fc.integer({ min: 1, max: 24 * 6 }),
        async (claims, limit, type, storefrontId, fromHour, spanHours) => {
          // arrange
          const ledger = new FakeLedger();
          claims.forEach((c, n) => {
            // A claim's entries never go back in time.
            let hours = 0;
            const steps = c.steps.map((s) => {
              hours = Math.max(hours, s.hours);
              return { type: s.type, at: new Date(T0 + hours * HOUR) };
            });
            ledger.addClaim(refOf(c.storefront, n), steps);
          });
          const from = new Date(T0 + fromHour * HOUR);
          const to = new Date(from.getTime() + spanHours * HOUR);
          const query: LedgerPageQuery = {
            from,
            to,
            limit,
            ...(type === undefined ? {} : { type }),
            ...(storefrontId === undefined ? {} : { storefrontId }),
          };
          const expected = ledger.all
            .filter((e) => (storefrontId === undefined || e.storefrontId === storefrontId) && (type === undefined || e.type === type))
            .filter((e) => e.at >= from.toISOString() && e.at < to.toISOString())
            .sort((a, b) =>
              a.storefrontId !== b.storefrontId ? (a.storefrontId < b.storefrontId ? -1 : 1) : timeKey(a) < timeKey(b) ? -1 : 1,
            );
          // act
          const { entries } = await readAll(query, depsOf(ledger, ['gamma', 'alpha', 'beta']));
          // assert
          expect(ids(entries)).toEqual(ids(expected));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads one claim by its key, filtered by time and type, in pages', async () => {
    // arrange
    const ledger = new FakeLedger();
    const steps = entryTypes.slice(0, 6).map((type, i) => ({ type, at: new Date(T0 + i * HOUR) }));
    ledger.addClaim(refOf('alpha', 1), steps);
    ledger.addClaim(refOf('alpha', 2), steps);
    const deps = depsOf(ledger, ['alpha']);
    // act
    const all = await readAll({ claimId: 'clm_alpha_1', from: new Date(T0 + HOUR), to: new Date(T0 + 5 * HOUR), limit: 2 }, deps);
    const other = await readAll({ claimId: 'clm_alpha_1', storefrontId: 'beta', from: new Date(0), to: new Date(T0 * 2), limit: 2 }, deps);
    const typed = await readAll({ claimId: 'clm_alpha_1', type: 'decided', from: new Date(0), to: new Date(T0 * 2), limit: 2 }, deps);
    // assert
    expect(ids(all.entries)).toEqual(['clm_alpha_1/2', 'clm_alpha_1/3', 'clm_alpha_1/4', 'clm_alpha_1/5']);
    expect(all.pages).toBe(2);
    expect(other.entries).toEqual([]);
    expect(ids(typed.entries)).toEqual(['clm_alpha_1/2']);
    expect(ledger.reads).toBe(0);
  });

  it('refuses a cursor that is not its own, or was issued for another query', async () => {
    // arrange
    const ledger = new FakeLedger();
    ledger.addClaim(
      refOf('alpha', 1),
      entryTypes.map((type, i) => ({ type, at: new Date(T0 + i * HOUR) })),
    );
    const deps = depsOf(ledger, ['alpha']);
    const query = { storefrontId: 'alpha', from: new Date(T0), to: new Date(T0 + 48 * HOUR), limit: 2 };
    const first = await ledgerPage(query, deps);
    const cursor = first.next as string;
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(cursor, 'base64url').toString()), s: 'beta' })).toString(
      'base64url',
    );
    // act
    const attempts = [
      ledgerPage({ ...query, cursor: 'not-a-cursor' }, deps),
      ledgerPage({ ...query, cursor: Buffer.from('{"v":2}').toString('base64url') }, deps),
      ledgerPage({ ...query, to: new Date(T0 + 47 * HOUR), cursor }, deps),
      ledgerPage({ ...query, type: 'received', cursor }, deps),
      ledgerPage({ ...query, storefrontId: 'beta', cursor }, deps),
      ledgerPage({ ...query, cursor: forged }, deps),
    ];
    // assert
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const attempt of attempts) {
      const err = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).issues.map((i) => i.path)).toEqual(['cursor']);
    }
    // a different page size is the same query
    await expect(ledgerPage({ ...query, limit: 5, cursor }, deps)).resolves.toMatchObject({ entries: expect.any(Array) });
  });

  it('returns an entry once even when another is inserted before the cursor between two pages', async () => {
    // arrange
    const ledger = new FakeLedger();
    ledger.addClaim(
      refOf('alpha', 1),
      [0, 1, 2, 3, 4, 5].map((h) => ({ type: 'email_sent' as const, at: new Date(T0 + h * HOUR) })),
    );
    const deps = depsOf(ledger, ['alpha']);
    const query = { storefrontId: 'alpha', from: new Date(T0), to: new Date(T0 + 48 * HOUR), limit: 2, type: 'email_sent' as const };
    // act
    const first = await ledgerPage(query, deps);
    ledger.addClaim(refOf('alpha', 2), [{ type: 'email_sent', at: new Date(T0 + 30 * 60_000) }]);
    const rest = await readAll({ ...query, cursor: first.next as string }, deps);
    // assert
    const seen = ids([...first.entries, ...rest.entries]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(['clm_alpha_1/1', 'clm_alpha_1/2', 'clm_alpha_1/3', 'clm_alpha_1/4', 'clm_alpha_1/5', 'clm_alpha_1/6']);
  });

  it('stops a page early when its entries are large, and loses none', async () => {
    // arrange: entries of ~300 KB each, as a claim with a long complaint could make them
    const ledger = new FakeLedger();
    const big = 'x'.repeat(300_000);
    ledger.addClaim(
      refOf('alpha', 1),
      Array.from({ length: 15 }, (_, i) => ({ type: 'received' as const, at: new Date(T0 + i * HOUR), message: big })),
    );
    const deps = depsOf(ledger, ['alpha']);
    // act
    const first = await ledgerPage({ storefrontId: 'alpha', from: new Date(T0), to: new Date(T0 + 48 * HOUR), limit: 100 }, deps);
    const all = await readAll({ storefrontId: 'alpha', from: new Date(T0), to: new Date(T0 + 48 * HOUR), limit: 100 }, deps);
    // assert
    expect(first.entries.length).toBeLessThan(15);
    expect(JSON.stringify(first.entries).length).toBeLessThanOrEqual(PAGE_BYTE_BUDGET);
    expect(first.next).not.toBeNull();
    expect(all.entries).toHaveLength(15);
    expect(all.pages).toBeGreaterThan(1);
  });

  it('bounds the index reads of one request when a type filter matches little, and still reaches the end', async () => {
    // arrange: 30 claims of 1,000 entries, none of the type asked for
    const ledger = new FakeLedger();
    for (let n = 0; n < 30; n++) {
      ledger.addCopies(
        refOf('alpha', n),
        'email_sent',
        Array.from({ length: 1000 }, (_, i) => new Date(T0 + n * HOUR + i)),
      );
    }
    ledger.addClaim(refOf('alpha', 99), [{ type: 'closed', at: new Date(T0 + 40 * HOUR) }]);
    const deps = depsOf(ledger, ['alpha']);
    const query = { storefrontId: 'alpha', type: 'closed' as const, from: new Date(T0), to: new Date(T0 + 48 * HOUR), limit: 10 };
    // act
    const first = await ledgerPage(query, deps);
    const readsOfFirst = ledger.reads;
    const all = await readAll(query, deps);
    // assert
    expect(first.entries).toEqual([]);
    expect(first.next).not.toBeNull();
    expect(readsOfFirst).toBe(MAX_INDEX_READS);
    expect(ids(all.entries)).toEqual(['clm_alpha_99/1']);
  });

  it('walks every storefront in id order when none is named, and answers an empty ledger with one empty last page', async () => {
    // arrange
    const ledger = new FakeLedger();
    for (const s of ['beta', 'alpha']) ledger.addClaim(refOf(s, 1), [{ type: 'received', at: new Date(T0) }]);
    // act
    const all = await readAll({ from: new Date(T0), to: new Date(T0 + HOUR), limit: 1 }, depsOf(ledger, ['beta', 'alpha']));
    const none = await ledgerPage({ from: new Date(T0), to: new Date(T0 + HOUR), limit: 1 }, depsOf(ledger, []));
    // assert
    expect(all.entries.map((e) => e.storefrontId)).toEqual(['alpha', 'beta']);
    expect(none).toEqual({ entries: [], next: null });
  });
});
