import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '#domain/ledger.ts';
import { webhookEventId, webhookEventOf } from '#domain/webhook-events.ts';
import { bootStack, claimBody, daysAgo, postClaim, signedFetch, waitForClaim } from '../integration/harness.ts';
import { type Exchange, type OpenApi31, OpenApiContract, recording } from './contract.ts';

/**
 * The contract: every request the suite sends to a running embedded stack, and every answer it
 * gets, is checked against the `/openapi.json` that stack serves, with Ajv (JSON Schema 2020-12),
 * not with the zod schemas the document is generated from. Requests the suite sends wrong on
 * purpose must be wrong by the document too, and their answers must still be documented.
 */
type Stack = Awaited<ReturnType<typeof bootStack>>;
const FINANCE_KEY = 'contract-finance-key';

let stack: Stack;
let contract: OpenApiContract;
/** Every exchange checked, to show at the end that every documented route was exercised. */
const seen: Exchange[] = [];

beforeAll(async () => {
  stack = await bootStack({ financeKey: FINANCE_KEY });
  const res = await fetch(`${stack.apiUrl}/openapi.json`);
  contract = new OpenApiContract((await res.json()) as OpenApi31);
});
afterAll(async () => {
  await stack?.cleanup();
});

/** Runs `action`, then checks every exchange it made: each request and each answer must conform. */
async function conforming<T>(action: () => Promise<T>): Promise<{ result: T; exchanges: Exchange[] }> {
  const recorded = await recording(stack.apiUrl, action);
  expect(recorded.exchanges.length).toBeGreaterThan(0);
  expect(recorded.exchanges.flatMap((e) => contract.check(e))).toEqual([]);
  seen.push(...recorded.exchanges);
  return recorded;
}

/**
 * Runs `action`, which sends one request that is wrong on purpose: the document must say it is
 * wrong too (a problem containing `expected`), and the answer must still conform.
 */
async function refusedAsDocumented(expected: string, action: () => Promise<Response>): Promise<Exchange> {
  const { exchanges } = await recording(stack.apiUrl, action);
  expect(exchanges).toHaveLength(1);
  const [exchange] = exchanges as [Exchange];
  expect(contract.checkRequest(exchange.request).join('\n')).toContain(expected);
  expect(contract.checkResponse(exchange.request, exchange.response)).toEqual([]);
  seen.push(exchange);
  return exchange;
}

/** Runs `action`, which sends one request the document accepts but the server refuses; both must conform. */
async function oneConforming(action: () => Promise<Response>): Promise<Exchange> {
  const { exchanges } = await conforming(action);
  expect(exchanges).toHaveLength(1);
  return exchanges[0] as Exchange;
}

const financeGet = (query: Record<string, string>, key: string | null = FINANCE_KEY) =>
  fetch(`${stack.apiUrl}/v1/ledger?${new URLSearchParams(query).toString()}`, {
    headers: key === null ? {} : { Authorization: `Bearer ${key}` },
  });

const mugs = { items: [{ sku: 'MUG', name: 'Mug', category: 'kitchen', quantity: 2, unitPrice: 1500 }], paid: 3000, shipping: 0 };
const kettle = {
  items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
  paid: 9399,
  shipping: 499,
};

/** Claims made along the way, for the ledger and webhook checks. */
const claims: string[] = [];

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 by its meta-schema, and is served with /docs in the embedded stack', async () => {
    // act
    const { exchanges } = await conforming(async () => {
      await fetch(`${stack.apiUrl}/openapi.json`);
      await fetch(`${stack.apiUrl}/docs`);
    });
    const validator = new Validator();
    const result = await validator.validate(structuredClone(contract.document) as unknown as Record<string, unknown>);

    // assert
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const page = exchanges[1]?.response;
    expect(page?.headers['content-security-policy']).toContain("default-src 'none'");
    for (const op of contract.operations()) expect(page?.body).toContain(op.template);
    expect(page?.body).not.toMatch(/<script|<link|\bsrc=/i);
  });

  it('can fail: a body without a required field, an undocumented field, status or media type are all named', async () => {
    // arrange
    const request = { method: 'POST', path: '/v1/claims', headers: { 'content-type': 'application/json' }, body: '' };
    const accepted = { claimId: 'clm_x', status: 'received', statusUrl: 'http://127.0.0.1/v1/claims/clm_x' };
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const { order: _order, ...withoutOrder } = claimBody();

    // act
    const missingStatusUrl = contract.checkResponse(request, {
      status: 202,
      headers: json,
      body: JSON.stringify({ ...accepted, statusUrl: undefined }),
    });
    const extraField = contract.checkResponse(request, { status: 202, headers: json, body: JSON.stringify({ ...accepted, refund: 100 }) });
    const teapot = contract.checkResponse(request, { status: 418, headers: json, body: '{}' });
    const html = contract.checkResponse(request, { status: 202, headers: { 'content-type': 'text/html' }, body: '<p>ok</p>' });
    const noOrder = contract.checkRequest({
      ...request,
      headers: { ...request.headers, 'idempotency-key': 'k' },
      body: JSON.stringify(withoutOrder),
    });
    const good = contract.checkResponse(request, { status: 202, headers: json, body: JSON.stringify(accepted) });

    // assert
    expect(missingStatusUrl.join('\n')).toContain("must have required property 'statusUrl'");
    expect(extraField.join('\n')).toContain('must NOT have additional properties');
    expect(teapot).toEqual(['status 418 is not documented for POST /v1/claims']);
    expect(html.join('\n')).toContain('response media type text/html is not documented');
    expect(noOrder.join('\n')).toContain("must have required property 'order'");
    expect(noOrder.join('\n')).toContain('credentials');
    expect(good).toEqual([]);
  });
});

describe('storefront routes, by the document', () => {
  it('a claim that settles automatically: POST, then each GET while it runs', async () => {
    // act
    const { result } = await conforming(async () => {
      const { json } = await postClaim(stack.apiUrl, claimBody());
      return waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
    });

    // assert
    expect(result.decision?.outcome).toBe('refund_without_return');
    claims.push(result.claimId);
  });

  it('a replayed POST answers the first response, with Idempotent-Replayed; another body under the key is 409', async () => {
    // arrange
    const key = randomUUID();
    const body = claimBody();

    // act
    const { exchanges } = await conforming(async () => {
      await postClaim(stack.apiUrl, body, key);
      await postClaim(stack.apiUrl, body, key);
      await postClaim(stack.apiUrl, claimBody(), key);
    });

    // assert
    const [first, replay, reused] = exchanges.map((e) => e.response);
    expect(replay?.status).toBe(202);
    expect(replay?.headers['idempotent-replayed']).toBe('true');
    expect(replay?.body).toBe(first?.body);
    expect(reused?.status).toBe(409);
    claims.push((JSON.parse(first?.body ?? '{}') as { claimId: string }).claimId);
  });

  it('a claim that waits for approval shows its pending round', async () => {
    // act
    const { result } = await conforming(async () => {
      const { json } = await postClaim(
        stack.apiUrl,
        claimBody({ order: kettle, complaint: { reason: 'defective', items: [{ sku: 'KETTLE-1', quantity: 1 }], evidence: [] } }),
      );
      return waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'awaiting_approval' && c.approvals.length > 0);
    });

    // assert
    expect(result.approvals[0]?.result).toBe('pending');
    claims.push(result.claimId);
  });

  it('refusals of POST /v1/claims: each documented, and each wrong request wrong by the document too', async () => {
    // arrange
    const good = claimBody();
    const path = '/v1/claims';

    // act and assert: wrong by the document
    const noKey = await refusedAsDocumented('header parameter Idempotency-Key is required', () =>
      signedFetch(stack.apiUrl, 'POST', path, good),
    );
    const schema = await refusedAsDocumented('request body/order/paid must be integer', () =>
      signedFetch(stack.apiUrl, 'POST', path, { ...good, order: { ...good.order, paid: 12.5 } }, { idempotencyKey: randomUUID() }),
    );
    const notJson = await refusedAsDocumented('request body is not application/json', () =>
      signedFetch(stack.apiUrl, 'POST', path, undefined, { idempotencyKey: randomUUID(), rawBody: '{"order":' }),
    );
    const text = await refusedAsDocumented('request media type text/plain is not in the document', () =>
      signedFetch(stack.apiUrl, 'POST', path, good, { idempotencyKey: randomUUID(), contentType: 'text/plain' }),
    );
    const huge = await refusedAsDocumented('request body/complaint/message must NOT have more than 5000 characters', () =>
      signedFetch(
        stack.apiUrl,
        'POST',
        path,
        { ...good, complaint: { ...good.complaint, message: 'x'.repeat(70_000) } },
        { idempotencyKey: randomUUID() },
      ),
    );

    // act and assert: right by the document, refused by what only the server knows
    const badSignature = await oneConforming(() =>
      signedFetch(stack.apiUrl, 'POST', path, good, { idempotencyKey: randomUUID(), secret: 'wrong-secret' }),
    );
    const contradictory = await oneConforming(() =>
      signedFetch(
        stack.apiUrl,
        'POST',
        path,
        {
          ...good,
          order: { ...good.order, deliveredAt: daysAgo(9) },
          complaint: { ...good.complaint, items: [{ sku: 'NOPE', quantity: 1 }] },
        },
        { idempotencyKey: randomUUID() },
      ),
    );
    expect([noKey, schema, notJson, text, huge, badSignature, contradictory].map((e) => e.response.status)).toEqual([
      400, 400, 400, 415, 413, 401, 422,
    ]);
  });

  it('a return report: wrong ones refused as documented, the right one recorded, and the claim settled', async () => {
    // arrange: a damaged mug must come back first
    const { result: waiting } = await conforming(async () => {
      const { json } = await postClaim(stack.apiUrl, claimBody({ order: mugs, complaint: { items: [{ sku: 'MUG', quantity: 2 }] } }));
      return waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'awaiting_return');
    });
    const path = `/v1/claims/${waiting.claimId}/returns`;
    const good = { items: [{ sku: 'MUG', quantity: 2 }], receivedAt: new Date().toISOString(), condition: 'used' };

    // act and assert: refusals
    const schema = await refusedAsDocumented('request body/items must NOT have fewer than 1 items', () =>
      signedFetch(stack.apiUrl, 'POST', path, { items: [], receivedAt: 'yesterday', condition: 'fine' }),
    );
    const facts = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', path, { ...good, items: [{ sku: 'MUG', quantity: 3 }] }));
    const notWaiting = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claims[0]}/returns`, good));
    const unknown = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', '/v1/claims/clm_nope/returns', good));
    const unsigned = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', path, good, { secret: 'wrong-secret' }));
    expect([schema, facts, notWaiting, unknown, unsigned].map((e) => e.response.status)).toEqual([400, 422, 409, 404, 401]);

    // act: the right report, then the same again
    const { result: settled, exchanges } = await conforming(async () => {
      await signedFetch(stack.apiUrl, 'POST', path, good);
      const done = await waitForClaim(stack.apiUrl, waiting.claimId, (c) => c.status === 'settled');
      await signedFetch(stack.apiUrl, 'POST', path, good);
      return done;
    });

    // assert
    expect(exchanges.filter((e) => e.request.method === 'POST').map((e) => e.response.status)).toEqual([200, 200]);
    expect(settled.timeline.map((t) => t.type)).toContain('return_received');
    claims.push(waiting.claimId);
  });

  it('actions: listed, reported, refused as documented, recovered and paid in cash instead', async () => {
    // arrange: a crushed box refunded without return, settled automatically
    const { result: claim } = await conforming(async () => {
      const { json } = await postClaim(stack.apiUrl, claimBody());
      return waitForClaim(stack.apiUrl, json.claimId, (c) => c.status === 'settled');
    });
    const read = await oneConforming(() => signedFetch(stack.apiUrl, 'GET', `/v1/claims/${claim.claimId}`));
    const refund = (JSON.parse(read.response.body) as { actions: { actionId: string; amount: { amount: number; currency: string } }[] })
      .actions[0];
    if (!refund) throw new Error('the settled claim lists no action');
    const path = `/v1/claims/${claim.claimId}/actions/${refund.actionId}`;
    const failed = { status: 'failed', provider: 'stripe', reference: 're_1', amount: refund.amount, failureReason: 'card closed' };

    // act and assert: the list, and refusals
    const list = await oneConforming(() => signedFetch(stack.apiUrl, 'GET', '/v1/actions?status=requested&limit=2'));
    const badQuery = await refusedAsDocumented('query limit must be >= 1', () => signedFetch(stack.apiUrl, 'GET', '/v1/actions?limit=0'));
    const schema = await refusedAsDocumented("must have required property 'reference'", () =>
      signedFetch(stack.apiUrl, 'POST', path, { status: 'succeeded', provider: 'stripe' }),
    );
    const amount = await oneConforming(() =>
      signedFetch(stack.apiUrl, 'POST', path, { ...failed, amount: { amount: 1, currency: 'EUR' } }),
    );
    const unknown = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', `${path}0`, failed));
    const notCredit = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', `${path}/cash`, {}));
    expect([list, badQuery, schema, amount, unknown, notCredit].map((e) => e.response.status)).toEqual([200, 400, 400, 422, 404, 422]);

    // act: the refund fails, is recovered as credit, and the cash is asked for again
    const recovered = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', path, failed));
    const again = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', path, failed));
    const credit = (JSON.parse(recovered.response.body) as { created: { actionId: string }[] }).created[0];
    const cash = await oneConforming(() =>
      signedFetch(stack.apiUrl, 'POST', `/v1/claims/${claim.claimId}/actions/${credit?.actionId}/cash`, {}),
    );
    const second = await oneConforming(() => signedFetch(stack.apiUrl, 'POST', path, { ...failed, reference: 're_2' }));

    // assert
    expect([recovered, again, cash, second].map((e) => e.response.status)).toEqual([200, 200, 200, 409]);
    claims.push(claim.claimId);
  });

  it('GET /v1/claims/{claimId} for a claim that does not exist, and unsigned', async () => {
    // act
    const missing = await oneConforming(() => signedFetch(stack.apiUrl, 'GET', '/v1/claims/clm_doesnotexist'));
    const unsigned = await refusedAsDocumented('credentials', () => fetch(`${stack.apiUrl}/v1/claims/${claims[0]}`));

    // assert
    expect([missing.response.status, unsigned.response.status]).toEqual([404, 401]);
  });
});

describe('finance and operations routes, by the document', () => {
  it('GET /v1/ledger as JSON, page by page, as CSV, by claim, and its refusals', async () => {
    // arrange
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };

    // act
    const { exchanges } = await conforming(async () => {
      const first = await financeGet({ ...range, storefront: 'demo', limit: '3' });
      const next = first.headers.get('x-makegood-next-cursor');
      if (next) await financeGet({ ...range, storefront: 'demo', limit: '3', cursor: next });
      await financeGet({ ...range, format: 'csv', limit: '5' });
      await financeGet({ claim: claims[0] ?? '', type: 'decided' });
      await financeGet({ ...range, storefront: 'demo' }, 'wrong-key');
    });
    const unknownParam = await refusedAsDocumented('query parameter store is not in the document', () =>
      financeGet({ ...range, store: 'demo' }),
    );
    const badLimit = await refusedAsDocumented('query limit must be >= 1', () => financeGet({ ...range, limit: '0' }));
    const noKey = await refusedAsDocumented('credentials', () => financeGet(range, null));

    // assert
    expect(exchanges.map((e) => e.response.status)).toEqual([200, 200, 200, 200, 401]);
    expect(exchanges[0]?.response.headers.link).toContain('rel="next"');
    expect(exchanges[2]?.response.headers['content-type']).toContain('text/csv');
    expect([unknownParam, badLimit, noKey].map((e) => e.response.status)).toEqual([400, 400, 401]);
    expect(noKey.response.headers['www-authenticate']).toBe('Bearer realm="makegood-finance"');
  });

  it('GET /health', async () => {
    // act
    const health = await oneConforming(() => fetch(`${stack.apiUrl}/health`));

    // assert
    expect(health.response.status).toBe(200);
  });

  it('GET /health/deep', async () => {
    // act
    const deepGet = (key: string | null) =>
      fetch(`${stack.apiUrl}/health/deep`, { headers: key === null ? {} : { Authorization: `Bearer ${key}` } });
    const deep = await oneConforming(() => deepGet(FINANCE_KEY));
    const wrongKey = await oneConforming(() => deepGet('wrong-key'));
    const noKey = await refusedAsDocumented('credentials', () => deepGet(null));

    // assert
    expect(deep.response.status).toBe(200);
    expect([wrongKey.response.status, noKey.response.status]).toEqual([401, 401]);
    expect(noKey.response.headers['www-authenticate']).toBe('Bearer realm="makegood-finance"');
  });

  it('the webhook bodies the recorded entries produce, signed as they are sent, validate against the document’s webhooks', async () => {
    // arrange: every entry of the claims made above, as finance reads them
    const entries: LedgerEntry[] = [];
    for (const claimId of claims) {
      const res = await financeGet({ claim: claimId });
      entries.push(...((await res.json()) as { entries: LedgerEntry[] }).entries);
    }
    const signer = new Webhook(`whsec_${Buffer.from('contract-test-webhook-secret').toString('base64')}`);

    // act
    const checked: string[] = [];
    const problems: string[] = [];
    for (const entry of entries) {
      const event = webhookEventOf(
        entry,
        entries.filter((e) => e.claimId === entry.claimId),
      );
      if (!event) continue;
      const body = JSON.stringify(event);
      const id = webhookEventId(entry.claimId, entry.seq);
      const at = new Date(entry.at);
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(id, at, body),
      };
      checked.push(event.type);
      problems.push(...contract.checkWebhook(event.type, headers, body).map((p) => `${event.type} (${id}): ${p}`));
    }

    // assert
    expect(problems).toEqual([]);
    expect([...new Set(checked)]).toEqual(
      expect.arrayContaining([
        'claim.received',
        'claim.decided',
        'claim.awaiting_approval',
        'claim.awaiting_return',
        'claim.return_received',
        'claim.settled',
      ]),
    );
    expect(
      contract.checkWebhook('claim.settled', {}, JSON.stringify({ type: 'claim.settled', timestamp: 'now', data: {} })).length,
    ).toBeGreaterThan(3);
  });

  it('exercised every documented route, and every answer seen was documented', () => {
    // assert
    const exercised = new Set(seen.map((e) => `${e.request.method} ${contract.route(e.request.method, e.request.path)?.template}`));
    expect(
      contract
        .operations()
        .map((o) => `${o.method} ${o.template}`)
        .filter((o) => !exercised.has(o)),
    ).toEqual([]);
    const statuses = new Set(seen.map((e) => e.response.status));
    for (const status of [200, 202, 400, 401, 404, 409, 413, 415, 422]) expect(statuses).toContain(status);
  });
});
