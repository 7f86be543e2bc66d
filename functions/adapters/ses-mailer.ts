import { GetAccountCommand, type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { emailTagsOf } from '#domain/mail-tags.ts';
import type { Mailer, OutgoingEmail } from '#ports';

/** The header that carries an email's idempotency key. */
export const EMAIL_KEY_HEADER = 'X-Makegood-Email-Key';

/**
 * Email through SES v2 (Amazon SES, or the SES emulator on loopback). SES has no idempotency
 * token: the key travels as a header, and only the embedded mailbox (`mailboxUrl`) can be asked
 * whether a key went out.
 *
 * With a `configurationSet` (MAKEGOOD_SES_CONFIGURATION_SET), each email is sent through it, so
 * its bounces and complaints are published; an email with a key also carries the key as SES
 * message tags (`makegood-claim`, `makegood-step`; see domain/mail-tags.ts), which SES copies
 * into those events, so each finds its claim's ledger.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly mailboxUrl?: string,
    private readonly configurationSet?: string,
  ) {}

  async sentBefore(idempotencyKey: string): Promise<string | undefined> {
    if (!this.mailboxUrl) return undefined;
    const res = await fetch(`${this.mailboxUrl}/makegood/sent?key=${encodeURIComponent(idempotencyKey)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`The mailbox answered ${res.status} when asked about ${idempotencyKey}`);
    return ((await res.json()) as { messageId: string }).messageId;
  }

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const out = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: email.from,
        ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
        ...(email.idempotencyKey ? { EmailTags: emailTagsOf(email.idempotencyKey) } : {}),
        ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
        Destination: { ToAddresses: [email.to] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
            ...(email.idempotencyKey ? { Headers: [{ Name: EMAIL_KEY_HEADER, Value: email.idempotencyKey }] } : {}),
          },
        },
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }

  async ping(): Promise<void> {
    await this.ses.send(new GetAccountCommand({}));
  }
}
