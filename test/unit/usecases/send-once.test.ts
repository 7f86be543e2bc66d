import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '#adapters/ses-mailer.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry } from '#domain/ledger.ts';
import { type Emulator, startMail } from '#local/emulators.ts';
import type { LedgerStore, StateStore } from '#ports';
import { loadedClaim, sendOnce } from '#usecases/common.ts';
import { receivedDraft } from '../handlers/support.ts';

/**
 * `sendOnce` against the real SES emulator: a step re-run after its email went out but before
 * `email_sent` was recorded (a crash in between) finds the email by its key and records it,
 * instead of sending it twice. Against SES (no mailbox to ask) it sends again.
 */

const ref: ClaimRef = { claimId: 'clm_sendonce', storefrontId: 'demo', orderId: 'ORD-1', customerId: 'C-1', currency: 'EUR' };
let dir: string;
let mail: Emulator;
let ses: SESv2Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-sendonce-'));
  mail = await startMail(join(dir, 'mailbox.jsonl'), 0);
  ses = new SESv2Client({ endpoint: mail.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  ses.destroy();
  await mail.close();
  await rm(dir, { recursive: true, force: true });
});

/** A ledger holding the claim's `received` entry, whose next `email_sent` append dies after the send, once. */
function crashingLedger() {
  const entries: LedgerEntry[] = [chainEntry(ref, undefined, receivedDraft(), new Date('2026-11-10T12:00:00Z'))];
  let crash = true;
  const ledger = {
    append: async (claim: ClaimRef, draft: EntryDraft) => {
      if (draft.type === 'email_sent' && crash) {
        crash = false;
        throw new Error('the process died here');
      }
      const entry = chainEntry(claim, entries.at(-1), draft, new Date());
      entries.push(entry);
      return entry;
    },
  } as unknown as LedgerStore;
  return { entries, ledger };
}

async function sendTwice(mailer: SesMailer, step: string) {
  const { entries, ledger } = crashingLedger();
  const deps = {
    ledger,
    mailer,
    state: { storefront: async () => ({ id: 'demo', name: 'Demo Shop' }), suppression: async () => undefined } as unknown as StateStore,
    mailFrom: 'care@demo.test',
    clock: { now: () => new Date() },
  };
  const args = {
    step,
    kind: 'approval_request' as const,
    to: 'ann@example.com',
    content: { subject: `Refund ${step}`, text: 'text', html: '<p>html</p>' },
    status: 'settled' as const,
    policyVersion: 1,
  };
  await expect(sendOnce(deps, loadedClaim(ref.claimId, [...entries]), args)).rejects.toThrow(/died/);
  await sendOnce(deps, loadedClaim(ref.claimId, [...entries]), args);
  const store = (await (await fetch(`${mail.url}/store`)).json()) as { emails: Array<{ subject: string; messageId: string }> };
  return { sent: store.emails.filter((e) => e.subject === `Refund ${step}`), recorded: entries.filter((e) => e.type === 'email_sent') };
}

describe('sendOnce across a crash between the send and its record', () => {
  it('with the embedded mailbox to ask, sends once and records that email', async () => {
    // act
    const { sent, recorded } = await sendTwice(new SesMailer(ses, mail.url), 'email:outcome');

    // assert
    expect(sent).toHaveLength(1);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.data).toMatchObject({ messageId: sent[0]?.messageId });
  });

  it('without one (SES), sends again: at least once, as documented', async () => {
    // act
    const { sent, recorded } = await sendTwice(new SesMailer(ses), 'email:outcome-ses');

    // assert
    expect(sent).toHaveLength(2);
    expect(recorded).toHaveLength(1);
  });

  it('finds a key across a restart of the mailbox, and not an unknown one', async () => {
    // arrange
    const mailer = new SesMailer(ses, mail.url);
    await mailer.send({
      from: 'care@demo.test',
      to: 'b@example.com',
      subject: 's',
      text: 't',
      html: 'h',
      idempotencyKey: 'clm_x/email:one',
    });

    // act
    await mail.close();
    mail = await startMail(join(dir, 'mailbox.jsonl'), 0);
    ses.destroy();
    ses = new SESv2Client({ endpoint: mail.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const after = new SesMailer(ses, mail.url);

    // assert
    expect(await after.sentBefore('clm_x/email:one')).toMatch(/.+/);
    expect(await after.sentBefore('clm_x/email:two')).toBeUndefined();
  });
});
