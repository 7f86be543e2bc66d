import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionReceipt, ActionView } from '#domain/api/action.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { demoClaims } from '#local/demo.ts';
import { bootStack, claimBody, countItems, mailbox, postClaim, signedFetch, waitForClaim, waitForMail } from './harness.ts';
import { eventually, newWebhookSecret, WebhookReceiver } from './webhook-receiver.ts';

/**
 * From decision to deed on the embedded stack: the shop is asked to act (webhook, poll, claim),
 * reports what it did, and the ledger, the emails and the recovery follow.
 */

const FINANCE_KEY = 'it-actions-finance-key';
type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  const secret = newWebhookSecret();
  receiver = await WebhookReceiver.start(secret, () => ({ status: 200 }));
  stack = await bootStack({ financeKey: FINANCE_KEY, demoWebhook: { url: receiver.url, secret } });
});
afterAll(async () => {
  await stack?.cleanup();
  await receiver?.close();
});

interface ClaimWithActions {
  status: string;
  actions: ActionView[];
}

/** Files a claim (English-speaking customer) and waits until it is settled. */
async function settledClaim(over: Parameters<typeof claimBody>[0] = {}) {
  const body = claimBody({ ...over, customer: { locale: 'en', ...over.customer } });
  const { json } = await postClaim(stack.apiUrl, body);
  await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
  const claim = await readClaim(json.claimId);
  return { claimId: json.claimId, body, claim, action: claim.actions[0] as ActionView };
}

async function readClaim(claimId: string): Promise<ClaimWithActions> {
  const res = await signedFetch(stack.apiUrl, 'GET', `/v1/claims/${claimId}`);
  return (await res.json()) as ClaimWithActions;
}

function report(claimId: string, actionId: string, body: Record<string, unknown>): Promise<Response> {
  return signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/actions/${actionId}`, body);
}

const paid = (amount: number, reference = `re_${randomUUID().slice(0, 8)}`) => ({
  status: 'succeeded',
  provider: 'stripe',
  reference,
  amount: { amount, currency: 'EUR' },
});

async function ledgerOf(claimId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${stack.apiUrl}/v1/ledger?claim=${claimId}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
  return ((await res.json()) as { entries: LedgerEntry[] }).entries;
}

/** What each account moved in a claim's ledger: credits less debits. */
async function balances(claimId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await ledgerOf(claimId)) for (const p of e.postings) out[p.account] = (out[p.account] ?? 0) + p.credit - p.debit;
  return out;
}

async function requestedActionIds(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const path: string = `/v1/actions?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await (await signedFetch(stack.apiUrl, 'GET', path)).json()) as { actions: ActionView[]; next: string | null };
    ids.push(...page.actions.map((a) => a.actionId));
    cursor = page.next;
  } while (cursor);
  return ids;
}

describe('actions: what the shop must do, and its answers', () => {
  it('asks for a refund by webhook, poll and claim, and a paid refund moves its amount from refunds_payable to cash', async () => {
    // arrange: a crushed chocolate box, refunded without return (25.00 + 2.50 shipping)
    const { claimId, action } = await settledClaim();
    expect(action).toMatchObject({ type: 'refund', status: 'requested', amount: { amount: 2750, currency: 'EUR' } });
    expect(action.items).toEqual([{ sku: 'CHOC-BOX', quantity: 1 }]);
    const event = await eventually('the refund.requested event', () =>
      [...receiver.processed.values()]
        .map((p) => JSON.parse(p.body))
        .find((b) => b.type === 'refund.requested' && b.data.claimId === claimId),
    );
    expect(event.data.action.actionId).toBe(action.actionId);
    expect(
      await eventually('the action in the poll', async () => ((await requestedActionIds()).includes(action.actionId) ? true : undefined)),
    ).toBe(true);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 2750 });

    // act
    const res = await report(claimId, action.actionId, paid(2750, 're_paid_1'));

    // assert
    expect(res.status).toBe(200);
    const receipt = (await res.json()) as ActionReceipt;
    expect(receipt.action).toMatchObject({ status: 'succeeded', reference: 're_paid_1', result: { provider: 'stripe' } });
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, cash: 2750, revenue_reversal: -2750 });
    expect((await readClaim(claimId)).actions[0]?.status).toBe('succeeded');
    await eventually('the action to leave the poll', async () =>
      (await requestedActionIds()).includes(action.actionId) ? undefined : true,
    );
  });

  it('answers the same report again with the first result and writes nothing', async () => {
    // arrange
    const { claimId, action } = await settledClaim();
    const first = await report(claimId, action.actionId, paid(2750, 're_dup'));
    const before = await countItems(stack);

    // act
    const again = await report(claimId, action.actionId, paid(2750, 're_dup'));

    // assert
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as ActionReceipt).action.result?.at).toBe(((await first.json()) as ActionReceipt).action.result?.at);
    expect(await countItems(stack)).toBe(before);
  });

  it('refuses another amount (422), a second success and a report for no such action, writing nothing', async () => {
    // arrange
    const { claimId, action } = await settledClaim();
    const before = await countItems(stack);

    // act
    const mismatch = await report(claimId, action.actionId, paid(2700));
    const missing = await report(claimId, `act_${claimId}_99`, paid(2750));
    const foreign = await report(claimId, 'act_clm_other_3', paid(2750));
    const invalid = await report(claimId, action.actionId, { status: 'failed', provider: 'stripe', reference: 'x' });
    const afterRefusals = await countItems(stack);
    await report(claimId, action.actionId, paid(2750, 're_first'));
    const settledItems = await countItems(stack);
    const second = await report(claimId, action.actionId, paid(2750, 're_second'));

    // assert
    expect(mismatch.status).toBe(422);
    expect(((await mismatch.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('amount');
    expect(missing.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toContain(
      'failureReason',
    );
    expect(afterRefusals).toBe(before);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain('re_first');
    expect(await countItems(stack)).toBe(settledItems);
  });

  it('refuses a report for a claim that has not settled, writing nothing', async () => {
    // arrange: a faulty kettle waiting for the agent
    const body = demoClaims().approval;
    body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
    const { json } = await postClaim(stack.apiUrl, body);
    await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'awaiting_approval');
    const before = await countItems(stack);

    // act
    const res = await report(json.claimId, `act_${json.claimId}_3`, paid(9399));

    // assert
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('awaiting_approval');
    expect(await countItems(stack)).toBe(before);
  });

  it('of two reports sent at once for one action, records one; the other is refused', async () => {
    // arrange
    const { claimId, action } = await settledClaim();

    // act
    const [a, b] = await Promise.all([
      report(claimId, action.actionId, paid(2750, 're_race_a')),
      report(claimId, action.actionId, {
        status: 'failed',
        provider: 'stripe',
        reference: 're_race_b',
        amount: action.amount,
        failureReason: 'card closed',
      }),
    ]);

    // assert
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const results = (await ledgerOf(claimId)).filter((e) => e.type === 'action_succeeded' || e.type === 'action_failed');
    expect(results).toHaveLength(1);
    const winner = (await readClaim(claimId)).actions[0];
    expect(winner?.reference).toBe(results[0]?.type === 'action_succeeded' ? 're_race_a' : 're_race_b');
  });

  it('recovers a failed refund as store credit with the bonus, tells the customer, and pays cash when asked again', async () => {
    // arrange
    const { claimId, action, body } = await settledClaim();

    // act: the card refund bounces
    const failed = await report(claimId, action.actionId, {
      status: 'failed',
      provider: 'stripe',
      reference: 're_bounce',
      amount: action.amount,
      failureReason: 'card closed',
    });

    // assert: the same value as credit, plus 10 %
    expect(failed.status).toBe(200);
    const receipt = (await failed.json()) as ActionReceipt;
    expect(receipt.action).toMatchObject({ status: 'failed', result: { failureReason: 'card closed' } });
    const credit = receipt.created[0] as ActionView;
    expect(credit).toMatchObject({
      type: 'store_credit',
      status: 'requested',
      amount: { amount: 3025 },
      goodwill: { amount: 275 },
      recovers: action.actionId,
    });
    const told = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(body.customer.email) && /30\.25/.test(m.body.text ?? '') && /27\.50/.test(m.body.text ?? ''),
    );
    expect(told.body.text).toMatch(/did not go through/);
    expect(told.body.text).toMatch(/reply/i);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, store_credit_liability: 3025, goodwill_expense: -275 });

    // act: the customer asks for the cash after all
    const cash = await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/actions/${credit.actionId}/cash`, {});
    const cashAgain = await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/actions/${credit.actionId}/cash`, {});

    // assert: the credit is withdrawn, the refund asked again, and paid
    expect(cash.status).toBe(200);
    const refund = ((await cash.json()) as ActionReceipt).created[0] as ActionView;
    expect(refund).toMatchObject({ type: 'refund', status: 'requested', amount: { amount: 2750 }, replaces: credit.actionId });
    expect(cashAgain.headers.get('idempotent-replayed')).toBe('true');
    const actions = (await readClaim(claimId)).actions;
    expect(actions.map((a) => [a.type, a.status])).toEqual([
      ['refund', 'failed'],
      ['store_credit', 'cancelled'],
      ['refund', 'requested'],
    ]);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 2750, store_credit_liability: 0, goodwill_expense: 0 });
    expect((await report(claimId, refund.actionId, paid(2750))).status).toBe(200);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, cash: 2750, store_credit_liability: 0 });
    const entries = await ledgerOf(claimId);
    expect(entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(['action_failed', 'credit_issued', 'action_cancelled', 'refund_settled', 'action_succeeded']),
    );
  });

  it('emails the code of store credit once the shop issued it', async () => {
    // arrange: store credit chosen for the crushed box: 27.50 + 10 % bonus
    const { claimId, action, body } = await settledClaim({ complaint: { desiredOutcome: 'store_credit' } });
    expect(action).toMatchObject({ type: 'store_credit', amount: { amount: 3025 } });
    const outcome = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(body.customer.email));
    expect(outcome.body.text).not.toMatch(/have added/);

    // act
    const res = await report(claimId, action.actionId, { ...paid(3025), provider: 'shopify', creditCode: 'GIFT-7Q2X-9K' });

    // assert
    expect(res.status).toBe(200);
    const mail = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(body.customer.email) && (m.body.text ?? '').includes('GIFT-7Q2X-9K'),
    );
    expect(mail.body.text).toMatch(/30\.25/);
    expect(mail.body.html).toContain('GIFT-7Q2X-9K');
  });

  it('emails the tracking of a replacement once the shop shipped it', async () => {
    // arrange: the wrong mug (15.00, kept: under the keep-it threshold), replaced
    const { claimId, action, body } = await settledClaim({
      order: { paid: 1999, shipping: 499, items: [{ sku: 'MUG', name: 'Blue mug', category: 'home', quantity: 1, unitPrice: 1500 }] },
      complaint: { reason: 'wrong_item', desiredOutcome: 'replacement', items: [{ sku: 'MUG', quantity: 1 }] },
    });
    expect(action).toMatchObject({ type: 'replacement', amount: { amount: 0 }, items: [{ sku: 'MUG', quantity: 1 }] });

    // act
    const wrong = await report(claimId, action.actionId, { status: 'succeeded', provider: 'dhl', reference: 'shp_0', creditCode: 'X' });
    const res = await report(claimId, action.actionId, {
      status: 'succeeded',
      provider: 'dhl',
      reference: 'shp_1',
      tracking: 'JJD0099887766',
    });

    // assert
    expect(wrong.status).toBe(422);
    expect(res.status).toBe(200);
    const mail = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(body.customer.email) && (m.body.text ?? '').includes('JJD0099887766'),
    );
    expect(mail.body.text).toMatch(/Blue mug/);
    expect((await mailbox(stack.mailUrl)).filter((m) => (m.body.text ?? '').includes('JJD0099887766'))).toHaveLength(1);
  });
});
