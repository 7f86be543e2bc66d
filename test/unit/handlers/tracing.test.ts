import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EntryDraft } from '#domain/ledger.ts';
import { chainOf, claimRef, demoClaim, itemsOf, receivedDraft, stubRuntime } from './support.ts';

/**
 * The Tracer as it runs inside Lambda with active tracing: the X-Ray SDK streams each closed
 * subsegment to its daemon over UDP, here a socket on 127.0.0.1 that keeps every datagram, and
 * DynamoDB is a local HTTP server that answers with a claim's entries. What reaches the "daemon"
 * is all X-Ray would ever see.
 */

const EMAIL = 'traced.customer.7f3a@example.com';
const NAME = 'Trace Customerson';

let restore: () => void;
let daemon: Socket;
let dynamo: Server;
let ses: Server;
let datagrams: string[];

/** The `received` draft of a claim whose customer is {@link EMAIL} / {@link NAME}. */
function tracedReceived(): EntryDraft {
  const draft = receivedDraft();
  const claim = { ...demoClaim(), customer: { ...demoClaim().customer, email: EMAIL, name: NAME } };
  return { ...draft, data: { ...(draft.data as object), claim } } as EntryDraft;
}

beforeEach(async () => {
  datagrams = [];
  daemon = createSocket('udp4');
  daemon.on('message', (msg) => datagrams.push(msg.toString('utf8')));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const items = itemsOf(chainOf(claimRef('clm_traced'), [tracedReceived()]));
  dynamo = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      res.end(JSON.stringify({ Items: items.map((i) => marshall(i, { removeUndefinedValues: true })), Count: items.length }));
    });
  });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  // SES refuses the way it does in the sandbox: its message names the address.
  ses = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
      res.end(
        JSON.stringify({
          message: `Email address is not verified. The following identities failed the check in region EU-WEST-1: ${EMAIL}`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => ses.listen(0, '127.0.0.1', resolve));

  restore = stubRuntime();
  // Inside Lambda, with active tracing: what makes the Tracer and the X-Ray SDK trace.
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
  vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
  vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
  vi.stubEnv('_HANDLER', 'index.handler');
  vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1');
  vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${(daemon.address() as AddressInfo).port}`);
  vi.stubEnv('AWS_XRAY_CONTEXT_MISSING', 'IGNORE_ERROR');
  vi.stubEnv('AWS_XRAY_DEBUG_MODE', undefined);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('MAKEGOOD_DYNAMODB_ENDPOINT', `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`);
  vi.stubEnv('MAKEGOOD_SES_ENDPOINT', `http://127.0.0.1:${(ses.address() as AddressInfo).port}`);
});

afterEach(async () => {
  restore();
  daemon.close();
  await new Promise<void>((resolve) => dynamo.close(() => resolve()));
  await new Promise<void>((resolve) => ses.close(() => resolve()));
});

/** Waits until the daemon has received `count` datagrams (or a second has passed). */
async function received(count: number): Promise<string> {
  for (let waited = 0; datagrams.length < count && waited < 1000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  return datagrams.join('\n');
}

describe('Powertools Tracer', () => {
  it('traces each invocation and each SDK call, with the claim id, and sends X-Ray no response, no item and no error text', async () => {
    // arrange
    const { runtimeDeps } = await import('#handlers/runtime.ts');
    const { correlate, invocation } = await import('#handlers/observability.ts');
    const reads = invocation(async () => {
      correlate('clm_traced');
      return runtimeDeps().ledger.entries('clm_traced');
    });
    const fails = invocation(async () => {
      throw new Error(`SES refused ${EMAIL} (${NAME})`);
    });
    const mails = invocation(async () =>
      runtimeDeps().mailer.send({ from: 'care@demo.test', to: EMAIL, subject: `For ${NAME}`, text: NAME, html: NAME }),
    );

    // act
    const entries = await reads(undefined);
    await expect(fails(undefined)).rejects.toThrow(EMAIL);
    const refused = await mails(undefined).catch((err: Error) => err);
    const sent = await received(5);

    // assert: the handler got the customer; X-Ray got the calls' shape only
    expect(JSON.stringify(entries)).toContain(EMAIL);
    const subsegments = sent
      .split('\n')
      .filter((line) => line.startsWith('{') && !line.includes('"format"'))
      .map((line) => JSON.parse(line) as { name: string; error?: boolean; aws?: { operation?: string }; annotations?: object });
    expect(subsegments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'DynamoDB', aws: expect.objectContaining({ operation: 'Query' }) }),
        expect.objectContaining({ name: '## index.handler', annotations: expect.objectContaining({ claimId: 'clm_traced' }) }),
        expect.objectContaining({ name: '## index.handler', error: true }),
        expect.objectContaining({ name: 'SESv2', aws: expect.objectContaining({ operation: 'SendEmail' }) }),
      ]),
    );
    // the SES client's error loses the address before the X-Ray SDK (or a log line) reads it
    expect(refused).toMatchObject({ name: 'MessageRejected', message: expect.stringContaining('check in region EU-WEST-1: <address>') });
    expect(sent).toContain('check in region EU-WEST-1: <address>');
    expect(sent).not.toContain(EMAIL);
    expect(sent).not.toContain(NAME);
    expect(sent).not.toContain('SES refused');
  });

  it('is off in the tests and the embedded stack (POWERTOOLS_TRACE_ENABLED=false): nothing is sent', async () => {
    // arrange
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    const { runtimeDeps } = await import('#handlers/runtime.ts');
    const { invocation } = await import('#handlers/observability.ts');
    const { tracer } = await import('#adapters/tracing.ts');

    // act
    await invocation(async () => runtimeDeps().ledger.entries('clm_traced'))(undefined);
    await new Promise((r) => setTimeout(r, 200));

    // assert
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(datagrams).toEqual([]);
  });
});
