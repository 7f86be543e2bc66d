import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoState } from '#adapters/dynamo-state.ts';
import type { EmailOverrides } from '#domain/email-templates.ts';
import { InvalidRequestError } from '#domain/errors.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const state = new DynamoState(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'state-table');

const overrides: EmailOverrides = { uk: { rejection: { subject: 'Ваше звернення {order}' } } };

afterEach(() => {
  ddb.reset();
});

describe('a storefront’s email wording in its settings', () => {
  it('is stored with the settings and read back', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: { name: 'Demo Shop', emailOverrides: overrides } });
    // act
    await state.putStorefront({ id: 'demo', name: 'Demo Shop', emailOverrides: overrides });
    const read = await state.storefront('demo');
    // assert
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ emailOverrides: overrides });
    expect(read?.emailOverrides).toEqual(overrides);
  });

  it('is refused before anything is written when a placeholder is wrong', async () => {
    // arrange
    ddb.on(PutCommand).resolves({});
    const bad = { en: { refund_without_return: { body: ['We refund {amount}.'] } } } as unknown as EmailOverrides;
    // act
    const put = state.putStorefront({ id: 'demo', name: 'Demo Shop', emailOverrides: bad });
    // assert
    await expect(put).rejects.toBeInstanceOf(InvalidRequestError);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
