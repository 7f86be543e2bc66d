import { createHash } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import {
  chainOf,
  claimRef,
  conditionalCheckFailed,
  demoClaim,
  httpEvent,
  itemsOf,
  LEDGER_TABLE,
  nowSeconds,
  policyItem,
  receivedDraft,
  STATE_TABLE,
  signedEvent,
  stubRuntime,
} from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

let handler: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler } = await import('#handlers/intake.ts'));
});

afterEach(() => {
  ddb.reset();
  sfn.reset();
  restore();
});

const PATH = '/v1/claims';

/** A signed `POST /v1/claims` with an Idempotency-Key unless `headers` says otherwise. */
function claimEvent(
  body: unknown,
  opts: { key?: string | null; headers?: Record<string, string>; t?: number; secret?: string; storefront?: string } = {},
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...opts.headers };
  if (opts.key !== null) headers['Idempotency-Key'] = opts.key ?? 'key-1';
  return signedEvent({
    method: 'POST',
    path: PATH,
    body: raw,
    headers,
    ...(opts.t !== undefined ? { t: opts.t } : {}),
    ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
    ...(opts.storefront !== undefined ? { storefront: opts.storefront } : {}),
  });
}

/** The storefront has a policy, and every write succeeds. */
function arrangeHappyStore(): void {
  ddb.on(QueryCommand, { TableName: STATE_TABLE }).resolves({ Items: [policyItem(1)] });
  ddb.on(QueryCommand, { TableName: LEDGER_TABLE }).resolves({ Items: [] });
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date() });
}

function bodyOf(res: HttpResult): { error: { code: string; message: string; issues?: { path: string; message: string }[] } } {
  return JSON.parse(String(res.body));
}

function expectNothingWritten(): void {
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
}

describe('POST /v1/claims authentication', () => {
  it.each([
    [
      'no storefront headers',
      () =>
        httpEvent({
          method: 'POST',
          path: PATH,
          body: JSON.stringify(demoClaim()),
          headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' },
        }),
    ],
    ['a signature made with the wrong secret', () => claimEvent(demoClaim(), { secret: 'not-the-secret' })],
    ['a signature older than 300 s', () => claimEvent(demoClaim(), { t: nowSeconds() - 301 })],
    ['a signature more than 300 s in the future', () => claimEvent(demoClaim(), { t: nowSeconds() + 301 })],
    ['an unknown storefront', () => claimEvent(demoClaim(), { storefront: 'stranger' })],
    [
      'a body changed after signing',
      () => ({ ...claimEvent(demoClaim()), body: Buffer.from(JSON.stringify({ ...demoClaim(), extra: 1 })).toString('base64') }),
    ],
  ])('answers 401 to %s and touches neither DynamoDB nor Step Functions', async (_what, event) => {
    // arrange
    arrangeHappyStore();

    // act
    const res = await handler(event());

    // assert
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res).error.code).toBe('unauthorized');
    expect(ddb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('POST /v1/claims refusals that write nothing', () => {
  it('answers 413 to a 65 KiB body', async () => {
    // arrange
    arrangeHappyStore();
    const big = JSON.stringify({ ...demoClaim(), padding: 'x'.repeat(65 * 1024) });

    // act
    const res = await handler(claimEvent(big));

    // assert
    expect(res.statusCode).toBe(413);
    expect(bodyOf(res).error.code).toBe('payload_too_large');
    expect(ddb.calls()).toHaveLength(0);
    expectNothingWritten();
  });

  it('answers 415 to a text/plain body', async () => {
    // arrange
    arrangeHappyStore();

    // act
    const res = await handler(claimEvent(demoClaim(), { headers: { 'Content-Type': 'text/plain' } }));

    // assert
    expect(res.statusCode).toBe(415);
    expect(bodyOf(res).error.code).toBe('unsupported_media_type');
    expectNothingWritten();
  });

  it('answers 400 naming headers.Idempotency-Key when the key is missing', async () => {
    // arrange
    arrangeHappyStore();

    // act
    const res = await handler(claimEvent(demoClaim(), { key: null }));

    // assert
    expect(res.statusCode).toBe(400);
    const { error } = bodyOf(res);
    expect(error.code).toBe('invalid_request');
    expect(error.issues?.map((i) => i.path)).toEqual(['headers.Idempotency-Key']);
    expectNothingWritten();
  });

  it('answers 400 listing each schema violation by its path', async () => {
    // arrange
    arrangeHappyStore();
    const claim = demoClaim();
    const bad = {
      ...claim,
      order: { ...claim.order, paid: -1 },
      customer: { ...claim.customer, email: 'not-an-email' },
      complaint: { ...claim.complaint, reason: 'bored' },
    };

    // act
    const res = await handler(claimEvent(bad));

    // assert
    expect(res.statusCode).toBe(400);
    const { error } = bodyOf(res);
    expect(error.code).toBe('invalid_request');
    expect(error.issues?.map((i) => i.path).sort()).toEqual(['complaint.reason', 'customer.email', 'order.paid']);
    expectNothingWritten();
  });

  it('answers 400 to a body that is not JSON', async () => {
    // arrange
    arrangeHappyStore();

    // act
    const res = await handler(claimEvent('{"order":'));

    // assert: the issue says what is wrong with the body
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.code).toBe('invalid_request');
    expect(bodyOf(res).error.issues).toEqual([
      { path: '(root)', message: expect.stringMatching(/^is not valid JSON \(.+\); send a JSON object$/) },
    ]);
    expectNothingWritten();
  });

  it('answers 422 listing the facts that contradict each other', async () => {
    // arrange
    arrangeHappyStore();
    const claim = demoClaim();
    const contradictory = {
      ...claim,
      order: { ...claim.order, deliveredAt: '2026-10-30T10:00:00Z' },
      complaint: { ...claim.complaint, items: [{ sku: 'NOT-BOUGHT', quantity: 1 }] },
    };

    // act
    const res = await handler(claimEvent(contradictory));

    // assert
    expect(res.statusCode).toBe(422);
    const { error } = bodyOf(res);
    expect(error.code).toBe('unprocessable');
    expect(error.issues?.map((i) => i.path).sort()).toEqual(['complaint.items[0].sku', 'order.deliveredAt']);
    expectNothingWritten();
  });

  it('answers 422 when more units are claimed than were bought', async () => {
    // arrange
    arrangeHappyStore();
    const claim = demoClaim();
    const tooMany = { ...claim, complaint: { ...claim.complaint, items: [{ sku: 'CHOC-BOX', quantity: 3 }] } };

    // act
    const res = await handler(claimEvent(tooMany));

    // assert
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).error.issues?.map((i) => i.path)).toEqual(['complaint.items[0].quantity']);
    expectNothingWritten();
  });
});

describe('POST /v1/claims acceptance', () => {
  it('answers 202 after one conditional idempotency put, its staged webhook event, one ledger put, one execution named by the claim id and its record leaving the unstarted queue', async () => {
    // arrange
    arrangeHappyStore();

    // act
    const res = await handler(claimEvent(demoClaim(), { key: 'key-accept' }));

    // assert
    expect(res.statusCode).toBe(202);
    const body = JSON.parse(String(res.body)) as { claimId: string; status: string; statusUrl: string };
    expect(body).toEqual({
      claimId: expect.stringMatching(/^clm_[0-9a-f]{32}$/),
      status: 'received',
      statusUrl: `https://api.demo.test/v1/claims/${body.claimId}`,
    });
    expect(res.headers['idempotent-replayed']).toBeUndefined();

    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(4);
    expect(puts[0]).toMatchObject({
      TableName: STATE_TABLE,
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      Item: {
        pk: 'IDEM#demo#key-accept',
        sk: 'IDEM',
        claimId: body.claimId,
        statusCode: 202,
        body: res.body,
        // Queued as unstarted until its workflow started, for the sweeper.
        actionQueue: 'unstarted#demo',
        actionAt: expect.stringMatching(new RegExp(`^2026-11-10T12:00:00.000Z#${body.claimId}$`)),
      },
    });
    // The first claim on the order pins its facts once the key is known to be its own.
    expect(puts[1]).toMatchObject({
      TableName: STATE_TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'ORDER#demo#ORD-1001', sk: 'FACTS' },
    });
    // The event is staged before the entry it reports: no crash can leave an entry without its event.
    expect(puts[2]).toMatchObject({
      TableName: STATE_TABLE,
      Item: { pk: `EVENT#${body.claimId}`, sk: 'received', type: 'claim.received', status: 'pending', outboxQueue: 'pending#demo' },
    });
    expect(puts[3]).toMatchObject({
      TableName: LEDGER_TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: `CLAIM#${body.claimId}`, sk: 'E#00000001', type: 'received', storefrontId: 'demo', customerKey: 'demo#C-42' },
    });
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates).toEqual([
      expect.objectContaining({ Key: { pk: 'IDEM#demo#key-accept', sk: 'IDEM' }, UpdateExpression: 'REMOVE #q, #at' }),
    ]);
    // Out of the queue only once the workflow started: a crash before leaves it to the sweeper.
    const [start] = sfn.commandCalls(StartExecutionCommand);
    expect(start && ddb.commandCalls(UpdateCommand)[0]?.calledAfter(start)).toBe(true);

    const starts = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.name).toBe(body.claimId);
    expect(JSON.parse(String(starts[0]?.input))).toEqual({ claimId: body.claimId, storefrontId: 'demo' });
  });

  it('replays the first response for the same key and body, with Idempotent-Replayed, and no second claim', async () => {
    // arrange
    arrangeHappyStore();
    const event = claimEvent(demoClaim(), { key: 'key-replay' });
    const first = await handler(event);
    const [idemItem, factsItem, , ledgerItem] = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
    ddb.reset();
    sfn.reset();
    ddb.on(QueryCommand, { TableName: STATE_TABLE }).resolves({ Items: [policyItem(1)] });
    ddb.on(QueryCommand, { TableName: LEDGER_TABLE }).resolves({ Items: [ledgerItem as Record<string, unknown>] });
    ddb.on(PutCommand, { TableName: STATE_TABLE }).rejects(conditionalCheckFailed());
    storedItems(factsItem, idemItem);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date() });
    const firstClaimId = (JSON.parse(String(first.body)) as { claimId: string }).claimId;

    // act
    const again = await handler(claimEvent(demoClaim(), { key: 'key-replay' }));

    // assert
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(ddb.commandCalls(PutCommand, { TableName: LEDGER_TABLE })).toHaveLength(0);
    // Re-driving the start is harmless: it names the same execution, so no second workflow exists.
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([firstClaimId]);
  });

  it('replays an idempotency record stored by an earlier version exactly as stored, recognising its request by sha256(method, path, body)', async () => {
    // arrange: a record as the intake has always stored it, answered on another host than this request's
    const raw = JSON.stringify(demoClaim());
    const storedBody = JSON.stringify({
      claimId: 'clm_legacy',
      status: 'received',
      statusUrl: 'https://old-host.example/v1/claims/clm_legacy',
    });
    const requestHash = createHash('sha256').update(`POST\n${PATH}\n${raw}`).digest('hex');
    ddb.on(QueryCommand, { TableName: STATE_TABLE }).resolves({ Items: [policyItem(1)] });
    ddb.on(QueryCommand, { TableName: LEDGER_TABLE }).resolves({ Items: itemsOf(chainOf(claimRef('clm_legacy'), [receivedDraft()])) });
    ddb.on(PutCommand, { TableName: STATE_TABLE }).rejects(conditionalCheckFailed());
    storedItems(
      { pk: 'ORDER#demo#ORD-1001', sk: 'FACTS', facts: JSON.stringify({ ...demoClaim().order, orderId: 'ORD-1001' }) },
      {
        pk: 'IDEM#demo#key-legacy',
        sk: 'IDEM',
        storefrontId: 'demo',
        key: 'key-legacy',
        requestHash,
        claimId: 'clm_legacy',
        statusCode: 202,
        body: storedBody,
        createdAt: '2026-11-10T11:00:00.000Z',
        expiresAt: nowSeconds() + 3600,
      },
    );
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date() });

    // act
    const res = await handler(claimEvent(raw, { key: 'key-legacy' }));

    // assert
    expect(res.statusCode).toBe(202);
    expect(res.body).toBe(storedBody);
    expect(res.headers['idempotent-replayed']).toBe('true');
    expect(ddb.commandCalls(PutCommand, { TableName: LEDGER_TABLE })).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual(['clm_legacy']);
  });

  it('answers 409 idempotency_key_reused for the same key with another body, and appends nothing', async () => {
    // arrange
    arrangeHappyStore();
    await handler(claimEvent(demoClaim(), { key: 'key-reused' }));
    const [idemItem, factsItem] = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
    ddb.reset();
    sfn.reset();
    ddb.on(QueryCommand, { TableName: STATE_TABLE }).resolves({ Items: [policyItem(1)] });
    ddb.on(PutCommand, { TableName: STATE_TABLE }).rejects(conditionalCheckFailed());
    storedItems(factsItem, idemItem);
    const claim = demoClaim();
    const other = { ...claim, complaint: { ...claim.complaint, message: 'Actually two boxes were crushed.' } };

    // act
    const res = await handler(claimEvent(other, { key: 'key-reused' }));

    // assert
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error.code).toBe('idempotency_key_reused');
    expect(ddb.commandCalls(PutCommand, { TableName: LEDGER_TABLE })).toHaveLength(0);
    expect(ddb.commandCalls(QueryCommand, { TableName: LEDGER_TABLE })).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 422 order_facts_conflict naming every differing field, writing nothing, when the order was first claimed otherwise', async () => {
    // arrange: the order's first claim pinned paid 12999 and the box at 2500
    arrangeHappyStore();
    const pinned = { ...demoClaim().order, orderId: 'ORD-1001' };
    storedItems({ pk: 'ORDER#demo#ORD-1001', sk: 'FACTS', facts: JSON.stringify(pinned) });
    const claim = demoClaim();
    const inflated = {
      ...claim,
      order: {
        ...claim.order,
        paid: claim.order.paid * 2,
        placedAt: '2026-11-01T10:00:00.000+00:00', // the same instant, written otherwise: not a difference
        items: claim.order.items.map((i) => ({ ...i, unitPrice: i.unitPrice * 2 })),
      },
    };

    // act
    const res = await handler(claimEvent(inflated));

    // assert
    expect(res.statusCode).toBe(422);
    const error = bodyOf(res).error;
    expect(error.code).toBe('order_facts_conflict');
    expect(error.issues?.map((i) => i.path)).toEqual(['order.paid', 'order.items[0].unitPrice']);
    expect(error.issues?.[0]?.message).toContain('12999');
    expectNothingWritten();
  });

  it('answers 409 policy_missing, writing nothing, when the storefront has no policy yet', async () => {
    // arrange
    arrangeHappyStore();
    ddb.on(QueryCommand, { TableName: STATE_TABLE }).resolves({ Items: [] });

    // act
    const res = await handler(claimEvent(demoClaim()));

    // assert
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error.code).toBe('policy_missing');
    expectNothingWritten();
  });
});

/** The state table answers reads of these items by their key (and nothing else). */
function storedItems(...items: (Record<string, unknown> | undefined)[]): void {
  ddb.on(GetCommand, { TableName: STATE_TABLE }).callsFake((input: { Key: { pk: string; sk: string } }) => ({
    Item: items.find((i) => i?.pk === input.Key.pk && i?.sk === input.Key.sk),
  }));
}

describe('POST /v1/claims unexpected failures', () => {
  it('answers 500 with a correlation id and none of the internals', async () => {
    // arrange
    const internal = new Error('ProvisionedThroughputExceededException: arn:aws:dynamodb:eu-west-1:123456789012:table/makegood-state');
    ddb.on(QueryCommand).rejects(internal);
    ddb.on(PutCommand).rejects(internal);
    const event = claimEvent(demoClaim());
    event.requestContext.requestId = 'req-500';

    // act
    const res = await handler(event);

    // assert
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-correlation-id']).toBe('req-500');
    const body = String(res.body);
    expect(bodyOf(res).error.code).toBe('internal_error');
    expect(body).toContain('req-500');
    for (const secret of ['ProvisionedThroughput', 'arn:aws', 'makegood-state', 'stack', '    at ', 'Error:']) {
      expect(body).not.toContain(secret);
    }
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
