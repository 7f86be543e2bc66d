import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { restoreText } from '#domain/csv.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import { ledgerCsvColumns } from '#domain/ledger-csv.ts';
import type { HttpEvent, HttpResult } from '#handlers/http.ts';
import {
  APPROVAL_KEY,
  chainOf,
  claimRef,
  DEMO_SECRET,
  decidedDraft,
  decision,
  FINANCE_KEY,
  httpEvent,
  itemsOf,
  LEDGER_TABLE,
  receivedDraft,
  STATE_TABLE,
  stubRuntime,
  writeSecrets,
} from './support.ts';

const ddb = mockClient(DynamoDBDocumentClient);

let handler: (event: HttpEvent) => Promise<HttpResult>;
let restore: () => void;

beforeEach(async () => {
  restore = stubRuntime();
  ({ handler } = await import('#handlers/ledger.ts'));
});

afterEach(() => {
  ddb.reset();
  restore();
});

/** Two claims of `demo` and one of `other-shop`, on 2026-11-09. */
const entries: LedgerEntry[] = [
  ...chainOf(claimRef('clm_a'), [receivedDraft(), decidedDraft(decision(2500, 'auto'))], new Date('2026-11-09T08:00:00.000Z')),
  ...chainOf(claimRef('clm_b'), [receivedDraft()], new Date('2026-11-09T09:00:00.000Z')),
  ...chainOf(claimRef('clm_c', 'other-shop'), [receivedDraft('other-shop')], new Date('2026-11-09T10:00:00.000Z')),
];

/** Answers the ledger's and the state table's Queries from {@link entries}, as DynamoDB would. */
function serveLedger(): void {
  const items = itemsOf(entries);
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const v = input.ExpressionAttributeValues ?? {};
    if (input.TableName === STATE_TABLE) return { Items: [{ sk: 'other-shop' }, { sk: 'demo' }] };
    if (input.IndexName === 'byStorefrontDay') {
      const rows = items
        .filter((i) => i.dayKey === v[':p'] && String(i.timeKey) >= v[':from'] && String(i.timeKey) <= v[':to'])
        .sort((a, b) => (String(a.timeKey) < String(b.timeKey) ? -1 : 1));
      const start = input.ExclusiveStartKey ? rows.findIndex((r) => r.timeKey === input.ExclusiveStartKey?.timeKey) + 1 : 0;
      const page = rows.slice(start, start + (input.Limit ?? rows.length));
      const last = page.at(-1);
      return { Items: page, ...(start + page.length < rows.length && last ? { LastEvaluatedKey: { timeKey: last.timeKey } } : {}) };
    }
    return { Items: items.filter((i) => i.pk === v[':pk']) };
  });
}

/** A finance request; `authorization: null` sends no Authorization header. */
function ledgerEvent(query: string, authorization: string | null = `Bearer ${FINANCE_KEY}`) {
  return httpEvent({
    method: 'GET',
    path: '/v1/ledger',
    query,
    ...(authorization === null ? {} : { headers: { Authorization: authorization } }),
  });
}

const day = 'from=2026-11-09T00:00:00Z&to=2026-11-10T00:00:00Z';

describe('GET /v1/ledger: the finance key', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong key', 'Bearer not-the-finance-key'],
    ['the key with a character more', `Bearer ${FINANCE_KEY}x`],
    ['a prefix of the key', `Bearer ${FINANCE_KEY.slice(0, -1)}`],
    ['another scheme', `Basic ${FINANCE_KEY}`],
    ['the bare key', FINANCE_KEY],
    ['an empty bearer', 'Bearer '],
    ['a storefront secret', `Bearer ${DEMO_SECRET}`],
  ])('answers 401 to %s, reading nothing', async (_what, authorization) => {
    // arrange
    serveLedger();
    // act
    const res = await handler(ledgerEvent(`${day}&storefront=demo`, authorization));
    // assert
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(JSON.parse(String(res.body)).error.code).toBe('unauthorized');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 401 before it looks at the query, so it tells a stranger nothing about it', async () => {
    // act
    const res = await handler(ledgerEvent('type=nope', null));
    // assert
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain('type');
  });

  it('answers 401 to every key while no finance key is configured', async () => {
    // arrange: secrets without the finance-key secret
    const dir = mkdtempSync(join(tmpdir(), 'makegood-no-finance-'));
    writeSecrets(dir, { approvalKey: APPROVAL_KEY, storefronts: { demo: DEMO_SECRET } });
    vi.stubEnv('MAKEGOOD_SECRETS_DIR', dir);
    serveLedger();
    // act
    const res = await Promise.all([handler(ledgerEvent(day, `Bearer ${FINANCE_KEY}`)), handler(ledgerEvent(day, 'Bearer '))]);
    rmSync(dir, { recursive: true, force: true });
    // assert
    expect(res.map((r) => r.statusCode)).toEqual([401, 401]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('accepts the scheme in any case', async () => {
    // arrange
    serveLedger();
    // act
    const res = await handler(ledgerEvent(`${day}&storefront=demo`, `bearer ${FINANCE_KEY}`));
    // assert
    expect(res.statusCode).toBe(200);
  });
});

describe('GET /v1/ledger: the query', () => {
  it.each([
    ['to=2026-11-10', 'from'],
    ['from=2026-11-09', 'to'],
    ['from=2026-11-09&to=2026-11-08', 'to'],
    ['from=2025-01-01&to=2026-11-10', 'to'],
    ['from=9.11.2026&to=2026-11-10', 'from'],
    [`${day}&type=refund`, 'type'],
    [`${day}&format=xml`, 'format'],
    [`${day}&limit=0`, 'limit'],
    [`${day}&limit=1001`, 'limit'],
    [`${day}&storefront=de mo`, 'storefront'],
    [`${day}&claim=clm%23a`, 'claim'],
    [`${day}&cursor=garbage`, 'cursor'],
    [`${day}&storefornt=demo`, 'storefornt'],
  ])('answers 400 to %s, naming %s', async (query, param) => {
    // arrange
    serveLedger();
    // act
    const res = await handler(ledgerEvent(query));
    // assert
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(String(res.body));
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.issues.map((i: { path: string }) => i.path)).toEqual([param]);
  });
});

describe('GET /v1/ledger: JSON and CSV', () => {
  it('answers a storefront’s entries as JSON, oldest first, from its storefront-day index', async () => {
    // arrange
    serveLedger();
    // act
    const res = await handler(ledgerEvent(`${day}&storefront=demo`));
    // assert
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(String(res.body)) as { entries: LedgerEntry[]; next: string | null };
    expect(body.next).toBeNull();
    expect(body.entries).toEqual(entries.filter((e) => e.storefrontId === 'demo'));
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.every((q) => q.IndexName === 'byStorefrontDay' && q.TableName === LEDGER_TABLE)).toBe(true);
  });

  it('pages with a cursor, in the body and in the Link and X-Makegood-Next-Cursor headers', async () => {
    // arrange
    serveLedger();
    // act
    const first = await handler(ledgerEvent(`${day}&storefront=demo&limit=2`));
    const firstBody = JSON.parse(String(first.body)) as { entries: LedgerEntry[]; next: string };
    const second = await handler(ledgerEvent(`${day}&storefront=demo&limit=2&cursor=${firstBody.next}`));
    const secondBody = JSON.parse(String(second.body)) as { entries: LedgerEntry[]; next: string | null };
    // assert
    expect(firstBody.entries.map((e) => `${e.claimId}/${e.seq}`)).toEqual(['clm_a/1', 'clm_a/2']);
    expect(first.headers['x-makegood-next-cursor']).toBe(firstBody.next);
    expect(first.headers.link).toBe(
      `</v1/ledger?${day.replaceAll(':', '%3A')}&storefront=demo&limit=2&cursor=${firstBody.next}>; rel="next"`,
    );
    expect(secondBody).toEqual({ entries: [entries[2]], next: null });
    expect(second.headers.link).toBeUndefined();
  });

  it('reads every storefront, in id order, when none is named', async () => {
    // arrange
    serveLedger();
    // act
    const res = await handler(ledgerEvent(day));
    // assert
    const body = JSON.parse(String(res.body)) as { entries: LedgerEntry[] };
    expect(body.entries.map((e) => e.storefrontId)).toEqual(['demo', 'demo', 'demo', 'other-shop']);
  });

  it('reads one claim by its key, filtered by type', async () => {
    // arrange
    serveLedger();
    // act
    const res = await handler(ledgerEvent('claim=clm_a&type=decided'));
    // assert
    const body = JSON.parse(String(res.body)) as { entries: LedgerEntry[] };
    expect(body.entries).toEqual([entries[1]]);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues)).toEqual([{ ':pk': 'CLAIM#clm_a' }]);
  });

  it('answers CSV as an attachment that csv-parse reads back to the same entries as the JSON', async () => {
    // arrange
    serveLedger();
    // act
    const csv = await handler(ledgerEvent(`${day}&storefront=demo&format=csv`));
    const asJson = JSON.parse(String((await handler(ledgerEvent(`${day}&storefront=demo`))).body)) as { entries: LedgerEntry[] };
    // assert
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="makegood-ledger-demo-20261109T000000Z-20261110T000000Z.csv"');
    const rows = parse(String(csv.body), { bom: true, columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0] ?? {})).toEqual([...ledgerCsvColumns]);
    expect(rows.map((r) => [r.claim, Number(r.seq), r.type, r.hash])).toEqual(
      asJson.entries.map((e) => [e.claimId, e.seq, e.type, e.hash]),
    );
    expect(rows.map((r) => JSON.parse(restoreText(r.data as string)))).toEqual(asJson.entries.map((e) => e.data));
  });
});
