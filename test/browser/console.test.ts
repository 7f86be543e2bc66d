import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClaims } from '#local/demo.ts';
import { bootStack, countItems, type Mail, mailbox, signedFetch, waitForClaim, waitForMail } from '../integration/harness.ts';
import { ARTIFACTS, launchChromium } from './chromium.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
let images: Server;
let imageUrl: string;

/** A 2 × 2 red PNG: the customer's photo of the crushed box, served from another origin than the console. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAkLAIBhR6v7wAAAABJRU5ErkJggg==',
  'base64',
);

beforeAll(async () => {
  images = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
  imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/uploads/crushed-box.png`;
  stack = await bootStack();
  chrome = await launchChromium();
});
afterAll(async () => {
  await chrome?.close();
  await stack?.cleanup();
  await new Promise((r) => images?.close(r));
});

/** Three crushed chocolate boxes (75.00 and shipping): perishable, refunded without return, above the automatic limit, so the agent decides. */
function crushedBoxes(locale: string) {
  const body = demoClaims().auto;
  const tag = randomUUID().slice(0, 8);
  body.order = {
    ...body.order,
    id: `ORD-${tag}`,
    paid: 7999,
    items: [{ ...body.order.items[0], quantity: 3 } as (typeof body.order.items)[number]],
  };
  body.customer = { id: `C-${tag}`, email: `c-${tag}@example.com`, name: 'Оксана', locale };
  body.complaint = {
    ...body.complaint,
    items: [{ sku: 'CHOC-BOX', quantity: 3 }],
    evidence: [imageUrl, 'https://shop.example/uploads/receipt.pdf'],
  };
  return body;
}

/** A flower bouquet returned for a change of mind: rejected by the policy, and a person is promised to find another way (a follow-up for the agent). */
function changedMind() {
  const body = demoClaims().auto;
  const tag = randomUUID().slice(0, 8);
  body.order = {
    ...body.order,
    id: `ORD-${tag}`,
    paid: 3499,
    items: [{ sku: 'FLOWERS', name: 'Bouquet', category: 'flowers', quantity: 1, unitPrice: 3000 }],
  };
  body.customer = { id: `C-${tag}`, email: `c-${tag}@example.com`, name: 'Ann', locale: 'en' };
  body.complaint = { ...body.complaint, reason: 'changed_mind', items: [{ sku: 'FLOWERS', quantity: 1 }], evidence: [] };
  return body;
}

async function post(body: unknown): Promise<string> {
  const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID() });
  expect(res.status).toBe(202);
  return ((await res.json()) as { claimId: string }).claimId;
}

const toCustomer = (email: string) => (m: Mail) => m.destination.to.includes(email);

/** Signs in as `email` in the browser, from the link the console mails. */
async function signIn(page: (typeof chrome)['page'], email: string): Promise<void> {
  const before = (await mailbox(stack.mailUrl)).length;
  await page.goto(`${stack.apiUrl}/console`);
  await page.getByLabel('Your email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  // The new sign-in mail: an earlier test's link may still be in the mailbox.
  let mail: Mail | undefined;
  for (let i = 0; i < 200 && !mail; i++) {
    mail = (await mailbox(stack.mailUrl)).slice(before).find((m) => m.destination.to.includes(email) && m.subject.includes('sign-in link'));
    if (!mail) await new Promise((r) => setTimeout(r, 50));
  }
  if (!mail) throw new Error('no sign-in mail arrived');
  const link = /(https?:\/\/\S+\/console\/login\/[A-Za-z0-9._~-]+)/.exec(mail.body.text ?? '')?.[1];
  if (!link) throw new Error(`no sign-in link in ${mail.body.text}`);
  await page.goto(link);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Your queue' }).waitFor();
}

describe('the agent console in a real browser', () => {
  it('signs in from the mailbox, works the queue, lowers a claim with a note the customer reads, closes a follow-up, and the customer’s status link opens', async () => {
    // arrange: a claim waiting for the agent (a Ukrainian customer with a photo), and one rejected with a promise of a person
    const boxes = crushedBoxes('uk');
    const boxesId = await post(boxes);
    const flowers = changedMind();
    const flowersId = await post(flowers);
    await waitForClaim(stack.apiUrl, boxesId, (c) => c.status === 'awaiting_approval');
    await waitForClaim(stack.apiUrl, flowersId, (c) => c.status === 'rejected');
    const ack = await waitForMail(stack.mailUrl, toCustomer(boxes.customer.email));
    const { page } = chrome;

    // act 1–2: sign in from the mailbox link and see the queue
    await signIn(page, 'agent@demo.test');
    const queue = await page.locator('main').textContent();
    await page.screenshot({ path: join(ARTIFACTS, 'console-queue.png'), fullPage: true });

    // act 3: the claim with its evidence image
    await page.getByRole('link', { name: boxes.order.id }).click();
    await page.getByRole('heading', { name: `Order ${boxes.order.id}` }).waitFor();
    const photo = page.locator('.evidence img');
    await photo.waitFor();
    const photoWidth = await photo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    const links = await page.locator('td a[href="https://shop.example/uploads/receipt.pdf"]').count();
    await page.screenshot({ path: join(ARTIFACTS, 'console-claim.png'), fullPage: true });

    // act 4: lower the amount with a note to the customer (markup in it must stay text)
    await page.getByLabel('Amount to approve').fill('60.00');
    await page.locator('#approve-customer-note').fill('Нам дуже шкода. <b>Ми</b> перевірили фото.');
    await page.locator('#approve-note').fill('Photo shows two boxes crushed, one dented');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: /Approved/ }).waitFor();
    const decided = await page.locator('main').textContent();

    // act 5: the customer's outcome email carries the note
    const settled = await waitForClaim(stack.apiUrl, boxesId, (c) => c.status === 'settled');
    const outcome = await waitForMail(stack.mailUrl, (m) => toCustomer(boxes.customer.email)(m) && m.messageId !== ack.messageId);

    // act 6: close the flowers follow-up from its claim page
    await page.goto(`${stack.apiUrl}/console`);
    const followUpRow = page.locator('tr', { hasText: flowers.order.id });
    await followUpRow.getByRole('link', { name: flowers.order.id }).click();
    await page.getByLabel(/What was done/).fill('Called Ann: offered a voucher for a new bouquet instead');
    await page.getByRole('button', { name: 'Close follow-up' }).click();
    await page.getByText('Closed by agent@demo.test').waitFor();
    const flowersClaim = await waitForClaim(stack.apiUrl, flowersId, (c) => c.timeline.some((t) => t.type === 'followup_closed'));

    // act 7: the customer's status link, in Ukrainian
    const statusLink = /(https?:\/\/\S+\/c\/[A-Za-z0-9._~-]+)/.exec(outcome.body.text ?? '')?.[1];
    if (!statusLink) throw new Error(`no status link in ${outcome.body.text}`);
    const customer = await chrome.browser.newContext({ javaScriptEnabled: false, viewport: { width: 900, height: 800 }, locale: 'uk-UA' });
    const statusPage = await customer.newPage();
    await statusPage.goto(statusLink);
    const lang = await statusPage.locator('html').getAttribute('lang');
    const statusText = await statusPage.locator('main').textContent();
    await statusPage.screenshot({ path: join(ARTIFACTS, 'status-page-uk.png'), fullPage: true });
    await customer.close();

    // two emails for the closing note: the acknowledgement and the outcome with the note, as the mailbox shows them
    await page.goto(stack.mailUrl);
    for (const [mail, file] of [
      [ack, 'email-acknowledged-uk.png'],
      [outcome, 'email-outcome-note-uk.png'],
    ] as const) {
      const shown = page.locator('.email', { hasText: mail.subject }).first();
      await shown.getByRole('button', { name: 'Toggle HTML view' }).click();
      await page.waitForTimeout(1200);
      await shown.screenshot({ path: join(ARTIFACTS, file) });
    }

    // assert
    expect(queue).toContain(boxes.order.id);
    expect(queue).toContain(flowers.order.id);
    expect(photoWidth).toBe(2);
    expect(links).toBe(1);
    expect(decided).toContain('You approved €60.00 instead of the proposed');
    expect(settled.decision?.cash).toEqual({ amount: 6000, currency: 'EUR' });
    expect(outcome.body.text).toContain('Нам дуже шкода. <b>Ми</b> перевірили фото.');
    expect(outcome.body.html).toContain('Нам дуже шкода. &lt;b&gt;Ми&lt;/b&gt; перевірили фото.');
    expect(outcome.body.html).not.toContain('<b>Ми</b>');
    expect(flowersClaim.timeline.at(-1)).toMatchObject({ type: 'followup_closed', actor: 'agent:agent@demo.test' });
    expect(lang).toBe('uk');
    expect(statusText).toContain(boxes.order.id);
  });

  it('changes nothing for a console POST without the cookie, with a foreign Origin, or with a nonce used before', async () => {
    // arrange: a claim waiting for the agent, and a signed-in browser on its page
    const boxes = crushedBoxes('en');
    const claimId = await post(boxes);
    await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'awaiting_approval');
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'agent@demo.test');
    await page.goto(`${stack.apiUrl}/console/claims/${claimId}`);
    const nonce = await page.locator('form.approve input[name=nonce]').getAttribute('value');
    const cookie = (await context.cookies()).find((c) => c.name === 'mg_console');
    if (!nonce || !cookie) throw new Error('no form nonce or session cookie');
    const origin = new URL(stack.apiUrl).origin;
    const decide = (headers: Record<string, string>, formNonce = nonce) =>
      fetch(`${stack.apiUrl}/console/claims/${claimId}/decision`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ nonce: formNonce, decision: 'approve', amount: '1.00' }).toString(),
      });
    const before = await countItems(stack);
    const mailsBefore = (await mailbox(stack.mailUrl)).length;

    // act
    const noCookie = await decide({ origin });
    const foreign = await decide({ origin: 'http://attacker.test', cookie: `mg_console=${cookie.value}` });
    const noOrigin = await decide({ cookie: `mg_console=${cookie.value}` });
    const after = await countItems(stack);
    const mailsAfter = (await mailbox(stack.mailUrl)).length;
    // a nonce spent by a real (refused) decision cannot be sent again
    const first = await decide({ origin, cookie: `mg_console=${cookie.value}` }, nonce);
    const replay = await decide({ origin, cookie: `mg_console=${cookie.value}` }, nonce);
    const replayText = await replay.text();
    const claim = await waitForClaim(stack.apiUrl, claimId, () => true);
    await context.close();

    // assert
    expect([noCookie.status, foreign.status, noOrigin.status]).toEqual([403, 403, 403]);
    expect(after).toBe(before);
    expect(mailsAfter).toBe(mailsBefore);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(403);
    expect(replayText).toContain('This form was sent already');
    expect(claim.approvals.filter((a) => a.result !== 'pending')).toHaveLength(1);
  });
});
