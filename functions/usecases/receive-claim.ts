import { randomUUID } from 'node:crypto';
import { assertConsistentClaim, type ClaimRequest, type OrderFacts, orderFactsConflicts, orderFactsOf } from '#domain/claim.ts';
import { IdempotencyKeyReusedError, OrderFactsConflictError, PolicyNotFoundError } from '#domain/errors.ts';
import type { Deps } from '#ports';
import { refOf } from './common.ts';

/**
 * The answer the storefront gets for a claim. It is remembered with the Idempotency-Key, as it
 * was first given, and given again to every replay of the same request.
 */
export interface ClaimAnswer {
  readonly statusCode: number;
  readonly body: string;
}

/** A storefront's claim, authenticated and validated against the claim schema. */
export interface ReceiveClaimInput {
  readonly storefrontId: string;
  /** The storefront's Idempotency-Key (already checked: 1–255 printable ASCII characters). */
  readonly idempotencyKey: string;
  /**
   * What tells the request sent under the key apart from another one: a key seen before with
   * another fingerprint is refused. Stored with the key, so its definition never changes.
   */
  readonly requestFingerprint: string;
  readonly claim: ClaimRequest;
  /** The answer a new claim gets, given its id; remembered with the key. */
  readonly answerFor: (claimId: string) => ClaimAnswer;
}

/** The claim received, and the answer to give for it. */
export interface ReceivedClaim {
  readonly claimId: string;
  /**
   * The same key came with the same request before: `claimId` and `answer` are the first
   * request's, and no second claim or workflow was started.
   */
  readonly replayed: boolean;
  readonly answer: ClaimAnswer;
}

/**
 * Receives a claim. The handler has checked the Idempotency-Key and the body against the claim
 * schema (400) before; the use case starts from a valid claim.
 *
 * What happens:
 * 1. The claim's facts are checked against each other (422) and the storefront must have a
 *    policy (409). Nothing is written for any of these.
 * 2. The order's facts are compared with those its first accepted claim pinned: any field that
 *    differs is a 422 `order_facts_conflict` naming it, and nothing is written.
 * 3. The key is recorded with the answer it gets, by a conditional write. A key seen before
 *    with the same request fingerprint replays that answer; with another one it is refused (409).
 * 4. The first claim on an order pins its facts (a conditional put, so of two racing first
 *    claims one pins and the other is compared with it).
 * 5. The `received` entry is appended and the workflow started, named by the claim id. Both are
 *    idempotent, so a replay re-drives them: a crash between steps loses nothing. Should the
 *    client never retry, the sweeper starts the workflow of a claim received but not started
 *    (sweep-claims.ts): the record stays in its queue until the start is done.
 */
export async function receiveClaim(
  input: ReceiveClaimInput,
  deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>,
): Promise<ReceivedClaim> {
  const { claim, idempotencyKey: key, requestFingerprint: requestHash } = input;
  const now = deps.clock.now();
  assertConsistentClaim(claim, now);
  const policy = await deps.state.currentPolicy(input.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${input.storefrontId} has no policy yet`);

  const stated = orderFactsOf(claim);
  const known = await deps.state.orderFacts(input.storefrontId, claim.order.id);
  assertSameFacts(known, claim);

  const claimId = `clm_${randomUUID().replace(/-/g, '')}`;
  const answer = input.answerFor(claimId);
  const remembered = await deps.state.rememberIdempotencyKey({
    storefrontId: input.storefrontId,
    key,
    requestHash,
    claimId,
    statusCode: answer.statusCode,
    body: answer.body,
    createdAt: now.toISOString(),
  });
  const record = remembered.created ? { claimId, statusCode: answer.statusCode, body: answer.body } : remembered.existing;
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
  // Until this, the sweeper would start the workflow if the intake stopped here (sweep-claims.ts).
  await deps.state.workflowStarted(input.storefrontId, key);
  return {
    claimId: record.claimId,
    replayed: !remembered.created,
    answer: { statusCode: record.statusCode, body: record.body },
  };
}

/** Throws {@link OrderFactsConflictError} when the claim's order facts differ from the pinned ones. */
function assertSameFacts(pinned: OrderFacts | undefined, claim: ClaimRequest): void {
  const issues = pinned ? orderFactsConflicts(pinned, claim) : [];
  if (issues.length > 0) {
    throw new OrderFactsConflictError(`Order ${claim.order.id} was first claimed with other facts`, issues);
  }
}
