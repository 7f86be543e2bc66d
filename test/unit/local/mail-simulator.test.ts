import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '#adapters/ses-mailer.ts';
import { parseMailFeedback } from '#domain/mail-feedback.ts';
import { type MailEmulator, mailboxSimulator, type SesEventBridgeEvent, startMail } from '#local/emulators.ts';

/**
 * The SES emulator as SES's mailbox simulator: an email sent through a configuration set to the
 * bounce or complaint address publishes the event SES would, in EventBridge's envelope, with the
 * email's tags; the same reader the Lambda uses accepts it. Nothing is published without a
 * configuration set or for any other address, and the email is still delivered to the mailbox.
 */

let dir: string;
let mail: MailEmulator;
let ses: SESv2Client;
const events: SesEventBridgeEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-simulator-'));
  mail = await startMail(join(dir, 'mailbox.jsonl'), 0);
  mail.onFeedback(async (event) => {
    events.push(event);
  });
  ses = new SESv2Client({ endpoint: mail.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  ses.destroy();
  await mail.close();
  await rm(dir, { recursive: true, force: true });
});

const email = (to: string, key: string) => ({
  from: 'care@demo.test',
  to,
  subject: 'Your refund',
  text: 'text',
  html: '<p>html</p>',
  idempotencyKey: key,
});

/** Waits for the events of `messageId` (delivered after the send is answered, as SES does). */
async function eventsOf(messageId: string, count: number): Promise<SesEventBridgeEvent[]> {
  for (let i = 0; i < 100; i++) {
    const found = events.filter((e) => (e.detail.mail as { messageId: string }).messageId === messageId);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`No event for ${messageId}`);
}

describe('the SES emulator as the mailbox simulator', () => {
  it('answers a send to the bounce address with a permanent bounce that carries the email’s tags', async () => {
    // arrange
    const mailer = new SesMailer(ses, mail.url, 'makegood-local');

    // act
    const { messageId } = await mailer.send(email(mailboxSimulator.bounce, 'clm_sim1/email:outcome'));
    const [event] = await eventsOf(messageId, 1);

    // assert
    expect(event).toMatchObject({
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      resources: [expect.stringMatching(/:configuration-set\/makegood-local$/)],
      detail: {
        eventType: 'Bounce',
        bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: mailboxSimulator.bounce, status: '5.1.1' }] },
        mail: { messageId, destination: [mailboxSimulator.bounce], tags: { 'ses:configuration-set': ['makegood-local'] } },
      },
    });
    expect(parseMailFeedback(event)).toMatchObject({ kind: 'bounce', claimId: 'clm_sim1', step: 'email:outcome', messageId });
    const delivered = (await (await fetch(`${mail.url}/store`)).json()) as { emails: { messageId: string }[] };
    expect(delivered.emails.map((e) => e.messageId)).toContain(messageId);
  });

  it('answers a send to the complaint address with a complaint', async () => {
    // arrange
    const mailer = new SesMailer(ses, mail.url, 'makegood-local');

    // act
    const { messageId } = await mailer.send(email(mailboxSimulator.complaint, 'clm_sim2/email:ack'));
    const [event] = await eventsOf(messageId, 1);

    // assert
    expect(parseMailFeedback(event)).toMatchObject({ kind: 'complaint', claimId: 'clm_sim2', step: 'email:ack' });
  });

  it('publishes nothing without a configuration set, or for another address', async () => {
    // arrange
    const withoutSet = new SesMailer(ses, mail.url);
    const withSet = new SesMailer(ses, mail.url, 'makegood-local');
    const before = events.length;

    // act
    await withoutSet.send(email(mailboxSimulator.bounce, 'clm_sim3/email:outcome'));
    await withSet.send(email('ann@example.com', 'clm_sim4/email:outcome'));
    // A marker sent last: once its event is in, the two before it would have been too.
    const marker = await withSet.send(email(mailboxSimulator.bounce, 'clm_sim5/email:outcome'));
    await eventsOf(marker.messageId, 1);

    // assert
    expect(events.slice(before).map((e) => parseMailFeedback(e).claimId)).toEqual(['clm_sim5']);
  });
});
