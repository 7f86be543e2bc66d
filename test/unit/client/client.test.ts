import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Action,
  type ActionPage,
  type ActionReceipt,
  type ActionReport,
  type Channel,
  type ClaimRequest,
  type ClaimView,
  type DesiredOutcome,
  MakegoodApiError,
  MakegoodClient,
  type MakegoodClientOptions,
  MakegoodNetworkError,
  type Reason,
} from 'makegood/client';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type {
  ActionPage as ServerActionPage,
  ActionReceipt as ServerActionReceipt,
  ActionReport as ServerActionReport,
} from '#domain/api/action.ts';
import type { channels, desiredOutcomes, reasons, ClaimRequest as ServerClaimRequest } from '#domain/claim.ts';
import { verifyStorefrontSignature } from '#domain/signature.ts';
import type { claimStatus } from '#usecases/claim-status.ts';

const SECRET = 'unit-secret';

/** One request as the test server saw it. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Answer = (res: ServerResponse, req: IncomingMessage) => void;

/** A JSON answer. */
const reply =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
const errorReply = (status: number, code: string, message = code, headers: Record<string, string> = {}, issues?: unknown[]) =>
  reply(status, { error: { code, message, ...(issues ? { issues } : {}) } }, headers);
/** Drops the connection without an answer. */
const hangUp: Answer = (_res, req) => {
  req.socket.destroy();
};
/** Never answers. */
const hang: Answer = () => {};

const accepted = reply(202, { claimId: 'clm_1', status: 'received', statusUrl: 'http://x/v1/claims/clm_1' });

/** A loopback server that answers each request with the next of `answers` (the last one repeats). */
let server: Server;
let seen: Seen[];
let answers: Answer[];
let baseUrl: string;

beforeEach(async () => {
  seen = [];
  answers = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)] ?? reply(500, {});
      answer(res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A client of the test server whose waits are recorded instead of slept. */
function clientOf(over: Partial<MakegoodClientOptions> = {}) {
  const delays: number[] = [];
  const client = new MakegoodClient({
    baseUrl,
    storefrontId: 'shop-1',
    secret: SECRET,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...over,
  });
  return { client, delays };
}

const claim: ClaimRequest = {
  order: {
    id: 'ORD-1',
    placedAt: '2026-11-01T10:00:00Z',
    currency: 'EUR',
    paid: 5499,
    shipping: 499,
    items: [{ sku: 'CHOC-BOX', name: 'Шоколад «Київ»', category: 'food', quantity: 2, unitPrice: 2500 }],
  },
  customer: { id: 'C-1', email: 'ann@example.com', name: 'Ганна', locale: 'uk' },
  complaint: { reason: 'damaged', items: [{ sku: 'CHOC-BOX', quantity: 1 }], desiredOutcome: 'refund', channel: 'web' },
};

/** The verifier's arguments for a seen request. */
function signed(req: Seen) {
  return {
    header: req.headers['x-makegood-signature'] as string | undefined,
    secret: SECRET,
    method: req.method,
    pathWithQuery: req.url,
    rawBody: req.body,
    now: new Date(),
  };
}

/** True when the server's own verifier accepts the request at `now`. */
function verifies(req: Seen, now = new Date()): boolean {
  return verifyStorefrontSignature({ ...signed(req), now });
}

const tOf = (req: Seen | undefined) => Number(/t=(\d+)/.exec(String(req?.headers['x-makegood-signature']))?.[1]);

describe('MakegoodClient signing', () => {
  it('signs a claim (non-ASCII body included) so that the server’s verifier accepts it', async () => {
    // arrange
    answers = [accepted];
    const { client } = clientOf();

    // act
    const created = await client.createClaim(claim);

    // assert
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/claims');
    expect(req?.headers['x-makegood-storefront']).toBe('shop-1');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(claim);
    expect(req && verifies(req)).toBe(true);
    expect(req && verifyStorefrontSignature({ ...signed(req), secret: 'another-secret' })).toBe(false);
    expect(created).toMatchObject({ claimId: 'clm_1', status: 'received', replayed: false });
  });

  it('signs a GET with its query string, and an encoded path, as they go on the wire', async () => {
    // arrange
    answers = [reply(200, { entries: [] })];
    const { client } = clientOf({ baseUrl: `${baseUrl}/` });

    // act
    await client.request('GET', '/v1/actions?status=requested&cursor=a%2Bb');
    await client.getClaim('clm 1/x');

    // assert
    expect(seen.map((r) => r.url)).toEqual(['/v1/actions?status=requested&cursor=a%2Bb', '/v1/claims/clm%201%2Fx']);
    expect(seen.map((r) => r.body)).toEqual(['', '']);
    expect(seen.every((r) => verifies(r))).toBe(true);
  });

  it('reports a return as signed JSON to the claim’s returns path', async () => {
    // arrange
    answers = [reply(200, { claimId: 'clm_1', status: 'assessing' })];
    const { client } = clientOf();
    const report = { items: [{ sku: 'KETTLE-1', quantity: 1, condition: 'used' as const }], receivedAt: '2026-11-10T09:00:00Z' };

    // act
    const out = await client.reportReturn('clm_1', report);

    // assert
    expect(out).toEqual({ claimId: 'clm_1', status: 'assessing' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/claims/clm_1/returns' });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(report);
    expect(seen[0] && verifies(seen[0])).toBe(true);
  });
});

describe('MakegoodClient idempotency', () => {
  it('keeps one Idempotency-Key across its retries and signs each attempt with a fresh timestamp', async () => {
    // arrange: the clock moves 7 s per signature
    answers = [errorReply(503, 'try_again', 'contended', { 'retry-after': '1' }), reply(502, {}), accepted];
    let clock = Date.parse('2026-11-05T12:00:00Z');
    const { client } = clientOf({
      now: () => {
        clock += 7000;
        return new Date(clock);
      },
    });

    // act
    const created = await client.createClaim(claim);

    // assert
    expect(seen).toHaveLength(3);
    const keys = new Set(seen.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.idempotencyKey).toBe([...keys][0]);
    const ts = seen.map(tOf);
    expect(new Set(ts).size).toBe(3);
    expect(seen.every((r) => verifies(r, new Date(tOf(r) * 1000)))).toBe(true);
    expect(seen.every((r) => r.body === seen[0]?.body)).toBe(true);
  });

  it('sends the caller’s key and reports a replay', async () => {
    // arrange
    answers = [reply(202, { claimId: 'clm_1', status: 'received', statusUrl: 'u' }, { 'idempotent-replayed': 'true' })];
    const { client } = clientOf();

    // act
    const created = await client.createClaim(claim, { idempotencyKey: 'order-ORD-1-claim-1' });

    // assert
    expect(seen[0]?.headers['idempotency-key']).toBe('order-ORD-1-claim-1');
    expect(created).toEqual({
      claimId: 'clm_1',
      status: 'received',
      statusUrl: 'u',
      replayed: true,
      idempotencyKey: 'order-ORD-1-claim-1',
    });
  });
});

describe('MakegoodClient retries', () => {
  it('retries 429, 503 and 500, waiting what Retry-After asks and full jitter otherwise', async () => {
    // arrange
    answers = [
      errorReply(429, 'too_many_requests', 'slow down', { 'retry-after': '2' }),
      errorReply(503, 'try_again', 'contended', { 'retry-after': '1' }),
      errorReply(500, 'internal_error', 'oops'),
      reply(200, { ok: true }),
    ];
    const { client, delays } = clientOf({ random: () => 0.5, retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 } });

    // act
    const res = await client.request('GET', '/v1/claims/clm_1');

    // assert: the third wait is jitter under the third ceiling, 100 × 2² = 400 ms
    expect(res.body).toEqual({ ok: true });
    expect(seen).toHaveLength(4);
    expect(delays).toEqual([2000, 1000, 200]);
  });

  it('keeps every backoff wait within [0, min(maxDelayMs, baseDelayMs × 2^(n-1)))', async () => {
    // arrange: the jitter draws from each end of its range and the middle
    answers = [errorReply(500, 'internal_error')];
    const draws = [0, 0.999_999, 0.5, 0.999_999, 0.25, 0.999_999];
    const { client, delays } = clientOf({
      random: () => draws[delays.length] ?? 0,
      retry: { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 1000 },
    });

    // act
    const failure = await client.request('GET', '/v1/claims/clm_1').catch((e: unknown) => e);

    // assert
    expect(failure).toBeInstanceOf(MakegoodApiError);
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    expect(delays).toEqual([0, 199, 200, 799, 250, 999]);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceilings[i] ?? 0);
    });
  });

  it('retries a connection dropped without an answer, with the same key', async () => {
    // arrange
    answers = [hangUp, accepted];
    const { client, delays } = clientOf({ random: () => 0 });

    // act
    const created = await client.createClaim(claim);

    // assert
    expect(created.claimId).toBe('clm_1');
    expect(seen).toHaveLength(2);
    expect(seen[0]?.headers['idempotency-key']).toBe(seen[1]?.headers['idempotency-key']);
    expect(delays).toEqual([0]);
  });

  it('gives up on a server that is not there after maxAttempts, with a network error', async () => {
    // arrange: a port nobody listens on any more
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { client, delays } = clientOf({ baseUrl: `http://127.0.0.1:${port}`, retry: { maxAttempts: 3 } });

    // act
    const failure = await client.getClaim('clm_1').catch((e: unknown) => e);

    // assert
    expect(failure).toBeInstanceOf(MakegoodNetworkError);
    expect(failure).toMatchObject({ timedOut: false, attempts: 3 });
    expect((failure as Error).message).toContain('ECONNREFUSED');
    expect(delays).toHaveLength(2);
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthorized'],
    [404, 'not_found'],
    [409, 'idempotency_key_reused'],
    [409, 'conflict'],
    [409, 'policy_missing'],
    [413, 'payload_too_large'],
    [415, 'unsupported_media_type'],
    [422, 'unprocessable'],
    [422, 'order_facts_conflict'],
  ])('does not retry %i %s, and throws it as a MakegoodApiError', async (status, code) => {
    // arrange
    const issues = [{ path: 'order.paid', message: 'must not be negative' }];
    answers = [errorReply(status, code, `the ${code} message`, {}, issues)];
    const { client, delays } = clientOf();

    // act
    const failure = await client.createClaim(claim).catch((e: unknown) => e);

    // assert
    expect(failure).toBeInstanceOf(MakegoodApiError);
    expect(failure).toMatchObject({ name: 'MakegoodApiError', status, code, message: `the ${code} message`, issues, attempts: 1 });
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('retries a 409 whose code says the same request is still in progress', async () => {
    // arrange
    answers = [errorReply(409, 'idempotency_key_in_use'), accepted];
    const { client, delays } = clientOf({ random: () => 0 });

    // act
    const created = await client.createClaim(claim);

    // assert
    expect(created.claimId).toBe('clm_1');
    expect(seen).toHaveLength(2);
    expect(delays).toEqual([0]);
  });

  it('gives up after maxAttempts with the last answer', async () => {
    // arrange
    answers = [1, 2, 3].map((n) => errorReply(503, 'try_again', `still contended (${n})`, { 'retry-after': '1' }));
    const { client, delays } = clientOf({ retry: { maxAttempts: 3 } });

    // act
    const failure = await client.createClaim(claim).catch((e: unknown) => e);

    // assert
    expect(failure).toBeInstanceOf(MakegoodApiError);
    expect(failure).toMatchObject({ status: 503, code: 'try_again', message: 'still contended (3)', attempts: 3 });
    expect(seen).toHaveLength(3);
    expect(delays).toEqual([1000, 1000]);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
    // arrange
    answers = [errorReply(429, 'too_many_requests', 'come back in an hour', { 'retry-after': '3600' }), accepted];
    const { client, delays } = clientOf({ retry: { maxRetryAfterMs: 60_000 } });

    // act
    const failure = await client.createClaim(claim).catch((e: unknown) => e);

    // assert
    expect(failure).toMatchObject({ status: 429, code: 'too_many_requests' });
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('names a gateway’s own error body by its status', async () => {
    // arrange
    answers = [reply(502, { message: 'Internal Server Error' })];
    const { client } = clientOf({ retry: { maxAttempts: 1 } });

    // act
    const failure = await client.getClaim('clm_1').catch((e: unknown) => e);

    // assert
    expect(failure).toMatchObject({ status: 502, code: 'http_502', message: 'Internal Server Error', issues: [] });
  });

  it('aborts an attempt on a hanging server after timeoutMs, and each retry too', async () => {
    // arrange
    answers = [hang];
    const { client, delays } = clientOf({ timeoutMs: 150, random: () => 0, retry: { maxAttempts: 2 } });

    // act
    const failure = await client.getClaim('clm_1').catch((e: unknown) => e);

    // assert
    expect(failure).toBeInstanceOf(MakegoodNetworkError);
    expect(failure).toMatchObject({ timedOut: true, attempts: 2 });
    expect((failure as Error).message).toContain('timed out after 150 ms');
    expect(seen).toHaveLength(2);
    expect(delays).toEqual([0]);
  });
});

/** A refund asked of the shop, as the server answers it. */
function refund(seq: number, over: Partial<Action> = {}): Action {
  return {
    actionId: `act_clm_1_${seq}`,
    claimId: 'clm_1',
    orderId: 'ORD-1',
    type: 'refund',
    status: 'requested',
    amount: { amount: 2750, currency: 'EUR' },
    items: [{ sku: 'CHOC-BOX', quantity: 1 }],
    requestedAt: '2026-11-05T12:00:00.000Z',
    reference: null,
    ...over,
  };
}

const paidReport: ActionReport = { status: 'succeeded', provider: 'stripe', reference: 're_1', amount: { amount: 2750, currency: 'EUR' } };
const paidAction = refund(5, {
  status: 'succeeded',
  reference: 're_1',
  result: { status: 'succeeded', at: '2026-11-05T13:00:00.000Z', by: 'storefront:shop-1', provider: 'stripe', reference: 're_1' },
});

describe('MakegoodClient actions', () => {
  it('lists one page of requested actions with a signed GET carrying status, limit and cursor', async () => {
    // arrange
    const page: ActionPage = { actions: [refund(5)], next: 'b64+/=cursor' };
    answers = [reply(200, page)];
    const { client } = clientOf();

    // act
    const first = await client.listActions({ limit: 2 });
    await client.listActions({ cursor: first.next ?? '', limit: 2 });

    // assert
    expect(first).toEqual(page);
    expect(seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', '/v1/actions?status=requested&limit=2', ''],
      ['GET', '/v1/actions?status=requested&limit=2&cursor=b64%2B%2F%3Dcursor', ''],
    ]);
    expect(seen.every((r) => verifies(r))).toBe(true);
  });

  it('iterates every requested action, page after page, until next is null', async () => {
    // arrange
    answers = [
      reply(200, { actions: [refund(5), refund(6)], next: 'c1' }),
      reply(200, { actions: [], next: 'c2' }),
      reply(200, { actions: [refund(7)], next: null }),
    ];
    const { client } = clientOf();

    // act
    const ids: string[] = [];
    for await (const action of client.requestedActions({ limit: 2 })) ids.push(action.actionId);

    // assert
    expect(ids).toEqual(['act_clm_1_5', 'act_clm_1_6', 'act_clm_1_7']);
    expect(seen.map((r) => r.url)).toEqual([
      '/v1/actions?status=requested&limit=2',
      '/v1/actions?status=requested&limit=2&cursor=c1',
      '/v1/actions?status=requested&limit=2&cursor=c2',
    ]);
    expect(seen.every((r) => verifies(r))).toBe(true);
  });

  it('reports an action as signed JSON to the action’s path, and says when the server replayed it', async () => {
    // arrange
    answers = [
      reply(200, { action: paidAction, created: [] }),
      reply(200, { action: paidAction, created: [] }, { 'idempotent-replayed': 'true' }),
    ];
    const { client } = clientOf();

    // act
    const first = await client.reportAction('clm_1', 'act_clm_1_5', paidReport);
    const again = await client.reportAction('clm_1', 'act_clm_1_5', paidReport);

    // assert
    expect(first).toEqual({ action: paidAction, created: [], replayed: false });
    expect(again.replayed).toBe(true);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/claims/clm_1/actions/act_clm_1_5' });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(paidReport);
    expect(seen.every((r) => verifies(r))).toBe(true);
  });

  it('asks for cash instead of a recovery credit with a signed empty object, and returns the refund created', async () => {
    // arrange
    const credit = refund(7, {
      type: 'store_credit',
      status: 'cancelled',
      amount: { amount: 3025, currency: 'EUR' },
      recovers: 'act_clm_1_5',
    });
    const cash = refund(9, { replaces: 'act_clm_1_7' });
    answers = [reply(200, { action: credit, created: [cash] })];
    const { client } = clientOf();

    // act
    const receipt: ActionReceipt = await client.requestCashInstead('clm_1', 'act_clm_1_7');

    // assert
    expect(receipt).toEqual({ action: credit, created: [cash], replayed: false });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/claims/clm_1/actions/act_clm_1_7/cash', body: '{}' });
    expect(seen[0] && verifies(seen[0])).toBe(true);
  });

  it('retries a report while the claim is still settling (503 try_again), signing each attempt afresh', async () => {
    // arrange: the clock moves 3 s per signature
    answers = [
      errorReply(503, 'try_again', 'Claim clm_1 is still settling', { 'retry-after': '1' }),
      errorReply(503, 'try_again', 'Claim clm_1 is still settling'),
      reply(200, { action: paidAction, created: [] }),
    ];
    let clock = Date.parse('2026-11-05T12:00:00Z');
    const { client, delays } = clientOf({
      random: () => 0.5,
      retry: { baseDelayMs: 100 },
      now: () => {
        clock += 3000;
        return new Date(clock);
      },
    });

    // act
    const receipt = await client.reportAction('clm_1', 'act_clm_1_5', paidReport);

    // assert
    expect(receipt.action.status).toBe('succeeded');
    expect(seen).toHaveLength(3);
    expect(delays).toEqual([1000, 100]);
    expect(new Set(seen.map(tOf)).size).toBe(3);
    expect(seen.every((r) => verifies(r, new Date(tOf(r) * 1000)))).toBe(true);
    expect(seen.every((r) => r.body === seen[0]?.body)).toBe(true);
  });

  it('retries listing actions on a dropped connection and a 429', async () => {
    // arrange
    answers = [hangUp, errorReply(429, 'too_many_requests'), reply(200, { actions: [], next: null })];
    const { client, delays } = clientOf({ random: () => 0 });

    // act
    const page = await client.listActions();

    // assert
    expect(page).toEqual({ actions: [], next: null });
    expect(seen).toHaveLength(3);
    expect(delays).toEqual([0, 0]);
  });

  it.each([
    [400, 'invalid_request'],
    [404, 'not_found'],
    [409, 'conflict'],
    [422, 'unprocessable'],
  ])('does not retry a report answered %i %s', async (status, code) => {
    // arrange
    const issues = status === 422 ? [{ path: 'amount', message: 'must equal the action’s amount, 2750 EUR, not 2700 EUR' }] : undefined;
    answers = [errorReply(status, code, `the ${code} message`, {}, issues)];
    const { client, delays } = clientOf();

    // act
    const failure = await client.reportAction('clm_1', 'act_clm_1_5', paidReport).catch((e: unknown) => e);

    // assert
    expect(failure).toBeInstanceOf(MakegoodApiError);
    expect(failure).toMatchObject({ status, code, message: `the ${code} message`, issues: issues ?? [], attempts: 1 });
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('does not retry cash asked for a credit the policy does not allow (422) or that is not there (404)', async () => {
    // arrange
    answers = [errorReply(422, 'unprocessable', 'not store credit given for a failed refund'), errorReply(404, 'not_found')];
    const { client } = clientOf();

    // act
    const unprocessable = await client.requestCashInstead('clm_1', 'act_clm_1_5').catch((e: unknown) => e);
    const missing = await client.requestCashInstead('clm_1', 'act_clm_1_99').catch((e: unknown) => e);

    // assert
    expect(unprocessable).toMatchObject({ status: 422, attempts: 1 });
    expect(missing).toMatchObject({ status: 404, attempts: 1 });
    expect(seen).toHaveLength(2);
  });
});

describe('the client’s shapes', () => {
  it('mirror the server’s (checked by tsc)', () => {
    // arrange, act: types only
    type ServerView = Awaited<ReturnType<typeof claimStatus>>;

    // assert
    expectTypeOf<ServerView>().toExtend<ClaimView>();
    expectTypeOf<ServerClaimRequest>().toExtend<ClaimRequest>();
    expectTypeOf<Reason>().toEqualTypeOf<(typeof reasons)[number]>();
    expectTypeOf<DesiredOutcome>().toEqualTypeOf<(typeof desiredOutcomes)[number]>();
    expectTypeOf<Channel>().toEqualTypeOf<(typeof channels)[number]>();
    expectTypeOf<ServerActionReport>().toExtend<ActionReport>();
    expectTypeOf<ActionReport>().toExtend<ServerActionReport>();
    expectTypeOf<ServerActionReceipt>().toExtend<Omit<ActionReceipt, 'replayed'>>();
    expectTypeOf<ServerActionPage>().toExtend<ActionPage>();
  });
});
