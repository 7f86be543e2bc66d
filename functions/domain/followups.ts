import type { EntryOf, LedgerEntry } from './ledger.ts';
import type { Role } from './policy.ts';

/**
 * Follow-ups: the tasks that keep an email's promise that a person will get in touch. Whenever a
 * customer email says so, the same step opens a task for a role, due by a time from the policy;
 * it shows in the agent console, its role's approvers are reminded before it is due, and it is
 * closed with a note that goes to the ledger. The promise and the task come from one place
 * ({@link promisedFollowUp}), so no email promises what nothing does.
 *
 * Why a person was promised:
 * - `offer_alternative`: a rejection (or an outcome) offers to find another way with the customer;
 * - `arrange_repair`: a repair under the legal guarantee is to be arranged;
 * - `decide_claim`: nobody decided in time; a person takes the claim up;
 * - `review_feedback`: the customer's feedback was handed to the team to look at;
 * - `reach_customer`: an email to the customer was not sent, because their address is on the
 *   suppression list (it bounced for good, or they complained); a person tells them another way.
 */
export const followUpReasons = ['offer_alternative', 'arrange_repair', 'decide_claim', 'review_feedback', 'reach_customer'] as const;
export type FollowUpReason = (typeof followUpReasons)[number];

/** A follow-up as its entries describe it. */
export interface FollowUp {
  readonly followUpId: string;
  readonly claimId: string;
  readonly reason: FollowUpReason;
  readonly role: Role;
  readonly due: string;
  readonly openedAt: string;
  readonly status: 'open' | 'closed';
  readonly closed?: { readonly at: string; readonly by: string; readonly note: string };
}

/** A follow-up's id: its opening entry's, `fu_<claim>_<seq>`. */
export function followUpIdOf(claimId: string, seq: number): string {
  return `fu_${claimId}_${seq}`;
}

/** The claim and entry a follow-up id names, or undefined when it is not one. */
export function parseFollowUpId(id: string): { claimId: string; seq: number } | undefined {
  const m = /^fu_([A-Za-z0-9_-]{1,128})_(\d{1,8})$/.exec(id);
  return m?.[1] && m[2] ? { claimId: m[1], seq: Number(m[2]) } : undefined;
}

/** The step of a follow-up's opening entry: one per promising email. */
export function followUpStep(emailStep: string): string {
  return `followup:${emailStep}`;
}

/** The step of a follow-up's closing entry: one answer per task. */
export function followUpCloseStep(followUpId: string): string {
  return `followup-closed#${parseFollowUpId(followUpId)?.seq ?? followUpId}`;
}

/** A claim's follow-ups, oldest first. */
export function followUpsOf(entries: readonly LedgerEntry[]): FollowUp[] {
  const closes = new Map<string, EntryOf<'followup_closed'>>();
  for (const e of entries) if (e.type === 'followup_closed') closes.set(e.data.followUpId, e);
  return entries
    .filter((e): e is EntryOf<'followup_opened'> => e.type === 'followup_opened')
    .map((e) => {
      const followUpId = followUpIdOf(e.claimId, e.seq);
      const close = closes.get(followUpId);
      const by = close?.actor.kind === 'approver' ? close.actor.email : close?.actor.kind === 'operator' ? close.actor.name : 'system';
      return {
        followUpId,
        claimId: e.claimId,
        reason: e.data.reason,
        role: e.data.role,
        due: e.data.due,
        openedAt: e.at,
        status: close ? 'closed' : 'open',
        ...(close ? { closed: { at: close.at, by, note: close.data.note } } : {}),
      };
    });
}
