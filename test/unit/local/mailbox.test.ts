import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, describe, expect, it } from 'vitest';
import { startMail } from '#local/emulators.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function send(url: string, subject: string) {
  const ses = new SESv2Client({ endpoint: url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await ses.send(
    new SendEmailCommand({
      FromEmailAddress: 'care@demo.test',
      Destination: { ToAddresses: ['ann@example.com'] },
      Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'body' } } } },
    }),
  );
  ses.destroy();
}

async function subjects(url: string): Promise<string[]> {
  const store = (await (await fetch(`${url}/store`)).json()) as { emails: Array<{ subject: string }> };
  return store.emails.map((e) => e.subject);
}

describe('the embedded mailbox', () => {
  it('has each email on disk by the time its send is answered, and loads it back', async () => {
    // arrange
    const dir = await mkdtemp(join(tmpdir(), 'makegood-mailbox-'));
    dirs.push(dir);
    const file = join(dir, 'mailbox.jsonl');
    const mail = await startMail(file, 0);

    // act: no close, as after a kill -9
    await send(mail.url, 'one');
    await send(mail.url, 'two');
    const onDisk = (await readFile(file, 'utf8')).trim().split('\n');
    await mail.close();

    // assert
    expect(onDisk.map((l) => (JSON.parse(l) as { subject: string }).subject)).toEqual(['one', 'two']);
  });

  it('drops the torn last line of a crashed append and keeps the rest', async () => {
    // arrange: two whole emails and half of a third, as a kill -9 in the middle of an append leaves them
    const dir = await mkdtemp(join(tmpdir(), 'makegood-mailbox-'));
    dirs.push(dir);
    const file = join(dir, 'mailbox.jsonl');
    const email = (subject: string) => JSON.stringify({ subject, destination: { to: ['a@example.com'] } });
    await writeFile(file, `${email('one')}\n${email('two')}\n${email('three').slice(0, 20)}`);

    // act
    const mail = await startMail(file, 0);
    try {
      await send(mail.url, 'four');

      // assert: and the next start finds the email sent after the torn one
      expect(await subjects(mail.url)).toEqual(['one', 'two', 'four']);
    } finally {
      await mail.close();
    }
    const again = await startMail(file, 0);
    await again.close();
    expect(
      (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { subject: string }).subject),
    ).toEqual(['one', 'two', 'four']);
  });

  it('takes over a mailbox.json saved whole by an earlier version', async () => {
    // arrange
    const dir = await mkdtemp(join(tmpdir(), 'makegood-mailbox-'));
    dirs.push(dir);
    const legacy = [{ subject: 'older', destination: { to: ['a@example.com'] } }];
    await writeFile(join(dir, 'mailbox.json'), JSON.stringify(legacy));

    // act
    const mail = await startMail(join(dir, 'mailbox.jsonl'), 0);
    try {
      await send(mail.url, 'newer');

      // assert
      expect(await subjects(mail.url)).toEqual(['older', 'newer']);
      expect((await readFile(join(dir, 'mailbox.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2);
      await expect(readFile(join(dir, 'mailbox.json'))).rejects.toThrow(/ENOENT/);
    } finally {
      await mail.close();
    }
  });
});
