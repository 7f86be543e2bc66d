import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStack, claimBody, countItems, mailbox, postClaim, signedFetch, waitForClaim, waitForMail } from './harness.ts';

/**
 * The five money holes found by trying the flow as a new user and as an attacker, each shown
 * closed against the embedded stack (DESIGN.md, "Money rules").
 */
type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await bootStack();
});
afterAll(async () => {
  await stack?.cleanup();
});

const terminal = (s: string) => ['settled', 'rejected', 'closed', 'failed'].includes(s);
const cake = { items: [{ sku: 'CAKE', name: 'Birthday cake', category: 'food', quantity: 1, unitPrice: 4500 }], paid: 4500, shipping: 0 };

async function post(body: unknown) {
  const { res, json } = await postClaim(stack.apiUrl, body);
  expect(res.status, JSON.stringify(json)).toBe(202);
  return json.claimId;
}

function reportReturn(claimId: string, body: unknown) {
  return signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/returns`, body);
}

describe('money rules, embedded', () => {
  it('1. refuses a replacement for a unit already refunded, and grants one unit once in a race', async () => {
    // arrange: the cake is refunded in full
    const first = claimBody({ order: cake, complaint: { items: [{ sku: 'CAKE', quantity: 1 }] } });
    const refunded = await waitForClaim(stack.apiUrl, await post(first), (c) => terminal(c.status));
    expect(refunded.status).toBe('settled');
    expect(refunded.decision?.cash.amount).toBe(4500);

    // act: the same cake, asked as a replacement
    const again = { ...first, complaint: { ...first.complaint, desiredOutcome: 'replacement' } };
    const second = await waitForClaim(stack.apiUrl, await post(again), (c) => terminal(c.status));

    // assert
    expect(second.status).toBe('rejected');
    const rule = second.decision?.rules.find((r) => r.id === 'already-compensated');
    expect(rule?.text).toContain(refunded.claimId);
    expect(second.decision?.rules.map((r) => r.id)).toContain('alternative-contact');

    // act: 12 claims from 12 accounts race for one new cake, refunds and replacements mixed
    const raced = claimBody({ order: cake, complaint: { items: [{ sku: 'CAKE', quantity: 1 }] } });
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post({
          ...raced,
          customer: { ...raced.customer, id: `${raced.customer.id}-${i}` },
          complaint: { ...raced.complaint, desiredOutcome: i % 2 ? 'replacement' : 'refund' },
        }),
      ),
    );
    const ends = await Promise.all(ids.map((id) => waitForClaim(stack.apiUrl, id, (c) => terminal(c.status), 600)));

    // assert: exactly one claim covers the cake; every other is rejected at once, naming a claim
    const granted = ends.filter((c) => c.status === 'settled');
    expect(granted).toHaveLength(1);
    for (const c of ends.filter((x) => x.status !== 'settled')) {
      expect(c.status).toBe('rejected');
      expect(c.decision?.rules.find((r) => r.id === 'already-compensated')?.text).toMatch(/clm_[0-9a-f]{32}/);
    }
  });

  it('2. pins the first claim’s order facts: a later claim with another paid gets 422 order_facts_conflict and writes nothing', async () => {
    // arrange
    const first = claimBody({
      order: { paid: 5000, shipping: 0, items: [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 2, unitPrice: 2500 }] },
    });
    first.complaint.items = [{ sku: 'MUG', quantity: 1 }];
    // Quiet first: the return authorisation is the last entry the first claim writes for now.
    await waitForClaim(stack.apiUrl, await post(first), (c) => c.status === 'awaiting_return');
    const before = await countItems(stack);

    // act: the same order id, claiming it paid twice as much and a dearer mug
    const inflated = structuredClone(first);
    inflated.order.paid = 10000;
    inflated.order.items = [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 2, unitPrice: 5000 }];
    const { res, json } = await postClaim(stack.apiUrl, inflated);

    // assert
    expect(res.status).toBe(422);
    expect(json.error?.code).toBe('order_facts_conflict');
    expect(json.error?.issues?.map((i) => i.path).sort()).toEqual(['order.items[0].unitPrice', 'order.paid']);
    expect(await countItems(stack)).toBe(before);

    // act: a reused Idempotency-Key (409) for a new order pins nothing for that order
    const key = 'reused-key-for-pinning';
    expect((await postClaim(stack.apiUrl, first, key)).res.status).toBe(202);
    const other = claimBody({ order: { paid: 999_999 } });
    const refused = await postClaim(stack.apiUrl, other, key);
    const real = await postClaim(stack.apiUrl, { ...other, order: { ...other.order, paid: 5499 } });

    // assert
    expect(refused.res.status).toBe(409);
    expect(real.res.status).toBe(202);
  });

  it('3. decides a second claim on a unit still being compensated at once, and tells the customer', async () => {
    // arrange: a €40.00 pan must come back first, so its claim waits for the return
    const pan = { items: [{ sku: 'PAN', name: 'Frying pan', category: 'kitchen', quantity: 1, unitPrice: 4000 }], paid: 4000, shipping: 0 };
    const first = claimBody({ order: pan, complaint: { items: [{ sku: 'PAN', quantity: 1 }], reason: 'defective' } });
    const waiting = await waitForClaim(stack.apiUrl, await post(first), (c) => c.status === 'awaiting_return');

    // act
    const second = claimBody({
      order: pan,
      customer: first.customer,
      complaint: { items: [{ sku: 'PAN', quantity: 1 }], reason: 'defective' },
    });
    second.order.id = first.order.id;
    second.order.placedAt = first.order.placedAt;
    second.order.deliveredAt = first.order.deliveredAt;
    const decided = await waitForClaim(stack.apiUrl, await post(second), (c) => terminal(c.status));

    // assert
    expect(decided.status).toBe('rejected');
    expect(decided.decision?.rules.find((r) => r.id === 'already-compensated')?.text).toContain(waiting.claimId);
    // The outcome email follows the decision (after the follow-up it promises is opened).
    await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(first.customer.email) && m.subject.startsWith('Ваше звернення'));
    const mails = (await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(first.customer.email));
    expect(mails.length).toBeGreaterThanOrEqual(2); // the first claim's return instructions and the second's outcome
  });

  it('4. pays the store-credit bonus on top of the refund value: €80.00 as credit is €88.00', async () => {
    // arrange
    const jacket = {
      items: [{ sku: 'JACKET', name: 'Jacket', category: 'clothing', quantity: 1, unitPrice: 8000 }],
      paid: 8000,
      shipping: 0,
    };
    const body = claimBody({ order: jacket, complaint: { items: [{ sku: 'JACKET', quantity: 1 }], desiredOutcome: 'store_credit' } });

    // act
    const claim = await waitForClaim(stack.apiUrl, await post(body), (c) => c.status === 'awaiting_approval');

    // assert: €88.00 of credit is worth more than €50.00, so the agent approves it
    expect(claim.decision?.outcome).toBe('store_credit');
    expect(claim.decision?.storeCredit).toEqual({ amount: 8800, currency: 'EUR' });
    expect(claim.decision?.cash.amount).toBe(0);
    expect(claim.decision?.tier).toBe('agent');
    expect(claim.decision?.rules.find((r) => r.id === 'store-credit-bonus')?.text).toContain('€8.00');

    // arrange: a €30.00 lamp as store credit, automatic, and the lamp comes back
    const lamp = { items: [{ sku: 'LAMP', name: 'Lamp', category: 'home', quantity: 1, unitPrice: 3000 }], paid: 3000, shipping: 0 };
    const small = claimBody({
      order: lamp,
      customer: { locale: 'en' },
      complaint: { items: [{ sku: 'LAMP', quantity: 1 }], desiredOutcome: 'store_credit' },
    });
    const id = await post(small);
    await waitForClaim(stack.apiUrl, id, (c) => c.status === 'awaiting_return');
    // The instructions say where to send it, by when, and that the shop pays the postage.
    const instructions = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(small.customer.email));
    expect(instructions.body.text).toContain('Harbour Street 12');
    expect(instructions.body.text).toMatch(/The last day is \w+ \d+, \d{4}/);
    expect(instructions.body.text).toContain('We pay the postage for this return.');

    // act
    const back = await reportReturn(id, {
      items: [{ sku: 'LAMP', quantity: 1, condition: 'as_new' }],
      receivedAt: new Date().toISOString(),
    });
    const settled = await waitForClaim(stack.apiUrl, id, (c) => terminal(c.status));

    // assert: €33.00 of credit, and the email says what it is made of
    expect(back.status).toBe(200);
    expect(settled.status).toBe('settled');
    expect(settled.decision?.storeCredit).toEqual({ amount: 3300, currency: 'EUR' });
    const mail = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(small.customer.email) && /€3\.00/.test(m.body.text ?? ''),
    );
    expect(mail.body.text).toContain('€33.00');
  });

  it('5a. refunds only the returned units, graded by their condition, and keeps waiting for the rest', async () => {
    // arrange: three €10.00 glasses, returned for a change of mind
    const glasses = {
      items: [{ sku: 'GLASS', name: 'Glass', category: 'kitchen', quantity: 3, unitPrice: 1000 }],
      paid: 3000,
      shipping: 0,
    };
    const body = claimBody({ order: glasses, complaint: { items: [{ sku: 'GLASS', quantity: 3 }], reason: 'changed_mind' } });
    const id = await post(body);
    await waitForClaim(stack.apiUrl, id, (c) => c.status === 'awaiting_return');

    // act: two come back, one as new and one used
    const back = await reportReturn(id, {
      items: [
        { sku: 'GLASS', quantity: 1, condition: 'as_new' },
        { sku: 'GLASS', quantity: 1, condition: 'used' },
      ],
      receivedAt: new Date().toISOString(),
    });
    const part = await waitForClaim(
      stack.apiUrl,
      id,
      (c) => c.status === 'awaiting_return' && c.timeline.some((t) => t.type === 'refund_settled'),
    );

    // assert: €10.00 + €9.00 (10 % kept for the used glass), and the third is still awaited
    expect(back.status).toBe(200);
    expect(part.decision?.cash).toEqual({ amount: 1900, currency: 'EUR' });
    expect(part.decision?.rules.filter((r) => r.id === 'return-graded')).toHaveLength(2);
    const tooMany = await reportReturn(id, {
      items: [{ sku: 'GLASS', quantity: 2, condition: 'as_new' }],
      receivedAt: new Date().toISOString(),
    });
    expect(tooMany.status).toBe(422);
  });

  it('5c. records one of two different return reports sent at once and refuses the other (409), never answering 200 for a dropped one', async () => {
    // arrange
    const mugs = { items: [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 3, unitPrice: 1500 }], paid: 4500, shipping: 0 };
    const id = await post(claimBody({ order: mugs, complaint: { items: [{ sku: 'MUG', quantity: 3 }], reason: 'changed_mind' } }));
    await waitForClaim(stack.apiUrl, id, (c) => c.status === 'awaiting_return');
    const at = Date.now();

    // act
    const answers = await Promise.all([
      reportReturn(id, { items: [{ sku: 'MUG', quantity: 1, condition: 'as_new' }], receivedAt: new Date(at).toISOString() }),
      reportReturn(id, { items: [{ sku: 'MUG', quantity: 2, condition: 'used' }], receivedAt: new Date(at + 1).toISOString() }),
    ]);

    // assert
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const claim = await waitForClaim(stack.apiUrl, id, (c) => c.timeline.some((t) => t.type === 'refund_settled'));
    expect(claim.timeline.filter((t) => t.type === 'return_received')).toHaveLength(1);
  });

  it('5b. sends signals to a person: a JPY order, not_received after delivery, a threat in Ukrainian', async () => {
    // arrange
    const yen = claimBody({
      order: {
        currency: 'JPY',
        paid: 3000,
        shipping: 0,
        items: [{ sku: 'TEA', name: 'Tea', category: 'kitchen', quantity: 1, unitPrice: 3000 }],
      },
      complaint: { items: [{ sku: 'TEA', quantity: 1 }] },
    });
    const lost = claimBody({
      order: { ...cake },
      complaint: { items: [{ sku: 'CAKE', quantity: 1 }], reason: 'not_received', evidence: [] },
    });
    const threat = claimBody({ complaint: { message: 'Поверніть гроші, або я звернуся до юриста і зроблю чарджбек.' } });

    // act
    const [a, b, c] = await Promise.all(
      [yen, lost, threat].map(async (body) =>
        waitForClaim(stack.apiUrl, await post(body), (x) => x.status === 'awaiting_approval' || terminal(x.status)),
      ),
    );

    // assert
    expect(a?.status).toBe('awaiting_approval');
    expect(a?.decision?.tier).toBe('finance');
    expect(a?.decision?.rules.map((r) => r.id)).toContain('currency-no-limits');
    expect(b?.decision?.tier).toBe('agent');
    expect(b?.decision?.rules.map((r) => r.id)).toContain('risk-delivered-not-received');
    expect(c?.decision?.tier).toBe('agent');
    expect(c?.decision?.rules.map((r) => r.id)).toContain('risk-threat');
  });
});
