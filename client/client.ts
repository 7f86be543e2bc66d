import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { MakegoodApiError, MakegoodNetworkError } from './errors.ts';
import { backoffDelay, defaultRetryOptions, isRetryable, type RetryOptions, retryAfterMs } from './retry.ts';
import { signRequest } from './signature.ts';
import type {
  Action,
  ActionPage,
  ActionReceipt,
  ActionReport,
  ClaimRequest,
  ClaimView,
  CreatedClaim,
  Issue,
  ReturnReport,
  ReturnReported,
} from './types.ts';

/** How to reach makegood as one storefront. */
export interface MakegoodClientOptions {
  /** The API's base URL, e.g. `https://api.makegood.example` or `http://127.0.0.1:8787`. */
  readonly baseUrl: string;
  /** The storefront's id (`X-Makegood-Storefront`). */
  readonly storefrontId: string;
  /** The storefront's shared secret, which signs every request. */
  readonly secret: string;
  /** How long one attempt may take, answer body included, before it is aborted. @default 10000 */
  readonly timeoutMs?: number;
  /** How requests are retried; see {@link RetryOptions}. @default {@link defaultRetryOptions} */
  readonly retry?: Partial<RetryOptions>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** Waits between attempts (tests pass one that records the delays). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The jitter's randomness, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** The clock that stamps signatures. @default () => new Date() */
  readonly now?: () => Date;
}

/** Per-call options of {@link MakegoodClient.request}. */
export interface RequestOptions {
  /** Extra request headers, e.g. `Idempotency-Key`. They are sent on every attempt. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A successful answer: its status, headers and parsed JSON body (undefined when empty). */
export interface MakegoodResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** What one attempt came to. */
type Attempt =
  | { readonly kind: 'answered'; readonly res: Response; readonly text: string }
  | { readonly kind: 'no_answer'; readonly error: unknown; readonly timedOut: boolean };

/**
 * A storefront's client of the makegood HTTP API v1. Every request is signed afresh on each
 * attempt and retried by the rule in {@link RetryOptions}; an answer that is not 2xx ends as a
 * {@link MakegoodApiError}, no answer at all as a {@link MakegoodNetworkError}.
 */
export class MakegoodClient {
  private readonly baseUrl: URL;
  private readonly retry: RetryOptions;
  private readonly timeoutMs: number;
  private readonly fetch: typeof globalThis.fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => Date;

  constructor(private readonly options: MakegoodClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.retry = { ...defaultRetryOptions, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Files a claim (`POST /v1/claims`). The `Idempotency-Key` is the caller's, or a random UUID,
   * and stays the same on every retry: however often it is sent, there is one claim. Sending the
   * same body with the same key later answers the first response again, with `replayed: true`.
   */
  async createClaim(body: ClaimRequest, options: { readonly idempotencyKey?: string } = {}): Promise<CreatedClaim> {
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const res = await this.request<Omit<CreatedClaim, 'replayed' | 'idempotencyKey'>>('POST', '/v1/claims', body, {
      headers: { 'Idempotency-Key': idempotencyKey },
    });
    return { ...res.body, replayed: res.headers.get('idempotent-replayed') === 'true', idempotencyKey };
  }

  /** Reads one of this storefront's claims (`GET /v1/claims/{claimId}`); 404 for any other. */
  async getClaim(claimId: string): Promise<ClaimView> {
    return (await this.request<ClaimView>('GET', `/v1/claims/${encodeURIComponent(claimId)}`)).body;
  }

  /** Reports the goods that came back for a claim awaiting its return (`POST /v1/claims/{claimId}/returns`). */
  async reportReturn(claimId: string, body: ReturnReport): Promise<ReturnReported> {
    return (await this.request<ReturnReported>('POST', `/v1/claims/${encodeURIComponent(claimId)}/returns`, body)).body;
  }

  /**
   * One page of the storefront's actions still waiting for its answer, oldest first
   * (`GET /v1/actions?status=requested`). Pass the page's `next` as `cursor` for the following
   * one; `limit` is 1 to 100 (the server's default is 50).
   */
  async listActions(options: { readonly cursor?: string; readonly limit?: number } = {}): Promise<ActionPage> {
    const query = new URLSearchParams({ status: 'requested' });
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return (await this.request<ActionPage>('GET', `/v1/actions?${query}`)).body;
  }

  /**
   * Every requested action, oldest first, page after page until the last (`limit` per page). An
   * action answered while this runs may still come once: its answer is idempotent.
   *
   * ```ts
   * for await (const action of makegood.requestedActions()) await pay(action);
   * ```
   */
  async *requestedActions(options: { readonly limit?: number } = {}): AsyncGenerator<Action, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listActions({ ...options, ...(cursor === undefined ? {} : { cursor }) });
      yield* page.actions;
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Reports what the shop did about an action (`POST /v1/claims/{claimId}/actions/{actionId}`):
   * `succeeded` with the provider's reference (and the credit code or tracking), or `failed`
   * with the reason. Retried like every request, which is safe: the same report (same status
   * and reference) answers the first result, with `replayed: true`. A 503 `try_again` (the claim
   * is still settling) is retried; a 409 (already answered otherwise) and a 422 (another amount,
   * a field that does not fit the action) are not.
   */
  async reportAction(claimId: string, actionId: string, report: ActionReport): Promise<ActionReceipt> {
    return this.receipt(`/v1/claims/${encodeURIComponent(claimId)}/actions/${encodeURIComponent(actionId)}`, report);
  }

  /**
   * The customer asked for the cash instead of the store credit that recovered a failed refund
   * (`POST /v1/claims/{claimId}/actions/{creditActionId}/cash`). `created` holds the refund now
   * asked for; asked again, it answers the same, with `replayed: true`.
   */
  async requestCashInstead(claimId: string, creditActionId: string): Promise<ActionReceipt> {
    return this.receipt(`/v1/claims/${encodeURIComponent(claimId)}/actions/${encodeURIComponent(creditActionId)}/cash`, {});
  }

  private async receipt(path: string, body: unknown): Promise<ActionReceipt> {
    const res = await this.request<Omit<ActionReceipt, 'replayed'>>('POST', path, body);
    return { ...res.body, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /**
   * Sends any storefront request: `pathWithQuery` is relative to the base URL (`/v1/actions?status=requested`),
   * `body` is sent as JSON when given. Signed and retried like the methods above.
   */
  async request<T = unknown>(
    method: string,
    pathWithQuery: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<MakegoodResponse<T>> {
    const verb = method.toUpperCase();
    const url = this.urlOf(pathWithQuery);
    const rawBody = body === undefined ? '' : JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(verb, url, rawBody, body !== undefined, options.headers ?? {});
      let wait: number;
      if (outcome.kind === 'answered') {
        const { res, text } = outcome;
        if (res.ok) return { status: res.status, headers: res.headers, body: parseBody<T>(res, text, attempt) };
        const error = apiError(res, text, attempt);
        const asked = retryAfterMs(res.headers.get('retry-after'), this.now());
        const last = attempt >= this.retry.maxAttempts;
        if (last || !isRetryable(res.status, error.code, this.retry) || (asked ?? 0) > this.retry.maxRetryAfterMs) throw error;
        wait = asked ?? backoffDelay(attempt, this.retry, this.random);
      } else {
        if (attempt >= this.retry.maxAttempts) {
          const why = outcome.timedOut ? `timed out after ${this.timeoutMs} ms` : `failed: ${describe(outcome.error)}`;
          throw new MakegoodNetworkError(`${verb} ${url.pathname} ${why} (attempt ${attempt})`, outcome.timedOut, attempt, {
            cause: outcome.error,
          });
        }
        wait = backoffDelay(attempt, this.retry, this.random);
      }
      await this.sleep(wait);
    }
  }

  /** One signed attempt, with a fresh timestamp and its own timeout. */
  private async attempt(
    method: string,
    url: URL,
    rawBody: string,
    hasBody: boolean,
    extra: Readonly<Record<string, string>>,
  ): Promise<Attempt> {
    const t = Math.floor(this.now().getTime() / 1000);
    const headers: Record<string, string> = {
      ...extra,
      accept: 'application/json',
      'x-makegood-storefront': this.options.storefrontId,
      // Signed as it goes on the wire: the server sees this path and query.
      'x-makegood-signature': signRequest(this.options.secret, t, method, `${url.pathname}${url.search}`, rawBody),
    };
    if (hasBody) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await this.fetch(url, { method, headers, ...(hasBody ? { body: rawBody } : {}), signal, redirect: 'manual' });
      // The body is read under the same timeout: a server that stalls mid-answer is no answer.
      return { kind: 'answered', res, text: await res.text() };
    } catch (error) {
      return { kind: 'no_answer', error, timedOut: signal.aborted };
    }
  }

  private urlOf(pathWithQuery: string): URL {
    if (!pathWithQuery.startsWith('/')) throw new TypeError(`The path must start with "/": ${pathWithQuery}`);
    // The base URL's own path (a prefix) is kept: `https://host/prefix` + `/v1/claims`.
    const base = this.baseUrl.href.replace(/\/+$/, '');
    return new URL(`${base}${pathWithQuery}`);
  }
}

/** The error an answer that is not 2xx carries: `{"error":{"code","message","issues"?}}`, or what a gateway said. */
function apiError(res: Response, text: string, attempts: number): MakegoodApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    error?: { code?: unknown; message?: unknown; issues?: unknown };
    message?: unknown;
  };
  const code = typeof body.error?.code === 'string' ? body.error.code : `http_${res.status}`;
  const message =
    typeof body.error?.message === 'string'
      ? body.error.message
      : typeof body.message === 'string'
        ? body.message
        : `HTTP ${res.status} ${res.statusText}`.trim();
  const issues = Array.isArray(body.error?.issues) ? (body.error.issues as Issue[]) : [];
  return new MakegoodApiError(res.status, code, message, issues, attempts);
}

function parseBody<T>(res: Response, text: string, attempts: number): T {
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new MakegoodApiError(res.status, 'invalid_response', `The answer (HTTP ${res.status}) is not JSON`, [], attempts);
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
