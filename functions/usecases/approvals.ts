import { approvalRequestEmail } from '#domain/approval-email.ts';
import {
  type ApprovalGrant,
  formNonce,
  signApprovalToken,
  type TokenProblem,
  verifyApprovalToken,
  verifyFormNonce,
} from '#domain/approval-token.ts';
import type { ClaimRequest } from '#domain/claim.ts';
import type { CustomerHistory } from '#domain/decide.ts';
import { decisionValue } from '#domain/decide.ts';
import { customerEmail } from '#domain/email.ts';
import { PolicyNotFoundError } from '#domain/errors.ts';
import { customerHistory } from '#domain/history.ts';
import { currentDecision, type StoredDecision, statusOf } from '#domain/ledger.ts';
import { type Money, min, money, parseMajorUnits, subtract } from '#domain/money.ts';
import { type Role, tierAbove, tierFor } from '#domain/policy.ts';
import type { ApprovalUse, Deps, PendingCallback } from '#ports';
import { type ApprovalStep, type FlowState, type LoadedClaim, loadClaim, record, sendOnce, type TaskInput } from './common.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Asks the current tier's approvers to decide, then leaves the workflow waiting.
 *
 * What happens:
 * 1. The task token is stored server-side as the claim's pending callback (replacing any older
 *    one: after a resume the token changes, the links stay valid).
 * 2. `approval_requested` is appended once per round.
 * 3. Each approver of the tier gets an email with their own signed link, once per round.
 */
export async function requestApproval(
  input: TaskInput & { approval: ApprovalStep; taskToken: string },
  deps: Pick<Deps, 'ledger' | 'state' | 'mailer' | 'secrets' | 'clock' | 'mailFrom' | 'publicUrl'>,
): Promise<void> {
  const loaded = await loadClaim(deps, input.claimId);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
  const decision = currentDecision(loaded.entries);
  if (!decision) throw new Error(`Claim ${input.claimId} has no decision to approve`);
  const { round, role } = input.approval;
  const tier = tierFor(policy.policy, role);
  const approvers = tier?.approvers ?? [];
  const requested = loaded.entries.find((e) => e.step === `approval-requested#${round}`);
  // The deadline is fixed by the first request of the round; a resumed wait keeps it.
  const deadline = requested
    ? String(requested.data.deadline)
    : new Date(deps.clock.now().getTime() + input.approval.waitSeconds * 1000).toISOString();
  await deps.state.putCallback({
    claimId: input.claimId,
    kind: 'approval',
    taskToken: input.taskToken,
    round,
    role,
    approvers,
    deadline,
    resume: {
      claimId: input.claimId,
      storefrontId: loaded.ref.storefrontId,
      returnWaitSeconds: (policy.policy.returns.sendBackDays * DAY_MS) / 1000,
    },
  });
  await record(deps, loaded, {
    type: 'approval_requested',
    step: `approval-requested#${round}`,
    status: 'awaiting_approval',
    actor: { kind: 'system' },
    policyVersion: decision.policyVersion,
    data: {
      round,
      role,
      approvers: [...approvers],
      deadline,
      proposal: { cash: { ...decision.cash }, storeCredit: { ...decision.storeCredit } },
    },
  });
  const key = await deps.secrets.approvalKey();
  const base = deps.publicUrl ?? '';
  const sender = await deps.state.storefront(loaded.ref.storefrontId);
  for (const approver of approvers) {
    const token = signApprovalToken(
      { claimId: input.claimId, round, role, approver, expiresAt: Math.floor(Date.parse(deadline) / 1000) },
      key,
    );
    await sendOnce(deps, loaded, {
      step: `email:approval#${round}:${approver}`,
      kind: 'approval_request',
      to: approver,
      content: approvalRequestEmail({
        claim: loaded.claim,
        decision,
        claimId: input.claimId,
        role,
        link: `${base}/approvals/${token}`,
        expiresAt: new Date(deadline),
        shopName: sender?.name ?? loaded.ref.storefrontId,
      }),
      status: 'awaiting_approval',
      policyVersion: decision.policyVersion,
    });
  }
}

/**
 * A tier did not answer in time.
 *
 * What happens:
 * 1. `escalated` is appended, naming the tier that did not answer.
 * 2. With a tier above, the claim goes to it as a new round (the old links stop working).
 * 3. At the top tier, the customer is told honestly that it needs more time, and the claim is
 *    left `failed` with the reason `approval_timed_out`, where an operator finds it.
 */
export async function escalate(
  input: TaskInput & { approval: ApprovalStep },
  deps: Pick<Deps, 'ledger' | 'state' | 'mailer' | 'clock' | 'mailFrom'>,
): Promise<FlowState> {
  const loaded = await loadClaim(deps, input.claimId);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
  const decision = currentDecision(loaded.entries);
  const above = tierAbove(policy.policy, input.approval.role);
  const base = { claimId: input.claimId, storefrontId: loaded.ref.storefrontId };
  await record(deps, loaded, {
    type: 'escalated',
    step: `escalated#${input.approval.round}`,
    status: above ? 'awaiting_approval' : 'failed',
    actor: { kind: 'system' },
    policyVersion: decision?.policyVersion ?? null,
    data: {
      round: input.approval.round,
      from: input.approval.role,
      to: above?.role ?? null,
      ...(above ? {} : { reason: 'approval_timed_out' }),
    },
  });
  if (above) {
    return {
      ...base,
      next: 'approval',
      approval: { round: input.approval.round + 1, role: above.role, waitSeconds: Math.round((above.waitHours ?? 48) * 3600) },
    };
  }
  await sendOnce(deps, loaded, {
    step: 'email:needs-more-time',
    kind: 'needs_more_time',
    to: loaded.claim.customer.email,
    content: customerEmail('needs_more_time', {
      claim: loaded.claim,
      decision,
      shopName: (await deps.state.storefront(loaded.ref.storefrontId))?.name ?? loaded.ref.storefrontId,
      claimId: input.claimId,
    }),
    status: 'failed',
    policyVersion: decision?.policyVersion ?? null,
  });
  return { ...base, next: 'done' };
}

/** Why a link shows no form. */
export type LinkProblem = TokenProblem | 'used' | 'superseded' | 'ended' | 'unknown_claim';

/** What the confirmation page shows. */
export interface ApprovalView {
  readonly grant: ApprovalGrant;
  readonly claimId: string;
  readonly claim: ClaimRequest;
  readonly decision: StoredDecision;
  readonly history: CustomerHistory;
  /** The most this approver may approve (null: no limit). */
  readonly limit: Money | null;
  readonly nonce: string;
}

/** A link's state: a form to show, or the reason there is none. */
export type ApprovalLookup =
  | { readonly ok: true; readonly view: ApprovalView; readonly loaded: LoadedClaim; readonly callback: PendingCallback }
  | { readonly ok: false; readonly problem: LinkProblem; readonly use?: ApprovalUse };

type LinkDeps = Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock'>;

/**
 * Reads what an approval link points at. Reads only: a GET or HEAD (a person, or a mail scanner
 * opening the link first) changes nothing.
 */
export async function lookupApproval(token: string, deps: LinkDeps): Promise<ApprovalLookup> {
  const key = await deps.secrets.approvalKey();
  const verified = verifyApprovalToken(token, key, deps.clock.now());
  if (!verified.ok) return { ok: false, problem: verified.problem };
  const grant = verified.grant;
  const entries = await deps.ledger.entries(grant.claimId);
  if (entries.length === 0) return { ok: false, problem: 'unknown_claim' };
  const loaded = await loadClaim(deps, grant.claimId);
  const use = await deps.state.approvalUse(grant.claimId, grant.round);
  if (use) return { ok: false, problem: 'used', use };
  const callback = await deps.state.callback(grant.claimId);
  const status = statusOf(loaded.entries);
  if (status === 'settled' || status === 'rejected' || status === 'closed' || status === 'failed') return { ok: false, problem: 'ended' };
  if (callback?.kind !== 'approval' || callback.round !== grant.round || !(callback.approvers ?? []).includes(grant.approver)) {
    return { ok: false, problem: 'superseded' };
  }
  const decision = currentDecision(loaded.entries);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!decision || !policy) return { ok: false, problem: 'ended' };
  const now = deps.clock.now();
  const [customerEntries, orderGranted] = await Promise.all([
    deps.ledger.customerEntries(loaded.ref.storefrontId, loaded.ref.customerId, new Date(now.getTime() - 365 * DAY_MS)),
    deps.state.orderGranted(loaded.ref.storefrontId, loaded.ref.orderId, loaded.ref.currency),
  ]);
  const history = customerHistory({ entries: customerEntries, policy: policy.policy, now, currentClaimId: grant.claimId, orderGranted });
  const tierLimit = tierFor(policy.policy, grant.role)?.limit ?? null;
  return {
    ok: true,
    loaded,
    callback,
    view: {
      grant,
      claimId: grant.claimId,
      claim: loaded.claim,
      decision,
      history,
      limit: tierLimit === null ? null : money(tierLimit, loaded.ref.currency),
      nonce: formNonce(token, key),
    },
  };
}

/** The approver's answer, as the form posts it. */
export interface ApprovalAnswer {
  readonly decision: string | undefined;
  readonly amount: string | undefined;
  readonly note: string | undefined;
  readonly nonce: string | undefined;
  readonly ip: string;
  readonly userAgent: string;
}

/** What the result page says. */
export type ApprovalOutcome =
  | { readonly ok: true; readonly decision: 'approve' | 'reject'; readonly approved?: Money; readonly claimId: string }
  | {
      readonly ok: false;
      readonly problem: LinkProblem | 'bad_form' | 'above_proposal' | 'above_limit';
      readonly message?: string;
      readonly use?: ApprovalUse;
    };

/**
 * Records an approver's decision, once.
 *
 * What happens:
 * 1. The link is checked as for the page, plus the form's nonce and the amount: never above the
 *    proposal, never above the approver's limit. Any problem changes nothing.
 * 2. The use is recorded by a conditional write: of two simultaneous posts exactly one wins.
 * 3. `approved` (with the approved amounts, the approver, IP and user agent) or `rejected` is
 *    appended, and the workflow resumes with where the claim goes next.
 */
export async function answerApproval(
  token: string,
  answer: ApprovalAnswer,
  deps: LinkDeps & Pick<Deps, 'workflow'>,
): Promise<ApprovalOutcome> {
  const found = await lookupApproval(token, deps);
  if (!found.ok) return found;
  const { view, loaded, callback } = found;
  const key = await deps.secrets.approvalKey();
  if (answer.nonce === undefined || !verifyFormNonce(token, answer.nonce, key)) {
    return { ok: false, problem: 'bad_form', message: 'This form did not come from the confirmation page. Open the link again.' };
  }
  if (answer.decision !== 'approve' && answer.decision !== 'reject') {
    return { ok: false, problem: 'bad_form', message: 'Choose Approve or Reject.' };
  }
  const note = (answer.note ?? '').slice(0, 2000);
  const proposal = decisionValue(view.decision);
  let approved = view.decision;
  if (answer.decision === 'approve' && answer.amount !== undefined && answer.amount.trim() !== '') {
    const amount = parseMajorUnits(answer.amount, proposal.currency);
    if (!amount) return { ok: false, problem: 'bad_form', message: `The amount "${answer.amount}" is not a plain amount such as 150.00.` };
    if (amount.amount > proposal.amount) return { ok: false, problem: 'above_proposal' };
    approved = lowered(view.decision, amount);
  }
  if (answer.decision === 'approve' && view.limit !== null && decisionValue(approved).amount > view.limit.amount) {
    return { ok: false, problem: 'above_limit' };
  }

  const now = deps.clock.now();
  const use: ApprovalUse = {
    claimId: view.claimId,
    round: view.grant.round,
    decision: answer.decision,
    approver: view.grant.approver,
    at: now.toISOString(),
  };
  const first = await deps.state.useApproval(use);
  if (!first.first) return { ok: false, problem: 'used', use: first.existing };

  const actor = {
    kind: 'approver' as const,
    email: view.grant.approver,
    role: view.grant.role,
    ip: answer.ip,
    userAgent: answer.userAgent.slice(0, 512),
  };
  if (answer.decision === 'reject') {
    await record(deps, loaded, {
      type: 'rejected',
      step: `approval-decision#${view.grant.round}`,
      status: 'assessing',
      actor,
      policyVersion: view.decision.policyVersion,
      data: { round: view.grant.round, note },
    });
  } else {
    await record(deps, loaded, {
      type: 'approved',
      step: `approval-decision#${view.grant.round}`,
      status: 'assessing',
      actor,
      policyVersion: view.decision.policyVersion,
      data: {
        round: view.grant.round,
        note,
        proposal: { cash: { ...view.decision.cash }, storeCredit: { ...view.decision.storeCredit } },
        approved: { cash: { ...approved.cash }, storeCredit: { ...approved.storeCredit }, goodwill: { ...approved.goodwill } },
      },
    });
  }
  const next: FlowState =
    answer.decision === 'approve' && view.decision.returnRequired
      ? {
          claimId: view.claimId,
          storefrontId: loaded.ref.storefrontId,
          next: 'return',
          returnWaitSeconds: callback.resume.returnWaitSeconds ?? 30 * 86400,
        }
      : { claimId: view.claimId, storefrontId: loaded.ref.storefrontId, next: 'conclude' };
  await deps.workflow.succeed(callback.taskToken, next);
  return {
    ok: true,
    decision: answer.decision,
    claimId: view.claimId,
    ...(answer.decision === 'approve' ? { approved: decisionValue(approved) } : {}),
  };
}

/** The decision with its total lowered to `amount`: goodwill goes first, then credit, then cash. */
export function lowered(d: StoredDecision, amount: Money): StoredDecision {
  let cut = subtract(decisionValue(d), amount);
  const g = min(cut, d.goodwill);
  cut = subtract(cut, g);
  const credit = subtract(d.storeCredit, g);
  const c = min(cut, credit);
  cut = subtract(cut, c);
  return { ...d, goodwill: subtract(d.goodwill, g), storeCredit: subtract(credit, c), cash: subtract(d.cash, cut) };
}

/** Roles in words for pages and emails. */
export function roleLabel(role: Role): string {
  return { auto: 'automatic', agent: 'agent', supervisor: 'supervisor', finance: 'finance' }[role];
}
