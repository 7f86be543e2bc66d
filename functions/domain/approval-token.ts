import * as z from 'zod';
import type { KeyRing } from './key-ring.ts';
import { type Role, roles } from './policy.ts';
import { checkKeyedTag, deriveKey, keyedTag, seal, unseal } from './sealed-token.ts';

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
 * Token format v2: `v2.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`, AES-256-GCM over the grant's
 * compact JSON, with `v2.<key id>` as additional authenticated data (sealed-token.ts, key-ring.ts).
 *
 * Why encrypt rather than only sign: a link is forwarded, pasted into tickets and logged by mail
 * scanners, and a readable payload would hand every reader the claim id, the approver's address,
 * the tier and the deadline. GCM gives both properties at once: nobody without the key can read
 * the grant, and its 128-bit tag authenticates every byte (IV, ciphertext, version), so a token
 * that was changed in any way fails as a whole, exactly like a bad signature. The IV is random
 * (96 bits); a claim mints a handful of tokens, far below GCM's limit of 2^32 per key.
 *
 * The approval keys are not used directly: HKDF-SHA256 derives from each one key for sealing
 * tokens and another for form nonces, so neither use can be turned against the other.
 */
const VERSION = 'v2';
const HKDF_SALT = 'makegood approval links';

const sealKey = (key: Buffer) => deriveKey(key, HKDF_SALT, 'v2 token AES-256-GCM');
const nonceKey = (key: Buffer) => deriveKey(key, HKDF_SALT, 'v2 form nonce HMAC-SHA256');

/** Seals a grant into an opaque token of URL-safe characters only (`A–Z a–z 0–9 . _ -`). */
export function signApprovalToken(grant: ApprovalGrant, keys: KeyRing): string {
  return seal({ c: grant.claimId, r: grant.round, t: grant.role, a: grant.approver, e: grant.expiresAt }, VERSION, keys, sealKey);
}

/** Why a token was refused. */
export type TokenProblem = 'malformed' | 'tampered' | 'expired';

/** Opens a token, checks its integrity and expiry, and returns its grant. */
export function verifyApprovalToken(
  token: string,
  keys: KeyRing,
  now: Date,
): { ok: true; grant: ApprovalGrant } | { ok: false; problem: TokenProblem } {
  const opened = unseal(token, VERSION, keys, sealKey, now);
  if (!opened.ok) return opened;
  const decoded = opened.payload;
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
export function formNonce(token: string, keys: KeyRing): string {
  return keyedTag(`form:${token}`, keys, nonceKey);
}

/** Checks a form nonce in constant time. */
export function verifyFormNonce(token: string, nonce: string, keys: KeyRing, now: Date): boolean {
  return checkKeyedTag(nonce, `form:${token}`, keys, nonceKey, now);
}
