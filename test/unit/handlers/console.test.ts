import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formNonceFor, newSession } from '#domain/people-tokens.ts';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import { APPROVAL_KEYS, httpEvent, NOW, stubRuntime } from './support.ts';

/**
 * The console's form posts, before anything is decided: a form with a field sent twice is refused
 * before its nonce is spent, and the same-origin check is the one the approval page uses.
 */
const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);

let handler: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

const KEY = APPROVAL_KEYS;
const ORIGIN = 'https://api.demo.test';
const { session, cookie } = newSession({ storefrontId: 'demo', email: 'agent@demo.test' }, KEY, NOW);

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler } = await import('#handlers/console.ts'));
  ddb
    .on(GetCommand)
    .callsFake((input: { Key: { pk: string } }) =>
      input.Key.pk === `SESSION#${session.sessionId}`
        ? { Item: { pk: input.Key.pk, sk: 'SESSION', ...session } }
        : { Item: input.Key.pk === 'STOREFRONTS' ? { name: 'Demo shop' } : undefined },
    );
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => {
  ddb.reset();
  ses.reset();
  restore();
});

function consolePost(path: string, body: string, headers: Record<string, string> = {}, pathParameters: Record<string, string> = {}) {
  return handler(
    httpEvent({
      method: 'POST',
      path,
      body,
      pathParameters,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: `mg_console=${cookie}`, ...headers },
    }),
  );
}

function expectNoWrites(): void {
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
}

describe('console form posts with a field sent twice', () => {
  it('refuses a decision with two decisions and two amounts with a 400 naming the field, without spending the nonce', async () => {
    // arrange
    const nonce = formNonceFor(session.sessionId, KEY);

    // act
    const res = await consolePost(
      '/console/claims/clm_x/decision',
      `decision=approve&decision=reject&amount=10.00&amount=93.99&nonce=${nonce}`,
      {},
      { claimId: 'clm_x' },
    );

    // assert
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('The form sent the field “decision” more than once, so none of it was used.');
    expect(res.body).toContain('Nothing was changed');
    expectNoWrites();
  });

  it('refuses a follow-up close with two notes the same way', async () => {
    // arrange
    const nonce = formNonceFor(session.sessionId, KEY);

    // act
    const res = await consolePost(
      '/console/followups/fu_clm_x_4/close',
      `nonce=${nonce}&note=called&note=not+called`,
      {},
      { followUpId: 'fu_clm_x_4' },
    );

    // assert
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('the field “note” more than once');
    expectNoWrites();
  });

  it('refuses a sign-in request with two addresses, sending no mail', async () => {
    // act
    const res = await consolePost('/console/login', 'email=agent%40demo.test&email=attacker%40evil.test', { cookie: '' });

    // assert
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('the field “email” more than once');
    expectNoWrites();
  });
});

describe('console form posts from another origin', () => {
  it.each<[string, Record<string, string>]>([
    ['Sec-Fetch-Site: cross-site with the own Origin', { 'sec-fetch-site': 'cross-site' }],
    ['Origin: null', { origin: 'null' }],
    ['no Origin', { origin: '' }],
  ])('refuses a decision with %s (403), reading no session and spending no nonce', async (_what, headers) => {
    // arrange
    const nonce = formNonceFor(session.sessionId, KEY);
    const event = httpEvent({
      method: 'POST',
      path: '/console/claims/clm_x/decision',
      body: `decision=approve&nonce=${nonce}`,
      pathParameters: { claimId: 'clm_x' },
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `mg_console=${cookie}`, origin: ORIGIN, ...headers },
    });
    if (headers.origin === '') delete event.headers.origin;

    // act
    const res = await handler(event);

    // assert
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form was not sent from the console’s own page.');
    expect(ddb.calls()).toHaveLength(0);
    expectNoWrites();
  });
});
