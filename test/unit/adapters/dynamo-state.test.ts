import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoState } from '#adapters/dynamo-state.ts';
import type { OrderFacts } from '#domain/claim.ts';
import { TransientError } from '#domain/errors.ts';
import { money } from '#domain/money.ts';
import { parsePolicy } from '#domain/policy.ts';
import type { ApprovalUse, IdempotencyRecord, UnitHold } from '#ports';

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
  vi.useRealTimers();
});

describe('DynamoState.grantOnOrder', () => {
  const grant = { storefrontId: 'demo', orderId: 'ORD-1001', grantId: 'clm_1', amount: money(3000, 'EUR'), paid: money(12999, 'EUR') };

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

  it('sends a later round under its own grant id, so that the claim’s first grant does not block it', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    await state.grantOnOrder({ ...grant, grantId: 'clm_1#2' });

    // assert
    const values = ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues;
    expect(values?.[':claimId']).toBe('clm_1#2');
    expect(values?.[':claim']).toEqual(new Set(['clm_1#2']));
  });

  it('does not take a refused later round for a retry when only the claim’s first round is listed', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddb
      .on(GetCommand)
      .resolves({ Item: { pk: 'ORDER#demo#ORD-1001', sk: 'TOTAL', granted: 11000, currency: 'EUR', claims: new Set(['clm_1']) } });

    // act
    const granting = state.grantOnOrder({ ...grant, grantId: 'clm_1#2' });

    // assert
    await expect(granting).rejects.toMatchObject({ name: 'OverRefundError' });
  });
});

describe('DynamoState.orderFacts and pinOrderFacts', () => {
  const facts: OrderFacts = {
    orderId: 'ORD-1001',
    currency: 'EUR',
    paid: 12999,
    shipping: 499,
    placedAt: '2026-11-01T10:00:00.000Z',
    items: [{ sku: 'SKU-1', category: 'apparel', quantity: 2, unitPrice: 6250 }],
  };
  const delivered: OrderFacts = { ...facts, deliveredAt: '2026-11-04T09:00:00.000Z' };
  /** The FACTS item as stored for `f`. */
  const factsItem = (f: OrderFacts) => ({
    pk: 'ORDER#demo#ORD-1001',
    sk: 'FACTS',
    facts: JSON.stringify(f),
    ...(f.deliveredAt ? { deliveredAt: f.deliveredAt } : {}),
  });

  it('reads the pinned facts with a consistent read, and undefined when none are pinned', async () => {
    // arrange
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: factsItem(delivered) })
      .resolves({});

    // act
    const pinned = await state.orderFacts('demo', 'ORD-1001');
    const none = await state.orderFacts('demo', 'ORD-2002');

    // assert
    expect(pinned).toEqual(delivered);
    expect(none).toBeUndefined();
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: 'ORDER#demo#ORD-1001', sk: 'FACTS' }, ConsistentRead: true },
      { TableName: TABLE, Key: { pk: 'ORDER#demo#ORD-2002', sk: 'FACTS' }, ConsistentRead: true },
    ]);
  });

  it("reads many orders' facts 100 keys to a BatchGetItem, asks again for unprocessed keys, and leaves out orders without any", async () => {
    // arrange: 150 orders (one listed twice); the first batch hands one key back unprocessed
    const ids = [...Array.from({ length: 150 }, (_, i) => `ORD-${i}`), 'ORD-0'];
    const key = (id: string) => ({ pk: `ORDER#demo#${id}`, sk: 'FACTS' });
    const item = (id: string) => ({ ...key(id), facts: JSON.stringify({ ...facts, orderId: id }) });
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [item('ORD-0')] }, UnprocessedKeys: { [TABLE]: { Keys: [key('ORD-7')] } } })
      .resolvesOnce({ Responses: { [TABLE]: [item('ORD-7')] } })
      .resolvesOnce({ Responses: { [TABLE]: [item('ORD-120')] } });

    // act
    const found = await state.orderFactsMany('demo', ids);

    // assert
    expect([...found.keys()].sort()).toEqual(['ORD-0', 'ORD-120', 'ORD-7']);
    expect(found.get('ORD-7')).toEqual({ ...facts, orderId: 'ORD-7' });
    const asked = ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]);
    expect(asked.map((r) => r?.Keys?.length)).toEqual([100, 1, 50]);
    expect(asked.every((r) => r?.ConsistentRead === true)).toBe(true);
    expect(asked[1]?.Keys).toEqual([key('ORD-7')]);
  });

  it('pins the facts of an order without any with a conditional put, deliveredAt as its own attribute', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});

    // act
    const pinned = await state.pinOrderFacts('demo', delivered);

    // assert
    expect(pinned).toEqual(delivered);
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input?.Item).toEqual(factsItem(delivered));
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('stores no deliveredAt attribute for facts without one, so that a later claim may add it', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});

    // act
    await state.pinOrderFacts('demo', facts);

    // assert
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toEqual({ pk: 'ORDER#demo#ORD-1001', sk: 'FACTS', facts: JSON.stringify(facts) });
  });

  it('returns the facts already pinned, and changes nothing, when the put loses to an earlier claim', async () => {
    // arrange
    const earlier: OrderFacts = { ...facts, paid: 9999 };
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: factsItem(earlier) });

    // act
    const pinned = await state.pinOrderFacts('demo', facts);

    // assert: the caller compares what came back with what it sent
    expect(pinned).toEqual(earlier);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('keeps the first delivery date when a later claim states another one', async () => {
    // arrange
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: factsItem(delivered) });

    // act
    const pinned = await state.pinOrderFacts('demo', { ...facts, deliveredAt: '2026-11-09T09:00:00.000Z' });

    // assert
    expect(pinned).toEqual(delivered);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('adds a delivery date the pinned facts lack, only if none was added meanwhile, and keeps the pinned fields', async () => {
    // arrange
    const earlier: OrderFacts = { ...facts, shipping: 0 };
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({ Item: factsItem(earlier) });
    ddb.on(UpdateCommand).resolves({});

    // act
    const pinned = await state.pinOrderFacts('demo', delivered);

    // assert
    const withDelivery = { ...earlier, deliveredAt: delivered.deliveredAt };
    expect(pinned).toEqual(withDelivery);
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual({ pk: 'ORDER#demo#ORD-1001', sk: 'FACTS' });
    expect(input?.UpdateExpression).toBe('SET facts = :facts, deliveredAt = :d');
    expect(input?.ConditionExpression).toBe('attribute_exists(pk) AND attribute_not_exists(deliveredAt)');
    expect(input?.ExpressionAttributeValues?.[':d']).toBe(delivered.deliveredAt);
    expect(JSON.parse(String(input?.ExpressionAttributeValues?.[':facts']))).toEqual(withDelivery);
  });

  it('returns the delivery date another claim added first when its own addition is refused', async () => {
    // arrange
    const first: OrderFacts = { ...facts, deliveredAt: '2026-11-03T08:00:00.000Z' };
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: factsItem(facts) })
      .resolves({ Item: factsItem(first) });
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());

    // act
    const pinned = await state.pinOrderFacts('demo', delivered);

    // assert
    expect(pinned).toEqual(first);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('throws TransientError when the put is refused but no pinned facts can be read', async () => {
    // arrange
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(GetCommand).resolves({});

    // act
    const pinning = state.pinOrderFacts('demo', facts);

    // assert
    await expect(pinning).rejects.toThrow(TransientError);
  });
});

describe('DynamoState.orderCoverage', () => {
  it('reads the COVERAGE item of the order, and nothing held when there is none', async () => {
    // arrange
    const coverage = { 'SKU-1': { clm_a: 1, clm_b: 2 }, 'goodwill#late_delivery': { clm_a: 1 } };
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { pk: 'ORDER#demo#ORD-1001', sk: 'COVERAGE', value: JSON.stringify(coverage), version: 4 } })
      .resolves({});

    // act
    const held = await state.orderCoverage('demo', 'ORD-1001');
    const none = await state.orderCoverage('demo', 'ORD-2002');

    // assert
    expect(held).toEqual(coverage);
    expect(none).toEqual({});
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'ORDER#demo#ORD-1001', sk: 'COVERAGE' },
      ConsistentRead: true,
    });
  });
});

describe('DynamoState.holdUnits', () => {
  const pk = 'ORDER#demo#ORD-1001';
  /** The COVERAGE item at `version` holding `value`. */
  const coverageItem = (value: Record<string, Record<string, number>>, version: number) => ({
    Item: { pk, sk: 'COVERAGE', value: JSON.stringify(value), version },
  });
  const hold = (claimId: string, lines: UnitHold[]) => state.holdUnits({ storefrontId: 'demo', orderId: 'ORD-1001', claimId, lines });
  /** The coverage each PutCommand wrote. */
  const written = () => ddb.commandCalls(PutCommand).map((c) => JSON.parse(String(c.args[0].input.Item?.value)));

  it('creates the coverage of an order with none at version 1, on condition that nobody created it first', async () => {
    // arrange
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // act
    const result = await hold('clm_a', [{ key: 'SKU-1', quantity: 2, limit: 3 }]);

    // assert
    expect(result).toEqual({ ok: true });
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input?.ExpressionAttributeValues).toBeUndefined();
    expect(input?.Item).toMatchObject({ pk, sk: 'COVERAGE', version: 1 });
    expect(written()).toEqual([{ 'SKU-1': { clm_a: 2 } }]);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({ TableName: TABLE, Key: { pk, sk: 'COVERAGE' }, ConsistentRead: true });
  });

  it('writes the next version on condition that the version read is still stored, keeping the other claims’ units', async () => {
    // arrange
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_b: 1 }, 'SKU-2': { clm_b: 1 } }, 3));
    ddb.on(PutCommand).resolves({});

    // act
    const result = await hold('clm_a', [
      { key: 'SKU-1', quantity: 2, limit: 3 },
      { key: 'goodwill#late_delivery', quantity: 1, limit: 1 },
    ]);

    // assert
    expect(result).toEqual({ ok: true });
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('version = :v');
    expect(input?.ExpressionAttributeValues).toEqual({ ':v': 3 });
    expect(input?.Item?.version).toBe(4);
    expect(written()).toEqual([{ 'SKU-1': { clm_b: 1, clm_a: 2 }, 'SKU-2': { clm_b: 1 }, 'goodwill#late_delivery': { clm_a: 1 } }]);
  });

  it('writes nothing, and names every key that does not fit, when one line of several does not fit', async () => {
    // arrange
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_b: 2 }, 'SKU-2': { clm_b: 1 }, 'SKU-3': { clm_c: 1 } }, 2));

    // act
    const result = await hold('clm_a', [
      { key: 'SKU-1', quantity: 1, limit: 3 },
      { key: 'SKU-2', quantity: 1, limit: 1 },
      { key: 'SKU-3', quantity: 2, limit: 2 },
    ]);

    // assert: SKU-1 would fit, but all lines fit or none is held
    expect(result).toEqual({ ok: false, full: ['SKU-2', 'SKU-3'] });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('lets a claim fill a key exactly to its limit, and counts its own earlier units only once', async () => {
    // arrange
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_a: 1, clm_b: 1 } }, 1));
    ddb.on(PutCommand).resolves({});

    // act: 1 held by clm_b plus the 2 clm_a now asks for is the limit of 3
    const result = await hold('clm_a', [{ key: 'SKU-1', quantity: 2, limit: 3 }]);

    // assert
    expect(result).toEqual({ ok: true });
    expect(written()).toEqual([{ 'SKU-1': { clm_a: 2, clm_b: 1 } }]);
  });

  it('is idempotent: holding what the claim already holds succeeds and writes nothing', async () => {
    // arrange
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_a: 2, clm_b: 1 }, 'SKU-2': { clm_a: 1 } }, 5));

    // act
    const result = await hold('clm_a', [
      { key: 'SKU-1', quantity: 2, limit: 3 },
      { key: 'SKU-2', quantity: 1, limit: 1 },
    ]);

    // assert
    expect(result).toEqual({ ok: true });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('releases the claim’s units for a quantity of 0 and leaves the other claims’ units', async () => {
    // arrange
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_a: 2, clm_b: 1 } }, 2));
    ddb.on(PutCommand).resolves({});

    // act
    const result = await hold('clm_a', [{ key: 'SKU-1', quantity: 0, limit: 3 }]);

    // assert
    expect(result).toEqual({ ok: true });
    expect(written()).toEqual([{ 'SKU-1': { clm_b: 1 } }]);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':v': 2 });
  });

  it('releases even where the other claims already fill the key', async () => {
    // arrange
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_a: 1, clm_b: 3 } }, 2));
    ddb.on(PutCommand).resolves({});

    // act
    const result = await hold('clm_a', [{ key: 'SKU-1', quantity: 0, limit: 3 }]);

    // assert
    expect(result).toEqual({ ok: true });
    expect(written()).toEqual([{ 'SKU-1': { clm_b: 3 } }]);
  });

  it('reads again after a lost race and writes on the newer version, with the other claim’s new units', async () => {
    // arrange
    vi.useFakeTimers();
    ddb
      .on(GetCommand)
      .resolvesOnce(coverageItem({ 'SKU-1': { clm_b: 1 } }, 1))
      .resolves(coverageItem({ 'SKU-1': { clm_b: 1 }, 'SKU-2': { clm_c: 1 } }, 2));
    ddb.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // act
    const holding = hold('clm_a', [{ key: 'SKU-1', quantity: 2, limit: 3 }]);
    await vi.runAllTimersAsync();
    const result = await holding;

    // assert
    expect(result).toEqual({ ok: true });
    const conditions = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.ExpressionAttributeValues);
    expect(conditions).toEqual([{ ':v': 1 }, { ':v': 2 }]);
    expect(ddb.commandCalls(PutCommand)[1]?.args[0].input.Item?.version).toBe(3);
    expect(written()[1]).toEqual({ 'SKU-1': { clm_b: 1, clm_a: 2 }, 'SKU-2': { clm_c: 1 } });
  });

  it('decides again on the newer coverage after a lost race: the winner took the last unit', async () => {
    // arrange
    vi.useFakeTimers();
    ddb
      .on(GetCommand)
      .resolvesOnce(coverageItem({ 'SKU-1': { clm_b: 1 } }, 1))
      .resolves(coverageItem({ 'SKU-1': { clm_b: 1, clm_c: 1 } }, 2));
    ddb.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // act
    const holding = hold('clm_a', [{ key: 'SKU-1', quantity: 1, limit: 2 }]);
    await vi.runAllTimersAsync();
    const result = await holding;

    // assert
    expect(result).toEqual({ ok: false, full: ['SKU-1'] });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('throws TransientError after 16 lost races in a row', async () => {
    // arrange
    vi.useFakeTimers();
    ddb.on(GetCommand).resolves(coverageItem({ 'SKU-1': { clm_b: 1 } }, 1));
    ddb.on(PutCommand).rejects(conditionalCheckFailed());

    // act
    const holding = hold('clm_a', [{ key: 'SKU-1', quantity: 1, limit: 3 }]);
    const refused = expect(holding).rejects.toThrow(TransientError);
    await vi.runAllTimersAsync();

    // assert
    await refused;
    expect(ddb.commandCalls(PutCommand)).toHaveLength(16);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(16);
  });

  it('rethrows an error other than a refused condition without trying again', async () => {
    // arrange
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejects(new Error('ThrottlingException'));

    // act
    const holding = hold('clm_a', [{ key: 'SKU-1', quantity: 1, limit: 3 }]);

    // assert
    await expect(holding).rejects.toThrow('ThrottlingException');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
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
