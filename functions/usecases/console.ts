import { type Action, actionsOf } from '#domain/actions.ts';
import type { ApprovalGrant } from '#domain/approval-token.ts';
import type { ClaimRequest } from '#domain/claim.ts';
import { loginEmail } from '#domain/console-email.ts';
import { ClaimNotFoundError } from '#domain/errors.ts';
import { type FollowUp, followUpCloseStep, followUpsOf, parseFollowUpId } from '#domain/followups.ts';
import { type EarlierClaim, earlierClaims } from '#domain/history.ts';
import { currentDecision, entriesOf, type LedgerEntry, type StoredDecision, statusOf } from '#domain/ledger.ts';
import { addressKey } from '#domain/mail-tags.ts';
import {
  type ConsoleIdentity,
  type ConsoleSession,
  checkFormNonce,
  formNonceFor,
  LOGIN_LINK_MINUTES,
  loginToken,
  newSession,
  openLoginToken,
  openSessionCookie,
  type PeopleTokenProblem,
  SESSION_HOURS,
} from '#domain/people-tokens.ts';
import type { Policy, Role } from '#domain/policy.ts';
import { historyLookbackDays } from '#domain/policy-terms.ts';
import type { Deps, WorkItem } from '#ports';
import {
  type ApprovalAnswer,
  type ApprovalLookup,
  type ApprovalOutcome,
  answerGrant,
  finishPendingAnswer,
  lookupGrant,
} from './approvals.ts';
import { type LoadedClaim, loadClaim, putFollowUpWork, record, senderFor } from './common.ts';

/**
 * The agent console's use cases: sign-in by an emailed single-use link, the queue of what waits
 * for the signed-in approver, a claim's page, and the two things a person does there (decide a
 * round their tier holds, close a follow-up their role holds). An approver sees only their own
 * storefront's claims, acts only within their tiers, and can do no more through the console than
 * through an approval link: a decision goes through the same checks ({@link lookupGrant}).
 */

const DAY_MS = 24 * 60 * 60 * 1000;

type ConsoleDeps = Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock' | 'mailer' | 'mailFrom' | 'publicUrl'>;

/** The roles whose tier lists `email` as an approver in `policy`. */
export function rolesOf(policy: Policy, email: string): Role[] {
  const who = email.toLowerCase();
  return policy.approval.tiers.filter((t) => t.approvers.some((a) => a.toLowerCase() === who)).map((t) => t.role);
}

/**
 * `POST /console/login`: mails a sign-in link, valid {@link LOGIN_LINK_MINUTES} minutes, for each
 * storefront whose policy lists the address as an approver. The caller answers the same whatever
 * happened, so the form tells nobody which addresses are known. At most
 * {@link LOGIN_MAILS_PER_WINDOW} mails go to an address for a storefront in ten minutes, so the
 * form cannot be used to flood an approver's inbox. None goes to an address on the suppression list.
 */
export async function requestLogin(emailInput: string, deps: ConsoleDeps): Promise<{ sent: number }> {
  const email = emailInput.trim().toLowerCase();
  if (!/^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}$/.test(email)) return { sent: 0 };
  const now = deps.clock.now();
  const keys = await deps.secrets.approvalKeys();
  // An address that bounced for good or complained is not mailed (SES would drop the mail anyway),
  // and the page says a link comes only to an address that can receive it.
  if (await deps.state.suppression(addressKey(email))) return { sent: 0 };
  let sent = 0;
  for (const storefrontId of await deps.state.storefronts()) {
    const policy = await deps.state.currentPolicy(storefrontId);
    if (!policy || rolesOf(policy.policy, email).length === 0) continue;
    if (!(await takeLoginMailSlot(storefrontId, email, now, deps))) continue;
    const link = `${deps.publicUrl ?? ''}/console/login/${loginToken({ storefrontId, email }, keys, now)}`;
    const sender = await senderFor(deps, storefrontId);
    await deps.mailer.send({ from: sender.from, to: email, ...loginEmail(sender.shopName, link, LOGIN_LINK_MINUTES) });
    sent += 1;
  }
  return { sent };
}

/** How many sign-in mails an address may get for a storefront in one ten-minute window. */
export const LOGIN_MAILS_PER_WINDOW = 3;
const LOGIN_WINDOW_MS = 10 * 60_000;

/** Takes one of the window's sign-in mail slots (single-use records), or false when all are taken. */
async function takeLoginMailSlot(storefrontId: string, email: string, now: Date, deps: Pick<Deps, 'state'>): Promise<boolean> {
  const window = Math.floor(now.getTime() / LOGIN_WINDOW_MS);
  const expires = new Date((window + 2) * LOGIN_WINDOW_MS);
  for (let slot = 0; slot < LOGIN_MAILS_PER_WINDOW; slot++)
    if (await deps.state.useOnce(`login-mail#${storefrontId}#${email}#${window}#${slot}`, expires)) return true;
  return false;
}

/** What a sign-in link's page shows: whom it signs in, or why it does not. */
export async function lookupLogin(
  token: string,
  deps: Pick<Deps, 'secrets' | 'clock' | 'state'>,
): Promise<{ ok: true; who: ConsoleIdentity; shopName: string } | { ok: false; problem: PeopleTokenProblem }> {
  const opened = openLoginToken(token, await deps.secrets.approvalKeys(), deps.clock.now());
  if (!opened.ok) return opened;
  const s = await deps.state.storefront(opened.value.storefrontId);
  return { ok: true, who: opened.value, shopName: s?.name ?? opened.value.storefrontId };
}

/**
 * Spends a sign-in link and starts a session of {@link SESSION_HOURS} hours: the cookie value to
 * set. A link opens once; an address no longer among the policy's approvers is refused.
 */
export async function signIn(
  token: string,
  deps: Pick<Deps, 'secrets' | 'clock' | 'state'>,
): Promise<{ ok: true; cookie: string; session: ConsoleSession } | { ok: false; problem: PeopleTokenProblem | 'used' | 'not_approver' }> {
  const keys = await deps.secrets.approvalKeys();
  const now = deps.clock.now();
  const opened = openLoginToken(token, keys, now);
  if (!opened.ok) return opened;
  const { storefrontId, email, id, expiresAt } = opened.value;
  const policy = await deps.state.currentPolicy(storefrontId);
  if (!policy || rolesOf(policy.policy, email).length === 0) return { ok: false, problem: 'not_approver' };
  if (!(await deps.state.useOnce(`login#${id}`, new Date(expiresAt * 1000)))) return { ok: false, problem: 'used' };
  const { session, cookie } = newSession({ storefrontId, email }, keys, now);
  await deps.state.putSession(session);
  return { ok: true, cookie, session };
}

/** The signed-in approver: a session cookie that opens, whose session has not ended. */
export async function currentSession(
  cookie: string | undefined,
  deps: Pick<Deps, 'secrets' | 'clock' | 'state'>,
): Promise<ConsoleSession | undefined> {
  if (!cookie) return undefined;
  const opened = openSessionCookie(cookie, await deps.secrets.approvalKeys(), deps.clock.now());
  if (!opened.ok) return undefined;
  const stored = await deps.state.session(opened.value.sessionId);
  if (!stored || stored.email !== opened.value.email || stored.storefrontId !== opened.value.storefrontId) return undefined;
  return opened.value;
}

/** Ends the session: its cookie no longer opens anything, even before it expires. */
export async function signOut(session: ConsoleSession, deps: Pick<Deps, 'state'>): Promise<void> {
  await deps.state.endSession(session.sessionId);
}

/** A fresh single-use nonce for a form the console renders. */
export async function newFormNonce(session: ConsoleSession, deps: Pick<Deps, 'secrets'>): Promise<string> {
  return formNonceFor(session.sessionId, await deps.secrets.approvalKeys());
}

/** A form nonce that was made for this session and not sent before: spend it once the form did its work. */
export interface FreshNonce {
  readonly id: string;
  readonly expiresAt: Date;
}

/**
 * Checks a form's nonce without spending it: made for this session (its MAC), and not used
 * before (one consistent read). A POST with another session's nonce, a made-up one or one
 * already spent gets undefined and changes nothing.
 */
export async function freshFormNonce(
  session: ConsoleSession,
  nonce: string | undefined,
  deps: Pick<Deps, 'secrets' | 'state' | 'clock'>,
): Promise<FreshNonce | undefined> {
  const id = checkFormNonce(nonce ?? '', session.sessionId, await deps.secrets.approvalKeys(), deps.clock.now());
  if (id === undefined || (await deps.state.wasUsed(`nonce#${id}`))) return undefined;
  return { id: `nonce#${id}`, expiresAt: new Date(session.expiresAt * 1000) };
}

/**
 * Spends a nonce after its form did its work, so a form refused (4xx) writes nothing and can be
 * corrected and sent again. What the forms do is itself once-only (an approval round is answered
 * once, a follow-up closed once, a session ended once), so two copies racing past the check do
 * nothing twice; the nonce stops a copy sent later.
 */
export async function spendFormNonce(nonce: FreshNonce, deps: Pick<Deps, 'state'>): Promise<void> {
  await deps.state.useOnce(nonce.id, nonce.expiresAt);
}

/** What waits for the signed-in approver. */
export interface ConsoleQueue {
  readonly email: string;
  readonly shopName: string;
  readonly roles: readonly Role[];
  /** Claims waiting for a decision from one of my tiers (and me among its approvers), soonest deadline first. */
  readonly approvals: readonly WorkItem[];
  /** Open follow-ups of my roles, soonest due first. */
  readonly followUps: readonly WorkItem[];
}

export async function consoleQueue(session: ConsoleSession, deps: Pick<Deps, 'state' | 'mailFrom'>): Promise<ConsoleQueue> {
  const [policy, sender, approvals, followUps] = await Promise.all([
    deps.state.currentPolicy(session.storefrontId),
    senderFor(deps, session.storefrontId),
    deps.state.openWork(session.storefrontId, 'approval'),
    deps.state.openWork(session.storefrontId, 'followup'),
  ]);
  const roles = policy ? rolesOf(policy.policy, session.email) : [];
  const me = session.email.toLowerCase();
  return {
    email: session.email,
    shopName: sender.shopName,
    roles,
    approvals: approvals.filter((w) => roles.includes(w.role) && w.approvers.some((a) => a.toLowerCase() === me)),
    followUps: followUps.filter((w) => roles.includes(w.role)),
  };
}

/** A claim as the console shows it. */
export interface ConsoleClaim {
  readonly claimId: string;
  readonly claim: ClaimRequest;
  readonly status: string;
  readonly decision: StoredDecision | undefined;
  readonly shopName: string;
  readonly earlier: readonly EarlierClaim[];
  readonly actions: readonly Action[];
  readonly followUps: readonly FollowUp[];
  /** The follow-ups I may close (open, of one of my roles). */
  readonly closable: ReadonlySet<string>;
  /** The round waiting for me, with everything the approval page shows, when there is one. */
  readonly round: Extract<ApprovalLookup, { ok: true }> | undefined;
  /** Notes of the decisions and follow-ups so far, oldest first. */
  readonly history: readonly LedgerEntry[];
}

/**
 * A claim of my storefront within my tiers, or undefined (404) for one that is not in the ledger,
 * is another storefront's or never came to my tiers: the console does not tell them apart.
 */
export async function consoleClaim(
  session: ConsoleSession,
  claimId: string,
  deps: Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock' | 'mailFrom'>,
): Promise<ConsoleClaim | undefined> {
  const visible = await visibleClaim(session, claimId, deps);
  if (!visible) return undefined;
  const { loaded, policy, roles } = visible;
  const now = deps.clock.now();
  const [customerEntries, sender, round] = await Promise.all([
    deps.ledger.customerEntries(
      session.storefrontId,
      loaded.ref.customerId,
      new Date(now.getTime() - (policy ? historyLookbackDays(policy.policy) : 365) * DAY_MS),
    ),
    senderFor(deps, session.storefrontId),
    myRound(session, loaded, deps),
  ]);
  const followUps = followUpsOf(loaded.entries);
  return {
    claimId,
    claim: loaded.claim,
    status: statusOf(loaded.entries) ?? 'received',
    decision: currentDecision(loaded.entries),
    shopName: sender.shopName,
    earlier: earlierClaims(customerEntries, claimId),
    actions: actionsOf(loaded.entries),
    followUps,
    closable: new Set(followUps.filter((f) => f.status === 'open' && roles.includes(f.role)).map((f) => f.followUpId)),
    round: round?.ok ? round : undefined,
    history: loaded.entries.filter((e) => ['approved', 'rejected', 'escalated', 'followup_opened', 'followup_closed'].includes(e.type)),
  };
}

/** Decides the round waiting for me on a claim: the same checks and the same record as an approval link. */
export async function consoleDecide(
  session: ConsoleSession,
  claimId: string,
  answer: Omit<ApprovalAnswer, 'nonce'>,
  deps: Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock' | 'workflow'>,
): Promise<ApprovalOutcome | undefined> {
  const visible = await visibleClaim(session, claimId, deps);
  if (!visible) return undefined;
  const round = await myRound(session, visible.loaded, deps);
  if (!round) return { ok: false, problem: 'superseded' };
  if (!round.ok) {
    // As for a link: a post that finds the round used may retry an answer that stopped halfway.
    if (round.use) await finishPendingAnswer(deps, round.use);
    return round;
  }
  return answerGrant(round, { ...answer, nonce: undefined }, deps);
}

/** Why a follow-up was not closed. */
export type CloseProblem = 'not_found' | 'not_yours' | 'closed' | 'note_required';

/**
 * Closes a follow-up of one of my roles with a note of what was done: `followup_closed` in the
 * ledger (by me, once: a second close is refused) and the task out of the queue.
 */
export async function closeFollowUp(
  session: ConsoleSession,
  followUpId: string,
  input: { note: string; ip: string; userAgent: string },
  deps: Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock'>,
): Promise<{ ok: true; claimId: string } | { ok: false; problem: CloseProblem; claimId?: string }> {
  const ref = parseFollowUpId(followUpId);
  const loaded = ref ? await ownClaim(session, ref.claimId, deps) : undefined;
  if (!ref || !loaded) return { ok: false, problem: 'not_found' };
  const opened = entriesOf(loaded.entries, 'followup_opened').find((e) => e.seq === ref.seq);
  if (!opened) return { ok: false, problem: 'not_found' };
  const claimId = loaded.ref.claimId;
  const policy = await deps.state.currentPolicy(session.storefrontId);
  if (!policy || !rolesOf(policy.policy, session.email).includes(opened.data.role)) return { ok: false, problem: 'not_yours', claimId };
  const note = input.note.trim().slice(0, 2000);
  if (note === '') return { ok: false, problem: 'note_required', claimId };
  const step = followUpCloseStep(followUpId);
  if (loaded.entries.some((e) => e.step === step)) return { ok: false, problem: 'closed', claimId };
  const entry = await record(deps, loaded, {
    type: 'followup_closed',
    step,
    status: statusOf(loaded.entries) ?? 'received',
    actor: { kind: 'approver', email: session.email, role: opened.data.role, ip: input.ip, userAgent: input.userAgent.slice(0, 512) },
    policyVersion: policy.version,
    data: { followUpId, note },
  });
  // Of two closes at once the ledger keeps one; the other finds the first's entry.
  if (
    entry.type !== 'followup_closed' ||
    entry.actor.kind !== 'approver' ||
    entry.actor.email !== session.email ||
    entry.data.note !== note
  ) {
    return { ok: false, problem: 'closed', claimId };
  }
  await putFollowUpWork(deps, loaded, opened, 'done');
  return { ok: true, claimId };
}

/**
 * Whether a claim is within my tiers: one of its approval rounds or follow-ups was for one of my
 * roles. Other claims of the storefront are not mine to see.
 */
function withinTiers(entries: readonly LedgerEntry[], roles: readonly Role[]): boolean {
  return entries.some((e) => (e.type === 'approval_requested' || e.type === 'followup_opened') && roles.includes(e.data.role));
}

/**
 * The claim as the signed-in approver may see it: in the ledger, of their storefront, and come to
 * one of their tiers (a round or a follow-up of one of their roles). Undefined otherwise, alike
 * for every reason, so that neither a page nor a form tells a claim outside them from none.
 */
async function visibleClaim(
  session: ConsoleSession,
  claimId: string,
  deps: Pick<Deps, 'ledger' | 'state'>,
): Promise<{ loaded: LoadedClaim; policy: Awaited<ReturnType<Deps['state']['currentPolicy']>>; roles: Role[] } | undefined> {
  const loaded = await ownClaim(session, claimId, deps);
  if (!loaded) return undefined;
  const policy = await deps.state.currentPolicy(session.storefrontId);
  const roles = policy ? rolesOf(policy.policy, session.email) : [];
  return withinTiers(loaded.entries, roles) ? { loaded, policy, roles } : undefined;
}

/** The claim when it is in the ledger and belongs to the session's storefront. */
async function ownClaim(session: ConsoleSession, claimId: string, deps: Pick<Deps, 'ledger'>): Promise<LoadedClaim | undefined> {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(claimId)) return undefined;
  try {
    const loaded = await loadClaim(deps, claimId);
    return loaded.ref.storefrontId === session.storefrontId ? loaded : undefined;
  } catch (err) {
    if (err instanceof ClaimNotFoundError) return undefined;
    throw err;
  }
}

/**
 * The round waiting for me on this claim, as an approval link for it would show it: undefined
 * when no round waits or I am not among its approvers.
 */
async function myRound(
  session: ConsoleSession,
  loaded: LoadedClaim,
  deps: Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock'>,
): Promise<ApprovalLookup | undefined> {
  const callback = await deps.state.callback(loaded.ref.claimId);
  if (callback?.kind !== 'approval' || callback.round === undefined || callback.role === undefined) return undefined;
  const me = session.email.toLowerCase();
  const approver = (callback.approvers ?? []).find((a) => a.toLowerCase() === me);
  if (!approver) return undefined;
  const grant: ApprovalGrant = {
    claimId: loaded.ref.claimId,
    round: callback.round,
    role: callback.role,
    approver,
    expiresAt: Math.floor(Date.parse(callback.deadline) / 1000),
  };
  // The console's forms carry their own single-use nonces; the link nonce is not used here.
  return lookupGrant(grant, '', deps);
}
