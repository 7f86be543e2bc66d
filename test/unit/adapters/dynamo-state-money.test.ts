/**
 * DynamoState's money items: the customer's goodwill budget (`CUSTOMER#…` / `GOODWILL`, a
 * versioned compare-and-set) and the order's running total as read back for the audit.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoState } from '#adapters/dynamo-state.ts';
import { CurrencyMismatchError, OverRefundError, TransientError } from '#domain/errors.ts';
import { money } from '#domain/money.ts';
import type { GoodwillGrant } from '#ports';

const TABLE = 'state-table';
const DAY_MS = 24 * 60 * 60 * 1000;
const AT = new Date('2026-11-23T12:00:00.000Z');

const ddb = mockClient(DynamoDBDocumentClient);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const state = new DynamoState(db, TABLE);

function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** An ISO time `days` before {@link AT}. */
const daysBefore = (days: number) => new Date(AT.getTime() - days * DAY_MS).toISOString();

afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

describe('DynamoState.goodwillGrants', () => {
  it('reads the customer’s budget item for the currency, and no grants when there is none', async () => {
    // arrange
    const grants: GoodwillGrant[] = [{ grantId: 'clm_a', amount: 500, at: daysBefore(10) }];
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { pk: 'CUSTOMER#demo#C-42#EUR', sk: 'GOODWILL', value: JSON.stringify(grants), version: 1 } })
      .resolves({});

    // act
    const eur = await state.goodwillGrants('demo', 'C-42', 'EUR');
    const usd = await state.goodwillGrants('demo', 'C-42', 'USD');

    // assert
    expect(eur).toEqual(grants);
    expect(usd).toEqual([]);
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: 'CUSTOMER#demo#C-42#EUR', sk: 'GOODWILL' }, ConsistentRead: true },
      { TableName: TABLE, Key: { pk: 'CUSTOMER#demo#C-42#USD', sk: 'GOODWILL' }, ConsistentRead: true },
    ]);
  });
});

describe('DynamoState.grantGoodwill', () => {
  const pk = 'CUSTOMER#demo#C-42#EUR';
  const grant = {
    storefrontId: 'demo',
    customerId: 'C-42',
    grantId: 'clm_new',
    amount: money(1000, 'EUR'),
    at: AT,
    windowDays: 365,
    budget: money(5000, 'EUR'),
  };
  /** The GOODWILL item at `version` holding `grants`. */
  const budgetItem = (grants: GoodwillGrant[], version: number) => ({
    Item: { pk, sk: 'GOODWILL', value: JSON.stringify(grants), version },
  });
  /** The grants each PutCommand wrote. */
  const written = () => ddb.commandCalls(PutCommand).map((c) => JSON.parse(String(c.args[0].input.Item?.value)));
  const mine: GoodwillGrant = { grantId: 'clm_new', amount: 1000, at: AT.toISOString() };

  it('records a customer’s first grant at version 1, on condition that nobody created the budget first', async () => {
    // arrange
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill(grant);

    // assert
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input?.ExpressionAttributeValues).toBeUndefined();
    expect(input?.Item).toMatchObject({ pk, sk: 'GOODWILL', version: 1 });
    expect(written()).toEqual([[mine]]);
  });

  it('appends to the grants in the window on condition that the version read is still stored', async () => {
    // arrange
    const earlier: GoodwillGrant[] = [
      { grantId: 'clm_a', amount: 1500, at: daysBefore(200) },
      { grantId: 'clm_b#2', amount: 1000, at: daysBefore(3) },
    ];
    ddb.on(GetCommand).resolves(budgetItem(earlier, 2));
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill(grant);

    // assert
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('version = :v');
    expect(input?.ExpressionAttributeValues).toEqual({ ':v': 2 });
    expect(input?.Item?.version).toBe(3);
    expect(written()).toEqual([[...earlier, mine]]);
  });

  it('grants up to exactly the budget', async () => {
    // arrange: 4000 spent + 1000 is the budget of 5000
    ddb.on(GetCommand).resolves(budgetItem([{ grantId: 'clm_a', amount: 4000, at: daysBefore(30) }], 1));
    ddb.on(PutCommand).resolves({});

    // act
    const granting = state.grantGoodwill(grant);

    // assert
    await expect(granting).resolves.toBeUndefined();
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('throws OverRefundError and writes nothing when the grant would pass the budget', async () => {
    // arrange: 4001 spent + 1000 passes 5000 by one cent
    ddb.on(GetCommand).resolves(
      budgetItem(
        [
          { grantId: 'clm_a', amount: 4000, at: daysBefore(30) },
          { grantId: 'clm_b', amount: 1, at: daysBefore(365) },
        ],
        4,
      ),
    );

    // act
    const granting = state.grantGoodwill(grant);

    // assert
    await expect(granting).rejects.toThrow(OverRefundError);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('writes nothing for a grant id already recorded (a retry), even when the budget is now spent', async () => {
    // arrange
    ddb.on(GetCommand).resolves(
      budgetItem(
        [
          { grantId: 'clm_new', amount: 1000, at: daysBefore(1) },
          { grantId: 'clm_a', amount: 4500, at: daysBefore(0.5) },
        ],
        2,
      ),
    );

    // act
    const granting = state.grantGoodwill(grant);

    // assert
    await expect(granting).resolves.toBeUndefined();
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('records a later round of a claim as a grant of its own, against the same budget', async () => {
    // arrange
    ddb.on(GetCommand).resolves(budgetItem([{ grantId: 'clm_new', amount: 4000, at: daysBefore(1) }], 1));
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill({ ...grant, grantId: 'clm_new#2' });
    const overBudget = state.grantGoodwill({ ...grant, grantId: 'clm_new#3', amount: money(1001, 'EUR') });

    // assert
    expect(written()[0]).toEqual([
      { grantId: 'clm_new', amount: 4000, at: daysBefore(1) },
      { grantId: 'clm_new#2', amount: 1000, at: AT.toISOString() },
    ]);
    await expect(overBudget).rejects.toThrow(OverRefundError);
  });

  it('no longer counts grants older than the window, and drops them from the item', async () => {
    // arrange: the 4500 granted 365 days and a minute ago would pass the budget if it still counted
    const kept: GoodwillGrant = { grantId: 'clm_edge', amount: 500, at: daysBefore(365) };
    ddb
      .on(GetCommand)
      .resolves(
        budgetItem([{ grantId: 'clm_old', amount: 4500, at: new Date(AT.getTime() - 365 * DAY_MS - 60_000).toISOString() }, kept], 7),
      );
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill(grant);

    // assert: exactly 365 days ago is still inside the window
    expect(written()).toEqual([[kept, mine]]);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':v': 7 });
  });

  it('counts the window of the grant: a shorter window lets more through', async () => {
    // arrange
    ddb.on(GetCommand).resolves(budgetItem([{ grantId: 'clm_a', amount: 4500, at: daysBefore(31) }], 1));
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill({ ...grant, windowDays: 30 });

    // assert
    expect(written()).toEqual([[mine]]);
  });

  it('records without a bound when the policy sets no budget', async () => {
    // arrange
    ddb.on(GetCommand).resolves(budgetItem([{ grantId: 'clm_a', amount: 90_000, at: daysBefore(1) }], 1));
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill({ ...grant, budget: undefined });

    // assert
    expect(written()).toEqual([[{ grantId: 'clm_a', amount: 90_000, at: daysBefore(1) }, mine]]);
  });

  it('throws CurrencyMismatchError before any call for a budget in another currency', async () => {
    // act
    const granting = state.grantGoodwill({ ...grant, budget: money(5000, 'USD') });

    // assert
    await expect(granting).rejects.toThrow(CurrencyMismatchError);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('keeps each currency’s budget in its own item', async () => {
    // arrange
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // act
    await state.grantGoodwill({ ...grant, amount: money(1000, 'USD'), budget: money(5000, 'USD') });

    // assert
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({ pk: 'CUSTOMER#demo#C-42#USD', sk: 'GOODWILL' });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.pk).toBe('CUSTOMER#demo#C-42#USD');
  });

  it('reads again after a lost race and appends to the newer grants on the newer version', async () => {
    // arrange
    vi.useFakeTimers();
    const other: GoodwillGrant = { grantId: 'clm_other', amount: 2000, at: daysBefore(0) };
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves(budgetItem([other], 1));
    ddb.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // act
    const granting = state.grantGoodwill(grant);
    await vi.runAllTimersAsync();
    await granting;

    // assert
    const inputs = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.ConditionExpression)).toEqual(['attribute_not_exists(pk)', 'version = :v']);
    expect(inputs[1]?.ExpressionAttributeValues).toEqual({ ':v': 1 });
    expect(inputs[1]?.Item?.version).toBe(2);
    expect(written()).toEqual([[mine], [other, mine]]);
  });

  it('throws OverRefundError when the grant that won the race spent what was left of the budget', async () => {
    // arrange
    vi.useFakeTimers();
    ddb
      .on(GetCommand)
      .resolvesOnce(budgetItem([{ grantId: 'clm_a', amount: 3000, at: daysBefore(5) }], 1))
      .resolves(
        budgetItem(
          [
            { grantId: 'clm_a', amount: 3000, at: daysBefore(5) },
            { grantId: 'clm_other', amount: 1500, at: daysBefore(0) },
          ],
          2,
        ),
      );
    ddb.on(PutCommand).rejectsOnce(conditionalCheckFailed()).resolves({});

    // act
    const granting = state.grantGoodwill(grant);
    const refused = expect(granting).rejects.toThrow(OverRefundError);
    await vi.runAllTimersAsync();

    // assert
    await refused;
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('throws TransientError after 16 lost races in a row', async () => {
    // arrange
    vi.useFakeTimers();
    ddb.on(GetCommand).resolves(budgetItem([], 3));
    ddb.on(PutCommand).rejects(conditionalCheckFailed());

    // act
    const granting = state.grantGoodwill(grant);
    const refused = expect(granting).rejects.toThrow(TransientError);
    await vi.runAllTimersAsync();

    // assert
    await refused;
    expect(ddb.commandCalls(PutCommand)).toHaveLength(16);
  });
});

describe('DynamoState.orderTotal and orderTotals', () => {
  const totalItem = (orderId: string, claims: string[]) => ({
    pk: `ORDER#demo#${orderId}`,
    sk: 'TOTAL',
    granted: 6000,
    paid: 12999,
    currency: 'EUR',
    claims: new Set(claims),
  });

  it('lists each claim once, without the round of its later grants', async () => {
    // arrange
    ddb.on(GetCommand).resolves({ Item: totalItem('ORD-1001', ['clm_b', 'clm_a#2', 'clm_a', 'clm_a#3']) });

    // act
    const total = await state.orderTotal('demo', 'ORD-1001');

    // assert
    expect(total).toEqual({ granted: 6000, paid: 12999, currency: 'EUR', claims: ['clm_a', 'clm_b'] });
  });

  it('answers undefined for an order nothing was granted on', async () => {
    // arrange
    ddb.on(GetCommand).resolves({});

    // act / assert
    expect(await state.orderTotal('demo', 'ORD-1001')).toBeUndefined();
  });

  it('lists each claim once in a batch of totals too', async () => {
    // arrange
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [totalItem('ORD-1', ['clm_a#2']), totalItem('ORD-2', ['clm_c', 'clm_c#2', 'clm_b'])] },
    });

    // act
    const totals = await state.orderTotals('demo', ['ORD-1', 'ORD-2', 'ORD-3']);

    // assert
    expect(totals.get('ORD-1')?.claims).toEqual(['clm_a']);
    expect(totals.get('ORD-2')?.claims).toEqual(['clm_b', 'clm_c']);
    expect(totals.has('ORD-3')).toBe(false);
  });
});
