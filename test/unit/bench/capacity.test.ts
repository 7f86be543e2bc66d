import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamo } from '#local/emulators.ts';
import { startCapacityMeter } from '../../../bench/capacity.ts';

// The meter prices by AWS's rules: 1 write unit per KB of the item on the table, and as much again
// on every index that projects it; 1 read unit per 4 KB read strongly consistent, half that eventually.
let dir: string;
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let meter: Awaited<ReturnType<typeof startCapacityMeter>>;
let client: DynamoDBClient;
const TABLE = 'metered';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-capacity-'));
  dynamo = await startDynamo(dir, 0);
  meter = await startCapacityMeter(dynamo.url);
  client = new DynamoDBClient({ endpoint: meter.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: ['pk', 'sk', 'a', 'b', 'c'].map((n) => ({ AttributeName: n, AttributeType: 'S' as const })),
      GlobalSecondaryIndexes: [
        { IndexName: 'byA', KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'byB', KeySchema: [{ AttributeName: 'b', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'byC', KeySchema: [{ AttributeName: 'c', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    }),
  );
});
afterAll(async () => {
  client?.destroy();
  await meter?.close();
  await dynamo?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Write and read units a call consumed. */
async function units(call: () => Promise<unknown>): Promise<{ write: number; read: number }> {
  const before = meter.counts();
  await call();
  const after = meter.counts();
  return { write: after.writeUnits - before.writeUnits, read: after.readUnits - before.readUnits };
}

const key = { pk: { S: 'claim' }, sk: { S: '1' } };
const body = { S: 'x'.repeat(1500) }; // the item is just over 1 KB: 2 units a copy

describe('the capacity meter', () => {
  it('prices a put on the table and on each index the item is in, by what each index projects', async () => {
    // act: in byA (ALL, 2 units) and byC (KEYS_ONLY, 1 unit); no `b`, so not in byB
    const put = await units(() =>
      client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, a: { S: 'a1' }, c: { S: 'c1' }, body } })),
    );
    // assert
    expect(put.write).toBe(2 + 2 + 1);
  });

  it('prices an update that moves the item to another index key as a delete and a put there, and leaves an unchanged projection free', async () => {
    const update = await units(() =>
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key,
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': { S: 'a2' } },
        }),
      ),
    );
    // table 2; byA: delete 2 + put 2; byC: its keys and projection are unchanged
    expect(update.write).toBe(2 + 4);
  });

  it('charges the table alone for a write whose condition fails, and the call still fails', async () => {
    let failed = false;
    const refused = await units(async () => {
      try {
        await client.send(
          new PutItemCommand({ TableName: TABLE, Item: { ...key, body }, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
      } catch (err) {
        failed = (err as Error).name === 'ConditionalCheckFailedException';
      }
    });
    expect(failed).toBe(true);
    expect(refused.write).toBe(2);
  });

  it('prices reads at 4 KB a unit, halved when eventually consistent, and hides the figure from a caller who did not ask', async () => {
    const strong = await units(() => client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true })));
    const eventual = await units(() => client.send(new GetItemCommand({ TableName: TABLE, Key: key })));
    const answer = await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));
    const query = await units(() =>
      client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': key.pk } })),
    );
    expect(strong.read).toBe(1);
    expect(eventual.read).toBe(0.5);
    expect(query.read).toBe(0.5);
    expect(answer.ConsumedCapacity).toBeUndefined();
    expect(answer.Item?.body?.S).toHaveLength(1500);
  });

  it('prices a delete on the table and on every index the item leaves', async () => {
    const deleted = await units(() => client.send(new DeleteItemCommand({ TableName: TABLE, Key: key })));
    expect(deleted.write).toBe(2 + 2 + 1);
  });
});
