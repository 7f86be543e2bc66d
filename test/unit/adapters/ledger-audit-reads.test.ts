import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoLedger, entryItem } from '#adapters/dynamo-ledger.ts';
import { DynamoState } from '#adapters/dynamo-state.ts';
import { chainEntry } from '#domain/ledger.ts';
import { demoClaim } from '../handlers/support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

afterEach(() => {
  ddb.reset();
});

describe('the reads the ledger audit adds to the adapters', () => {
  it("storefrontEntries with withFiling says where each entry is stored, from the item's key", async () => {
    // arrange: the second item's content is seq 2 of CLM-1, but it is stored under seq 3
    const ref = { claimId: 'CLM-1', storefrontId: 'demo', orderId: 'O-1', customerId: 'C-1', currency: 'EUR' };
    const claim = demoClaim();
    const data = {
      claim: { ...claim, order: { ...claim.order, id: 'O-1' }, customer: { ...claim.customer, id: 'C-1' } },
      idempotencyKey: 'k',
    };
    const draft = { type: 'received', step: 's', status: 'received', actor: { kind: 'system' }, policyVersion: null, data } as const;
    const first = chainEntry(ref, undefined, draft, new Date('2026-11-20T10:00:00Z'));
    const second = chainEntry(ref, first, { ...draft, step: 't' }, new Date('2026-11-20T10:01:00Z'));
    ddb.on(QueryCommand).resolves({ Items: [entryItem(first), { ...entryItem(second), sk: 'E#00000003' }] });
    const ledger = new DynamoLedger(db, 'ledger', { now: () => new Date() });
    const window = { storefrontId: 'demo', from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-21T00:00:00Z') };
    // act
    const plain = await ledger.storefrontEntries(window);
    const filed = await ledger.storefrontEntries({ ...window, withFiling: true });
    // assert
    expect(plain.filed).toBeUndefined();
    expect(plain.entries).toEqual([first, second]);
    expect(filed.filed).toEqual([
      { claimId: 'CLM-1', seq: 1 },
      { claimId: 'CLM-1', seq: 3 },
    ]);
  });

  it('orderTotals reads 100 keys per BatchGetItem, consistently, and retries unprocessed keys', async () => {
    // arrange
    const ids = Array.from({ length: 150 }, (_, i) => `O-${i}`);
    const item = (id: string) => ({
      pk: `ORDER#demo#${id}`,
      sk: 'TOTAL',
      granted: 100,
      paid: 500,
      currency: 'EUR',
      claims: new Set([`c-${id}`]),
    });
    let call = 0;
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
      const keys = input.RequestItems.state?.Keys ?? [];
      call++;
      // The first answer leaves its last key unprocessed, as DynamoDB may under load.
      const served = call === 1 ? keys.slice(0, -1) : keys;
      return {
        Responses: { state: served.filter((k) => k.pk !== 'ORDER#demo#O-7').map((k) => item(k.pk.replace('ORDER#demo#', ''))) },
        ...(call === 1 ? { UnprocessedKeys: { state: { Keys: keys.slice(-1) } } } : {}),
      };
    });
    // act
    const totals = await new DynamoState(db, 'state').orderTotals('demo', ids);
    // assert
    const calls = ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.state);
    expect(calls.map((c) => c?.Keys?.length)).toEqual([100, 1, 50]);
    expect(calls.every((c) => c?.ConsistentRead === true)).toBe(true);
    expect(totals.size).toBe(149);
    expect(totals.has('O-7')).toBe(false);
    expect(totals.get('O-99')).toEqual({ granted: 100, paid: 500, currency: 'EUR', claims: ['c-O-99'] });
  });
});
