/**
 * The storefront and the agent, as the benchmarks play them against an embedded stack: a claim of
 * each kind the mix has, posted signed; the agent's approval through the emailed link; the return
 * report; and the storefront's answer to each action. Every step goes through the HTTP API, as on
 * AWS, so what the stack counts is what a shop's traffic would cost.
 */
import { randomUUID } from 'node:crypto';
import { signatureHeader } from '#domain/signature.ts';
import type { RunningStack } from '#local/stack.ts';
import { approvalLink, formFields, type Mail, mailbox } from '../test/integration/harness.ts';

/** The kinds of claim the benchmarks file. */
export type ClaimKind = 'auto' | 'return' | 'approval';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A claim of `kind`, with a fresh order and customer, under the demo policy:
 * - `auto`: a crushed chocolate box (food, 25.00, a photo): refunded without return, automatically;
 * - `return`: a faulty lamp (30.00, above the 20.00 keep-it threshold, within the automatic 50.00):
 *   sent back, then refunded, automatically;
 * - `approval`: a faulty kettle (89.00, above the automatic limit): an agent approves, it is sent
 *   back, then refunded.
 */
export function claimOfKind(kind: ClaimKind, now = Date.now()): Record<string, unknown> {
  const id = randomUUID();
  const order = (sku: string, name: string, category: string, unitPrice: number, quantity: number) => ({
    id: `ORD-${id}`,
    placedAt: iso(now - 7 * DAY_MS),
    deliveredAt: iso(now - 5 * DAY_MS),
    currency: 'EUR',
    paid: unitPrice * quantity + 499,
    shipping: 499,
    items: [{ sku, name, category, quantity, unitPrice }],
  });
  const customer = { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: 'uk' };
  const complaint = (sku: string, reason: string, message: string, evidence: string[]) => ({
    reason,
    items: [{ sku, quantity: 1 }],
    desiredOutcome: 'refund',
    message,
    channel: 'web',
    evidence,
  });
  switch (kind) {
    case 'auto':
      return {
        order: order('CHOC-BOX', 'Chocolate box', 'food', 2500, 2),
        customer,
        complaint: complaint('CHOC-BOX', 'damaged', 'The box arrived crushed.', ['https://shop.example/uploads/123.jpg']),
      };
    case 'return':
      return {
        order: order('LAMP-1', 'Desk lamp', 'home', 3000, 1),
        customer,
        complaint: complaint('LAMP-1', 'defective', 'It flickers and goes out.', []),
      };
    case 'approval':
      return {
        order: order('KETTLE-1', 'Electric kettle', 'kitchen', 8900, 1),
        customer,
        complaint: complaint('KETTLE-1', 'defective', 'It switches itself off after a few seconds.', []),
      };
  }
}

/** A signed storefront request to the stack's API. */
export function storefrontFetch(apiUrl: string, secret: string, method: 'GET' | 'POST', path: string, body?: unknown, key?: string) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = {
    'x-makegood-storefront': 'demo',
    'x-makegood-signature': signatureHeader(secret, Math.floor(Date.now() / 1000), method, path, raw),
  };
  if (method === 'POST') headers['content-type'] = 'application/json';
  if (key !== undefined) headers['idempotency-key'] = key;
  return fetch(`${apiUrl}${path}`, { method, headers, ...(method === 'POST' ? { body: raw } : {}) });
}

async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}, expected ${status}: ${await res.text()}`);
  return res;
}

/** Posts `body` as a new claim; resolves with its id once intake answered 202. */
export async function fileClaim(stack: RunningStack, secret: string, body: unknown): Promise<string> {
  const res = await expectStatus(
    await storefrontFetch(stack.apiUrl, secret, 'POST', '/v1/claims', body, randomUUID()),
    202,
    'POST /v1/claims',
  );
  return ((await res.json()) as { claimId: string }).claimId;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the claim's execution has ended, and fails if it did not succeed. */
export async function untilEnded(stack: RunningStack, claimId: string): Promise<void> {
  for (;;) {
    const status = stack.engine.describe(claimId)?.status;
    if (status === 'SUCCEEDED') return;
    if (status && status !== 'RUNNING') throw new Error(`${claimId} ended ${status}`);
    await pause(2);
  }
}

/** Waits until the claim's execution is parked in `state`, a callback task whose function has returned. */
async function untilWaitingIn(stack: RunningStack, claimId: string, state: string): Promise<void> {
  for (let i = 0; ; i++) {
    if (stack.engine.parkedIn(claimId) === state) return;
    const record = stack.engine.describe(claimId);
    if (record && record.status !== 'RUNNING') throw new Error(`${claimId} ended ${record.status} before ${state}`);
    if (i > 10_000) throw new Error(`${claimId} never waited in ${state}`);
    await pause(2);
  }
}

/** The agent opens the emailed link, confirms on the page, and approves. */
async function approveByLink(stack: RunningStack, claimId: string, orderId: string): Promise<void> {
  await untilWaitingIn(stack, claimId, 'RequestApproval');
  let mail: Mail | undefined;
  for (let i = 0; !mail; i++) {
    mail = (await mailbox(stack.mailUrl)).find((m) => m.destination.to.includes('agent@demo.test') && m.subject.includes(orderId));
    if (!mail && i > 500) throw new Error(`No approval email for ${orderId}`);
    if (!mail) await pause(10);
  }
  const link = approvalLink(mail);
  const page = await expectStatus(await fetch(link), 200, 'GET the approval page');
  const form = new URLSearchParams({ ...formFields(await page.text()), decision: 'approve', note: 'Known faulty batch' });
  await expectStatus(
    await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }),
    200,
    'POST the approval',
  );
}

/** The storefront reports the goods back, as new. */
async function reportReturn(stack: RunningStack, secret: string, claimId: string, sku: string): Promise<void> {
  await untilWaitingIn(stack, claimId, 'AwaitReturn');
  const body = { items: [{ sku, quantity: 1 }], receivedAt: new Date().toISOString(), condition: 'as_new' };
  await expectStatus(await storefrontFetch(stack.apiUrl, secret, 'POST', `/v1/claims/${claimId}/returns`, body), 200, 'POST returns');
}

/** The storefront carries out every requested action and reports it done. */
async function reportActions(stack: RunningStack, secret: string, claimId: string): Promise<number> {
  const res = await expectStatus(await storefrontFetch(stack.apiUrl, secret, 'GET', `/v1/claims/${claimId}`), 200, 'GET the claim');
  const { actions } = (await res.json()) as { actions: { actionId: string; status: string; amount: unknown }[] };
  const requested = actions.filter((a) => a.status === 'requested');
  for (const a of requested) {
    const report = { status: 'succeeded', provider: 'bench-psp', reference: `ref-${a.actionId}`, amount: a.amount };
    await expectStatus(
      await storefrontFetch(stack.apiUrl, secret, 'POST', `/v1/claims/${claimId}/actions/${a.actionId}`, report),
      200,
      'POST the action report',
    );
  }
  return requested.length;
}

/**
 * Plays one claim of `kind` to its end as the shop and its agent would: filed, approved by link
 * if it needs a person, sent back if the decision asks, concluded, and its actions reported done.
 */
export async function playClaim(stack: RunningStack, secret: string, kind: ClaimKind): Promise<{ claimId: string; actions: number }> {
  const body = claimOfKind(kind) as { order: { id: string; items: { sku: string }[] } };
  const claimId = await fileClaim(stack, secret, body);
  const sku = body.order.items[0]?.sku ?? '';
  if (kind === 'approval') await approveByLink(stack, claimId, body.order.id);
  if (kind !== 'auto') await reportReturn(stack, secret, claimId, sku);
  await untilEnded(stack, claimId);
  return { claimId, actions: await reportActions(stack, secret, claimId) };
}
