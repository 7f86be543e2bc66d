import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoOutbox } from '#adapters/dynamo-outbox.ts';
import { stateTableSchema } from '#adapters/table-schema.ts';
import type { OutboxEvent, OutboxUpdate } from '#ports';
import { conditionalCheckFailed } from '../handlers/support.ts';

const TABLE = 'state-table';
const NOW = new Date('2026-11-10T12:00:00.000Z');
const { partitionKey: QUEUE, sortKey: DUE } = stateTableSchema.indexes.byOutboxQueue;

const ddb = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const outbox = new DynamoOutbox(db, TABLE);

const event: OutboxEvent = {
  storefrontId: 'demo',
  claimId: 'clm_1',
  step: 'decided#1',
  type: 'claim.decided',
  status: 'pending',
  stagedAt: '2026-11-10T11:00:00.000Z',
  windowStart: '2026-11-10T11:00:00.000Z',
  dueAt: '2026-11-10T11:00:00.000Z',
  attempts: 0,
};

/** The one UpdateCommand sent, with its SET and REMOVE clauses resolved to attribute names and values. */
function sentUpdate() {
  const calls = ddb.commandCalls(UpdateCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input;
  if (!input) throw new Error('no update');
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const m = /^SET (.*?)(?: REMOVE (.*))?$/.exec(input.UpdateExpression ?? '');
  const set: Record<string, unknown> = {};
  for (const clause of m?.[1]?.split(', ') ?? []) {
    const [name, value] = clause.split(' = ');
    set[names[name ?? ''] ?? name ?? ''] = values[value ?? ''];
  }
  const removed = (m?.[2]?.split(', ') ?? []).map((n) => names[n] ?? n);
  return { input, set, removed };
}

afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

describe('DynamoOutbox.stage', () => {
  it('puts a pending event, due now, in its storefront’s pending queue, only if none is there or it was voided', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});

    // act
    await outbox.stage({ storefrontId: 'demo', claimId: 'clm_1', step: 'decided#1', type: 'claim.decided', at: NOW });

    // assert
    const puts = ddb.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.Item).toEqual({
      pk: 'EVENT#clm_1',
      sk: 'decided#1',
      storefrontId: 'demo',
      claimId: 'clm_1',
      step: 'decided#1',
      type: 'claim.decided',
      status: 'pending',
      stagedAt: NOW.toISOString(),
      windowStart: NOW.toISOString(),
      dueAt: NOW.toISOString(),
      attempts: 0,
      [QUEUE]: 'pending#demo',
      [DUE]: `${NOW.toISOString()}#clm_1#decided#1`,
    });
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk) OR #status = :voided');
    expect(input?.ExpressionAttributeNames).toEqual({ '#status': 'status' });
    expect(input?.ExpressionAttributeValues).toEqual({ ':voided': 'voided' });
  });

  it('changes nothing, and does not throw, when the step was staged before (ConditionalCheckFailed)', async () => {
    // arrange
    ddb.on(PutCommand).rejects(conditionalCheckFailed());

    // act
    const staging = outbox.stage({ storefrontId: 'demo', claimId: 'clm_1', step: 'decided#1', type: 'claim.decided', at: NOW });

    // assert
    await expect(staging).resolves.toBeUndefined();
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('lets any other error through (the step must not append an entry without its event)', async () => {
    // arrange
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceeded'));

    // act
    const staging = outbox.stage({ storefrontId: 'demo', claimId: 'clm_1', step: 'decided#1', type: 'claim.decided', at: NOW });

    // assert
    await expect(staging).rejects.toThrow('ProvisionedThroughputExceeded');
  });
});

describe('DynamoOutbox.due and list', () => {
  it('queries byOutboxQueue for the storefront’s pending queue, up to and including everything due at now', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'EVENT#clm_1',
          sk: 'received',
          storefrontId: 'demo',
          claimId: 'clm_1',
          step: 'received',
          type: 'claim.received',
          status: 'pending',
          stagedAt: '2026-11-10T11:00:00.000Z',
          dueAt: '2026-11-10T11:59:00.000Z',
          attempts: 2,
          eventId: 'evt_clm_1_1',
          payload: '{"type":"claim.received"}',
          lastResult: 'HTTP 500',
          leaseHolder: 'someone',
          leaseUntil: 1,
          [QUEUE]: 'pending#demo',
          [DUE]: '2026-11-10T11:59:00.000Z#clm_1#received',
        },
      ],
    });

    // act
    const due = await outbox.due('demo', NOW, 20);

    // assert
    const input = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      IndexName: 'byOutboxQueue',
      KeyConditionExpression: '#q = :q AND #d <= :upTo',
      ExpressionAttributeNames: { '#q': QUEUE, '#d': DUE },
      ExpressionAttributeValues: { ':q': 'pending#demo', ':upTo': `${NOW.toISOString()}#~` },
      Limit: 20,
    });
    expect(input?.ScanIndexForward).not.toBe(false); // oldest due first
    expect(due).toEqual([
      {
        storefrontId: 'demo',
        claimId: 'clm_1',
        step: 'received',
        type: 'claim.received',
        status: 'pending',
        stagedAt: '2026-11-10T11:00:00.000Z',
        windowStart: '2026-11-10T11:00:00.000Z', // an item without one counts from staging
        dueAt: '2026-11-10T11:59:00.000Z',
        attempts: 2,
        eventId: 'evt_clm_1_1',
        payload: '{"type":"claim.received"}',
        lastResult: 'HTTP 500',
      },
    ]);
  });

  it('bounds the due read so that an event staged at now is in, and one staged a millisecond later is out', async () => {
    // arrange: the due keys stage writes (claim ids and steps from the top of their alphabets)
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    const later = new Date(NOW.getTime() + 1);
    await outbox.stage({ storefrontId: 'demo', claimId: 'clm_zzzz-ZZZZ_9999', step: 'email:outcome#2', type: 'claim.settled', at: NOW });
    await outbox.stage({ storefrontId: 'demo', claimId: 'clm_0', step: 'received', type: 'claim.received', at: later });

    // act
    await outbox.due('demo', NOW, 10);

    // assert
    const [atNow, afterNow] = ddb.commandCalls(PutCommand).map((c) => String(c.args[0].input.Item?.[DUE]));
    const upTo = String(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':upTo']);
    expect(String(atNow) <= upTo).toBe(true);
    expect(String(afterNow) <= upTo).toBe(false);
  });

  it.each(['pending', 'failed'] as const)('lists the %s queue, oldest first, without a bound', async (status) => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });

    // act
    const listed = await outbox.list('demo', status, 50);

    // assert
    expect(listed).toEqual([]);
    const input = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      IndexName: 'byOutboxQueue',
      KeyConditionExpression: '#q = :q',
      ExpressionAttributeValues: { ':q': `${status}#demo` },
      Limit: 50,
    });
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':upTo');
    // DynamoDB refuses a name the expression does not use.
    expect(input?.ExpressionAttributeNames).toEqual({ '#q': 'outboxQueue' });
  });

  it('reads every event of a claim by its key, consistently, page after page', async () => {
    // arrange
    const item = (step: string) => ({ pk: 'EVENT#clm_1', sk: step, storefrontId: 'demo', claimId: 'clm_1', step, status: 'delivered' });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [item('decided#1')], LastEvaluatedKey: { pk: 'EVENT#clm_1', sk: 'decided#1' } })
      .resolvesOnce({ Items: [item('received')] });

    // act
    const events = await outbox.claimEvents('clm_1');

    // assert
    expect(events.map((e) => e.step)).toEqual(['decided#1', 'received']);
    const calls = ddb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'EVENT#clm_1' },
      ConsistentRead: true,
    });
    expect(calls[0]?.args[0].input.IndexName).toBeUndefined();
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'EVENT#clm_1', sk: 'decided#1' });
  });
});

describe('DynamoOutbox.takeLane and releaseLane', () => {
  const until = new Date(NOW.getTime() + 55_000);

  it('takes the lane when it is free, ran out, or already ours', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    const taken = await outbox.takeLane('demo', 'holder-1', until, NOW);

    // assert
    expect(taken).toBe(true);
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      Key: { pk: 'WEBHOOK#demo', sk: 'LANE' },
      UpdateExpression: 'SET holder = :h, leaseUntil = :until',
      ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR holder = :h',
      ExpressionAttributeValues: { ':h': 'holder-1', ':until': until.getTime(), ':now': NOW.getTime() },
    });
  });

  it('answers false when another holds it (ConditionalCheckFailed)', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());

    // act
    const taken = await outbox.takeLane('demo', 'holder-1', until, NOW);

    // assert
    expect(taken).toBe(false);
  });

  it('lets other errors through', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    // act
    const taking = outbox.takeLane('demo', 'holder-1', until, NOW);

    // assert
    await expect(taking).rejects.toThrow('throttled');
  });

  it('releases only its own lane: one another took over is left alone, without an error', async () => {
    // arrange
    ddb.on(UpdateCommand).rejectsOnce(conditionalCheckFailed()).rejectsOnce(new Error('throttled'));

    // act
    const released = outbox.releaseLane('demo', 'holder-1');
    const failing = outbox.releaseLane('demo', 'holder-1');

    // assert
    await expect(released).resolves.toBeUndefined();
    await expect(failing).rejects.toThrow('throttled');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'WEBHOOK#demo', sk: 'LANE' },
      UpdateExpression: 'REMOVE leaseUntil, holder',
      ConditionExpression: 'holder = :h',
      ExpressionAttributeValues: { ':h': 'holder-1' },
    });
  });
});

describe('DynamoOutbox.lease', () => {
  const until = new Date(NOW.getTime() + 15_000);

  it('takes a pending event that is due by the item itself and whose lease is absent or ran out, and returns it as stored', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({ Attributes: { pk: 'EVENT#clm_1', sk: 'decided#1', ...event, attempts: 3, leaseHolder: 'holder-1' } });

    // act
    const leased = await outbox.lease(event, 'holder-1', until, NOW);

    // assert
    expect(leased).toMatchObject({ claimId: 'clm_1', step: 'decided#1', attempts: 3 });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      Key: { pk: 'EVENT#clm_1', sk: 'decided#1' },
      UpdateExpression: 'SET leaseHolder = :h, leaseUntil = :until',
      ConditionExpression: '#status = :pending AND dueAt <= :nowIso AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':h': 'holder-1',
        ':until': until.getTime(),
        ':now': NOW.getTime(),
        ':nowIso': NOW.toISOString(),
        ':pending': 'pending',
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('answers false when the event is no longer pending or another holds it (ConditionalCheckFailed)', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());

    // act
    const leased = await outbox.lease(event, 'holder-1', until, NOW);

    // assert
    expect(leased).toBeUndefined();
  });

  it('lets other errors through', async () => {
    // arrange
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    // act
    const leasing = outbox.lease(event, 'holder-1', until, NOW);

    // assert
    await expect(leasing).rejects.toThrow('throttled');
  });
});

describe('DynamoOutbox.settle', () => {
  const at = new Date('2026-11-10T12:00:01.000Z');
  const fixed = { eventId: 'evt_clm_1_2', payload: '{"type":"claim.decided"}' };

  it('keeps a pending event in the pending queue under its new due time, and drops the lease', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});
    const dueAt = new Date('2026-11-10T12:00:06.000Z');
    const update: OutboxUpdate = { status: 'pending', attempts: 1, ...fixed, dueAt, lastAttemptAt: at, lastResult: 'HTTP 500' };

    // act
    await outbox.settle(event, 'holder-1', update);

    // assert
    const { input, set, removed } = sentUpdate();
    expect(input.Key).toEqual({ pk: 'EVENT#clm_1', sk: 'decided#1' });
    expect(input.ConditionExpression).toBe('leaseHolder = :h');
    expect(input.ExpressionAttributeValues?.[':h']).toBe('holder-1');
    expect(set).toEqual({
      status: 'pending',
      attempts: 1,
      ...fixed,
      lastAttemptAt: at.toISOString(),
      lastResult: 'HTTP 500',
      dueAt: dueAt.toISOString(),
      [QUEUE]: 'pending#demo',
      [DUE]: `${dueAt.toISOString()}#clm_1#decided#1`,
    });
    expect(removed.sort()).toEqual(['leaseHolder', 'leaseUntil']);
  });

  it('keeps a pending event without a new due time due when it was (no wall clock is read)', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});
    const dueAt = '2026-12-02T10:00:00.000Z';

    // act
    await outbox.settle({ ...event, dueAt }, 'holder-1', { status: 'pending', attempts: 0 });

    // assert
    expect(sentUpdate().set).toMatchObject({ dueAt, [DUE]: `${dueAt}#clm_1#decided#1` });
  });

  it('moves a failed event to the failed queue, listed by when it failed, and drops its due time', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    await outbox.settle(event, 'holder-1', { status: 'failed', attempts: 9, ...fixed, lastAttemptAt: at, lastResult: 'HTTP 410' });

    // assert
    const { set, removed } = sentUpdate();
    expect(set).toMatchObject({ status: 'failed', attempts: 9, [QUEUE]: 'failed#demo', [DUE]: `${at.toISOString()}#clm_1#decided#1` });
    expect(set).not.toHaveProperty('dueAt');
    expect(removed.sort()).toEqual(['dueAt', 'leaseHolder', 'leaseUntil']);
  });

  it('takes a delivered event out of the index (its queue and due key removed)', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    await outbox.settle(event, 'holder-1', {
      status: 'delivered',
      attempts: 1,
      ...fixed,
      lastAttemptAt: at,
      lastResult: 'HTTP 200',
      deliveredAt: at,
    });

    // assert
    const { set, removed } = sentUpdate();
    expect(set).toEqual({
      status: 'delivered',
      attempts: 1,
      ...fixed,
      lastAttemptAt: at.toISOString(),
      lastResult: 'HTTP 200',
      deliveredAt: at.toISOString(),
    });
    expect(removed.sort()).toEqual(['dueAt', 'leaseHolder', 'leaseUntil', QUEUE, DUE].sort());
  });

  it.each(['skipped', 'voided'] as const)('takes a %s event out of the index too', async (status) => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    await outbox.settle(event, 'holder-1', { status, attempts: 0, lastResult: 'no webhook endpoint is set' });

    // assert
    const { set, removed } = sentUpdate();
    expect(set).toEqual({ status, attempts: 0, lastResult: 'no webhook endpoint is set' });
    expect(removed).toEqual(expect.arrayContaining([QUEUE, DUE, 'dueAt']));
  });

  it('ignores a settle after the lease was lost (ConditionalCheckFailed), and lets other errors through', async () => {
    // arrange
    ddb.on(UpdateCommand).rejectsOnce(conditionalCheckFailed()).rejectsOnce(new Error('throttled'));
    const update: OutboxUpdate = { status: 'delivered', attempts: 1, deliveredAt: at };

    // act
    const lost = outbox.settle(event, 'holder-1', update);
    const failing = outbox.settle(event, 'holder-1', update);

    // assert
    await expect(lost).resolves.toBeUndefined();
    await expect(failing).rejects.toThrow('throttled');
  });
});

describe('DynamoOutbox.redeliver', () => {
  it('makes an event pending again, due now, with a new retry window, in the pending queue', async () => {
    // arrange
    ddb.on(UpdateCommand).resolves({});

    // act
    await outbox.redeliver({ ...event, status: 'failed' }, NOW);

    // assert
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Key: { pk: 'EVENT#clm_1', sk: 'decided#1' },
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':at': NOW.toISOString(),
        ':q': 'pending#demo',
        ':d': `${NOW.toISOString()}#clm_1#decided#1`,
      },
    });
    expect(input?.UpdateExpression).toContain('windowStart = :at');
    // Attempts count from nought again, so the first retry of a redelivery waits seconds.
    expect(input?.UpdateExpression).toContain('attempts = :zero');
    expect(input?.ExpressionAttributeValues?.[':zero']).toBe(0);
    // Every value the expressions use is defined (DynamoDB refuses the update otherwise).
    const used = `${input?.UpdateExpression} ${input?.ConditionExpression}`.match(/:\w+/g) ?? [];
    for (const name of used) expect(input?.ExpressionAttributeValues).toHaveProperty([name]);
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#q': QUEUE, '#d': DUE });
  });
});
