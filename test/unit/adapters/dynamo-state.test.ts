import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoState } from '#adapters/dynamo-state.ts';
import { money } from '#domain/money.ts';
import { parsePolicy } from '#domain/policy.ts';
import type { ApprovalUse, IdempotencyRecord } from '#ports';

const TABLE = 'state-table';

const ddb = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const state = new DynamoState(db, TABLE);

const demoPolicy = parsePolicy(JSON.parse(readFileSync(new URL('../../../policies/demo.json', import.meta.url), 'utf8')));

function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function policyItem(version: number) {
  return {
    pk: 'POLICY#demo',
    sk: `V#${String(version).padStart(8, '0')}`,
    version,
    document: JSON.stringify(demoPolicy),
    publishedAt: '2026-11-01T00:00:00.000Z',
  };
}

afterEach(() => {
  ddb.reset();
});

describe('DynamoState.grantOnOrder', () => {
  const grant = { storefrontId: 'demo', orderId: 'ORD-1001', claimId: 'clm_1', amount: money(3000, 'EUR'), paid: money(12999, 'EUR') };

  it('adds the grant with a condition free of arithmetic, against the bound paid − amount', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    await state.grantOnOrder(grant);

    // assert
    const updates = ddb.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    const input = updates[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.Key).toEqual({ pk: 'ORDER#demo#ORD-1001', sk: 'TOTAL' });
    expect(input?.ConditionExpression).toBeDefined();
    expect(input?.ConditionExpression).not.toMatch(/[+-]/);
    expect(input?.ExpressionAttributeValues).toMatchObject({
      ':bound': 12999 - 3000,
      ':amount': 3000,
      ':claimId': 'clm_1',
      ':currency': 'EUR',
    });
  });

  it('treats a refused write as success when the order total already lists the claim (a retry)', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'ORDER#demo#ORD-1001', sk: 'TOTAL', granted: 3000, claims: new Set(['clm_1']) } });

    // act
    const granting = state.grantOnOrder(grant);

    // assert
    await expect(granting).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'ORDER#demo#ORD-1001', sk: 'TOTAL' },
      ConsistentRead: true,
    });
  });

  it('throws OverRefundError when a refused write was not this claim’s earlier grant', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'ORDER#demo#ORD-1001', sk: 'TOTAL', granted: 11000, claims: new Set(['clm_other']) } });

    // act
    const granting = state.grantOnOrder(grant);

    // assert
    await expect(granting).rejects.toMatchObject({ name: 'OverRefundError' });
  });

  it('throws OverRefundError before any call when the amount alone exceeds what was paid', async () => {
    // arrange
    const tooMuch = { ...grant, amount: money(13000, 'EUR') };

    // act
    const granting = state.grantOnOrder(tooMuch);

    // assert
    await expect(granting).rejects.toMatchObject({ name: 'OverRefundError' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('rethrows errors other than a refused condition', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(new Error('ThrottlingException'));

    // act
    const granting = state.grantOnOrder(grant);

    // assert
    await expect(granting).rejects.toThrow('ThrottlingException');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('DynamoState.rememberIdempotencyKey', () => {
  const record: IdempotencyRecord = {
    storefrontId: 'demo',
    key: 'key-1',
    requestHash: 'a'.repeat(64),
    claimId: 'clm_1',
    statusCode: 202,
    body: '{"claimId":"clm_1"}',
    createdAt: '2026-11-10T12:00:00.000Z',
  };

  it('stores a new key with a conditional put that expires a day later, and may reuse a key whose record expired', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});

    // act
    const result = await state.rememberIdempotencyKey(record);

    // assert
    expect(result).toEqual({ created: true });
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    // TTL deletes late (and dynalite never), so the condition itself lets an expired record go.
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk) OR expiresAt < :now');
    expect(input?.ExpressionAttributeValues).toEqual({ ':now': Date.parse(record.createdAt) / 1000 });
    expect(input?.Item).toMatchObject({
      pk: 'IDEM#demo#key-1',
      sk: 'IDEM',
      ...record,
      expiresAt: Date.parse(record.createdAt) / 1000 + 86400,
    });
  });

  it('returns the existing record, without key attributes, when the key was already used', async () => {
    // arrange
    const existing = { ...record, claimId: 'clm_first', requestHash: 'b'.repeat(64) };
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'IDEM#demo#key-1', sk: 'IDEM', expiresAt: 1, ...existing } });

    // act
    const result = await state.rememberIdempotencyKey(record);

    // assert
    expect(result).toEqual({ created: false, existing });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'IDEM#demo#key-1', sk: 'IDEM' },
      ConsistentRead: true,
    });
  });
});

describe('DynamoState.publishPolicy', () => {
  it('publishes the version after the newest one, with a conditional put', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [policyItem(3)] });
    ddb.on(PutCommand).resolves({});
    const at = new Date('2026-11-10T12:00:00.000Z');

    // act
    const published = await state.publishPolicy('demo', demoPolicy, at);

    // assert
    expect(published).toMatchObject({ storefrontId: 'demo', version: 4, publishedAt: at.toISOString() });
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input?.Item).toMatchObject({ pk: 'POLICY#demo', sk: 'V#00000004', version: 4 });
    expect(JSON.parse(String(input?.Item?.document))).toEqual(demoPolicy);
  });

  it('reads again and takes the next version when another publisher took this one', async () => {
    // arrange
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [policyItem(3)] })
      .resolves({ Items: [policyItem(4)] });
    ddb.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // act
    const published = await state.publishPolicy('demo', demoPolicy, new Date('2026-11-10T12:00:00.000Z'));

    // assert
    expect(published.version).toBe(5);
    const sortKeys = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.sk);
    expect(sortKeys).toEqual(['V#00000004', 'V#00000005']);
  });

  it('publishes version 1 for a storefront without a policy', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});

    // act
    const published = await state.publishPolicy('demo', demoPolicy, new Date('2026-11-10T12:00:00.000Z'));

    // assert
    expect(published.version).toBe(1);
  });
});

describe('DynamoState.currentPolicy', () => {
  it('reads the newest version only and parses its document', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [policyItem(7)] });

    // act
    const current = await state.currentPolicy('demo');

    // assert
    expect(current).toEqual({ storefrontId: 'demo', version: 7, policy: demoPolicy, publishedAt: '2026-11-01T00:00:00.000Z' });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ ScanIndexForward: false, Limit: 1, ConsistentRead: true });
  });
});

describe('DynamoState.policyVersion and listPolicyVersions', () => {
  it('reads one version by its exact key with a Query', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [policyItem(2)] });

    // act
    const found = await state.policyVersion('demo', 2);

    // assert
    expect(found?.version).toBe(2);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': 'POLICY#demo', ':sk': 'V#00000002' },
    });
  });

  it('answers undefined for a version never published', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });

    // act / assert
    expect(await state.policyVersion('demo', 9)).toBeUndefined();
  });

  it('lists every version oldest first, following the pages of the Query', async () => {
    // arrange
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [policyItem(1), policyItem(2)], LastEvaluatedKey: { pk: 'POLICY#demo', sk: 'V#00000002' } })
      .resolvesOnce({ Items: [policyItem(3)] });

    // act
    const versions = await state.listPolicyVersions('demo');

    // assert
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ ExclusiveStartKey: { pk: 'POLICY#demo', sk: 'V#00000002' } });
    expect(calls[0]?.ScanIndexForward).toBeUndefined();
  });
});

describe('DynamoState.useApproval', () => {
  const use: ApprovalUse = { claimId: 'clm_1', round: 1, decision: 'approve', approver: 'agent@demo.test', at: '2026-11-10T12:00:00.000Z' };

  it('records the first use of a round with a conditional put', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});

    // act
    const result = await state.useApproval(use);

    // assert
    expect(result).toEqual({ first: true });
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input?.Item).toMatchObject({ pk: 'APPROVAL#clm_1#1', sk: 'USED', ...use });
  });

  it('returns the earlier use, and records nothing, when the round was already decided', async () => {
    // arrange
    const earlier: ApprovalUse = { ...use, decision: 'reject', at: '2026-11-10T11:00:00.000Z' };
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'APPROVAL#clm_1#1', sk: 'USED', ...earlier } });

    // act
    const result = await state.useApproval(use);

    // assert
    expect(result).toEqual({ first: false, existing: earlier });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
