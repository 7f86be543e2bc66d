import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chainOf,
  claimRef,
  conditionalCheckFailed,
  decidedDraft,
  decision,
  itemsOf,
  LEDGER_TABLE,
  policyItem,
  receivedDraft,
  STATE_TABLE,
  stubRuntime,
} from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);

type Task = (event: unknown) => Promise<unknown>;
let restore: () => void;

beforeEach(() => {
  restore = stubRuntime();
});

afterEach(() => {
  ddb.reset();
  ses.reset();
  restore();
});

describe('workflow task handlers', () => {
  it('reject a payload without claimId with a ZodError before touching any table', async () => {
    // arrange
    const { handler } = (await import('#handlers/conclude.ts')) as { handler: Task };

    // act
    const running = handler({ storefrontId: 'demo' });

    // assert
    await expect(running).rejects.toMatchObject({ name: 'ZodError', message: expect.stringContaining('claimId') });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('let OverRefundError from the use case propagate by name, after recording the refusal', async () => {
    // arrange
    const { handler } = (await import('#handlers/conclude.ts')) as { handler: Task };
    const entries = itemsOf(chainOf(claimRef('clm_over'), [receivedDraft(), decidedDraft(decision(2500, 'auto'))]));
    ddb.on(QueryCommand, { TableName: LEDGER_TABLE }).resolves({ Items: entries });
    ddb
      .on(GetCommand)
      .callsFake((input: { Key: { pk: string; sk: string } }) =>
        input.Key.pk === 'ORDER#demo#ORD-1001' && input.Key.sk === 'TOTAL'
          ? { Item: { pk: input.Key.pk, sk: 'TOTAL', granted: 11000, claims: new Set(['clm_other']) } }
          : {},
      );
    ddb.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddb.on(PutCommand).resolves({});

    // act
    const running = handler({ claimId: 'clm_over', storefrontId: 'demo' });

    // assert
    await expect(running).rejects.toMatchObject({ name: 'OverRefundError' });
    const appended = ddb.commandCalls(PutCommand, { TableName: LEDGER_TABLE }).map((c) => c.args[0].input.Item?.type);
    expect(appended).toEqual(['settlement_refused']);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('Assess decides with the current policy, reads history by the customer index and appends the decision', async () => {
    // arrange
    const { handler } = (await import('#handlers/assess.ts')) as { handler: Task };
    const entries = itemsOf(chainOf(claimRef('clm_new'), [receivedDraft()]));
    ddb.on(QueryCommand).callsFake((input: { TableName: string; IndexName?: string }) => {
      if (input.TableName === STATE_TABLE) return { Items: [policyItem(1)] };
      return { Items: entries };
    });
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // act
    const result = await handler({ claimId: 'clm_new', storefrontId: 'demo' });

    // assert
    expect(result).toMatchObject({ claimId: 'clm_new', storefrontId: 'demo' });
    const decided = ddb.commandCalls(PutCommand, { TableName: LEDGER_TABLE }).map((c) => c.args[0].input.Item);
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ type: 'decided', step: 'decided#1', policyVersion: 1, seq: 2 });
    expect(ddb.commandCalls(QueryCommand, { IndexName: 'byCustomer' })).toHaveLength(1);
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });
});
