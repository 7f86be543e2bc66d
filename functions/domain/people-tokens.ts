import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { KeyRing } from './key-ring.ts';
import { checkKeyedTag, deriveKey, keyedTag, type Purpose, seal, unseal } from './sealed-token.ts';

/**
 * The tokens of the people around a claim who are not storefronts: the customer's read-only
 * status link, and the agent console's sign-in link, session cookie and form nonces. Each is
 * sealed (or tagged) under its own key derived from an approval key of the ring, so none opens
 * as another and none as an approval link.
 */
const SALT = 'makegood people';
const purposes = {
  status: (k: Buffer) => deriveKey(k, SALT, 's1 customer status link'),
  login: (k: Buffer) => deriveKey(k, SALT, 'l1 console sign-in link'),
  session: (k: Buffer) => deriveKey(k, SALT, 'k1 console session cookie'),
  nonce: (k: Buffer) => deriveKey(k, SALT, 'n1 console form nonce'),
} satisfies Record<string, Purpose>;

/** Why a token did not open. */
export type PeopleTokenProblem = 'malformed' | 'tampered' | 'expired';
type Opened<T> = { ok: true; value: T } | { ok: false; problem: PeopleTokenProblem };

const DAY_S = 24 * 60 * 60;
/** How long a customer's status link works. */
export const STATUS_LINK_DAYS = 180;
/** How long a console sign-in link works. */
export const LOGIN_LINK_MINUTES = 15;
/** How long a console session lasts. */
export const SESSION_HOURS = 8;

function open<T>(
  token: string,
  version: string,
  keys: KeyRing,
  purpose: Purpose,
  schema: z.ZodType<T & { e: number }>,
  now: Date,
): Opened<T & { e: number }> {
  const opened = unseal(token, version, keys, purpose, now);
  if (!opened.ok) return opened;
  const parsed = schema.safeParse(opened.payload);
  if (!parsed.success) return { ok: false, problem: 'malformed' };
  if (now.getTime() / 1000 >= parsed.data.e) return { ok: false, problem: 'expired' };
  return { ok: true, value: parsed.data };
}

const epoch = (now: Date, seconds: number) => Math.floor(now.getTime() / 1000) + seconds;
const claimId = z.string().min(1).max(128);
const email = z.string().min(3).max(254);
const storefrontId = z.string().min(1).max(64);

/** The customer's read-only status link for a claim: `s1.…`, valid {@link STATUS_LINK_DAYS} days from `now`. */
export function statusToken(claim: string, keys: KeyRing, now: Date): string {
  return seal({ c: claim, e: epoch(now, STATUS_LINK_DAYS * DAY_S) }, 's1', keys, purposes.status);
}

/** The claim a status link is for, or why it does not open. */
export function openStatusToken(token: string, keys: KeyRing, now: Date): Opened<{ claimId: string }> {
  const o = open(token, 's1', keys, purposes.status, z.strictObject({ c: claimId, e: z.number().int() }), now);
  return o.ok ? { ok: true, value: { claimId: o.value.c } } : o;
}

/** Who a sign-in link or session is for: an approver's address at one storefront. */
export interface ConsoleIdentity {
  readonly storefrontId: string;
  readonly email: string;
}

/**
 * A console sign-in link's token, valid {@link LOGIN_LINK_MINUTES} minutes. `id` is its
 * single-use id: spending it is recorded, so the link signs in once.
 */
export function loginToken(who: ConsoleIdentity, keys: KeyRing, now: Date): string {
  return seal(
    { s: who.storefrontId, a: who.email, e: epoch(now, LOGIN_LINK_MINUTES * 60), n: randomBytes(12).toString('base64url') },
    'l1',
    keys,
    purposes.login,
  );
}

export function openLoginToken(token: string, keys: KeyRing, now: Date): Opened<ConsoleIdentity & { id: string; expiresAt: number }> {
  const o = open(
    token,
    'l1',
    keys,
    purposes.login,
    z.strictObject({ s: storefrontId, a: email, e: z.number().int(), n: z.string().min(8).max(64) }),
    now,
  );
  return o.ok ? { ok: true, value: { storefrontId: o.value.s, email: o.value.a, id: o.value.n, expiresAt: o.value.e } } : o;
}

/** A console session: who, and its id (its server-side record, which signing out ends). */
export interface ConsoleSession extends ConsoleIdentity {
  readonly sessionId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** A new session for `who`, valid {@link SESSION_HOURS} hours, and its cookie value. */
export function newSession(who: ConsoleIdentity, keys: KeyRing, now: Date): { session: ConsoleSession; cookie: string } {
  const session = { ...who, sessionId: randomBytes(16).toString('base64url'), expiresAt: epoch(now, SESSION_HOURS * 3600) };
  const cookie = seal({ i: session.sessionId, s: who.storefrontId, a: who.email, e: session.expiresAt }, 'k1', keys, purposes.session);
  return { session, cookie };
}

export function openSessionCookie(cookie: string, keys: KeyRing, now: Date): Opened<ConsoleSession> {
  const o = open(
    cookie,
    'k1',
    keys,
    purposes.session,
    z.strictObject({ i: z.string().min(16).max(64), s: storefrontId, a: email, e: z.number().int() }),
    now,
  );
  return o.ok ? { ok: true, value: { sessionId: o.value.i, storefrontId: o.value.s, email: o.value.a, expiresAt: o.value.e } } : o;
}

/**
 * A fresh nonce for one console form: a random id and its tag under the session, so it is only
 * good for this session's POSTs; the POST spends the id, so the form acts once.
 */
export function formNonceFor(sessionId: string, keys: KeyRing): string {
  const id = randomBytes(12).toString('base64url');
  return `${id}.${keyedTag(`${sessionId}:${id}`, keys, purposes.nonce)}`;
}

/** The nonce's single-use id when it was made for this session (`<id>.<key id>.<tag>`), else undefined. */
export function checkFormNonce(nonce: string, sessionId: string, keys: KeyRing, now: Date): string | undefined {
  const m = /^([A-Za-z0-9_-]{16})\.(.+)$/.exec(nonce);
  if (!m?.[1] || !m[2]) return undefined;
  return checkKeyedTag(m[2], `${sessionId}:${m[1]}`, keys, purposes.nonce, now) ? m[1] : undefined;
}
