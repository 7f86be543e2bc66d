import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '#domain/decide.ts';
import {
  assertBalanced,
  type ClaimRef,
  canonicalJson,
  chainEntry,
  currentDecision,
  decisionData,
  type EntryDataByType,
  type EntryDraft,
  type EntryType,
  entryHash,
  GENESIS_HASH,
  type LedgerEntry,
  type Posting,
  settlementPostings,
  sinceLastDecision,
  statusOf,
  verifyChain,
} from '#domain/ledger.ts';
import { money } from '#domain/money.ts';
import { claimOf, type Doc, demoPolicy, emptyHistory, NOW, version } from './fixtures.ts';

const ref: ClaimRef = { claimId: 'CLM-1', storefrontId: 'demo', orderId: 'ORD-1001', customerId: 'C-42', currency: 'EUR' };
const system = { kind: 'system' } as const;

/** The fields of a draft that {@link draft} fills in when left out. */
type Defaulted = 'step' | 'actor' | 'policyVersion';

/** A draft that may leave out its step (then its type), actor (the system) and policy version (3). */
type DraftSpec = {
  [T in EntryType]: Omit<Extract<EntryDraft, { type: T }>, Defaulted> & Partial<Pick<EntryDraft, Defaulted>>;
}[EntryType];

function draft(spec: DraftSpec): EntryDraft {
  return { step: spec.type, actor: system, policyVersion: 3, ...spec };
}

/** A damaged box of chocolates, refunded without a return. */
const chocolates = claimOf({ items: [{ sku: 'CHOC-BOX', category: 'food', unitPrice: 2750 }], reason: 'damaged' });
const received: EntryDataByType['received'] = { claim: chocolates, idempotencyKey: 'key-1' };
const decided = decisionData(decide(chocolates, version(demoPolicy()), emptyHistory(), NOW));
const refunded: EntryDataByType['refund_settled'] = { amount: { amount: 2750, currency: 'EUR' }, method: 'original_payment' };

/** A claim's chain: received → decided → refund_settled (with postings) → email_sent. */
function chainOf(drafts: readonly EntryDraft[]): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  drafts.forEach((d, i) => {
    entries.push(chainEntry(ref, entries.at(-1), d, new Date(NOW.getTime() + i * 1000)));
  });
  return entries;
}

const refund = settlementPostings(money(2750, 'EUR'), money(0, 'EUR'), money(0, 'EUR')).refund;
const fourEntries = () =>
  chainOf([
    draft({ type: 'received', status: 'received', actor: { kind: 'storefront', id: 'demo' }, policyVersion: null, data: received }),
    draft({ type: 'decided', status: 'assessing', data: decided }),
    draft({ type: 'refund_settled', status: 'settled', data: refunded, postings: refund }),
    draft({
      type: 'email_sent',
      status: 'settled',
      data: { kind: 'outcome', to: 'ann@example.com', subject: 'Your refund', messageId: 'msg-1' },
    }),
  ]);

describe('chainEntry', () => {
  it('starts a chain at sequence 1 linked to the genesis hash', () => {
    // act
    const first = chainEntry(ref, undefined, draft({ type: 'received', status: 'received', data: received }), NOW);
    // assert
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.at).toBe(NOW.toISOString());
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.hash).toBe(entryHash(first));
    expect(first).toMatchObject(ref);
  });

  it('links each next entry to the hash of its predecessor and counts up', () => {
    // act
    const [a, b, c] = fourEntries();
    // assert
    expect(b!.seq).toBe(2);
    expect(b!.prevHash).toBe(a!.hash);
    expect(c!.seq).toBe(3);
    expect(c!.prevHash).toBe(b!.hash);
    expect(new Set([a!.hash, b!.hash, c!.hash]).size).toBe(3);
  });

  it('records no postings as an empty list and refuses unbalanced ones', () => {
    // act
    const entry = chainEntry(ref, undefined, draft({ type: 'received', status: 'received', data: received }), NOW);
    // assert
    expect(entry.postings).toEqual([]);
    expect(() =>
      chainEntry(
        ref,
        entry,
        draft({
          type: 'refund_settled',
          status: 'settled',
          data: refunded,
          postings: [{ account: 'refunds_payable', debit: 0, credit: 100 }],
        }),
        NOW,
      ),
    ).toThrow(RangeError);
  });
});

/** A deep copy of the chain that a test edits like a forger with write access to the table. */
const editableChain = (): Doc[] => structuredClone(fourEntries()) as Doc[];
const asEntries = (docs: readonly Doc[]) => docs as unknown as LedgerEntry[];

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', () => {
    // act / assert
    expect(verifyChain(fourEntries())).toBeUndefined();
    expect(verifyChain([])).toBeUndefined();
  });

  it.each([
    ['the status', (e: Doc) => (e.status = 'rejected')],
    [
      'an amount in a posting (still balanced)',
      (e: Doc) =>
        (e.postings = [
          { ...e.postings[0], debit: 27500 },
          { ...e.postings[1], credit: 27500 },
        ]),
    ],
    ['the time', (e: Doc) => (e.at = '2026-01-01T00:00:00.000Z')],
    ['the actor', (e: Doc) => (e.actor = { kind: 'storefront', id: 'other' })],
    ['a field inside data', (e: Doc) => (e.data = { note: 'edited' })],
    ['the customer', (e: Doc) => (e.customerId = 'C-99')],
  ])('catches a changed field: %s', (_what, change) => {
    // arrange
    const entries = editableChain();
    change(entries[2]!);
    // act
    const problem = verifyChain(asEntries(entries));
    // assert
    expect(problem).toEqual({ seq: 3, problem: 'content does not match its hash' });
  });

  it('catches an edited entry whose hash was recomputed: the next entry no longer links to it', () => {
    // arrange
    const entries = editableChain();
    entries[1]!.status = 'rejected';
    entries[1]!.hash = entryHash(asEntries(entries)[1]!);
    // act
    const problem = verifyChain(asEntries(entries));
    // assert
    expect(problem).toEqual({ seq: 3, problem: 'does not link to the previous entry' });
  });

  it('catches a removed entry in the middle', () => {
    // arrange
    const entries = fourEntries();
    entries.splice(1, 1);
    // act
    const problem = verifyChain(entries);
    // assert
    expect(problem).toEqual({ seq: 3, problem: 'expected sequence 2' });
  });

  it('catches a removed first entry', () => {
    // arrange
    const entries = fourEntries().slice(1);
    // act
    const problem = verifyChain(entries);
    // assert
    expect(problem).toEqual({ seq: 2, problem: 'expected sequence 1' });
  });

  it('catches a removed entry even when the later sequence numbers are renumbered', () => {
    // arrange: drop entry 2 and renumber 3 and 4 as 2 and 3, keeping their hashes
    const entries = editableChain();
    entries.splice(1, 1);
    entries[1]!.seq = 2;
    entries[2]!.seq = 3;
    // act
    const problem = verifyChain(asEntries(entries));
    // assert
    expect(problem).toEqual({ seq: 2, problem: 'does not link to the previous entry' });
  });

  it('catches reordered entries', () => {
    // arrange
    const entries = fourEntries();
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
    // act
    const problem = verifyChain(entries);
    // assert
    expect(problem).toEqual({ seq: 3, problem: 'expected sequence 2' });
  });

  it('catches an entry spliced in from another claim', () => {
    // arrange
    const other = chainOf([
      draft({ type: 'received', status: 'received', data: received }),
      draft({ type: 'decided', status: 'assessing', data: decided }),
    ]);
    const entries = fourEntries();
    entries[1] = other[1]!;
    // act
    const problem = verifyChain(entries);
    // assert
    expect(problem).toEqual({ seq: 2, problem: 'does not link to the previous entry' });
  });

  it('catches postings that were unbalanced and hashed that way', () => {
    // arrange: forge an entry with a correct hash over unbalanced postings
    const [first] = fourEntries();
    const { hash: _h, ...body } = chainEntry(ref, first, draft({ type: 'refund_settled', status: 'settled', data: refunded }), NOW);
    const forgedBody = { ...body, postings: [{ account: 'refunds_payable' as const, debit: 0, credit: 100 }] };
    const forged: LedgerEntry = { ...forgedBody, hash: entryHash(forgedBody) };
    // act
    const problem = verifyChain([first!, forged]);
    // assert
    expect(problem?.seq).toBe(2);
    expect(problem?.problem).toMatch(/does not balance/);
  });
});

describe('canonicalJson', () => {
  it('is the same whatever the key order, at every depth', () => {
    // arrange
    const a = { b: 1, a: { y: [1, { q: 2, p: 1 }], x: 'x' } };
    const b = { a: { x: 'x', y: [1, { p: 1, q: 2 }] }, b: 1 };
    // act / assert
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"x","y":[1,{"p":1,"q":2}]},"b":1}');
  });

  it('keeps array order, drops undefined properties and writes undefined array items as null', () => {
    // act / assert
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('refuses non-finite numbers', () => {
    // act / assert
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(RangeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('gives an entry the same hash whatever order its keys were read back in', () => {
    // arrange
    const [entry] = fourEntries();
    const reversed = Object.fromEntries(Object.entries(entry!).reverse()) as unknown as LedgerEntry;
    // act / assert
    expect(entryHash(reversed)).toBe(entry!.hash);
    expect(verifyChain([reversed])).toBeUndefined();
  });

  it('is key-order independent for any object (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        // arrange
        const shuffled = Object.fromEntries(Object.entries(obj).reverse());
        // act / assert
        expect(canonicalJson(shuffled)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('assertBalanced', () => {
  it('accepts balanced postings and no postings', () => {
    // act / assert
    expect(() => assertBalanced(refund)).not.toThrow();
    expect(() => assertBalanced([])).not.toThrow();
  });

  it.each<[string, Posting[]]>([
    [
      'more debit than credit',
      [
        { account: 'revenue_reversal', debit: 101, credit: 0 },
        { account: 'refunds_payable', debit: 0, credit: 100 },
      ],
    ],
    ['a lone credit', [{ account: 'refunds_payable', debit: 0, credit: 100 }]],
    ['a two-sided line', [{ account: 'revenue_reversal', debit: 100, credit: 100 }]],
    [
      'a negative side',
      [
        { account: 'revenue_reversal', debit: -100, credit: 0 },
        { account: 'refunds_payable', debit: -100, credit: 0 },
      ],
    ],
    [
      'a fractional amount',
      [
        { account: 'revenue_reversal', debit: 0.5, credit: 0 },
        { account: 'refunds_payable', debit: 0, credit: 0.5 },
      ],
    ],
  ])('refuses %s', (_what, postings) => {
    // act / assert
    expect(() => assertBalanced(postings)).toThrow(RangeError);
  });
});

describe('settlementPostings', () => {
  it('posts a cash refund from revenue reversal to refunds payable', () => {
    // act
    const { refund: r, credit } = settlementPostings(money(2750, 'EUR'), money(0, 'EUR'), money(0, 'EUR'));
    // assert
    expect(r).toEqual([
      { account: 'revenue_reversal', debit: 2750, credit: 0 },
      { account: 'refunds_payable', debit: 0, credit: 2750 },
    ]);
    expect(credit).toEqual([]);
  });

  it('posts refund credit and goodwill credit to the store credit liability', () => {
    // act
    const { refund: r, credit } = settlementPostings(money(0, 'EUR'), money(7200, 'EUR'), money(720, 'EUR'));
    // assert
    expect(r).toEqual([]);
    expect(credit).toEqual([
      { account: 'revenue_reversal', debit: 7200, credit: 0 },
      { account: 'goodwill_expense', debit: 720, credit: 0 },
      { account: 'store_credit_liability', debit: 0, credit: 7920 },
    ]);
  });

  it('always balances, for any amounts (property)', () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.nat(10_000_000), fc.nat(10_000_000), (cash, refundCredit, goodwill) => {
        // act
        const postings = settlementPostings(money(cash, 'EUR'), money(refundCredit, 'EUR'), money(goodwill, 'EUR'));
        // assert
        expect(() => assertBalanced(postings.refund)).not.toThrow();
        expect(() => assertBalanced(postings.credit)).not.toThrow();
        const debits = [...postings.refund, ...postings.credit].reduce((a, p) => a + p.debit, 0);
        expect(debits).toBe(cash + refundCredit + goodwill);
      }),
      { numRuns: 100 },
    );
  });
});

describe('currentDecision, sinceLastDecision, statusOf', () => {
  const claim = claimOf({ items: [{ sku: 'LAMP', category: 'home', unitPrice: 30000 }], reason: 'changed_mind' });
  const decision = decide(claim, version(demoPolicy()), emptyHistory(), NOW);
  const proposal = { cash: decision.cash, storeCredit: decision.storeCredit };
  const receivedLamp = () => draft({ type: 'received', status: 'received', data: { claim, idempotencyKey: 'key-2' } });
  const decidedLamp = (step = 'decided') => draft({ type: 'decided', step, status: 'awaiting_approval', data: decisionData(decision) });
  const requested = () =>
    draft({
      type: 'approval_requested',
      status: 'awaiting_approval',
      data: { round: 1, role: 'supervisor', approvers: ['supervisor@demo.test'], deadline: '2026-11-25T12:00:00.000Z', proposal },
    });

  it('reads the proposal of the decided entry', () => {
    // arrange
    const entries = chainOf([receivedLamp(), decidedLamp()]);
    // act
    const current = currentDecision(entries);
    // assert
    expect(current).toEqual(JSON.parse(JSON.stringify(decision)));
    expect(current?.tier).toBe('supervisor');
  });

  it('applies the lower amounts an approver approved and keeps the rest of the proposal', () => {
    // arrange
    const lowered = {
      cash: { amount: 25000, currency: 'EUR' },
      storeCredit: { amount: 0, currency: 'EUR' },
      goodwill: { amount: 0, currency: 'EUR' },
    };
    const entries = chainOf([
      receivedLamp(),
      decidedLamp(),
      requested(),
      draft({ type: 'approved', status: 'awaiting_return', data: { round: 1, note: 'Lowered', proposal, approved: lowered } }),
    ]);
    // act
    const current = currentDecision(entries);
    // assert
    expect(current?.cash).toEqual({ amount: 25000, currency: 'EUR' });
    expect(current?.outcome).toBe('return_and_refund');
    expect(current?.rules).toEqual(JSON.parse(JSON.stringify(decision.rules)));
  });

  it('leaves the amounts as proposed when the approver approved without changing them', () => {
    // arrange
    const asProposed = { cash: decision.cash, storeCredit: decision.storeCredit, goodwill: decision.goodwill };
    const entries = chainOf([
      decidedLamp(),
      draft({ type: 'approved', status: 'awaiting_return', data: { round: 1, note: '', proposal, approved: asProposed } }),
    ]);
    // act
    const current = currentDecision(entries);
    // assert
    expect(current?.cash).toEqual(decision.cash);
  });

  it('turns a rejection into a rejected decision worth nothing, in the same currency', () => {
    // arrange
    const entries = chainOf([
      decidedLamp(),
      draft({
        type: 'rejected',
        status: 'rejected',
        actor: { kind: 'approver', email: 'supervisor@demo.test', role: 'supervisor', ip: '127.0.0.1', userAgent: 'test' },
        data: { round: 1, note: 'Not covered', proposal },
      }),
    ]);
    // act
    const current = currentDecision(entries);
    // assert
    expect(current?.outcome).toBe('rejected');
    expect(current?.cash).toEqual({ amount: 0, currency: 'EUR' });
    expect(current?.storeCredit).toEqual({ amount: 0, currency: 'EUR' });
    expect(current?.goodwill).toEqual({ amount: 0, currency: 'EUR' });
    expect(statusOf(entries)).toBe('rejected');
  });

  it('has no decision before one is recorded, and a new decision starts a new round', () => {
    // arrange
    const before = chainOf([receivedLamp()]);
    const entries = chainOf([
      decidedLamp(),
      draft({ type: 'rejected', status: 'rejected', data: { round: 1, note: 'Not covered', proposal } }),
      decidedLamp('decided#2'),
      requested(),
    ]);
    // act / assert
    expect(currentDecision(before)).toBeUndefined();
    expect(sinceLastDecision(before)).toEqual([]);
    expect(currentDecision(entries)?.outcome).toBe('return_and_refund');
    expect(sinceLastDecision(entries).map((e) => e.seq)).toEqual([3, 4]);
    expect(statusOf([])).toBeUndefined();
  });
});
