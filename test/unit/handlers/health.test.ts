import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import { httpEvent, stubRuntime } from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);

let handler: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler } = await import('#handlers/health.ts'));
});

afterEach(() => {
  ddb.reset();
  ses.reset();
  restore();
});

describe('GET /health', () => {
  it('answers 200 {ok:true} when the ledger, the state table and the mailer answer', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({});
    ses.on(GetAccountCommand).resolves({});

    // act
    const res = await handler(httpEvent({ method: 'GET', path: '/health' }));

    // assert
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual({ ok: true });
  });

  it('answers 503 naming the dependency that did not answer', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({});
    ses.on(GetAccountCommand).rejects(new Error('connect ECONNREFUSED'));

    // act
    const res = await handler(httpEvent({ method: 'GET', path: '/health' }));

    // assert
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(res.body))).toEqual({ ok: false, unavailable: ['mailer'] });
  });
});
