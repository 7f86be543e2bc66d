import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyApprovalToken } from '#domain/approval-token.ts';
import { builtInWording } from '#domain/email.ts';
import type { EntryOf, LedgerEntry } from '#domain/ledger.ts';
import { demoClaims } from '#local/demo.ts';
import { approvalLink, bootStack, mailbox, signedFetch, stackApprovalKeys, waitForClaim } from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let dir: string;
const FINANCE_KEY = 'it-escalation-finance-key';

async function ledgerOf(claimId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${stack.apiUrl}/v1/ledger?claim=${claimId}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
  return ((await res.json()) as { entries: LedgerEntry[] }).entries;
}

beforeAll(async () => {
  // The demo policy with two-second tiers (reminded after one second), so every timeout fires
  // within the test.
  dir = await mkdtemp(join(tmpdir(), 'makegood-escalation-'));
  const policy = JSON.parse(await readFile('policies/demo.json', 'utf8')) as { approval: { tiers: { waitHours?: number }[] } };
  for (const tier of policy.approval.tiers) if (tier.waitHours !== undefined) tier.waitHours = 2 / 3600;
  const policyFile = join(dir, 'fast-policy.json');
  await writeFile(policyFile, JSON.stringify(policy));
  stack = await bootStack({ demoPolicyFile: policyFile, financeKey: FINANCE_KEY });
});
afterAll(async () => {
  await stack?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('a claim nobody approves', () => {
  it('reminds each tier once, escalates agent → supervisor → finance, then tells the customer it needs more time and leaves it failed for an operator', async () => {
    // arrange
    const body = demoClaims().approval;
    body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
    // act
    const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID() });
    const { claimId } = (await res.json()) as { claimId: string };
    const claim = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'failed', 400);
    // `failed` is written before the customer's email goes out; the execution ends after it.
    const settled = await stack.engine.whenSettled(claimId);
    // assert
    expect(claim.approvals.map((a) => [a.round, a.role, a.result])).toEqual([
      [1, 'agent', 'escalated'],
      [2, 'supervisor', 'escalated'],
      [3, 'finance', 'escalated'],
    ]);
    const mails = await mailbox(stack.mailUrl);
    const keys = await stackApprovalKeys(stack);
    const grantIn = (m: (typeof mails)[number]) => {
      const token = approvalLink(m).split('/').at(-1) ?? '';
      const opened = verifyApprovalToken(token, keys, new Date(0));
      return opened.ok ? opened.grant : opened.problem;
    };
    for (const [round, approver] of ['agent@demo.test', 'supervisor@demo.test', 'finance@demo.test'].entries()) {
      const theirs = mails.filter((m) => m.destination.to.includes(approver) && m.subject.includes(body.order.id));
      // One request and one reminder per tier, both linking to that tier's round with its expiry.
      expect(theirs.map((m) => m.subject.split(':')[0])).toEqual(['Approval needed', 'Reminder']);
      const [request, reminder] = theirs.map(grantIn);
      expect(request).toMatchObject({ round: round + 1, approver });
      expect(reminder).toEqual(request);
    }
    const toCustomer = mails.filter((m) => m.destination.to.includes(body.customer.email));
    // The demo customer writes in Ukrainian: told at once that a person decides, then, when no
    // tier has, that a supervisor takes it up personally.
    expect(toCustomer.map((m) => m.subject)).toEqual([
      `Ми отримали ваше звернення щодо замовлення ${body.order.id}`,
      `Рішення щодо замовлення ${body.order.id} затримується`,
    ]);
    expect(toCustomer[1]?.body.text).toContain('зв’яжеться з вами');
    expect(settled.status).toBe('SUCCEEDED');
    // The promise is a task: decide_claim, for the policy's supervisor, due in its 24 hours.
    const entries = await ledgerOf(claimId);
    const opened = entries.filter((e): e is EntryOf<'followup_opened'> => e.type === 'followup_opened');
    expect(opened.map((e) => [e.data.reason, e.data.role])).toEqual([['decide_claim', 'supervisor']]);
    // (Counted from the moment the task was made, a few milliseconds before the entry was written.)
    expect(Date.parse(opened[0]?.data.due ?? '') - Date.parse(opened[0]?.at ?? '')).toBeGreaterThan(24 * 3_600_000 - 5_000);
    expect(Date.parse(opened[0]?.data.due ?? '') - Date.parse(opened[0]?.at ?? '')).toBeLessThanOrEqual(24 * 3_600_000);
    // The customer's status link says a person is on it, and by when, not "assessing".
    const link = /(https?:\/\/[^\s"<]+\/c\/s1\.k[1-9][0-9]*\.[A-Za-z0-9_-]+)/.exec(toCustomer[1]?.body.text ?? '')?.[1] ?? '';
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(builtInWording.uk.statusPage.stages.needs_time.headline);
  });
});
