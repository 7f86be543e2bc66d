// What atomic item writes (local/dynalite-atomic.ts) cost dynalite: PutItem throughput with and
// without them, and the boot-time index repair's time per item.
//   npm run bench:embedded-store -- [--items 20000] [--clients 20] [--runs 3]
// Each variant runs in its own process (the patch is process-wide); the figures are medians of
// --runs runs with their min–max.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { installAtomicWrites, repairIndexes, storeOf } from '#local/dynalite-atomic.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    variant: { type: 'string' },
  },
});
const items = Number(values.items);
const clients = Number(values.clients);

/** One run in this process: puts/s, then the repair over what was written. */
async function once(atomic: boolean) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = await mkdtemp(join(tmpdir(), 'makegood-bench-store-'));
  if (atomic) installAtomicWrites();
  const options = { path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
  const server = dynalite(options);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  // The ledger table's shape: a composite key and two GSIs with every attribute projected.
  await client.send(
    new CreateTableCommand({
      TableName: 'bench',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: ['pk', 'sk', 'g1', 'g2'].map((n) => ({ AttributeName: n, AttributeType: 'S' as const })),
      GlobalSecondaryIndexes: ['g1', 'g2'].map((g) => ({
        IndexName: `by-${g}`,
        KeySchema: [
          { AttributeName: g, KeyType: 'HASH' as const },
          { AttributeName: 'sk', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < items; i = next++)
        await client.send(
          new PutItemCommand({
            TableName: 'bench',
            Item: {
              pk: { S: `CLAIM#${i}` },
              sk: { S: `${String(i).padStart(8, '0')}` },
              g1: { S: 'SF#demo' },
              g2: { S: `DAY#${i % 90}` },
              body: { S: 'x'.repeat(400) },
            },
          }),
        );
    }),
  );
  const putsPerSecond = items / ((performance.now() - started) / 1000);
  const repairStarted = performance.now();
  const repair = atomic ? await repairIndexes(storeOf(options)) : undefined;
  const repairMs = performance.now() - repairStarted;
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
  return { putsPerSecond, repairMs, repaired: repair ? repair.orphans + repair.rewritten : 0 };
}

if (values.variant) {
  // A child run: print one JSON line.
  const result = await once(values.variant === 'atomic');
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const runs = Number(values.runs);
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, min: s[0] ?? 0, max: s[s.length - 1] ?? 0 };
};
const fmt = (x: { median: number; min: number; max: number }, digits = 0) =>
  `${x.median.toFixed(digits)} (${x.min.toFixed(digits)}–${x.max.toFixed(digits)})`;
const results: Record<string, Array<{ putsPerSecond: number; repairMs: number }>> = { own: [], atomic: [] };
for (let r = 0; r < runs; r++)
  for (const variant of ['own', 'atomic'] as const) {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, '--variant', variant, '--items', String(items), '--clients', String(clients)],
      {
        encoding: 'utf8',
      },
    );
    results[variant]?.push(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
  }
console.log(`dynalite PutItem, ${items} items of ~450 bytes with 2 GSIs, ${clients} concurrent clients, ${runs} runs each`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
const own = stat((results.own ?? []).map((x) => x.putsPerSecond));
const atomic = stat((results.atomic ?? []).map((x) => x.putsPerSecond));
console.log(`  dynalite's own writes (index rows, then the item):   ${fmt(own)} puts/s`);
console.log(
  `  atomic writes (item and index rows in one batch):    ${fmt(atomic)} puts/s (${((atomic.median / own.median - 1) * 100).toFixed(1)} %)`,
);
const repair = stat((results.atomic ?? []).map((x) => x.repairMs));
console.log(
  `  boot-time index check over ${items} items:           ${fmt(repair)} ms (${((repair.median / items) * 1000).toFixed(1)} µs per item)`,
);
