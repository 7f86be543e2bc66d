import { parseActionReport, parseCashRequest, parseJsonBody } from '#domain/api/requests.ts';
import { reportAction, requestCashInstead } from '#usecases/actions.ts';
import { authenticateStorefront, httpHandler, json, requireJson } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * `POST /v1/claims/{claimId}/actions/{actionId}`: the storefront reports what it did about an
 * action. `POST /v1/claims/{claimId}/actions/{actionId}/cash`: the customer asked for the cash
 * instead of the store credit that recovered a failed refund.
 */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  const storefrontId = await authenticateStorefront(req, deps);
  requireJson(req);
  const ids = { storefrontId, claimId: req.pathParameters.claimId ?? '', actionId: req.pathParameters.actionId ?? '' };
  const actor = { kind: 'storefront', id: storefrontId } as const;
  const cash = (req.pathWithQuery.split('?')[0] ?? '').endsWith('/cash');
  if (cash) parseCashRequest(parseJsonBody(req.rawBody));
  const answered = cash
    ? await requestCashInstead({ ...ids, actor }, deps)
    : await reportAction({ ...ids, actor, report: parseActionReport(parseJsonBody(req.rawBody)) }, deps);
  return json(200, answered.receipt, answered.replayed ? { 'idempotent-replayed': 'true' } : {});
});
