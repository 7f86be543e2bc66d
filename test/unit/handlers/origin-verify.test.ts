import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpEvent } from '#handlers/http.ts';
import { httpHandler } from '#handlers/http.ts';
import { cameThroughEdge, ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#handlers/origin-verify.ts';

/** A minimal API Gateway v2 event for GET /health with these headers. */
function eventWith(headers: Record<string, string>): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'GET /health',
    rawPath: '/health',
    rawQueryString: '',
    headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc',
      http: { method: 'GET', path: '/health', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: 'GET /health',
      stage: '$default',
      time: '04/Dec/2026:20:00:00 +0000',
      timeEpoch: 1_796_400_000_000,
    },
    isBase64Encoded: false,
  };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('cameThroughEdge', () => {
  it('passes everything when no value is configured (the embedded stack, a deploy without WAF)', () => {
    expect(cameThroughEdge({}, undefined)).toBe(true);
    expect(cameThroughEdge({}, '')).toBe(true);
  });

  it('passes the exact value only: not a missing header, another value, a prefix or a longer one', () => {
    const expected = 'Zq3secretvalue';
    expect(cameThroughEdge({ [ORIGIN_VERIFY_HEADER]: expected }, expected)).toBe(true);
    expect(cameThroughEdge({}, expected)).toBe(false);
    expect(cameThroughEdge({ [ORIGIN_VERIFY_HEADER]: 'other' }, expected)).toBe(false);
    expect(cameThroughEdge({ [ORIGIN_VERIFY_HEADER]: expected.slice(0, -1) }, expected)).toBe(false);
    expect(cameThroughEdge({ [ORIGIN_VERIFY_HEADER]: `${expected}x` }, expected)).toBe(false);
    expect(cameThroughEdge({ [ORIGIN_VERIFY_HEADER]: '' }, expected)).toBe(false);
  });
});

describe('an API function behind the WAF', () => {
  it('answers 403 to a request that went around the distribution, without running the handler', async () => {
    // arrange
    vi.stubEnv(ORIGIN_VERIFY_VARIABLE, 'from-cloudfront');
    const inner = vi.fn(async () => ({ statusCode: 200, headers: {}, body: 'ran' }));
    const handler = httpHandler(inner);

    // act
    const around = await handler(eventWith({}));
    const forged = await handler(eventWith({ [ORIGIN_VERIFY_HEADER]: 'guess' }));
    const through = await handler(eventWith({ [ORIGIN_VERIFY_HEADER]: 'from-cloudfront' }));

    // assert
    expect(around.statusCode).toBe(403);
    expect(JSON.parse(around.body as string)).toMatchObject({
      error: { code: 'forbidden', message: expect.stringContaining('PublicUrl') },
    });
    expect(forged.statusCode).toBe(403);
    expect(through).toMatchObject({ statusCode: 200, body: 'ran' });
    expect(inner).toHaveBeenCalledTimes(1);
  });

  it('checks nothing when the function has no value configured', async () => {
    // arrange
    const handler = httpHandler(async () => ({ statusCode: 200, headers: {}, body: 'ran' }));

    // act
    const answer = await handler(eventWith({}));

    // assert
    expect(answer.statusCode).toBe(200);
  });
});
