import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { KEY_ID, type KeyRing } from './key-ring.ts';

/**
 * Opaque, URL-safe tokens that carry a small JSON payload sealed with AES-256-GCM: nobody
 * without the key can read them, and any change to any byte makes them fail as a whole. Each
 * kind of token has its own version prefix (bound in as additional authenticated data) and its
 * own key, derived from a key of the ring with HKDF-SHA256 for that purpose, so a token of one
 * kind never opens as another. Each token names the id of the ring's key that sealed it (bound in
 * with the version), so it keeps opening after a rotation until that key retires (key-ring.ts).
 *
 * Format: `<version>.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>` (and, for tokens sealed before
 * key ids, `<version>.<base64url(…)>`, which {@link unseal} opens as key `k1`'s).
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_TOKEN_LENGTH = 1024;
/** The id the one approval key of earlier versions has in a key ring (the secrets migration names it so). */
const LEGACY_KEY_ID = 'k1';

/** Derives the key of one purpose from the configured key. */
export function deriveKey(key: Buffer, salt: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.from(salt, 'utf8'), purpose, 32));
}

/** How a token kind turns a ring's key into its own key (an HKDF derivation, {@link deriveKey}). */
export type Purpose = (key: Buffer) => Buffer;

/** Seals `payload` (compact JSON) under the ring's current key, for `purpose`, with `version` as its prefix. */
export function seal(payload: unknown, version: string, ring: KeyRing, purpose: Purpose): string {
  const { id, key } = ring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', purpose(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`${version}.${id}`, 'utf8'));
  const sealed = Buffer.concat([iv, cipher.update(Buffer.from(JSON.stringify(payload), 'utf8')), cipher.final(), cipher.getAuthTag()]);
  return `${version}.${id}.${sealed.toString('base64url')}`;
}

/**
 * Opens a token sealed by {@link seal}: `malformed` when it is not one of this kind's shape,
 * `tampered` when it does not authenticate under the key its id names, or that key is not in the
 * ring or has retired (a retired key's tokens have all expired). The payload is the caller's to check.
 */
export function unseal(
  token: string,
  version: string,
  ring: KeyRing,
  purpose: Purpose,
  now: Date,
): { ok: true; payload: unknown } | { ok: false; problem: 'malformed' | 'tampered' } {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9._~-]+$/.test(token)) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  // A token sealed before tokens named their key (`<version>.<body>`, the version alone as AAD)
  // was sealed with the one approval key there was, which became `k1`: it opens while `k1` does.
  const legacy = parts.length === 2;
  const keyId = legacy ? LEGACY_KEY_ID : (parts[1] ?? '');
  const body = (legacy ? parts[1] : parts[2]) ?? '';
  if ((parts.length !== 3 && !legacy) || parts[0] !== version || !KEY_ID.test(keyId) || !/^[A-Za-z0-9_-]+$/.test(body)) {
    return { ok: false, problem: 'malformed' };
  }
  const aad = legacy ? version : `${version}.${keyId}`;
  const key = ring.key(keyId, now);
  if (!key) return { ok: false, problem: 'tampered' };
  const sealKey = purpose(key);
  const sealed = Buffer.from(body, 'base64url');
  if (sealed.length <= IV_BYTES + TAG_BYTES) return { ok: false, problem: 'tampered' };
  // Only the one canonical spelling opens: base64url decoding ignores the last character's spare
  // bits, and two spellings of one token must not count as two tokens.
  if (sealed.toString('base64url') !== body) return { ok: false, problem: 'tampered' };
  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    plaintext = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return { ok: false, problem: 'tampered' };
  }
  try {
    return { ok: true, payload: JSON.parse(plaintext) };
  } catch {
    return { ok: false, problem: 'malformed' };
  }
}

/** An HMAC-SHA256 tag of `message`, base64url. */
export function tag(message: string, key: Buffer): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

/**
 * `<key id>.<tag>`: {@link tag} of `message` under the ring's current key, for `purpose`. The key
 * id is tagged too, so a tag relabelled to another id fails even if two ids held the same key.
 */
export function keyedTag(message: string, ring: KeyRing, purpose: Purpose): string {
  const { id, key } = ring.current;
  return `${id}.${tag(`${id}.${message}`, purpose(key))}`;
}

/** Whether `given` is {@link keyedTag} of `message` under a key of the ring still in force at `now`. */
export function checkKeyedTag(given: string, message: string, ring: KeyRing, purpose: Purpose, now: Date): boolean {
  const m = /^(k[0-9]{1,6})\.([A-Za-z0-9_-]{43})$/.exec(given);
  const key = m?.[1] && KEY_ID.test(m[1]) ? ring.key(m[1], now) : undefined;
  return key !== undefined && m?.[2] !== undefined && sameTag(m[2], tag(`${m[1]}.${message}`, purpose(key)));
}

/** Compares two tags in constant time. */
export function sameTag(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
