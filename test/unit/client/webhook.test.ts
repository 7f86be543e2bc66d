import { randomBytes } from 'node:crypto';
import { verifyWebhook, type WebhookEvent, WebhookVerificationError } from 'makegood/client';
import { Webhook } from 'standardwebhooks';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { WebhookEvent as ServerWebhookEvent } from '#domain/webhook-events.ts';

const secret = `whsec_${randomBytes(24).toString('base64')}`;

const event = {
  type: 'claim.settled',
  timestamp: '2026-11-05T12:00:00.000Z',
  data: {
    claimId: 'clm_1',
    orderId: 'ORD-1',
    customerId: 'C-1',
    seq: 3,
    status: 'settled',
    decision: {
      outcome: 'refund_without_return',
      cash: { amount: 2750, currency: 'EUR' },
      storeCredit: { amount: 0, currency: 'EUR' },
      tier: 'auto',
      policyVersion: 1,
    },
  },
} satisfies WebhookEvent;
const body = JSON.stringify(event);

/** The Standard Webhooks headers makegood sends, signed by `key` at `at`. */
function headersFor(payload: string, at = new Date(), key = secret, id = 'evt_clm_1_3') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(id, at, payload),
  };
}

describe('verifyWebhook', () => {
  it('returns the event of a body signed with the storefront’s secret', () => {
    // arrange
    const headers = headersFor(body);

    // act
    const fromNodeHeaders = verifyWebhook(secret, body, headers);
    const fromFetchHeaders = verifyWebhook(secret, Buffer.from(body), new Headers(headers));

    // assert
    expect(fromNodeHeaders).toEqual(event);
    expect(fromFetchHeaders).toEqual(event);
    if (fromNodeHeaders.type === 'claim.settled') expect(fromNodeHeaders.data.decision.cash.amount).toBe(2750);
  });

  it('accepts headers with upper-case names and a rotated secret’s extra signature', () => {
    // arrange
    const old = `whsec_${randomBytes(24).toString('base64')}`;
    const signed = headersFor(body);
    const headers = {
      'Webhook-Id': signed['webhook-id'],
      'Webhook-Timestamp': signed['webhook-timestamp'],
      'Webhook-Signature': `${headersFor(body, new Date(), old)['webhook-signature']} ${signed['webhook-signature']}`,
    };

    // act
    const out = verifyWebhook(secret, body, headers);

    // assert
    expect(out.data.claimId).toBe('clm_1');
  });

  it('rejects a tampered body', () => {
    // arrange
    const headers = headersFor(body);
    const tampered = body.replace('2750', '27500');

    // act
    const verifying = () => verifyWebhook(secret, tampered, headers);

    // assert
    expect(verifying).toThrow(WebhookVerificationError);
    expect(verifying).toThrow('The webhook does not verify: No matching signature found');
  });

  it('rejects a body signed with another secret', () => {
    // arrange
    const headers = headersFor(body, new Date(), `whsec_${randomBytes(24).toString('base64')}`);

    // act
    const verifying = () => verifyWebhook(secret, body, headers);

    // assert
    expect(verifying).toThrow(WebhookVerificationError);
    expect(verifying).toThrow('No matching signature found');
  });

  it('rejects a stale timestamp, even with a valid signature of it', () => {
    // arrange: signed ten minutes ago, past the five-minute tolerance
    const headers = headersFor(body, new Date(Date.now() - 10 * 60 * 1000));

    // act
    const verifying = () => verifyWebhook(secret, body, headers);

    // assert
    expect(verifying).toThrow(WebhookVerificationError);
    expect(verifying).toThrow('Message timestamp too old');
  });

  it('rejects a request without the Standard Webhooks headers', () => {
    // arrange
    const headers = { 'content-type': 'application/json' };

    // act
    const verifying = () => verifyWebhook(secret, body, headers);

    // assert
    expect(verifying).toThrow('Missing required headers');
  });

  it('rejects a signed body that is not an event', () => {
    // arrange
    const notAnEvent = JSON.stringify({ hello: 'world' });

    // act
    const verifying = () => verifyWebhook(secret, notAnEvent, headersFor(notAnEvent));

    // assert
    expect(verifying).toThrow('not a makegood event');
  });

  it('says so when the secret is not a whsec_ value, rather than blaming the sender', () => {
    // arrange
    const headers = headersFor(body);

    // act
    const verifying = () => verifyWebhook('whsec_', body, headers);

    // assert
    expect(verifying).toThrow('The webhook secret must be the whsec_');
    expect(verifying).not.toThrow(WebhookVerificationError);
  });

  it('declares every event the server sends (checked by tsc)', () => {
    // arrange, act: types only
    // assert
    expectTypeOf<ServerWebhookEvent>().toExtend<WebhookEvent>();
    expectTypeOf<ServerWebhookEvent['type']>().toEqualTypeOf<WebhookEvent['type']>();
  });
});
