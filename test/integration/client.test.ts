import { randomUUID } from 'node:crypto';
import { type ClaimRequest, type ClaimView, MakegoodApiError, MakegoodClient } from 'makegood/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, DEMO_SECRET, daysAgo } from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let makegood: MakegoodClient;

beforeAll(async () => {
  stack = await bootStack();
  makegood = new MakegoodClient({ baseUrl: stack.apiUrl, storefrontId: 'demo', secret: DEMO_SECRET });
});
afterAll(async () => {
  await stack?.cleanup();
});

/** A small perishable claim with a photo, which the demo policy refunds automatically, without a return. */
function chocolateClaim(): ClaimRequest {
  const id = randomUUID().slice(0, 8);
  return {
    order: {
      id: `ORD-${id}`,
      placedAt: daysAgo(7),
      deliveredAt: daysAgo(5),
      currency: 'EUR',
      paid: 5499,
      shipping: 499,
      items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
    },
    customer: { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: 'en' },
    complaint: {
      reason: 'damaged',
      items: [{ sku: 'CHOC-BOX', quantity: 1 }],
      desiredOutcome: 'refund',
      channel: 'web',
      // The photo lets the policy settle it without a person.
      evidence: ['https://shop.example/uploads/123.jpg'],
    },
  };
}

/** Reads the claim with the client until it is settled (bounded attempts, no wall-clock assertion). */
async function untilSettled(claimId: string): Promise<ClaimView> {
  let last: ClaimView | undefined;
  for (let i = 0; i < 200; i++) {
    last = await makegood.getClaim(claimId);
    if (last.status === 'settled') return last;
    if (last.status === 'awaiting_approval' || last.status === 'rejected' || last.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Claim ${claimId} did not settle; last seen: ${JSON.stringify(last)}`);
}

describe('makegood/client against the embedded stack', () => {
  it('files a claim, replays it with the same key, and reads it back until settled', async () => {
    // arrange
    const claim = chocolateClaim();
    const idempotencyKey = `claim-${claim.order.id}`;

    // act
    const first = await makegood.createClaim(claim, { idempotencyKey });
    const again = await makegood.createClaim(claim, { idempotencyKey });
    const settled = await untilSettled(first.claimId);

    // assert
    expect(first).toMatchObject({ status: 'received', replayed: false, idempotencyKey });
    expect(first.statusUrl).toBe(`${stack.apiUrl}/v1/claims/${first.claimId}`);
    expect(again).toEqual({ ...first, replayed: true });
    expect(settled).toMatchObject({ claimId: first.claimId, storefrontId: 'demo', orderId: claim.order.id, status: 'settled' });
    expect(settled.decision?.outcome).toBe('refund_without_return');
    expect(settled.decision?.cash).toEqual({ amount: 2750, currency: 'EUR' });
    expect(settled.timeline.filter((t) => t.type === 'received')).toHaveLength(1);
  });

  it('surfaces the server’s refusals as MakegoodApiError: another body under a used key, a wrong secret', async () => {
    // arrange
    const claim = chocolateClaim();
    const idempotencyKey = randomUUID();
    await makegood.createClaim(claim, { idempotencyKey });
    const stranger = new MakegoodClient({ baseUrl: stack.apiUrl, storefrontId: 'demo', secret: 'not-the-secret' });

    // act
    const reused = await makegood
      .createClaim({ ...claim, complaint: { ...claim.complaint, message: 'changed' } }, { idempotencyKey })
      .catch((e: unknown) => e);
    const unsigned = await stranger.getClaim('clm_x').catch((e: unknown) => e);

    // assert
    expect(reused).toBeInstanceOf(MakegoodApiError);
    expect(reused).toMatchObject({ status: 409, code: 'idempotency_key_reused', attempts: 1 });
    expect(unsigned).toMatchObject({ status: 401, code: 'unauthorized', attempts: 1 });
  });
});
