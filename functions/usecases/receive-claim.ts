import { createHash, randomUUID } from 'node:crypto';
import {
  assertConsistentClaim,
  type ClaimRequest,
  type OrderFacts,
  orderFactsConflicts,
  orderFactsOf,
  parseClaimRequest,
} from '#domain/claim.ts';
import { IdempotencyKeyReusedError, InvalidRequestError, OrderFactsConflictError, PolicyNotFoundError } from '#domain/errors.ts';
import type { Deps } from '#ports';
import { refOf } from './common.ts';

/** A storefront's claim request, as the HTTP layer hands it over after authentication. */
export interface ReceiveClaimInput {
  readonly storefrontId: string;
  readonly idempotencyKey: string | undefined;
  readonly method: string;
  readonly pathWithQuery: string;
  readonly rawBody: string;
  /** Base for `statusUrl`, e.g. `https://api.example.com`. */
  readonly baseUrl: string;
}

/** The response to give, and whether it is a replay of an earlier one. */
export interface ReceiveClaimResult {
  readonly statusCode: number;
  readonly body: string;
  readonly replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Receives a claim.
 *
 * What happens:
 * 1. The Idempotency-Key is checked, then the body against the schema (400) and its facts
 *    against each other (422). Nothing is written for any of these.
 * 2. The order's facts are compared with those its first accepted claim pinned: any field that
 *    differs is a 422 `order_facts_conflict` naming it, and nothing is written.
 * 3. The key is recorded with the response it gets, by a conditional write. A key seen before
 *    with the same request replays that response; with another request it is refused (409).
 * 4. The first claim on an order pins its facts (a conditional put, so of two racing first
 *    claims one pins and the other is compared with it).
 * 5. The `received` entry is appended and the workflow started, named by the claim id. Both are
 *    idempotent, so a replay re-drives them: a crash between steps loses nothing.
 */
export async function receiveClaim(
  input: ReceiveClaimInput,
  deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>,
): Promise<ReceiveClaimResult> {
  const key = input.idempotencyKey;
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
    throw new InvalidRequestError('Idempotency-Key header is required', [
      { path: 'headers.Idempotency-Key', message: 'must be 1–255 printable ASCII characters' },
    ]);
  }
  let body: unknown;
  try {
    body = JSON.parse(input.rawBody);
  } catch {
    throw new InvalidRequestError('The body is not valid JSON', [{ path: '(root)', message: 'must be a JSON object' }]);
  }
  const claim = parseClaimRequest(body);
  const now = deps.clock.now();
  assertConsistentClaim(claim, now);
  const policy = await deps.state.currentPolicy(input.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${input.storefrontId} has no policy yet`);

  const stated = orderFactsOf(claim);
  const known = await deps.state.orderFacts(input.storefrontId, claim.order.id);
  assertSameFacts(known, claim);

  const requestHash = createHash('sha256').update(`${input.method}\n${input.pathWithQuery}\n${input.rawBody}`).digest('hex');
  const claimId = `clm_${randomUUID().replace(/-/g, '')}`;
  const responseBody = JSON.stringify({
    claimId,
    status: 'received',
    statusUrl: `${input.baseUrl}/v1/claims/${claimId}`,
  });
  const remembered = await deps.state.rememberIdempotencyKey({
    storefrontId: input.storefrontId,
    key,
    requestHash,
    claimId,
    statusCode: 202,
    body: responseBody,
    createdAt: now.toISOString(),
  });
  const record = remembered.created ? { claimId, statusCode: 202, body: responseBody } : remembered.existing;
  if (!remembered.created && remembered.existing.requestHash !== requestHash) {
    throw new IdempotencyKeyReusedError('This Idempotency-Key was already used with a different request');
  }
  // Pinned only once the key is known to be this request's, so a refused key pins nothing. Of two
  // first claims racing with different facts, the loser gets its 422 here, and so does any replay
  // of it (the facts are compared first, above).
  if (!known || (known.deliveredAt === undefined && stated.deliveredAt !== undefined)) {
    assertSameFacts(await deps.state.pinOrderFacts(input.storefrontId, stated), claim);
  }

  await deps.ledger.append(
    refOf(record.claimId, input.storefrontId, claim),
    {
      type: 'received',
      step: 'received',
      status: 'received',
      actor: { kind: 'storefront', id: input.storefrontId },
      policyVersion: null,
      data: { claim: JSON.parse(JSON.stringify(claim)), idempotencyKey: key },
    },
    remembered.created ? [] : undefined,
  ); // a new claim id has no entries yet: no need to read
  await deps.workflow.start(record.claimId, { claimId: record.claimId, storefrontId: input.storefrontId });
  return { statusCode: record.statusCode, body: record.body, replayed: !remembered.created };
}

/** Throws {@link OrderFactsConflictError} when the claim's order facts differ from the pinned ones. */
function assertSameFacts(pinned: OrderFacts | undefined, claim: ClaimRequest): void {
  const issues = pinned ? orderFactsConflicts(pinned, claim) : [];
  if (issues.length > 0) {
    throw new OrderFactsConflictError(`Order ${claim.order.id} was first claimed with other facts`, issues);
  }
}
