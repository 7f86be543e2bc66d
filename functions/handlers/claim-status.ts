import { claimStatus } from '#usecases/claim-status.ts';
import { authenticateStorefront, httpHandler, json } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `GET /v1/claims/{claimId}`: a storefront reads one of its claims. */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  const storefrontId = await authenticateStorefront(req, deps);
  return json(200, await claimStatus({ storefrontId, claimId: req.pathParameters.claimId ?? '' }, deps));
});
