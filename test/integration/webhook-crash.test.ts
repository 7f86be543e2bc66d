import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoOutbox } from '#adapters/dynamo-outbox.ts';
import { RUNTIME_FILE, repoRoot } from '#local/stack.ts';
import { claimBody, DEMO_SECRET, postClaim, waitForClaim } from './harness.ts';
import { eventually, newWebhookSecret, WebhookReceiver } from './webhook-receiver.ts';

/** A free TCP port on loopback (for the API, so the test knows where it is before it starts). */
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

/** A running `npm start`. */
interface Child {
  readonly apiUrl: string;
  readonly process: ChildProcess;
  readonly output: () => string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
const receivers: WebhookReceiver[] = [];

/** SIGKILLs a child's whole process group (tsx and the node it runs) and waits for it to exit. */
async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await exited;
}

afterAll(async () => {
  for (const c of children.splice(0)) await killHard(c);
  for (const r of receivers.splice(0)) await r.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/**
 * Starts `tsx local/main.ts` (what `npm start` runs) as a child, in its own process group: tsx
 * runs the code in a node process of its own, and a kill must reach both.
 */
async function startChild(dataDir: string, webhook: { url: string; secret: string }): Promise<Child> {
  const port = await freePort();
  let out = '';
  const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['local/main.ts'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MAKEGOOD_PORT: String(port),
      MAKEGOOD_MAIL_PORT: '0',
      MAKEGOOD_DATA_DIR: dataDir,
      MAKEGOOD_DEMO_SECRET: DEMO_SECRET,
      MAKEGOOD_DEMO_WEBHOOK_URL: webhook.url,
      MAKEGOOD_DEMO_WEBHOOK_SECRET: webhook.secret,
      MAKEGOOD_WEBHOOK_TIMEOUT_MS: '500',
      MAKEGOOD_WEBHOOK_FIRST_RETRY_MS: '100',
      MAKEGOOD_WEBHOOK_MAX_RETRY_MS: '1000',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  });
  children.push(child);
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const apiUrl = `http://127.0.0.1:${port}`;
  // GET /health answers 200 as soon as the tables do, which is before the demo storefront and its
  // policy are seeded; the banner is printed once the stack is ready, so wait for both.
  await eventually(
    'the child stack to be running and answer GET /health',
    async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the stack exited (${child.exitCode ?? child.signalCode}):\n${out}`);
      if (!out.includes('makegood is running')) return undefined;
      const ok = await fetch(`${apiUrl}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      return ok ? true : undefined;
    },
    45_000,
  );
  return { apiUrl, process: child, output: () => out };
}

interface EventBody {
  type: string;
  data: { claimId: string; seq: number };
}

describe('webhooks across a crash', () => {
  it('delivers every event staged before a kill -9, once the stack is started again on the same data', async () => {
    // arrange: a receiver answering 503 to everything, and the stack as `npm start` runs it
    const dataDir = await mkdtemp(join(tmpdir(), 'makegood-webhook-crash-'));
    dirs.push(dataDir);
    const secret = newWebhookSecret();
    let mode: 'unavailable' | 'hang' | 'up' = 'unavailable';
    const receiver = await WebhookReceiver.start(secret, () =>
      mode === 'up' ? { status: 200 } : mode === 'hang' ? { hang: true } : { status: 503 },
    );
    receivers.push(receiver);
    const webhook = { url: receiver.url, secret };
    const first = await startChild(dataDir, webhook);
    const claims = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const posted = await postClaim(first.apiUrl, claimBody());
        if (posted.res.status !== 202)
          throw new Error(`POST /v1/claims answered ${posted.res.status}: ${JSON.stringify(posted.json)}\n${first.output()}`);
        return posted.json.claimId;
      }),
    );
    for (const claimId of claims) await waitForClaim(first.apiUrl, claimId, (c) => c.status === 'settled', 400);
    // The dispatcher's first attempts may come after the claims settle, on a loaded machine.
    await eventually('a first attempt, answered 503', () => (receiver.requests.length > 0 ? true : undefined));
    const before503 = receiver.requests.length;
    // Hold the next attempts open, so that the kill lands with events and the lane leased.
    mode = 'hang';
    await eventually('an attempt in flight at the receiver', () => (receiver.hanging > 0 ? true : undefined));

    // act: kill -9 mid-attempt; the receiver recovers; the stack starts again on the same data
    await killHard(first.process);
    const killedAt = Date.now();
    mode = 'up';
    // The killed stack left its runtime file behind; the new one writes its own.
    await rm(join(dataDir, RUNTIME_FILE), { force: true });
    const second = await startChild(dataDir, webhook);
    const restartedAt = Date.now();
    const env = await eventually('the restarted stack to write its runtime file', () =>
      readFile(join(dataDir, RUNTIME_FILE), 'utf8').then(
        (text) => JSON.parse(text) as Record<string, string>,
        () => undefined,
      ),
    );
    // The child's outbox, read from this process with the stack's own adapter.
    const client = new DynamoDBClient({
      endpoint: env.MAKEGOOD_DYNAMODB_ENDPOINT,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const outboxStore = new DynamoOutbox(DynamoDBDocumentClient.from(client), env.MAKEGOOD_STATE_TABLE ?? '');
    const outbox = await eventually(
      'every event of the claims to be delivered after the restart',
      async () => {
        const items = (await Promise.all(claims.map((id) => outboxStore.claimEvents(id)))).flat();
        return items.length === claims.length * 4 && items.every((e) => e.status === 'delivered') ? items : undefined;
      },
      60_000,
    );

    // assert: events piled up unsent before the crash
    expect(before503).toBeGreaterThan(0);
    expect(receiver.requests.slice(0, before503).every((r) => r.reply === '503')).toBe(true);
    expect(receiver.processed.size).toBe(claims.length * 4);
    // assert: each claim's received, decided, refund asked and settled arrived, under evt_<claim>_<seq>, signed
    for (const claimId of claims) {
      const types = [...receiver.processed.values()]
        .map((p) => JSON.parse(p.body) as EventBody)
        .filter((b) => b.data.claimId === claimId)
        .map((b) => b.type)
        .sort();
      expect(types).toEqual(['claim.decided', 'claim.received', 'claim.settled', 'refund.requested']);
    }
    for (const p of receiver.processed.values()) {
      const body = JSON.parse(p.body) as EventBody;
      expect(p.id).toBe(`evt_${body.data.claimId}_${body.data.seq}`);
    }
    for (const r of receiver.requests) {
      expect(r.verified).toBe(true);
      expect(() => new Webhook(secret).verify(r.body, r.headers)).not.toThrow();
      // the same id carries the same bytes before and after the crash
      expect(r.body).toBe(receiver.processed.get(r.id)?.body);
    }
    expect(outbox.every((e) => e.deliveredAt !== undefined)).toBe(true);
    const lastDelivery = Math.max(...outbox.map((e) => Date.parse(e.deliveredAt ?? '')));
    console.log(
      `[webhook crash figures] ${outbox.length} events, ${receiver.requests.length} requests ` +
        `(${before503} answered 503 before the crash, ${receiver.requests.filter((r) => r.reply === 'hang').length} in flight at the kill), ` +
        `attempts per event max ${Math.max(...outbox.map((e) => e.attempts))}, duplicates ${receiver.duplicates.length}; ` +
        `restart took ${restartedAt - killedAt} ms, last delivery ${lastDelivery - restartedAt} ms after it (leases of the killed stack expire first)`,
    );
    client.destroy();
    await killHard(second.process);
  }, 90_000);
});
