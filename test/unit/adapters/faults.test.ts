import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientSettings, isRetryableSdkError, makeDeps } from '#adapters/deps.ts';
import { clearInjectedFaults, injectedFaults, injectFaults, seededRandom } from '#adapters/faults.ts';
import { ConfigError, type FaultPlanInput, parseConfig } from '#config';
import { TransientError } from '#domain/errors.ts';

/**
 * A stand-in for DynamoDB and SES on loopback that answers every request with success and
 * records each one it received whole. The SDK clients talk to it over real sockets, so the
 * faults go through the real middleware stack, deserializers, retry strategy and HTTP handler.
 */
let server: Server;
let endpoint: string;
let received: string[] = [];

function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').at(-1) ?? target;
  return req.url?.startsWith('/v2/email/outbound-emails') ? 'SendEmail' : (req.url ?? '');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = operationOf(req);
      received.push(operation);
      const body = operation === 'SendEmail' ? { MessageId: `m-${received.length}` } : operation === 'Query' ? { Items: [], Count: 0 } : {};
      res.writeHead(200, { 'content-type': operation === 'SendEmail' ? 'application/json' : 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
});
beforeEach(() => {
  received = [];
  clearInjectedFaults();
});

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const plan = (rules: FaultPlanInput['rules'], seed = 7) => {
  // Parsed as MAKEGOOD_FAULTS is, so the defaults are those of the configuration.
  const config = parseConfig({
    MAKEGOOD_LEDGER_TABLE: 'l',
    MAKEGOOD_STATE_TABLE: 's',
    MAKEGOOD_SECRETS_DIR: '/nonexistent/secrets',
    MAKEGOOD_ALLOW_FAULTS: 'test-only',
    MAKEGOOD_FAULTS: JSON.stringify({ seed, rules }),
  });
  if (!config.faults) throw new Error('no faults parsed');
  return config.faults;
};
const dynamo = (rules: FaultPlanInput['rules'], options: { maxAttempts?: number; requestTimeout?: number; seed?: number } = {}) => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: { requestTimeout: options.requestTimeout ?? 2_000, throwOnRequestTimeout: true },
  });
  injectFaults(client, 'dynamodb', plan(rules, options.seed));
  return client;
};
const ses = (rules: FaultPlanInput['rules'], maxAttempts = 3) => {
  const client = new SESv2Client({ endpoint, region: 'eu-west-1', credentials, maxAttempts });
  injectFaults(client, 'ses', plan(rules));
  return client;
};
const getItem = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });
const sendEmail = () =>
  new SendEmailCommand({
    FromEmailAddress: 'shop@demo.test',
    Destination: { ToAddresses: ['ann@example.com'] },
    Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
  });

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, another for another seed, in [0, 1)', () => {
    // act
    const a = Array.from({ length: 1000 }, seededRandom(42));
    const b = Array.from({ length: 1000 }, seededRandom(42));
    const c = Array.from({ length: 1000 }, seededRandom(43));
    // assert
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(a.filter((x) => x < 0.5).length).toBeGreaterThan(450);
    expect(a.filter((x) => x < 0.5).length).toBeLessThan(550);
  });
});

describe('injectFaults: each attempt of the SDK meets the fault as it would the service', () => {
  it('throttles DynamoDB with its own exception, which the SDK retries until an attempt gets through', async () => {
    // arrange: the first attempt is throttled (the SDK then waits up to 1 s, its throttling base)
    const client = dynamo([{ service: 'dynamodb', fault: 'throttle', times: 1 }], { maxAttempts: 2 });
    // act
    const out = await client.send(getItem);
    // assert
    expect(out.$metadata.attempts).toBe(2);
    expect(received).toEqual(['GetItem']);
    expect(injectedFaults()).toEqual([{ rule: 0, service: 'dynamodb', operation: 'GetItem', fault: 'throttle' }]);
  });

  it('gives up after maxAttempts with the class the SDK deserialized from the answer', async () => {
    // arrange
    const throttled = dynamo([{ service: 'dynamodb', fault: 'throttle' }], { maxAttempts: 2 });
    const failing = dynamo([{ service: 'dynamodb', fault: 'server_error' }]);
    // act
    const t = await throttled.send(getItem).catch((e: unknown) => e);
    const f = await failing.send(getItem).catch((e: unknown) => e);
    // assert: nothing reached the service, and each error is what DynamoDB's own answer makes
    expect(received).toEqual([]);
    expect(t).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(t).toMatchObject({ $metadata: { httpStatusCode: 400, attempts: 2 } });
    expect(f).toBeInstanceOf(InternalServerError);
    expect(f).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500, attempts: 3 } });
  });

  it('throttles SES with a 429 TooManyRequestsException and fails it with a 500', async () => {
    // arrange
    const throttled = ses([{ service: 'ses', fault: 'throttle' }], 1);
    const failing = ses([{ service: 'ses', fault: 'server_error' }], 1);
    // act
    const t = await throttled.send(sendEmail()).catch((e: unknown) => e);
    const f = await failing.send(sendEmail()).catch((e: unknown) => e);
    // assert
    expect(t).toBeInstanceOf(TooManyRequestsException);
    expect(t).toMatchObject({ $metadata: { httpStatusCode: 429 } });
    expect(f).toMatchObject({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    expect(received).toEqual([]);
  });

  it('with `when: after`, carries the request out and loses the answer, so the retry meets it again', async () => {
    // arrange
    const client = ses([{ service: 'ses', fault: 'server_error', when: 'after', times: 1 }]);
    // act
    const out = await client.send(sendEmail());
    // assert: SES sent twice; this is why SendEmail gets few attempts
    expect(out.$metadata.attempts).toBe(2);
    expect(received).toEqual(['SendEmail', 'SendEmail']);
    expect(injectedFaults()).toEqual([{ rule: 0, service: 'ses', operation: 'SendEmail', fault: 'server_error', when: 'after' }]);
  });

  it('holds a request back on the socket: the request timeout cuts it off, and the stalled body never arrives', async () => {
    // arrange: the first attempt stalls for 1 s, longer than the 200 ms the client waits
    const client = dynamo([{ service: 'dynamodb', fault: 'delay', delayMs: 1_000, times: 1 }], { requestTimeout: 200 });
    // act
    const out = await client.send(getItem);
    await new Promise((r) => setTimeout(r, 1_300));
    // assert
    expect(out.$metadata.attempts).toBe(2);
    expect(received).toEqual(['GetItem']);
  });

  it('lets a stalled request through once its delay is over when the client waits long enough', async () => {
    // arrange
    const client = dynamo([{ service: 'dynamodb', fault: 'delay', delayMs: 100 }], { requestTimeout: 2_000 });
    // act
    const out = await client.send(getItem);
    // assert
    expect(out.$metadata.attempts).toBe(1);
    expect(received).toEqual(['GetItem']);
    expect(injectedFaults()).toEqual([{ rule: 0, service: 'dynamodb', operation: 'GetItem', fault: 'delay' }]);
  });

  it('applies a rule only to its service and operations, and never at rate 0', async () => {
    // arrange
    const client = dynamo([
      { service: 'dynamodb', operations: ['PutItem'], fault: 'server_error' },
      { service: 'ses', fault: 'server_error' },
      { service: 'dynamodb', fault: 'throttle', rate: 0 },
    ]);
    // act
    await client.send(getItem);
    await client.send(getItem);
    const put = await client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } })).catch((e: unknown) => e);
    // assert
    expect(received).toEqual(['GetItem', 'GetItem']);
    expect(put).toBeInstanceOf(InternalServerError);
    expect(injectedFaults().map((f) => f.operation)).toEqual(['PutItem', 'PutItem', 'PutItem']);
  });

  it('applies a rule with bodyIncludes only to the requests that carry that text', async () => {
    // arrange
    const client = dynamo([{ service: 'dynamodb', fault: 'server_error', bodyIncludes: '"S":"TOTAL"' }]);
    // act
    await client.send(getItem);
    const total = await client
      .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'o' }, sk: { S: 'TOTAL' } } }))
      .catch((e: unknown) => e);
    // assert
    expect(received).toEqual(['GetItem']);
    expect(total).toBeInstanceOf(InternalServerError);
  });

  it('draws the same faults for the same seed and calls, and others for another seed', async () => {
    // arrange
    const rules: FaultPlanInput['rules'] = [{ service: 'dynamodb', fault: 'throttle', rate: 0.5 }];
    const pattern = async (seed: number) => {
      clearInjectedFaults();
      const client = dynamo(rules, { maxAttempts: 1, seed });
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++)
        outcomes.push(
          (await client
            .send(getItem)
            .then(() => 'ok')
            .catch(() => 'throttled')) as string,
        );
      return outcomes;
    };
    // act
    const first = await pattern(5);
    const again = await pattern(5);
    const other = await pattern(6);
    // assert
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('throttled');
  });
});

describe('makeDeps: retry settings, faults from the configuration, and what outlives the retries', () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'x';
    process.env.AWS_SECRET_ACCESS_KEY = 'x';
  });
  afterAll(() => {
    // Assigning undefined to process.env would store the string "undefined".
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });
  afterEach(() => {
    clearInjectedFaults();
  });
  const depsWith = (rules: FaultPlanInput['rules']) =>
    makeDeps(
      parseConfig({
        MAKEGOOD_LEDGER_TABLE: 'l',
        MAKEGOOD_STATE_TABLE: 's',
        MAKEGOOD_SECRETS_DIR: '/nonexistent/secrets',
        MAKEGOOD_DYNAMODB_ENDPOINT: endpoint,
        MAKEGOOD_SES_ENDPOINT: endpoint,
        MAKEGOOD_ALLOW_FAULTS: 'test-only',
        MAKEGOOD_FAULTS: JSON.stringify({ seed: 1, rules }),
      }),
    );
  const email = { from: 'shop@demo.test', to: 'ann@example.com', subject: 's', text: 't', html: '<p>t</p>' };

  it('tries SES 3 times and DynamoDB 4 times (each answer lost after the work), then raises a TransientError', async () => {
    // arrange
    const deps = depsWith([
      { service: 'ses', fault: 'server_error', when: 'after' },
      { service: 'dynamodb', fault: 'server_error', when: 'after' },
    ]);
    // act
    const mail = await deps.mailer.send(email).catch((e: unknown) => e);
    const sent = received.filter((o) => o === 'SendEmail').length;
    const state = await deps.state.currentPolicy('demo').catch((e: unknown) => e);
    // assert
    expect(sent).toBe(clientSettings.maxAttempts.ses);
    expect(received.filter((o) => o !== 'SendEmail')).toHaveLength(clientSettings.maxAttempts.dynamodb);
    expect(mail).toBeInstanceOf(TransientError);
    expect((mail as Error).message).toBe(
      'ses SendEmail failed after 3 attempt(s): InternalFailure: The request processing has failed (injected fault)',
    );
    expect((mail as Error).cause).toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    expect(state).toBeInstanceOf(TransientError);
    expect((state as Error).message).toMatch(/^dynamodb Query failed after 4 attempt\(s\): InternalServerError/);
  });

  it('with half the SES calls refused, sends each email at most once, and most of them', async () => {
    // arrange
    const deps = depsWith([{ service: 'ses', fault: 'server_error', rate: 0.5 }]);
    // act
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await deps.mailer.send(email).catch((e: unknown) => e));
    // assert
    const failed = results.filter((r) => r instanceof TransientError).length;
    expect(injectedFaults().length).toBeGreaterThan(0);
    expect(received.filter((o) => o === 'SendEmail').length + failed).toBe(6);
    expect(failed).toBeLessThan(3);
  });

  it('tells the errors the SDK retries from the others', () => {
    // assert
    expect(isRetryableSdkError(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(true);
    expect(isRetryableSdkError(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryableSdkError(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe(true);
    expect(isRetryableSdkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(
      isRetryableSdkError(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } })),
    ).toBe(false);
    expect(isRetryableSdkError(Object.assign(new Error('x'), { name: 'AbortError', $metadata: { httpStatusCode: 500 } }))).toBe(false);
    expect(isRetryableSdkError(Object.assign(new Error('x'), { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }))).toBe(false);
    expect(isRetryableSdkError('not an error')).toBe(false);
  });
});

describe('MAKEGOOD_FAULTS in the configuration', () => {
  const base = { MAKEGOOD_LEDGER_TABLE: 'l', MAKEGOOD_STATE_TABLE: 's', MAKEGOOD_SECRETS_DIR: '/nonexistent/secrets' };
  const faults = JSON.stringify({ seed: 1, rules: [{ service: 'ses', fault: 'throttle' }] });

  it('is refused without the test-only switch, and inside Lambda even with it', () => {
    // act + assert
    expect(() => parseConfig({ ...base, MAKEGOOD_FAULTS: faults })).toThrow(
      'MAKEGOOD_FAULTS is set, but MAKEGOOD_ALLOW_FAULTS is not "test-only": fault injection is for tests only',
    );
    expect(() => parseConfig({ ...base, MAKEGOOD_FAULTS: faults, MAKEGOOD_ALLOW_FAULTS: 'yes' })).toThrow(ConfigError);
    expect(() =>
      parseConfig({ ...base, MAKEGOOD_FAULTS: faults, MAKEGOOD_ALLOW_FAULTS: 'test-only', AWS_LAMBDA_FUNCTION_NAME: 'makegood-Conclude' }),
    ).toThrow('MAKEGOOD_FAULTS is refused in AWS Lambda: fault injection is for tests only');
  });

  it('is absent unless set, and takes its defaults when set', () => {
    // act
    const none = parseConfig({ ...base, MAKEGOOD_ALLOW_FAULTS: 'test-only' });
    const some = parseConfig({ ...base, MAKEGOOD_FAULTS: faults, MAKEGOOD_ALLOW_FAULTS: 'test-only' });
    // assert
    expect(none.faults).toBeUndefined();
    expect(some.faults).toEqual({ seed: 1, rules: [{ service: 'ses', fault: 'throttle', rate: 1 }] });
  });

  it.each([
    ['not JSON', 'nope', /MAKEGOOD_FAULTS is not JSON/],
    [
      'a rate above 1',
      { seed: 1, rules: [{ service: 'ses', fault: 'throttle', rate: 1.5 }] },
      /MAKEGOOD_FAULTS\.rules\[0\]\.rate: Too big/,
    ],
    [
      'a misspelt field',
      { seed: 1, rules: [{ service: 'ses', fault: 'throttle', rte: 0.5 }] },
      /MAKEGOOD_FAULTS\.rules\[0\]: Unrecognized key: "rte"/,
    ],
    ['an unknown fault', { seed: 1, rules: [{ service: 'ses', fault: 'explode' }] }, /MAKEGOOD_FAULTS\.rules\[0\]\.fault:/],
    ['an unknown service', { seed: 1, rules: [{ service: 's3', fault: 'throttle' }] }, /MAKEGOOD_FAULTS\.rules\[0\]\.service:/],
    ['a delay without delayMs', { seed: 1, rules: [{ service: 'ses', fault: 'delay' }] }, /MAKEGOOD_FAULTS\.rules\[0\]\.delayMs:/],
    [
      '`when` on a throttle',
      { seed: 1, rules: [{ service: 'ses', fault: 'throttle', when: 'after' }] },
      /rules\[0\]: Unrecognized key: "when"/,
    ],
    ['no seed', { rules: [{ service: 'ses', fault: 'throttle' }] }, /MAKEGOOD_FAULTS\.seed:/],
    ['no rules', { seed: 1, rules: [] }, /MAKEGOOD_FAULTS\.rules: Too small/],
    [
      'an operation in lower case',
      { seed: 1, rules: [{ service: 'ses', operations: ['sendEmail'], fault: 'throttle' }] },
      /operations\[0\]: must be an SDK operation name/,
    ],
  ])('names the field of %s', (_what, value, message) => {
    // act + assert
    expect(() =>
      parseConfig({
        ...base,
        MAKEGOOD_ALLOW_FAULTS: 'test-only',
        MAKEGOOD_FAULTS: typeof value === 'string' ? value : JSON.stringify(value),
      }),
    ).toThrow(message);
  });
});
