import { GetAccountCommand, type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Mailer, OutgoingEmail } from '#ports';

/** Email through SES v2 (Amazon SES, or the SES emulator on loopback). */
export class SesMailer implements Mailer {
  constructor(private readonly ses: SESv2Client) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const out = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: email.from,
        ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
        Destination: { ToAddresses: [email.to] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
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
