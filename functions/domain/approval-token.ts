import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type Role, roles } from './policy.ts';

/**
 * What an approval link grants: one approver may decide one round of one claim at one tier,
 * until it expires. The link carries this, signed; the Step Functions task token never leaves
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

const PREFIX = 'v1';

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Signs a grant into a token of URL-safe characters only (`A–Z a–z 0–9 . _ -`). */
export function signApprovalToken(grant: ApprovalGrant, key: Buffer): string {
  const payload = Buffer.from(
    JSON.stringify({ c: grant.claimId, r: grant.round, t: grant.role, a: grant.approver, e: grant.expiresAt }),
  ).toString('base64url');
  const body = `${PREFIX}.${payload}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** Why a token was refused. */
export type TokenProblem = 'malformed' | 'tampered' | 'expired';

/** Verifies a token's signature and expiry and returns its grant. */
export function verifyApprovalToken(
  token: string,
  key: Buffer,
  now: Date,
): { ok: true; grant: ApprovalGrant } | { ok: false; problem: TokenProblem } {
  if (token.length > 1024 || !/^[A-Za-z0-9._~-]+$/.test(token)) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, problem: 'malformed' };
  const body = `${parts[0]}.${parts[1]}`;
  // Compared as text, not decoded bytes: base64url decoding ignores the last character's spare
  // bits, and only the one canonical spelling of a signature may verify.
  const given = Buffer.from(parts[2] ?? '');
  const expected = Buffer.from(mac(key, body).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'tampered' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
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
 * scanner that POSTs the bare link, or a form built elsewhere, changes nothing.
 */
export function formNonce(token: string, key: Buffer): string {
  return mac(key, `form:${token}`).toString('base64url');
}

/** Checks a form nonce in constant time. */
export function verifyFormNonce(token: string, nonce: string, key: Buffer): boolean {
  const expected = Buffer.from(formNonce(token, key));
  const given = Buffer.from(nonce);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
