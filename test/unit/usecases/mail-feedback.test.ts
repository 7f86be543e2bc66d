import { describe, expect, it } from 'vitest';
import { ClaimNotFoundError, InvalidRequestError, NotFoundError } from '#domain/errors.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type EntryOf, type LedgerEntry, outcomeEmails } from '#domain/ledger.ts';
import { parseMailFeedback } from '#domain/mail-feedback.ts';
import { addressKey, emailTagNames } from '#domain/mail-tags.ts';
import { webhookEventTypeOf } from '#domain/webhook-events.ts';
import type { LedgerStore, Mailer, OutgoingEmail, StateStore, Suppression, WorkItem } from '#ports';
import { loadedClaim, sendOnce } from '#usecases/common.ts';
import { recordMailFeedback } from '#usecases/mail-feedback.ts';
import { demoPolicy } from '../domain/fixtures.ts';
import { bounceEvent, complaintEvent } from '../domain/mail-feedback-events.ts';
import { decidedDraft, decision, receivedDraft } from '../handlers/support.ts';

/**
 * `recordMailFeedback` over an in-memory ledger and suppression list: what a bounce or complaint
 * writes, that a second delivery of the same event writes nothing, that a transient bounce is
 * recorded but not suppressed, and that an event about no claim email writes nothing at all.
 * Then `sendOnce` with a suppressed address: no send, and the ledger says why.
 */

const ref: ClaimRef = { claimId: 'clm_1', storefrontId: 'demo', orderId: 'ORD-1', customerId: 'C-42', currency: 'EUR' };
const T0 = new Date('2026-11-10T12:00:00Z');

/** A claim that was settled and told by email (`email:outcome`, message `msg-1`, to the demo customer ann@example.com). */
function settledClaim(): LedgerEntry[] {
  const drafts: EntryDraft[] = [
    receivedDraft(),
    decidedDraft(decision(2750, 'auto')),
    {
      type: 'email_sent',
      step: 'email:outcome',
      status: 'settled',
      actor: { kind: 'system' },
      policyVersion: 1,
      data: { kind: 'outcome', to: 'ann@example.com', subject: 'Your refund', messageId: 'msg-1' },
    },
  ];
  const entries: LedgerEntry[] = [];
  for (const d of drafts) entries.push(chainEntry(ref, entries.at(-1), d, T0));
  return entries;
}

/** The ledger and suppression list, in memory, counting their writes. */
function world(entries: LedgerEntry[] = settledClaim()) {
  const suppressions = new Map<string, Suppression>();
  const writes = { appends: 0, suppressions: 0 };
  const work: WorkItem[] = [];
  const ledger = {
    entries: async (claimId: string) => entries.filter((e) => e.claimId === claimId),
    append: async (claim: ClaimRef, draft: EntryDraft) => {
      const recorded = entries.find((e) => e.claimId === claim.claimId && e.step === draft.step);
      if (recorded) return recorded;
      writes.appends++;
      const entry = chainEntry(claim, entries.filter((e) => e.claimId === claim.claimId).at(-1), draft, T0);
      entries.push(entry);
      return entry;
    },
  } as unknown as LedgerStore;
  const state = {
    suppression: async (key: string) => suppressions.get(key),
    suppress: async (s: Suppression) => {
      writes.suppressions++;
      if (!suppressions.has(s.addressKey)) suppressions.set(s.addressKey, s);
    },
    storefront: async () => ({ id: 'demo', name: 'Demo Shop' }),
    currentPolicy: async () => ({ version: 1, policy: demoPolicy() }),
    putWork: async (item: WorkItem) => {
      work.push(item);
    },
  } as unknown as StateStore;
  return { entries, suppressions, writes, work, deps: { ledger, state } };
}

describe('recordMailFeedback', () => {
  it('records a permanent bounce on the claim and suppresses the address, by its hash', async () => {
    // arrange
    const w = world();

    // act
    const result = await recordMailFeedback(parseMailFeedback(bounceEvent()), w.deps);

    // assert
    expect(result).toEqual({ claimId: 'clm_1', emailStep: 'email:outcome', recorded: true, suppressed: true });
    const bounced = w.entries.at(-1) as EntryOf<'email_bounced'>;
    expect(bounced).toMatchObject({
      type: 'email_bounced',
      step: 'bounce:email:outcome',
      status: 'settled',
      actor: { kind: 'system' },
      data: {
        email: 'email:outcome',
        to: 'ann@example.com',
        messageId: 'msg-1',
        bounceType: 'Permanent',
        bounceSubType: 'General',
        status: '5.1.1',
        feedbackId: 'fb-bounce-1',
        bouncedAt: '2026-11-10T12:00:04.000Z',
        suppressed: true,
      },
    });
    expect([...w.suppressions.entries()]).toEqual([
      [
        addressKey('ann@example.com'),
        {
          addressKey: addressKey('ann@example.com'),
          cause: 'bounce',
          since: '2026-11-10T12:00:04.000Z',
          claimId: 'clm_1',
          step: 'email:outcome',
        },
      ],
    ]);
    // A bounce changes no status and produces no webhook event.
    expect(webhookEventTypeOf(bounced)).toBeUndefined();
  });

  it('appends nothing when the same event is delivered again', async () => {
    // arrange
    const w = world();
    await recordMailFeedback(parseMailFeedback(bounceEvent()), w.deps);
    const after = w.entries.length;

    // act
    const again = await recordMailFeedback(parseMailFeedback(bounceEvent()), w.deps);

    // assert
    expect(again.recorded).toBe(false);
    expect(w.entries).toHaveLength(after);
    expect(w.writes.appends).toBe(1);
    expect(w.suppressions.size).toBe(1);
  });

  it('records a transient bounce without suppressing the address', async () => {
    // arrange
    const w = world();

    // act
    const result = await recordMailFeedback(parseMailFeedback(bounceEvent({ bounceType: 'Transient' })), w.deps);

    // assert
    expect(result.suppressed).toBe(false);
    expect(w.entries.at(-1)).toMatchObject({ type: 'email_bounced', data: { bounceType: 'Transient', suppressed: false } });
    expect(w.writes.suppressions).toBe(0);
  });

  it('records a complaint and suppresses the address', async () => {
    // arrange
    const w = world();

    // act
    await recordMailFeedback(parseMailFeedback(complaintEvent({ recipient: 'ANN@example.com' })), w.deps);

    // assert
    expect(w.entries.at(-1)).toMatchObject({
      type: 'email_complained',
      step: 'complaint:email:outcome',
      data: { email: 'email:outcome', feedbackType: 'abuse', feedbackId: 'fb-complaint-1', suppressed: true },
    });
    expect(w.suppressions.get(addressKey('ann@example.com'))?.cause).toBe('complaint');
  });

  it('finds the email by its message id when it carried no step tag', async () => {
    // arrange
    const w = world();
    const untaggedStep = bounceEvent({ tags: { [emailTagNames.claim]: ['clm_1'] } });

    // act
    const result = await recordMailFeedback(parseMailFeedback(untaggedStep), w.deps);

    // assert
    expect(result.emailStep).toBe('email:outcome');
  });

  it('writes nothing for an unknown claim, an email the claim never sent, or another recipient', async () => {
    // arrange
    const w = world();
    const before = w.entries.length;
    const unknownClaim = bounceEvent({ tags: { [emailTagNames.claim]: ['clm_nobody'], [emailTagNames.step]: ['email.3Aoutcome'] } });
    const unknownStep = bounceEvent({ tags: { [emailTagNames.claim]: ['clm_1'], [emailTagNames.step]: ['email.3Aother'] } });
    const unknownMessage = bounceEvent({ tags: { [emailTagNames.claim]: ['clm_1'] }, messageId: 'msg-other' });
    const otherRecipient = bounceEvent({ recipient: 'bob@example.com' });

    // act / assert
    await expect(recordMailFeedback(parseMailFeedback(unknownClaim), w.deps)).rejects.toThrow(ClaimNotFoundError);
    await expect(recordMailFeedback(parseMailFeedback(unknownStep), w.deps)).rejects.toThrow(
      new NotFoundError('Claim clm_1 has no email sent at step email:other'),
    );
    await expect(recordMailFeedback(parseMailFeedback(unknownMessage), w.deps)).rejects.toThrow(/no email with message id msg-other/);
    const refused = recordMailFeedback(parseMailFeedback(otherRecipient), w.deps);
    await expect(refused).rejects.toThrow(InvalidRequestError);
    await expect(refused).rejects.not.toThrow(/bob@example.com|ann@example.com/);
    expect(w.entries).toHaveLength(before);
    expect(w.writes).toEqual({ appends: 0, suppressions: 0 });
  });
});

describe('sendOnce to a suppressed address', () => {
  it('sends nothing and records the email as not sent, with the cause, under its own step', async () => {
    // arrange
    const w = world(settledClaim().slice(0, 2));
    await w.deps.state.suppress({
      addressKey: addressKey('ann@example.com'),
      cause: 'bounce',
      since: '2026-11-09T08:00:00.000Z',
      claimId: 'clm_0',
      step: 'email:outcome',
    });
    const sent: OutgoingEmail[] = [];
    const mailer: Mailer = {
      send: async (email) => {
        sent.push(email);
        return { messageId: 'never' };
      },
      sentBefore: async () => undefined,
      ping: async () => {},
    };
    const deps = { ...w.deps, mailer, mailFrom: 'care@demo.test', clock: { now: () => T0 } };
    const args = {
      step: 'email:outcome',
      kind: 'outcome' as const,
      to: 'Ann@Example.com',
      content: { subject: 'Your refund', text: 'text', html: '<p>html</p>' },
      status: 'settled' as const,
      policyVersion: 1,
    };

    // act
    await sendOnce(deps, loadedClaim(ref.claimId, [...w.entries]), args);
    await sendOnce(deps, loadedClaim(ref.claimId, [...w.entries]), args);

    // assert
    expect(sent).toEqual([]);
    const notSent = w.entries.at(-1) as EntryOf<'email_not_sent'>;
    expect(notSent).toMatchObject({
      type: 'email_not_sent',
      step: 'email:outcome',
      status: 'settled',
      data: {
        kind: 'outcome',
        to: 'Ann@Example.com',
        subject: 'Your refund',
        reason: 'suppressed',
        cause: 'bounce',
        since: '2026-11-09T08:00:00.000Z',
      },
    });
    expect(w.entries.filter((e) => e.type === 'email_not_sent')).toHaveLength(1);
    // The claim is settled all the same: the outcome closes its round and tells the storefront.
    expect(outcomeEmails(w.entries)).toEqual([notSent]);
    expect(webhookEventTypeOf(notSent)).toBe('claim.settled');
    // Not asked to reach the customer (an approver's email, say): no follow-up.
    expect(w.work).toEqual([]);
  });

  it('asks a person to reach the customer another way, opening the follow-up before recording the email as not sent', async () => {
    // arrange
    const w = world(settledClaim().slice(0, 2));
    await w.deps.state.suppress({
      addressKey: addressKey('ann@example.com'),
      cause: 'complaint',
      since: T0.toISOString(),
      claimId: 'clm_0',
      step: 'email:outcome',
    });
    const mailer: Mailer = {
      send: async () => {
        throw new Error('a suppressed address is never mailed');
      },
      sentBefore: async () => undefined,
      ping: async () => {},
    };
    const deps = { ...w.deps, mailer, mailFrom: 'care@demo.test', clock: { now: () => T0 } };

    // act
    await sendOnce(deps, loadedClaim(ref.claimId, [...w.entries]), {
      step: 'email:outcome',
      kind: 'outcome',
      to: 'ann@example.com',
      content: { subject: 'Your refund', text: 'text', html: '<p>html</p>' },
      status: 'settled',
      policyVersion: 1,
      reachIfSuppressed: true,
    });

    // assert
    expect(w.entries.slice(2).map((e) => [e.type, e.step])).toEqual([
      ['followup_opened', 'followup:email:outcome'],
      ['email_not_sent', 'email:outcome'],
    ]);
    expect(w.entries[2]).toMatchObject({ data: { reason: 'reach_customer', email: 'email:outcome' } });
    expect(w.work).toMatchObject([{ kind: 'followup', reason: 'reach_customer', claimId: 'clm_1', status: 'open' }]);
  });
});
