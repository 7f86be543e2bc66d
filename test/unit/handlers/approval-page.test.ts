import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formNonce, signApprovalToken } from '#domain/approval-token.ts';
import type { EntryDraft } from '#domain/ledger.ts';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import {
  APPROVAL_KEYS,
  chainOf,
  claimRef,
  conditionalCheckFailed,
  decidedDraft,
  decision,
  httpEvent,
  itemsOf,
  LEDGER_TABLE,
  NOW,
  policyItem,
  receivedDraft,
  STATE_TABLE,
  stubRuntime,
} from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

let handler: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler } = await import('#handlers/approval-page.ts'));
});

afterEach(() => {
  ddb.reset();
  sfn.reset();
  restore();
});

const CLAIM_ID = 'clm_appr';
const KEY = APPROVAL_KEYS;
const DEADLINE = new Date(NOW.getTime() + 48 * 3600 * 1000);
const grant = {
  claimId: CLAIM_ID,
  round: 1,
  role: 'agent' as const,
  approver: 'agent@demo.test',
  expiresAt: Math.floor(DEADLINE.getTime() / 1000),
};
const token = signApprovalToken(grant, KEY);

/** The token with the character at `i` replaced by the next one of the base64url alphabet. */
function changed(t: string, i: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return `${t.slice(0, i)}${alphabet[(alphabet.indexOf(t[i] ?? 'A') + 1) % 64]}${t.slice(i + 1)}`;
}

function pageEvent(method: string, t = token, form?: string) {
  return httpEvent({
    method,
    path: `/approvals/${t}`,
    pathParameters: { token: t },
    ...(form === undefined ? {} : { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  });
}

/**
 * A claim of 90.00 waiting for the agent's approval, as the adapters store it. The approval-use
 * item behaves like DynamoDB's: its conditional put succeeds once. `agentLimit` republishes the
 * policy with another agent limit (minor units).
 */
function arrangeClaimAwaitingApproval(opts: { agentLimit?: number } = {}): void {
  const used = new Map<string, Record<string, unknown>>();
  const policy = policyItem(1);
  if (opts.agentLimit !== undefined) {
    const doc = JSON.parse(String(policy.document)) as { approval: { tiers: { role: string; limit: number | null }[] } };
    for (const t of doc.approval.tiers) if (t.role === 'agent') t.limit = opts.agentLimit;
    policy.document = JSON.stringify(doc);
  }
  const decided = decision(9000, 'agent');
  const requested: EntryDraft = {
    type: 'approval_requested',
    step: 'approval-requested#1',
    status: 'awaiting_approval',
    actor: { kind: 'system' },
    policyVersion: 1,
    data: {
      round: 1,
      role: 'agent',
      approvers: ['agent@demo.test'],
      deadline: DEADLINE.toISOString(),
      proposal: { cash: decided.cash, storeCredit: decided.storeCredit },
    },
  };
  const entries = itemsOf(chainOf(claimRef(CLAIM_ID), [receivedDraft(), decidedDraft(decided), requested]));
  ddb.on(QueryCommand).callsFake((input: { TableName: string; IndexName?: string }) => {
    if (input.TableName === STATE_TABLE) return { Items: [policy] };
    return { Items: input.TableName === LEDGER_TABLE ? entries : [] };
  });
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
    if (input.Key.pk.startsWith('APPROVAL#')) return { Item: used.get(input.Key.pk) };
    if (input.Key.pk !== `CALLBACK#${CLAIM_ID}`) return {};
    return {
      Item: {
        pk: `CALLBACK#${CLAIM_ID}`,
        sk: 'CURRENT',
        claimId: CLAIM_ID,
        kind: 'approval',
        taskToken: 'task-token-1',
        round: 1,
        role: 'agent',
        approvers: ['agent@demo.test'],
        deadline: DEADLINE.toISOString(),
        resume: { claimId: CLAIM_ID, storefrontId: 'demo', returnWaitSeconds: 2592000 },
      },
    };
  });
  ddb.on(PutCommand).callsFake((input: { Item: { pk: string } }) => {
    if (input.Item.pk.startsWith('APPROVAL#')) {
      if (used.has(input.Item.pk)) throw conditionalCheckFailed();
      used.set(input.Item.pk, input.Item);
    }
    return {};
  });
  sfn.on(SendTaskSuccessCommand).resolves({});
}

function expectNoWrites(): void {
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
}

describe('GET|HEAD /approvals/{token}', () => {
  it('shows the confirmation form for a valid link and changes nothing', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await handler(pageEvent('GET'));

    // assert
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain(`<form method="post" action="/approvals/${token}"`);
    expect(res.body).toContain('agent@demo.test');
    expect(res.body).toContain(`value="${formNonce(token, KEY)}"`);
    expectNoWrites();
  });

  it('answers HEAD with the same status and an empty body, changing nothing', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await handler(pageEvent('HEAD'));

    // assert
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expectNoWrites();
  });

  it('shows a clear 403 page for a tampered token and reads or writes nothing', async () => {
    // arrange: one character of the sealed body changed
    arrangeClaimAwaitingApproval();
    const tampered = changed(token, 20);

    // act
    const res = await handler(pageEvent('GET', tampered));

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<title>This link is not valid</title>');
    expect(res.body).toContain('The link was changed after it was sent');
    expect(res.body).toContain('Nothing was changed.');
    expect(res.body).not.toContain('<form');
    expect(ddb.calls()).toHaveLength(0);
    expectNoWrites();
  });

  it('answers HEAD of a tampered token with 403 and an empty body', async () => {
    // arrange
    const tampered = changed(token, token.length - 1);

    // act
    const res = await handler(pageEvent('HEAD', tampered));

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.body).toBe('');
    expectNoWrites();
  });

  it('changes nothing after 100 prefetches by mail scanners, GET and HEAD mixed', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => handler(pageEvent(i % 2 === 0 ? 'GET' : 'HEAD'))));

    // assert
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(ddb.calls().length).toBeGreaterThan(0);
    expectNoWrites();
  });

  it('names the page an expired link shows, at the deadline of a fake clock', async () => {
    // arrange
    arrangeClaimAwaitingApproval();
    vi.setSystemTime(DEADLINE);

    // act
    const res = await handler(pageEvent('GET'));

    // assert
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('<title>This link has expired</title>');
    expectNoWrites();
  });
});

describe('POST /approvals/{token}', () => {
  it('refuses a post without the page’s nonce and changes nothing', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await handler(pageEvent('POST', token, 'decision=approve'));

    // assert
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('did not come from the confirmation page');
    expectNoWrites();
  });

  it('records an approval once, appends it to the ledger and resumes the waiting task', async () => {
    // arrange
    arrangeClaimAwaitingApproval();
    const form = new URLSearchParams({ decision: 'approve', nonce: formNonce(token, KEY), note: 'ok' }).toString();

    // act
    const res = await handler(pageEvent('POST', token, form));

    // assert
    expect(res.statusCode).toBe(200);
    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts[0]).toMatchObject({
      TableName: STATE_TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: `APPROVAL#${CLAIM_ID}#1`, decision: 'approve' },
    });
    expect(puts[1]).toMatchObject({
      TableName: STATE_TABLE,
      Item: { pk: `EVENT#${CLAIM_ID}`, sk: 'approval-decision#1', type: 'claim.approved' },
    });
    expect(puts[2]).toMatchObject({ TableName: LEDGER_TABLE, Item: { type: 'approved', step: 'approval-decision#1', sk: 'E#00000004' } });
    // The claim leaves the approvers' queue: its work item is rewritten as done, without the queue key.
    expect(puts[3]).toMatchObject({ TableName: STATE_TABLE, Item: { pk: `WORK#${CLAIM_ID}`, sk: 'approval#approval' } });
    expect(Object.keys(puts[3]?.Item ?? {})).toEqual(['pk', 'sk', 'revision', 'item']);
    expect(puts).toHaveLength(4);
    const resumes = sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
    expect(resumes).toHaveLength(1);
    expect(resumes[0]?.taskToken).toBe('task-token-1');
    expect(JSON.parse(String(resumes[0]?.output))).toMatchObject({ claimId: CLAIM_ID, next: 'conclude' });
  });
});

describe('POST /approvals/{token}: what must change nothing', () => {
  const post = (form: Record<string, string>) =>
    handler(pageEvent('POST', token, new URLSearchParams({ nonce: formNonce(token, KEY), ...form }).toString()));

  it('of two simultaneous posts records one and resumes the workflow once; the other gets the “used” page', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const [a, b] = await Promise.all([post({ decision: 'approve' }), post({ decision: 'approve', amount: '50.00' })]);

    // assert
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r?.statusCode === 409)?.body).toContain('This link was already used');
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    const ledgerPuts = ddb.commandCalls(PutCommand).filter((c) => c.args[0].input.TableName === LEDGER_TABLE);
    expect(ledgerPuts).toHaveLength(1);
  });

  it('refuses a replay after the decision with the “used” page, and writes nothing more', async () => {
    // arrange
    arrangeClaimAwaitingApproval();
    await post({ decision: 'approve' });
    const writes = ddb.commandCalls(PutCommand).length;

    // act
    const res = await post({ decision: 'approve' });

    // assert
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('Approved by agent@demo.test');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(writes);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it.each([
    ['a rejection without a note', { decision: 'reject' }, 400, 'Please say why you reject'],
    ['an amount above the proposal', { decision: 'approve', amount: '90.01' }, 422, 'Amount above the proposal'],
    ['an amount that is not a number', { decision: 'approve', amount: 'ninety' }, 400, 'Please try again'],
  ])('refuses %s with a clear page, a way back, and no write', async (_what, form, status, title) => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await post(form);

    // assert
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(`<title>${title}</title>`);
    expect(res.body).toContain('Nothing was changed.');
    expect(res.body).toContain(`<a href="/approvals/${token}">Back to the confirmation page</a>`);
    expectNoWrites();
  });

  it('refuses an amount above the approver’s limit with a page naming the limit, and no write', async () => {
    // arrange: the agent's limit was lowered to 80.00 after the link went out
    arrangeClaimAwaitingApproval({ agentLimit: 8000 });

    // act
    const res = await post({ decision: 'approve' });

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('<title>Amount above your limit</title>');
    expect(res.body).toContain('Your limit is €80.00.');
    expectNoWrites();
  });

  it('refuses a form that is not urlencoded, and a method other than GET, HEAD or POST', async () => {
    // arrange
    arrangeClaimAwaitingApproval();
    const json = httpEvent({
      method: 'POST',
      path: `/approvals/${token}`,
      pathParameters: { token },
      body: JSON.stringify({ decision: 'approve', nonce: formNonce(token, KEY) }),
      headers: { 'content-type': 'application/json' },
    });

    // act
    const asJson = await handler(json);
    const put = await handler(pageEvent('PUT'));

    // assert
    expect(asJson.statusCode).toBe(400);
    expect(put.statusCode).toBe(405);
    expectNoWrites();
  });

  it('shows a result page that says what was approved and what happens next', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await post({ decision: 'approve', amount: '60', note: 'One box only' });

    // assert
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<title>Approved: €60.00</title>');
    expect(res.body).toContain('You approved €60.00 instead of the proposed €90.00.');
    expect(res.body).toContain('One box only');
    const output = JSON.parse(String(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output));
    expect(output).toEqual({ claimId: CLAIM_ID, storefrontId: 'demo', next: 'conclude' });
  });
});

describe('POST /approvals/{token}: hostile forms', () => {
  const nonce = () => formNonce(token, KEY);
  const hostile = (body: string, headers: Record<string, string> = {}) =>
    handler(
      httpEvent({
        method: 'POST',
        path: `/approvals/${token}`,
        pathParameters: { token },
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      }),
    );

  it('refuses a form with a field sent twice (approve and reject, 10.00 and 90.00) with a 400 naming it, and writes nothing', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await hostile(`decision=approve&decision=reject&amount=10.00&amount=90.00&nonce=${nonce()}`);

    // assert
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<title>Please try again</title>');
    expect(res.body).toContain('The form sent the field “decision” more than once, so none of it was used.');
    expect(res.body).toContain('Nothing was changed.');
    expect(res.body).toContain(`<a href="/approvals/${token}">Back to the confirmation page</a>`);
    expectNoWrites();
  });

  it('refuses the second copy of the amount alone, which would otherwise approve another sum', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await hostile(`decision=approve&amount=10.00&nonce=${nonce()}&amount=90.00`);

    // assert
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('the field “amount” more than once');
    expectNoWrites();
  });

  it.each([
    ['another Origin', { origin: 'https://attacker.test' }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['the own Origin with Sec-Fetch-Site: same-site', { origin: 'https://api.demo.test', 'sec-fetch-site': 'same-site' }],
  ])('refuses a post with %s with a 403 page, reading and writing nothing', async (_what, headers) => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await hostile(new URLSearchParams({ decision: 'approve', nonce: nonce() }).toString(), headers);

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('<title>Send your decision from the confirmation page</title>');
    expect(res.body).toContain('Nothing was changed.');
    expect(ddb.calls()).toHaveLength(0);
    expectNoWrites();
  });

  it('records a post from its own origin (the configured public URL), as a browser sends it', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await hostile(new URLSearchParams({ decision: 'approve', nonce: nonce() }).toString(), {
      origin: 'https://api.demo.test',
      'sec-fetch-site': 'same-origin',
    });

    // assert
    expect(res.statusCode).toBe(200);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('serves the confirmation page with Referrer-Policy: same-origin, so a browser posts its real Origin and not null', async () => {
    // arrange
    arrangeClaimAwaitingApproval();

    // act
    const res = await handler(pageEvent('GET'));

    // assert
    expect(res.statusCode).toBe(200);
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });

  it('builds its links from the token as one path segment, whatever the path parameter holds', async () => {
    // arrange: API Gateway decodes `..%2F..%2Fconsole` into a value with slashes; the form repeats a field
    arrangeClaimAwaitingApproval();

    // act
    const odd = await handler(
      httpEvent({
        method: 'POST',
        path: '/approvals/..%2F..%2Fconsole',
        pathParameters: { token: '../../console' },
        body: 'decision=approve&decision=approve',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );

    // assert
    expect(odd.statusCode).toBe(400);
    expect(odd.body).toContain('<a href="/approvals/..%2F..%2Fconsole">Back to the confirmation page</a>');
    expectNoWrites();
  });
});
