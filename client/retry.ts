/**
 * When the client tries a request again, and how long it waits first.
 *
 * The rule: a request is tried again when no answer came (connection failed, attempt timed out),
 * on 429, on any 5xx (503 `try_again` included), and on a 409 whose code says the same request
 * is still in progress (`inProgressCodes`). Every other answer is final: 400, 401, 404, 413,
 * 415, 422, and the other 409s (`idempotency_key_reused`: the key was used for another body;
 * `conflict`: the claim is not in a state that accepts this; `policy_missing`). Trying again is
 * safe because every storefront endpoint is idempotent: `POST /v1/claims` by its
 * `Idempotency-Key` (kept across attempts), a return report by its content.
 *
 * The wait before attempt n+1 is the server's `Retry-After` when it sends one, otherwise
 * "full jitter": a uniformly random time between 0 and min(maxDelayMs, baseDelayMs × 2^(n-1)).
 */

/** How many times, and how far apart, a request is tried. */
export interface RetryOptions {
  /** Attempts in all, the first included; 1 never retries. @default 4 */
  readonly maxAttempts: number;
  /** The backoff's first ceiling. @default 250 */
  readonly baseDelayMs: number;
  /** The backoff's highest ceiling. @default 8000 */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown at once. @default 30000 */
  readonly maxRetryAfterMs: number;
  /**
   * 409 error codes that mean "the same request is still being processed; ask again". Today's
   * server never sends one (it settles a race of two identical requests at once: the second gets
   * the first one's answer, replayed), so by default no 409 is retried in practice.
   * @default ['idempotency_key_in_use']
   */
  readonly inProgressCodes: readonly string[];
}

/** The defaults of {@link RetryOptions}. */
export const defaultRetryOptions: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30_000,
  inProgressCodes: ['idempotency_key_in_use'],
};

/** True when an HTTP answer with this status and error code is worth another attempt. */
export function isRetryable(status: number, code: string, options: Pick<RetryOptions, 'inProgressCodes'>): boolean {
  if (status === 409) return options.inProgressCodes.includes(code);
  return status === 429 || status >= 500;
}

/** The full-jitter wait before attempt `failedAttempt + 1`, with `random()` in [0, 1). */
export function backoffDelay(
  failedAttempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.floor(random() * ceiling);
}

/** A `Retry-After` value (delta seconds or an HTTP date) in milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
