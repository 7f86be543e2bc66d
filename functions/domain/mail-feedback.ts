import * as z from 'zod';
import { InvalidRequestError } from './errors.ts';
import { decodeTagValue, emailTagNames } from './mail-tags.ts';

/**
 * What SES tells makegood about an email after it was sent: a bounce or a complaint, as SES's
 * event publishing record (delivered by EventBridge on AWS, by the SES emulator embedded), and
 * how an email is named to SES so that its feedback finds its claim again.
 *
 * - Each email is sent with two SES message tags: `makegood-claim` (the claim id) and
 *   `makegood-step` (the ledger step that sent it, encoded into the characters SES allows in a
 *   tag value; mail-tags.ts). SES copies them into every event of the email (`mail.tags`).
 * - A suppressed address is kept by `addressKey` (mail-tags.ts): a hash, never the address.
 */

/** The `mail` object of an SES event record: only the fields read here. */
const mailSchema = z.object({
  messageId: z.string().min(1),
  timestamp: z.string().min(1),
  destination: z.array(z.string()).min(1),
  tags: z.record(z.string(), z.array(z.string())),
});

const bounceSchema = z.object({
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
  bounceSubType: z.string().min(1),
  bouncedRecipients: z.array(z.object({ emailAddress: z.string().min(1), status: z.string().optional() })).min(1),
  timestamp: z.string().min(1),
  feedbackId: z.string().min(1),
});

const complaintSchema = z.object({
  complainedRecipients: z.array(z.object({ emailAddress: z.string().min(1) })).min(1),
  timestamp: z.string().min(1),
  feedbackId: z.string().min(1),
  complaintFeedbackType: z.string().optional(),
});

/**
 * SES's `Email Bounced` and `Email Complaint Received` events as EventBridge delivers them: the
 * event publishing record is the `detail`.
 */
const sesEventSchema = z.discriminatedUnion('detail-type', [
  z.object({
    source: z.literal('aws.ses'),
    'detail-type': z.literal('Email Bounced'),
    detail: z.object({ eventType: z.literal('Bounce'), mail: mailSchema, bounce: bounceSchema }),
  }),
  z.object({
    source: z.literal('aws.ses'),
    'detail-type': z.literal('Email Complaint Received'),
    detail: z.object({ eventType: z.literal('Complaint'), mail: mailSchema, complaint: complaintSchema }),
  }),
]);

/** A bounce or complaint, as the use case takes it. */
export type MailFeedback = {
  readonly claimId: string;
  /** The ledger step that sent the email (its tag); undefined when the email had no step tag. */
  readonly step: string | undefined;
  readonly messageId: string;
  readonly feedbackId: string;
  /** When it happened, as SES reports it (ISO 8601). */
  readonly at: string;
} & (
  | {
      readonly kind: 'bounce';
      readonly bounceType: 'Permanent' | 'Transient' | 'Undetermined';
      readonly bounceSubType: string;
      readonly recipients: readonly { readonly address: string; readonly status?: string }[];
    }
  | { readonly kind: 'complaint'; readonly feedbackType?: string; readonly recipients: readonly { readonly address: string }[] }
);

/**
 * Reads an SES bounce or complaint event. Throws {@link InvalidRequestError} naming each field
 * that is missing or wrong (`detail.bounce.bounceType: …`), or the tag that does not name a claim
 * email; the message never quotes an address.
 */
export function parseMailFeedback(event: unknown): MailFeedback {
  const parsed = sesEventSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'event', message: i.message }));
    throw new InvalidRequestError(
      `Not an SES bounce or complaint event: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const { detail } = parsed.data;
  const tagOf = (name: string) => {
    const values = detail.mail.tags[name];
    return values?.length === 1 ? values[0] : undefined;
  };
  const claimId = tagOf(emailTagNames.claim);
  if (claimId === undefined || !/^[A-Za-z0-9_-]{1,128}$/.test(claimId)) {
    const path = `detail.mail.tags.${emailTagNames.claim}`;
    throw new InvalidRequestError(`${path}: the email carries no makegood claim id, so no claim's ledger can record its feedback`, [
      { path, message: 'must be one claim id' },
    ]);
  }
  const rawStep = tagOf(emailTagNames.step);
  const step = rawStep === undefined ? undefined : decodeTagValue(rawStep);
  if (rawStep !== undefined && step === undefined) {
    const path = `detail.mail.tags.${emailTagNames.step}`;
    throw new InvalidRequestError(`${path}: not a ledger step as makegood encodes it`, [
      { path, message: 'must be an encoded ledger step' },
    ]);
  }
  const common = { claimId, step, messageId: detail.mail.messageId };
  if (detail.eventType === 'Bounce') {
    const b = detail.bounce;
    return {
      ...common,
      kind: 'bounce',
      feedbackId: b.feedbackId,
      at: b.timestamp,
      bounceType: b.bounceType,
      bounceSubType: b.bounceSubType,
      recipients: b.bouncedRecipients.map((r) => ({ address: r.emailAddress, ...(r.status ? { status: r.status } : {}) })),
    };
  }
  const c = detail.complaint;
  return {
    ...common,
    kind: 'complaint',
    feedbackId: c.feedbackId,
    at: c.timestamp,
    ...(c.complaintFeedbackType ? { feedbackType: c.complaintFeedbackType } : {}),
    recipients: c.complainedRecipients.map((r) => ({ address: r.emailAddress })),
  };
}

/** Whether the feedback puts the address on the suppression list: a complaint, or a bounce for good. */
export function suppresses(feedback: MailFeedback): boolean {
  return feedback.kind === 'complaint' || feedback.bounceType === 'Permanent';
}

/** The ledger step that records a feedback on the email of `emailStep`: one bounce and one complaint per email. */
export function feedbackStep(kind: MailFeedback['kind'], emailStep: string): string {
  return `${kind}:${emailStep}`;
}
