/**
 * Every error the workflow or the HTTP layer branches on, by name. The ASL's Retry/Catch and the
 * HTTP error mapping match these names, and the ASL lint test checks that the ASL names only
 * errors listed here, so a rename cannot silently break a Catch.
 */
export const ErrorNames = {
  InvalidRequestError: 'InvalidRequestError',
  UnprocessableClaimError: 'UnprocessableClaimError',
  OrderFactsConflictError: 'OrderFactsConflictError',
  UnauthorizedError: 'UnauthorizedError',
  NotFoundError: 'NotFoundError',
  PayloadTooLargeError: 'PayloadTooLargeError',
  UnsupportedMediaTypeError: 'UnsupportedMediaTypeError',
  IdempotencyKeyReusedError: 'IdempotencyKeyReusedError',
  ConflictError: 'ConflictError',
  OverRefundError: 'OverRefundError',
  CurrencyMismatchError: 'CurrencyMismatchError',
  ClaimNotFoundError: 'ClaimNotFoundError',
  PolicyNotFoundError: 'PolicyNotFoundError',
  InvalidPolicyError: 'InvalidPolicyError',
  TransientError: 'TransientError',
  ApprovalAnsweredError: 'ApprovalAnsweredError',
} as const;

/** One name from {@link ErrorNames}. */
export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** One problem with an input, by path: `{ path: "order.items[0].quantity", message: "…" }`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** Base of every named error in the domain. */
export abstract class DomainError extends Error {
  abstract override readonly name: ErrorName;
}

/** The request breaks the schema; `issues` lists every problem by path. Maps to 400. */
export class InvalidRequestError extends DomainError {
  override readonly name = ErrorNames.InvalidRequestError;
  constructor(
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

/** The request is well-formed but its facts contradict each other. Maps to 422. */
export class UnprocessableClaimError extends DomainError {
  override readonly name = ErrorNames.UnprocessableClaimError;
  constructor(
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

/**
 * A claim's order facts differ from those the order's first accepted claim pinned; `issues`
 * names each differing field. Maps to 422 `order_facts_conflict`.
 */
export class OrderFactsConflictError extends DomainError {
  override readonly name = ErrorNames.OrderFactsConflictError;
  constructor(
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

/** Missing or invalid credentials. Maps to 401; says nothing about which part failed. */
export class UnauthorizedError extends DomainError {
  override readonly name = ErrorNames.UnauthorizedError;
}

/** The thing does not exist, or belongs to someone else. Maps to 404. */
export class NotFoundError extends DomainError {
  override readonly name = ErrorNames.NotFoundError;
}

/** Request body above the limit. Maps to 413. */
export class PayloadTooLargeError extends DomainError {
  override readonly name = ErrorNames.PayloadTooLargeError;
}

/** Request body of the wrong media type. Maps to 415. */
export class UnsupportedMediaTypeError extends DomainError {
  override readonly name = ErrorNames.UnsupportedMediaTypeError;
}

/** The same Idempotency-Key was sent with a different request. Maps to 409. */
export class IdempotencyKeyReusedError extends DomainError {
  override readonly name = ErrorNames.IdempotencyKeyReusedError;
}

/** The request is valid but the claim is not in a state that accepts it. Maps to 409. */
export class ConflictError extends DomainError {
  override readonly name = ErrorNames.ConflictError;
}

/** Granting this would take the order's refunds plus credits above what it paid. */
export class OverRefundError extends DomainError {
  override readonly name = ErrorNames.OverRefundError;
}

/** Two amounts of different currencies met in one calculation. */
export class CurrencyMismatchError extends DomainError {
  override readonly name = ErrorNames.CurrencyMismatchError;
}

/** A workflow step was given a claim the ledger does not know. */
export class ClaimNotFoundError extends DomainError {
  override readonly name = ErrorNames.ClaimNotFoundError;
}

/** The storefront has no policy to decide with. */
export class PolicyNotFoundError extends DomainError {
  override readonly name = ErrorNames.PolicyNotFoundError;
}

/** A policy document breaks the policy schema; `issues` lists every problem by path. */
export class InvalidPolicyError extends DomainError {
  override readonly name = ErrorNames.InvalidPolicyError;
  constructor(
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

/** A dependency failed in a way that a retry may fix (throttling, a lost race). */
export class TransientError extends DomainError {
  override readonly name = ErrorNames.TransientError;
}

/**
 * An approval wait found its round already answered: the answer raced a timeout (or a restart)
 * and its resume reached an older task token. The ASL catches it and lets Escalate continue the
 * claim the way the recorded answer says, instead of waiting for nobody.
 */
export class ApprovalAnsweredError extends DomainError {
  override readonly name = ErrorNames.ApprovalAnsweredError;
}

/** Turns zod-style issues (`path` as an array) into {@link Issue}s with dotted paths. */
export function toIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Issue[] {
  return issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** `["order","items",0,"sku"]` → `order.items[0].sku`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}
