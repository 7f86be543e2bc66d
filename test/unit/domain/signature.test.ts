import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parseSignatureHeader,
  SIGNATURE_TOLERANCE_SECONDS,
  signatureHeader,
  storefrontSignature,
  verifyStorefrontSignature,
} from '#domain/signature.ts';

const secret = 'demo-secret';
const t = 1_795_435_200; // 2026-11-23T12:00:00Z
const body = '{"order":{"id":"ORD-1001"}}';
const path = '/v1/claims?dryRun=false';
const at = (seconds: number) => new Date(seconds * 1000);

/** Verifies a request with the defaults above, changed by `override`. */
function verify(override: Partial<Parameters<typeof verifyStorefrontSignature>[0]> = {}): boolean {
  return verifyStorefrontSignature({
    header: signatureHeader(secret, t, 'POST', path, body),
    secret,
    method: 'POST',
    pathWithQuery: path,
    rawBody: body,
    now: at(t),
    ...override,
  });
}

describe('storefront signatures', () => {
  it('round-trips: a header made for a request verifies for that request', () => {
    // arrange
    const header = signatureHeader(secret, t, 'POST', path, body);
    // act
    const ok = verify({ header });
    // assert
    expect(header).toMatch(/^t=1795435200,v1=[0-9a-f]{64}$/);
    expect(ok).toBe(true);
  });

  it('signs "<t>.<METHOD>.<path with query>.<raw body>" with HMAC-SHA256 in hex, as DESIGN.md says', () => {
    // arrange
    const expected = createHmac('sha256', secret).update(`${t}.POST.${path}.${body}`).digest('hex');
    // act
    const signature = storefrontSignature(secret, t, 'post', path, body);
    // assert
    expect(signature).toBe(expected);
  });

  it.each([
    ['299 s after', t + 299, true],
    ['exactly 300 s after', t + SIGNATURE_TOLERANCE_SECONDS, true],
    ['301 s after', t + 301, false],
    ['299 s before', t - 299, true],
    ['301 s before', t - 301, false],
  ])('a signature made %s the request time: accepted = %s', (_when, nowSeconds, accepted) => {
    // act
    const ok = verify({ now: at(nowSeconds) });
    // assert
    expect(ok).toBe(accepted);
  });

  it.each([
    ['another secret', { secret: 'other-secret' }],
    ['a changed body', { rawBody: `${body} ` }],
    ['a changed path', { pathWithQuery: '/v1/claims' }],
    ['a changed query', { pathWithQuery: '/v1/claims?dryRun=true' }],
    ['a changed method', { method: 'PUT' }],
  ])('refuses %s', (_what, override) => {
    // act
    const ok = verify(override);
    // assert
    expect(ok).toBe(false);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no signature', `t=${t}`],
    ['a non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`],
    ['a negative timestamp', `t=-${t},v1=${'a'.repeat(64)}`],
    ['a short signature', `t=${t},v1=abc`],
    ['an upper-case hex signature', `t=${t},v1=${'A'.repeat(64)}`],
    ['a part without "="', `t=${t},v1`],
    ['garbage', 'Bearer abc'],
  ])('refuses a malformed header: %s', (_what, header) => {
    // act
    const ok = verify({ header });
    // assert
    expect(ok).toBe(false);
  });

  it('accepts several v1 values during secret rotation when one of them matches', () => {
    // arrange
    const good = storefrontSignature(secret, t, 'POST', path, body);
    const old = storefrontSignature('old-secret', t, 'POST', path, body);
    // act / assert
    expect(verify({ header: `t=${t},v1=${old},v1=${good}` })).toBe(true);
    expect(verify({ header: `t=${t}, v1=${good}, v1=${old}` })).toBe(true);
    expect(verify({ header: `t=${t},v1=${old},v1=${'0'.repeat(64)}` })).toBe(false);
  });

  it('ignores unknown schemes next to v1 and parses every v1 value', () => {
    // arrange
    const good = storefrontSignature(secret, t, 'POST', path, body);
    // act
    const parsed = parseSignatureHeader(`t=${t},v0=whatever,v1=${good},v1=${'0'.repeat(64)}`);
    // assert
    expect(parsed).toEqual({ t, v1: [good, '0'.repeat(64)] });
    expect(verify({ header: `t=${t},v0=whatever,v1=${good}` })).toBe(true);
  });
});
