import { parseMailFeedback } from '#domain/mail-feedback.ts';
import { type MailFeedbackResult, recordMailFeedback } from '#usecases/mail-feedback.ts';
import { correlate, invocation, logger } from './observability.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * SES's `Email Bounced` or `Email Complaint Received` event for an email makegood sent, as
 * EventBridge delivers it (and the embedded SES emulator sends it): recorded on the claim's
 * ledger, and a complaint or permanent bounce suppresses the address (`recordMailFeedback`).
 * A malformed event or one about no claim email is refused with a named error, so the rule
 * retries it and then leaves it on the dead-letter queue. Logs name the claim and the step,
 * never the address.
 */
export const handler = invocation(async (event: unknown): Promise<MailFeedbackResult> => {
  const feedback = parseMailFeedback(event);
  correlate(feedback.claimId);
  const result = await recordMailFeedback(feedback, runtimeDeps());
  logger.info('Mail feedback recorded', {
    kind: feedback.kind,
    ...(feedback.kind === 'bounce' ? { bounceType: feedback.bounceType } : {}),
    emailStep: result.emailStep,
    recorded: result.recorded,
    suppressed: result.suppressed,
  });
  return result;
});
