import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from now. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The HMAC a storefront signs: hex HMAC-SHA256(secret, "<t>.<METHOD>.<path with query>.<raw body>"). */
export function storefrontSignature(secret: string, t: number, method: string, pathWithQuery: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${method.toUpperCase()}.${pathWithQuery}.${rawBody}`).digest('hex');
}

/** The `X-Makegood-Signature` header value for a request. */
export function signatureHeader(secret: string, t: number, method: string, pathWithQuery: string, rawBody: string): string {
  return `t=${t},v1=${storefrontSignature(secret, t, method, pathWithQuery, rawBody)}`;
}

/** A parsed signature header: the timestamp and every v1 signature (several during secret rotation). */
export function parseSignatureHeader(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      v1.push(value);
    }
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

/** True when the header carries a valid signature of this request, made within the tolerance. */
export function verifyStorefrontSignature(args: {
  header: string | undefined;
  secret: string;
  method: string;
  pathWithQuery: string;
  rawBody: string;
  now: Date;
}): boolean {
  if (args.header === undefined) return false;
  const parsed = parseSignatureHeader(args.header);
  if (!parsed) return false;
  if (Math.abs(args.now.getTime() / 1000 - parsed.t) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(storefrontSignature(args.secret, parsed.t, args.method, args.pathWithQuery, args.rawBody), 'hex');
  return parsed.v1.some((sig) => timingSafeEqual(Buffer.from(sig, 'hex'), expected));
}
