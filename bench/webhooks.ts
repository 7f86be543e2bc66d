/**
 * What webhooks cost and how fast they arrive, on the embedded stack with a local receiver that
 * answers 204:
 * 1. the DynamoDB operations one auto claim adds to its own path (staging its events), and those
 *    its delivery takes (the dispatcher invoked by hand, once, with the timer off);
 * 2. the delay from each step's ledger time to the receiver, with the dispatcher woken every
 *    250 ms as `npm start` does, for `--claims` claims.
 *
 *   npx tsx bench/webhooks.ts [-- --claims 50]
 *
 * Prints figures; asserts nothing.
 */
// First, before anything loads the X-Ray SDK: as under npm start, its async hook stays off (local/tracing-off.ts).
import '#local/tracing-off.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunningStack, startStack } from '#local/stack.ts';
import { claimOfKind, fileClaim, untilEnded } from './claims.ts';

const { values } = parseArgs({ options: { claims: { type: 'string', default: '50' } } });
const total = Number(values.claims);
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const received: { id: string; type: string; at: number; sentAt: number }[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; timestamp: string };
    received.push({ id: String(req.headers['webhook-id']), type: body.type, at: Date.now(), sentAt: Date.parse(body.timestamp) });
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

const file = (stack: RunningStack) => fileClaim(stack, 'bench-secret', claimOfKind('auto'));

function counts(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>) {
  const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  return {
    writes: d('PutItem') + d('UpdateItem'),
    PutItem: d('PutItem'),
    UpdateItem: d('UpdateItem'),
    reads: d('GetItem') + d('Query'),
    GetItem: d('GetItem'),
    Query: d('Query'),
  };
}

const boot = async (wakeFunctions: boolean) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'makegood-bench-wh-'));
  const stack = await startStack({
    dataDir,
    apiPort: 0,
    mailPort: 0,
    demoSecret: 'bench-secret',
    demoWebhook: { url, secret },
    wakeFunctions,
    log: () => {},
  });
  return { stack, dataDir };
};

// 1. Exact counts: the dispatcher off, then invoked by hand.
{
  const { stack, dataDir } = await boot(false);
  const { handler } = (await import('#handlers/dispatch-webhooks.ts')) as { handler: (e: unknown) => Promise<unknown> };
  try {
    for (let i = 0; i < 3; i++) await untilEnded(stack, await file(stack));
    await handler({ storefronts: ['demo'] }); // warm-up deliveries
    received.length = 0;
    const before = (await stack.stats()).dynamodb;
    const one = await file(stack);
    await untilEnded(stack, one);
    const path = (await stack.stats()).dynamodb;
    await handler({ storefronts: ['demo'] });
    const after = (await stack.stats()).dynamodb;
    const events = received.length;
    const onPath = counts(path, before);
    const delivery = counts(after, path);
    console.log(
      `One auto claim, with the demo storefront's webhook set (${events} events delivered: ${received.map((r) => r.type).join(', ')}):`,
    );
    console.log(
      `  on the claim's path   writes ${onPath.writes} (PutItem ${onPath.PutItem}, UpdateItem ${onPath.UpdateItem}), reads ${onPath.reads} (GetItem ${onPath.GetItem}, Query ${onPath.Query})`,
    );
    console.log(
      `  delivering them       writes ${delivery.writes} (PutItem ${delivery.PutItem}, UpdateItem ${delivery.UpdateItem}), reads ${delivery.reads} (GetItem ${delivery.GetItem}, Query ${delivery.Query}), in one dispatcher run`,
    );
  } finally {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// 2. Delay from the step to the receiver, woken every 250 ms.
{
  const { stack, dataDir } = await boot(true);
  try {
    received.length = 0;
    for (let i = 0; i < total; i++) await untilEnded(stack, await file(stack));
    const expected = total * 3;
    for (let i = 0; i < 400 && new Set(received.map((r) => r.id)).size < expected; i++) await new Promise((r) => setTimeout(r, 50));
    const delays = received.map((r) => r.at - r.sentAt).sort((a, b) => a - b);
    const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))];
    const ids = new Set(received.map((r) => r.id)).size;
    console.log(`\n${total} claims one after another: ${ids} of ${expected} events arrived (${received.length} requests)`);
    console.log(`  delay ledger step → receiver: p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${pct(100)} ms`);
    console.log(`  dispatcher invocations: ${(await stack.stats()).invocations.DispatchWebhooks ?? 0}`);
  } finally {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
receiver.close();
console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
