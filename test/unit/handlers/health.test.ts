import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import { FINANCE_KEY, httpEvent, stubRuntime } from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);

let health: (event: HttpEvent) => Promise<HttpResult>;
let deep: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler: health } = await import('#handlers/health.ts'));
  ({ handler: deep } = await import('#handlers/health-deep.ts'));
});

afterEach(() => {
  ddb.reset();
  ses.reset();
  restore();
});

const withKey = (key: string) => httpEvent({ method: 'GET', path: '/health/deep', headers: { authorization: `Bearer ${key}` } });

describe('GET /health', () => {
  it('answers 200 {ok:true} from the function alone, even with every dependency down', async () => {
    // arrange
    ddb.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));
    ses.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));

    // act
    const res = await health(httpEvent({ method: 'GET', path: '/health' }));

    // assert
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual({ ok: true });
    expect(ddb.calls()).toHaveLength(0);
    expect(ses.calls()).toHaveLength(0);
  });
});

describe('GET /health/deep', () => {
  it('answers 200 {ok:true} to finance when the ledger, the state table and the mailer answer', async () => {
    // arrange
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({});
    ses.on(GetAccountCommand).resolves({});

    // act
    const res = await deep(withKey(FINANCE_KEY));

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
    const res = await deep(withKey(FINANCE_KEY));

    // assert
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(res.body))).toEqual({ ok: false, unavailable: ['mailer'] });
  });

  it('answers 401 with a Bearer challenge without the finance key, before calling anything', async () => {
    // act
    const none = await deep(httpEvent({ method: 'GET', path: '/health/deep' }));
    const wrong = await deep(withKey('not-the-key'));

    // assert
    for (const res of [none, wrong]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers?.['www-authenticate']).toBe('Bearer realm="makegood-finance"');
    }
    expect(ddb.calls()).toHaveLength(0);
    expect(ses.calls()).toHaveLength(0);
  });
});
