import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../cli/connect.ts';
import { webhooksCommand } from '../../cli/webhooks.ts';
import { bootStack, claimBody, countItems, postClaim, waitForClaim } from './harness.ts';

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

/** One request the receiver got: its webhook-id, body, and what it answered. */
interface Delivery {
  readonly id: string;
  readonly body: string;
  readonly answered: number;
  readonly signed: boolean;
}

/**
 * A webhook receiver on loopback that answers `answer` (500 until a test says otherwise) and
 * records every request, checking its Standard Webhooks signature.
 */
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const deliveries: Delivery[] = [];
let answer = 500;
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let signed = true;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
      } catch {
        signed = false;
      }
      deliveries.push({ id: String(req.headers['webhook-id']), body, answered: answer, signed });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await bootStack({
    demoWebhook: { url: receiverUrl, secret },
    // Attempts time out after 300 ms and retries stop 3.6 s after staging (the least the
    // configuration allows), so events fail within seconds instead of days.
    functionEnv: {
      MAKEGOOD_WEBHOOK_TIMEOUT_MS: '300',
      MAKEGOOD_WEBHOOK_RETRY_HOURS: '0.001',
      MAKEGOOD_WEBHOOK_FIRST_RETRY_MS: '50',
      MAKEGOOD_WEBHOOK_MAX_RETRY_MS: '200',
    },
  });
});
afterAll(async () => {
  await stack?.cleanup();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** Runs `makegood webhooks …` in-process against the embedded stack, as the CLI does. */
async function webhooks(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const command = webhooksCommand({
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    connect: async (dataDir) => {
      const { deps, target } = await connect(dataDir);
      return { deps, target };
    },
    now: () => new Date(),
  });
  const code = await command.run([...argv, '--data-dir', stack.dataDir]);
  return { code, out, err };
}

/** An event as `webhooks list --format json` prints it. */
interface ListedEvent {
  eventId: string | null;
  claimId: string;
  step: string;
  type: string;
  status: string;
  attempts: number;
  lastResult?: string;
}

/** `webhooks list --claim <id> --format json`: the claim's events. */
async function claimEvents(claimId: string): Promise<ListedEvent[]> {
  const r = await webhooks('list', '--claim', claimId, '--format', 'json');
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { claim: { events: ListedEvent[] } }).claim.events;
}

/** Reads until `until` holds or the attempts run out (no wall-clock assertion). */
async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean, attempts = 400): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await read();
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Never reached the expected state; last seen: ${JSON.stringify(last)}`);
}

const done = ['settled', 'rejected', 'closed', 'failed'];

/** Files a claim, waits until it is done and every one of its events has `status`. */
async function claimWithEvents(status: string): Promise<{ claimId: string; events: ListedEvent[] }> {
  const { res, json } = await postClaim(stack.apiUrl, claimBody());
  expect(res.status).toBe(202);
  await waitForClaim(stack.apiUrl, json.claimId, (c) => done.includes(c.status));
  const events = await eventually(
    () => claimEvents(json.claimId),
    (es) => es.length > 0 && es.every((e) => e.status === status),
  );
  return { claimId: json.claimId, events };
}

const answeredWith = (id: string, status: number) => deliveries.filter((d) => d.id === id && d.answered === status);

describe('makegood webhooks against the embedded stack', () => {
  it('lists the events a failing receiver never took as failed, and redelivers each once when it answers again', async () => {
    // arrange: the receiver answers 500 until every event of the claim has failed
    const { claimId, events } = await claimWithEvents('failed');
    const ids = events.map((e) => e.eventId as string);
    expect(ids.every((id) => id?.startsWith(`evt_${claimId}_`))).toBe(true);
    expect(events.every((e) => e.lastResult === 'HTTP 500' && e.attempts > 1)).toBe(true);
    const failed = await webhooks('list', '--failed');
    expect(failed.code).toBe(0);
    expect(failed.out).toContain(`demo: endpoint ${receiverUrl}\n`);
    for (const e of events)
      expect(failed.out).toMatch(new RegExp(`^ {2}${e.eventId} +${e.type.replace('.', '\\.')} +failed +\\d+ +failed \\S+ +HTTP 500$`, 'm'));
    answer = 200;

    // act
    const redelivered = await webhooks('redeliver', '--failed');

    // assert
    expect(redelivered.code).toBe(0);
    expect(redelivered.out).toContain(`  demo: ${ids.length} redelivered\n`);
    expect(redelivered.out).toContain(`Redelivered ${ids.length} failed event(s)`);
    const after = await eventually(
      () => claimEvents(claimId),
      (es) => es.every((e) => e.status === 'delivered'),
    );
    expect(after.map((e) => e.eventId)).toEqual(ids);
    for (const id of ids) {
      // Once more, with the same signed bytes as every failed attempt.
      expect(answeredWith(id, 200)).toHaveLength(1);
      const bodies = new Set(deliveries.filter((d) => d.id === id).map((d) => d.body));
      expect(bodies.size).toBe(1);
    }
    expect(deliveries.every((d) => d.signed)).toBe(true);
    const none = await webhooks('list', '--failed');
    expect(none.out).toContain(`demo: endpoint ${receiverUrl}\n  no failed events\n`);
  });

  it('refuses an unknown event id with exit 1 and a malformed one with exit 2, writing nothing', async () => {
    // arrange
    const items = await countItems(stack);
    // act
    const unknown = await webhooks('redeliver', 'evt_nope_1');
    const malformed = await webhooks('redeliver', 'nope');
    // assert
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('No webhook event evt_nope_1: there is no claim nope\n');
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain('"nope" is not an event id');
    expect(await countItems(stack)).toBe(items);
  });

  it('after a 410 Gone shows the endpoint DISABLED, redelivers nothing until set-endpoint sets it again', async () => {
    // arrange: the receiver is gone; the claim's events fail and the endpoint is disabled
    answer = 410;
    const { claimId, events } = await claimWithEvents('failed');
    const listed = await webhooks('list', '--storefront', 'demo');
    expect(listed.out).toMatch(
      new RegExp(`^demo: endpoint ${receiverUrl} DISABLED since \\S+ \\(${receiverUrl} answered 410 Gone at \\S+\\)$`, 'm'),
    );
    expect(listed.out).toContain('nothing is sent to it until it is set again: makegood webhooks set-endpoint demo --url <url>');
    const refused = await webhooks('redeliver', '--failed');
    const refusedOne = await webhooks('redeliver', events[0]?.eventId as string);
    const badUrl = await webhooks('set-endpoint', 'demo', '--url', 'http://hooks.example.com/in');
    answer = 200;

    // act
    const set = await webhooks('set-endpoint', 'demo', '--url', `${receiverUrl}/v2`);
    const redelivered = await webhooks('redeliver', '--failed', '--storefront', 'demo');

    // assert
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      `  demo: ${events.length} failed event(s) left as they are: the webhook endpoint of demo is ${receiverUrl} DISABLED since`,
    );
    expect(refusedOne.code).toBe(1);
    expect(refusedOne.err).toContain('was not redelivered. Set the endpoint first: makegood webhooks set-endpoint demo --url <url>');
    expect(badUrl.code).toBe(1);
    expect(badUrl.err).toContain('  webhook.url: must be an absolute https:// URL');
    expect(set.code).toBe(0);
    expect(set.out).toContain(`Set the webhook endpoint of demo to ${receiverUrl}/v2 in `);
    expect(set.out).toContain(`(was: ${receiverUrl} DISABLED since`);
    expect(redelivered.code).toBe(0);
    expect(redelivered.out).toContain(`Redelivered ${events.length} failed event(s)`);
    await eventually(
      () => claimEvents(claimId),
      (es) => es.every((e) => e.status === 'delivered'),
    );
    for (const e of events) expect(answeredWith(e.eventId as string, 200)).toHaveLength(1);
    const endpoint = JSON.parse((await webhooks('list', '--storefront', 'demo', '--format', 'json')).out).storefronts[0].endpoint;
    expect(endpoint).toEqual({ url: `${receiverUrl}/v2` });
  });

  it('works as `node cli/makegood.mjs webhooks list --failed --data-dir …`, exit codes included', async () => {
    // act: a child process (asynchronously: the stack it talks to runs in this test's process)
    const [ok, usage] = await Promise.all([
      makegood('webhooks', 'list', '--failed', '--data-dir', stack.dataDir),
      makegood('webhooks', 'list', '--what'),
    ]);
    // assert
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Failed webhook events in the embedded stack in ${stack.dataDir}`);
    expect(ok.stdout).toContain('demo: endpoint ');
    expect(usage.code).toBe(2);
  });
});

/** Runs `node cli/makegood.mjs …` as a child process. */
function makegood(...args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Without the stack's MAKEGOOD_* variables, as from a shell: the CLI finds the stack by --data-dir.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAKEGOOD_')));
    const child = spawn(process.execPath, ['cli/makegood.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}
