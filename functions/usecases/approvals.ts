import { approvalRequestEmail, roleLabel } from '#domain/approval-email.ts';
import { approvalSchedule } from '#domain/approval-schedule.ts';
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
import { ApprovalAnsweredError, ClaimNotFoundError, PolicyNotFoundError, TransientError } from '#domain/errors.ts';
import { customerHistory, type EarlierClaim, earlierClaims } from '#domain/history.ts';
import { currentDecision, entriesOf, type LedgerEntry, type StoredDecision, statusOf } from '#domain/ledger.ts';
import { formatMoney, type Money, min, parseMajorUnits, subtract } from '#domain/money.ts';
import { type Policy, type Role, tierAbove, tierFor } from '#domain/policy.ts';
import { approvalWaitHours, decidedBy, historyLookbackDays, returnWaitSeconds, tierLimitFor } from '#domain/policy-terms.ts';
import type { ApprovalUse, Deps, PendingCallback } from '#ports';
import { concludeStep } from './assess-claim.ts';
import {
  type ApprovalStep,
  type EmailDeps,
  type FlowState,
  type LoadedClaim,
  loadClaim,
  record,
  sendCustomerEmail,
  sendOnce,
  type TaskInput,
} from './common.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The approval step for a tier: its round, its role and its wait split around the reminder. */
export function approvalStep(round: number, role: Role, policy: Policy): ApprovalStep {
  return { round, role, ...approvalSchedule(approvalWaitHours(policy, role)) };
}

type WaitDeps = Pick<Deps, 'ledger' | 'state' | 'mailer' | 'secrets' | 'clock' | 'mailFrom' | 'publicUrl'>;
type WaitInput = TaskInput & { approval: ApprovalStep; taskToken: string };

/**
 * Asks the current tier's approvers to decide, then leaves the workflow waiting until the
 * reminder (`RequestApproval` in the ASL).
 *
 * What happens:
 * 1. The task token is stored server-side as the claim's pending callback (replacing any older
 *    one: after a resume the token changes, the links stay valid).
 * 2. If the round was answered already (an answer that raced a restart), it throws
 *    {@link ApprovalAnsweredError} so the workflow continues as the answer says.
 * 3. `approval_requested` is appended once per round, fixing the round's approvers and deadline.
 * 4. Each approver of the tier gets an email with their own link, once per round.
 */
export async function requestApproval(input: WaitInput, deps: WaitDeps): Promise<void> {
  await waitForApprovers(input, deps, 'request');
}

/**
 * The tier has not answered by the reminder point: remind the same approvers, then wait for the
 * rest of the round (`RemindApprovers` in the ASL).
 *
 * What happens:
 * 1. The new task token replaces the old one in the pending callback; round, approvers and
 *    deadline stay those of the request, so every link already sent keeps working.
 * 2. If the round was answered meanwhile (the answer's resume reached the task that had just
 *    timed out), it throws {@link ApprovalAnsweredError} and the workflow continues as answered.
 * 3. Each approver gets one reminder per round, with a link to the same round and expiry.
 */
export async function remindApprovers(input: WaitInput, deps: WaitDeps): Promise<void> {
  await waitForApprovers(input, deps, 'reminder');
}

async function waitForApprovers(input: WaitInput, deps: WaitDeps, kind: 'request' | 'reminder'): Promise<void> {
  const loaded = await loadClaim(deps, input.claimId);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
  const decision = currentDecision(loaded.entries);
  if (!decision) throw new Error(`Claim ${input.claimId} has no decision to approve`);
  const { round, role } = input.approval;
  const requested = entriesOf(loaded.entries, 'approval_requested').find((e) => e.step === `approval-requested#${round}`);
  if (kind === 'reminder' && !requested) throw new Error(`Claim ${input.claimId} has no approval round ${round} to remind of`);
  // The request fixes the round's approvers and deadline; a reminder or a resumed wait keeps them.
  const approvers = requested ? requested.data.approvers : (tierFor(policy.policy, role)?.approvers ?? []);
  const deadline = requested
    ? requested.data.deadline
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
      returnWaitSeconds: returnWaitSeconds(policy.policy),
    },
  });
  // Checked after the new token is stored: an answer recorded before this read is caught here,
  // and one recorded after it finds the new token when its first resume comes back `gone`.
  if (await deps.state.approvalUse(input.claimId, round)) {
    throw new ApprovalAnsweredError(`Round ${round} of claim ${input.claimId} is already answered`);
  }
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
  await putApprovalWork(deps, loaded, { round, role, approvers, deadline, value: decisionValue(decision) }, 'open');
  if (kind === 'request' && role !== 'auto') {
    // The customer hears at once that a person decides, who, and by when at the latest (every
    // tier above may still take its own wait); once per claim, however many rounds follow.
    await sendCustomerEmail(
      deps,
      loaded,
      'acknowledged',
      { decision, decider: role, decideBy: decidedBy(policy.policy, role, deps.clock.now()).toISOString() },
      { step: 'email:acknowledged', status: 'awaiting_approval', policyVersion: decision.policyVersion },
    );
  }
  const keys = await deps.secrets.approvalKeys();
  const base = deps.publicUrl ?? '';
  const sender = await deps.state.storefront(loaded.ref.storefrontId);
  const above = tierAbove(policy.policy, role);
  for (const approver of approvers) {
    const token = signApprovalToken(
      { claimId: input.claimId, round, role, approver, expiresAt: Math.floor(Date.parse(deadline) / 1000) },
      keys,
    );
    await sendOnce(deps, loaded, {
      step: kind === 'reminder' ? `email:approval-reminder#${round}:${approver}` : `email:approval#${round}:${approver}`,
      kind: kind === 'reminder' ? 'approval_reminder' : 'approval_request',
      to: approver,
      content: approvalRequestEmail({
        claim: loaded.claim,
        decision,
        claimId: input.claimId,
        role: roleLabel(role),
        link: `${base}/approvals/${token}`,
        expiresAt: new Date(deadline),
        shopName: sender?.name ?? loaded.ref.storefrontId,
        reminder: kind === 'reminder',
        escalatesTo: above ? roleLabel(above.role) : undefined,
      }),
      status: 'awaiting_approval',
      policyVersion: decision.policyVersion,
    });
  }
}

/** Where a claim goes once its round is answered: the return first, or straight to Conclude. */
function nextAfterAnswer(
  ids: { claimId: string; storefrontId: string },
  answer: 'approve' | 'reject',
  decision: StoredDecision,
  returnWait: number,
  entries: readonly LedgerEntry[],
): FlowState {
  if (answer === 'approve' && decision.returnRequired) return { ...ids, next: 'return', returnWaitSeconds: returnWait };
  return { ...ids, next: answer === 'approve' ? concludeStep(entries) : 'conclude' };
}

/**
 * A round ended without an answer reaching the workflow: its deadline passed, or its wait found
 * the round answered (`ApprovalAnsweredError`).
 *
 * What happens:
 * 1. If the round was answered, the claim continues as the answer says (the answer's resume
 *    raced the timeout). An answer that stopped after its use was recorded and before its entry
 *    (a crash) has its entry appended here, from the use. One from before uses carried their
 *    entry is waited for with a retry.
 * 2. Otherwise `escalated` is appended, naming the tier that did not answer.
 * 3. With a tier above, the claim goes to it as a new round (the old links stop working).
 * 4. At the top tier, the customer is told honestly that it needs more time, and the claim is
 *    left `failed` with the reason `approval_timed_out`, where an operator finds it.
 */
export async function escalate(input: TaskInput & { approval: ApprovalStep }, deps: EmailDeps): Promise<FlowState> {
  const loaded = await loadClaim(deps, input.claimId);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
  const decision = currentDecision(loaded.entries);
  const base = { claimId: input.claimId, storefrontId: loaded.ref.storefrontId };
  const { round } = input.approval;
  const use = await deps.state.approvalUse(input.claimId, round);
  if (use) {
    await finishAnswer(deps, loaded, use);
    const answered = loaded.entries.some((e) => e.step === `approval-decision#${round}`);
    if (!answered || !decision) throw new TransientError(`The answer to round ${round} of claim ${input.claimId} is still being recorded`);
    return nextAfterAnswer(base, use.decision, decision, returnWaitSeconds(policy.policy), loaded.entries);
  }
  const above = tierAbove(policy.policy, input.approval.role);
  await record(deps, loaded, {
    type: 'escalated',
    step: `escalated#${round}`,
    status: above ? 'awaiting_approval' : 'failed',
    actor: { kind: 'system' },
    policyVersion: decision?.policyVersion ?? null,
    data: {
      round,
      from: input.approval.role,
      to: above?.role ?? null,
      ...(above ? {} : { reason: 'approval_timed_out' }),
    },
  });
  await closeApprovalWork(deps, loaded, round);
  if (above) {
    return { ...base, next: 'approval', approval: approvalStep(round + 1, above.role, policy.policy) };
  }
  // Honest about what happens now: a person takes the claim up (the follow-up task this email
  // opens), by the task's due date.
  await sendCustomerEmail(
    deps,
    loaded,
    'needs_more_time',
    { decision },
    { step: 'email:needs-more-time', status: 'failed', policyVersion: decision?.policyVersion ?? null },
  );
  return { ...base, next: 'done' };
}

/**
 * Why a link shows no form: the token's own problems, or
 * - `used`: this round was already decided (by this link or a colleague's);
 * - `ended`: the claim has ended (settled, rejected, closed or failed);
 * - `superseded`: the round is over (escalated to another tier, or the claim moved on);
 * - `foreign`: the round is current, but this link was not issued for it to this approver;
 * - `unknown_claim`: no such claim.
 */
export type LinkProblem = TokenProblem | 'used' | 'superseded' | 'foreign' | 'ended' | 'unknown_claim';

/** What the confirmation page shows. */
export interface ApprovalView {
  readonly grant: ApprovalGrant;
  readonly claimId: string;
  readonly claim: ClaimRequest;
  readonly decision: StoredDecision;
  readonly history: CustomerHistory;
  /** The customer's other claims in the lookback, newest first: date, reason, outcome and amount. */
  readonly earlier: readonly EarlierClaim[];
  /** The most this approver may approve (null: no limit). */
  readonly limit: Money | null;
  readonly nonce: string;
  readonly shopName: string;
}

/** A link's state: a form to show, or the reason there is none. */
export type ApprovalLookup =
  | { readonly ok: true; readonly view: ApprovalView; readonly loaded: LoadedClaim; readonly callback: PendingCallback }
  | { readonly ok: false; readonly problem: LinkProblem; readonly use?: ApprovalUse };

type LinkDeps = Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock'>;

const ENDED: ReadonlySet<string> = new Set(['settled', 'rejected', 'closed', 'failed']);

/**
 * Reads what an approval link points at. Reads only: a GET or HEAD (a person, or a mail scanner
 * opening the link first) changes nothing.
 */
export async function lookupApproval(token: string, deps: LinkDeps): Promise<ApprovalLookup> {
  const keys = await deps.secrets.approvalKeys();
  const verified = verifyApprovalToken(token, keys, deps.clock.now());
  if (!verified.ok) return { ok: false, problem: verified.problem };
  return lookupGrant(verified.grant, formNonce(token, keys), deps);
}

/**
 * What a grant (from an approval link, or built for a signed-in console user from the round
 * waiting) may decide: the same checks for both, so the console can do no more than a link.
 */
export async function lookupGrant(grant: ApprovalGrant, nonce: string, deps: LinkDeps): Promise<ApprovalLookup> {
  let loaded: LoadedClaim;
  try {
    loaded = await loadClaim(deps, grant.claimId);
  } catch (err) {
    if (err instanceof ClaimNotFoundError) return { ok: false, problem: 'unknown_claim' };
    throw err;
  }
  const [use, callback] = await Promise.all([deps.state.approvalUse(grant.claimId, grant.round), deps.state.callback(grant.claimId)]);
  if (use) return { ok: false, problem: 'used', use };
  if (ENDED.has(statusOf(loaded.entries) ?? '')) return { ok: false, problem: 'ended' };
  const escalated = loaded.entries.some((e) => e.step === `escalated#${grant.round}`);
  if (callback?.kind !== 'approval' || callback.round !== grant.round || escalated) return { ok: false, problem: 'superseded' };
  // Everything the token claims must match the wait it is for. Only the server can mint a token,
  // so these hold for every link it sent; they are the last line should the key ever leak.
  if (
    !(callback.approvers ?? []).includes(grant.approver) ||
    callback.role !== grant.role ||
    Math.floor(Date.parse(callback.deadline) / 1000) !== grant.expiresAt
  ) {
    return { ok: false, problem: 'foreign' };
  }
  const decision = currentDecision(loaded.entries);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!decision || !policy) return { ok: false, problem: 'ended' };
  const now = deps.clock.now();
  const [customerEntries, orderGranted, storefront] = await Promise.all([
    deps.ledger.customerEntries(
      loaded.ref.storefrontId,
      loaded.ref.customerId,
      new Date(now.getTime() - historyLookbackDays(policy.policy) * DAY_MS),
    ),
    deps.state.orderGranted(loaded.ref.storefrontId, loaded.ref.orderId, loaded.ref.currency),
    deps.state.storefront(loaded.ref.storefrontId),
  ]);
  const history = customerHistory({ entries: customerEntries, policy: policy.policy, now, currentClaimId: grant.claimId, orderGranted });
  const limit = tierLimitFor(policy.policy, grant.role, loaded.ref.currency);
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
      earlier: earlierClaims(customerEntries, grant.claimId),
      limit,
      nonce,
      shopName: storefront?.name ?? loaded.ref.storefrontId,
    },
  };
}

/** The approver's answer, as the form posts it. */
export interface ApprovalAnswer {
  readonly decision: string | undefined;
  readonly amount: string | undefined;
  readonly note: string | undefined;
  /** What the approver writes to the customer: it reaches the outcome email. */
  readonly customerNote?: string | undefined;
  readonly nonce: string | undefined;
  readonly ip: string;
  readonly userAgent: string;
}

/** Why an answer was refused, besides the link's own problems. */
export type AnswerProblem = 'bad_form' | 'note_required' | 'above_proposal' | 'above_limit';

/** What the result page says. */
export type ApprovalOutcome =
  | {
      readonly ok: true;
      readonly decision: 'approve' | 'reject';
      readonly claimId: string;
      readonly orderId: string;
      readonly approver: string;
      readonly proposal: Money;
      /** What was approved (absent for a rejection). */
      readonly approved?: Money;
      readonly note: string;
      /** What happens to the claim now. */
      readonly next: 'return' | 'conclude';
    }
  | {
      readonly ok: false;
      readonly problem: LinkProblem | AnswerProblem;
      readonly message?: string;
      readonly use?: ApprovalUse;
    };

/**
 * Records an approver's decision, once.
 *
 * What happens:
 * 1. The link is checked as for the page, plus the form's nonce and the answer: a rejection needs
 *    a note; an amount is never above the proposal, never above the approver's limit, and never
 *    zero (that is a rejection). Any problem changes nothing.
 * 2. The use is recorded by a conditional write: of two simultaneous posts exactly one wins. It
 *    carries the entry appended next, so a crash between the two writes loses no answer: the
 *    approver's retry, or the workflow's Escalate, appends it from the use.
 * 3. `approved` (with the proposal, the approved amounts and the note) or `rejected` (with the
 *    note) is appended with the approver, IP and user agent.
 * 4. The workflow resumes through the stored task token. If that task has just been replaced (the
 *    reminder started), the new token is read and resumed instead.
 */
export async function answerApproval(
  token: string,
  answer: ApprovalAnswer,
  deps: LinkDeps & Pick<Deps, 'workflow'>,
): Promise<ApprovalOutcome> {
  const found = await lookupApproval(token, deps);
  if (!found.ok) {
    // A post that finds the round used may be the approver's retry of an answer that stopped halfway.
    if (found.use) await finishPendingAnswer(deps, found.use);
    return found;
  }
  const keys = await deps.secrets.approvalKeys();
  if (answer.nonce === undefined || !verifyFormNonce(token, answer.nonce, keys, deps.clock.now())) {
    return { ok: false, problem: 'bad_form', message: 'This form did not come from the confirmation page. Open the link again.' };
  }
  return answerGrant(found, answer, deps);
}

/** Records the answer to a round that {@link lookupGrant} found open, once (see {@link answerApproval}). */
export async function answerGrant(
  found: Extract<ApprovalLookup, { ok: true }>,
  answer: ApprovalAnswer,
  deps: LinkDeps & Pick<Deps, 'workflow'>,
): Promise<ApprovalOutcome> {
  const { view, loaded, callback } = found;
  if (answer.decision !== 'approve' && answer.decision !== 'reject') {
    return { ok: false, problem: 'bad_form', message: 'Choose Approve or Reject.' };
  }
  const note = (answer.note ?? '').trim().slice(0, 2000);
  const customerNote = (answer.customerNote ?? '').trim().slice(0, 2000);
  if (answer.decision === 'reject' && note === '') return { ok: false, problem: 'note_required' };
  const proposal = decisionValue(view.decision);
  let approved = view.decision;
  if (answer.decision === 'approve' && answer.amount !== undefined && answer.amount.trim() !== '') {
    const amount = parseMajorUnits(answer.amount, proposal.currency);
    if (!amount) return { ok: false, problem: 'bad_form', message: `The amount "${answer.amount}" is not a plain amount such as 150.00.` };
    if (amount.amount > proposal.amount)
      return { ok: false, problem: 'above_proposal', message: `The proposal is ${formatMoney(proposal)}.` };
    if (amount.amount === 0) return { ok: false, problem: 'bad_form', message: 'To grant nothing, reject the claim with a note.' };
    approved = lowered(view.decision, amount);
  }
  if (answer.decision === 'approve' && view.limit !== null && decisionValue(approved).amount > view.limit.amount) {
    return { ok: false, problem: 'above_limit', message: `Your limit is ${formatMoney(view.limit)}.` };
  }

  const actor = {
    kind: 'approver' as const,
    email: view.grant.approver,
    role: view.grant.role,
    ip: answer.ip,
    userAgent: answer.userAgent.slice(0, 512),
  };
  const common = {
    round: view.grant.round,
    note,
    ...(customerNote ? { customerNote } : {}),
    proposal: { cash: { ...view.decision.cash }, storeCredit: { ...view.decision.storeCredit } },
  };
  const fields = {
    step: `approval-decision#${view.grant.round}`,
    status: 'assessing' as const,
    actor,
    policyVersion: view.decision.policyVersion,
  };
  const entry: NonNullable<ApprovalUse['entry']> =
    answer.decision === 'reject'
      ? { type: 'rejected', ...fields, data: common }
      : {
          type: 'approved',
          ...fields,
          data: {
            ...common,
            approved: { cash: { ...approved.cash }, storeCredit: { ...approved.storeCredit }, goodwill: { ...approved.goodwill } },
          },
        };
  const use: ApprovalUse = {
    claimId: view.claimId,
    round: view.grant.round,
    decision: answer.decision,
    approver: view.grant.approver,
    at: deps.clock.now().toISOString(),
    entry,
  };
  const first = await deps.state.useApproval(use);
  if (!first.first) {
    await finishPendingAnswer(deps, first.existing);
    return { ok: false, problem: 'used', use: first.existing };
  }
  await record(deps, loaded, entry);
  const next = nextAfterAnswer(
    { claimId: view.claimId, storefrontId: loaded.ref.storefrontId },
    answer.decision,
    view.decision,
    callback.resume.returnWaitSeconds ?? 30 * 86400,
    loaded.entries,
  );
  await closeApprovalWork(deps, loaded, view.grant.round);
  await resume(deps, callback, next);
  return {
    ok: true,
    decision: answer.decision,
    claimId: view.claimId,
    orderId: loaded.claim.order.id,
    approver: view.grant.approver,
    proposal,
    ...(answer.decision === 'approve' ? { approved: decisionValue(approved) } : {}),
    note,
    next: next.next === 'return' ? 'return' : 'conclude',
  };
}

/**
 * Resumes the waiting task. The reminder replaces the round's task (and its token) at a moment
 * an answer may be in flight: when the token read with the link is gone, the round's current
 * token is read and resumed. If neither works, the wait that replaced it saw the answer and the
 * workflow continues through Escalate (see `waitForApprovers`).
 */
async function resume(deps: Pick<Deps, 'state' | 'workflow'>, callback: PendingCallback, next: FlowState): Promise<void> {
  if ((await deps.workflow.succeed(callback.taskToken, next)) === 'ok') return;
  const current = await deps.state.callback(callback.claimId);
  if (current?.kind === 'approval' && current.round === callback.round && current.taskToken !== callback.taskToken) {
    await deps.workflow.succeed(current.taskToken, next);
  }
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

/** The claim's item in its storefront's queue of approvals: the round waiting, for whom, until when. */
async function putApprovalWork(
  deps: Pick<Deps, 'state'>,
  loaded: LoadedClaim,
  round: { round: number; role: Role; approvers: readonly string[]; deadline: string; value?: Money },
  status: 'open' | 'done',
): Promise<void> {
  await deps.state.putWork(
    {
      kind: 'approval',
      id: 'approval',
      claimId: loaded.ref.claimId,
      storefrontId: loaded.ref.storefrontId,
      orderId: loaded.ref.orderId,
      role: round.role,
      approvers: [...round.approvers],
      due: round.deadline,
      status,
      round: round.round,
      ...(round.value ? { value: round.value } : {}),
    },
    // Each round rewrites the one item: open, then done, then the next round's open.
    round.round * 2 + (status === 'done' ? 1 : 0),
  );
}

/** Takes a round out of the queue once it is answered or escalated. */
/**
 * How old a use must be before a post that finds it finishes its answer: an answer younger than
 * this may still be on its way in the request that recorded it (an API function runs up to 29 s),
 * and finishing it here too would resume the workflow twice.
 */
const ANSWER_IN_FLIGHT_MS = 30_000;

/**
 * Finishes an answer that stopped between its use and its entry (a crash): appends the entry the
 * use carries and resumes the workflow as the answer would have, if it still waits for that
 * round (else Escalate, which finds the use, continues it). Nothing when the entry is there, or
 * when the use is so recent that its own request may still be finishing it.
 */
export async function finishPendingAnswer(deps: Pick<Deps, 'ledger' | 'state' | 'workflow' | 'clock'>, use: ApprovalUse): Promise<void> {
  if (!use.entry || deps.clock.now().getTime() - Date.parse(use.at) < ANSWER_IN_FLIGHT_MS) return;
  const loaded = await loadClaim(deps, use.claimId);
  if (!(await finishAnswer(deps, loaded, use))) return;
  const [callback, decision] = [await deps.state.callback(use.claimId), currentDecision(loaded.entries)];
  if (callback?.kind !== 'approval' || callback.round !== use.round || !decision) return;
  const ids = { claimId: use.claimId, storefrontId: loaded.ref.storefrontId };
  await resume(
    deps,
    callback,
    nextAfterAnswer(ids, use.decision, decision, callback.resume.returnWaitSeconds ?? 30 * 86400, loaded.entries),
  );
}

/**
 * Appends the entry of an answer whose use was recorded but whose entry was not (the answer
 * stopped between its two writes), and closes the round's work item. True when it appended.
 */
async function finishAnswer(deps: Pick<Deps, 'ledger' | 'state'>, loaded: LoadedClaim, use: ApprovalUse): Promise<boolean> {
  if (!use.entry || loaded.entries.some((e) => e.step === use.entry?.step)) return false;
  await record(deps, loaded, use.entry);
  await closeApprovalWork(deps, loaded, use.round);
  return true;
}

async function closeApprovalWork(deps: Pick<Deps, 'state'>, loaded: LoadedClaim, round: number): Promise<void> {
  const requested = entriesOf(loaded.entries, 'approval_requested').find((e) => e.data.round === round);
  if (requested) await putApprovalWork(deps, loaded, requested.data, 'done');
}
