import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoLedger, entryItem } from '#adapters/dynamo-ledger.ts';
import { type ClaimRef, chainEntry, type EntryDraft, GENESIS_HASH, type LedgerEntry, verifyChain } from '#domain/ledger.ts';
import { decision, demoClaim } from '../handlers/support.ts';

const TABLE = 'ledger-table';
const NOW = new Date('2026-11-10T12:00:00.000Z');
const clock = { now: () => NOW };

const ddb = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const ledger = new DynamoLedger(db, TABLE, clock);

const ref: ClaimRef = { claimId: 'clm_1', storefrontId: 'demo', orderId: 'ORD-1001', customerId: 'C-42', currency: 'EUR' };

function draft(step: string, type: 'received' | 'decided' = 'decided'): EntryDraft {
  const fields = { step, status: 'assessing', actor: { kind: 'system' }, policyVersion: 1 } as const;
  return type === 'received'
    ? { ...fields, type, data: { claim: demoClaim(), idempotencyKey: `key-${step}` } }
    : { ...fields, type, data: { decision: decision(9000, 'agent') } };
}

/** Entries as the adapter itself chains them, for Query answers. */
function chain(claim: ClaimRef, steps: string[], at = new Date('2026-11-09T08:00:00.000Z')): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const step of steps) out.push(chainEntry(claim, out.at(-1), draft(step, step === 'received' ? 'received' : 'decided'), at));
  return out;
}

function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

afterEach(() => {
  ddb.reset();
});

describe('DynamoLedger.append', () => {
  it('writes the first entry with a conditional put under CLAIM#<id> / E#00000001 and every index attribute', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});

    // act
    const entry = await ledger.append(ref, draft('received', 'received'));

    // assert
    const puts = ddb.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input?.Item).toMatchObject({
      pk: 'CLAIM#clm_1',
      sk: 'E#00000001',
      orderKey: 'demo#ORD-1001',
      customerKey: 'demo#C-42',
      dayKey: 'demo#2026-11-10',
      timeKey: '2026-11-10T12:00:00.000Z#clm_1#00000001',
      seq: 1,
      prevHash: GENESIS_HASH,
      hash: entry.hash,
    });
    expect(entry).toMatchObject({ seq: 1, at: NOW.toISOString(), step: 'received' });
    expect(verifyChain([entry])).toBeUndefined();
  });

  it('reads the claim strongly consistently before chaining onto its last entry', async () => {
    // arrange
    const [received] = chain(ref, ['received']);
    ddb.on(QueryCommand).resolves({ Items: [entryItem(received as LedgerEntry)] });
    ddb.on(PutCommand).resolves({});

    // act
    const entry = await ledger.append(ref, draft('decided#1'));

    // assert
    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query).toMatchObject({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'CLAIM#clm_1' },
      ConsistentRead: true,
    });
    expect(entry.seq).toBe(2);
    expect(entry.prevHash).toBe(received?.hash);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ sk: 'E#00000002' });
  });

  it('returns the recorded entry and writes nothing when the step is already recorded', async () => {
    // arrange
    const recorded = chain(ref, ['received', 'decided#1']);
    ddb.on(QueryCommand).resolves({ Items: recorded.map(entryItem) });

    // act
    const entry = await ledger.append(ref, draft('decided#1'));

    // assert
    expect(entry).toEqual(recorded[1]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('re-reads and chains onto the winner when another writer took the sequence number', async () => {
    // arrange
    const [winner] = chain(ref, ['received']);
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [] })
      .resolves({ Items: [entryItem(winner as LedgerEntry)] });
    ddb.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // act
    const entry = await ledger.append(ref, draft('decided#1'));

    // assert
    const puts = ddb.commandCalls(PutCommand);
    expect(puts).toHaveLength(2);
    expect(puts[0]?.args[0].input.Item).toMatchObject({ sk: 'E#00000001' });
    expect(puts[1]?.args[0].input.Item).toMatchObject({ sk: 'E#00000002', seq: 2, prevHash: winner?.hash });
    expect(entry.seq).toBe(2);
    expect(entry.prevHash).toBe(winner?.hash);
    expect(verifyChain([winner as LedgerEntry, entry])).toBeUndefined();
  });

  it('chains onto the entries the caller already read, without reading the ledger again', async () => {
    // arrange
    const known = chain(ref, ['received', 'decided#1']);
    ddb.on(PutCommand).resolves({});

    // act
    const entry = await ledger.append(ref, draft('decided#2'), known);

    // assert
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(entry).toMatchObject({ seq: 3, prevHash: known[1]?.hash });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ sk: 'E#00000003' });
  });

  it('returns a step the caller already read as recorded, writing nothing', async () => {
    // arrange
    const known = chain(ref, ['received', 'decided#1']);

    // act
    const entry = await ledger.append(ref, draft('decided#1'), known);

    // assert
    expect(entry).toEqual(known[1]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('reads the ledger when the caller’s entries were stale and another writer recorded the same step', async () => {
    // arrange
    const stale = chain(ref, ['received']);
    const current = chain(ref, ['received', 'decided#1']);
    ddb.on(PutCommand).rejects(conditionalCheckFailed());
    ddb.on(QueryCommand).resolves({ Items: current.map(entryItem) });

    // act
    const entry = await ledger.append(ref, draft('decided#1'), stale);

    // assert
    expect(entry).toEqual(current[1]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('gives up with a TransientError when every attempt loses the race', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(conditionalCheckFailed());

    // act
    const appending = ledger.append(ref, draft('decided#1'));

    // assert
    await expect(appending).rejects.toMatchObject({ name: 'TransientError' });
    expect(ddb.commandCalls(PutCommand).length).toBeGreaterThan(1);
  });

  it('rethrows any other put error without retrying', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // act
    const appending = ledger.append(ref, draft('decided#1'));

    // assert
    await expect(appending).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });
});

describe('DynamoLedger.entries', () => {
  it('follows LastEvaluatedKey and returns the entries without key attributes', async () => {
    // arrange
    const entries = chain(ref, ['received', 'decided#1', 'decided#2']);
    const lastKey = { pk: 'CLAIM#clm_1', sk: 'E#00000002' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: entries.slice(0, 2).map(entryItem), LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: entries.slice(2).map(entryItem) });

    // act
    const read = await ledger.entries('clm_1');

    // assert
    expect(read).toEqual(entries);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual(lastKey);
  });
});

describe('DynamoLedger.customerEntries', () => {
  it('queries the byCustomer index from `since`, page by page, and never scans', async () => {
    // arrange
    const first = chain(ref, ['received', 'decided#1']);
    const other = chain({ ...ref, claimId: 'clm_2' }, ['received'], new Date('2026-11-09T09:00:00.000Z'));
    const lastKey = { customerKey: 'demo#C-42', timeKey: 'k', pk: 'CLAIM#clm_1', sk: 'E#00000002' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: first.map(entryItem), LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: other.map(entryItem) });
    const since = new Date('2026-08-12T00:00:00.000Z');

    // act
    const read = await ledger.customerEntries('demo', 'C-42', since);

    // assert
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatchObject({
      TableName: TABLE,
      IndexName: 'byCustomer',
      KeyConditionExpression: 'customerKey = :p AND timeKey BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': 'demo#C-42', ':from': since.toISOString(), ':to': '\uffff' },
    });
    expect(queries[0]?.ExclusiveStartKey).toBeUndefined();
    expect(queries[1]?.ExclusiveStartKey).toEqual(lastKey);
    expect(read).toEqual([...first, ...other]);
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });
});
