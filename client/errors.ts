import type { Issue } from './types.ts';

/**
 * The API answered with an error: `status` is the HTTP status, `code` the error body's
 * `error.code` (`invalid_request`, `unauthorized`, `idempotency_key_reused`, `try_again`, …), or
 * `http_<status>` when the body carried none (a gateway's own answer).
 */
export class MakegoodApiError extends Error {
  override readonly name = 'MakegoodApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For 400 and 422: every problem, by path. */
    readonly issues: readonly Issue[] = [],
    /** How many attempts were made before this answer was given up on. */
    readonly attempts = 1,
  ) {
    super(message);
  }
}

/**
 * No answer came: the connection failed, or the attempt ran past its timeout (`timedOut`).
 * `cause` holds the error `fetch` threw.
 */
export class MakegoodNetworkError extends Error {
  override readonly name = 'MakegoodNetworkError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** A webhook whose signature, timestamp or body does not check out. Answer it with a 400. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}
