import { describe, expect, it } from 'vitest';
import { withOutbox } from '#adapters/outbox-ledger.ts';
import { chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import type { LedgerStore, Outbox } from '#ports';
import { chainOf, claimRef, decidedDraft, decision, receivedDraft } from '../handlers/support.ts';

/**
 * The ledger with its outbox: which drafts stage an event, and that the event is staged before
 * the entry is appended, never after. The ledger and outbox record their calls in one list, so
 * the order of the writes is what the assertions read.
 */

const NOW = new Date('2026-11-10T12:00:00.000Z');
const ref = claimRef('clm_1');

function emailDraft(status: EntryDraft['status'], step = 'email:ack'): EntryDraft {
  return {
    type: 'email_sent',
    step,
    status,
    actor: { kind: 'system' },
    policyVersion: 1,
    data: { kind: step === 'email:outcome' ? 'outcome' : 'acknowledgement', to: 'ann@example.com', subject: 'Your claim', messageId: 'm1' },
  };
}

function harness(opts: { appendFails?: Error; stageFails?: Error } = {}) {
  const calls: string[] = [];
  const staged: Parameters<Outbox['stage']>[0][] = [];
  const appended: { draft: EntryDraft; known: readonly LedgerEntry[] | undefined }[] = [];
  const ledger = {
    entries: async () => [],
    append: async (claim, draft, known) => {
      calls.push(`append ${draft.step}`);
      appended.push({ draft, known });
      if (opts.appendFails) throw opts.appendFails;
      return chainEntry(claim, known?.at(-1), draft, NOW);
    },
  } as Pick<LedgerStore, 'entries' | 'append'> as LedgerStore;
  const outbox = {
    stage: async (e) => {
      calls.push(`stage ${e.step}`);
      staged.push(e);
      if (opts.stageFails) throw opts.stageFails;
    },
  } as Pick<Outbox, 'stage'> as Outbox;
  return { calls, staged, appended, ledger: withOutbox(ledger, outbox, { now: () => NOW }) };
}

describe('withOutbox: append', () => {
  it.each([
    { draft: receivedDraft(), type: 'claim.received' },
    { draft: decidedDraft(decision(2750, 'auto')), type: 'claim.decided' },
    { draft: emailDraft('settled', 'email:outcome'), type: 'claim.settled' },
    { draft: emailDraft('rejected', 'email:outcome'), type: 'claim.rejected' },
    {
      draft: {
        type: 'refund_settled',
        step: 'refund-settled',
        status: 'assessing',
        actor: { kind: 'system' },
        policyVersion: 1,
        data: { amount: { amount: 2750, currency: 'EUR' }, method: 'original_payment' },
      } satisfies EntryDraft,
      type: 'refund.requested',
    },
  ])('stages the $type event of step $draft.step BEFORE appending its entry', async ({ draft, type }) => {
    // arrange
    const h = harness();

    // act
    const entry = await h.ledger.append(ref, draft);

    // assert
    expect(h.calls).toEqual([`stage ${draft.step}`, `append ${draft.step}`]);
    expect(h.staged).toEqual([{ storefrontId: 'demo', claimId: 'clm_1', step: draft.step, type, at: NOW }]);
    expect(entry.step).toBe(draft.step);
  });

  it.each([
    { name: 'an email the claim status does not change', draft: emailDraft('assessing') },
    { name: 'an approval email', draft: emailDraft('awaiting_approval', 'email:approval#1') },
  ])('appends $name without staging anything', async ({ draft }) => {
    // arrange
    const h = harness();

    // act
    await h.ledger.append(ref, draft);

    // assert
    expect(h.calls).toEqual([`append ${draft.step}`]);
    expect(h.staged).toEqual([]);
  });

  it('stages nothing, and appends nothing, for a step the caller already sees recorded', async () => {
    // arrange: the claim as the caller last read it
    const h = harness();
    const known = chainOf(ref, [receivedDraft(), decidedDraft(decision(2750, 'auto'))]);

    // act
    const entry = await h.ledger.append(ref, decidedDraft(decision(9999, 'agent')), known);

    // assert
    expect(h.calls).toEqual([]);
    expect(entry).toBe(known[1]);
  });

  it('stages and passes the caller’s entries on for a step they do not contain', async () => {
    // arrange
    const h = harness();
    const known = chainOf(ref, [receivedDraft()]);

    // act
    const entry = await h.ledger.append(ref, decidedDraft(decision(2750, 'auto')), known);

    // assert
    expect(h.calls).toEqual(['stage decided#1', 'append decided#1']);
    expect(h.appended[0]?.known).toBe(known);
    expect(entry.seq).toBe(2);
  });

  it('lets an append error through after staging (the dispatcher drops an event whose entry never appears)', async () => {
    // arrange
    const h = harness({ appendFails: new Error('ledger unavailable') });

    // act
    const appending = h.ledger.append(ref, receivedDraft());

    // assert
    await expect(appending).rejects.toThrow('ledger unavailable');
    expect(h.calls).toEqual(['stage received', 'append received']);
  });

  it('does not append when staging fails: no entry is left without its event', async () => {
    // arrange
    const h = harness({ stageFails: new Error('state table unavailable') });

    // act
    const appending = h.ledger.append(ref, receivedDraft());

    // assert
    await expect(appending).rejects.toThrow('state table unavailable');
    expect(h.calls).toEqual(['stage received']);
  });
});
