import { approvalSchedule } from '#domain/approval-schedule.ts';
import { decide } from '#domain/decide.ts';
import { PolicyNotFoundError } from '#domain/errors.ts';
import { customerHistory } from '#domain/history.ts';
import { decisionData, type StoredDecision } from '#domain/ledger.ts';
import { type Policy, tierFor } from '#domain/policy.ts';
import type { Deps } from '#ports';
import { type FlowState, type LoadedClaim, loadClaim, record, type TaskInput } from './common.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Decides a claim with the storefront's current policy.
 *
 * What happens:
 * 1. If the claim already has a decision that no settlement refused since, that decision stands
 *    (a retried step decides nothing twice).
 * 2. Otherwise the customer's history is read from the ledger (by the customer index) and the
 *    order's running total from the state table, and `decide` runs.
 * 3. The decision is appended with the policy version and every rule that fired.
 * 4. The claim is routed: to approval when a person must approve, to a return when the goods come
 *    back first, else straight to conclusion.
 */
export async function assessClaim(input: TaskInput, deps: Pick<Deps, 'ledger' | 'state' | 'clock'>): Promise<FlowState> {
  const loaded = await loadClaim(deps, input.claimId);
  const policy = await deps.state.currentPolicy(loaded.ref.storefrontId);
  if (!policy) throw new PolicyNotFoundError(`Storefront ${loaded.ref.storefrontId} has no policy`);
  const types = loaded.entries.map((e) => e.type);
  const lastDecided = types.lastIndexOf('decided');
  const standing = lastDecided >= 0 && types.lastIndexOf('settlement_refused') < lastDecided;

  let decision: StoredDecision;
  if (standing) {
    decision = loaded.entries[lastDecided]?.data.decision as unknown as StoredDecision;
  } else {
    const now = deps.clock.now();
    const p = policy.policy;
    const lookback = Math.max(
      p.risk.frequentClaims?.days ?? 0,
      p.risk.goodwillBudget?.days ?? 0,
      p.risk.refundRate?.days ?? 0,
      (p.risk.unreturned?.afterDays ?? 0) + p.returns.sendBackDays + 365,
    );
    const [customerEntries, orderGranted] = await Promise.all([
      deps.ledger.customerEntries(loaded.ref.storefrontId, loaded.ref.customerId, new Date(now.getTime() - lookback * DAY_MS)),
      deps.state.orderGranted(loaded.ref.storefrontId, loaded.ref.orderId, loaded.ref.currency),
    ]);
    const history = customerHistory({ entries: customerEntries, policy: p, now, currentClaimId: input.claimId, orderGranted });
    const fresh = decide(loaded.claim, policy, history, now);
    decision = fresh;
    await record(deps, loaded, {
      type: 'decided',
      step: `decided#${types.filter((t) => t === 'decided').length + 1}`,
      status: 'assessing',
      actor: { kind: 'system' },
      policyVersion: policy.version,
      data: { ...decisionData(fresh), history: JSON.parse(JSON.stringify(history)) },
    });
  }
  return route(loaded, decision, policy.policy);
}

/** Where a decided claim goes next. */
export function route(loaded: LoadedClaim, decision: StoredDecision, policy: Policy): FlowState {
  const base = { claimId: loaded.ref.claimId, storefrontId: loaded.ref.storefrontId };
  const returnWaitSeconds = policy.returns.sendBackDays * 24 * 60 * 60;
  if (decision.outcome === 'rejected') return { ...base, next: 'conclude' };
  if (decision.tier !== 'auto') {
    const tier = tierFor(policy, decision.tier);
    const round = loaded.entries.filter((e) => e.type === 'approval_requested').length + 1;
    return {
      ...base,
      next: 'approval',
      approval: { round, role: decision.tier, ...approvalSchedule(tier?.waitHours ?? 48) },
      ...(decision.returnRequired ? { returnWaitSeconds } : {}),
    };
  }
  if (decision.returnRequired) return { ...base, next: 'return', returnWaitSeconds };
  return { ...base, next: 'conclude' };
}
