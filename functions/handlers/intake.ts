import { receiveClaim } from '#usecases/receive-claim.ts';
import { authenticateStorefront, httpHandler, json, requireJson } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `POST /v1/claims`: a storefront files a claim. */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  const storefrontId = await authenticateStorefront(req, deps);
  requireJson(req);
  const result = await receiveClaim(
    {
      storefrontId,
      idempotencyKey: req.headers['idempotency-key'],
      method: req.method,
      pathWithQuery: req.pathWithQuery,
      rawBody: req.rawBody,
      baseUrl: req.baseUrl,
    },
    deps,
  );
  return json(result.statusCode, result.body, result.replayed ? { 'idempotent-replayed': 'true' } : {});
});
