/**
 * How close the embedded stack runs to this machine's floor, measured in one run:
 *
 * 1. raw dynalite: PutItem of ledger-shaped items into the product's ledger table (its three
 *    indexes), from `--clients` concurrent SDK clients, in this process as `npm start` runs it;
 * 2. a no-op Node HTTP server that checks the storefront signature and answers 202, posted to with
 *    the same client and the same signed bodies as intake, at 1, 20 and 100 concurrent clients;
 * 3. makegood as `npm start` runs it (dynalite in its own process): intake latency (POST /v1/claims
 *    → 202) at 1, 20 and 100 concurrent clients posting auto claims, and end to end at `--clients`
 *    clients: claims per second from the first POST to the last execution ended (its outcome email
 *    sent), with the CPU of this process and the DynamoDB calls per claim;
 * 4. end to end again with dynalite in this process, for comparison.
 *
 *   npm run bench:throughput [-- --runs 3 --claims 400 --clients 20 --json FILE]
 *
 * To see what the X-Ray SDK's async hook costs (local/tracing-off.ts keeps it off), run it with
 * `AWS_XRAY_MANUAL_MODE=` (empty: the SDK's automatic mode).
 *
 * Each run does all four, in that order; figures are medians over the runs with their min–max.
 * Prints figures; asserts nothing.
 */
// First, before anything loads the X-Ray SDK: as under npm start, its async hook stays off (local/tracing-off.ts).
import '#local/tracing-off.ts';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { sdkLogger } from '#adapters/deps.ts';
import { signatureHeader, verifyStorefrontSignature } from '#domain/signature.ts';
import { startDynamo } from '#local/emulators.ts';
import { ensureTables } from '#local/seed.ts';
import { startStack } from '#local/stack.ts';
import { claimOfKind, fileClaim, untilEnded } from './claims.ts';
import { describeMachine, formatSummary, machine, percentile, type Summary, summary, wholeArg, writeJson } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    claims: { type: 'string', default: '400' },
    clients: { type: 'string', default: '20' },
    puts: { type: 'string', default: '4000' },
    json: { type: 'string' },
  },
});
const runs = wholeArg('runs', values.runs);
const claims = wholeArg('claims', values.claims);
const clients = wholeArg('clients', values.clients);
const puts = wholeArg('puts', values.puts);
const LATENCY_CLIENTS = [1, 20, 100] as const;
/** Requests per latency measurement at `c` clients: enough for a p99 (at least 100 samples). */
const requestsAt = (c: number) => Math.max(100, c * 5);
const SECRET = 'bench-secret';

/** Runs `task` `total` times from `concurrency` loops; the latency of each call, in ms. */
async function closedLoop(total: number, concurrency: number, task: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await task();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies;
}

const pcts = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) });

/** 1. PutItem per second into a fresh ledger table. */
async function rawDynalite(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'makegood-bench-raw-'));
  const dynamo = await startDynamo(dir, 0);
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    logger: sdkLogger,
  });
  try {
    await ensureTables(client, 'ledger', 'state');
    const body = 'x'.repeat(900); // a ledger entry is about 1 KB
    let i = 0;
    const started = performance.now();
    await closedLoop(puts, clients, async () => {
      const n = i++;
      await client.send(
        new PutItemCommand({
          TableName: 'ledger',
          Item: {
            pk: { S: `CLAIM#clm_${n}` },
            sk: { S: '00000001' },
            orderKey: { S: `demo#ORD-${n}` },
            customerKey: { S: `demo#C-${n}` },
            dayKey: { S: 'demo#2026-12-04' },
            timeKey: { S: `${new Date().toISOString()}#${n}` },
            body: { S: body },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    });
    return puts / ((performance.now() - started) / 1000);
  } finally {
    client.destroy();
    await dynamo.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Signed POSTs of auto claims, as intake gets them. */
function signedClaimRequest(url: string): () => Promise<Response> {
  return () => {
    const raw = JSON.stringify(claimOfKind('auto'));
    return fetch(`${url}/v1/claims`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        'x-makegood-storefront': 'demo',
        'x-makegood-signature': signatureHeader(SECRET, Math.floor(Date.now() / 1000), 'POST', '/v1/claims', raw),
      },
      body: raw,
    });
  };
}

/** 2. The no-op server's latency at each client count. */
async function noopServer(): Promise<Record<number, ReturnType<typeof pcts>>> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['x-makegood-signature'];
      const ok = verifyStorefrontSignature({
        header: typeof header === 'string' ? header : undefined,
        secret: SECRET,
        method: 'POST',
        pathWithQuery: req.url ?? '',
        rawBody,
        now: new Date(),
      });
      const id = createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
      res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { claimId: `clm_${id}`, status: 'received' } : { error: { code: 'unauthorized' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const post = signedClaimRequest(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const out: Record<number, ReturnType<typeof pcts>> = {};
  try {
    for (const c of LATENCY_CLIENTS)
      out[c] = pcts(
        await closedLoop(requestsAt(c), c, async () => {
          const res = await post();
          if (res.status !== 202) throw new Error(`the no-op server answered ${res.status}`);
          await res.arrayBuffer();
        }),
      );
  } finally {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }
  return out;
}

/** 3. makegood: intake latency at each client count, then end to end, with dynalite where `dynalite` says. */
async function makegood(dynalite: 'in-process' | 'own-process', measureLatency: boolean) {
  const dataDir = await mkdtemp(join(tmpdir(), 'makegood-bench-tp-'));
  const stack = await startStack({ dataDir, apiPort: 0, mailPort: 0, demoSecret: SECRET, wakeFunctions: false, log: () => {}, dynalite });
  const file = async (ids: string[]) => {
    ids.push(await fileClaim(stack, SECRET, claimOfKind('auto')));
  };
  try {
    for (let i = 0; i < 10; i++) await untilEnded(stack, await fileClaim(stack, SECRET, claimOfKind('auto'))); // warm-up
    const intake: Record<number, ReturnType<typeof pcts>> = {};
    for (const c of measureLatency ? LATENCY_CLIENTS : []) {
      const ids: string[] = [];
      intake[c] = pcts(await closedLoop(requestsAt(c), c, () => file(ids)));
      for (const id of ids) await untilEnded(stack, id); // the next measurement starts from a quiet stack
    }
    const ids: string[] = [];
    const before = { cpu: process.cpuUsage(), ops: (await stack.stats()).dynamodb };
    const started = performance.now();
    await closedLoop(claims, clients, () => file(ids));
    await Promise.all(ids.map((id) => untilEnded(stack, id)));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(before.cpu);
    const after = (await stack.stats()).dynamodb;
    const calls = Object.entries(after).reduce((s, [op, n]) => s + n - (before.ops[op] ?? 0), 0);
    return {
      intake,
      claimsPerSecond: claims / seconds,
      cpuMsPerClaim: (cpu.user + cpu.system) / 1000 / claims,
      dynamodbCallsPerClaim: calls / claims,
    };
  } finally {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

type Makegood = Awaited<ReturnType<typeof makegood>>;
const samples: { raw: number; noop: Record<number, ReturnType<typeof pcts>>; mg: Makegood; shared: Makegood }[] = [];
for (let r = 0; r < runs; r++)
  samples.push({
    raw: await rawDynalite(),
    noop: await noopServer(),
    // As `npm start` runs it: dynalite in its own process.
    mg: await makegood('own-process', true),
    // For comparison: everything in one process, as before.
    shared: await makegood('in-process', false),
  });

const at = (pick: (s: (typeof samples)[number]) => number): Summary => summary(samples.map(pick));
const latency = (source: 'noop' | 'intake') =>
  Object.fromEntries(
    LATENCY_CLIENTS.map((c) => [
      c,
      Object.fromEntries(
        (['p50', 'p95', 'p99'] as const).map((p) => [p, at((s) => (source === 'noop' ? s.noop : s.mg.intake)[c]?.[p] ?? Number.NaN)]),
      ),
    ]),
  ) as Record<number, Record<'p50' | 'p95' | 'p99', Summary>>;
/** Whether the X-Ray SDK made its namespace, whose async hook tracks every promise. */
const xrayHook = Boolean((process as { namespaces?: Record<string, unknown> }).namespaces?.AWSXRay);
const result = {
  machine: machine(),
  command: `npm run bench:throughput -- --runs ${runs} --claims ${claims} --clients ${clients} --puts ${puts}`,
  clients,
  claims,
  xrayHook,
  rawDynalitePutsPerSecond: at((s) => s.raw),
  endToEndClaimsPerSecond: at((s) => s.mg.claimsPerSecond),
  endToEndOneProcessClaimsPerSecond: at((s) => s.shared.claimsPerSecond),
  cpuMsPerClaimOneProcess: at((s) => s.shared.cpuMsPerClaim),
  cpuMsPerClaim: at((s) => s.mg.cpuMsPerClaim),
  dynamodbCallsPerClaim: at((s) => s.mg.dynamodbCallsPerClaim),
  putsPerClaimRatio: at((s) => s.raw / s.mg.claimsPerSecond),
  noopLatencyMs: latency('noop'),
  intakeLatencyMs: latency('intake'),
  p99RatioAt20: at((s) => (s.mg.intake[20]?.p99 ?? Number.NaN) / (s.noop[20]?.p99 ?? Number.NaN)),
};

console.log(`${runs} runs, ${describeMachine()}; median (min–max); X-Ray SDK's async hook ${xrayHook ? 'on' : 'off'}`);
console.log(`  raw dynalite PutItem, ${clients} clients:       ${formatSummary(result.rawDynalitePutsPerSecond)} puts/s`);
console.log(
  `  makegood end to end, ${clients} clients, ${claims} auto claims: ${formatSummary(result.endToEndClaimsPerSecond, 1)} claims/s`,
);
console.log(`    raw puts/s per claim/s:                    ${formatSummary(result.putsPerClaimRatio, 1)} (aim: at most 6)`);
console.log(`    CPU per claim (this process):              ${formatSummary(result.cpuMsPerClaim, 1)} ms`);
console.log(`    DynamoDB calls per claim:                  ${formatSummary(result.dynamodbCallsPerClaim, 1)}`);
console.log(
  `  the same with dynalite in this process:     ${formatSummary(result.endToEndOneProcessClaimsPerSecond, 1)} claims/s, ${formatSummary(result.cpuMsPerClaimOneProcess, 1)} ms CPU per claim`,
);
console.log('  latency, ms              p50              p95              p99');
for (const c of LATENCY_CLIENTS)
  for (const [name, source] of [
    ['no-op server', result.noopLatencyMs],
    ['makegood intake', result.intakeLatencyMs],
  ] as const)
    console.log(
      `    ${`${name}, ${c}`.padEnd(22)} ${(['p50', 'p95', 'p99'] as const).map((p) => formatSummary(source[c]?.[p] as Summary, 1).padEnd(24)).join('')}`,
    );
console.log(`  intake p99 / no-op p99 at 20 clients:        ${formatSummary(result.p99RatioAt20, 1)} (aim: at most 3)`);
await writeJson(values.json, result);
