import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiServer } from '#local/http-server.ts';

/**
 * The embedded HTTP server refuses what API Gateway refuses before any function runs (a request
 * target that does not parse, a path that is not valid percent-encoding) with a 400 in the house's
 * error shape, naming the problem; and it hands a function each path parameter decoded once.
 */
const seen: APIGatewayProxyEventV2[] = [];
const fn = async (event: APIGatewayProxyEventV2) => {
  seen.push(event);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event.pathParameters ?? {}) };
};
const server = createApiServer(
  [
    { route: { method: 'GET', path: '/v1/claims/{claimId}' }, fn },
    { route: { method: 'POST', path: '/v1/claims/{claimId}/returns' }, fn },
    { route: { method: 'GET', path: '/approvals/{token}' }, fn },
    { route: { method: 'HEAD', path: '/approvals/{token}' }, fn },
    { route: { method: 'GET', path: '/v1/ledger' }, fn },
  ],
  () => true,
);
let port: number;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

/** Sends `target` as the request line's target, byte for byte (fetch would normalise it). */
function send(method: string, target: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: target }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('the embedded HTTP server, before any function runs', () => {
  it.each([
    ['GET', '/approvals/%', 'path.token'],
    ['GET', '/v1/claims/%zz', 'path.claimId'],
    ['POST', '/v1/claims/%/returns', 'path.claimId'],
    ['GET', '/v1/claims/%E0%A4%A', 'path.claimId'],
    // The UTF-8 bytes of a lone surrogate are not UTF-8.
    ['GET', '/v1/claims/%ED%A0%80', 'path.claimId'],
    // A request target that is no URL path at all.
    ['GET', '//[', '(path)'],
    ['GET', 'http://[/', '(path)'],
  ])('refuses %s %s with 400 invalid_request naming %s, and invokes nothing', async (method, target, path) => {
    // act
    const res = await send(method, target);

    // assert
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as { error: { code: string; message: string; issues: { path: string; message: string }[] } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.issues.map((i) => i.path)).toEqual([path]);
    expect(seen).toHaveLength(0);
  });

  it('answers HEAD of an undecodable path with the same 400 and no body', async () => {
    // act
    const res = await send('HEAD', '/approvals/%zz');

    // assert
    expect(res.status).toBe(400);
    expect(res.body).toBe('');
    expect(seen).toHaveLength(0);
  });

  it('decodes each path parameter once, as API Gateway does: %2525 arrives as %25, %2F as a slash', async () => {
    // act
    const res = await send('GET', '/v1/claims/a%2525b%2Fc');

    // assert
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ claimId: 'a%25b/c' });
    expect(seen[0]?.rawPath).toBe('/v1/claims/a%2525b%2Fc');
  });

  it('joins the copies of a repeated query parameter with commas, as API Gateway does, and keeps the raw query', async () => {
    // act
    await send('GET', '/v1/ledger?claim=a&claim=b&from=%zz');

    // assert
    expect(seen[0]?.queryStringParameters).toEqual({ claim: 'a,b', from: '%zz' });
    expect(seen[0]?.rawQueryString).toBe('claim=a&claim=b&from=%zz');
  });

  it('still answers a crash of the function itself with a bare 500', async () => {
    // arrange
    const crashing = createApiServer([
      {
        route: { method: 'GET', path: '/health' },
        fn: async () => {
          throw new Error('boom');
        },
      },
    ]);
    await new Promise<void>((resolve) => crashing.listen(0, '127.0.0.1', resolve));
    const crashPort = (crashing.address() as AddressInfo).port;
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});

    // act
    const res = await fetch(`http://127.0.0.1:${crashPort}/health`);

    // assert
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    quiet.mockRestore();
    await new Promise<void>((resolve) => crashing.close(() => resolve()));
  });
});
