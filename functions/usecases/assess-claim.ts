import { approvalSchedule } from '#domain/approval-schedule.ts';
import type { ClaimRequest } from '#domain/claim.ts';
import { type Decision, decide, goodwillCoverageKey, refundValue } from '#domain/decide.ts';
import { PolicyNotFoundError, TransientError } from '#domain/errors.ts';
import { gradeReturn } from '#domain/grade-return.ts';
import { customerHistory } from '#domain/history.ts';
import {
  allReturned,
  authorisingDecision,
  decisionData,
  type EntryOf,
  entriesOf,
  type FlowPoint,
  isGraded,
  type LedgerEntry,
  outstandingUnits,
  returnedLinesOf,
  type StoredDecision,
} from '#domain/ledger.ts';
import type { Policy, PolicyVersion } from '#domain/policy.ts';
import { approvalWaitHours, historyLookbackDays, returnWaitSeconds } from '#domain/policy-terms.ts';
import type { Deps, UnitHold } from '#ports';
import { type FlowState, type LoadedClaim, loadClaim, pinnedClaim, record, type TaskInput } from './common.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Decisions retried after another claim took the units this one was about to hold. */
const MAX_DECIDE_ATTEMPTS = 6;

type AssessDeps = Pick<Deps, 'ledger' | 'state' | 'clock'>;

/**
 * Decides a claim with the storefront's current policy.
 *
 * What happens:
 * 1. If the claim already has a decision that nothing since calls into question (a settlement
 *    refused, goods reported back), that decision stands: a retried step decides nothing twice.
 * 2. Goods reported back are graded: the units that arrived are refunded by their condition
 *    under the policy version that authorised the return (`gradeReturn`).
 * 3. Otherwise the claim's order is read as its first claim pinned it, the customer's history
 *    from the ledger (by the customer index), the order's running total, its unit coverage and
 *    the customer's goodwill budget from the state table, and `decide` runs.
 * 4. The units the decision covers are held for this claim in one conditional write over the
 *    order's coverage. When another claim took some of them in the meantime, the claim is
 *    decided again with what is left, so it never waits for the other claim.
 * 5. The decision is appended with the policy version and every rule that fired.
 * 6. The claim is routed: to approval when a person must approve, to a return when the goods
 *    come back first, else straight to conclusion.
 *
 * An execution started by `makegood claims retry` carries `resume`, where the failed step stood:
 * the claim goes straight back there (a failed decision has none, and is decided again).
 */
export async function assessClaim(input: TaskInput, deps: AssessDeps, resume?: FlowPoint): Promise<FlowState> {
  const loaded = await loadClaim(deps, input.claimId);
  // A retried claim goes back to the step that failed, as long as nothing happened since the retry.
  if (resume && loaded.entries.at(-1)?.type === 'retried') return { claimId: input.claimId, storefrontId: input.storefrontId, ...resume };
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
  const entries = loaded.entries;
  const lastDecided = entries.map((e) => e.type).lastIndexOf('decided');
  const since = lastDecided < 0 ? [] : entries.slice(lastDecided + 1);
  const refused = since.some((e) => e.type === 'settlement_refused');
  const returned = entriesOf(since, 'return_received');
  const last = entriesOf(entries, 'decided').at(-1);

  let decision: StoredDecision;
  if (last && !refused && returned.length === 0) {
    decision = last.data.decision;
  } else if (last && (returned.length > 0 || (refused && isGraded(last)))) {
    decision = await grade(loaded, last, returned, deps);
  } else {
    decision = await decideAndHold(loaded, policy, deps);
  }
  return route(loaded, decision, policy.policy);
}

/** Decides afresh and holds the units the decision covers, deciding again if a race took some. */
async function decideAndHold(loaded: LoadedClaim, policy: PolicyVersion, deps: AssessDeps): Promise<Decision> {
  const { ref } = loaded;
  const claim = await pinnedClaim(deps, loaded);
  const now = deps.clock.now();
  const customerEntries = await deps.ledger.customerEntries(
    ref.storefrontId,
    ref.customerId,
    new Date(now.getTime() - historyLookbackDays(policy.policy) * DAY_MS),
  );
  for (let attempt = 0; attempt < MAX_DECIDE_ATTEMPTS; attempt++) {
    const [orderGranted, coverage, goodwillGrants] = await Promise.all([
      deps.state.orderGranted(ref.storefrontId, ref.orderId, ref.currency),
      deps.state.orderCoverage(ref.storefrontId, ref.orderId),
      deps.state.goodwillGrants(ref.storefrontId, ref.customerId, ref.currency),
    ]);
    const history = customerHistory({
      entries: customerEntries,
      policy: policy.policy,
      now,
      currentClaimId: ref.claimId,
      orderGranted,
      coverage,
      goodwillGrants,
    });
    const fresh = decide(claim, policy, history, now);
    // What this claim held before (an earlier round, a crashed attempt) and no longer needs is released.
    const held = Object.entries(coverage)
      .filter(([, holders]) => (holders[ref.claimId] ?? 0) > 0)
      .map(([key]) => key);
    const lines = holdsFor(fresh, claim);
    const releases = held.filter((key) => !lines.some((l) => l.key === key)).map((key) => ({ key, quantity: 0, limit: 0 }));
    const hold = await deps.state.holdUnits({
      storefrontId: ref.storefrontId,
      orderId: ref.orderId,
      claimId: ref.claimId,
      lines: [...lines, ...releases],
    });
    if (!hold.ok) continue; // another claim took units meanwhile: decide again with what is left
    await record(deps, loaded, {
      type: 'decided',
      step: `decided#${loaded.entries.filter((e) => e.type === 'decided').length + 1}`,
      status: 'assessing',
      actor: { kind: 'system' },
      policyVersion: policy.version,
      data: { ...decisionData(fresh), history: JSON.parse(JSON.stringify(history)) },
    });
    return fresh;
  }
  throw new TransientError(`Order ${ref.orderId} is contended: claim ${ref.claimId} could not hold its units`);
}

/** The coverage a decision needs: its units of each order line, and its order-level goodwill. */
function holdsFor(decision: Decision, claim: ClaimRequest): UnitHold[] {
  const lines: UnitHold[] = decision.units.map((u) => ({
    key: u.sku,
    quantity: u.quantity,
    limit: claim.order.items.find((i) => i.sku === u.sku)?.quantity ?? 0,
  }));
  if (decision.orderGoodwill) lines.push({ key: goodwillCoverageKey(decision.orderGoodwill), quantity: 1, limit: 1 });
  return lines;
}

/**
 * Grades the goods reported back since the last decision (or, after a refused settlement of a
 * graded round, the same goods again) and appends the graded decision.
 */
async function grade(
  loaded: LoadedClaim,
  last: EntryOf<'decided'>,
  returned: readonly EntryOf<'return_received'>[],
  deps: AssessDeps,
): Promise<Decision> {
  const { ref, entries } = loaded;
  const authorised = authorisingDecision(entries);
  if (!authorised) throw new Error(`Claim ${ref.claimId} reported goods back but no decision asked for them`);
  const version = await deps.state.policyVersion(ref.storefrontId, authorised.policyVersion);
  if (!version) throw new PolicyNotFoundError(`Policy version ${authorised.policyVersion} of ${ref.storefrontId} is missing`);
  // After a refused settlement the round is graded again with the same goods as before.
  const regrade = returned.length === 0;
  const thisRound = regrade ? (last.data.returned ?? []) : returned.flatMap(returnedLinesOf);
  // No report is accepted while a round is graded, so this round's goods are the last reported:
  // everything reported before them belongs to earlier rounds.
  const reported = allReturned(entries);
  const earlier = reported.slice(0, reported.length - thisRound.length);
  const now = deps.clock.now();
  const goodwillGrants = await deps.state.goodwillGrants(ref.storefrontId, ref.customerId, ref.currency);
  const history = customerHistory({
    entries: [],
    policy: version.policy,
    now,
    currentClaimId: ref.claimId,
    orderGranted: await deps.state.orderGranted(ref.storefrontId, ref.orderId, ref.currency),
    goodwillGrants,
  });
  const claim = await pinnedClaim(deps, loaded);
  const graded = gradeReturn({ authorised, claim, returned: thisRound, earlier, policyVersion: version, history });
  // The same units as new, for the email that says how much their condition cost.
  const asNew = gradeReturn({
    authorised,
    claim,
    returned: thisRound.map((l) => ({ ...l, condition: 'as_new' as const })),
    earlier,
    policyVersion: version,
    history,
  });
  await record(deps, loaded, {
    type: 'decided',
    step: `decided#${entries.filter((e) => e.type === 'decided').length + 1}`,
    status: 'assessing',
    actor: { kind: 'system' },
    policyVersion: version.version,
    data: { ...decisionData(graded), graded: true, returned: thisRound.map((l) => ({ ...l })), ungraded: { ...refundValue(asNew) } },
  });
  return graded;
}

/**
 * How a granted decision is concluded: `conclude` ends the claim; `settle_part` settles a graded
 * round while authorised units are still on their way, and then waits for them.
 */
export function concludeStep(entries: readonly LedgerEntry[]): 'conclude' | 'settle_part' {
  return outstandingUnits(entries).length > 0 ? 'settle_part' : 'conclude';
}

/** Where a decided claim goes next. */
export function route(loaded: LoadedClaim, decision: StoredDecision, policy: Policy): FlowState {
  const base = { claimId: loaded.ref.claimId, storefrontId: loaded.ref.storefrontId };
  const returnWait = returnWaitSeconds(policy);
  if (decision.outcome === 'rejected') return { ...base, next: 'conclude' };
  if (decision.tier !== 'auto') {
    const round = loaded.entries.filter((e) => e.type === 'approval_requested').length + 1;
    return {
      ...base,
      next: 'approval',
      approval: { round, role: decision.tier, ...approvalSchedule(approvalWaitHours(policy, decision.tier)) },
      ...(decision.returnRequired ? { returnWaitSeconds: returnWait } : {}),
    };
  }
  if (decision.returnRequired) return { ...base, next: 'return', returnWaitSeconds: returnWait };
  return { ...base, next: concludeStep(loaded.entries) };
}
