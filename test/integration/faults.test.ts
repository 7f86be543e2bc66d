import { randomUUID } from 'node:crypto';
import { type ClaimRequest, type ClaimView, MakegoodClient } from 'makegood/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { clearInjectedFaults, type InjectedFault, injectedFaults } from '#adapters/faults.ts';
import { type FaultPlanInput, parseConfig } from '#config';
import { type LedgerEntry, statusOf } from '#domain/ledger.ts';
import { demoClaims } from '#local/demo.ts';
import type { Deps } from '#ports';
import { verifyLedger } from '#usecases/ledger-verify.ts';
import { approvalLink, bootStack, claimBody, DEMO_SECRET, formFields, type Mail, mailbox, waitForClaim, waitForMail } from './harness.ts';

/**
 * Faults injected through the adapters (MAKEGOOD_FAULTS, functions/adapters/faults.ts): the AWS
 * SDK clients of the functions meet throttling, 500s and stalls the way they would from the real
 * services, and the layers of retries (the SDK's, then the ASL's) must absorb them without a
 * double effect. One embedded stack serves the file; each test sets its faults in the functions'
 * environment (the handlers build new clients when it changes, as a cold start would), so the
 * stack's own seeding and the checks below (`verifyLedger`, `entries`) read without faults.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
let makegood: MakegoodClient;
/** Reads the tables without faults: the environment of the stack has none of its own. */
let clean: Deps;
/** Which task answers are lost after the task ran (see `loseTaskAnswer`); none unless a test says. */
let loseAnswer: (functionId: string) => boolean = () => false;

beforeAll(async () => {
  stack = await bootStack({
    // A claim failed on a transient error is retried by itself 20 s later (5 min by default).
    functionEnv: { MAKEGOOD_ALLOW_FAULTS: 'test-only', MAKEGOOD_AUTO_RETRY_FIRST_MS: '20000' },
    loseTaskAnswer: (id) => loseAnswer(id),
  });
  // The storefront retries as the client does by default, only more often: the faults are dense.
  makegood = new MakegoodClient({
    baseUrl: stack.apiUrl,
    storefrontId: 'demo',
    secret: DEMO_SECRET,
    retry: { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 },
  });
  clean = makeDeps(parseConfig(stack.env));
});
afterAll(async () => {
  await stack?.cleanup();
});
afterEach(() => {
  delete process.env.MAKEGOOD_FAULTS;
  loseAnswer = () => false;
});

/** Turns the functions' faults on: the next invocation builds its clients with them. */
function inject(plan: FaultPlanInput): void {
  clearInjectedFaults();
  process.env.MAKEGOOD_FAULTS = JSON.stringify(plan);
}

/** The kettle of local/demo.ts (an agent approves it, after it came back), with a fresh order and customer. */
function approvalClaim() {
  const demo = demoClaims().approval;
  const id = randomUUID().slice(0, 8);
  return {
    ...demo,
    order: { ...demo.order, id: `ORD-${id}` },
    customer: { ...demo.customer, id: `C-${id}`, email: `p-${id}@example.com` },
  };
}

/**
 * Waits until the claim's status (read without faults, from its ledger) satisfies `until`; bounded,
 * no wall clock asserted. The claim as the API shows it is read afterwards, through the faults.
 */
async function statusUntil(claimId: string, until: (status: string) => boolean, attempts = 600): Promise<string> {
  let last: string | undefined;
  for (let i = 0; i < attempts; i++) {
    last = statusOf(await clean.ledger.entries(claimId));
    if (last !== undefined && until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Claim ${claimId} never got there; last status: ${last}`);
}

const isOver = (status: string) => ['settled', 'rejected', 'closed', 'failed'].includes(status);

/** Files a claim as the storefront does: the client retries 5xx with the same Idempotency-Key. */
async function file(body: object): Promise<{ claimId: string; email: string; orderId: string }> {
  // The harness's bodies widen their enums to strings; they are valid claims all the same.
  const claim = body as ClaimRequest;
  const { claimId } = await makegood.createClaim(claim, { idempotencyKey: randomUUID() });
  return { claimId, email: claim.customer.email, orderId: claim.order.id };
}

/** Fetches a page of the approval link, trying again while the function answers 5xx. */
async function fetchRetrying(url: string, init?: RequestInit): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, init);
    if (res.status < 500 || i >= 20) return res;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The approval claim's way through, as the agent and the shop would go it: the agent approves
 * from the link in the email (opening the page again while the answer is not recorded), then the
 * shop reports the kettle received.
 */
async function approveAndReturn(claimId: string, orderId: string): Promise<void> {
  await statusUntil(claimId, (s) => s === 'awaiting_approval' || isOver(s));
  const mail = await waitForMail(
    stack.mailUrl,
    (m) => m.destination.to.includes('agent@demo.test') && (m.body.text ?? '').includes(orderId),
    600,
  );
  const link = approvalLink(mail);
  for (let i = 0; i < 20; i++) {
    if ((await clean.ledger.entries(claimId)).some((e) => e.type === 'approved')) break;
    const page = await fetchRetrying(link);
    const form = new URLSearchParams({ ...formFields(await page.text()), decision: 'approve', note: 'Known faulty batch' });
    await fetchRetrying(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  }
  await statusUntil(claimId, (s) => s === 'awaiting_return' || isOver(s));
  await makegood.reportReturn(claimId, {
    items: [{ sku: 'KETTLE-1', quantity: 1 }],
    receivedAt: new Date().toISOString(),
    condition: 'used',
  });
  await statusUntil(claimId, isOver);
}

/** A claim the test filed: its id, its customer's address and its order. */
interface Filed {
  readonly claimId: string;
  readonly email: string;
  readonly orderId: string;
}

/** Three auto-approved claims, and the kettle that needs an agent (unless left out). */
interface Batch {
  readonly auto: readonly Filed[];
  readonly approval: Filed | undefined;
}

/**
 * Files three auto-approved claims and, unless `withApproval` is false, one that needs an agent,
 * and sees them through: all at once, or one after another. Returns them with their final view,
 * read through the API (auto claims first).
 */
async function runBatch(order: 'together' | 'one by one', withApproval = true): Promise<{ batch: Batch; views: ClaimView[] }> {
  const bodies = [claimBody(), claimBody(), claimBody(), ...(withApproval ? [approvalClaim()] : [])];
  const through = async (body: object, i: number) => {
    const claim = await file(body);
    if (i === 3) await approveAndReturn(claim.claimId, claim.orderId);
    else await statusUntil(claim.claimId, isOver);
    return claim;
  };
  const filed: Filed[] = [];
  if (order === 'together') filed.push(...(await Promise.all(bodies.map(through))));
  else for (const [i, body] of bodies.entries()) filed.push(await through(body, i));
  await stack.engine.idle(30_000);
  const views = await Promise.all(filed.map((c) => makegood.getClaim(c.claimId)));
  return { batch: { auto: filed.slice(0, 3), approval: filed[3] }, views };
}

/** Every email the mailbox holds for a claim: its customer's, and its approvers' (which name the order). */
function mailsOf(mails: readonly Mail[], claim: { email: string; orderId: string }): Mail[] {
  return mails.filter(
    (m) =>
      m.destination.to.includes(claim.email) ||
      (m.destination.to.includes('agent@demo.test') && (m.body.text ?? '').includes(claim.orderId)),
  );
}

/** Verifies the whole ledger of today, without faults. */
async function verifyToday() {
  const from = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  return verifyLedger({ from, to: new Date(Date.now() + 60_000) }, clean);
}

const count = (faults: readonly InjectedFault[], match: Partial<InjectedFault>) =>
  faults.filter((f) => Object.entries(match).every(([k, v]) => f[k as keyof InjectedFault] === v)).length;

/**
 * What a batch must come to, faults or not: every claim settled, its workflow succeeded, one
 * `refund_settled` each; each email sent once (the outcome for an auto claim; for the kettle the
 * acknowledgement, the return instructions and the outcome, and its agent's request), as many as
 * its ledger says were sent; and the whole ledger verifies (chains, postings, order totals).
 */
async function expectNormalEnds({ batch, views }: { batch: Batch; views: ClaimView[] }): Promise<void> {
  const claims = [...batch.auto, ...(batch.approval ? [batch.approval] : [])];
  const mails = await mailbox(stack.mailUrl);
  const audit = await verifyToday();
  expect(views.map((v) => v.status)).toEqual(claims.map(() => 'settled'));
  expect(views.map((v) => v.timeline.filter((t) => t.type === 'refund_settled').length)).toEqual(claims.map(() => 1));
  for (const c of claims) expect(stack.engine.describe(c.claimId)?.status).toBe('SUCCEEDED');
  for (const [i, c] of claims.entries()) {
    const own = mailsOf(mails, c);
    expect(own.length, `emails of claim ${c.claimId}`).toBe(views[i]?.timeline.filter((t) => t.type === 'email_sent').length);
    expect(new Set(own.map((m) => `${m.destination.to.join()}|${m.subject}`)).size).toBe(own.length);
  }
  expect(batch.auto.map((c) => mailsOf(mails, c).length)).toEqual([1, 1, 1]);
  if (batch.approval) {
    expect(views[3]?.decision?.outcome).toBe('return_and_refund');
    expect(mails.filter((m) => m.destination.to.includes(batch.approval?.email ?? '-'))).toHaveLength(3);
  }
  expect(audit.problems).toEqual([]);
  expect(audit.claims).toBeGreaterThanOrEqual(claims.length);
}

describe('faults the retries absorb: every claim ends as it would without them, each email sent once', () => {
  const batches: { name: string; plan: FaultPlanInput; injected: Partial<InjectedFault>[]; withApproval: boolean }[] = [
    {
      name: 'SES fails half its calls with a 500',
      plan: { seed: 11, rules: [{ service: 'ses', fault: 'server_error', when: 'before', rate: 0.5 }] },
      injected: [{ service: 'ses', fault: 'server_error' }],
      withApproval: true,
    },
    {
      name: 'SES throttles half its calls',
      plan: { seed: 12, rules: [{ service: 'ses', fault: 'throttle', rate: 0.5 }] },
      injected: [{ service: 'ses', fault: 'throttle' }],
      withApproval: true,
    },
    {
      name: 'DynamoDB throttles 10 % of its calls and fails 10 % with a 500, and a fifth of its updates lose their answer',
      plan: {
        seed: 13,
        rules: [
          // The order's running total is an UpdateItem: its retry must recognise its own grant.
          { service: 'dynamodb', operations: ['UpdateItem'], fault: 'server_error', when: 'after', rate: 0.2 },
          { service: 'dynamodb', fault: 'throttle', rate: 0.1 },
          { service: 'dynamodb', fault: 'server_error', when: 'before', rate: 0.1 },
        ],
      },
      injected: [
        { service: 'dynamodb', fault: 'throttle' },
        { service: 'dynamodb', operation: 'UpdateItem', fault: 'server_error', when: 'after' },
        { service: 'dynamodb', fault: 'server_error', when: 'before' },
      ],
      withApproval: true,
    },
    {
      // Without the kettle: an approval answer whose entry was written but whose answer was lost is
      // not resumed by the approver's retry ("already used"), so the claim waits for the reminder
      // (reported; usecases/approvals.ts answerGrant and finishPendingAnswer). Add it once fixed.
      name: 'DynamoDB loses the answer of a third of its puts and half its updates after doing them',
      plan: {
        seed: 14,
        rules: [
          // The first grant on an order's running total goes through and its answer is lost, for sure.
          {
            service: 'dynamodb',
            operations: ['UpdateItem'],
            bodyIncludes: '"sk":{"S":"TOTAL"}',
            fault: 'server_error',
            when: 'after',
            times: 1,
          },
          { service: 'dynamodb', operations: ['PutItem'], fault: 'server_error', when: 'after', rate: 0.3 },
          { service: 'dynamodb', operations: ['UpdateItem'], fault: 'server_error', when: 'after', rate: 0.5 },
        ],
      },
      injected: [
        { rule: 0, operation: 'UpdateItem' },
        { service: 'dynamodb', operation: 'PutItem', fault: 'server_error', when: 'after' },
        { service: 'dynamodb', operation: 'UpdateItem', fault: 'server_error', when: 'after' },
      ],
      withApproval: false,
    },
  ];

  it.each(batches)('$name', async ({ plan, injected, withApproval }) => {
    // arrange
    inject(plan);
    // act
    const outcome = await runBatch('together', withApproval);
    // assert: the faults happened, and the claims came to their normal ends
    for (const kind of injected) expect(count(injectedFaults(), kind), JSON.stringify(kind)).toBeGreaterThan(0);
    await expectNormalEnds(outcome);
  });

  it('a task that crashes after its writes and before it answers is run again and does its work once', async () => {
    // arrange: every other answer of each workflow task is lost after the task ran; the claims go
    // one by one, so that each step of each claim loses its first answer and keeps its second
    const answers: Record<string, number> = {};
    loseAnswer = (id) => {
      answers[id] = (answers[id] ?? 0) + 1;
      return answers[id] % 2 === 1;
    };
    // act
    const outcome = await runBatch('one by one');
    // assert: the crashes happened, and were run again
    expect(answers.Assess).toBeGreaterThanOrEqual(8);
    expect(answers.Conclude).toBeGreaterThanOrEqual(8);
    // (the agent may answer before the lost request is run again: then it finds the round answered)
    expect(answers.RequestApproval).toBeGreaterThanOrEqual(1);
    expect(answers.AwaitReturn).toBeGreaterThanOrEqual(1);
    // assert: the same ends as without crashes
    await expectNormalEnds(outcome);
  });
});

describe('SES fails every SendEmail for as long as the claims run', () => {
  let approval: Filed;
  let auto: Filed;
  let concludes: number;

  beforeAll(async () => {
    inject({ seed: 21, rules: [{ service: 'ses', operations: ['SendEmail'], fault: 'server_error', when: 'before' }] });
    const before = (await stack.stats()).invocations.Conclude ?? 0;
    [approval, auto] = await Promise.all([file(approvalClaim()), file(claimBody())]);
    // The ASL retries each step 4 times with backoff (at most 1 + 2 + 4 + 8 s), then RecordFailure runs.
    await Promise.all([stack.engine.whenSettled(approval.claimId, 60_000), stack.engine.whenSettled(auto.claimId, 60_000)]);
    concludes = ((await stack.stats()).invocations.Conclude ?? 0) - before;
  }, 90_000);
  afterAll(() => {
    delete process.env.MAKEGOOD_FAULTS;
  });

  const failedEntry = async (claimId: string) =>
    (await clean.ledger.entries(claimId)).find((e): e is Extract<LedgerEntry, { type: 'failed' }> => e.type === 'failed');

  it('a step that keeps failing ends its claim failed, visibly: status, timeline, the error, the execution', async () => {
    // act: the kettle's RequestApproval cannot email its agent
    const claim = await makegood.getClaim(approval.claimId);
    const failed = await failedEntry(approval.claimId);
    const execution = stack.engine.describe(approval.claimId);
    // assert
    expect(claim.status).toBe('failed');
    expect(claim.timeline.at(-1)).toMatchObject({ type: 'failed', status: 'failed', actor: 'system' });
    expect(claim.timeline.map((t) => t.type)).not.toContain('email_sent');
    expect(claim.actions).toEqual([]);
    expect(failed?.data.error).toBe('TransientError');
    expect(failed?.data.cause).toContain('ses SendEmail failed after');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'ClaimWorkflowFailed' });
    expect(count(injectedFaults(), { service: 'ses', operation: 'SendEmail' })).toBeGreaterThanOrEqual(5);
  });

  it('an outcome email that cannot be sent leaves the settled refund in place: retried, its failure recorded', async () => {
    // act: the chocolate box's Conclude grants the refund, then cannot email the customer
    const claim = await makegood.getClaim(auto.claimId);
    const failed = await failedEntry(auto.claimId);
    const total = await clean.state.orderGranted('demo', auto.orderId, 'EUR');
    const audit = await verifyToday();
    const mails = await mailbox(stack.mailUrl);
    // assert: the refund stays granted, once, and the shop is still asked to pay it
    expect(claim.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'failed']);
    expect(claim.actions).toMatchObject([{ type: 'refund', status: 'requested', amount: { amount: 2750, currency: 'EUR' } }]);
    expect(total).toEqual({ amount: 2750, currency: 'EUR' });
    expect(audit.problems).toEqual([]);
    // assert: the email was tried by every Conclude the ASL ran (1 + 4 retries), none got through,
    // and the failure is on the claim; what the code does today: the claim is `failed`
    expect(concludes).toBe(5);
    expect(mails.filter((m) => m.destination.to.includes(auto.email))).toEqual([]);
    expect(claim.status).toBe('failed');
    expect(failed?.data.cause).toContain('ses SendEmail failed after');
    expect(Date.parse(failed?.data.retryAt ?? '')).toBeGreaterThan(Date.parse(failed?.at ?? ''));

    // act: SES recovers; the sweeper retries the claim when its retry falls due
    delete process.env.MAKEGOOD_FAULTS;
    const settled = await waitForClaim(stack.apiUrl, auto.claimId, (c) => c.status === 'settled', 900);

    // assert: the email went out once, recorded, and nothing was granted again
    expect(settled.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'failed', 'retried', 'email_sent']);
    expect(settled.timeline.at(-2)).toMatchObject({ actor: 'system' });
    expect((await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(auto.email))).toHaveLength(1);
    expect(await clean.state.orderGranted('demo', auto.orderId, 'EUR')).toEqual({ amount: 2750, currency: 'EUR' });
  }, 90_000);
});

describe('a dependency slower than the task timeout (30 s for Conclude)', () => {
  it('is cut off by the SDK request timeout and tried again, so the step runs once and acts once', async () => {
    // arrange: the first SendEmail (the outcome email, at Conclude) stalls for 40 s
    const before = (await stack.stats()).invocations.Conclude ?? 0;
    inject({ seed: 31, rules: [{ service: 'ses', operations: ['SendEmail'], fault: 'delay', delayMs: 40_000, times: 1 }] });
    // act
    const { claimId, email, orderId } = await file(claimBody());
    await statusUntil(claimId, isOver);
    const claim = await makegood.getClaim(claimId);
    const mails = (await mailbox(stack.mailUrl)).filter((m) => m.destination.to.includes(email));
    const total = await clean.state.orderGranted('demo', orderId, 'EUR');
    const audit = await verifyToday();
    // assert: the stall happened, and the step's timeout never came: Conclude ran once
    expect(injectedFaults()).toEqual([{ rule: 0, service: 'ses', operation: 'SendEmail', fault: 'delay' }]);
    expect(claim.status).toBe('settled');
    expect(((await stack.stats()).invocations.Conclude ?? 0) - before).toBe(1);
    // assert: no double effect: one email, one refund, the total granted once
    expect(mails).toHaveLength(1);
    expect(claim.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'refund_settled', 'email_sent']);
    expect(total).toEqual({ amount: 2750, currency: 'EUR' });
    expect(audit.problems).toEqual([]);
  }, 60_000);
});
