import type { LedgerPageAnswer } from '#domain/api/ledger-entry.ts';
import { ledgerCsv } from '#domain/ledger-csv.ts';
import { type LedgerQuery, parseLedgerQuery } from '#domain/ledger-query.ts';
import type { LedgerPage } from '#ports';
import { ledgerPage } from '#usecases/ledger-export.ts';
import { financeUnauthorized, type HttpRequest, type HttpResult, httpHandler, isFinance, json } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `GET /v1/ledger`: finance reads the ledger, a page at a time, as JSON or CSV. */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  if (!(await isFinance(req, deps))) return financeUnauthorized();
  const query = parseLedgerQuery(queryString(req));
  const page = await ledgerPage(query, deps);
  // `satisfies`: the page fits the schema the OpenAPI document gives for this answer.
  return query.format === 'csv' ? csv(req, query, page) : json(200, page satisfies LedgerPageAnswer, nextHeaders(req, page));
});

function queryString(req: HttpRequest): string {
  const i = req.pathWithQuery.indexOf('?');
  return i < 0 ? '' : req.pathWithQuery.slice(i + 1);
}

/** The next page's cursor as headers too (a CSV body has no room for it); none on the last page. */
function nextHeaders(req: HttpRequest, page: LedgerPage): Record<string, string> {
  if (page.next === null) return {};
  const params = new URLSearchParams(queryString(req));
  params.set('cursor', page.next);
  const path = req.pathWithQuery.split('?')[0] ?? '/v1/ledger';
  return { 'x-makegood-next-cursor': page.next, link: `<${path}?${params.toString()}>; rel="next"` };
}

/** `20261101T000000Z` from an instant, for file names. */
function compact(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function csv(req: HttpRequest, query: LedgerQuery, page: LedgerPage): HttpResult {
  const subject = query.claimId !== undefined ? `claim-${query.claimId}` : (query.storefrontId ?? 'all');
  // Storefront and claim ids are letters, digits, `_` and `-`: safe inside the quoted file name.
  const filename = `makegood-ledger-${subject}-${compact(query.from)}-${compact(query.to)}.csv`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...nextHeaders(req, page),
    },
    body: ledgerCsv(page.entries),
  };
}
