import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { type DigestManifest, formatDigest, parseDigest } from '#domain/ledger-audit.ts';
import { storefrontDigest, verifyAgainstDigest, verifyLedger } from '#usecases/ledger-verify.ts';
import { buildLedger, claimFor, entryOf, type Item, type MemoryLedger, refOf, toItem, WINDOW } from './ledger-fixture.ts';

const verify = (ledger: MemoryLedger) => verifyLedger({ ...WINDOW }, { ledger, state: ledger.state() });
const claim = (ledger: MemoryLedger, id: string) => ledger.claims.get(id) as Item[];
const KEYS = new Set(['pk', 'sk', 'orderKey', 'customerKey', 'dayKey', 'timeKey']);

type Leaf = { path: (string | number)[]; value: unknown };

/** Every leaf of an entry (strings, numbers, booleans, nulls), with its path. */
function leaves(value: unknown, path: (string | number)[] = []): Leaf[] {
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
  }
  return [{ path, value }];
}

/** A value of the same kind that differs from `v`. */
function changed(v: unknown, salt: number): unknown {
  if (typeof v === 'string') return v.length > 0 && salt % 2 === 0 ? v.slice(0, -1) : `${v}${String.fromCharCode(97 + (salt % 26))}`;
  if (typeof v === 'number') return v + 1 + (salt % 7);
  if (typeof v === 'boolean') return !v;
  return salt;
}

function setAt(target: unknown, path: (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = value;
}

describe('verifyLedger on a clean ledger', () => {
  it('finds nothing and counts what it read', async () => {
    // arrange
    const ledger = buildLedger();
    // act
    const result = await verify(ledger);
    // assert
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ storefronts: 1, claims: 6, entries: ledger.all().length, indexed: ledger.all().length, orders: 5 });
  });
});

describe('verifyLedger catches tampering', () => {
  it('catches any one changed, removed or added field of a random entry (1,000 runs) and names that entry', async () => {
    const base = buildLedger();
    const targets = [...base.claims.values()].flatMap((chain) => chain.map((e) => ({ claimId: e.claimId, seq: e.seq })));
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), fc.nat(), fc.constantFrom('change', 'remove', 'add'), async (pick, field, salt, how) => {
        // arrange: one field of one stored entry differs from what was hashed
        const ledger = buildLedger();
        const t = targets[pick % targets.length] as { claimId: string; seq: number };
        const entry = claim(ledger, t.claimId)[t.seq - 1] as Item;
        // The entry's own fields; its key and index attributes stay as they were written.
        const fields = leaves(entry).filter((l) => !KEYS.has(String(l.path[0])));
        const leaf = fields[field % fields.length] as Leaf;
        if (how === 'change') setAt(entry, leaf.path, changed(leaf.value, salt));
        else if (how === 'remove') delete (entry as unknown as Record<string, unknown>)[String(leaf.path[0])];
        else (entry.data as Record<string, unknown>)[`x${salt}`] = salt;
        // act
        const { problems } = await verify(ledger);
        // assert: caught, and the first problem names the tampered entry: by its claim and sequence,
        // or by the claim and sequence the tampered entry now claims to have
        expect(problems.length).toBeGreaterThan(0);
        expect([t.claimId, entry.claimId]).toContain(problems[0]?.claimId);
        expect([t.seq, entry.seq]).toContain(problems[0]?.seq);
      }),
      { numRuns: 1000 },
    );
  });

  it('catches an entry deleted from the middle of a chain, at the entry after the gap', async () => {
    // arrange
    const ledger = buildLedger();
    claim(ledger, 'CLM-C').splice(1, 1);
    // act
    const { problems } = await verify(ledger);
    // assert
    expect(problems[0]).toMatchObject({ claimId: 'CLM-C', seq: 3, problem: 'expected sequence 2' });
  });

  it('catches the deleted last money entry of a claim through its order total', async () => {
    // arrange: C's chain is received, decided, refund_settled, email_sent; cut the last two
    const ledger = buildLedger();
    claim(ledger, 'CLM-C').splice(2);
    // act
    const { problems } = await verify(ledger);
    // assert
    expect(problems[0]).toMatchObject({ claimId: 'CLM-D', orderId: 'ORD-3' });
    // C's refund 9399 and D's credit 1100 less its goodwill 100: refund value, as the running total counts it.
    expect(problems[0]?.problem).toContain('running total says 10399 granted, its refund and credit entries add up to 1000');
  });

  it('catches two entries swapped, at the first of them', async () => {
    // arrange: entries 2 and 3 stored under each other's key
    const ledger = buildLedger();
    const [, second, third] = claim(ledger, 'CLM-B') as [Item, Item, Item];
    [second.sk, third.sk] = [third.sk, second.sk];
    // act
    const { problems } = await verify(ledger);
    // assert
    expect(problems[0]).toMatchObject({ claimId: 'CLM-B', seq: 3, problem: 'expected sequence 2' });
  });

  it("catches an order's running total that differs from its entries, naming the order's newest money entry", async () => {
    // arrange
    const ledger = buildLedger();
    ledger.totals.set('demo#ORD-1', { granted: 2751, paid: 20000, currency: 'EUR', claims: ['CLM-A'] });
    // act
    const { problems } = await verify(ledger);
    // assert
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ claimId: 'CLM-A', seq: 3, orderId: 'ORD-1' });
    expect(problems[0]?.problem).toContain('says 2751 granted');
  });

  it('catches a running total whose claim set names a claim without money entries', async () => {
    // arrange
    const ledger = buildLedger();
    ledger.totals.set('demo#ORD-1', { granted: 2750, paid: 20000, currency: 'EUR', claims: ['CLM-A', 'CLM-X'] });
    // act
    const { problems } = await verify(ledger);
    // assert
    expect(problems[0]?.problem).toContain('only in the total: CLM-X');
  });

  it("catches a claim's chain replaced by a valid copy of another claim's", async () => {
    // arrange: B's partition now holds a copy of A's chain, every hash intact
    const ledger = buildLedger();
    ledger.claims.set(
      'CLM-B',
      structuredClone(claim(ledger, 'CLM-A')).map((i) => ({ ...i, pk: 'CLAIM#CLM-B' })),
    );
    // act
    const { problems } = await verify(ledger);
    // assert
    expect(problems[0]).toMatchObject({ claimId: 'CLM-A', seq: 1 });
    expect(problems[0]?.problem).toContain('lists this entry twice');
  });
});

describe('the storefront digest', () => {
  const pin = (ledger: MemoryLedger, date = '2026-11-22') =>
    storefrontDigest({ storefrontId: 'demo', since: '2026-11-01', date }, { ledger });

  it('is stable, chains only days with entries and round-trips as one line', async () => {
    // act
    const a = await pin(buildLedger());
    const b = await pin(buildLedger());
    // assert
    expect(a.digest).toBe(b.digest);
    expect(a.days.map((d) => d.day)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(a.line).toBe(`mgd1:demo:2026-11-01:2026-11-22:${a.digest}`);
    expect(parseDigest(a.line)).toEqual({ storefrontId: 'demo', since: '2026-11-01', date: '2026-11-22', digest: a.digest });
    expect(formatDigest(a)).toBe(a.line);
  });

  it('does not change when entries are appended after its date', async () => {
    // arrange
    const ledger = buildLedger();
    const pinned = await pin(ledger, '2026-11-21');
    const chain = claim(ledger, 'CLM-F');
    chain.push(
      toItem(
        chainEntry(
          refOf(chain[0] as Item),
          entryOf(chain.at(-1) as Item),
          {
            type: 'closed',
            step: 'closed',
            status: 'closed',
            actor: { kind: 'system' },
            policyVersion: 3,
            data: { reason: 'return_not_received' },
          },
          new Date('2026-11-25T00:00:00Z'),
        ),
      ),
    );
    // act
    const problem = await verifyAgainstDigest(pinned, { ledger });
    // assert
    expect(problem).toBeUndefined();
  });

  it('detects entries cut off the end of a chain, which the chain itself cannot', async () => {
    // arrange: E's last entry is an email, not money, so neither the chain nor a total notices
    const ledger = buildLedger();
    const pinned: DigestManifest = await pin(ledger);
    claim(ledger, 'CLM-E').pop();
    expect((await verify(ledger)).problems).toEqual([]);
    // act
    const named = await verifyAgainstDigest(pinned, { ledger });
    const lineOnly = await verifyAgainstDigest(parseDigest(formatDigest(pinned)) as DigestManifest, { ledger });
    // assert
    expect(named).toMatchObject({ claimId: 'CLM-E', seq: 3 });
    expect(named?.problem).toContain('the chain was cut off');
    expect(lineOnly?.problem).toContain('no longer matches the pinned digest');
  });

  it('detects a chain rewritten from an edited entry on, hashes and all', async () => {
    // arrange: re-chain A with a different amount, so that A's own chain verifies
    const ledger = buildLedger();
    const pinned = await pin(ledger);
    const old = claim(ledger, 'CLM-A').map(entryOf);
    const rewritten: LedgerEntry[] = [];
    for (const e of old) {
      const edited: EntryDraft =
        e.type === 'decided'
          ? { ...e, data: { ...e.data, decision: { ...e.data.decision, cash: { ...e.data.decision.cash, amount: 1 } } } }
          : e;
      rewritten.push(chainEntry(refOf(toItem(e)), rewritten.at(-1), edited, new Date(e.at)));
    }
    ledger.claims.set('CLM-A', rewritten.map(toItem));
    expect((await verify(ledger)).problems).toEqual([]);
    // act
    const problem = await verifyAgainstDigest(pinned, { ledger });
    // assert
    expect(problem).toMatchObject({ claimId: 'CLM-A', seq: 4 });
    expect(problem?.problem).toContain('changed since the digest was pinned');
  });

  it('detects a whole claim deleted, and a back-dated claim inserted', async () => {
    // arrange
    const deleted = buildLedger();
    const pinned = await pin(deleted);
    deleted.claims.delete('CLM-F');
    const inserted = buildLedger();
    const ref = { ...refOf(claim(inserted, 'CLM-A')[0] as Item), claimId: 'CLM-Z' };
    inserted.claims.set('CLM-Z', [
      toItem(
        chainEntry(
          ref,
          undefined,
          {
            type: 'received',
            step: 'received',
            status: 'received',
            actor: { kind: 'system' },
            policyVersion: null,
            data: { claim: claimFor(ref, 'damaged'), idempotencyKey: 'key-CLM-Z' },
          },
          new Date('2026-11-20T12:00:00Z'),
        ),
      ),
    ]);
    // act
    const gone = await verifyAgainstDigest(pinned, { ledger: deleted });
    const added = await verifyAgainstDigest(pinned, { ledger: inserted });
    // assert
    expect(gone).toMatchObject({ claimId: 'CLM-F' });
    expect(gone?.problem).toContain('are gone');
    expect(added).toMatchObject({ claimId: 'CLM-Z', seq: 1 });
    expect(added?.problem).toContain('were not there');
  });
});
