import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The guard that keeps the API behind its WAF, when the deployment puts one in front of it
 * (infra/edge.ts): CloudFront adds this header, with a value generated at deploy, to every request
 * it sends on, and an API function refuses a request that lacks it, so the execute-api address
 * cannot be used to go around the web ACL. Plain data and one pure check: the CDK imports the
 * header's name from here.
 */
export const ORIGIN_VERIFY_HEADER = 'x-makegood-origin-verify';

/** The environment variable that holds the value; unset (the embedded stack, a deploy without WAF), nothing is checked. */
export const ORIGIN_VERIFY_VARIABLE = 'MAKEGOOD_ORIGIN_VERIFY';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a request came through the distribution: `expected` is unset, or the request's header
 * (lower-case names) carries it. Compared in constant time, over digests so that lengths match.
 */
export function cameThroughEdge(headers: Readonly<Record<string, string>>, expected: string | undefined): boolean {
  if (expected === undefined || expected === '') return true;
  const sent = headers[ORIGIN_VERIFY_HEADER];
  return sent !== undefined && timingSafeEqual(digest(sent), digest(expected));
}
