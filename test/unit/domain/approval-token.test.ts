import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ApprovalGrant, formNonce, signApprovalToken, verifyApprovalToken, verifyFormNonce } from '#domain/approval-token.ts';
import { keyRing, singleKeyRing } from '#domain/key-ring.ts';
import { NOW } from './fixtures.ts';

const rawKey = Buffer.from('0123456789abcdef0123456789abcdef');
const key = singleKeyRing(rawKey);
/** Another key under the same id `k1`: a forger's, or another deployment's. */
const otherRawKey = Buffer.from('fedcba9876543210fedcba9876543210');
const otherKey = singleKeyRing(otherRawKey);
/** What precedes the sealed body: the version and the key id, `v2.k1.`. */
const PREFIX = 'v2.k1.';
const nowSeconds = NOW.getTime() / 1000;
const grant: ApprovalGrant = {
  claimId: 'CLM-01JD5Z',
  round: 1,
  role: 'agent',
  approver: 'agent@demo.test',
  expiresAt: nowSeconds + 48 * 3600,
};
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Seals any plaintext exactly as the server does (HKDF-derived AES-256-GCM key, `v2.k1` as AAD,
 * `v2.k1.<body>`): a stand-in for someone who holds the key, to reach the checks behind the
 * authentication.
 */
function sealRaw(plaintext: string, k = rawKey, format: 'keyed' | 'before key ids' = 'keyed'): string {
  const sealKey = Buffer.from(hkdfSync('sha256', k, Buffer.from('makegood approval links'), 'v2 token AES-256-GCM', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(format === 'keyed' ? 'v2.k1' : 'v2'));
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${format === 'keyed' ? PREFIX : 'v2.'}${body.toString('base64url')}`;
}

/** The token with the character at `i` replaced by the next one of the base64url alphabet. */
function withCharChanged(token: string, i: number): string {
  const c = token[i] ?? 'A';
  const next = ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length];
  return `${token.slice(0, i)}${next}${token.slice(i + 1)}`;
}

describe('approval tokens', () => {
  it('round-trips: a sealed grant opens to the same grant', () => {
    // arrange
    const token = signApprovalToken(grant, key);
    // act
    const result = verifyApprovalToken(token, key, NOW);
    // assert
    expect(token.startsWith(PREFIX)).toBe(true);
    expect(result).toEqual({ ok: true, grant });
  });

  it('uses only the URL-safe characters A–Z a–z 0–9 . _ ~ - and round-trips any grant (property)', () => {
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
          expect(encodeURIComponent(token)).toBe(token);
          expect(verifyApprovalToken(token, key, NOW)).toEqual({ ok: true, grant: g });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is opaque: the claim, round, tier, approver and expiry cannot be read from it', () => {
    // arrange
    const token = signApprovalToken(grant, key);
    const body = token.split('.')[2] ?? '';
    const decoded = Buffer.from(body, 'base64url').toString('latin1');
    // act
    const visible = [token, decoded, Buffer.from(body, 'base64').toString('latin1')].join(' ');
    // assert
    for (const secret of [grant.claimId, grant.approver, 'agent@', 'demo.test', 'agent', String(grant.expiresAt), '"r":1']) {
      expect(visible).not.toContain(secret);
    }
    for (const encoded of [Buffer.from(grant.claimId).toString('base64url'), Buffer.from(grant.approver).toString('base64url')]) {
      expect(token).not.toContain(encoded.slice(0, 8));
    }
  });

  it('seals the same grant differently each time, and every copy opens', () => {
    // act
    const tokens = Array.from({ length: 20 }, () => signApprovalToken(grant, key));
    // assert
    expect(new Set(tokens).size).toBe(20);
    for (const t of tokens) expect(verifyApprovalToken(t, key, NOW)).toEqual({ ok: true, grant });
  });

  it('refuses as tampered every single-character change, anywhere in the IV, ciphertext or tag', () => {
    // arrange
    const token = signApprovalToken(grant, key);
    // act: change each character after the version and key id prefix, one at a time
    const results = Array.from({ length: token.length - PREFIX.length }, (_, i) =>
      verifyApprovalToken(withCharChanged(token, i + PREFIX.length), key, NOW),
    );
    // assert
    expect(results.length).toBeGreaterThan(100);
    for (const r of results) expect(r).toEqual({ ok: false, problem: 'tampered' });
  });

  it('refuses as tampered a token sealed with another key (each field forged under the wrong key)', () => {
    // arrange: a forger who knows the format but not the key tries every field
    const forgeries = [
      { ...grant, claimId: 'CLM-OTHER' },
      { ...grant, round: 2 },
      { ...grant, role: 'finance' as const },
      { ...grant, approver: 'mallory@evil.test' },
      { ...grant, expiresAt: nowSeconds + 365 * 24 * 3600 },
    ].map((g) => signApprovalToken(g, otherKey));
    // act
    const results = forgeries.map((t) => verifyApprovalToken(t, key, NOW));
    // assert
    for (const r of results) expect(r).toEqual({ ok: false, problem: 'tampered' });
  });

  it('refuses as tampered a token that was cut, extended or spliced from two tokens', () => {
    // arrange
    const a = signApprovalToken(grant, key);
    const b = signApprovalToken({ ...grant, approver: 'supervisor@demo.test', role: 'supervisor' }, key);
    const spliced = `${a.slice(0, 20)}${b.slice(20)}`;
    // act / assert
    expect(verifyApprovalToken(a.slice(0, -4), key, NOW)).toEqual({ ok: false, problem: 'tampered' });
    expect(verifyApprovalToken(`${a}AAAA`, key, NOW)).toEqual({ ok: false, problem: 'tampered' });
    expect(verifyApprovalToken(spliced, key, NOW)).toEqual({ ok: false, problem: 'tampered' });
    // the key id is bound in: the same body under another id (not in the ring, or not the sealer) does not open
    expect(verifyApprovalToken(a.replace(/^v2\.k1\./, 'v2.k2.'), key, NOW)).toEqual({ ok: false, problem: 'tampered' });
    expect(verifyApprovalToken(`${PREFIX}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, key, NOW)).toEqual({ ok: false, problem: 'tampered' });
  });

  it('accepts only the canonical spelling: the last character’s spare bits cannot make a second link', () => {
    // arrange: base64url's last character carries spare bits; change them and the bytes stay equal
    let token = signApprovalToken(grant, key);
    // A sealed length that is a multiple of 3 has no spare bits; add one to the claim id until it has.
    for (let pad = ''; (token.length - PREFIX.length) % 4 === 0; pad += 'x')
      token = signApprovalToken({ ...grant, claimId: `${grant.claimId}${pad}` }, key);
    const last = ALPHABET.indexOf(token.at(-1) ?? 'A');
    const spare = (token.length - PREFIX.length) % 4 === 2 ? 15 : 3;
    const variants = [1, 2, 3].map((d) => `${token.slice(0, -1)}${ALPHABET[(last & ~spare) | ((last + d) & spare)]}`);
    // act
    const results = variants.map((v) => verifyApprovalToken(v, key, NOW));
    // assert
    for (const v of variants)
      expect(Buffer.from(v.slice(PREFIX.length), 'base64url').equals(Buffer.from(token.slice(PREFIX.length), 'base64url'))).toBe(true);
    for (const r of results) expect(r).toEqual({ ok: false, problem: 'tampered' });
  });

  it('refuses as expired a token used at or after its expiry, and accepts it a second before (fake clock)', () => {
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
    ['no key id and no body', 'v2.'],
    ['no body', 'v2.k1.'],
    ['a key id that is not k and a number', 'v2.abc.def'],
    ['a key id k0', 'v2.k0.abcdef'],
    ['four parts', 'v2.k1.abc.def'],
    ['the old readable format', 'v1.eyJjIjoiQ0xNLTEifQ.c2ln'],
    ['another version', 'v3.k1.abcdef'],
    ['characters outside the URL-safe set', 'v2.k1.abc+/='],
    ['a tilde inside the body', 'v2.k1.abc~def'],
    ['a percent-encoded token', 'v2.k1.abc%2Edef'],
    ['a very long token', `v2.k1.${'a'.repeat(1100)}`],
  ])('refuses as malformed %s', (_what, token) => {
    // act
    const result = verifyApprovalToken(token, key, NOW);
    // assert
    expect(result).toEqual({ ok: false, problem: 'malformed' });
  });

  it('opens a link sealed before tokens named their key (v2.<body>) as key k1, while k1 is in force', () => {
    // arrange — the format of earlier versions: the version alone as additional data
    const payload = JSON.stringify({ c: 'CLM-1', r: 1, t: 'agent', a: 'agent@demo.test', e: nowSeconds + 60 });
    const old = sealRaw(payload, rawKey, 'before key ids');
    const rotated = keyRing('k2', [
      { id: 'k2', key: otherRawKey },
      { id: 'k1', key: rawKey, retiresAt: new Date(NOW.getTime() + 1000) },
    ]);

    // act
    const opened = verifyApprovalToken(old, rotated, NOW);
    const retired = verifyApprovalToken(old, rotated, new Date(NOW.getTime() + 1000));
    const relabelled = verifyApprovalToken(old.replace(/^v2\./, 'v2.k1.'), rotated, NOW);

    // assert
    expect(old).toMatch(/^v2\.[A-Za-z0-9_-]+$/);
    expect(opened).toMatchObject({ ok: true, grant: { claimId: 'CLM-1' } });
    expect(retired).toEqual({ ok: false, problem: 'tampered' });
    expect(relabelled).toEqual({ ok: false, problem: 'tampered' });
  });

  it.each([
    ['a payload that is not JSON', 'not json'],
    ['a payload missing fields', JSON.stringify({ c: 'CLM-1', r: 1 })],
    ['a payload with an unknown role', JSON.stringify({ c: 'CLM-1', r: 1, t: 'owner', a: 'agent@demo.test', e: nowSeconds + 60 })],
    ['a payload with extra fields', JSON.stringify({ c: 'CLM-1', r: 1, t: 'agent', a: 'agent@demo.test', e: nowSeconds + 60, x: 1 })],
  ])('refuses as malformed a correctly sealed token with %s', (_what, payload) => {
    // arrange
    const token = sealRaw(payload);
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
    expect(nonce).toMatch(/^k1\.[A-Za-z0-9_-]{43}$/);
    expect(verifyFormNonce(token, nonce, key, NOW)).toBe(true);
  });

  it('refuses a nonce for another token (even of the same grant), under another key, naming another key id, changed, empty or of another length', () => {
    // arrange
    const nonce = formNonce(token, key);
    const otherToken = signApprovalToken({ ...grant, round: 2 }, key);
    const sameGrantToken = signApprovalToken(grant, key);
    // act / assert
    expect(verifyFormNonce(otherToken, nonce, key, NOW)).toBe(false);
    expect(verifyFormNonce(sameGrantToken, nonce, key, NOW)).toBe(false);
    expect(verifyFormNonce(token, formNonce(token, otherKey), key, NOW)).toBe(false);
    expect(verifyFormNonce(token, nonce.replace(/^k1\./, 'k2.'), key, NOW)).toBe(false);
    expect(verifyFormNonce(token, `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`, key, NOW)).toBe(false);
    expect(verifyFormNonce(token, '', key, NOW)).toBe(false);
    expect(verifyFormNonce(token, `${nonce}A`, key, NOW)).toBe(false);
  });
});
