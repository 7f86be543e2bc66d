import { actionsOf } from './actions.ts';
import type { StatusStage } from './email-templates.ts';
import { followUpsOf } from './followups.ts';
import { currentDecision, entriesOf, type LedgerEntry, returnDeadline, statusOf } from './ledger.ts';
import type { Money } from './money.ts';
import type { Policy } from './policy.ts';
import { decidedBy } from './policy-terms.ts';

/** What the customer's status page says of a claim: where it stands, by when the next step is due, what was granted. */
export interface CustomerStatus {
  readonly stage: StatusStage;
  /** When the next step is due at the latest (ISO), when there is one. */
  readonly date?: string;
  /** What the decision grants, for the stages that have one. */
  readonly granted?: { readonly cash?: Money; readonly credit?: Money; readonly replacement?: true };
  /** When the claim last changed (ISO). */
  readonly updatedAt: string;
}

/**
 * Where a claim stands, in the customer's terms, from its entries alone (and the policy, for how
 * long the tiers still waiting may take). Says only what the ledger backs: a date is a deadline
 * the ledger holds or a follow-up task's due time; `in_progress` means the shop has not yet
 * reported one of the deeds asked of it.
 */
export function customerStatus(entries: readonly LedgerEntry[], policy: Policy | undefined): CustomerStatus {
  const last = entries.at(-1);
  const updatedAt = last?.at ?? new Date(0).toISOString();
  const status = statusOf(entries);
  const openFollowUp = followUpsOf(entries)
    .filter((f) => f.status === 'open')
    .at(-1);
  const due = openFollowUp ? { date: openFollowUp.due } : {};
  switch (status) {
    case 'awaiting_approval': {
      const round = entriesOf(entries, 'approval_requested').at(-1);
      const date = round && policy ? decidedBy(policy, round.data.role, new Date(round.at)).toISOString() : round?.data.deadline;
      return { stage: 'awaiting_approval', ...(date ? { date } : {}), updatedAt };
    }
    case 'awaiting_return': {
      const date = returnDeadline(entries);
      return { stage: 'awaiting_return', ...(date ? { date } : {}), updatedAt };
    }
    case 'settled': {
      const decision = currentDecision(entries);
      const granted = decision
        ? {
            ...(decision.cash.amount > 0 ? { cash: decision.cash } : {}),
            ...(decision.storeCredit.amount > 0 ? { credit: decision.storeCredit } : {}),
            ...(decision.outcome === 'replacement' ? { replacement: true as const } : {}),
          }
        : {};
      const pending = actionsOf(entries).some((a) => a.status === 'requested');
      // A granted claim may still carry a promise of a person (an alternative for the part refused).
      return { stage: pending ? 'in_progress' : 'settled', granted, ...due, updatedAt };
    }
    case 'rejected':
      return { stage: 'rejected', ...due, updatedAt };
    case 'closed':
      return { stage: 'closed', ...due, updatedAt };
    case 'failed':
      // Late, and a person has been asked to take it up: only when a task says so. A claim that
      // failed for another reason is still ours to decide, as far as the customer is concerned.
      return openFollowUp ? { stage: 'needs_time', ...due, updatedAt } : { stage: 'assessing', updatedAt };
    default:
      return { stage: 'assessing', updatedAt };
  }
}
