import { createHmac } from 'node:crypto';

/**
 * The `X-Makegood-Signature` header for one request:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path with query>.<raw body>")>`.
 *
 * `pathWithQuery` is the path exactly as it goes on the wire (`/v1/claims?x=1`, no host), and
 * `rawBody` the exact string sent (empty for a GET). The server accepts a `t` within 300 s of its
 * clock, so sign each attempt afresh.
 */
export function signRequest(secret: string, t: number, method: string, pathWithQuery: string, rawBody: string): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${method.toUpperCase()}.${pathWithQuery}.${rawBody}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}
