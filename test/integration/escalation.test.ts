import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClaims } from '#local/demo.ts';
import { bootStack, mailbox, signedFetch, waitForClaim } from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let dir: string;

beforeAll(async () => {
  // The demo policy with one-second tiers, so every timeout fires within the test.
  dir = await mkdtemp(join(tmpdir(), 'makegood-escalation-'));
  const policy = JSON.parse(await readFile('policies/demo.json', 'utf8')) as { approval: { tiers: { waitHours?: number }[] } };
  for (const tier of policy.approval.tiers) if (tier.waitHours !== undefined) tier.waitHours = 1 / 3600;
  const policyFile = join(dir, 'fast-policy.json');
  await writeFile(policyFile, JSON.stringify(policy));
  stack = await bootStack({ demoPolicyFile: policyFile });
});
afterAll(async () => {
  await stack?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('a claim nobody approves', () => {
  it('escalates agent → supervisor → finance, then tells the customer it needs more time and leaves it failed for an operator', async () => {
    // arrange
    const body = demoClaims().approval;
    body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
    // act
    const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID() });
    const { claimId } = (await res.json()) as { claimId: string };
    const claim = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'failed', 400);
    // assert
    expect(claim.approvals.map((a) => [a.round, a.role, a.result])).toEqual([
      [1, 'agent', 'escalated'],
      [2, 'supervisor', 'escalated'],
      [3, 'finance', 'escalated'],
    ]);
    const mails = await mailbox(stack.mailUrl);
    for (const approver of ['agent@demo.test', 'supervisor@demo.test', 'finance@demo.test']) {
      expect(mails.filter((m) => m.destination.to.includes(approver) && m.subject.includes(body.order.id))).toHaveLength(1);
    }
    const toCustomer = mails.filter((m) => m.destination.to.includes(body.customer.email));
    expect(toCustomer.map((m) => m.subject)).toEqual([`Your claim for order ${body.order.id} needs a little more time`]);
    expect((await stack.engine.whenSettled(claimId)).status).toBe('SUCCEEDED');
  });
});
