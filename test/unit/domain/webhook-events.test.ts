import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#domain/errors.ts';
import { chainEntry, claimStatuses, type EntryDraft, entryTypes, type LedgerEntry, type StoredDecision } from '#domain/ledger.ts';
import {
  assertWebhookUrl,
  parseWebhookEventId,
  webhookEventId,
  webhookEventOf,
  webhookEventSchema,
  webhookEventSchemas,
  webhookEventTypeOf,
  webhookEventTypes,
} from '#domain/webhook-events.ts';
import { storefrontsToRun } from '#handlers/dispatch-webhooks.ts';
import { chainOf, claimRef, decidedDraft, decision, receivedDraft } from '../handlers/support.ts';

/**
 * Webhook events in the domain: which entry produces which event, bodies built from realistic
 * claims' entries (valid by the published schemas), event ids, endpoint URLs, and which
 * storefronts a dispatcher wake-up names.
 */

const ref = claimRef('clm_ev1');
const system = { kind: 'system' } as const;

const returnDecision: StoredDecision = { ...decision(9000, 'agent'), outcome: 'return_and_refund', returnRequired: true };

function email(step: string, status: EntryDraft['status']): EntryDraft {
  return {
    type: 'email_sent',
    step,
    status,
    actor: system,
    policyVersion: 1,
    data: { kind: 'outcome', to: 'ann@example.com', subject: 'Your claim', messageId: `m-${step}` },
  };
}

/** A claim that needed an agent, who approved less than proposed; the goods came back, the refund was paid, the customer told. */
function settledAfterApproval(): LedgerEntry[] {
  const proposal = { cash: { amount: 9000, currency: 'EUR' }, storeCredit: { amount: 0, currency: 'EUR' } };
  const drafts: EntryDraft[] = [
    receivedDraft(),
    decidedDraft(returnDecision),
    email('email:ack', 'assessing'),
    {
      type: 'approval_requested',
      step: 'approval-request#1',
      status: 'awaiting_approval',
      actor: system,
      policyVersion: 1,
      data: { round: 1, role: 'agent', approvers: ['agent@demo.test'], deadline: '2026-11-11T08:00:00.000Z', proposal },
    },
    email('email:approval#1', 'awaiting_approval'),
    {
      type: 'approved',
      step: 'approval-decision#1',
      status: 'assessing',
      actor: { kind: 'approver', email: 'agent@demo.test', role: 'agent', ip: '203.0.113.7', userAgent: 'vitest' },
      policyVersion: 1,
      data: {
        round: 1,
        note: 'Partial: one box was fine',
        proposal,
        approved: {
          cash: { amount: 7000, currency: 'EUR' },
          storeCredit: { amount: 0, currency: 'EUR' },
          goodwill: { amount: 0, currency: 'EUR' },
        },
      },
    },
    {
      type: 'return_authorised',
      step: 'return-authorised',
      status: 'awaiting_return',
      actor: system,
      policyVersion: 1,
      data: { deadline: '2026-11-24T08:00:00.000Z', items: [{ sku: 'CHOC-BOX', quantity: 1 }] },
    },
    {
      type: 'return_received',
      step: 'return-received#1',
      status: 'assessing',
      actor: { kind: 'storefront', id: 'demo' },
      policyVersion: 1,
      data: { items: [{ sku: 'CHOC-BOX', quantity: 1, condition: 'as_new' }], receivedAt: '2026-11-12T10:00:00.000Z' },
    },
    {
      type: 'refund_settled',
      step: 'refund-settled',
      status: 'assessing',
      actor: system,
      policyVersion: 1,
      data: { amount: { amount: 7000, currency: 'EUR' }, method: 'original_payment' },
      postings: [
        { account: 'revenue_reversal', debit: 7000, credit: 0 },
        { account: 'refunds_payable', debit: 0, credit: 7000 },
      ],
    },
    email('email:outcome', 'settled'),
  ];
  return chainOf(ref, drafts);
}

/** A claim an approver rejected: the customer is told, which is the rejection event. */
function rejectedByApprover(): LedgerEntry[] {
  return chainOf(ref, [
    receivedDraft(),
    decidedDraft(decision(9000, 'agent')),
    {
      type: 'rejected',
      step: 'approval-decision#1',
      status: 'assessing',
      actor: system,
      policyVersion: 1,
      data: { round: 1, note: 'Not damaged in the photo' },
    },
    email('email:outcome', 'rejected'),
  ]);
}

/** The body of every entry that produces an event, with the entry. */
function eventsOf(entries: LedgerEntry[]) {
  return entries.flatMap((entry) => {
    const body = webhookEventOf(entry, entries);
    return body ? [{ entry, body }] : [];
  });
}

describe('webhookEventTypeOf', () => {
  const outcome = { kind: 'outcome' };
  it.each([
    ['received', 'received', {}, 'claim.received'],
    ['decided', 'assessing', {}, 'claim.decided'],
    ['approval_requested', 'awaiting_approval', {}, 'claim.awaiting_approval'],
    ['approved', 'assessing', {}, 'claim.approved'],
    ['return_authorised', 'awaiting_return', {}, 'claim.awaiting_return'],
    ['return_received', 'assessing', {}, 'claim.return_received'],
    ['closed', 'closed', {}, 'claim.closed'],
    ['failed', 'failed', {}, 'claim.failed'],
    ['escalated', 'failed', {}, 'claim.failed'],
    ['escalated', 'awaiting_approval', {}, undefined],
    ['email_sent', 'settled', outcome, 'claim.settled'],
    ['email_sent', 'rejected', outcome, 'claim.rejected'],
    ['email_sent', 'assessing', outcome, undefined],
    ['email_sent', 'settled', { kind: 'return_not_received' }, undefined],
    ['email_sent', 'failed', { kind: 'needs_more_time' }, undefined],
    ['email_sent', 'awaiting_approval', { kind: 'approval_request' }, undefined],
    ['rejected', 'assessing', {}, undefined],
    ['settlement_refused', 'assessing', {}, undefined],
    ['refund_settled', 'assessing', {}, 'refund.requested'],
    ['credit_issued', 'settled', {}, 'store_credit.requested'],
    ['replacement_requested', 'assessing', {}, 'replacement.requested'],
    ['action_succeeded', 'settled', {}, undefined],
    ['action_failed', 'settled', {}, undefined],
    ['action_cancelled', 'settled', {}, undefined],
  ] as const)('%s recording %s (%o) → %s', (type, status, data, expected) => {
    // act / assert
    expect(webhookEventTypeOf({ type, status, data } as Parameters<typeof webhookEventTypeOf>[0])).toBe(expected);
  });

  it('decides a step’s own event by its type whatever status it records, and an email’s only when it is the outcome', () => {
    // arrange
    const ownEvent = [
      'received',
      'decided',
      'approval_requested',
      'approved',
      'return_authorised',
      'return_received',
      'closed',
      'failed',
      'refund_settled',
      'credit_issued',
      'replacement_requested',
    ];

    // act / assert
    for (const type of entryTypes) {
      const byStatus = claimStatuses.map((status) =>
        webhookEventTypeOf({ type, status, data: { kind: 'outcome' } } as Parameters<typeof webhookEventTypeOf>[0]),
      );
      if (ownEvent.includes(type)) expect(new Set(byStatus).size).toBe(1);
      else if (type === 'email_sent' || type === 'email_not_sent')
        expect(byStatus).toEqual(
          claimStatuses.map((s) => (s === 'settled' ? 'claim.settled' : s === 'rejected' ? 'claim.rejected' : undefined)),
        );
      else if (type === 'escalated') expect(byStatus).toEqual(claimStatuses.map((s) => (s === 'failed' ? 'claim.failed' : undefined)));
      else expect(byStatus.every((t) => t === undefined)).toBe(true);
      for (const t of byStatus) if (t !== undefined) expect(webhookEventTypes).toContain(t);
    }
  });
});

describe('webhookEventOf', () => {
  it('builds a body that validates with the published schema for every event of a settled claim', () => {
    // arrange
    const entries = settledAfterApproval();

    // act
    const events = eventsOf(entries);

    // assert
    expect(events.map((e) => e.body.type)).toEqual([
      'claim.received',
      'claim.decided',
      'claim.awaiting_approval',
      'claim.approved',
      'claim.awaiting_return',
      'claim.return_received',
      'refund.requested',
      'claim.settled',
    ]);
    for (const { entry, body } of events) {
      const type = webhookEventTypeOf(entry);
      expect(body.type).toBe(type);
      expect(() => webhookEventSchema.parse(JSON.parse(JSON.stringify(body)))).not.toThrow();
      if (type) expect(webhookEventSchemas[type].safeParse(body).success).toBe(true);
      expect(body).toMatchObject({
        timestamp: entry.at,
        data: { claimId: 'clm_ev1', orderId: 'ORD-1001', customerId: 'C-42', seq: entry.seq, status: entry.status },
      });
    }
  });

  it('reports on the settled event the decision as the approver amended it', () => {
    // arrange
    const entries = settledAfterApproval();
    const outcome = entries.find((e) => e.step === 'email:outcome');
    if (!outcome) throw new Error('no outcome email');

    // act
    const body = webhookEventOf(outcome, entries);

    // assert
    expect(body).toEqual({
      type: 'claim.settled',
      timestamp: outcome.at,
      data: {
        claimId: 'clm_ev1',
        orderId: 'ORD-1001',
        customerId: 'C-42',
        seq: outcome.seq,
        status: 'settled',
        decision: {
          outcome: 'return_and_refund',
          cash: { amount: 7000, currency: 'EUR' },
          storeCredit: { amount: 0, currency: 'EUR' },
          tier: 'agent',
          policyVersion: 1,
        },
      },
    });
  });

  it('reports each step’s own facts: the approval asked, the amounts approved, the units to return and returned', () => {
    // arrange
    const entries = settledAfterApproval();
    const body = (step: string) => {
      const entry = entries.find((e) => e.step === step);
      return entry && webhookEventOf(entry, entries);
    };

    // act / assert
    expect(body('decided#1')?.data).toMatchObject({ decision: { outcome: 'return_and_refund', cash: { amount: 9000 } }, graded: false });
    expect(body('approval-request#1')?.data).toMatchObject({ approval: { round: 1, tier: 'agent', deadline: '2026-11-11T08:00:00.000Z' } });
    expect(body('approval-decision#1')?.data).toMatchObject({ approved: { cash: { amount: 7000 }, storeCredit: { amount: 0 } } });
    expect(body('return-authorised')?.data).toMatchObject({ return: { items: [{ sku: 'CHOC-BOX', quantity: 1 }] } });
    expect(body('return-received#1')?.data).toEqual(
      expect.objectContaining({ return: { receivedAt: '2026-11-12T10:00:00.000Z', items: [{ sku: 'CHOC-BOX', quantity: 1 }] } }),
    );
  });

  it('is the same body whenever it is built: later entries do not change it', () => {
    // arrange: a second round decided after the first was settled
    const entries = settledAfterApproval();
    const round2 = { ...decidedDraft(decision(100, 'auto')), step: 'decided#2' } as EntryDraft;
    const later = [...entries, chainEntry(ref, entries.at(-1), round2, new Date('2026-11-20T08:00:00.000Z'))];
    const outcome = entries.find((e) => e.step === 'email:outcome');
    if (!outcome) throw new Error('no outcome email');

    // act
    const then = webhookEventOf(outcome, entries);
    const now = webhookEventOf(outcome, later);

    // assert
    expect(JSON.stringify(now)).toBe(JSON.stringify(then));
  });

  it('reports a rejection with the decision as rejected (nothing granted), and validates', () => {
    // arrange
    const entries = rejectedByApprover();
    const told = entries.at(-1);
    if (!told) throw new Error('no entries');

    // act
    const body = webhookEventOf(told, entries);

    // assert
    expect(body).toMatchObject({
      type: 'claim.rejected',
      data: { status: 'rejected', decision: { outcome: 'rejected', cash: { amount: 0 }, storeCredit: { amount: 0 } } },
    });
    expect(webhookEventSchema.safeParse(body).success).toBe(true);
    expect(eventsOf(entries).map((e) => e.body.type)).toEqual(['claim.received', 'claim.decided', 'claim.rejected']);
  });

  it('reports a rejection before any decision with a null decision, and a settlement without one not at all', () => {
    // arrange
    const entries = chainOf(ref, [receivedDraft(), email('email:outcome', 'rejected'), email('email:outcome#2', 'settled')]);
    const [, rejected, settled] = entries;
    if (!rejected || !settled) throw new Error('no entries');

    // act
    const rejectedBody = webhookEventOf(rejected, entries);
    const settledBody = webhookEventOf(settled, entries);

    // assert
    expect(rejectedBody).toMatchObject({ type: 'claim.rejected', data: { decision: null } });
    expect(webhookEventSchema.safeParse(rejectedBody).success).toBe(true);
    expect(settledBody).toBeUndefined();
  });

  it('reports a closed and a failed claim with their reason and error, valid by the schema', () => {
    // arrange
    const entries = chainOf(ref, [
      receivedDraft(),
      decidedDraft(returnDecision),
      {
        type: 'closed',
        step: 'closed',
        status: 'closed',
        actor: system,
        policyVersion: 1,
        data: { reason: 'return_not_received', items: [{ sku: 'CHOC-BOX', quantity: 1 }] },
      },
      {
        type: 'failed',
        step: 'failed',
        status: 'failed',
        actor: system,
        policyVersion: 1,
        data: { error: 'OverRefundError', cause: 'order total' },
      },
    ]);

    // act
    const bodies = eventsOf(entries).map((e) => e.body);

    // assert
    expect(bodies.slice(2)).toMatchObject([
      { type: 'claim.closed', data: { reason: 'return_not_received', status: 'closed' } },
      { type: 'claim.failed', data: { error: 'OverRefundError', status: 'failed' } },
    ]);
    for (const b of bodies) expect(webhookEventSchema.safeParse(b).success).toBe(true);
  });

  it('builds no body for an entry that produces no event', () => {
    // arrange
    const entries = settledAfterApproval();
    const quiet = entries.filter((e) => webhookEventTypeOf(e) === undefined);

    // act / assert
    expect(quiet.map((e) => e.step)).toEqual(['email:ack', 'email:approval#1']);
    for (const e of quiet) expect(webhookEventOf(e, entries)).toBeUndefined();
  });

  it('is refused by the schema when a field is wrong (the schema checks what it publishes)', () => {
    // arrange
    const entries = settledAfterApproval();
    const [first] = eventsOf(entries);

    // act
    const wrongType = { ...first?.body, type: 'claim.unknown' };
    const wrongSeq = { ...first?.body, data: { ...first?.body.data, seq: -1 } };

    // assert
    expect(webhookEventSchema.safeParse(wrongType).success).toBe(false);
    expect(webhookEventSchema.safeParse(wrongSeq).success).toBe(false);
  });
});

describe('webhook event ids', () => {
  it('are evt_<claim>_<seq>', () => {
    // act / assert
    expect(webhookEventId('clm_ev1', 7)).toBe('evt_clm_ev1_7');
  });

  it('round-trip through parseWebhookEventId for any claim id and sequence', () => {
    // act / assert
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/), fc.integer({ min: 0, max: 99_999_999 }), (claimId, seq) => {
        expect(parseWebhookEventId(webhookEventId(claimId, seq))).toEqual({ claimId, seq });
      }),
    );
  });

  it.each([
    '',
    'evt_',
    'evt__1',
    'evt_clm_1_',
    'evt_clm',
    'evt_clm_x',
    'evt_clm_1.5',
    'evt_clm_-1',
    'msg_clm_1_1',
    ' evt_clm_1_1',
    'evt_clm_1_1\n',
    'evt_clm 1_1',
    'evt_clm/../1_1',
    'evt_clm_123456789',
    `evt_${'a'.repeat(129)}_1`,
  ])('rejects %j', (id) => {
    // act / assert
    expect(parseWebhookEventId(id)).toBeUndefined();
  });
});

describe('assertWebhookUrl', () => {
  it.each([
    'https://hooks.shop.example/makegood',
    'https://hooks.shop.example:8443/path?x=1',
    'http://127.0.0.1:8080/hook',
    'http://localhost:3000/hook',
    'http://[::1]:9000/hook',
  ])('accepts %s', (url) => {
    // act / assert
    expect(() => assertWebhookUrl(url)).not.toThrow();
  });

  it.each([
    'http://example.com/hook',
    'http://127.0.0.1.example.com/hook',
    'ftp://hooks.shop.example/makegood',
    'https://user:secret@hooks.shop.example/makegood',
    'https://user@hooks.shop.example/makegood',
    'http://user:pw@127.0.0.1/hook',
    'javascript:alert(1)',
    '//hooks.shop.example/makegood',
    '/makegood',
    'not a url',
    '',
  ])('rejects %j, naming webhook.url', (url) => {
    // act
    let error: unknown;
    try {
      assertWebhookUrl(url);
    } catch (err) {
      error = err;
    }

    // assert
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).issues.map((i) => i.path)).toEqual(['webhook.url']);
  });
});

describe('storefrontsToRun', () => {
  it('names each storefront of a ledger stream batch once, in the order first seen', () => {
    // arrange
    const record = (storefrontId: string, seq: number) => ({
      eventID: `e${seq}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: { pk: { S: `CLAIM#clm_${seq}` }, sk: { S: `SEQ#${seq}` } },
        NewImage: { storefrontId: { S: storefrontId }, claimId: { S: `clm_${seq}` }, seq: { N: String(seq) } },
      },
    });
    const event = { Records: [record('demo', 1), record('shop-b', 2), record('demo', 3), { eventName: 'REMOVE', dynamodb: {} }] };

    // act / assert
    expect(storefrontsToRun(event)).toEqual(['demo', 'shop-b']);
  });

  it('runs every storefront for a schedule or an empty wake-up, and only those named otherwise', () => {
    // arrange
    const schedule = { version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

    // act / assert
    expect(storefrontsToRun({})).toBe('all');
    expect(storefrontsToRun(undefined)).toBe('all');
    expect(storefrontsToRun(schedule)).toBe('all');
    expect(storefrontsToRun({ storefronts: ['a'] })).toEqual(['a']);
    expect(storefrontsToRun({ Records: [] })).toEqual([]);
  });

  it('refuses a wake-up that names a storefront badly', () => {
    // act / assert
    expect(() => storefrontsToRun({ storefronts: [''] })).toThrow();
    expect(() => storefrontsToRun({ storefronts: 'demo' })).toThrow();
  });
});
