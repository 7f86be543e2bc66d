import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import type { Deps, OutboxEvent } from '#ports';
import { bootStack, claimBody, mailbox, postClaim, waitForClaim, waitForMail } from './harness.ts';
import { eventually, newWebhookSecret, type Reply, WebhookReceiver } from './webhook-receiver.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;

/** Delivery settings short enough for a test: a 500 ms attempt, backoff from 100 ms up to 1 s. */
const TIMEOUT_MS = 500;
const webhookEnv = {
  MAKEGOOD_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  MAKEGOOD_WEBHOOK_FIRST_RETRY_MS: '100',
  MAKEGOOD_WEBHOOK_MAX_RETRY_MS: '1000',
};

/** A claim that waits for the agent: a defective kettle, no evidence. */
function approvalClaimBody() {
  return claimBody({
    order: {
      items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
      paid: 9399,
      shipping: 499,
    },
    complaint: { reason: 'defective', items: [{ sku: 'KETTLE-1', quantity: 1 }], evidence: [] },
  });
}

interface EventBody {
  type: string;
  timestamp: string;
  data: { claimId: string; seq: number };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(secret: string, plan: (n: number) => Reply, functionEnv: Record<string, string> = webhookEnv) {
  const receiver = await WebhookReceiver.start(secret, plan);
  cleanups.push(() => receiver.close());
  const stack: Stack = await bootStack({ demoWebhook: { url: receiver.url, secret }, functionEnv });
  cleanups.push(() => stack.cleanup());
  const deps: Deps = makeDeps(parseConfig(stack.env));
  return { receiver, stack, deps };
}

/** Every outbox item of the claims, flattened. */
async function outboxOf(deps: Deps, claimIds: readonly string[]): Promise<OutboxEvent[]> {
  return (await Promise.all(claimIds.map((id) => deps.outbox.claimEvents(id)))).flat();
}

describe('webhooks against a misbehaving receiver', () => {
  it('delivers every event once per id, signed, after 500s, dropped sockets and timeouts, without holding up any claim', async () => {
    // arrange: a receiver that fails the first three requests (500, closed socket, 500), then
    // processes four but answers each only after 1.5 s (past the 500 ms timeout), then answers
    // 500 until the test lets it recover
    const secret = newWebhookSecret();
    let recovered = false;
    const failing: Reply[] = [{ status: 500 }, { destroy: true }, { status: 500 }];
    const slow = 4;
    const { receiver, stack, deps } = await started(secret, (n) => {
      if (recovered) return { status: 204 };
      if (n < failing.length) return failing[n] as Reply;
      if (n < failing.length + slow) return { status: 200, delayMs: 1_500 };
      return { status: 500 };
    });
    const autoBodies = Array.from({ length: 5 }, () => claimBody());
    const waitingBody = approvalClaimBody();

    // act: post the claims while the receiver misbehaves, and wait for each to be done with
    const postedAt = new Map<string, number>();
    const auto = await Promise.all(
      autoBodies.map(async (body) => {
        const t = Date.now();
        const { res, json } = await postClaim(stack.apiUrl, body);
        expect(res.status).toBe(202);
        postedAt.set(json.claimId, t);
        return { claimId: json.claimId, body };
      }),
    );
    const waiting = await postClaim(stack.apiUrl, waitingBody);
    expect(waiting.res.status).toBe(202);
    const waitingId = waiting.json.claimId;
    const settleMs: number[] = [];
    const autoViews = await Promise.all(
      auto.map(async ({ claimId }) => {
        const view = await waitForClaim(
          stack.apiUrl,
          claimId,
          (c) => c.status === 'settled' && c.timeline.some((t) => t.type === 'email_sent'),
          400,
        );
        settleMs.push(Date.now() - (postedAt.get(claimId) ?? 0));
        return view;
      }),
    );
    const waitingView = await waitForClaim(
      stack.apiUrl,
      waitingId,
      (c) => c.status === 'awaiting_approval' && c.timeline.some((t) => t.type === 'email_sent'),
      400,
    );
    // The failing and slow answers have all been given (the dispatcher was trying meanwhile).
    await eventually('the receiver to have failed and stalled its first requests', () =>
      receiver.requests.length >= failing.length + slow ? true : undefined,
    );
    // The agent's email went out meanwhile (waitForMail throws if it never does), and each customer's.
    await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes('agent@demo.test') && (m.body.text ?? '').includes(waitingBody.order.id),
    );
    const mails = await mailbox(stack.mailUrl);
    const beforeRecovery = await outboxOf(deps, [...auto.map((a) => a.claimId), waitingId]);
    const requestsBeforeRecovery = receiver.requests.length;
    // let it recover only now: every claim above was done while no attempt had succeeded
    recovered = true;
    const recoveredAt = Date.now();

    const expected = new Map<string, string[]>([
      ...auto.map((a) => [a.claimId, ['claim.received', 'claim.decided', 'refund.requested', 'claim.settled']] as [string, string[]]),
      [waitingId, ['claim.received', 'claim.decided', 'claim.awaiting_approval']],
    ]);
    const expectedCount = [...expected.values()].reduce((n, types) => n + types.length, 0);
    const claimIds = [...expected.keys()];
    const finalOutbox = await eventually(
      'every event to be delivered',
      async () => {
        const items = await outboxOf(deps, claimIds);
        return items.length === expectedCount && items.every((e) => e.status === 'delivered') ? items : undefined;
      },
      30_000,
    );

    // assert: the claims went their way while no webhook got through
    expect(autoViews.every((v) => v.status === 'settled')).toBe(true);
    expect(waitingView.status).toBe('awaiting_approval');
    for (const { body } of auto) expect(mails.some((m) => m.destination.to.includes(body.customer.email))).toBe(true);
    expect(beforeRecovery.some((e) => e.status === 'delivered')).toBe(false);
    expect(beforeRecovery.filter((e) => e.status === 'pending' && e.attempts > 0).length).toBeGreaterThan(0);
    expect(receiver.requests.slice(0, requestsBeforeRecovery).some((r) => r.reply.startsWith('2') && !r.aborted)).toBe(false);

    // assert: every request was signed so that Standard Webhooks verifies it
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    for (const r of receiver.requests) expect(() => new Webhook(secret).verify(r.body, r.headers)).not.toThrow();

    // assert: each expected event was processed exactly once, under the id its claim and seq give
    expect(receiver.processed.size).toBe(expectedCount);
    for (const [claimId, types] of expected) {
      const got = [...receiver.processed.values()]
        .map((p) => JSON.parse(p.body) as EventBody)
        .filter((b) => b.data.claimId === claimId)
        .map((b) => b.type);
      expect(got.sort()).toEqual([...types].sort());
    }
    for (const p of receiver.processed.values()) {
      const body = JSON.parse(p.body) as EventBody;
      expect(p.id).toBe(`evt_${body.data.claimId}_${body.data.seq}`);
    }
    for (const d of receiver.duplicates) expect(d.body).toBe(receiver.processed.get(d.id)?.body);
    // every attempt of an event sent the same bytes
    for (const r of receiver.requests) expect(r.body).toBe(receiver.processed.get(r.id)?.body);
    // the outbox counted every attempt the receiver saw
    expect(finalOutbox.reduce((n, e) => n + e.attempts, 0)).toBe(receiver.requests.length);

    // the figures the closing note quotes
    const attempts = finalOutbox.map((e) => e.attempts);
    const delays = finalOutbox.map((e) => {
      const body = JSON.parse(e.payload ?? '{}') as EventBody;
      return Date.parse(e.deliveredAt ?? '') - Date.parse(body.timestamp);
    });
    const drain = Math.max(...finalOutbox.map((e) => Date.parse(e.deliveredAt ?? ''))) - recoveredAt;
    const timeouts = receiver.requests.filter((r) => r.reply.includes(' after ') && r.aborted).length;
    const dropped = receiver.requests.filter((r) => r.reply === 'destroy').length;
    console.log(
      `[webhook figures] ${expectedCount} events (${claimIds.length} claims), ${receiver.requests.length} requests: ` +
        `attempts per event min ${Math.min(...attempts)} / mean ${(attempts.reduce((a, b) => a + b, 0) / attempts.length).toFixed(1)} / max ${Math.max(...attempts)}; ` +
        `timeouts ${timeouts} (${TIMEOUT_MS} ms limit, receiver took 1500 ms), closed sockets ${dropped}, HTTP 500s ${receiver.requests.filter((r) => r.reply === '500').length}; ` +
        `duplicates deduped by the receiver ${receiver.duplicates.length}; ` +
        `max delay entry→delivered ${Math.max(...delays)} ms (receiver down until all claims were done), drain after recovery ${drain} ms; ` +
        `claims POST→settled max ${Math.max(...settleMs)} ms while failing`,
    );
  });

  it('stops sending to an endpoint that answers 410 Gone, and fails its events', async () => {
    // arrange: a receiver that is gone; one request in flight at a time, so exactly one meets the 410
    const secret = newWebhookSecret();
    const { receiver, stack, deps } = await started(secret, () => ({ status: 410 }), {
      ...webhookEnv,
      MAKEGOOD_WEBHOOK_MAX_IN_FLIGHT: '1',
    });
    const done = (ids: string[], n: number) =>
      eventually(`the events of ${ids.join(', ')} to be settled`, async () => {
        const items = await outboxOf(deps, ids);
        return items.length === n && items.every((e) => e.status !== 'pending') ? items : undefined;
      });

    // act: one claim meets the 410; another is posted once the endpoint is disabled
    const first = await postClaim(stack.apiUrl, claimBody());
    await waitForClaim(stack.apiUrl, first.json.claimId, (c) => c.status === 'settled');
    const firstEvents = await done([first.json.claimId], 4);
    const storefront = await deps.state.storefront('demo');
    const requestsAfterFirst = receiver.requests.length;
    const second = await postClaim(stack.apiUrl, claimBody());
    await waitForClaim(stack.apiUrl, second.json.claimId, (c) => c.status === 'settled');
    const secondEvents = await done([second.json.claimId], 4);

    // assert: the one request sent got 410; the endpoint is disabled, saying why
    expect(requestsAfterFirst).toBe(1);
    expect(receiver.requests[0]?.verified).toBe(true);
    expect(JSON.parse(receiver.requests[0]?.body ?? '{}').type).toBe('claim.received');
    expect(storefront?.webhook?.disabledAt).toEqual(expect.any(String));
    expect(storefront?.webhook?.disabledReason).toContain('410');
    const gone = firstEvents.filter((e) => e.lastResult === 'HTTP 410');
    expect(gone).toHaveLength(1);
    expect(gone[0]?.status).toBe('failed');
    expect(gone[0]?.attempts).toBe(1);
    // assert: nothing else was sent; every other event failed without an attempt, kept for redelivery
    const others = [...firstEvents.filter((e) => e !== gone[0]), ...secondEvents];
    expect(others).toHaveLength(7);
    for (const e of others) {
      expect(e.status).toBe('failed');
      expect(e.attempts).toBe(0);
      expect(e.lastResult).toMatch(/^endpoint disabled: /);
      expect(e.eventId).toMatch(new RegExp(`^evt_${e.claimId}_\\d+$`));
    }
    expect(receiver.requests).toHaveLength(1);
  });
});
