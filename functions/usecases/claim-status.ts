import { actionsOf } from '#domain/actions.ts';
import { actionView } from '#domain/api/action.ts';
import type { ApprovalRound, ClaimStatusView } from '#domain/api/responses.ts';
import { NotFoundError } from '#domain/errors.ts';
import { actorLabel, currentDecision, type LedgerEntry, statusOf } from '#domain/ledger.ts';
import type { Deps } from '#ports';

/** The approval rounds of a claim, from its entries. */
export function approvalRounds(entries: readonly LedgerEntry[]): ApprovalRound[] {
  const rounds: ApprovalRound[] = [];
  for (const e of entries) {
    if (e.type === 'approval_requested') {
      rounds.push({
        round: e.data.round,
        role: e.data.role ?? null,
        approvers: [...(e.data.approvers ?? [])],
        requestedAt: e.at,
        deadline: e.data.deadline ?? null,
        proposal: e.data.proposal ?? null,
        result: 'pending',
      });
      continue;
    }
    if (e.type !== 'approved' && e.type !== 'rejected' && e.type !== 'escalated') continue;
    const r = rounds.find((x) => x.round === e.data.round);
    if (!r) continue;
    if (e.type === 'approved' || e.type === 'rejected') {
      r.result = e.type;
      r.decidedBy = e.actor.kind === 'approver' ? e.actor.email : actorLabel(e.actor);
      r.decidedAt = e.at;
      r.note = e.data.note ?? '';
      if (e.type === 'approved') r.approved = e.data.approved ?? null;
    } else if (e.type === 'escalated') {
      r.result = 'escalated';
      r.decidedAt = e.at;
    }
  }
  return rounds;
}

/**
 * A claim's status for its storefront: the current decision, the approval rounds and the
 * timeline, all read from the ledger. The answer's shape is `claimStatusSchema`, the one the
 * OpenAPI document describes.
 */
export async function claimStatus(input: { storefrontId: string; claimId: string }, deps: Pick<Deps, 'ledger'>): Promise<ClaimStatusView> {
  const entries = await deps.ledger.entries(input.claimId);
  // Another storefront's claim is answered exactly like a missing one.
  if (entries.length === 0 || entries[0]?.storefrontId !== input.storefrontId) throw new NotFoundError('No such claim');
  const first = entries[0];
  const decision = currentDecision(entries);
  return {
    claimId: input.claimId,
    // A claim with entries always has a status; `first.status` only satisfies the type.
    status: statusOf(entries) ?? first.status,
    storefrontId: first.storefrontId,
    orderId: first.orderId,
    customerId: first.customerId,
    createdAt: first.at,
    updatedAt: entries.at(-1)?.at ?? first.at,
    decision: decision ?? null,
    approvals: approvalRounds(entries),
    actions: actionsOf(entries).map(actionView),
    timeline: entries.map((e) => ({ seq: e.seq, at: e.at, type: e.type, status: e.status, actor: actorLabel(e.actor) })),
  };
}
