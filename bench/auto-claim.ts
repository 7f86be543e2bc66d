/**
 * What one auto-approved claim costs, end to end on the embedded stack: Step Functions state
 * transitions, Lambda invocations, DynamoDB operations (writes and reads), plus latency from
 * POST to a finished execution and throughput with a few claims in flight.
 *
 *   npm run bench:auto-claim [-- --claims 200 --concurrency 8]
 *
 * Prints figures; asserts nothing.
 */
// First, before anything loads the X-Ray SDK: as under npm start, its async hook stays off (local/tracing-off.ts).
import '#local/tracing-off.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack } from '#local/stack.ts';
import { claimOfKind, fileClaim, untilEnded } from './claims.ts';

const { values } = parseArgs({ options: { claims: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '8' } } });
const total = Number(values.claims);
const concurrency = Number(values.concurrency);
const dataDir = await mkdtemp(join(tmpdir(), 'makegood-bench-'));
// Nothing woken in the background (the webhook dispatcher, the sweeper, the reminders): the counts are the claim's own.
const stack = await startStack({ dataDir, apiPort: 0, mailPort: 0, demoSecret: 'bench-secret', log: () => {}, wakeFunctions: false });

const file = () => fileClaim(stack, 'bench-secret', claimOfKind('auto'));
const untilDone = (claimId: string) => untilEnded(stack, claimId);

function diff(after: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

try {
  for (let i = 0; i < 5; i++) await untilDone(await file()); // warm-up: JIT, table files

  // One claim alone: its exact cost.
  const before = await stack.stats();
  const one = await file();
  await untilDone(one);
  const after = await stack.stats();
  const ops = diff(after.dynamodb, before.dynamodb);
  const writes = (ops.PutItem ?? 0) + (ops.UpdateItem ?? 0) + (ops.DeleteItem ?? 0) + (ops.BatchWriteItem ?? 0);
  const reads = (ops.GetItem ?? 0) + (ops.Query ?? 0) + (ops.Scan ?? 0) + (ops.BatchGetItem ?? 0);
  console.log('One auto-approved claim (POST /v1/claims → settled, outcome email sent):');
  console.log(`  state transitions     ${stack.engine.describe(one)?.transitions}`);
  console.log(`  Lambda invocations    ${JSON.stringify(diff(after.invocations, before.invocations))}`);
  console.log(`  DynamoDB writes       ${writes}  ${JSON.stringify({ PutItem: ops.PutItem ?? 0, UpdateItem: ops.UpdateItem ?? 0 })}`);
  console.log(
    `  DynamoDB reads        ${reads}  ${JSON.stringify({ GetItem: ops.GetItem ?? 0, Query: ops.Query ?? 0, Scan: ops.Scan ?? 0 })}`,
  );

  // Latency, one at a time.
  const latencies: number[] = [];
  for (let i = 0; i < Math.min(total, 100); i++) {
    const t0 = performance.now();
    await untilDone(await file());
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(1);
  console.log(
    `\nLatency POST → execution succeeded, sequential, n=${latencies.length}: p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${pct(100)} ms`,
  );

  // Throughput with several claims in flight.
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await untilDone(await file());
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(`Throughput, ${concurrency} in flight, ${total} claims: ${(total / seconds).toFixed(1)} claims/s (${seconds.toFixed(2)} s)`);
  console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
} finally {
  await stack.close();
  await rm(dataDir, { recursive: true, force: true });
}
