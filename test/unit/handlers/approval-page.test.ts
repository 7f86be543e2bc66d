import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formNonce, signApprovalToken } from '#domain/approval-token.ts';
import type { EntryDraft } from '#domain/ledger.ts';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import {
  APPROVAL_KEY,
  chainOf,
  claimRef,
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
const KEY = Buffer.from(APPROVAL_KEY, 'utf8');
const DEADLINE = new Date(NOW.getTime() + 48 * 3600 * 1000);
const grant = {
  claimId: CLAIM_ID,
  round: 1,
  role: 'agent' as const,
  approver: 'agent@demo.test',
  expiresAt: Math.floor(DEADLINE.getTime() / 1000),
};
const token = signApprovalToken(grant, KEY);

function pageEvent(method: string, t = token, form?: string) {
  return httpEvent({
    method,
    path: `/approvals/${t}`,
    pathParameters: { token: t },
    ...(form === undefined ? {} : { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  });
}

/** A claim of 90.00 waiting for the agent's approval, as the adapters store it. */
function arrangeClaimAwaitingApproval(): void {
  const requested: EntryDraft = {
    type: 'approval_requested',
    step: 'approval-requested#1',
    status: 'awaiting_approval',
    actor: { kind: 'system' },
    policyVersion: 1,
    data: { round: 1, role: 'agent', approvers: ['agent@demo.test'], deadline: DEADLINE.toISOString(), proposal: null },
  };
  const entries = itemsOf(chainOf(claimRef(CLAIM_ID), [receivedDraft(), decidedDraft(decision(9000, 'agent')), requested]));
  ddb.on(QueryCommand).callsFake((input: { TableName: string; IndexName?: string }) => {
    if (input.TableName === STATE_TABLE) return { Items: [policyItem(1)] };
    return { Items: input.TableName === LEDGER_TABLE ? entries : [] };
  });
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
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
  ddb.on(PutCommand).resolves({});
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
    // arrange
    arrangeClaimAwaitingApproval();
    const [prefix, , mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ c: CLAIM_ID, r: 1, t: 'finance', a: 'mallory@evil.test', e: grant.expiresAt })).toString(
      'base64url',
    );
    const tampered = `${prefix}.${forged}.${mac}`;

    // act
    const res = await handler(pageEvent('GET', tampered));

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<title>This link is not valid</title>');
    expect(res.body).toContain('The link was changed after it was sent');
    expect(res.body).not.toContain('<form');
    expect(ddb.calls()).toHaveLength(0);
    expectNoWrites();
  });

  it('answers HEAD of a tampered token with 403 and an empty body', async () => {
    // arrange
    const [prefix, , mac] = token.split('.');
    const tampered = `${prefix}.${Buffer.from('{"c":"clm_appr"}').toString('base64url')}.${mac}`;

    // act
    const res = await handler(pageEvent('HEAD', tampered));

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.body).toBe('');
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
    expect(puts[1]).toMatchObject({ TableName: LEDGER_TABLE, Item: { type: 'approved', step: 'approval-decision#1', sk: 'E#00000004' } });
    expect(puts).toHaveLength(2);
    const resumes = sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
    expect(resumes).toHaveLength(1);
    expect(resumes[0]?.taskToken).toBe('task-token-1');
    expect(JSON.parse(String(resumes[0]?.output))).toMatchObject({ claimId: CLAIM_ID, next: 'conclude' });
  });
});
