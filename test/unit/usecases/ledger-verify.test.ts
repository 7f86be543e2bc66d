import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { actionIdOf } from '#domain/actions.ts';
import { chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { type DigestManifest, formatDigest, parseDigest } from '#domain/ledger-audit.ts';
import { storefrontDigest, verifyAgainstDigest, verifyLedger } from '#usecases/ledger-verify.ts';
import { UsageError } from '../../../cli/command.ts';
import { command as reportCommand } from '../../../cli/ledger-report.ts';
import { parseStaleDays, reconciliationText, command as verifyCommand, verifyExitCode, verifyOutput } from '../../../cli/ledger-verify.ts';
import {
  actionFailed,
  appendEntries,
  buildLedger,
  claimFor,
  claimRef,
  creditAsked,
  entryOf,
  type Item,
  type MemoryLedger,
  received,
  refOf,
  refundAsked,
  refundPaid,
  samples,
  toItem,
  WINDOW,
} from './ledger-fixture.ts';

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

describe('verifyLedger reconciles the actions', () => {
  it('reports where the actions stand as of the window end, stale after staleDays days', async () => {
    // arrange
    const ledger = buildLedger();
    // act
    const byDefault = await verify(ledger);
    const threeDays = await verifyLedger({ ...WINDOW, staleDays: 3 }, { ledger, state: ledger.state() });
    // assert: A's and C's refunds and B's and D's credits, none answered
    const r = byDefault.reconciliation;
    expect(r).toMatchObject({
      asOf: WINDOW.to.toISOString(),
      staleDays: 7,
      claims: 4,
      actions: 4,
      stale: [],
      mismatched: [],
      unrecovered: [],
    });
    expect(r.accounts).toMatchObject([
      {
        currency: 'EUR',
        refund: { granted: 2750 + 9399, awaiting: 2750 + 9399, paid: 0 },
        storeCredit: { granted: 1600, awaiting: 1600 },
        agrees: true,
      },
    ]);
    // A and B were asked on the 20th, more than 3 days before the 24th; C and D on the 21st.
    expect(threeDays.reconciliation.stale.map((s) => s.action.actionId)).toEqual(['act_CLM-A_3', 'act_CLM-B_3']);
    expect(threeDays.problems).toEqual([]);
    const text = reconciliationText(threeDays.reconciliation, 1);
    expect(text).toContain('STALE: 2 action(s) not answered after 3 day(s)');
    expect(text).toContain('storefront demo, claim CLM-A, act_CLM-A_3, refund 27.50 EUR: asked 2026-11-20T09:40:00.000Z, 3.6 days ago');
    expect(text).not.toContain('claim CLM-B');
    expect(text).toContain('… and 1 more');
  });

  it('lists mismatched and unrecovered actions, also of claims begun before the window, and they are not problems', async () => {
    // arrange: a refund paid for less by hand; a refund asked before the window that failed inside it
    const ledger = buildLedger();
    const m = claimRef('CLM-M', 'ORD-M');
    appendEntries(
      ledger,
      m,
      [received(m), refundAsked(5000), refundPaid(actionIdOf('CLM-M', 2), 3000, 5000)],
      new Date('2026-11-21T10:00:00Z'),
    );
    const old = claimRef('CLM-O', 'ORD-O');
    appendEntries(ledger, old, [received(old), refundAsked(4000)], new Date('2026-11-01T10:00:00Z'));
    appendEntries(ledger, old, [actionFailed(actionIdOf('CLM-O', 2), 4000, 'account closed')], new Date('2026-11-22T10:00:00Z'));
    const waiting = claimRef('CLM-W', 'ORD-W');
    appendEntries(ledger, waiting, [received(waiting), creditAsked(1000)], new Date('2026-11-02T10:00:00Z'));
    appendEntries(
      ledger,
      waiting,
      [{ ...samples.email_sent, status: 'settled', step: 'email:reminder' }],
      new Date('2026-11-20T10:00:00Z'),
    );
    // act
    const result = await verify(ledger);
    // assert
    const r = result.reconciliation;
    expect(result.problems).toEqual([]);
    expect(r.mismatched.map((x) => [x.action.claimId, x.shortBy?.amount])).toEqual([['CLM-M', 2000]]);
    expect(r.unrecovered.map((x) => [x.action.claimId, x.reason])).toEqual([['CLM-O', 'account closed']]);
    expect(r.stale.map((x) => [x.action.claimId, Math.floor(x.ageDays)])).toEqual([['CLM-W', 21]]);
    expect(r.accounts[0]).toMatchObject({ refund: { paid: 3000, shortPaid: 2000, failed: 4000 }, agrees: true });
  });

  it('leaves a tampered claim out of the reconciliation: its numbers cannot be trusted', async () => {
    // arrange: C's refund raised by hand in the stored entry
    const ledger = buildLedger();
    const refund = claim(ledger, 'CLM-C')[2] as Item & { data: { amount: { amount: number } } };
    refund.data.amount.amount = 99999;
    // act
    const result = await verify(ledger);
    // assert
    expect(result.problems[0]).toMatchObject({ claimId: 'CLM-C', seq: 3 });
    expect(result.reconciliation.actions).toBe(3);
    expect(result.reconciliation.accounts[0]?.refund.granted).toBe(2750);
  });

  it('refuses a staleDays that is not a whole number before reading anything', async () => {
    // arrange
    const ledger = buildLedger();
    // act / assert
    await expect(verifyLedger({ ...WINDOW, staleDays: -1 }, { ledger, state: ledger.state() })).rejects.toThrow(RangeError);
  });
});

describe('makegood ledger verify --stale-days and --strict', () => {
  /** Runs a command, capturing what it writes to stderr. */
  async function run(cmd: { run(argv: string[]): Promise<number> }, argv: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      return { code: await cmd.run(argv), stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it('reads --stale-days as a whole number of days, 0 or more, 7 when absent', () => {
    // act / assert
    expect(parseStaleDays(undefined)).toBe(7);
    expect(parseStaleDays('0')).toBe(0);
    expect(parseStaleDays('30')).toBe(30);
    for (const bad of ['-1', '1.5', 'seven', '', '1e3', '0x10']) {
      expect(() => parseStaleDays(bad)).toThrow(UsageError);
      expect(() => parseStaleDays(bad)).toThrow(`--stale-days must be a whole number of days, 0 or more, not ${JSON.stringify(bad)}`);
    }
  });

  it('exits 2 with the usage, naming the flag, before connecting to anything', async () => {
    // act
    const verifyBad = await run(verifyCommand, ['--stale-days', 'soon']);
    const reportBad = await run(reportCommand, ['--stale-days=-3']);
    const missing = await run(verifyCommand, ['--stale-days']);
    // assert
    expect(verifyBad.code).toBe(2);
    expect(verifyBad.stderr).toContain('--stale-days must be a whole number of days, 0 or more, not "soon"');
    expect(verifyBad.stderr).toContain('usage: makegood ledger verify');
    expect(verifyBad.stderr).toContain('--strict');
    expect(reportBad.code).toBe(2);
    expect(reportBad.stderr).toContain('--stale-days must be a whole number of days, 0 or more, not "-3"');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--stale-days');
  });

  it('keeps tampering (1) apart from work to do (0, or 3 with --strict)', async () => {
    // arrange: one finding (a failed refund) on an intact ledger, and the same ledger tampered
    const ledger = buildLedger();
    const n = claimRef('CLM-N', 'ORD-N');
    appendEntries(
      ledger,
      n,
      [received(n), refundAsked(4000), actionFailed(actionIdOf('CLM-N', 2), 4000)],
      new Date('2026-11-22T10:00:00Z'),
    );
    const intact = await verify(ledger);
    (claim(ledger, 'CLM-A')[1] as { status: string }).status = 'closed';
    const tampered = await verify(ledger);
    // act
    const lenient = verifyOutput({ result: intact, problems: intact.problems, seconds: 0, strict: false });
    const strict = verifyOutput({ result: intact, problems: intact.problems, seconds: 0, strict: true });
    const bad = verifyOutput({ result: tampered, problems: tampered.problems, seconds: 0, strict: true });
    // assert
    expect([verifyExitCode(0, 0, true), verifyExitCode(0, 2, false), verifyExitCode(0, 2, true), verifyExitCode(1, 2, true)]).toEqual([
      0, 0, 3, 1,
    ]);
    expect(lenient.code).toBe(0);
    expect(lenient.text).toMatch(/^OK: /);
    expect(lenient.text).toContain('UNRECOVERED: 1 action(s) failed with nothing done instead');
    expect(lenient.text).toContain('claim CLM-N, act_CLM-N_2, refund 40.00 EUR: failed at 2026-11-22T10:40:00.000Z: card closed');
    expect(lenient.text).toContain('1 reconciliation finding(s): work to do, not tampering; the exit code stays 0 (--strict exits 3)');
    expect(strict.code).toBe(3);
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/^FIRST BAD ENTRY: storefront demo, claim CLM-A, seq 2/);
    expect(bad.text).toContain('UNRECOVERED: 1 action(s)');
  });
});
