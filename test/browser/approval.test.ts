import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClaims } from '#local/demo.ts';
import { bootStack, signedFetch, waitForClaim, waitForMail } from '../integration/harness.ts';
import { ARTIFACTS, launchChromium } from './chromium.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let chrome: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  stack = await bootStack();
  chrome = await launchChromium();
});
afterAll(async () => {
  await chrome?.close();
  await stack?.cleanup();
});

describe('an approver in a real browser', () => {
  it('opens the approval email in the mailbox, follows the link, approves a lower amount, and the customer is told', async () => {
    // arrange: a faulty kettle (93.99 with shipping) that needs the agent, from an English-speaking customer
    const body = demoClaims().approval;
    body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
    body.customer = { ...body.customer, email: `c-${randomUUID().slice(0, 8)}@example.com`, locale: 'en' };
    const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID() });
    const { claimId } = (await res.json()) as { claimId: string };
    await waitForMail(stack.mailUrl, (m) => m.destination.to.includes('agent@demo.test') && m.subject.includes(body.order.id));
    const { page } = chrome;

    // act: the mailbox viewer, the approval email's HTML view, its button
    await page.goto(stack.mailUrl);
    const email = page.locator('.email', { hasText: `Approval needed: €93.99 for order ${body.order.id}` });
    await email.getByRole('button', { name: 'Toggle HTML view' }).click();
    // The viewer animates a new email's height open for a second; let it finish for the picture.
    await page.waitForTimeout(1200);
    await email.screenshot({ path: join(ARTIFACTS, 'approval-email.png') });
    const [opened] = await Promise.all([
      page.context().waitForEvent('page'),
      email.frameLocator('iframe').getByRole('link', { name: 'Review and decide' }).click(),
    ]);
    await opened.waitForLoadState();
    const link = opened.url();
    await opened.close();
    // The approver's own browser runs no JavaScript: the page and its forms must not need it.
    const noScript = await chrome.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
    const approvalPage = await noScript.newPage();
    await approvalPage.goto(link);
    const heading = await approvalPage.locator('h1').textContent();
    await approvalPage.screenshot({ path: join(ARTIFACTS, 'approval-confirmation.png'), fullPage: true });

    // act: lower the amount and approve
    await approvalPage.getByLabel('Amount to approve').fill('60.00');
    await approvalPage.getByLabel('Internal note').fill('Only the heating element failed');
    await approvalPage.getByLabel('Note to the customer').first().fill('We refund €60.00: the kettle is used, but the fault is ours.');
    await approvalPage.getByRole('button', { name: 'Approve' }).click();
    await approvalPage.waitForLoadState();
    const resultTitle = await approvalPage.title();
    const resultText = await approvalPage.locator('main').textContent();
    await approvalPage.screenshot({ path: join(ARTIFACTS, 'approval-result.png'), fullPage: true });
    // act: the approver (or a scanner) opens the link again
    await approvalPage.goto(approvalPage.url());
    const againTitle = await approvalPage.title();
    await approvalPage.screenshot({ path: join(ARTIFACTS, 'approval-used-link.png') });
    await noScript.close();

    // act: the shop reports the kettle received, and the customer's outcome email arrives
    await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'awaiting_return');
    // The customer heard first that an agent decides (the acknowledgement); then the return instructions.
    const returnMail = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(body.customer.email) && m.subject.startsWith('How to return'),
    );
    await signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/returns`, {
      items: [{ sku: 'KETTLE-1', quantity: 1 }],
      receivedAt: new Date().toISOString(),
      condition: 'used',
    });
    const settled = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled');
    const outcome = await waitForMail(
      stack.mailUrl,
      (m) => m.destination.to.includes(body.customer.email) && m.subject.startsWith('Your return has arrived'),
    );
    await page.goto(stack.mailUrl);
    const customerEmail = page.locator('.email', { hasText: outcome.subject }).first();
    await customerEmail.getByRole('button', { name: 'Toggle text view' }).click();
    const shown = await customerEmail.locator('.email-text').textContent();
    await customerEmail.screenshot({ path: join(ARTIFACTS, 'approval-customer-email.png') });

    // assert
    expect(heading).toBe(`Approve €93.99 for order ${body.order.id}?`);
    expect(resultTitle).toBe('Approved: €60.00');
    expect(againTitle).toBe('This link was already used');
    expect(resultText).toContain('You approved €60.00 instead of the proposed €93.99.');
    expect(settled.decision?.cash).toEqual({ amount: 6000, currency: 'EUR' });
    expect(settled.approvals[0]).toMatchObject({ result: 'approved', decidedBy: 'agent@demo.test' });
    expect(outcome.subject).not.toBe(returnMail.subject);
    expect(shown).toContain('60.00');
    // The approver's note to the customer is quoted in the return instructions, as text.
    expect(returnMail.body.text).toContain('“We refund €60.00: the kettle is used, but the fault is ours.”');
  });
});
