import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Http from '#handlers/http.ts';
import { httpEvent, stubRuntime } from './support.ts';

/**
 * The HTTP layer every handler shares: path parameters as API Gateway delivers them (decoded, so
 * they may hold anything), urlencoded forms with a field sent twice, and the same-origin check of
 * a form post.
 */
let http: typeof Http;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  http = await import('#handlers/http.ts');
});
afterEach(() => {
  restore();
});

/** A route that answers its path parameters, so a test sees what a handler would get. */
const echo = () => http.httpHandler(async (req) => http.json(200, req.pathParameters));

describe('path parameters, as API Gateway hands them over decoded', () => {
  it.each([
    ['longer than 1,024 bytes', 'x'.repeat(1025), 'is longer than 1024 bytes'],
    ['longer than 1,024 bytes in UTF-8 (342 × a 3-byte character)', '€'.repeat(342), 'is longer than 1024 bytes'],
    ['a lone surrogate', `clm_\ud800`, 'is not well-formed Unicode: it holds a lone surrogate'],
    ['a NUL', 'clm_a\u0000b', 'holds a control character'],
    ['a line break', 'clm_a\r\nb', 'holds a control character'],
  ])('refuses one %s with 400 invalid_request naming it, before the route runs', async (_what, claimId, message) => {
    // arrange
    let ran = false;
    const handler = http.httpHandler(async () => {
      ran = true;
      return http.json(200, {});
    });

    // act
    const res = await handler(httpEvent({ method: 'GET', path: '/v1/claims/x', pathParameters: { claimId } }));

    // assert
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(String(res.body))).toEqual({
      error: { code: 'invalid_request', message: 'The path is not one this route takes', issues: [{ path: 'path.claimId', message }] },
    });
    expect(ran).toBe(false);
  });

  it('passes a decoded value on as it is, never decoding it again: %25 stays %25, a slash stays a slash', async () => {
    // act
    const res = await echo()(
      httpEvent({ method: 'GET', path: '/v1/claims/x', pathParameters: { claimId: 'a%25b/c', token: '1024'.repeat(256) } }),
    );

    // assert
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual({ claimId: 'a%25b/c', token: '1024'.repeat(256) });
  });
});

describe('readForm', () => {
  const form = (body: string, type = 'application/x-www-form-urlencoded') =>
    http.readForm(http.readRequest(httpEvent({ method: 'POST', path: '/approvals/t', body, headers: { 'content-type': type } })));

  it('reads each field of a urlencoded body', () => {
    // act
    const read = form('decision=approve&amount=10.00&note=a%20b+c');

    // assert
    expect(read).toEqual({
      ok: true,
      fields: new Map([
        ['decision', 'approve'],
        ['amount', '10.00'],
        ['note', 'a b c'],
      ]),
    });
  });

  it.each([
    ['decision=approve&decision=reject&amount=10.00&amount=93.99', 'decision'],
    ['amount=10.00&nonce=n&amount=93.99', 'amount'],
    ['note=&note=', 'note'],
    // The same name however it is spelled on the wire.
    ['amount=1&%61mount=2', 'amount'],
  ])('refuses %s, naming the field sent twice', (body, field) => {
    // act
    const read = form(body);

    // assert
    expect(read).toEqual({ ok: false, problem: 'repeated_field', field });
  });

  it('refuses a body that is not urlencoded', () => {
    // act
    const read = form('{"decision":"approve"}', 'application/json');

    // assert
    expect(read).toEqual({ ok: false, problem: 'not_urlencoded' });
  });

  it('names the field as plain text, shortened, in the sentence a page shows', () => {
    // act
    const short = http.repeatedFieldMessage('amount');
    const hostile = http.repeatedFieldMessage(`a\r\n\u202e${'b'.repeat(100)}`);

    // assert
    expect(short).toBe('The form sent the field “amount” more than once, so none of it was used.');
    expect(hostile).toBe(`The form sent the field “a ${'b'.repeat(62)}…” more than once, so none of it was used.`);
  });
});

describe('isSameOriginPost', () => {
  const ORIGIN = 'https://api.demo.test';
  const post = (headers: Record<string, string>) => http.readRequest(httpEvent({ method: 'POST', path: '/approvals/t', headers }));

  it.each([
    ['the own Origin', true, true, { origin: ORIGIN }],
    ['the own Origin and Sec-Fetch-Site: same-origin', true, true, { origin: ORIGIN, 'sec-fetch-site': 'same-origin' }],
    ['another Origin', false, false, { origin: 'https://attacker.test' }],
    ['Origin: null (a no-referrer page, a sandbox)', false, false, { origin: 'null' }],
    ['the own Origin but Sec-Fetch-Site: cross-site', false, false, { origin: ORIGIN, 'sec-fetch-site': 'cross-site' }],
    ['the own Origin but Sec-Fetch-Site: same-site (a sibling subdomain)', false, false, { origin: ORIGIN, 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: cross-site without Origin', false, false, { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-origin without Origin', true, false, { 'sec-fetch-site': 'same-origin' }],
    ['neither header (not a browser)', true, false, {}],
  ])('with %s: the approval page passes it: %s, the console: %s', (_what, approval, consolePasses, headers) => {
    // act
    const asApproval = http.isSameOriginPost(post(headers), ORIGIN, { originRequired: false });
    const asConsole = http.isSameOriginPost(post(headers), ORIGIN, { originRequired: true });

    // assert
    expect([asApproval, asConsole]).toEqual([approval, consolePasses]);
  });

  it('takes the origin from the configured public URL, else from the request', () => {
    // arrange
    const req = post({ 'x-forwarded-proto': 'http', host: '127.0.0.1:8787' });

    // act / assert
    expect(http.ownOrigin(req, 'https://api.demo.test/base')).toBe('https://api.demo.test');
    expect(http.ownOrigin(req, undefined)).toBe('http://127.0.0.1:8787');
  });
});

describe('storefront authentication, before any secret is read', () => {
  const now = new Date();
  const t = Math.floor(now.getTime() / 1000);
  const reads: string[] = [];
  const secrets = {
    storefrontSigningSecrets: async (id: string) => {
      reads.push(id);
      return ['s3cret-value'];
    },
    approvalKeys: () => Promise.reject(new Error('not used')),
    financeKey: async () => undefined,
    webhookSecrets: async () => [],
  };
  const attempt = (signature: string) =>
    http
      .authenticateStorefront(
        http.readRequest(
          httpEvent({
            method: 'GET',
            path: '/v1/claims/x',
            headers: { 'X-Makegood-Storefront': 'made-up', 'X-Makegood-Signature': signature },
          }),
        ),
        { secrets, clock: { now: () => now } },
      )
      .then(
        () => 'accepted',
        (err: Error) => err.name,
      );

  it.each([
    ['no scheme', 'garbage'],
    ['no signature', `t=${t}`],
    ['a signature that is not hex', `t=${t},v1=xyz`],
    ['a timestamp out of the window', `t=${t - 301},v1=${'a'.repeat(64)}`],
  ])('refuses %s with 401 and reads no secret', async (_what, signature) => {
    // arrange
    reads.length = 0;

    // act
    const outcome = await attempt(signature);

    // assert
    expect(outcome).toBe('UnauthorizedError');
    expect(reads).toEqual([]);
  });

  it('reads the secrets of a well-formed header within the window, and refuses a wrong signature', async () => {
    // arrange
    reads.length = 0;

    // act
    const outcome = await attempt(`t=${t},v1=${'a'.repeat(64)}`);

    // assert
    expect(outcome).toBe('UnauthorizedError');
    expect(reads).toEqual(['made-up']);
  });
});
