import { type Outcome, refundValue } from '#domain/decide.ts';
import { InvalidRequestError, OverRefundError } from '#domain/errors.ts';
import {
  currentDecision,
  customerNoteOf,
  entriesOf,
  type FlowPoint,
  grantIdOf,
  type LedgerEntry,
  outcomeEmails,
  outstandingUnits,
  returnDeadline,
  settlementPostings,
} from '#domain/ledger.ts';
import { add, type Money, max, money, subtract, zero } from '#domain/money.ts';
import type { Deps } from '#ports';
import { indexActions } from './actions.ts';
import {
  type EmailDeps,
  type FlowState,
  type LoadedClaim,
  loadClaim,
  pinnedClaim,
  record,
  recordGoodwill,
  releaseUnits,
  sendCustomerEmail,
  type TaskInput,
} from './common.ts';
import { automaticRetryAt, executionRound } from './retry-claim.ts';

/** The account a grant is owed from: cash paid back, store credit instead of a refund, goodwill. */
export type GrantKind = 'cash_refund' | 'store_credit' | 'goodwill';

/**
 * What a run of {@link conclude} newly recorded, for the business metrics: each is called once
 * per claim (`concluded`) or per settlement entry (`granted`), by the run that appended the
 * entry. A retried step finds the entry already in the claim's ledger and reports nothing again.
 */
export interface SettlementObserver {
  /** The claim's first outcome email was recorded: its outcome is told. */
  readonly concluded?: (outcome: Outcome) => void;
  /** A `refund_settled` or `credit_issued` entry was recorded: what it grants, by kind (never zero). */
  readonly granted?: (kind: GrantKind, amount: Money) => void;
}

/**
 * Grants what the claim's decision grants and tells the customer. It concludes the claim, or,
 * as the `SettlePart` step, settles one graded round of returned goods while the rest of the
 * authorised units are still on their way.
 *
 * What happens:
 * 1. A rejection is recorded (unless an approver already did), the units the claim held are
 *    released (except those that came back), and the customer is told why, with the
 *    alternative the policy offers.
 * 2. Otherwise goodwill (bonus, compensation, apology) is recorded against the customer's
 *    rolling budget, and the refund value (cash plus credit instead of cash) against the order's
 *    running total, each by a conditional write that refuses to pass its bound (the pinned
 *    `paid`, the budget). When one would, `settlement_refused` is appended and OverRefundError
 *    thrown: the workflow sends the claim back to Assess, which decides again with what is left.
 * 3. What the shop must do is appended, each entry an action it answers later: `refund_settled`
 *    (pay the cash), `credit_issued` (issue the credit), each with balanced postings, and
 *    `replacement_requested` (ship the units again). The actions are indexed for
 *    `GET /v1/actions`, and the outbox sends each as a webhook event.
 * 4. The outcome email is sent and recorded.
 * 5. With authorised units still outstanding, the claim goes back to waiting for them until the
 *    same deadline; otherwise it is done.
 * Every step is idempotent (steps and grants are named by the settlement round), so a retry grants
 * nothing twice, and tells `observer` (the business metrics) of nothing it told before.
 */
export async function conclude(
  input: TaskInput,
  deps: EmailDeps,
  observer: SettlementObserver = {},
): Promise<FlowState & { status: string }> {
  const loaded = await loadClaim(deps, input.claimId);
  // A step is new to this run when the entries it read do not hold it yet (record() adds what it appends).
  const recorded = (step: string) => loaded.entries.some((e) => e.step === step);
  const base = { claimId: input.claimId, storefrontId: loaded.ref.storefrontId };
  const decision = currentDecision(loaded.entries);
  if (!decision) throw new Error(`Claim ${input.claimId} has no decision`);
  const round = loaded.entries.filter((e) => e.type === 'decided').length;
  // A settlement round is what one outcome email closes: the first, then each graded part of a
  // return. A decision taken again after a refused settlement stays in the same round, so its
  // grants replace the refused ones under the same id instead of adding to them.
  const lastDecided = loaded.entries.map((e) => e.type).lastIndexOf('decided');
  const settled = outcomeEmails(loaded.entries.slice(0, lastDecided)).length;
  const suffix = settled > 0 ? `#${settled + 1}` : '';
  const grantId = grantIdOf(input.claimId, settled + 1);
  const pv = decision.policyVersion;
  const outcomeEmail = `email:outcome${suffix}`;
  // Counted once per claim: when this run records the first outcome email (a later graded part has its own).
  const toldBefore = recorded(outcomeEmail);
  const told = () => {
    if (settled === 0 && !toldBefore && recorded(outcomeEmail)) observer.concluded?.(decision.outcome);
  };

  if (decision.outcome === 'rejected') {
    if (!loaded.entries.some((e) => e.type === 'rejected')) {
      await record(deps, loaded, {
        type: 'rejected',
        step: 'rejected',
        status: 'assessing',
        actor: { kind: 'system' },
        policyVersion: pv,
        data: { by: 'policy' },
      });
    }
    await releaseUnits(deps, loaded);
    // A refused settlement may have recorded goodwill for this round: nothing of it is granted now.
    if (loaded.entries.some((e) => e.type === 'settlement_refused'))
      await recordGoodwill(deps, loaded, decision.policyVersion, grantId, zero(loaded.ref.currency));
    await sendCustomerEmail(
      deps,
      loaded,
      'outcome',
      { decision, note: customerNoteOf(loaded.entries) },
      { step: outcomeEmail, status: 'rejected', policyVersion: pv },
    );
    told();
    return { ...base, next: 'done', status: 'rejected' };
  }

  const currency = loaded.ref.currency;
  const refund = refundValue(decision);
  if (!loaded.entries.some((e) => e.step === outcomeEmail)) {
    try {
      // After a refused settlement the round's earlier goodwill grant is replaced, even by nothing.
      if (decision.goodwill.amount > 0 || loaded.entries.some((e) => e.type === 'settlement_refused')) {
        await recordGoodwill(deps, loaded, decision.policyVersion, grantId, decision.goodwill);
      }
      if (refund.amount > 0) {
        const claim = await pinnedClaim(deps, loaded);
        await deps.state.grantOnOrder({
          storefrontId: loaded.ref.storefrontId,
          orderId: loaded.ref.orderId,
          grantId,
          amount: refund,
          paid: money(claim.order.paid, currency),
        });
      }
    } catch (err) {
      if (err instanceof OverRefundError) {
        await record(deps, loaded, {
          type: 'settlement_refused',
          step: `settlement-refused#${round}`,
          status: 'assessing',
          actor: { kind: 'system' },
          policyVersion: pv,
          data: { reason: err.message, requested: { ...add(decision.cash, decision.storeCredit) } },
        });
      }
      throw err;
    }
  }
  // What the shop is asked to do: each entry below is an action (a webhook event, and a line of
  // `GET /v1/actions`) that the shop answers once it is done.
  const refundCredit = subtract(decision.storeCredit, decision.goodwill);
  const postings = settlementPostings(decision.cash, refundCredit, decision.goodwill);
  const units = decision.units.map((u) => ({ sku: u.sku, quantity: u.quantity }));
  const asked: LedgerEntry[] = [];
  // Records a settlement entry, and reports what it grants only when this run appended it.
  const settle = async (draft: Parameters<typeof record>[2], grants: ReadonlyArray<readonly [GrantKind, Money]>) => {
    const fresh = !recorded(draft.step);
    const entry = await record(deps, loaded, draft);
    if (fresh) for (const [kind, amount] of grants) if (amount.amount > 0) observer.granted?.(kind, amount);
    return entry;
  };
  if (decision.cash.amount > 0) {
    asked.push(
      await settle(
        {
          type: 'refund_settled',
          step: `refund-settled${suffix}`,
          status: 'assessing',
          actor: { kind: 'system' },
          policyVersion: pv,
          data: { amount: { ...decision.cash }, method: 'original_payment', items: units },
          postings: postings.refund,
        },
        [['cash_refund', decision.cash]],
      ),
    );
  }
  if (decision.storeCredit.amount > 0) {
    asked.push(
      await settle(
        {
          type: 'credit_issued',
          step: `credit-issued${suffix}`,
          status: 'assessing',
          actor: { kind: 'system' },
          policyVersion: pv,
          // Credit that is goodwill only (a late delivery, an apology) is for no goods.
          data: { amount: { ...decision.storeCredit }, goodwill: { ...decision.goodwill }, items: refundCredit.amount > 0 ? units : [] },
          postings: postings.credit,
        },
        [
          ['store_credit', refundCredit],
          ['goodwill', decision.goodwill],
        ],
      ),
    );
  }
  if (decision.outcome === 'replacement' && units.length > 0) {
    asked.push(
      await record(deps, loaded, {
        type: 'replacement_requested',
        step: `replacement-requested${suffix}`,
        status: 'assessing',
        actor: { kind: 'system' },
        policyVersion: pv,
        data: { items: units },
      }),
    );
  }
  await indexActions(
    deps,
    loaded.entries,
    asked.map((e) => e.seq),
  );
  const outstanding = outstandingUnits(loaded.entries);
  const gradedRound = entriesOf(loaded.entries, 'decided').at(-1)?.data.ungraded;
  const deadline = returnDeadline(loaded.entries);
  const names = new Map(loaded.claim.order.items.map((i) => [i.sku, i.name]));
  await sendCustomerEmail(
    deps,
    loaded,
    'outcome',
    {
      decision,
      // The approver's note reaches the first email after the answer: the return instructions, when the goods come back first.
      ...(loaded.entries.some((e) => e.step === 'email:return-instructions') ? {} : { note: customerNoteOf(loaded.entries) }),
      ...(gradedRound ? { graded: { kept: max(zero(currency), subtract(money(gradedRound.amount, currency), refund)) } } : {}),
      ...(outstanding.length > 0
        ? {
            awaitedItems: outstanding.map((u) => ({ name: names.get(u.sku) ?? u.sku, quantity: u.quantity })),
            ...(deadline ? { deadline } : {}),
          }
        : {}),
    },
    // With units still on their way the claim waits again, but only AwaitReturn says so, once its
    // new task token is stored: a report before that is refused (409) rather than stranded.
    { step: outcomeEmail, status: outstanding.length > 0 ? 'assessing' : 'settled', policyVersion: pv },
  );
  told();
  if (outstanding.length > 0) {
    const due = Date.parse(deadline ?? '');
    // Step Functions times a wait in whole seconds, at least one: a passed deadline closes at once.
    const left = Number.isNaN(due) ? 1 : Math.max(1, Math.ceil((due - deps.clock.now().getTime()) / 1000));
    return { ...base, next: 'return', returnWaitSeconds: left, status: 'awaiting_return' };
  }
  return { ...base, next: 'done', status: 'settled' };
}

/**
 * A workflow step failed after its retries: the claim is marked `failed` with the error and the
 * point to resume at, so an operator can find it (`makegood claims retry`), and the execution
 * then fails. A transient failure (a service that kept failing or throttling, a timeout) is also
 * queued for an automatic retry, `retryAt` in the entry, for a few rounds with a growing delay:
 * an SES outage that outlasts the step's retries delays the outcome email, it does not drop it.
 */
export async function recordFailure(
  input: TaskInput & { error?: { Error?: string; Cause?: string }; resume?: FlowPoint },
  deps: Pick<Deps, 'ledger' | 'state' | 'clock' | 'autoRetry'>,
): Promise<{ status: string }> {
  const loaded = await loadClaim(deps, input.claimId);
  const round = loaded.entries.filter((e) => e.type === 'failed').length + 1;
  await appendFailure(
    loaded,
    round,
    { error: input.error?.Error ?? 'Unknown', cause: input.error?.Cause ?? '', resume: input.resume },
    deps,
  );
  return { status: 'failed' };
}

/** How an execution ended that did not succeed, as Step Functions reports it. */
export interface ExecutionEnd {
  readonly claimId: string;
  /** The execution's name: the claim id, or `<claimId>-retry-<n>` for the n-th retry. */
  readonly execution: string;
  readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly error?: string;
  readonly cause?: string;
}

/**
 * Error names for executions that ended outside the workflow's own Catch: no step failed, so
 * none of them is retried by itself (an operator can, with `makegood claims retry`).
 */
const executionEndErrors = { TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted', FAILED: 'ExecutionFailed' } as const;

/**
 * An execution ended without succeeding (Step Functions' status change event, through
 * EventBridge on AWS and from the embedded engine): the claim is marked `failed` like any other
 * failure, unless RecordFailure already did. That covers what the workflow's own Catch cannot:
 * the execution's TimeoutSeconds passing, an operator's StopExecution, and a failure of
 * RecordFailure itself.
 *
 * The entry's step is the execution's round (`failed#1` for `<claimId>`, `failed#<n+1>` for
 * `<claimId>-retry-<n>`), the step RecordFailure writes in that execution: a duplicate event, or
 * one racing RecordFailure, finds the entry there and appends nothing.
 * @throws InvalidRequestError when the execution is not one of this claim's.
 */
export async function recordExecutionEnd(
  input: ExecutionEnd,
  deps: Pick<Deps, 'ledger' | 'state' | 'clock' | 'autoRetry'>,
): Promise<{ status: string; recorded: boolean }> {
  const round = executionRound(input.claimId, input.execution);
  if (round === undefined)
    throw new InvalidRequestError(`Execution ${input.execution} is not one of claim ${input.claimId}'s`, [
      { path: 'detail.name', message: `must be ${input.claimId} or ${input.claimId}-retry-<n>` },
    ]);
  const loaded = await loadClaim(deps, input.claimId);
  if (loaded.entries.some((e) => e.step === `failed#${round}`)) return { status: 'failed', recorded: false };
  // A failure keeps its error's name; a timeout or a stop gets a name of its own, with what the
  // service or the operator said kept in the cause.
  const named = input.status === 'FAILED' && input.error !== undefined;
  const error = named ? (input.error ?? '') : executionEndErrors[input.status];
  const said = (named ? [input.cause] : [input.error, input.cause]).filter((t) => t !== undefined && t !== '').join(': ');
  const cause = said || `The execution ${input.execution} ended ${input.status.toLowerCase().replace('_', ' ')}`;
  await appendFailure(loaded, round, { error, cause, resume: undefined }, deps);
  return { status: 'failed', recorded: true };
}

/**
 * Appends `failed#<round>`, after queueing its automatic retry when the error is transient (a
 * crash between them leaves a retry, never a promise of one).
 */
async function appendFailure(
  loaded: LoadedClaim,
  round: number,
  failure: { error: string; cause: string; resume: FlowPoint | undefined },
  deps: Pick<Deps, 'ledger' | 'state' | 'clock' | 'autoRetry'>,
): Promise<void> {
  const retryAt = automaticRetryAt(failure.error, round, deps.clock.now(), deps.autoRetry);
  if (retryAt) await deps.state.scheduleRetry({ claimId: loaded.ref.claimId, storefrontId: loaded.ref.storefrontId, round, at: retryAt });
  await record(deps, loaded, {
    type: 'failed',
    step: `failed#${round}`,
    status: 'failed',
    actor: { kind: 'system' },
    policyVersion: currentDecision(loaded.entries)?.policyVersion ?? null,
    data: {
      error: failure.error,
      cause: failure.cause.slice(0, 2000),
      ...(failure.resume ? { resume: failure.resume } : {}),
      ...(retryAt ? { retryAt } : {}),
    },
  });
}
