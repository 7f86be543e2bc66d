import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_PATH_PARAMETER_BYTES } from '#domain/api/requests.ts';
import {
  ConflictError,
  DomainError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  type Issue,
  NotFoundError,
  OrderFactsConflictError,
  PayloadTooLargeError,
  PolicyNotFoundError,
  TransientError,
  UnauthorizedError,
  UnprocessableClaimError,
  UnsupportedMediaTypeError,
} from '#domain/errors.ts';
import { parseSignatureHeader, SIGNATURE_TOLERANCE_SECONDS, verifyStorefrontSignature } from '#domain/signature.ts';
import { plainText } from '#domain/text.ts';
import type { Clock, Secrets } from '#ports';
import { correlate, invocation, logger } from './observability.ts';
import { cameThroughEdge, ORIGIN_VERIFY_VARIABLE } from './origin-verify.ts';

/** Request bodies above this get 413. */
export const MAX_BODY_BYTES = 64 * 1024;

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

/** A request as the handlers read it: raw body (decoded), lower-case headers, path with query. */
export interface HttpRequest {
  readonly method: string;
  readonly pathWithQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly requestId: string;
  /** `https://host` the request came in on, for links in responses. */
  readonly baseUrl: string;
  /** The request's cookies by name (API Gateway payload v2 lists them apart from the headers). */
  readonly cookies: Readonly<Record<string, string>>;
}

/**
 * What is wrong with a path parameter as the function receives it, or undefined. API Gateway
 * decodes path parameters before it invokes the function (and the embedded server does the same),
 * so a value may hold anything a percent-encoding spells: `%00`, `%0A`, `%2F`, a lone surrogate.
 * The handlers never decode again; they get printable, well-formed text of a bounded size.
 */
function pathParameterProblem(value: string): string | undefined {
  if (Buffer.byteLength(value, 'utf8') > MAX_PATH_PARAMETER_BYTES) return `is longer than ${MAX_PATH_PARAMETER_BYTES} bytes`;
  if (/\p{Cs}/u.test(value)) return 'is not well-formed Unicode: it holds a lone surrogate';
  if (/\p{Cc}/u.test(value)) return 'holds a control character';
  return undefined;
}

/**
 * Reads an API Gateway HTTP API (payload v2) event. Throws {@link PayloadTooLargeError} (413) for
 * a body above {@link MAX_BODY_BYTES} and {@link InvalidRequestError} (400) naming each path
 * parameter that is too long, not well-formed Unicode or holds a control character.
 */
export function readRequest(event: HttpEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(`The body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  const host = headers['x-forwarded-host'] ?? headers.host ?? event.requestContext.domainName;
  const proto = headers['x-forwarded-proto'] ?? 'https';
  const pathParameters: Record<string, string> = {};
  const pathIssues: Issue[] = [];
  for (const [k, v] of Object.entries(event.pathParameters ?? {})) {
    if (v === undefined) continue;
    const problem = pathParameterProblem(v);
    if (problem) pathIssues.push({ path: `path.${k}`, message: problem });
    pathParameters[k] = v;
  }
  if (pathIssues.length > 0) throw new InvalidRequestError('The path is not one this route takes', pathIssues);
  const cookies: Record<string, string> = {};
  for (const c of event.cookies ?? headers.cookie?.split(/;\s*/) ?? []) {
    const at = c.indexOf('=');
    // The first of two cookies of one name wins, as browsers send the most specific path first.
    if (at > 0 && !(c.slice(0, at).trim() in cookies)) cookies[c.slice(0, at).trim()] = c.slice(at + 1).trim();
  }
  return {
    cookies,
    method: event.requestContext.http.method.toUpperCase(),
    pathWithQuery: event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath,
    headers,
    rawBody: bytes.toString('utf8'),
    pathParameters,
    sourceIp: event.requestContext.http.sourceIp,
    userAgent: event.requestContext.http.userAgent ?? '',
    requestId: event.requestContext.requestId,
    baseUrl: `${proto}://${host}`,
  };
}

/** Refuses a body that is not JSON (415). */
export function requireJson(req: HttpRequest): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json, not ${type || 'missing'}`);
  }
}

/** Verifies the storefront's signature and returns its id; 401 with no detail otherwise. */
export async function authenticateStorefront(req: HttpRequest, deps: { secrets: Secrets; clock: Clock }): Promise<string> {
  const storefrontId = req.headers['x-makegood-storefront'];
  const header = req.headers['x-makegood-signature'];
  if (!storefrontId || !header) throw new UnauthorizedError('Missing X-Makegood-Storefront or X-Makegood-Signature');
  // A header that could not verify under any secret (not the scheme's shape, or out of the time
  // window) costs no secret read: on AWS each read of a storefront's secret is a paid call.
  const parsed = parseSignatureHeader(header);
  if (!parsed || Math.abs(deps.clock.now().getTime() / 1000 - parsed.t) > SIGNATURE_TOLERANCE_SECONDS) {
    throw new UnauthorizedError('Invalid signature');
  }
  // Every secret in force is tried: during a rotation's grace period the shop may sign with either.
  const secrets = await deps.secrets.storefrontSigningSecrets(storefrontId);
  const ok = secrets.some((secret) =>
    verifyStorefrontSignature({
      header,
      secret,
      method: req.method,
      pathWithQuery: req.pathWithQuery,
      rawBody: req.rawBody,
      now: deps.clock.now(),
    }),
  );
  if (!ok) throw new UnauthorizedError('Invalid signature');
  return storefrontId;
}

/**
 * True when the request carries `Authorization: Bearer <finance key>`. False without a configured
 * key, so that nothing authenticates as finance until an operator sets one. The keys are compared
 * as SHA-256 digests in constant time: neither the key's length nor its characters leak by timing.
 */
export async function isFinance(req: HttpRequest, deps: { secrets: Secrets }): Promise<boolean> {
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(req.headers.authorization ?? '');
  const expected = await deps.secrets.financeKey();
  if (!m?.[1] || expected === undefined || expected === '') return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(m[1]), digest(expected));
}

/** 401 with a Bearer challenge (RFC 6750), for a finance route called without its key; nothing is read before it. */
export function financeUnauthorized(): HttpResult {
  return json(
    401,
    { error: { code: 'unauthorized', message: 'Missing or invalid finance key: send Authorization: Bearer <finance key>' } },
    { 'www-authenticate': 'Bearer realm="makegood-finance"' },
  );
}

/** The answer to a request that went around the deployment's WAF (origin-verify.ts): nothing is read or written. */
function notThroughEdge(): HttpResult {
  return json(403, {
    error: { code: 'forbidden', message: "This address is not the API's public one: send requests to the deployment's PublicUrl" },
  });
}

/** A urlencoded form's fields, each sent once; or why the body is not such a form. */
export type FormFields =
  | { readonly ok: true; readonly fields: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly problem: 'not_urlencoded' }
  | { readonly ok: false; readonly problem: 'repeated_field'; readonly field: string };

/**
 * Reads a form post (`application/x-www-form-urlencoded`). A field sent more than once refuses
 * the whole form: which copy counts would be a guess, and a second copy must never smuggle in
 * another value (`amount=10.00&amount=93.99`). The pages this app serves send each field once.
 */
export function readForm(req: HttpRequest): FormFields {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, problem: 'not_urlencoded' };
  const fields = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(req.rawBody)) {
    if (fields.has(k)) return { ok: false, problem: 'repeated_field', field: k };
    fields.set(k, v);
  }
  return { ok: true, fields };
}

/** The sentence a page shows for a form with a repeated field, naming the field (as plain text, shortened). */
export function repeatedFieldMessage(field: string): string {
  const name = plainText(field);
  return `The form sent the field “${name.length > 64 ? `${name.slice(0, 64)}…` : name}” more than once, so none of it was used.`;
}

/** The origin the app's pages are served from: the configured public URL's, else the request's own. */
export function ownOrigin(req: HttpRequest, publicUrl: string | undefined): string {
  const base = publicUrl ?? req.baseUrl;
  try {
    return new URL(base).origin;
  } catch {
    return base;
  }
}

/**
 * Whether a POST comes from a page of `origin`, by what the browser says. `Sec-Fetch-Site`, when
 * sent, must be `same-origin`; `Origin`, when sent, must be `origin` (`Origin: null`, which a
 * browser sends from a `no-referrer` page, a sandbox or a redirect, is refused: serve the forms'
 * pages with `sameOriginReferrer`). Every current browser sends at least one of them on a form
 * post, so a cross-site forgery never passes. With `originRequired` a post without `Origin` is
 * refused as well: the console, where a forged post would ride on the session cookie. Without it,
 * a request with neither header is not a browser's and passes: the approval link, whose only
 * credential is the link itself.
 */
export function isSameOriginPost(req: HttpRequest, origin: string, options: { originRequired: boolean }): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site.trim().toLowerCase() !== 'same-origin') return false;
  const from = req.headers.origin;
  if (from === undefined) return !options.originRequired;
  return from.trim() === origin;
}

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/**
 * An HTML response. Pages never cache, never run script and load nothing from elsewhere, except,
 * with `images`, pictures from http(s) URLs (the console's evidence images). They send no
 * referrer, except with `sameOriginReferrer` to their own origin: a browser then sends the real
 * `Origin` on the page's form posts (under `no-referrer` it sends `Origin: null`), which the
 * console checks.
 */
export function html(statusCode: number, body: string, options: { images?: boolean; sameOriginReferrer?: boolean } = {}): HttpResult {
  const img = options.images ? ' img-src https: http:;' : '';
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline';${img} form-action 'self'; frame-ancestors 'none'`,
      'referrer-policy': options.sameOriginReferrer ? 'same-origin' : 'no-referrer',
      'x-content-type-options': 'nosniff',
    },
    body,
  };
}

function errorBody(code: string, message: string, issues?: readonly Issue[]) {
  return { error: { code, message, ...(issues && issues.length > 0 ? { issues } : {}) } };
}

/** Maps a named error to its HTTP answer; anything else is a 500 with a correlation id. */
export function errorResponse(err: unknown, requestId: string): HttpResult {
  if (err instanceof DomainError) {
    if (err instanceof InvalidRequestError) return json(400, errorBody('invalid_request', err.message, err.issues));
    if (err instanceof UnauthorizedError) return json(401, errorBody('unauthorized', 'Missing or invalid signature'));
    if (err instanceof NotFoundError) return json(404, errorBody('not_found', err.message));
    if (err instanceof IdempotencyKeyReusedError) return json(409, errorBody('idempotency_key_reused', err.message));
    if (err instanceof ConflictError) return json(409, errorBody('conflict', err.message));
    if (err instanceof PolicyNotFoundError) return json(409, errorBody('policy_missing', err.message));
    if (err instanceof PayloadTooLargeError) return json(413, errorBody('payload_too_large', err.message));
    if (err instanceof UnsupportedMediaTypeError) return json(415, errorBody('unsupported_media_type', err.message));
    if (err instanceof UnprocessableClaimError) return json(422, errorBody('unprocessable', err.message, err.issues));
    if (err instanceof OrderFactsConflictError) return json(422, errorBody('order_facts_conflict', err.message, err.issues));
    // Nothing is lost and a retry of the same request will go through: say so, with a 503.
    if (err instanceof TransientError) return json(503, errorBody('try_again', err.message), { 'retry-after': '1' });
  }
  const correlationId = requestId || randomUUID();
  logger.error('Unhandled error', { correlationId, error: err as Error });
  return json(500, errorBody('internal_error', `Something went wrong on our side; quote ${correlationId} when you contact support`), {
    'x-correlation-id': correlationId,
  });
}

/** Wraps a route: reads the request, runs it, maps named errors to 4xx and the rest to 500. */
export function httpHandler(fn: (req: HttpRequest) => Promise<HttpResult>): (event: HttpEvent) => Promise<HttpResult> {
  return invocation(async (event: HttpEvent) => {
    try {
      const req = readRequest(event);
      if (!cameThroughEdge(req.headers, process.env[ORIGIN_VERIFY_VARIABLE])) return notThroughEdge();
      if (req.pathParameters.claimId) correlate(req.pathParameters.claimId);
      return await fn(req);
    } catch (err) {
      return errorResponse(err, event.requestContext?.requestId ?? '');
    }
  });
}
