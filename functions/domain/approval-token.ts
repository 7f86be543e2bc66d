import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Role, roles } from './policy.ts';

/**
 * What an approval link grants: one approver may decide one round of one claim at one tier,
 * until it expires. The link carries this, sealed; the Step Functions task token never leaves
 * the server, so a link keeps working when the task token behind it changes.
 */
export interface ApprovalGrant {
  readonly claimId: string;
  /** Which approval request of the claim this is (1, 2, … as it escalates). */
  readonly round: number;
  readonly role: Role;
  readonly approver: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

const grantSchema = z.strictObject({
  c: z.string().min(1).max(128),
  r: z.number().int().min(1),
  t: z.enum(roles),
  a: z.string().min(3).max(254),
  e: z.number().int().positive(),
});

/**
 * Token format v2: `v2.<base64url(iv ‖ ciphertext ‖ tag)>`, AES-256-GCM over the grant's compact
 * JSON, with `v2` as additional authenticated data.
 *
 * Why encrypt rather than only sign: a link is forwarded, pasted into tickets and logged by mail
 * scanners, and a readable payload would hand every reader the claim id, the approver's address,
 * the tier and the deadline. GCM gives both properties at once: nobody without the key can read
 * the grant, and its 128-bit tag authenticates every byte (IV, ciphertext, version), so a token
 * that was changed in any way fails as a whole, exactly like a bad signature. The IV is random
 * (96 bits); a claim mints a handful of tokens, far below GCM's limit of 2^32 per key.
 *
 * The configured approval key is not used directly: HKDF-SHA256 derives one key for sealing
 * tokens and another for form nonces, so neither use can be turned against the other.
 */
const VERSION = 'v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_TOKEN_LENGTH = 1024;
const HKDF_SALT = Buffer.from('makegood approval links', 'utf8');

function derive(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, HKDF_SALT, purpose, 32));
}

const sealKey = (key: Buffer) => derive(key, 'v2 token AES-256-GCM');
const nonceKey = (key: Buffer) => derive(key, 'v2 form nonce HMAC-SHA256');

/** Seals a grant into an opaque token of URL-safe characters only (`A–Z a–z 0–9 . _ -`). */
export function signApprovalToken(grant: ApprovalGrant, key: Buffer): string {
  const plaintext = Buffer.from(
    JSON.stringify({ c: grant.claimId, r: grant.round, t: grant.role, a: grant.approver, e: grant.expiresAt }),
    'utf8',
  );
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealKey(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(VERSION, 'utf8'));
  const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${sealed.toString('base64url')}`;
}

/** Why a token was refused. */
export type TokenProblem = 'malformed' | 'tampered' | 'expired';

/** Opens a token, checks its integrity and expiry, and returns its grant. */
export function verifyApprovalToken(
  token: string,
  key: Buffer,
  now: Date,
): { ok: true; grant: ApprovalGrant } | { ok: false; problem: TokenProblem } {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9._~-]+$/.test(token)) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  const body = parts[1] ?? '';
  if (parts.length !== 2 || parts[0] !== VERSION || !/^[A-Za-z0-9_-]+$/.test(body)) return { ok: false, problem: 'malformed' };
  const sealed = Buffer.from(body, 'base64url');
  if (sealed.length <= IV_BYTES + TAG_BYTES) return { ok: false, problem: 'tampered' };
  // Only the one canonical spelling opens: base64url decoding ignores the last character's spare
  // bits, and two spellings of one token must not count as two links.
  if (sealed.toString('base64url') !== body) return { ok: false, problem: 'tampered' };
  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(key), sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(VERSION, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    plaintext = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return { ok: false, problem: 'tampered' };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(plaintext);
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  const parsed = grantSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, problem: 'malformed' };
  const g = parsed.data;
  if (now.getTime() / 1000 >= g.e) return { ok: false, problem: 'expired' };
  return { ok: true, grant: { claimId: g.c, round: g.r, role: g.t, approver: g.a, expiresAt: g.e } };
}

/**
 * The nonce the confirmation page's form carries. Only a POST that echoes it acts, so a
 * scanner that POSTs the bare link, or a form built for another link, changes nothing.
 */
export function formNonce(token: string, key: Buffer): string {
  return createHmac('sha256', nonceKey(key)).update(`form:${token}`).digest('base64url');
}

/** Checks a form nonce in constant time. */
export function verifyFormNonce(token: string, nonce: string, key: Buffer): boolean {
  const expected = Buffer.from(formNonce(token, key));
  const given = Buffer.from(nonce);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
