import { createHash } from 'node:crypto';
import { parseIdempotencyKey, parseJsonBody } from '#domain/api/requests.ts';
import type { ClaimAccepted } from '#domain/api/responses.ts';
import { parseClaimRequest } from '#domain/claim.ts';
import { type ClaimAnswer, receiveClaim } from '#usecases/receive-claim.ts';
import { authenticateStorefront, type HttpRequest, httpHandler, json, requireJson } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `POST /v1/claims`: a storefront files a claim. */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  const storefrontId = await authenticateStorefront(req, deps);
  requireJson(req);
  const idempotencyKey = parseIdempotencyKey(req.headers['idempotency-key']);
  const claim = parseClaimRequest(parseJsonBody(req.rawBody));
  const received = await receiveClaim(
    { storefrontId, idempotencyKey, requestFingerprint: requestFingerprint(req), claim, answerFor: (claimId) => accepted(req, claimId) },
    deps,
  );
  return json(received.answer.statusCode, received.answer.body, received.replayed ? { 'idempotent-replayed': 'true' } : {});
});

/**
 * What an idempotency record recognises its request by: SHA-256 (hex) of
 * `<METHOD>\n<path with query>\n<raw body>`. Records store it, so this definition must not change:
 * a replay of a request made before a change would otherwise be refused as a different request.
 */
function requestFingerprint(req: HttpRequest): string {
  return createHash('sha256').update(`${req.method}\n${req.pathWithQuery}\n${req.rawBody}`).digest('hex');
}

/** The `202` a new claim gets: its id, its status and where to read it. */
function accepted(req: HttpRequest, claimId: string): ClaimAnswer {
  const body: ClaimAccepted = { claimId, status: 'received', statusUrl: `${req.baseUrl}/v1/claims/${claimId}` };
  return { statusCode: 202, body: JSON.stringify(body) };
}
