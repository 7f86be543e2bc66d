import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import { chainOf, claimRef, decidedDraft, decision, httpEvent, itemsOf, receivedDraft, signedEvent, stubRuntime } from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);

let handler: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler } = await import('#handlers/claim-status.ts'));
});

afterEach(() => {
  ddb.reset();
  restore();
});

function statusEvent(claimId: string) {
  return signedEvent({ method: 'GET', path: `/v1/claims/${claimId}`, pathParameters: { claimId } });
}

describe('GET /v1/claims/{claimId}', () => {
  it('answers the storefront’s own claim with its status, decision and timeline', async () => {
    // arrange
    const entries = chainOf(claimRef('clm_own'), [receivedDraft(), decidedDraft(decision(2500, 'auto'))]);
    ddb.on(QueryCommand).resolves({ Items: itemsOf(entries) });

    // act
    const res = await handler(statusEvent('clm_own'));

    // assert
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(String(res.body));
    expect(body).toMatchObject({
      claimId: 'clm_own',
      status: 'assessing',
      decision: { outcome: 'refund_without_return', cash: { amount: 2500, currency: 'EUR' } },
    });
    expect(body.timeline.map((t: { type: string }) => t.type)).toEqual(['received', 'decided']);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':pk': 'CLAIM#clm_own' });
  });

  it('answers another storefront’s claim with 404, exactly like a claim that does not exist', async () => {
    // arrange
    const foreign = chainOf(claimRef('clm_foreign', 'other-shop'), [receivedDraft('other-shop')]);
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CLAIM#clm_foreign' } }).resolves({ Items: itemsOf(foreign) });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CLAIM#clm_missing' } }).resolves({ Items: [] });

    // act
    const foreignRes = await handler(statusEvent('clm_foreign'));
    const missingRes = await handler(statusEvent('clm_missing'));

    // assert
    expect(foreignRes.statusCode).toBe(404);
    expect(JSON.parse(String(foreignRes.body)).error.code).toBe('not_found');
    expect(foreignRes.body).not.toContain('other-shop');
    expect(foreignRes.body).toBe(missingRes.body);
  });

  it('answers 401 to an unsigned request without reading the ledger', async () => {
    // arrange
    const event = httpEvent({ method: 'GET', path: '/v1/claims/clm_own', pathParameters: { claimId: 'clm_own' } });

    // act
    const res = await handler(event);

    // assert
    expect(res.statusCode).toBe(401);
    expect(ddb.calls()).toHaveLength(0);
  });
});
