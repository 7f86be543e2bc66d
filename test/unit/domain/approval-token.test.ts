import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ApprovalGrant, formNonce, signApprovalToken, verifyApprovalToken, verifyFormNonce } from '#domain/approval-token.ts';
import { NOW } from './fixtures.ts';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const otherKey = Buffer.from('fedcba9876543210fedcba9876543210');
const nowSeconds = NOW.getTime() / 1000;
const grant: ApprovalGrant = {
  claimId: 'CLM-01JD5Z',
  round: 1,
  role: 'agent',
  approver: 'agent@demo.test',
  expiresAt: nowSeconds + 48 * 3600,
};

/** The token with its payload replaced by `payload` (re-encoded) but the original signature kept. */
function withPayload(token: string, payload: unknown): string {
  const [prefix, , signature] = token.split('.');
  return `${prefix}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
}

/** The decoded payload of a token. */
function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A token for any payload, correctly signed: to reach the checks behind the signature. */
function signedRaw(payloadText: string, k = key): string {
  const body = `v1.${Buffer.from(payloadText).toString('base64url')}`;
  return `${body}.${createHmac('sha256', k).update(body).digest('base64url')}`;
}

describe('approval tokens', () => {
  it('round-trips: a signed grant verifies to the same grant', () => {
    // arrange
    const token = signApprovalToken(grant, key);
    // act
    const result = verifyApprovalToken(token, key, NOW);
    // assert
    expect(result).toEqual({ ok: true, grant });
  });

  it('uses only the URL-safe characters A–Z a–z 0–9 . _ ~ - (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          claimId: fc.string({ minLength: 1, maxLength: 128 }),
          round: fc.integer({ min: 1, max: 1000 }),
          role: fc.constantFrom('auto', 'agent', 'supervisor', 'finance'),
          approver: fc.string({ minLength: 3, maxLength: 254 }),
          expiresAt: fc.integer({ min: nowSeconds + 1, max: nowSeconds + 10 ** 8 }),
        }),
        (g) => {
          // act
          const token = signApprovalToken(g, key);
          // assert
          expect(token).toMatch(/^[A-Za-z0-9._~-]+$/);
          expect(verifyApprovalToken(token, key, NOW)).toEqual({ ok: true, grant: g });
        },
      ),
      { numRuns: 100 },
    );
  });

  it.each([
    ['claimId', { c: 'CLM-OTHER' }],
    ['round', { r: 2 }],
    ['role', { t: 'finance' }],
    ['approver', { a: 'mallory@evil.test' }],
    ['expiry', { e: nowSeconds + 365 * 24 * 3600 }],
  ])('refuses as tampered a token whose %s was changed under the old signature', (_field, change) => {
    // arrange
    const token = signApprovalToken(grant, key);
    const forged = withPayload(token, { ...payloadOf(token), ...change });
    // act
    const result = verifyApprovalToken(forged, key, NOW);
    // assert
    expect(forged).not.toBe(token);
    expect(result).toEqual({ ok: false, problem: 'tampered' });
  });

  it('refuses as tampered a token checked with another key', () => {
    // arrange
    const token = signApprovalToken(grant, otherKey);
    // act
    const result = verifyApprovalToken(token, key, NOW);
    // assert
    expect(result).toEqual({ ok: false, problem: 'tampered' });
  });

  it('refuses as tampered a token whose signature was cut or changed', () => {
    // arrange
    const token = signApprovalToken(grant, key);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    // act / assert
    expect(verifyApprovalToken(token.slice(0, -4), key, NOW)).toEqual({ ok: false, problem: 'tampered' });
    expect(verifyApprovalToken(`${token.slice(0, -2)}${last}${token.at(-1)}`, key, NOW)).toEqual({ ok: false, problem: 'tampered' });
  });

  it('refuses as expired a token used at or after its expiry, and accepts it a second before', () => {
    // arrange
    const token = signApprovalToken(grant, key);
    const at = (seconds: number) => new Date(seconds * 1000);
    // act / assert
    expect(verifyApprovalToken(token, key, at(grant.expiresAt - 1)).ok).toBe(true);
    expect(verifyApprovalToken(token, key, at(grant.expiresAt))).toEqual({ ok: false, problem: 'expired' });
    expect(verifyApprovalToken(token, key, at(grant.expiresAt + 3600))).toEqual({ ok: false, problem: 'expired' });
  });

  it.each([
    ['an empty string', ''],
    ['text with spaces', 'not a token'],
    ['two parts', 'v1.abc'],
    ['four parts', 'v1.a.b.c'],
    ['another version', 'v2.abc.def'],
    ['characters outside the URL-safe set', 'v1.abc+/=.def'],
    ['a percent-encoded token', 'v1.abc%2E.def'],
    ['a very long token', `v1.${'a'.repeat(1100)}.b`],
  ])('refuses as malformed %s', (_what, token) => {
    // act
    const result = verifyApprovalToken(token, key, NOW);
    // assert
    expect(result).toEqual({ ok: false, problem: 'malformed' });
  });

  it.each([
    ['a payload that is not JSON', 'not json'],
    ['a payload missing fields', JSON.stringify({ c: 'CLM-1', r: 1 })],
    ['a payload with an unknown role', JSON.stringify({ c: 'CLM-1', r: 1, t: 'owner', a: 'agent@demo.test', e: nowSeconds + 60 })],
    ['a payload with extra fields', JSON.stringify({ c: 'CLM-1', r: 1, t: 'agent', a: 'agent@demo.test', e: nowSeconds + 60, x: 1 })],
  ])('refuses as malformed a correctly signed token with %s', (_what, payload) => {
    // arrange
    const token = signedRaw(payload);
    // act
    const result = verifyApprovalToken(token, key, NOW);
    // assert
    expect(result).toEqual({ ok: false, problem: 'malformed' });
  });
});

describe('form nonces', () => {
  const token = signApprovalToken(grant, key);

  it('accepts the nonce of the page built for this token', () => {
    // arrange
    const nonce = formNonce(token, key);
    // act / assert
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyFormNonce(token, nonce, key)).toBe(true);
  });

  it('refuses a nonce for another token, under another key, changed, empty or of another length', () => {
    // arrange
    const nonce = formNonce(token, key);
    const otherToken = signApprovalToken({ ...grant, round: 2 }, key);
    // act / assert
    expect(verifyFormNonce(otherToken, nonce, key)).toBe(false);
    expect(verifyFormNonce(token, formNonce(token, otherKey), key)).toBe(false);
    expect(verifyFormNonce(token, `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`, key)).toBe(false);
    expect(verifyFormNonce(token, '', key)).toBe(false);
    expect(verifyFormNonce(token, `${nonce}A`, key)).toBe(false);
  });
});

describe('approval token spelling', () => {
  it('accepts only the canonical spelling of the signature', () => {
    // arrange: base64url's last character carries spare bits; change them and the bytes stay equal
    const token = signApprovalToken(grant, key);
    const sig = token.slice(token.lastIndexOf('.') + 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1) ?? 'A');
    const variants = [1, 2, 3].map((d) => `${token.slice(0, -1)}${alphabet[(last & ~3) | ((last + d) & 3)]}`);
    // act
    const results = variants.map((v) => verifyApprovalToken(v, key, NOW));
    // assert
    for (const r of results) expect(r).toEqual({ ok: false, problem: 'tampered' });
  });
});
