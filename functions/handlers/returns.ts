import { parseJsonBody, parseReturnReport } from '#domain/api/requests.ts';
import { reportReturn } from '#usecases/returns.ts';
import { authenticateStorefront, httpHandler, json, requireJson } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `POST /v1/claims/{claimId}/returns`: the storefront reports returned goods arrived. */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  const storefrontId = await authenticateStorefront(req, deps);
  requireJson(req);
  const report = parseReturnReport(parseJsonBody(req.rawBody));
  return json(200, await reportReturn({ storefrontId, claimId: req.pathParameters.claimId ?? '', report }, deps));
});
