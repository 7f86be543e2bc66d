import { formatDeadline } from '#domain/approval-email.ts';
import { followUpReminderEmail } from '#domain/console-email.ts';
import { parseFollowUpId } from '#domain/followups.ts';
import { entriesOf } from '#domain/ledger.ts';
import { type EmailDeps, loadClaim, putFollowUpWork, senderFor, sendOnce } from './common.ts';

/**
 * Reminds the approvers of a follow-up's role, once, when it is within the policy's
 * `followUps.remindBeforeHours` of being due (or overdue): an email with a link to the claim in
 * the console, recorded in the ledger per approver. Reads the storefront's open follow-ups by the
 * queue index; only a task that falls due is read further.
 */
export async function remindFollowUps(storefrontId: string, deps: EmailDeps): Promise<{ reminded: number }> {
  const [open, policy] = await Promise.all([deps.state.openWork(storefrontId, 'followup'), deps.state.currentPolicy(storefrontId)]);
  if (!policy) return { reminded: 0 };
  const now = deps.clock.now();
  const before = policy.policy.followUps.remindBeforeHours * 3600_000;
  let reminded = 0;
  for (const item of open) {
    if (item.remindedAt !== undefined || Date.parse(item.due) - before > now.getTime()) continue;
    const ref = parseFollowUpId(item.id);
    if (!ref) continue;
    const loaded = await loadClaim(deps, ref.claimId);
    const opened = entriesOf(loaded.entries, 'followup_opened').find((e) => e.seq === ref.seq);
    if (!opened) continue;
    const { shopName } = await senderFor(deps, storefrontId);
    for (const approver of item.approvers) {
      await sendOnce(deps, loaded, {
        step: `email:followup-reminder#${ref.seq}:${approver}`,
        kind: 'followup_reminder',
        to: approver,
        content: followUpReminderEmail({
          shopName,
          orderId: loaded.ref.orderId,
          reason: opened.data.reason,
          due: opened.data.due,
          dueText: formatDeadline(new Date(opened.data.due)),
          link: `${deps.publicUrl ?? ''}/console/claims/${encodeURIComponent(loaded.ref.claimId)}`,
        }),
        status: loaded.entries.at(-1)?.status ?? opened.status,
        policyVersion: opened.policyVersion,
      });
    }
    await putFollowUpWork(deps, loaded, opened, 'open', now.toISOString());
    reminded += 1;
  }
  return { reminded };
}
