import { InvalidRequestError, NotFoundError } from '#domain/errors.ts';
import { type EntryOf, statusOf } from '#domain/ledger.ts';
import { feedbackStep, type MailFeedback, suppresses } from '#domain/mail-feedback.ts';
import { addressKey, sameAddress } from '#domain/mail-tags.ts';
import type { Deps } from '#ports';
import { loadClaim, record } from './common.ts';

/** What {@link recordMailFeedback} did. */
export interface MailFeedbackResult {
  readonly claimId: string;
  /** The ledger step of the email the feedback is about. */
  readonly emailStep: string;
  /** False when the same feedback was recorded before (the event came again). */
  readonly recorded: boolean;
  readonly suppressed: boolean;
}

/**
 * Records SES's bounce or complaint about a claim's email on the claim's ledger.
 *
 * What happens:
 * 1. The claim is read (ClaimNotFoundError when the ledger has none), and the email is found by
 *    the step its tag names, or else by its message id (NotFoundError when the claim has no such
 *    email yet: the event is retried). The feedback must be about the address that email went to.
 * 2. A complaint or a permanent bounce puts the address on the suppression list (by its hash,
 *    the first suppression kept), so no storefront mails it again; a transient or undetermined
 *    bounce (a full mailbox, a server that gave up for now) does not.
 * 3. `email_bounced` or `email_complained` is appended under `bounce:<step>` / `complaint:<step>`,
 *    with the claim's status unchanged. The same event delivered again writes nothing new.
 *
 * Nothing is written before every check has passed; the suppression goes before the entry, so a
 * crash between the two is finished by the event's retry.
 */
export async function recordMailFeedback(feedback: MailFeedback, deps: Pick<Deps, 'ledger' | 'state'>): Promise<MailFeedbackResult> {
  const loaded = await loadClaim(deps, feedback.claimId);
  const emails = loaded.entries.filter((e): e is EntryOf<'email_sent'> => e.type === 'email_sent');
  const email =
    feedback.step !== undefined
      ? emails.find((e) => e.step === feedback.step)
      : emails.find((e) => e.data.messageId === feedback.messageId);
  if (!email) {
    throw new NotFoundError(
      feedback.step !== undefined
        ? `Claim ${feedback.claimId} has no email sent at step ${feedback.step}`
        : `Claim ${feedback.claimId} has no email with message id ${feedback.messageId}`,
    );
  }
  const recipient = feedback.recipients.find((r) => sameAddress(r.address, email.data.to));
  if (!recipient) {
    // No address in the message: it may be logged.
    throw new InvalidRequestError(
      `The ${feedback.kind} names ${feedback.recipients.length} recipient(s), none of them the address the email of step ${email.step} went to`,
      [
        {
          path: `detail.${feedback.kind}.${feedback.kind === 'bounce' ? 'bouncedRecipients' : 'complainedRecipients'}`,
          message: "must include the email's recipient",
        },
      ],
    );
  }
  const bounceStatus =
    feedback.kind === 'bounce' ? feedback.recipients.find((r) => sameAddress(r.address, email.data.to))?.status : undefined;
  const step = feedbackStep(feedback.kind, email.step);
  const suppressed = suppresses(feedback);
  if (suppressed) {
    await deps.state.suppress({
      addressKey: addressKey(email.data.to),
      cause: feedback.kind,
      since: feedback.at,
      claimId: feedback.claimId,
      step: email.step,
    });
  }
  const known = loaded.entries.some((e) => e.step === step);
  if (!known) {
    const status = statusOf(loaded.entries) ?? 'received';
    const common = { step, status, actor: { kind: 'system' } as const, policyVersion: email.policyVersion };
    await record(
      deps,
      loaded,
      feedback.kind === 'bounce'
        ? {
            ...common,
            type: 'email_bounced',
            data: {
              email: email.step,
              to: email.data.to,
              messageId: feedback.messageId,
              bounceType: feedback.bounceType,
              bounceSubType: feedback.bounceSubType,
              ...(bounceStatus ? { status: bounceStatus } : {}),
              feedbackId: feedback.feedbackId,
              bouncedAt: feedback.at,
              suppressed,
            },
          }
        : {
            ...common,
            type: 'email_complained',
            data: {
              email: email.step,
              to: email.data.to,
              messageId: feedback.messageId,
              ...(feedback.feedbackType ? { feedbackType: feedback.feedbackType } : {}),
              feedbackId: feedback.feedbackId,
              complainedAt: feedback.at,
              suppressed: true,
            },
          },
    );
  }
  return { claimId: feedback.claimId, emailStep: email.step, recorded: !known, suppressed };
}
