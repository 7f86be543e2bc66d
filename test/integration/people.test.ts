import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInWording, emailLocale, formatDate } from '#domain/email.ts';
import { type EmailLocale, emailLocales } from '#domain/email-templates.ts';
import type { KeyRing } from '#domain/key-ring.ts';
import type { EntryOf, LedgerEntry } from '#domain/ledger.ts';
import { statusToken } from '#domain/people-tokens.ts';
import { type Policy, parsePolicy } from '#domain/policy.ts';
import { decidedBy } from '#domain/policy-terms.ts';
import { demoClaims } from '#local/demo.ts';
import { bootStack, claimBody, daysAgo, type Mail, mailbox, postClaim, stackApprovalKeys, waitForClaim, waitForMail } from './harness.ts';

/**
 * The people around a claim, end to end on the embedded stack: the customer's acknowledgement
 * when a person must decide, the status link every customer email carries, and the follow-up
 * task that every email promising a person opens (with its reminder to the approvers).
 */
type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let dir: string;
let key: KeyRing;
let demoPolicy: Policy;
const FINANCE_KEY = 'it-people-finance-key';

/** The words by which each locale promises that a person will get in touch (as in the unit test of the wording). */
const promisesAPerson: Record<EmailLocale, RegExp> = {
  en: /will get in touch with you/,
  uk: /зв’яжеться з вами/,
  ru: /свяжется с вами/,
  eo: /kontaktos vin/,
};

beforeAll(async () => {
  // The demo policy, but follow-ups are reminded as soon as they open (remindBeforeHours ≥ dueHours),
  // so the reminder is seen within the test.
  dir = await mkdtemp(join(tmpdir(), 'makegood-people-'));
  const policy = JSON.parse(await readFile('policies/demo.json', 'utf8')) as { followUps: { remindBeforeHours: number } };
  policy.followUps.remindBeforeHours = 48;
  demoPolicy = parsePolicy(policy);
  const policyFile = join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify(policy));
  stack = await bootStack({ demoPolicyFile: policyFile, financeKey: FINANCE_KEY });
  key = await stackApprovalKeys(stack);
});
afterAll(async () => {
  await stack?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function ledgerOf(claimId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${stack.apiUrl}/v1/ledger?claim=${claimId}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: LedgerEntry[] }).entries;
}

const to = (email: string) => (m: Mail) => m.destination.to.includes(email);

/** The status link in a customer's email: its plain text carries it, and its HTML links to it. */
function statusLinkIn(mail: Mail): string {
  const m = /(https?:\/\/[^\s"<]+\/c\/s1\.k[1-9][0-9]*\.[A-Za-z0-9_-]+)/.exec(mail.body.text ?? '');
  if (!m?.[1]) throw new Error(`No status link in: ${mail.body.text}`);
  expect(mail.body.html).toContain(`<a href="${m[1]}"`);
  return m[1];
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** How long a page is given to settle before "exactly one" is counted. */
const settle = () => new Promise((r) => setTimeout(r, 3_000));

describe('the acknowledgement', () => {
  it.each(emailLocales)(
    '%s: one email says what was received, who decides and by when, with a status link in the same language',
    async (locale) => {
      // arrange: the demo's kettle (89.00) is above the automatic limit, so an agent decides
      const body = demoClaims().approval;
      const tag = randomUUID().slice(0, 8);
      body.order.id = `ORD-${tag}`;
      body.customer = { ...body.customer, id: `C-${tag}`, email: `c-${tag}@example.com`, locale };
      const wording = builtInWording[locale];

      // act
      const { res, json } = await postClaim(stack.apiUrl, body);
      expect(res.status).toBe(202);
      await waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'awaiting_approval');
      const ack = await waitForMail(stack.mailUrl, to(body.customer.email));
      await settle();
      const page = await get(statusLinkIn(ack));

      // assert: one email, in the locale, naming the order, the items, who decides and the date
      const mails = (await mailbox(stack.mailUrl)).filter(to(body.customer.email));
      expect(mails).toHaveLength(1);
      expect(ack.body.html).toContain(`<html lang="${locale}"`);
      expect(ack.subject).toContain(body.order.id);
      expect(ack.body.text).toContain('1 × Electric kettle');
      expect(ack.body.text).toContain(wording.deciders.agent);
      const entries = await ledgerOf(json.claimId);
      const sent = entries.find((e) => e.type === 'email_sent' && e.step === 'email:acknowledged');
      expect(sent).toBeDefined();
      // The status page: in the customer's language, saying a person decides, and by the same date.
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.body).toContain(`<html lang="${locale}"`);
      expect(page.body).toContain(wording.statusPage.stages.awaiting_approval.headline);
      // The date is when the last tier would have decided, counted from the request.
      const requested = entries.find((e) => e.type === 'approval_requested');
      const by = decidedBy(demoPolicy, 'agent', new Date(requested?.at ?? 0)).toISOString();
      const date = formatDate(by, emailLocale(locale).intl, wording.datePattern) ?? 'no date';
      expect(ack.body.text).toContain(date);
      expect(page.body).toContain(date);
    },
  );
});

describe('the status link', () => {
  let link: string;
  let claimId: string;
  beforeAll(async () => {
    const body = claimBody({ customer: { locale: 'en' } });
    const { json } = await postClaim(stack.apiUrl, body);
    claimId = json.claimId;
    await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled');
    link = statusLinkIn(await waitForMail(stack.mailUrl, to(body.customer.email)));
  });

  it('shows an approved claim, what it granted, and that the refund is under way; a HEAD request gets no body', async () => {
    // act
    const page = await get(link);
    const head = await fetch(link, { method: 'HEAD' });
    // assert
    expect(page.status).toBe(200);
    // The demo storefront has not reported the refund paid, so the page says it is being carried out, not done.
    expect(page.body).toContain(builtInWording.en.statusPage.stages.in_progress.headline);
    expect(page.body).toContain('a refund of €27.50');
    expect(page.body).not.toMatch(/<script|<form/i);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it.each(emailLocales)(
    '%s: a tampered link is refused with 400, an expired one with 410, an unknown claim with 404, in the browser’s language',
    async (locale) => {
      // arrange
      const base = link.slice(0, link.indexOf('/c/') + 3);
      const token = link.slice(base.length);
      const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
      const expired = statusToken(claimId, key, new Date(Date.now() - 181 * 86_400_000));
      const unknown = statusToken('clm_nobody', key, new Date());
      const headers = { 'accept-language': `${locale};q=1, en;q=0.5` };
      const w = builtInWording[locale].statusPage;
      // act
      const [tampered, old, none, garbage] = await Promise.all([
        get(`${base}${flipped}`, headers),
        get(`${base}${expired}`, headers),
        get(`${base}${unknown}`, headers),
        get(`${base}not-a-token`, headers),
      ]);
      // assert
      expect([tampered.status, old.status, none.status, garbage.status]).toEqual([400, 410, 404, 400]);
      for (const p of [tampered, none, garbage]) {
        expect(p.body).toContain(`<html lang="${locale}"`);
        expect(p.body).toContain(w.invalid.title);
        expect(p.body).not.toContain(claimId);
      }
      expect(old.body).toContain(w.expired.title);
      expect(old.body).not.toContain(claimId);
    },
  );
});

/** The claims whose emails promise a person, one per promise, in turn in each locale. */
const promising = [
  {
    name: 'a perishable bouquet returned for a change of mind: a person offers another way',
    reason: 'offer_alternative',
    body: (locale: string) =>
      claimBody({
        customer: { locale },
        order: { paid: 3499, items: [{ sku: 'FLOWERS', name: 'Bouquet', category: 'flowers', quantity: 1, unitPrice: 3000 }] },
        complaint: { reason: 'changed_mind', items: [{ sku: 'FLOWERS', quantity: 1 }], evidence: [] },
      }),
  },
  {
    name: 'a lamp found faulty on day 31: a person arranges a repair under the legal guarantee',
    reason: 'arrange_repair',
    body: (locale: string) =>
      claimBody({
        customer: { locale },
        order: {
          placedAt: daysAgo(34),
          deliveredAt: daysAgo(31),
          paid: 4499,
          items: [{ sku: 'LAMP', name: 'Desk lamp', category: 'home', quantity: 1, unitPrice: 4000 }],
        },
        complaint: { reason: 'defective', items: [{ sku: 'LAMP', quantity: 1 }], evidence: [] },
      }),
  },
  {
    name: 'a customer who asks only for an apology: their feedback is reviewed, and a person gets back to them',
    reason: 'review_feedback',
    body: (locale: string) =>
      claimBody({
        customer: { locale },
        order: { paid: 2499, items: [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 1, unitPrice: 2000 }] },
        complaint: { reason: 'not_as_described', desiredOutcome: 'apology', items: [{ sku: 'MUG', quantity: 1 }], evidence: [] },
      }),
  },
] as const;

describe('a follow-up for every email that promises a person', () => {
  const cases = promising.flatMap((p, i) => emailLocales.map((locale, j) => ({ ...p, locale, n: i * emailLocales.length + j })));

  it.each(cases.map((c) => [c.locale, c.name, c]))('%s, %s', async (_l, _n, c) => {
    // arrange
    const body = c.body(c.locale);

    // act
    const { res, json } = await postClaim(stack.apiUrl, body);
    expect(res.status).toBe(202);
    const mail = await waitForMail(stack.mailUrl, to(body.customer.email));
    // The reminder goes to the role's approvers as soon as the task is within remindBeforeHours.
    const reminder = await waitForMail(stack.mailUrl, (m) => to('agent@demo.test')(m) && m.subject.includes(body.order.id), 400);
    await settle();
    const entries = await ledgerOf(json.claimId);
    const page = await get(statusLinkIn(mail));

    // assert: the email promises a person, and the ledger holds the task it promises
    expect(mail.body.text).toMatch(promisesAPerson[c.locale]);
    const opened = entries.filter((e): e is EntryOf<'followup_opened'> => e.type === 'followup_opened');
    expect(opened.map((e) => [e.data.reason, e.data.role])).toEqual([[c.reason, 'agent']]);
    const sent = entries.find((e) => e.type === 'email_sent' && e.step === opened[0]?.data.email);
    expect(sent).toBeDefined();
    // Due in the policy's 48 hours from when it opened, and the email names that day.
    const due = Date.parse(opened[0]?.data.due ?? '');
    // (Counted from the moment the task was made, a few milliseconds before its entry was written.)
    expect(due - Date.parse(opened[0]?.at ?? '')).toBeGreaterThan(48 * 3_600_000 - 5_000);
    expect(due - Date.parse(opened[0]?.at ?? '')).toBeLessThanOrEqual(48 * 3_600_000);
    // Reminded once per approver of the role, with a link to the claim in the console.
    const reminders = (await mailbox(stack.mailUrl)).filter((m) => m.subject.includes(body.order.id) && !to(body.customer.email)(m));
    expect(reminders.map((m) => m.destination.to)).toEqual([['agent@demo.test']]);
    expect(reminder.body.text).toContain(`/console/claims/${json.claimId}`);
    // The status page says a person will be in touch, and by the task's due date.
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<html lang="${c.locale}"`);
  });
});
