import { type Action, actionResultStep, actionsOf, cashAgainPostings, payoutPostings, recoveryPostings } from '#domain/actions.ts';
import { type ActionPage, type ActionReceipt, type ActionReport, actionView } from '#domain/api/action.ts';
import { ConflictError, NotFoundError, OverRefundError, TransientError, UnprocessableClaimError } from '#domain/errors.ts';
import { type Actor, type ClaimStatus, currentDecision, type LedgerEntry, outcomeEmails, statusOf } from '#domain/ledger.ts';
import { add, formatMoney, type Money, max, min, money, percentOf, subtract, zero } from '#domain/money.ts';
import type { Policy } from '#domain/policy.ts';
import { goodwillBudgetFor } from '#domain/policy-terms.ts';
import type { Deps } from '#ports';
import { type EmailDeps, type LoadedClaim, leaseStep, loadedClaim, record, recordGoodwill, sendCustomerEmail } from './common.ts';

type ActionDeps = EmailDeps;

/** How many of an action's entries its index item reflects: asked, answered, followed by another. */
function revisionOf(a: Action): number {
  return 1 + (a.result ? 1 : 0) + (a.followedBy ? 1 : 0);
}

/**
 * Brings the index of a claim's actions up to what its entries say: the actions asked for by the
 * entries `seqs` and the ones those follow (all of them when `seqs` is omitted).
 */
export async function indexActions(deps: Pick<Deps, 'state'>, entries: readonly LedgerEntry[], seqs?: readonly number[]): Promise<void> {
  const all = actionsOf(entries);
  const wanted = new Set(seqs ?? all.map((a) => a.seq));
  // An action that another now follows (a recovery, cash instead) changed too: it names its follower.
  const followed = new Set(all.filter((a) => wanted.has(a.seq)).flatMap((a) => [a.recovers, a.replaces]));
  const touched = all.filter((a) => wanted.has(a.seq) || followed.has(a.actionId));
  await Promise.all(touched.map((a) => deps.state.putAction(a, revisionOf(a))));
}

/** `GET /v1/actions`: a storefront's actions still waiting for its answer, oldest first. */
export async function listRequestedActions(
  input: { storefrontId: string; cursor?: string; limit: number },
  deps: Pick<Deps, 'state'>,
): Promise<ActionPage> {
  const page = await deps.state.requestedActions(input.storefrontId, {
    limit: input.limit,
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {}),
  });
  return { actions: page.actions.map(actionView), next: page.next };
}

/** Statuses in which nothing has been asked of the shop yet. */
const BEFORE_SETTLEMENT: readonly ClaimStatus[] = ['received', 'assessing', 'awaiting_approval'];

/** Reads a storefront's claim and one of its actions, refusing (and writing nothing) when either is not there. */
async function claimAndAction(
  deps: Pick<Deps, 'ledger'>,
  input: { storefrontId: string; claimId: string; actionId: string },
): Promise<{ loaded: LoadedClaim; action: Action }> {
  const entries = await deps.ledger.entries(input.claimId);
  // Another storefront's claim is answered exactly like a missing one.
  if (entries.length === 0 || entries[0]?.storefrontId !== input.storefrontId) throw new NotFoundError('No such claim');
  const loaded = loadedClaim(input.claimId, entries);
  const action = actionsOf(entries).find((a) => a.actionId === input.actionId);
  if (action) return { loaded, action };
  const status = statusOf(entries);
  if (status && BEFORE_SETTLEMENT.includes(status) && actionsOf(entries).length === 0) {
    throw new ConflictError(`Claim ${input.claimId} is ${status}: nothing has been asked of the shop yet`);
  }
  throw new NotFoundError(`Claim ${input.claimId} has no action ${input.actionId}`);
}

/**
 * Whether the shop may answer an action yet. An action is asked for while its claim settles, a
 * moment before the customer's outcome email is recorded; until then an answer would overtake
 * that email (a code before the outcome), so it is asked to come again. A recovery, or cash
 * asked for again, is answerable at once, as is anything once the claim stopped settling.
 */
function answerable(a: Action, entries: readonly LedgerEntry[]): boolean {
  if (a.recovers !== undefined || a.replaces !== undefined) return true;
  if (statusOf(entries) !== 'assessing') return true;
  return outcomeEmails(entries).some((e) => e.seq > a.seq);
}

/** The problems of a report against its action (422), none when it fits. */
function reportProblems(action: Action, report: ActionReport): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const expected = action.amount;
  if (report.amount === undefined) {
    if (action.type !== 'replacement') problems.push({ path: 'amount', message: `is required for a ${action.type}` });
  } else if (report.amount.currency !== expected.currency || report.amount.amount !== expected.amount) {
    problems.push({
      path: 'amount',
      message: `must equal the action's amount, ${expected.amount} ${expected.currency} (${formatMoney(expected)}), not ${report.amount.amount} ${report.amount.currency}`,
    });
  }
  if (report.creditCode !== undefined && action.type !== 'store_credit')
    problems.push({ path: 'creditCode', message: `is only for store credit, and this action is a ${action.type}` });
  if (report.tracking !== undefined && action.type !== 'replacement')
    problems.push({ path: 'tracking', message: `is only for a replacement, and this action is a ${action.type}` });
  return problems;
}

/** Whether a recorded answer is this report's (the same answer again). */
function sameAnswer(action: Action, report: { status: string; reference: string }): boolean {
  return action.result?.status === report.status && action.result.reference === report.reference;
}

function alreadyAnswered(action: Action): ConflictError {
  const r = action.result;
  const how =
    r?.status === 'cancelled'
      ? 'was cancelled (the customer asked for cash instead)'
      : `already ${r?.status} with reference ${r?.reference}`;
  return new ConflictError(`Action ${action.actionId} ${how}; an action has one answer`);
}

/**
 * The shop reports what it did about an action: `succeeded` (the refund paid, the credit issued
 * with its code, the replacement shipped with its tracking) or `failed`. The handler validated
 * the report's shape (400) before.
 *
 * What happens:
 * 1. The report is checked against the claim and the action: a claim or action that is not
 *    there is 404; a claim with nothing asked of the shop yet, or an action that already has
 *    another answer, is 409; another amount than the action's, a credit code for anything but
 *    store credit, tracking for anything but a replacement, is 422. Nothing is written for any
 *    of these. The same report again (same status and reference) answers the first result.
 * 2. The answer is appended as the action's one answer step (two reports at once: one wins, the
 *    other is refused or, when it is the same, answered alike). A refund paid moves its amount
 *    from `refunds_payable` to `cash`.
 * 3. What follows it, each step once however often it is retried: the customer is emailed the
 *    credit's code or the replacement's tracking; a failed refund runs the policy's
 *    `onPayoutFailure` (see {@link recoverFailedRefund}). The action index is brought up to date.
 */
export async function reportAction(
  input: { storefrontId: string; claimId: string; actionId: string; report: ActionReport; actor: Actor; allowOtherAmount?: boolean },
  deps: ActionDeps,
): Promise<{ receipt: ActionReceipt; replayed: boolean }> {
  const { report } = input;
  const { loaded, action } = await claimAndAction(deps, input);
  let replayed = false;
  if (action.result) {
    if (!sameAnswer(action, report)) throw alreadyAnswered(action);
    replayed = true;
  } else {
    if (!answerable(action, loaded.entries)) {
      throw new TransientError(`Claim ${input.claimId} is still settling; send the answer of ${action.actionId} again in a moment`);
    }
    const problems = reportProblems(action, report).filter((p) => !(input.allowOtherAmount && p.path === 'amount' && report.amount));
    if (problems.length > 0) throw new UnprocessableClaimError(`The report does not fit action ${action.actionId}`, problems);
    const amount = report.amount ?? action.amount;
    const base = { actionId: action.actionId, provider: report.provider, reference: report.reference, amount: { ...amount } };
    const common = {
      step: actionResultStep(action.seq),
      status: statusOf(loaded.entries) ?? 'settled',
      actor: input.actor,
      policyVersion: currentDecision(loaded.entries)?.policyVersion ?? null,
    };
    const different = amount.amount !== action.amount.amount || amount.currency !== action.amount.currency;
    // Only a person may record another amount (a partial payout read off a bank statement): less
    // than asked, more than nothing, for a refund. The rest stays owed, and reconciliation lists it.
    if (
      different &&
      (action.type !== 'refund' || amount.currency !== action.amount.currency || amount.amount <= 0 || amount.amount > action.amount.amount)
    ) {
      throw new UnprocessableClaimError(`The report does not fit action ${action.actionId}`, [
        {
          path: 'amount',
          message: `may differ only for a refund, in ${action.amount.currency}, above 0 and not above ${action.amount.amount} (${formatMoney(action.amount)})`,
        },
      ]);
    }
    await record(
      deps,
      loaded,
      report.status === 'succeeded'
        ? {
            ...common,
            type: 'action_succeeded',
            data: {
              ...base,
              ...(report.creditCode !== undefined ? { creditCode: report.creditCode } : {}),
              ...(report.tracking !== undefined ? { tracking: report.tracking } : {}),
              ...(different ? { expected: { ...action.amount } } : {}),
            },
            postings: action.type === 'refund' ? payoutPostings(amount) : [],
          }
        : { ...common, type: 'action_failed', data: { ...base, failureReason: report.failureReason ?? '' } },
    );
    // Two reports at once both read the same ledger; the second finds the step taken by the first.
    const recorded = actionsOf(loaded.entries).find((a) => a.actionId === action.actionId) ?? action;
    if (!sameAnswer(recorded, report)) throw alreadyAnswered(recorded);
  }
  const created = await followUp(deps, loaded, action.actionId);
  const now = actionsOf(loaded.entries).find((a) => a.actionId === action.actionId) ?? action;
  return { receipt: { action: actionView(now), created: created.map(actionView) }, replayed };
}

/**
 * Completes what an answered action leads to, each step at most once (a retry after a crash
 * finishes what the first attempt began). Returns the actions it led to.
 */
async function followUp(deps: ActionDeps, loaded: LoadedClaim, actionId: string): Promise<Action[]> {
  // Read again: a slow request's first read may predate what others did meanwhile (a recovery,
  // cash asked for again), and what follows must not be done twice or undone.
  loaded.entries.splice(0, loaded.entries.length, ...(await deps.ledger.entries(loaded.ref.claimId)));
  const action = actionsOf(loaded.entries).find((a) => a.actionId === actionId);
  const result = action?.result;
  if (!action || !result) return [];
  const decision = currentDecision(loaded.entries);
  const names = new Map(loaded.claim.order.items.map((i) => [i.sku, i.name]));
  const email = { status: statusOf(loaded.entries) ?? 'settled', policyVersion: decision?.policyVersion ?? null, exclusive: true };
  if (result.status === 'succeeded' && action.type === 'store_credit') {
    await sendCustomerEmail(
      deps,
      loaded,
      'credit_issued',
      { decision, followUp: { credit: action.amount, ...(result.creditCode !== undefined ? { creditCode: result.creditCode } : {}) } },
      { ...email, step: `email:credit-issued#${action.seq}` },
    );
  }
  if (result.status === 'succeeded' && action.type === 'replacement') {
    await sendCustomerEmail(
      deps,
      loaded,
      'replacement_shipped',
      {
        decision,
        followUp: {
          items: action.items.map((u) => ({ name: names.get(u.sku) ?? u.sku, quantity: u.quantity })),
          ...(result.tracking !== undefined ? { tracking: result.tracking } : {}),
        },
      },
      { ...email, step: `email:replacement-shipped#${action.seq}` },
    );
  }
  const created: Action[] = [];
  if (result.status === 'failed' && action.type === 'refund') {
    const recovery = await recoverFailedRefund(deps, loaded, action);
    if (recovery) created.push(recovery);
  }
  await indexActions(deps, loaded.entries, [action.seq, ...created.map((a) => a.seq)]);
  return created;
}

/** The terms of `onPayoutFailure` of the policy version that decided the claim. */
async function payoutFailureTerms(
  deps: Pick<Deps, 'state'>,
  loaded: LoadedClaim,
): Promise<{ policy: Policy; terms: Policy['onPayoutFailure'] } | undefined> {
  const version = currentDecision(loaded.entries)?.policyVersion;
  const policy = version === undefined ? undefined : await deps.state.policyVersion(loaded.ref.storefrontId, version);
  return policy ? { policy: policy.policy, terms: policy.policy.onPayoutFailure } : undefined;
}

/** The grant id of the bonus given with the recovery of a failed refund. */
function recoveryGrantId(claimId: string, refund: Action): string {
  return `${claimId}#payout-${refund.seq}`;
}

/**
 * A refund the shop could not pay, under `onPayoutFailure: { offer: 'store_credit' }`: the same
 * value as store credit at once, plus the policy's bonus (rounded up, and only as much as the
 * customer's goodwill budget has left), and the customer is told the truth: the refund did not
 * go through, this credit is asked for instead, and (with `cashOnRequest`) how to get the cash.
 * With `offer: 'none'` nothing is done: `ledger verify` lists the refund until a person acts.
 */
async function recoverFailedRefund(deps: ActionDeps, loaded: LoadedClaim, refund: Action): Promise<Action | undefined> {
  const found = await payoutFailureTerms(deps, loaded);
  if (found?.terms.offer !== 'store_credit') return undefined;
  const { policy, terms } = found;
  const step = `recovery#${refund.seq}`;
  const grantId = recoveryGrantId(loaded.ref.claimId, refund);
  const pv = currentDecision(loaded.entries)?.policyVersion ?? null;
  // Only one request recovers a refund: the others (the same report sent at once) wait for it.
  if (!loaded.entries.some((e) => e.step === step) && !(await leaseStep(deps, loaded.ref.claimId, step))) {
    await untilRecorded(deps, loaded, step);
  }
  if (!loaded.entries.some((e) => e.step === step)) {
    let bonus = zero(refund.amount.currency);
    for (let attempt = 0; ; attempt++) {
      bonus = await bonusWithinBudget(deps, loaded, policy, grantId, percentOf(refund.amount, terms.bonusPercent, 'up'));
      try {
        if (bonus.amount > 0 && pv !== null) await recordGoodwill(deps, loaded, pv, grantId, bonus);
        break;
      } catch (err) {
        // Another grant took the budget meanwhile: read it again, once.
        if (!(err instanceof OverRefundError) || attempt > 0) throw err;
      }
    }
    await record(deps, loaded, {
      type: 'credit_issued',
      step,
      status: statusOf(loaded.entries) ?? 'settled',
      actor: { kind: 'system' },
      policyVersion: pv,
      data: {
        amount: { ...add(refund.amount, bonus) },
        goodwill: { ...bonus },
        items: refund.items.map((u) => ({ ...u })),
        recovers: refund.actionId,
      },
      postings: recoveryPostings(refund.amount, bonus),
    });
  }
  const credit = actionsOf(loaded.entries).find((a) => a.recovers === refund.actionId);
  if (!credit) return undefined;
  const bonus = credit.goodwill ?? zero(credit.amount.currency);
  await sendCustomerEmail(
    deps,
    loaded,
    'payout_failed',
    {
      decision: currentDecision(loaded.entries),
      followUp: { cash: refund.amount, credit: credit.amount, bonus, cashOnRequest: terms.cashOnRequest },
    },
    { step: `email:payout-failed#${refund.seq}`, exclusive: true, status: statusOf(loaded.entries) ?? 'settled', policyVersion: pv },
  );
  return credit;
}

/**
 * Waits (a few seconds at most) for another request's step to be recorded, keeping the loaded
 * entries current; then TransientError asks the caller to send the same request again.
 */
async function untilRecorded(deps: Pick<Deps, 'ledger'>, loaded: LoadedClaim, step: string): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    loaded.entries.splice(0, loaded.entries.length, ...(await deps.ledger.entries(loaded.ref.claimId)));
    if (loaded.entries.some((e) => e.step === step)) return;
  }
  throw new TransientError(`Claim ${loaded.ref.claimId} is being recovered by another request; send the same report again`);
}

/** `wanted`, or as much of it as the customer's goodwill budget has left (this grant left out). */
async function bonusWithinBudget(
  deps: Pick<Deps, 'state' | 'clock'>,
  loaded: LoadedClaim,
  policy: Policy,
  grantId: string,
  wanted: Money,
): Promise<Money> {
  const budget = goodwillBudgetFor(policy, wanted.currency);
  if (!budget || wanted.amount === 0) return wanted;
  const since = deps.clock.now().getTime() - budget.days * 24 * 60 * 60 * 1000;
  const grants = await deps.state.goodwillGrants(loaded.ref.storefrontId, loaded.ref.customerId, wanted.currency);
  const spent = grants.filter((g) => g.grantId !== grantId && Date.parse(g.at) >= since).reduce((a, g) => a + g.amount, 0);
  return min(wanted, max(zero(wanted.currency), subtract(budget.amount, money(spent, wanted.currency))));
}

/**
 * The customer, given store credit for a refund that failed, asks for the cash after all (by
 * replying to the email), and the shop or finance records it. Allowed when the policy that
 * decided the claim says `onPayoutFailure.cashOnRequest`.
 *
 * What happens:
 * 1. The credit must be one that recovered a failed refund (422 otherwise); a claim or action
 *    that is not there is 404. Asked again, it answers the refund asked the first time.
 * 2. A credit the shop has not issued yet is cancelled (its one answer step, so a success report
 *    at the same moment either wins, and the refund then asks the shop to void its code, or loses).
 * 3. `refund_settled` is appended for the refund value (the bonus is taken back, and returned to
 *    the customer's goodwill budget), naming the credit it replaces: a new `refund` action.
 * 4. The customer is told the refund is on its way instead, and that the code no longer works.
 */
export async function requestCashInstead(
  input: { storefrontId: string; claimId: string; actionId: string; actor: Actor },
  deps: ActionDeps,
): Promise<{ receipt: ActionReceipt; replayed: boolean }> {
  const { loaded, action: credit } = await claimAndAction(deps, input);
  if (credit.type !== 'store_credit' || credit.recovers === undefined) {
    throw new UnprocessableClaimError(`Action ${credit.actionId} is not store credit given for a failed refund`, [
      { path: 'actionId', message: 'must name the store credit that recovered a failed refund' },
    ]);
  }
  const found = await payoutFailureTerms(deps, loaded);
  if (!found?.terms.cashOnRequest) {
    throw new UnprocessableClaimError('The policy that decided this claim does not offer the cash instead of the credit', [
      { path: 'actionId', message: 'onPayoutFailure.cashOnRequest is not set for this claim' },
    ]);
  }
  const step = `cash-again#${credit.seq}`;
  const replayed = loaded.entries.some((e) => e.step === step);
  const pv = currentDecision(loaded.entries)?.policyVersion ?? null;
  const status = statusOf(loaded.entries) ?? 'settled';
  if (!replayed) {
    if (credit.status === 'requested') {
      await record(deps, loaded, {
        type: 'action_cancelled',
        step: actionResultStep(credit.seq),
        status,
        actor: input.actor,
        policyVersion: pv,
        data: { actionId: credit.actionId, reason: 'cash_requested' },
      });
    }
    // Read again: the cancellation may have lost to a success that came at the same moment.
    const now = actionsOf(loaded.entries).find((a) => a.actionId === credit.actionId) ?? credit;
    // The credit to void: by its code, or, issued without one, by the shop's own reference.
    const code = now.result?.status === 'succeeded' ? (now.result.creditCode ?? now.result.reference) : undefined;
    const bonus = credit.goodwill ?? zero(credit.amount.currency);
    await record(deps, loaded, {
      type: 'refund_settled',
      step,
      status,
      actor: input.actor,
      policyVersion: pv,
      data: {
        amount: { ...subtract(credit.amount, bonus) },
        method: 'original_payment',
        items: credit.items.map((u) => ({ ...u })),
        replaces: credit.actionId,
        ...(code !== undefined ? { revokeCreditCode: code } : {}),
      },
      postings: cashAgainPostings(credit.amount, bonus),
    });
  }
  const refund = actionsOf(loaded.entries).find((a) => a.replaces === credit.actionId);
  if (!refund) throw new Error(`Claim ${input.claimId} lost the refund that replaces ${credit.actionId}`);
  // The bonus no longer counts against the customer's goodwill budget.
  const failed = actionsOf(loaded.entries).find((a) => a.actionId === credit.recovers);
  if (failed && pv !== null && (credit.goodwill?.amount ?? 0) > 0) {
    await recordGoodwill(deps, loaded, pv, recoveryGrantId(loaded.ref.claimId, failed), zero(credit.amount.currency));
  }
  const issuedCode = actionsOf(loaded.entries).find((a) => a.actionId === credit.actionId)?.result?.creditCode;
  await sendCustomerEmail(
    deps,
    loaded,
    'cash_again',
    {
      decision: currentDecision(loaded.entries),
      // The customer is told of a code they were given, never of the shop's internal reference.
      followUp: {
        cash: refund.amount,
        ...(issuedCode !== undefined && refund.revokeCreditCode === issuedCode ? { revokedCode: issuedCode } : {}),
      },
    },
    { step: `email:cash-again#${credit.seq}`, exclusive: true, status, policyVersion: pv },
  );
  await indexActions(deps, loaded.entries, [credit.seq, refund.seq]);
  const after = actionsOf(loaded.entries);
  return {
    receipt: { action: actionView(after.find((a) => a.actionId === credit.actionId) ?? credit), created: [actionView(refund)] },
    replayed,
  };
}
