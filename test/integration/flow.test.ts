import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvalLink,
  bootStack,
  claimBody,
  countItems,
  daysAgo,
  formFields,
  postClaim as post,
  signedFetch,
  waitForClaim,
  waitForMail,
} from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await bootStack();
});
afterAll(async () => {
  await stack?.cleanup();
});

const kettle = {
  items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
  paid: 9399,
  shipping: 499,
};

/** Posts a signed claim to this file's stack. */
const postClaim = (body: unknown, key?: string) => post(stack.apiUrl, body, key);

describe('the claim flow, embedded', () => {
  it('refunds a small perishable claim automatically, without a return, in three state transitions', async () => {
    // arrange
    const body = claimBody();
    // act
    const { res, json } = await postClaim(body);
    const claim = await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
    // assert
    expect(res.status).toBe(202);
    expect(json.status).toBe('received');
    expect(json.statusUrl).toBe(`${stack.apiUrl}/v1/claims/${json.claimId}`);
    expect(claim.decision?.outcome).toBe('refund_without_return');
    expect(claim.decision?.cash).toEqual({ amount: 2750, currency: 'EUR' });
    expect(claim.decision?.tier).toBe('auto');
    expect(claim.decision?.rules.map((r) => r.id)).toContain('perishable');
    expect(claim.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent']);
    const mail = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(body.customer.email));
    // Ann writes in Ukrainian, so her email is in Ukrainian, with the amount as Ukrainian writes it.
    expect(mail.body.text).toContain('27,50\u00a0EUR');
    expect(stack.engine.describe(json.claimId)?.transitions).toBe(3);
  });

  it('asks the agent, changes nothing on GET or HEAD, and acts on the POST of the page form; then waits for the return', async () => {
    // arrange
    const body = claimBody({ order: kettle, complaint: { reason: 'defective', items: [{ sku: 'KETTLE-1', quantity: 1 }], evidence: [] } });
    const { json } = await postClaim(body);
    const waiting = await waitForClaim(
      stack.apiUrl,
      json.claimId,
      (c) => c.status === 'awaiting_approval' && c.timeline.some((t) => t.type === 'email_sent'),
    );
    const mail = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes('agent@demo.test') && (m.body.text ?? '').includes(body.order.id),
    );
    const link = approvalLink(mail);
    const before = await countItems(stack);

    // act: prefetches by a scanner
    const heads = await Promise.all(Array.from({ length: 5 }, () => fetch(link, { method: 'HEAD' })));
    const page = await fetch(link);
    const html = await page.text();
    const after = await countItems(stack);

    // assert: read-only
    expect(waiting.decision?.tier).toBe('agent');
    expect(heads.every((h) => h.status === 200)).toBe(true);
    expect(page.status).toBe(200);
    expect(html).toContain(body.order.id);
    expect(html).toContain('return-required');
    expect(after).toBe(before);

    // act: a POST without the page's nonce changes nothing
    const forged = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(forged.status).toBe(400);
    expect(await countItems(stack)).toBe(before);

    // act: the approver approves from the page
    const form = new URLSearchParams({ ...formFields(html), decision: 'approve', note: 'Faulty batch, known issue' });
    const posted = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const second = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const awaitingReturn = await waitForClaim(
      stack.apiUrl,
      json.claimId,
      (c) => c.status === 'awaiting_return' && c.timeline.filter((t) => t.type === 'email_sent').length >= 2,
    );

    // assert
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('Approved');
    expect(second.status).toBe(409);
    expect(awaitingReturn.approvals[0]).toMatchObject({ round: 1, role: 'agent', result: 'approved', decidedBy: 'agent@demo.test' });

    // act: the shop reports the return
    const ret = await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${json.claimId}/returns`, {
      items: [{ sku: 'KETTLE-1', quantity: 1 }],
      receivedAt: new Date().toISOString(),
      condition: 'used',
    });
    const settled = await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');

    // assert
    expect(ret.status).toBe(200);
    expect(settled.decision?.outcome).toBe('return_and_refund');
    expect(settled.decision?.cash).toEqual({ amount: 9399, currency: 'EUR' });
    expect(settled.timeline.map((t) => t.type)).toEqual([
      'received',
      'decided',
      'approval_requested',
      'email_sent',
      'email_sent',
      'approved',
      'email_sent',
      'return_authorised',
      'return_received',
      'decided',
      'refund_settled',
      'email_sent',
    ]);
    const outcomeMail = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(body.customer.email) && m.subject.includes('Посилка надійшла'),
    );
    expect(outcomeMail.body.text).toContain('93,99\u00a0EUR');
  });

  it('rejects a final-sale change of mind and offers a person to talk to', async () => {
    // arrange
    const body = claimBody({
      order: {
        items: [{ sku: 'EBOOK', name: 'Cookbook (e-book)', category: 'digital', quantity: 1, unitPrice: 1200 }],
        paid: 1200,
        shipping: 0,
      },
      complaint: { reason: 'changed_mind', items: [{ sku: 'EBOOK', quantity: 1 }], evidence: [] },
    });
    // act
    const { json } = await postClaim(body);
    const claim = await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'rejected');
    // assert
    expect(claim.decision?.outcome).toBe('rejected');
    expect(claim.decision?.rules.map((r) => r.id)).toEqual(['final-sale', 'alternative-contact']);
    const mail = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(body.customer.email));
    expect(mail.body.text).toContain('без права повернення');
    expect(mail.body.text).toContain('дайте відповідь');
  });

  it('replays the first response for the same key and body, and refuses the key with another body', async () => {
    // arrange
    const key = randomUUID();
    const body = claimBody();
    // act
    const first = await postClaim(body, key);
    const again = await postClaim(body, key);
    const other = await postClaim(claimBody(), key);
    // assert
    expect(first.res.status).toBe(202);
    expect(again.res.status).toBe(202);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(other.res.status).toBe(409);
    expect(other.json.error?.code).toBe('idempotency_key_reused');
    await waitForClaim(stack.apiUrl, first.json.claimId, (c) => c.status === 'settled');
    expect(stack.engine.describe(first.json.claimId)?.status).toBe('SUCCEEDED');
  });

  it('answers bad requests with a clear error and writes nothing', async () => {
    // arrange
    const before = await countItems(stack);
    const good = claimBody();
    const path = '/v1/claims';
    // act
    const noKey = await signedFetch(stack.apiUrl, 'POST', path, good);
    const schema = await signedFetch(
      stack.apiUrl,
      'POST',
      path,
      { ...good, order: { ...good.order, paid: 12.5 } },
      { idempotencyKey: randomUUID() },
    );
    const notJson = await signedFetch(stack.apiUrl, 'POST', path, undefined, { idempotencyKey: randomUUID(), rawBody: '{"order":' });
    const badSig = await signedFetch(stack.apiUrl, 'POST', path, good, { idempotencyKey: randomUUID(), secret: 'wrong-secret' });
    const stale = await signedFetch(stack.apiUrl, 'POST', path, good, {
      idempotencyKey: randomUUID(),
      t: Math.floor(Date.now() / 1000) - 301,
    });
    const unknownShop = await signedFetch(stack.apiUrl, 'POST', path, good, { idempotencyKey: randomUUID(), storefront: 'nope' });
    const huge = await signedFetch(
      stack.apiUrl,
      'POST',
      path,
      { ...good, complaint: { ...good.complaint, message: 'x'.repeat(70_000) } },
      { idempotencyKey: randomUUID() },
    );
    const text = await signedFetch(stack.apiUrl, 'POST', path, good, { idempotencyKey: randomUUID(), contentType: 'text/plain' });
    const contradictory = await signedFetch(
      stack.apiUrl,
      'POST',
      path,
      {
        ...good,
        order: { ...good.order, deliveredAt: daysAgo(9) },
        complaint: {
          ...good.complaint,
          items: [
            { sku: 'NOPE', quantity: 1 },
            { sku: 'CHOC-BOX', quantity: 3 },
          ],
        },
      },
      { idempotencyKey: randomUUID() },
    );
    // assert
    expect(noKey.status).toBe(400);
    expect(((await noKey.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('headers.Idempotency-Key');
    expect(schema.status).toBe(400);
    const schemaBody = (await schema.json()) as { error: { code: string; issues: { path: string; message: string }[] } };
    expect(schemaBody.error.code).toBe('invalid_request');
    expect(schemaBody.error.issues).toContainEqual({ path: 'order.paid', message: 'must be a whole number of minor units' });
    expect(notJson.status).toBe(400);
    expect(badSig.status).toBe(401);
    expect(stale.status).toBe(401);
    expect(unknownShop.status).toBe(401);
    expect(huge.status).toBe(413);
    expect(text.status).toBe(415);
    expect(contradictory.status).toBe(422);
    const issues = ((await contradictory.json()) as { error: { code: string; issues: { path: string }[] } }).error;
    expect(issues.code).toBe('unprocessable');
    expect(issues.issues.map((i) => i.path)).toEqual(['order.deliveredAt', 'complaint.items[0].sku', 'complaint.items[1].quantity']);
    expect(await countItems(stack)).toBe(before);
  });

  it('never grants more than an order paid when two claims on it race', async () => {
    // arrange: two keep-it claims for the whole order, each alone within the auto limit
    const orderId = `ORD-${randomUUID().slice(0, 8)}`;
    const shared = {
      id: orderId,
      paid: 1800,
      shipping: 0,
      items: [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 2, unitPrice: 900 }],
    };
    const a = claimBody({ order: shared, complaint: { reason: 'damaged', items: [{ sku: 'MUG', quantity: 2 }] } });
    const b = claimBody({ order: shared, customer: a.customer, complaint: { reason: 'defective', items: [{ sku: 'MUG', quantity: 2 }] } });
    // act
    const [ra, rb] = await Promise.all([postClaim(a), postClaim(b)]);
    expect([ra.json, rb.json].map((j) => j.error ?? j.status)).toEqual(['received', 'received']);
    const done = (c: { status: string }) => c.status === 'settled' || c.status === 'rejected';
    const [ca, cb] = await Promise.all([
      waitForClaim(stack.apiUrl, ra.json.claimId, done),
      waitForClaim(stack.apiUrl, rb.json.claimId, done),
    ]);
    // assert
    const granted = [ca, cb].reduce(
      (sum, c) => sum + (c.status === 'settled' ? (c.decision?.cash.amount ?? 0) + (c.decision?.storeCredit.amount ?? 0) : 0),
      0,
    );
    expect(granted).toBe(1800);
    expect([ca.status, cb.status].sort()).toEqual(['rejected', 'settled']);
    const loser = ca.status === 'rejected' ? ca : cb;
    const winner = loser === ca ? cb : ca;
    // Both claims want the same two mugs: the units are held by one conditional write, so the
    // loser is decided (again, at once) with nothing left and names the claim that has them.
    expect(loser.decision?.rules.find((r) => r.id === 'already-compensated')?.text).toContain(winner.claimId);
    // The customer's email is the last step, after the status is already `rejected`.
    const told = await waitForClaim(stack.apiUrl, loser.claimId, (c) => c.timeline.at(-1)?.type === 'email_sent');
    const types = told.timeline.map((t) => t.type);
    expect(types).not.toContain('refund_settled');
    // The rejection offers another way through a person: the task opens before the email that promises it.
    expect(types.slice(-3)).toEqual(['rejected', 'followup_opened', 'email_sent']);
  });

  it('rejects a signed request for another storefront’s claim as not found', async () => {
    // act
    const res = await signedFetch(stack.apiUrl, 'GET', '/v1/claims/clm_doesnotexist');
    // assert
    expect(res.status).toBe(404);
  });
});

describe('reading the ledger by its indexes', () => {
  it('pages a storefront’s entries by day and time, and reads an order’s entries, without a scan', async () => {
    // arrange: two settled claims on one order
    const body = claimBody();
    const first = await postClaim(body);
    const second = await postClaim({ ...body, complaint: { ...body.complaint, reason: 'defective' } });
    await waitForClaim(stack.apiUrl, first.json.claimId, (c) => c.status === 'settled' || c.status === 'rejected');
    await waitForClaim(stack.apiUrl, second.json.claimId, (c) => c.status === 'settled' || c.status === 'rejected');
    const { makeDeps } = await import('#adapters/deps.ts');
    const { parseConfig } = await import('#config');
    const { ledger } = makeDeps(parseConfig(stack.env));
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 3_600_000);

    // act
    const all: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await ledger.storefrontEntries({ storefrontId: 'demo', from, to, limit: 3, ...(cursor ? { cursor } : {}) });
      all.push(...page.entries.map((e) => `${e.claimId}#${e.seq}`));
      cursor = page.next ?? undefined;
      pages++;
    } while (cursor);
    const single = await ledger.storefrontEntries({ storefrontId: 'demo', from, to, limit: 1000 });
    const order = await ledger.orderEntries('demo', body.order.id);

    // assert
    expect(pages).toBeGreaterThan(1);
    expect(all).toEqual(single.entries.map((e) => `${e.claimId}#${e.seq}`));
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(order.map((e) => e.claimId))).toEqual(new Set([first.json.claimId, second.json.claimId]));
    await expect(ledger.storefrontEntries({ storefrontId: 'demo', from, to, cursor: 'not-a-cursor' })).rejects.toThrow('cursor');
  });
});

describe('a return report', () => {
  it('refuses a wrong report with a clear error and writes nothing, then settles on the right one, once', async () => {
    // arrange: a damaged €30.00 mug is sent back first, approved automatically
    const body = claimBody({
      order: { items: [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 2, unitPrice: 1500 }], paid: 3000, shipping: 0 },
      complaint: { reason: 'damaged', items: [{ sku: 'MUG', quantity: 2 }] },
    });
    const { json } = await postClaim(body);
    await waitForClaim(
      stack.apiUrl,
      json.claimId,
      (c) => c.status === 'awaiting_return' && c.timeline.some((t) => t.type === 'email_sent'),
    );
    const settledElsewhere = await postClaim(claimBody());
    await waitForClaim(stack.apiUrl, settledElsewhere.json.claimId, (c) => c.status === 'settled');
    const path = `/v1/claims/${json.claimId}/returns`;
    const good = { items: [{ sku: 'MUG', quantity: 2 }], receivedAt: new Date().toISOString(), condition: 'used' };
    const before = await countItems(stack);

    // act
    const schema = await signedFetch(stack.apiUrl, 'POST', path, { items: [], receivedAt: 'yesterday', condition: 'fine' });
    const facts = await signedFetch(stack.apiUrl, 'POST', path, {
      ...good,
      items: [
        { sku: 'NOPE', quantity: 1 },
        { sku: 'MUG', quantity: 3 },
      ],
    });
    const noCondition = await signedFetch(stack.apiUrl, 'POST', path, {
      items: [{ sku: 'MUG', quantity: 1 }],
      receivedAt: good.receivedAt,
    });
    const notWaiting = await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${settledElsewhere.json.claimId}/returns`, good);
    const unknown = await signedFetch(stack.apiUrl, 'POST', '/v1/claims/clm_nope/returns', good);
    const after = await countItems(stack);

    // assert: each names its problem, and nothing was written
    expect(schema.status).toBe(400);
    expect(((await schema.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual([
      'items',
      'receivedAt',
      'condition',
    ]);
    expect(facts.status).toBe(422);
    expect(((await facts.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual([
      'items[0].sku',
      'items[1].quantity',
    ]);
    expect(noCondition.status).toBe(400);
    expect(((await noCondition.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual([
      'items[0].condition',
    ]);
    expect(notWaiting.status).toBe(409);
    expect(unknown.status).toBe(404);
    expect(after).toBe(before);

    // act: the right report, twice
    const first = await signedFetch(stack.apiUrl, 'POST', path, good);
    const settled = await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
    const again = await signedFetch(stack.apiUrl, 'POST', path, good);

    // assert
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(settled.decision?.cash).toEqual({ amount: 3000, currency: 'EUR' });
    expect(settled.timeline.filter((t) => t.type === 'return_received')).toHaveLength(1);
    expect(settled.timeline.filter((t) => t.type === 'refund_settled')).toHaveLength(1);
  });
});
