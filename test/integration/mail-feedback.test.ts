import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import type { EntryOf, LedgerEntry } from '#domain/ledger.ts';
import { addressKey } from '#domain/mail-tags.ts';
import { mailboxSimulator } from '#local/emulators.ts';
import type { Deps } from '#ports';
import { verifyLedger } from '#usecases/ledger-verify.ts';
import { bootStack, claimBody, mailbox, postClaim, quiet, waitForClaim } from './harness.ts';

/**
 * Bounces and complaints end to end on the embedded stack. The SES emulator plays SES's mailbox
 * simulator: an email sent through the configuration set to `bounce@simulator.amazonses.com`
 * publishes a permanent bounce, one to `complaint@…` a complaint, in the shape EventBridge
 * delivers, to the same MailFeedback handler the rule invokes on AWS. So a claim whose customer's
 * address bounces gets the bounce on its ledger, the address is suppressed, and a later email to
 * it is not sent, which the ledger says, with a follow-up in the console's queue to reach the
 * customer another way.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let deps: Deps;

beforeAll(async () => {
  stack = await bootStack();
  deps = makeDeps(parseConfig(stack.env));
});
afterAll(async () => {
  await stack?.cleanup();
});

/** A claim's entries once `until` holds of them (polled; no wall-clock assertion). */
async function entriesWhen(claimId: string, until: (entries: LedgerEntry[]) => boolean): Promise<LedgerEntry[]> {
  let last: LedgerEntry[] = [];
  for (let i = 0; i < 200; i++) {
    last = await deps.ledger.entries(claimId);
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Claim ${claimId} never got there; its entries: ${last.map((e) => e.type).join(', ')}`);
}

const sentTo = async (address: string) => (await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(address));

describe('email in production, embedded', () => {
  it('records a bounce on the claim, suppresses the address, and does not mail it again; the ledger says so', async () => {
    // arrange
    const address = mailboxSimulator.bounce;
    const first = await postClaim(stack.apiUrl, claimBody({ customer: { email: address } }));
    await waitForClaim(stack.apiUrl, first.json.claimId, (c) => c.status === 'settled');

    // act — SES's bounce arrives after the outcome email went out
    const bounced = await entriesWhen(first.json.claimId, (es) => es.some((e) => e.type === 'email_bounced'));
    const second = await postClaim(stack.apiUrl, claimBody({ customer: { email: address } }));
    // Settled comes with the refund; the outcome email's step (here: not sent) is appended after it.
    const told = await waitForClaim(
      stack.apiUrl,
      second.json.claimId,
      (c) => c.status === 'settled' && c.timeline.some((t) => t.type === 'email_not_sent'),
    );
    await quiet(stack);

    // assert — the first claim: told, then the bounce, its status unchanged
    expect(bounced.map((e) => e.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent', 'email_bounced']);
    const bounce = bounced.at(-1) as EntryOf<'email_bounced'>;
    expect(bounce).toMatchObject({
      step: 'bounce:email:outcome',
      status: 'settled',
      data: { email: 'email:outcome', to: address, bounceType: 'Permanent', status: '5.1.1', suppressed: true },
    });
    expect(bounce.data.messageId).toBe((bounced[3] as EntryOf<'email_sent'>).data.messageId);
    expect(await deps.state.suppression(addressKey(address))).toMatchObject({
      cause: 'bounce',
      claimId: first.json.claimId,
      step: 'email:outcome',
    });
    // the second claim: settled, a person asked to reach the customer, and its outcome email held back, with the reason
    expect(told.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'followup_opened', 'email_not_sent']);
    const reach = (await deps.state.openWork('demo', 'followup')).filter((w) => w.claimId === second.json.claimId);
    expect(reach).toMatchObject([{ reason: 'reach_customer', status: 'open' }]);
    const notSent = (await deps.ledger.entries(second.json.claimId)).at(-1) as EntryOf<'email_not_sent'>;
    expect(notSent.data).toMatchObject({
      kind: 'outcome',
      to: address,
      reason: 'suppressed',
      cause: 'bounce',
      since: bounce.data.bouncedAt,
    });
    expect(await sentTo(address)).toHaveLength(1);
    // the storefront still hears that the second claim settled
    const events = await deps.outbox.claimEvents(second.json.claimId);
    expect(events.map((e) => e.type)).toContain('claim.settled');
    // and the finance audit accepts the new entries
    const audit = await verifyLedger(
      { storefrontId: 'demo', from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000) },
      deps,
    );
    expect(audit.problems).toEqual([]);
  });

  it('records a complaint and suppresses the address', async () => {
    // arrange
    const address = mailboxSimulator.complaint;

    // act
    const { json } = await postClaim(stack.apiUrl, claimBody({ customer: { email: address } }));
    const entries = await entriesWhen(json.claimId, (es) => es.some((e) => e.type === 'email_complained'));

    // assert
    expect(entries.at(-1)).toMatchObject({
      type: 'email_complained',
      step: 'complaint:email:outcome',
      data: { email: 'email:outcome', to: address, feedbackType: 'abuse', suppressed: true },
    });
    expect((await deps.state.suppression(addressKey(address)))?.cause).toBe('complaint');
    expect((await stack.stats()).invocations.MailFeedback).toBeGreaterThanOrEqual(2);
  });

  it('leaves every other address alone: no feedback, no suppression', async () => {
    // arrange
    const body = claimBody();

    // act
    const { json } = await postClaim(stack.apiUrl, body);
    await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
    await quiet(stack);

    // assert
    expect((await deps.ledger.entries(json.claimId)).map((e) => e.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent']);
    expect(await deps.state.suppression(addressKey(body.customer.email))).toBeUndefined();
  });
  it('mails no console sign-in link to a suppressed approver, and the page promises a link only to an address that can receive it', async () => {
    // arrange — the supervisor's address bounced once, for good
    const supervisor = 'supervisor@demo.test';
    await deps.state.suppress({
      addressKey: addressKey(supervisor),
      cause: 'bounce',
      since: new Date().toISOString(),
      claimId: 'clm_x',
      step: 'email:x',
    });
    const before = (await sentTo(supervisor)).length;

    // act
    const res = await fetch(`${stack.apiUrl}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: stack.apiUrl },
      body: new URLSearchParams({ email: supervisor }).toString(),
    });
    const page = await res.text();
    await quiet(stack);

    // assert
    expect(res.status).toBe(200);
    expect(page).toContain(
      'If this address is an approver at a shop and our mail to it has not bounced, a sign-in link is on its way to it.',
    );
    expect((await sentTo(supervisor)).length).toBe(before);
  });
});
