import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApprovalGrant, signApprovalToken, verifyApprovalToken } from '#domain/approval-token.ts';
import type { KeyRing } from '#domain/key-ring.ts';
import { demoClaims } from '#local/demo.ts';
import {
  approvalLink,
  bootStack,
  countItems,
  formFields,
  mailbox,
  signedFetch,
  stackApprovalKeys,
  waitForClaim,
  waitForMail,
} from './harness.ts';

/**
 * Approval links attacked over HTTP on the embedded stack: each attack gets a clear page and
 * changes nothing (no item in either table, no mail, no state transition, no resume).
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let key: KeyRing;

beforeAll(async () => {
  stack = await bootStack();
  key = await stackApprovalKeys(stack);
});
afterAll(async () => {
  await stack?.cleanup();
});

/** A faulty kettle (93.99 with shipping, sent back first) waiting for the agent; its link and page. */
async function kettleAwaitingAgent() {
  const body = demoClaims().approval;
  body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
  const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID() });
  const { claimId } = (await res.json()) as { claimId: string };
  await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'awaiting_approval' && c.timeline.some((t) => t.type === 'email_sent'));
  const mail = await waitForMail(stack.mailUrl, (m) => m.destination.to.includes('agent@demo.test') && m.subject.includes(body.order.id));
  const link = approvalLink(mail);
  const html = await (await fetch(link)).text();
  await stack.engine.idle();
  return { claimId, body, link, token: link.slice(link.lastIndexOf('/') + 1), html, fields: formFields(html) };
}

/** The grant a server-issued token opens to. */
function openGrant(token: string): ApprovalGrant {
  const opened = verifyApprovalToken(token, key, new Date());
  if (!opened.ok) throw new Error(`token does not open: ${opened.problem}`);
  return opened.grant;
}

/** Everything a request could change. */
async function footprint(claimId: string) {
  return {
    items: await countItems(stack),
    mails: (await mailbox(stack.mailUrl)).length,
    transitions: stack.engine.transitions(claimId),
  };
}

function postForm(link: string, form: Record<string, string>): Promise<Response> {
  return fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

describe('approval links in real mailboxes', () => {
  it('sends an opaque link, and 100 prefetches of it by GET and HEAD change nothing', async () => {
    // arrange
    const { claimId, body, link, token } = await kettleAwaitingAgent();
    const before = await footprint(claimId);

    // act: a scanner's burst, GET and HEAD mixed
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => fetch(link, { method: i % 2 ? 'HEAD' : 'GET' })));
    await Promise.all(responses.map((r) => r.arrayBuffer()));

    // assert
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(await footprint(claimId)).toEqual(before);
    expect(token).toMatch(/^[A-Za-z0-9._~-]+$/);
    for (const secret of [claimId, 'agent', body.order.id]) expect(token).not.toContain(secret);
  });

  it('answers tampered, forged, foreign, expired and out-of-range attempts with clear pages, changing nothing', async () => {
    // arrange
    const { claimId, link, token, fields } = await kettleAwaitingAgent();
    const other = await kettleAwaitingAgent();
    const base = link.slice(0, link.lastIndexOf('/') + 1);
    const grant = openGrant(token);
    const sealed = (change: Partial<ApprovalGrant>) => base + signApprovalToken({ ...grant, ...change }, key);
    const flip = (i: number) => {
      const c = token[i] === 'A' ? 'B' : 'A';
      return base + token.slice(0, i) + c + token.slice(i + 1);
    };
    const before = await footprint(claimId);

    // act
    const attempts: [string, Promise<Response>][] = [
      // `v2.k1.<iv ‖ ciphertext ‖ tag>`
      ['changed in its IV', fetch(flip('v2.k1.'.length + 2))],
      ['changed in its ciphertext', fetch(flip(Math.floor(token.length / 2)))],
      ['changed in its tag', fetch(flip(token.length - 2))],
      ['cut short', fetch(link.slice(0, -6))],
      ['naming a key not in the ring', fetch(base + token.replace(/^v2\.k1\./, 'v2.k2.'))],
      [
        'readable v1 forgery',
        fetch(`${base}v1.${Buffer.from(JSON.stringify({ c: claimId, r: 1, t: 'finance', a: 'x@y.z', e: 2e9 })).toString('base64url')}.sig`),
      ],
      ['another approver', fetch(sealed({ approver: 'mallory@evil.test' }))],
      ['another tier', fetch(sealed({ role: 'finance' }))],
      ['another round', fetch(sealed({ round: 2 }))],
      ['an expired link', fetch(sealed({ expiresAt: Math.floor(Date.now() / 1000) - 1 }))],
      ['a claim that does not exist', fetch(sealed({ claimId: 'clm_nope' }))],
      ['a bare POST without the page', postForm(link, { decision: 'approve' })],
      ['another claim’s form', postForm(link, { ...other.fields, decision: 'approve' })],
      ['an amount above the proposal', postForm(link, { ...fields, decision: 'approve', amount: '94.00' })],
      ['an amount that is no number', postForm(link, { ...fields, decision: 'approve', amount: '1e3' })],
      ['a rejection without a note', postForm(link, { ...fields, decision: 'reject', note: ' ' })],
    ];
    const results = await Promise.all(
      attempts.map(async ([what, p]) => {
        const r = await p;
        const html = await r.text();
        return [what, r.status, /<title>([^<]*)<\/title>/.exec(html)?.[1], html.includes('Nothing was changed.')] as const;
      }),
    );

    // assert
    expect(results).toEqual([
      ['changed in its IV', 403, 'This link is not valid', true],
      ['changed in its ciphertext', 403, 'This link is not valid', true],
      ['changed in its tag', 403, 'This link is not valid', true],
      ['cut short', 403, 'This link is not valid', true],
      ['naming a key not in the ring', 403, 'This link is not valid', true],
      ['readable v1 forgery', 400, 'This link is not valid', true],
      ['another approver', 403, 'This link is not for this request', true],
      ['another tier', 403, 'This link is not for this request', true],
      ['another round', 410, 'This link no longer works', true],
      ['an expired link', 410, 'This link has expired', true],
      ['a claim that does not exist', 404, 'Claim not found', true],
      ['a bare POST without the page', 400, 'Please try again', true],
      ['another claim’s form', 400, 'Please try again', true],
      ['an amount above the proposal', 422, 'Amount above the proposal', true],
      ['an amount that is no number', 400, 'Please try again', true],
      ['a rejection without a note', 400, 'Please say why you reject', true],
    ]);
    expect(await footprint(claimId)).toEqual(before);
    expect((await fetch(link)).status).toBe(200);
  });

  it('of two simultaneous posts records one and resumes the workflow exactly once; replays and the ended claim change nothing', async () => {
    // arrange
    const { claimId, link, fields } = await kettleAwaitingAgent();
    const resumes = vi.spyOn(stack.engine, 'sendTaskSuccess');

    // act
    const [a, b] = await Promise.all([
      postForm(link, { ...fields, decision: 'approve', amount: '80.00' }),
      postForm(link, { ...fields, decision: 'approve' }),
    ]);
    const awaitingReturn = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'awaiting_return');
    // AwaitReturn is still emailing the customer: measure once the workflow waits for the goods.
    await stack.engine.idle();
    const afterAnswer = await footprint(claimId);
    const replay = await postForm(link, { ...fields, decision: 'reject', note: 'second thoughts' });
    const replayPage = await replay.text();

    // assert
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(resumes).toHaveBeenCalledTimes(1);
    resumes.mockRestore();
    expect(awaitingReturn.approvals).toHaveLength(1);
    expect(awaitingReturn.timeline.filter((t) => t.type === 'approved')).toHaveLength(1);
    expect(replay.status).toBe(409);
    expect(replayPage).toContain('This link was already used');
    expect(await footprint(claimId)).toEqual(afterAnswer);

    // act: the goods arrive and the claim settles; then a link for a later round turns up
    await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/returns`, {
      items: [{ sku: 'KETTLE-1', quantity: 1 }],
      receivedAt: new Date().toISOString(),
      condition: 'used',
    });
    await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled');
    await stack.engine.whenSettled(claimId);
    const settled = await footprint(claimId);
    const grant = openGrant(link.slice(link.lastIndexOf('/') + 1));
    const later = signApprovalToken({ ...grant, round: 2, role: 'supervisor', approver: 'supervisor@demo.test' }, key);
    const ended = await fetch(link.replace(/[^/]+$/, later));

    // assert
    expect(ended.status).toBe(409);
    expect(await ended.text()).toContain('<title>This claim has already ended</title>');
    expect(await footprint(claimId)).toEqual(settled);
  });

  it('records a rejection with its note, from the page, and the customer is told', async () => {
    // arrange
    const { claimId, link, fields, body } = await kettleAwaitingAgent();

    // act
    const res = await postForm(link, { ...fields, decision: 'reject', note: 'Photos show water damage' });
    const claim = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'rejected');

    // assert
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Rejected</title>');
    expect(claim.approvals[0]).toMatchObject({ result: 'rejected', decidedBy: 'agent@demo.test', note: 'Photos show water damage' });
    await waitForMail(stack.mailUrl, (m) => m.destination.to.includes(body.customer.email));
  });
});
