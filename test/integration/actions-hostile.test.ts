import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import type { ActionReceipt, ActionView } from '#domain/api/action.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { parsePolicy } from '#domain/policy.ts';
import { repoRoot } from '#local/stack.ts';
import type { Deps } from '#ports';
import { reportAction } from '#usecases/actions.ts';
import { verifyLedger } from '#usecases/ledger-verify.ts';
import {
  bootStack,
  claimBody,
  countItems,
  DEMO_SECRET,
  type Mail,
  mailbox,
  signedFetch,
  waitForClaim,
  writeStackSecrets,
} from './harness.ts';

/**
 * A hostile storefront, a buggy integration and races against the actions routes. Every test
 * asserts the behaviour the product promises (DESIGN.md "Actions", "Money rules"; ARCHITECTURE.md
 * "Actions: from decision to deed"), so a failing test is a finding.
 */

const FINANCE_KEY = 'it-hostile-finance-key';
const OTHER = 'rival-shop';
const OTHER_SECRET = 'rival-shop-secret';
const DEMO = { storefront: 'demo', secret: DEMO_SECRET };
const RIVAL = { storefront: OTHER, secret: OTHER_SECRET };
type As = typeof DEMO;

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let deps: Deps;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'makegood-hostile-'));
  await writeStackSecrets(dataDir, { storefronts: { [OTHER]: OTHER_SECRET } });
  stack = await bootStack({ dataDir, financeKey: FINANCE_KEY });
  deps = makeDeps(parseConfig(stack.env));
  await deps.state.putStorefront({ id: OTHER, name: 'Rival Shop' });
  const policy = parsePolicy(JSON.parse(await readFile(join(repoRoot, 'policies/demo.json'), 'utf8')));
  await deps.state.publishPolicy(OTHER, policy, new Date());
});
afterAll(async () => {
  await stack?.cleanup();
});

interface ClaimWithActions {
  status: string;
  actions: ActionView[];
}

async function readClaim(claimId: string, as: As = DEMO): Promise<ClaimWithActions> {
  const res = await signedFetch(stack.apiUrl, 'GET', `/v1/claims/${claimId}`, undefined, as);
  return (await res.json()) as ClaimWithActions;
}

async function settledClaim(over: Parameters<typeof claimBody>[0] = {}, as: As = DEMO) {
  const body = claimBody({ ...over, customer: { locale: 'en', ...over.customer } });
  const res = await signedFetch(stack.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID(), ...as });
  const { claimId } = (await res.json()) as { claimId: string };
  await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'settled', 200, as);
  const claim = await readClaim(claimId, as);
  return { claimId, body, claim, action: claim.actions[0] as ActionView };
}

function report(claimId: string, actionId: string, body: unknown, as: As = DEMO): Promise<Response> {
  return signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/actions/${actionId}`, body, as);
}

function cash(claimId: string, actionId: string, as: As = DEMO, rawBody = '{}'): Promise<Response> {
  return signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claimId}/actions/${actionId}/cash`, undefined, { ...as, rawBody });
}

const paid = (amount: number, reference = `re_${randomUUID().slice(0, 8)}`) => ({
  status: 'succeeded',
  provider: 'stripe',
  reference,
  amount: { amount, currency: 'EUR' },
});
const bounced = (amount: number, reference = 're_bounce') => ({
  status: 'failed',
  provider: 'stripe',
  reference,
  amount: { amount, currency: 'EUR' },
  failureReason: 'card closed',
});

async function ledgerOf(claimId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${stack.apiUrl}/v1/ledger?claim=${claimId}`, { headers: { Authorization: `Bearer ${FINANCE_KEY}` } });
  return ((await res.json()) as { entries: LedgerEntry[] }).entries;
}

async function balances(claimId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await ledgerOf(claimId)) for (const p of e.postings) out[p.account] = (out[p.account] ?? 0) + p.credit - p.debit;
  return out;
}

async function mailsTo(email: string): Promise<Mail[]> {
  return (await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(email));
}

const isPayoutFailed = (m: Mail) => (m.body.text ?? '').includes('did not go through');
const isCreditIssued = (m: Mail) => m.subject.startsWith('Your store credit of');
/** The outcome email of a refund has the same subject: the body tells them apart. */
const isCashAgain = (m: Mail) => (m.body.text ?? '').includes('instead of the store credit');

/** Lets the handlers' fire-and-forget work (outbox, index) settle. */
const settle = () => new Promise((r) => setTimeout(r, 300));

async function allRequested(as: As): Promise<ActionView[]> {
  const out: ActionView[] = [];
  let cursor: string | null = null;
  do {
    const path: string = `/v1/actions?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await (await signedFetch(stack.apiUrl, 'GET', path, undefined, as)).json()) as {
      actions: ActionView[];
      next: string | null;
    };
    out.push(...page.actions);
    cursor = page.next;
  } while (cursor);
  return out;
}

/** A refund that failed and was recovered as store credit (27.50 + 2.75 bonus). */
async function recoveredClaim() {
  const s = await settledClaim();
  const res = await report(s.claimId, s.action.actionId, bounced(2750));
  expect(res.status).toBe(200);
  const credit = ((await res.json()) as ActionReceipt).created[0] as ActionView;
  expect(credit).toMatchObject({ type: 'store_credit', amount: { amount: 3025 }, recovers: s.action.actionId });
  return { ...s, credit };
}

async function verifyNow(): Promise<string[]> {
  const result = await verifyLedger(
    { storefrontId: 'demo', from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000) },
    deps,
  );
  return result.problems.map((p) => `${p.claimId}: ${p.problem}`);
}

describe('cross-tenant', () => {
  it("refuses another storefront's report and cash request on demo's actions (404), writing nothing", async () => {
    const { claimId, action } = await settledClaim();
    const { credit } = await recoveredClaim();
    const before = await countItems(stack);

    const foreignReport = await report(claimId, action.actionId, paid(2750), RIVAL);
    const foreignCash = await cash(claimId, credit.actionId, RIVAL);

    expect(foreignReport.status).toBe(404);
    expect(foreignCash.status).toBe(404);
    expect(await countItems(stack)).toBe(before);
    expect((await readClaim(claimId)).actions[0]?.status).toBe('requested');
  });

  it("never lists another storefront's actions, and refuses its cursor (400)", async () => {
    const demo = await settledClaim();
    const rival = await settledClaim({}, RIVAL);
    await settle();
    const demoIds = (await allRequested(DEMO)).map((a) => a.actionId);
    const rivalList = await allRequested(RIVAL);
    expect(demoIds).toContain(demo.action.actionId);
    expect(rivalList.map((a) => a.actionId)).toContain(rival.action.actionId);
    expect(rivalList.map((a) => a.actionId)).not.toContain(demo.action.actionId);
    expect(demoIds).not.toContain(rival.action.actionId);

    const page = (await (await signedFetch(stack.apiUrl, 'GET', '/v1/actions?limit=1')).json()) as { next: string | null };
    expect(page.next).not.toBeNull();
    const res = await signedFetch(
      stack.apiUrl,
      'GET',
      `/v1/actions?limit=1&cursor=${encodeURIComponent(page.next ?? '')}`,
      undefined,
      RIVAL,
    );
    expect(res.status).toBe(400);
  });

  it('answers forged cursors with 400, never 500, and never with another storefront’s action', async () => {
    const rival = await settledClaim({}, RIVAL);
    await settle();
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const own = 'requested#demo';
    const forged = [
      'garbage',
      enc(null),
      enc([]),
      enc({ pk: '', sk: '', actionQueue: own, actionAt: '' }),
      enc({ pk: 1, sk: 2, actionQueue: own, actionAt: 3 }),
    ];
    // The real attribute names of the index, and a key that names the rival's item under demo's queue.
    const realPage = (await (await signedFetch(stack.apiUrl, 'GET', '/v1/actions?limit=1')).json()) as { next: string };
    const key = JSON.parse(Buffer.from(realPage.next, 'base64url').toString('utf8')) as Record<string, string>;
    const [queueName, atName] = Object.keys(key).filter((k) => k !== 'pk' && k !== 'sk') as [string, string];
    const q = key[queueName] === own ? queueName : atName;
    const at = q === queueName ? atName : queueName;
    forged.push(enc({ pk: 'x'.repeat(3000), sk: 'y', [q]: own, [at]: 'z' }));
    forged.push(enc({ pk: `ACTION#${rival.claimId}`, sk: rival.action.actionId, [q]: own, [at]: `0000#${rival.action.actionId}` }));

    const statuses: number[] = [];
    for (const c of forged) {
      const res = await signedFetch(stack.apiUrl, 'GET', `/v1/actions?cursor=${encodeURIComponent(c)}`);
      statuses.push(res.status);
      if (res.status === 200) {
        const page = (await res.json()) as { actions: ActionView[] };
        expect(page.actions.map((a) => a.actionId)).not.toContain(rival.action.actionId);
      }
    }
    // garbage, null, [], empty key strings, numbers, a 3000-character pk: all 400; the rival's key under demo's queue: 200 or 400
    expect(statuses.slice(0, 6)).toEqual([400, 400, 400, 400, 400, 400]);
    expect([200, 400]).toContain(statuses[6]);
  });
});

describe('input', () => {
  it('refuses malformed, foreign, long and traversing action ids with 4xx, never 500, writing nothing', async () => {
    const a = await settledClaim();
    const b = await settledClaim();
    const before = await countItems(stack);
    const paths = [
      `/v1/claims/${a.claimId}/actions/${b.action.actionId}`, // another claim's action
      `/v1/claims/${a.claimId}/actions/${'act_'.padEnd(5000, 'x')}`,
      `/v1/claims/${'c'.repeat(5000)}/actions/act_x_1`,
      `/v1/claims/${a.claimId}/actions/..%2F..%2F${b.claimId}`,
      `/v1/claims/${a.claimId}/actions/act_${a.claimId}_1%00`,
      `/v1/claims/${a.claimId}/actions/${encodeURIComponent(a.action.actionId.replace('act_', 'ACT_'))}`,
      `/v1/claims/${a.claimId}/actions/act_${a.claimId}_1`, // the claim's `received` entry: not an action
      `/v1/claims/${a.claimId}/actions/act_${a.claimId}_99999999`,
      `/v1/claims/${a.claimId}/actions/cash`,
      `/v1/claims/%FF/actions/act_x_1`,
    ];
    const statuses: Record<string, number> = {};
    for (const p of paths) {
      const res = await signedFetch(stack.apiUrl, 'POST', p, paid(2750));
      statuses[p.slice(0, 90)] = res.status;
    }
    expect(Object.entries(statuses).filter(([, s]) => s < 400 || s >= 500)).toEqual([]);
    expect(await countItems(stack)).toBe(before);
    expect((await readClaim(a.claimId)).actions[0]?.status).toBe('requested');
  });

  it('refuses bad amounts and bodies (400/415/422), writing nothing', async () => {
    const { claimId, action } = await settledClaim();
    const before = await countItems(stack);
    const path = `/v1/claims/${claimId}/actions/${action.actionId}`;
    const cases: [unknown, number[]][] = [
      [{ ...paid(2750), amount: { amount: 2750.5, currency: 'EUR' } }, [400]],
      [{ ...paid(2750), amount: { amount: -2750, currency: 'EUR' } }, [400, 422]],
      [{ ...paid(2750), amount: { amount: 0, currency: 'EUR' } }, [422]],
      [{ ...paid(2750), amount: { amount: 1e21, currency: 'EUR' } }, [400, 422]],
      [{ ...paid(2750), amount: { amount: Number.MAX_SAFE_INTEGER + 2, currency: 'EUR' } }, [400, 422]],
      [{ ...paid(2750), amount: { amount: 2750, currency: 'USD' } }, [422]],
      [{ ...paid(2750), amount: { amount: 2750, currency: 'eur' } }, [400]],
      [{ ...paid(2750), amount: { amount: '2750', currency: 'EUR' } }, [400]],
      [{ ...paid(2750), extra: true }, [400]],
      [{ ...paid(2750), status: 'cancelled' }, [400]],
      [{ ...paid(2750), creditCode: 'X' }, [422]],
      [{ ...paid(2750), tracking: 'X' }, [422]],
      [{ ...paid(2750), reference: '   ' }, [400]],
      [{ ...paid(2750), reference: 'r'.repeat(256) }, [400]],
      [[paid(2750)], [400]],
      [null, [400]],
      ['"x"', [400]],
    ];
    const wrong: unknown[] = [];
    for (const [body, ok] of cases) {
      const res = await signedFetch(stack.apiUrl, 'POST', path, body);
      if (!ok.includes(res.status)) wrong.push({ body, status: res.status });
    }
    expect(wrong).toEqual([]);
    const empty = await signedFetch(stack.apiUrl, 'POST', path, undefined, { rawBody: '' });
    const notJson = await signedFetch(stack.apiUrl, 'POST', path, undefined, { rawBody: '{"status":' });
    const wrongType = await signedFetch(stack.apiUrl, 'POST', path, paid(2750), { contentType: 'text/plain' });
    const bigBody = await signedFetch(stack.apiUrl, 'POST', path, { ...paid(2750), provider: 'p'.repeat(70_000) });
    expect(empty.status).toBe(400);
    expect(notJson.status).toBe(400);
    expect(wrongType.status).toBe(415);
    expect(bigBody.status).toBe(413);
    expect(await countItems(stack)).toBe(before);
  });

  it('takes the cash body it documents ({}), refusing anything else (400), writing nothing', async () => {
    const { claimId, credit } = await recoveredClaim();
    const before = await countItems(stack);

    const garbage = await cash(claimId, credit.actionId, DEMO, 'not json');
    const extra = await cash(claimId, credit.actionId, DEMO, '{"amount":{"amount":999999,"currency":"EUR"}}');

    expect([garbage.status, extra.status]).toEqual([400, 400]);
    expect(await countItems(stack)).toBe(before);
  });

  it('refuses cash for anything but a recovery credit (422), writing nothing', async () => {
    const refund = await settledClaim();
    const chosen = await settledClaim({ complaint: { desiredOutcome: 'store_credit' } });
    const before = await countItems(stack);

    const onRefund = await cash(refund.claimId, refund.action.actionId);
    const onChosenCredit = await cash(chosen.claimId, chosen.action.actionId);

    expect(onRefund.status).toBe(422);
    expect(onChosenCredit.status).toBe(422);
    expect(await countItems(stack)).toBe(before);
  });

  it('emails a credit code exactly as recorded, or refuses one it cannot show (400)', async () => {
    const codes = ['GIFT\u0000-7Q2X', 'GIFT\r\nBcc: x@evil.test', '\u202E\u202D', 'AB\u202ECD', 'A  B', 'PLAIN-CODE-1'];
    const wrong: unknown[] = [];
    for (const code of codes) {
      const { claimId, action, body } = await settledClaim({ complaint: { desiredOutcome: 'store_credit' } });
      const res = await report(claimId, action.actionId, { ...paid(3025), provider: 'shopify', creditCode: code });
      if (res.status === 400) continue;
      const mail = (await mailsTo(body.customer.email)).find(isCreditIssued);
      // What the shop recorded as the code must be what the customer is told to type.
      if (res.status !== 200 || !(mail?.body.text ?? '').includes(code.trim()))
        wrong.push({ code, status: res.status, emailed: /Your code is (.*?)\. Enter/.exec(mail?.body.text ?? '')?.[1] ?? null });
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a tracking number with control characters (it is emailed as given), and escapes HTML in one it takes', async () => {
    const { claimId, action, body } = await settledClaim({
      order: { paid: 1999, shipping: 499, items: [{ sku: 'MUG', name: 'Blue mug', category: 'home', quantity: 1, unitPrice: 1500 }] },
      complaint: { reason: 'wrong_item', desiredOutcome: 'replacement', items: [{ sku: 'MUG', quantity: 1 }] },
    });
    const tracking = '<a href="javascript:alert(1)">JJD1</a>\r\nX-Evil: 1\u202E';
    const res = await report(claimId, action.actionId, {
      status: 'succeeded',
      provider: 'dhl\r\n<b>',
      reference: 'shp\u0000<i>',
      tracking,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(['tracking']);
    const taken = await report(claimId, action.actionId, {
      status: 'succeeded',
      provider: 'dhl\r\n<b>',
      reference: 'shp\u0000<i>',
      tracking: '<a href="javascript:alert(1)">JJD1</a>',
    });
    expect(taken.status).toBe(200);
    await settle();
    const mail = (await mailsTo(body.customer.email)).find((m) => (m.body.text ?? '').includes('JJD1'));
    expect(mail).toBeDefined();
    expect(mail?.body.html).not.toContain('<a href="javascript');
    expect(mail?.body.text).not.toMatch(/\r|\u202E|\nX-Evil/);
    expect(mail?.subject).not.toMatch(/[\r\n]/);
  });
});

describe('idempotency', () => {
  it('answers a failed report again with the first result, writing nothing and sending nothing', async () => {
    const { claimId, action, body } = await settledClaim();
    const first = await report(claimId, action.actionId, bounced(2750));
    expect(first.status).toBe(200);
    await settle();
    const before = await countItems(stack);
    const mailsBefore = (await mailsTo(body.customer.email)).length;

    const again = await report(claimId, action.actionId, bounced(2750));

    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const [a, b] = [(await first.json()) as ActionReceipt, (await again.json()) as ActionReceipt];
    expect(b.action).toEqual(a.action);
    expect(b.created.map((c) => c.actionId)).toEqual(a.created.map((c) => c.actionId));
    expect(await countItems(stack)).toBe(before);
    expect((await mailsTo(body.customer.email)).length).toBe(mailsBefore);
  });

  it('a same-reference report with another status is refused (409), not replayed', async () => {
    const { claimId, action } = await settledClaim();
    await report(claimId, action.actionId, paid(2750, 're_same'));
    const before = await countItems(stack);
    const other = await report(claimId, action.actionId, { ...bounced(2750, 're_same') });
    expect(other.status).toBe(409);
    expect(await countItems(stack)).toBe(before);
  });
});

describe('races', () => {
  it('20 identical failed reports at once: one answer, one recovery, one payout-failed email', async () => {
    const { claimId, action, body } = await settledClaim();

    const answers = await Promise.all(Array.from({ length: 20 }, () => report(claimId, action.actionId, bounced(2750))));
    await settle();

    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const receipts = (await Promise.all(answers.map((r) => r.json()))) as ActionReceipt[];
    expect(new Set(receipts.map((r) => r.created[0]?.actionId)).size).toBe(1);
    const entries = await ledgerOf(claimId);
    expect(entries.filter((e) => e.type === 'action_failed')).toHaveLength(1);
    expect(entries.filter((e) => e.type === 'credit_issued')).toHaveLength(1);
    expect(entries.filter((e) => e.type === 'email_sent' && e.data.kind === 'payout_failed')).toHaveLength(1);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, store_credit_liability: 3025, goodwill_expense: -275 });
    expect((await mailsTo(body.customer.email)).filter(isPayoutFailed)).toHaveLength(1);
  });

  it('20 different success reports at once: one wins, 19 are refused, cash moves once', async () => {
    const { claimId, action } = await settledClaim();

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => report(claimId, action.actionId, paid(2750, `re_many_${i}`))));

    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const entries = await ledgerOf(claimId);
    expect(entries.filter((e) => e.type === 'action_succeeded')).toHaveLength(1);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, cash: 2750 });
  });

  it('20 identical credit success reports at once: one credit-code email', async () => {
    const { claimId, action, body } = await settledClaim({ complaint: { desiredOutcome: 'store_credit' } });

    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        report(claimId, action.actionId, { ...paid(3025, 'gc_1'), provider: 'shopify', creditCode: 'GIFT-RACE' }),
      ),
    );
    await settle();

    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect((await mailsTo(body.customer.email)).filter(isCreditIssued)).toHaveLength(1);
  });

  it('10 cash requests at once: one cancellation, one refund, one email, balances whole', async () => {
    const { claimId, credit, body } = await recoveredClaim();
    await settle();

    const answers = await Promise.all(Array.from({ length: 10 }, () => cash(claimId, credit.actionId)));
    await settle();

    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const receipts = (await Promise.all(answers.map((r) => r.json()))) as ActionReceipt[];
    expect(new Set(receipts.map((r) => r.created[0]?.actionId)).size).toBe(1);
    const entries = await ledgerOf(claimId);
    expect(entries.filter((e) => e.type === 'action_cancelled')).toHaveLength(1);
    expect(entries.filter((e) => e.type === 'refund_settled')).toHaveLength(2);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 2750, store_credit_liability: 0, goodwill_expense: 0 });
    expect((await mailsTo(body.customer.email)).filter(isCashAgain)).toHaveLength(1);
  });

  it('a cash request racing a credit success: the loser writes nothing, and the emails tell the truth', async () => {
    for (let round = 0; round < 3; round++) {
      const { claimId, credit, body } = await recoveredClaim();
      await settle();
      const code = `GIFT-R${round}`;

      const [issued, asked] = await Promise.all([
        report(claimId, credit.actionId, { ...paid(3025, `gc_${round}`), provider: 'shopify', creditCode: code }),
        cash(claimId, credit.actionId),
      ]);
      await settle();

      expect(asked.status).toBe(200);
      const refund = ((await asked.json()) as ActionReceipt).created[0] as ActionView;
      expect(refund).toMatchObject({ type: 'refund', amount: { amount: 2750 }, replaces: credit.actionId });
      const mails = await mailsTo(body.customer.email);
      const codeMails = mails.filter(isCreditIssued);
      const cashMails = mails.filter(isCashAgain);
      expect(cashMails).toHaveLength(1);
      if (issued.status === 200) {
        // The credit was issued first: the shop must void it, and the customer is told its code no longer works, last.
        expect(refund.revokeCreditCode).toBe(code);
        expect(codeMails).toHaveLength(1);
        expect(mails.indexOf(codeMails[0] as Mail)).toBeLessThan(mails.indexOf(cashMails[0] as Mail));
        expect(cashMails[0]?.body.text).toContain(code);
      } else {
        expect(issued.status).toBe(409);
        expect(refund.revokeCreditCode).toBeUndefined();
        expect(codeMails).toHaveLength(0);
      }
      expect(await balances(claimId)).toMatchObject({ refunds_payable: 2750, store_credit_liability: 0, goodwill_expense: 0 });
    }
  });
});

describe('money', () => {
  it('fail → credit → cash → fail → credit → cash → paid: cash equals the refund value, one bonus at most, the ledger verifies', async () => {
    const { claimId, action, body } = await settledClaim();
    const customerId = body.customer.id as string;

    let refundId = action.actionId;
    for (let i = 0; i < 2; i++) {
      const failed = await report(claimId, refundId, bounced(2750, `re_bounce_${i}`));
      expect(failed.status).toBe(200);
      const credit = ((await failed.json()) as ActionReceipt).created[0] as ActionView;
      expect(credit.goodwill?.amount).toBe(275);
      const grants = await deps.state.goodwillGrants('demo', customerId, 'EUR');
      expect(grants.reduce((s, g) => s + g.amount, 0)).toBe(275);
      const asked = await cash(claimId, credit.actionId);
      expect(asked.status).toBe(200);
      refundId = (((await asked.json()) as ActionReceipt).created[0] as ActionView).actionId;
    }
    expect((await report(claimId, refundId, paid(2750))).status).toBe(200);
    // A report that cash was paid twice for the cash-again refund is refused.
    expect((await report(claimId, refundId, paid(2750))).status).toBe(409);
    await settle();

    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, cash: 2750, store_credit_liability: 0, goodwill_expense: 0 });
    const grants = await deps.state.goodwillGrants('demo', customerId, 'EUR');
    expect(grants.reduce((s, g) => s + g.amount, 0)).toBe(0);
    const total = await deps.state.orderTotal('demo', body.order.id as string);
    expect(total?.granted).toBe(2750);
    const problems = (await verifyNow()).filter((p) => p.startsWith(claimId));
    expect(problems).toEqual([]);
    const mails = await mailsTo(body.customer.email);
    expect(mails.filter(isPayoutFailed)).toHaveLength(2);
    expect(mails.filter(isCashAgain)).toHaveLength(2);
    // Nothing is still asked of the shop.
    expect((await readClaim(claimId)).actions.filter((a) => a.status === 'requested')).toEqual([]);
    const requested = (await allRequested(DEMO)).filter((a) => a.claimId === claimId);
    expect(requested).toEqual([]);
  });

  it('a recovery credit the shop could not issue, then cash: no second recovery, balances whole, the ledger verifies', async () => {
    const { claimId, credit, body } = await recoveredClaim();
    const failed = await report(claimId, credit.actionId, { ...bounced(3025, 'gc_down'), provider: 'shopify' });
    expect(failed.status).toBe(200);
    expect(((await failed.json()) as ActionReceipt).created).toEqual([]);
    const asked = await cash(claimId, credit.actionId);
    expect(asked.status).toBe(200);
    const refund = ((await asked.json()) as ActionReceipt).created[0] as ActionView;
    expect(refund).toMatchObject({ amount: { amount: 2750 }, replaces: credit.actionId });
    expect(refund.revokeCreditCode).toBeUndefined();
    expect((await report(claimId, refund.actionId, paid(2750))).status).toBe(200);
    expect(await balances(claimId)).toMatchObject({ refunds_payable: 0, cash: 2750, store_credit_liability: 0, goodwill_expense: 0 });
    expect((await verifyNow()).filter((p) => p.startsWith(claimId))).toEqual([]);
    expect((await mailsTo(body.customer.email)).filter(isCreditIssued)).toHaveLength(0);
  });

  it('cash for a credit issued without a code still tells the shop to void that credit (or is refused)', async () => {
    const { claimId, credit } = await recoveredClaim();
    const issued = await report(claimId, credit.actionId, { ...paid(3025, 'gc_nocode'), provider: 'shopify' });
    expect(issued.status).toBe(200);

    const asked = await cash(claimId, credit.actionId);

    if (asked.status === 409) return;
    expect(asked.status).toBe(200);
    const refund = ((await asked.json()) as ActionReceipt).created[0] as ActionView;
    // The shop issued 30.25 of credit and is now asked to pay 27.50 cash: nothing in the action says
    // to take the credit back, so the customer keeps both.
    expect(refund.revokeCreditCode ?? null).not.toBeNull();
  });

  it('a report retried after cash-again (its read from before the recovery) re-grants no bonus and sends no second payout-failed email', async () => {
    const { claimId, action, body } = await settledClaim();
    const customerId = body.customer.id as string;
    expect((await report(claimId, action.actionId, bounced(2750))).status).toBe(200);
    const afterFailure = (await ledgerOf(claimId)).find((e) => e.type === 'action_failed')?.seq ?? 0;
    const credit = (await readClaim(claimId)).actions.find((a) => a.type === 'store_credit') as ActionView;
    expect((await cash(claimId, credit.actionId)).status).toBe(200);
    await settle();
    expect((await deps.state.goodwillGrants('demo', customerId, 'EUR')).reduce((s, g) => s + g.amount, 0)).toBe(0);
    const payoutMails = (await mailsTo(body.customer.email)).filter(isPayoutFailed).length;

    // act: the shop's retry of the same failed report, whose read of the claim came just after
    // the failure was recorded and before the recovery (a slow request overtaken by the others)
    let reads = 0;
    const ledger = Object.create(deps.ledger) as Deps['ledger'];
    ledger.entries = async (id: string) => {
      const all = await deps.ledger.entries(id);
      return reads++ === 0 ? all.filter((e) => e.seq <= afterFailure) : all;
    };
    const replay = await reportAction(
      {
        storefrontId: 'demo',
        claimId,
        actionId: action.actionId,
        report: bounced(2750) as Parameters<typeof reportAction>[0]['report'],
        actor: { kind: 'storefront', id: 'demo' },
      },
      { ...deps, ledger },
    );
    await settle();

    expect(replay.replayed).toBe(true);
    expect({
      bonusHeld: (await deps.state.goodwillGrants('demo', customerId, 'EUR')).reduce((s, g) => s + g.amount, 0),
      payoutFailedEmails: (await mailsTo(body.customer.email)).filter(isPayoutFailed).length,
    }).toEqual({ bonusHeld: 0, payoutFailedEmails: payoutMails });
  });
});

describe('the poll', () => {
  it('refuses bad queries with 400, never 500', async () => {
    const queries = [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=1.5',
      'limit=-1',
      'status=succeeded',
      'limit=1&limit=2',
      'foo=1',
      'cursor=',
    ];
    const statuses = [];
    for (const q of queries) statuses.push((await signedFetch(stack.apiUrl, 'GET', `/v1/actions?${q}`)).status);
    expect(statuses).toEqual(queries.map(() => 400));
  });

  it('lists what is asked and drops what is answered or cancelled', async () => {
    const { claimId, credit, action } = await recoveredClaim();
    await settle();
    let ids = (await allRequested(DEMO)).map((a) => a.actionId);
    expect(ids).not.toContain(action.actionId);
    expect(ids).toContain(credit.actionId);

    const asked = await cash(claimId, credit.actionId);
    const refund = ((await asked.json()) as ActionReceipt).created[0] as ActionView;
    await settle();
    ids = (await allRequested(DEMO)).map((a) => a.actionId);
    expect(ids).not.toContain(credit.actionId);
    expect(ids).toContain(refund.actionId);
    const listed = (await allRequested(DEMO)).find((a) => a.actionId === refund.actionId);
    expect(listed).toMatchObject({ type: 'refund', amount: { amount: 2750 }, replaces: credit.actionId });
  });
});
