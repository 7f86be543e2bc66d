import { GetAccountCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SesMailer } from '#adapters/ses-mailer.ts';
import type { OutgoingEmail } from '#ports';

const ses = mockClient(SESv2Client);
const mailer = new SesMailer(new SESv2Client({ region: 'eu-west-1' }));

const email: OutgoingEmail = {
  from: 'shop@demo.test',
  to: 'ann@example.com',
  subject: 'Ваша заявка прийнята',
  text: 'Hello Ann',
  html: '<p>Hello Ann</p>',
};

afterEach(() => {
  ses.reset();
});

describe('SesMailer.send', () => {
  it('sends a UTF-8 email with subject, text and html parts and returns the message id', async () => {
    // arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });

    // act
    const result = await mailer.send(email);

    // assert
    expect(result).toEqual({ messageId: 'msg-1' });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.FromEmailAddress).toBe('shop@demo.test');
    expect(input?.Destination).toEqual({ ToAddresses: ['ann@example.com'] });
    expect(input?.Content?.Simple).toEqual({
      Subject: { Data: 'Ваша заявка прийнята', Charset: 'UTF-8' },
      Body: { Text: { Data: 'Hello Ann', Charset: 'UTF-8' }, Html: { Data: '<p>Hello Ann</p>', Charset: 'UTF-8' } },
    });
    expect(input?.ReplyToAddresses).toBeUndefined();
  });

  it('sets the reply-to address when one is given', async () => {
    // arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-2' });

    // act
    await mailer.send({ ...email, replyTo: 'care@demo.test' });

    // assert
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.ReplyToAddresses).toEqual(['care@demo.test']);
  });

  it('lets a send failure reach the caller', async () => {
    // arrange
    ses.on(SendEmailCommand).rejects(new Error('MessageRejected'));

    // act
    const sending = mailer.send(email);

    // assert
    await expect(sending).rejects.toThrow('MessageRejected');
  });
});

describe('SesMailer.send through a configuration set', () => {
  it('names the configuration set and tags the email with its claim and step, in the characters SES allows', async () => {
    // arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-3' });
    const production = new SesMailer(new SESv2Client({ region: 'eu-west-1' }), undefined, 'makegood-mail');

    // act
    await production.send({ ...email, idempotencyKey: 'clm_1/email:outcome#2' });
    await production.send(email);

    // assert
    const [tagged, untagged] = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(tagged?.ConfigurationSetName).toBe('makegood-mail');
    expect(tagged?.EmailTags).toEqual([
      { Name: 'makegood-claim', Value: 'clm_1' },
      { Name: 'makegood-step', Value: 'email.3Aoutcome.232' },
    ]);
    for (const tag of tagged?.EmailTags ?? []) expect(tag.Value).toMatch(/^[A-Za-z0-9_\-.@]{1,256}$/);
    expect(untagged?.ConfigurationSetName).toBe('makegood-mail');
    expect(untagged?.EmailTags).toBeUndefined();
  });

  it('sends without a configuration set when none is configured', async () => {
    // arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-4' });

    // act
    await mailer.send({ ...email, idempotencyKey: 'clm_1/email:outcome' });

    // assert
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.ConfigurationSetName).toBeUndefined();
  });
});

describe('SesMailer.ping', () => {
  it('proves SES answers with a GetAccount call', async () => {
    // arrange
    ses.on(GetAccountCommand).resolves({});

    // act
    await mailer.ping();

    // assert
    expect(ses.commandCalls(GetAccountCommand)).toHaveLength(1);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
