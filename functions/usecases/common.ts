import { randomUUID } from 'node:crypto';
import type { ApprovalSchedule } from '#domain/approval-schedule.ts';
import { type ClaimRequest, orderFactsOf, withPinnedFacts } from '#domain/claim.ts';
import { type CustomerEmailArgs, type CustomerEmailKind, customerEmail, type EmailContent, promisedFollowUp } from '#domain/email.ts';
import type { EmailOverrides } from '#domain/email-templates.ts';
import { ClaimNotFoundError, PolicyNotFoundError } from '#domain/errors.ts';
import { type FollowUpReason, followUpIdOf, followUpStep } from '#domain/followups.ts';
import { allReturned, type ClaimRef, type ClaimStatus, claimOf, type EntryOf, type LedgerEntry, unitsBySku } from '#domain/ledger.ts';
import { addressKey } from '#domain/mail-tags.ts';
import type { Money } from '#domain/money.ts';
import { statusToken } from '#domain/people-tokens.ts';
import { type Role, tierFor } from '#domain/policy.ts';
import { followUpTerms, goodwillBudgetFor } from '#domain/policy-terms.ts';
import type { Deps } from '#ports';

/** The workflow's state between steps: small, and the same shape on AWS and embedded. */
export interface FlowState {
  readonly claimId: string;
  readonly storefrontId: string;
  readonly next: 'conclude' | 'settle_part' | 'approval' | 'return' | 'done';
  readonly approval?: ApprovalStep;
  readonly returnWaitSeconds?: number;
}

/**
 * One approval request: the round (1, 2, … as it escalates), the tier, and how long it waits in
 * all, split around the one reminder (see `approvalSchedule`). The ASL times the two waits with
 * `remindAfterSeconds` and `afterReminderSeconds`.
 */
export interface ApprovalStep extends ApprovalSchedule {
  readonly round: number;
  readonly role: Role;
}

/** What a workflow task receives. */
export interface TaskInput {
  readonly claimId: string;
  readonly storefrontId: string;
}

/** A claim as the ledger holds it. */
export interface LoadedClaim {
  readonly ref: ClaimRef;
  readonly claim: ClaimRequest;
  readonly entries: LedgerEntry[];
}

/** The ledger's identity fields for a claim. */
export function refOf(claimId: string, storefrontId: string, claim: ClaimRequest): ClaimRef {
  return { claimId, storefrontId, orderId: claim.order.id, customerId: claim.customer.id, currency: claim.order.currency };
}

/** Reads a claim's entries; throws {@link ClaimNotFoundError} when the ledger has none. */
export async function loadClaim(deps: Pick<Deps, 'ledger'>, claimId: string): Promise<LoadedClaim> {
  return loadedClaim(claimId, await deps.ledger.entries(claimId));
}

/** A claim from entries already read; throws {@link ClaimNotFoundError} when there are none. */
export function loadedClaim(claimId: string, entries: LedgerEntry[]): LoadedClaim {
  const claim = claimOf(entries);
  const first = entries[0];
  if (!claim || !first) throw new ClaimNotFoundError(`Claim ${claimId} is not in the ledger`);
  return { ref: refOf(claimId, first.storefrontId, claim), claim, entries };
}

/**
 * The claim with its order as the order's first accepted claim pinned it: every bound is
 * computed from these facts. A claim received before facts were pinned pins its own.
 */
export async function pinnedClaim(deps: Pick<Deps, 'state'>, loaded: LoadedClaim): Promise<ClaimRequest> {
  const { storefrontId, orderId } = loaded.ref;
  const pinned =
    (await deps.state.orderFacts(storefrontId, orderId)) ?? (await deps.state.pinOrderFacts(storefrontId, orderFactsOf(loaded.claim)));
  return withPinnedFacts(loaded.claim, pinned);
}

/**
 * Releases the units a claim held on its order, except those that came back to the shop (they
 * stay covered by this claim): after a rejection, or when a return deadline passed.
 */
export async function releaseUnits(deps: Pick<Deps, 'state'>, loaded: LoadedClaim): Promise<void> {
  const { storefrontId, orderId, claimId } = loaded.ref;
  const coverage = await deps.state.orderCoverage(storefrontId, orderId);
  const back = unitsBySku(allReturned(loaded.entries));
  const lines = Object.entries(coverage)
    .filter(([key, holders]) => (holders[claimId] ?? 0) > (back.get(key) ?? 0))
    .map(([key]) => ({ key, quantity: back.get(key) ?? 0, limit: Number.MAX_SAFE_INTEGER }));
  if (lines.length > 0) await deps.state.holdUnits({ storefrontId, orderId, claimId, lines });
}

/** Sender and shop name for a storefront's emails. */
export async function senderFor(
  deps: Pick<Deps, 'state' | 'mailFrom'>,
  storefrontId: string,
): Promise<{ from: string; replyTo?: string; shopName: string }> {
  const s = await deps.state.storefront(storefrontId);
  return { from: s?.mailFrom ?? deps.mailFrom, ...(s?.replyTo ? { replyTo: s.replyTo } : {}), shopName: s?.name ?? storefrontId };
}

/** What a customer email takes from the storefront's settings: the shop's name, its own wording and its return address, if any. */
export async function emailShop(
  deps: Pick<Deps, 'state'>,
  storefrontId: string,
): Promise<{ shopName: string; overrides?: EmailOverrides; returnAddress?: string }> {
  const s = await deps.state.storefront(storefrontId);
  return {
    shopName: s?.name ?? storefrontId,
    ...(s?.emailOverrides ? { overrides: s.emailOverrides } : {}),
    ...(s?.returnAddress ? { returnAddress: s.returnAddress } : {}),
  };
}

/**
 * Sends an email once per ledger step and records it. The email carries the key
 * `<claimId>/<step>`; a retry after the send but before the record asks the mail service whether
 * that key went out and records the email it finds instead of sending again. The embedded mailbox
 * can tell; SES cannot, so on AWS such a retry (a crash in that instant) sends again: at least once.
 * A retry after the record sends nothing. An address on the suppression list is not mailed: the
 * step appends `email_not_sent` instead, with the cause (and, for a customer email, first opens
 * a follow-up to reach the customer another way).
 */
export async function sendOnce(
  deps: Pick<Deps, 'ledger' | 'mailer' | 'state' | 'mailFrom' | 'clock'>,
  loaded: LoadedClaim,
  args: {
    step: string;
    kind: CustomerEmailKind | 'approval_request' | 'approval_reminder' | 'followup_reminder' | 'console_login';
    to: string;
    content: EmailContent;
    status: ClaimStatus;
    policyVersion: number | null;
    /**
     * For a step that requests may run at once (the same report sent twice): the step is leased
     * first, and only its holder sends. A holder that crashed before recording leaves the email
     * to a retry after the lease ({@link STEP_LEASE_MS}).
     */
    exclusive?: boolean;
    /**
     * For an email that tells the customer something: when the address is suppressed, a person
     * is asked to reach the customer another way (a `reach_customer` follow-up, opened before the
     * email is recorded as not sent, so a crash between the two leaves the task).
     */
    reachIfSuppressed?: boolean;
  },
): Promise<void> {
  if (loaded.entries.some((e) => e.step === args.step)) return;
  if (args.exclusive && !(await leaseStep(deps, loaded.ref.claimId, args.step))) return;
  const idempotencyKey = `${loaded.ref.claimId}/${args.step}`;
  const sender = await senderFor(deps, loaded.ref.storefrontId);
  const sentEarlier = await deps.mailer.sentBefore(idempotencyKey);
  // An address that bounced for good or complained is not mailed again, for any storefront: the
  // step records that its email did not go out and why, so nothing later claims it was read.
  const suppressed = sentEarlier === undefined ? await deps.state.suppression(addressKey(args.to)) : undefined;
  if (suppressed) {
    if (args.reachIfSuppressed) await openFollowUp(deps, loaded, 'reach_customer', args.step, args.status);
    await record(deps, loaded, {
      type: 'email_not_sent',
      step: args.step,
      status: args.status,
      actor: { kind: 'system' },
      policyVersion: args.policyVersion,
      data: {
        kind: args.kind,
        to: args.to,
        subject: args.content.subject,
        reason: 'suppressed',
        cause: suppressed.cause,
        since: suppressed.since,
      },
    });
    return;
  }
  const messageId =
    sentEarlier ??
    (
      await deps.mailer.send({
        from: sender.from,
        ...(sender.replyTo ? { replyTo: sender.replyTo } : {}),
        to: args.to,
        subject: args.content.subject,
        text: args.content.text,
        html: args.content.html,
        idempotencyKey,
      })
    ).messageId;
  await record(deps, loaded, {
    type: 'email_sent',
    step: args.step,
    status: args.status,
    actor: { kind: 'system' },
    policyVersion: args.policyVersion,
    data: { kind: args.kind, to: args.to, subject: args.content.subject, messageId },
  });
}

/** What a step that emails a customer needs. */
export type EmailDeps = Pick<Deps, 'ledger' | 'mailer' | 'state' | 'mailFrom' | 'clock' | 'secrets' | 'publicUrl'>;

/** What {@link sendCustomerEmail} takes of the email's own arguments: the rest it fills in. */
export type CustomerEmailInput = Omit<
  CustomerEmailArgs,
  'claim' | 'claimId' | 'shopName' | 'overrides' | 'returnAddress' | 'statusUrl' | 'followUpBy'
> & { readonly returnAddress?: string };

/**
 * The one way a customer email is sent: in the customer's language, with the shop's wording,
 * the read-only status link under it, and, when its words promise that a person will get in
 * touch, the follow-up task that keeps the promise, opened before the email goes out (so a crash
 * between the two leaves a task, never a promise without one) and with its due date in the email.
 * Once per `step`, like {@link sendOnce}.
 */
export async function sendCustomerEmail(
  deps: EmailDeps,
  loaded: LoadedClaim,
  kind: CustomerEmailKind,
  input: CustomerEmailInput,
  send: { step: string; status: ClaimStatus; policyVersion: number | null; exclusive?: boolean },
): Promise<void> {
  if (loaded.entries.some((e) => e.step === send.step)) return;
  const shop = await emailShop(deps, loaded.ref.storefrontId);
  const promise = promisedFollowUp(kind, input.decision, input.graded);
  const task = promise ? await openFollowUp(deps, loaded, promise, send.step, send.status) : undefined;
  const content = customerEmail(kind, {
    ...shop,
    ...input,
    claim: loaded.claim,
    claimId: loaded.ref.claimId,
    statusUrl: await statusUrlOf(deps, loaded.ref.claimId),
    ...(task ? { followUpBy: task.data.due } : {}),
  });
  await sendOnce(deps, loaded, {
    step: send.step,
    kind,
    to: loaded.claim.customer.email,
    content,
    status: send.status,
    policyVersion: send.policyVersion,
    ...(send.exclusive ? { exclusive: true } : {}),
    reachIfSuppressed: true,
  });
}

/** The customer's status page for a claim (`/c/<token>`), a fresh link valid for 180 days. */
export async function statusUrlOf(deps: Pick<Deps, 'secrets' | 'clock' | 'publicUrl'>, claimId: string): Promise<string> {
  return `${deps.publicUrl ?? ''}/c/${statusToken(claimId, await deps.secrets.approvalKeys(), deps.clock.now())}`;
}

/**
 * Opens the follow-up task behind the email of `emailStep`, once: a role and a due time from the
 * storefront's policy, an entry in the ledger and an item in the storefront's queue of people.
 */
export async function openFollowUp(
  deps: Pick<Deps, 'ledger' | 'state' | 'clock'>,
  loaded: LoadedClaim,
  reason: FollowUpReason,
  emailStep: string,
  status: ClaimStatus,
): Promise<EntryOf<'followup_opened'>> {
  const step = followUpStep(emailStep);
  const recorded = loaded.entries.find((e): e is EntryOf<'followup_opened'> => e.type === 'followup_opened' && e.step === step);
  const entry =
    recorded ??
    (await (async () => {
      const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
      if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
      const terms = followUpTerms(policy.policy, reason, deps.clock.now());
      return (await record(deps, loaded, {
        type: 'followup_opened',
        step,
        status,
        actor: { kind: 'system' },
        policyVersion: policy.version,
        data: { reason, role: terms.role, due: terms.due.toISOString(), email: emailStep },
      })) as EntryOf<'followup_opened'>;
    })());
  await putFollowUpWork(deps, loaded, entry, 'open');
  return entry;
}

/** The follow-up's item in the queue of people: its role's approvers, its due time, open or done. */
export async function putFollowUpWork(
  deps: Pick<Deps, 'state'>,
  loaded: LoadedClaim,
  opened: EntryOf<'followup_opened'>,
  status: 'open' | 'done',
  remindedAt?: string,
): Promise<void> {
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  const approvers = policy ? (tierFor(policy.policy, opened.data.role)?.approvers ?? []) : [];
  await deps.state.putWork(
    {
      kind: 'followup',
      id: followUpIdOf(loaded.ref.claimId, opened.seq),
      claimId: loaded.ref.claimId,
      storefrontId: loaded.ref.storefrontId,
      orderId: loaded.ref.orderId,
      role: opened.data.role,
      approvers: [...approvers],
      due: opened.data.due,
      status,
      reason: opened.data.reason,
      ...(remindedAt ? { remindedAt } : {}),
    },
    status === 'done' ? 3 : remindedAt ? 2 : 1,
  );
}

/**
 * Records a grant of goodwill against the customer's rolling budget, under the budget of the
 * policy version that decided the claim, in the order's currency. Throws OverRefundError when
 * the budget would be passed.
 */
export async function recordGoodwill(
  deps: Pick<Deps, 'state' | 'clock'>,
  loaded: LoadedClaim,
  policyVersion: number,
  grantId: string,
  amount: Money,
): Promise<void> {
  const policy = await deps.state.policyVersion(loaded.ref.storefrontId, policyVersion);
  const budget = policy ? goodwillBudgetFor(policy.policy, loaded.ref.currency) : undefined;
  await deps.state.grantGoodwill({
    storefrontId: loaded.ref.storefrontId,
    customerId: loaded.ref.customerId,
    grantId,
    amount,
    at: deps.clock.now(),
    windowDays: budget?.days ?? 365,
    budget: budget?.amount,
  });
}

/** How long a leased step is its holder's: time to send an email or grant a bonus and record it. */
export const STEP_LEASE_MS = 30_000;

/** Takes a claim's step for this request (see `StateStore.leaseStep`); false while another request holds it. */
export async function leaseStep(deps: Pick<Deps, 'state' | 'clock'>, claimId: string, step: string): Promise<boolean> {
  const now = deps.clock.now();
  return deps.state.leaseStep(claimId, step, randomUUID(), new Date(now.getTime() + STEP_LEASE_MS), now);
}

/** Appends an entry and keeps the loaded claim's entries current. */
export async function record(
  deps: Pick<Deps, 'ledger'>,
  loaded: LoadedClaim,
  draft: Parameters<Deps['ledger']['append']>[1],
): Promise<LedgerEntry> {
  const entry = await deps.ledger.append(loaded.ref, draft, loaded.entries);
  if (!loaded.entries.some((e) => e.seq === entry.seq)) loaded.entries.push(entry);
  return entry;
}
