/**
 * How fast finance can read the ledger: fills the embedded ledger (dynalite on disk) with
 * `--entries` entries, then times `verify` (every chain by claim key, every order total) and
 * export-style paging through the storefront-day index, in entries per second.
 *
 *   npm run bench:ledger [-- --entries 1000000 --days 30 --data-dir DIR --concurrency 16 --fill-only --window-days N]
 *
 * dynalite runs in its own process, as it does under `npm start`, while this process plays the
 * CLI. The fill writes with BatchWriteItem straight to the tables: only this benchmark does that;
 * the product appends one conditional PutItem at a time. Pass `--data-dir` to keep the filled
 * ledger and measure it again without refilling. Prints figures; asserts nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLedger, entryItem } from '#adapters/dynamo-ledger.ts';
import { DynamoState } from '#adapters/dynamo-state.ts';
import { type ClaimRef, chainEntry, type EntryDraft, type LedgerEntry, settlementPostings } from '#domain/ledger.ts';
import { grantedBy } from '#domain/ledger-audit.ts';
import { money } from '#domain/money.ts';
import { ensureTables } from '#local/seed.ts';
import { claimsInWindow, mapLimit, verifyLedger } from '#usecases/ledger-verify.ts';
import { batchWrite, benchClients, serveDynamo, stopDynamo } from './dynalite.ts';
import { machine, writeJson } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const LEDGER = 'makegood-bench-ledger';
const STATE = 'makegood-bench-state';
const STOREFRONT = 'bench';
const ENTRIES_PER_CLAIM = 5;
const FIRST_DAY = Date.parse('2026-10-01T00:00:00Z');

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '30' },
    'data-dir': { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    'fill-only': { type: 'boolean' },
    'window-days': { type: 'string' },
    // The SDK's own logger instead of the product's (deps.ts's sdkLogger), whose lack of `info` spares the SDK its log filter.
    'sdk-default-logger': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

/** Every timed measurement, for `--json` (npm run bench). */
const measured: { label: string; entries: number; seconds: number; entriesPerSecond: number; clientCpuS: number; dynaliteCpuS: number }[] =
  [];

const system = { kind: 'system' } as const;

/** CPU seconds used so far by this process and by the dynalite child (from /proc). */
async function cpuSeconds(child: ChildProcess): Promise<{ client: number; dynalite: number }> {
  const own = process.cpuUsage();
  let dynalite = Number.NaN;
  try {
    const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    dynalite = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    // not Linux: no figure
  }
  return { client: (own.user + own.system) / 1e6, dynalite };
}

/** Times `work`, with the CPU each side spent, and prints one line. */
async function timed<T>(child: ChildProcess, label: string, count: (r: T) => number, work: () => Promise<T>): Promise<T> {
  const cpu0 = await cpuSeconds(child);
  const t = performance.now();
  const r = await work();
  const s = (performance.now() - t) / 1000;
  const cpu1 = await cpuSeconds(child);
  const n = count(r);
  measured.push({
    label,
    entries: n,
    seconds: s,
    entriesPerSecond: n / s,
    clientCpuS: cpu1.client - cpu0.client,
    dynaliteCpuS: cpu1.dynalite - cpu0.dynalite,
  });
  console.log(
    `${label}: ${n} entries in ${s.toFixed(1)} s = ${Math.round(n / s)} entries/s (CPU: client ${(cpu1.client - cpu0.client).toFixed(1)} s, dynalite ${(cpu1.dynalite - cpu0.dynalite).toFixed(1)} s)`,
  );
  return r;
}

/** A claim's five entries, shaped and sized like the product's (received, decided, refund, credit, email). */
function claimChain(i: number, days: number): LedgerEntry[] {
  const claimId = `clm_bench_${String(i).padStart(8, '0')}`;
  const ref: ClaimRef = { claimId, storefrontId: STOREFRONT, orderId: `ORD-${i}`, customerId: `C-${i % 50_000}`, currency: 'EUR' };
  // Spread over the days; a claim's steps follow each other by a few minutes.
  const start = FIRST_DAY + (i % days) * 86_400_000 + ((i * 7919) % 86_000) * 1000;
  const cash = 1000 + (i % 9000);
  const credit = 200 + (i % 800);
  const postings = settlementPostings(money(cash, 'EUR'), money(0, 'EUR'), money(credit, 'EUR'));
  const reasons = ['damaged', 'defective', 'late_delivery', 'wrong_item', 'not_received'] as const;
  const drafts: EntryDraft[] = [
    {
      type: 'received',
      step: 'received',
      status: 'received',
      actor: { kind: 'storefront', id: STOREFRONT },
      policyVersion: null,
      data: {
        claim: {
          order: {
            id: ref.orderId,
            placedAt: '2026-09-20T10:00:00Z',
            deliveredAt: '2026-09-22T10:00:00Z',
            currency: 'EUR',
            paid: 20000,
            shipping: 499,
            items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
          },
          customer: { id: ref.customerId, email: `c${i}@example.com`, name: 'Ann', locale: 'en' },
          complaint: {
            reason: reasons[i % reasons.length] ?? 'damaged',
            items: [{ sku: 'CHOC-BOX', quantity: 1 }],
            desiredOutcome: 'refund',
            message: 'The box arrived crushed.',
            channel: 'web',
            evidence: ['https://shop.example/uploads/123.jpg'],
          },
        },
        idempotencyKey: `key-${i}`,
      },
    },
    {
      type: 'decided',
      step: 'decided#1',
      status: 'assessing',
      actor: system,
      policyVersion: 1,
      data: {
        decision: {
          outcome: 'refund_without_return',
          cash: { amount: cash, currency: 'EUR' },
          storeCredit: { amount: credit, currency: 'EUR' },
          goodwill: { amount: credit, currency: 'EUR' },
          returnRequired: false,
          tier: 'auto',
          policyVersion: 1,
          rules: [
            { id: 'perishable', text: 'Food is never sent back: refunded on evidence of damage' },
            { id: 'apology-credit', text: 'The shop was at fault: an apology credit of 10 %' },
          ],
          units: [{ sku: 'CHOC-BOX', quantity: 1 }],
        },
      },
    },
    {
      type: 'refund_settled',
      step: 'refund-settled',
      status: 'assessing',
      actor: system,
      policyVersion: 1,
      data: { amount: { amount: cash, currency: 'EUR' }, method: 'original_payment' },
      postings: postings.refund,
    },
    {
      type: 'credit_issued',
      step: 'credit-issued',
      status: 'assessing',
      actor: system,
      policyVersion: 1,
      data: { amount: { amount: credit, currency: 'EUR' }, goodwill: { amount: credit, currency: 'EUR' } },
      postings: postings.credit,
    },
    {
      type: 'email_sent',
      step: 'email:outcome',
      status: 'settled',
      actor: system,
      policyVersion: 1,
      data: { kind: 'outcome', to: `c${i}@example.com`, subject: 'Your claim', messageId: `msg-${i}` },
    },
  ];
  const chain: LedgerEntry[] = [];
  drafts.forEach((d, k) => {
    chain.push(chainEntry(ref, chain.at(-1), d, new Date(start + k * 60_000)));
  });
  return chain;
}

/** Fills the ledger and the order totals; returns seconds taken. */
async function fill(db: DynamoDBDocumentClient, claims: number, days: number, concurrency: number): Promise<number> {
  const started = performance.now();
  const BATCH_CLAIMS = 5; // 25 entries: one BatchWriteItem
  const batches = Array.from({ length: Math.ceil(claims / BATCH_CLAIMS) }, (_, b) => b);
  let done = 0;
  await mapLimit(batches, concurrency, async (b) => {
    const ids = Array.from({ length: Math.min(BATCH_CLAIMS, claims - b * BATCH_CLAIMS) }, (_, k) => b * BATCH_CLAIMS + k);
    const chains = ids.map((i) => claimChain(i, days));
    await batchWrite(db, LEDGER, chains.flat().map(entryItem));
    await batchWrite(
      db,
      STATE,
      chains.map((chain) => {
        const e = chain[0] as LedgerEntry;
        // What the product's running total holds: refund value, goodwill left out (ledger-audit.ts).
        const granted = chain.reduce((s, x) => s + grantedBy(x), 0);
        return { pk: `ORDER#${STOREFRONT}#${e.orderId}`, sk: 'TOTAL', granted, paid: 20000, currency: 'EUR', claims: new Set([e.claimId]) };
      }),
    );
    done += ids.length;
    if (done % 20_000 < BATCH_CLAIMS) {
      const s = (performance.now() - started) / 1000;
      process.stderr.write(
        `  filled ${done * ENTRIES_PER_CLAIM} entries in ${s.toFixed(0)} s (${Math.round((done * ENTRIES_PER_CLAIM) / s)} entries/s)\n`,
      );
    }
  });
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const entries = Number(values.entries);
  const days = Number(values.days);
  const concurrency = Number(values.concurrency);
  const claims = Math.ceil(entries / ENTRIES_PER_CLAIM);
  const dataDir = values['data-dir'] ?? (await mkdtemp(join(tmpdir(), 'makegood-bench-ledger-')));
  const marker = join(dataDir, 'bench-filled.json');
  const disk = await statfs(tmpdir());
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`free disk under ${tmpdir()}: ${((disk.bavail * disk.bsize) / 2 ** 30).toFixed(1)} GiB; data in ${dataDir}`);
  const { url, child } = await serveDynamo(join(dataDir, 'dynamodb'));
  const { client, db } = benchClients(url, { sdkDefaultLogger: values['sdk-default-logger'] });
  try {
    await ensureTables(client, LEDGER, STATE);
    const filled = existsSync(marker) ? (JSON.parse(await readFile(marker, 'utf8')) as { claims: number; days: number }) : undefined;
    if (filled && (filled.claims !== claims || filled.days !== days))
      throw new Error(`${dataDir} holds ${filled.claims} claims over ${filled.days} days, not ${claims} over ${days}`);
    if (!filled) {
      console.log(
        `filling ${claims * ENTRIES_PER_CLAIM} entries (${claims} claims × ${ENTRIES_PER_CLAIM}, ${days} days) with BatchWriteItem …`,
      );
      const s = await fill(db, claims, days, 8);
      await writeFile(marker, JSON.stringify({ claims, days }));
      console.log(
        `fill: ${s.toFixed(1)} s, ${Math.round((claims * ENTRIES_PER_CLAIM) / s)} entries/s (ledger entries + ${claims} order totals)`,
      );
    }
    if (values['fill-only']) return;
    const clock = { now: () => new Date() };
    const ledger = new DynamoLedger(db, LEDGER, clock);
    const state = new DynamoState(db, STATE);
    // `--window-days` measures the first days only: 3 of 30 days is a tenth of the ledger.
    const windowDays = Math.min(days, Number(values['window-days'] ?? days));
    const window = { from: new Date(FIRST_DAY), to: new Date(FIRST_DAY + windowDays * 86_400_000) };
    console.log(
      `measuring ${windowDays} of ${days} days (${window.from.toISOString()} ≤ at < ${window.to.toISOString()}), concurrency ${concurrency}`,
    );

    // verify: the same use case as `makegood ledger verify --storefront bench`.
    const result = await timed(
      child,
      'verify (index pages + batched totals; claims in doubt by key)',
      (r) => r.entries,
      () => verifyLedger({ storefrontId: STOREFRONT, ...window, concurrency }, { ledger, state }),
    );
    console.log(
      `  ${result.claims} claims, ${result.orders} orders, ${result.indexed} entries listed by the index, ${result.problems.length} problems`,
    );
    // A problem means the fill no longer builds what verify accepts, and verify took its slow path.
    for (const p of result.problems.slice(0, 3)) console.log(`  problem: ${JSON.stringify(p)}`);

    // export-style paging: one cursor through the storefront-day index, pages of 1,000.
    await timed(
      child,
      'export paging (one cursor, pages of 1,000)',
      (n) => n,
      async () => {
        let paged = 0;
        let cursor: string | undefined;
        do {
          const page = await ledger.storefrontEntries({ storefrontId: STOREFRONT, ...window, limit: 1000, ...(cursor ? { cursor } : {}) });
          paged += page.entries.length;
          cursor = page.next ?? undefined;
        } while (cursor);
        return paged;
      },
    );

    // the same read, days in parallel (what verify and report do to list claims).
    await timed(
      child,
      'index paging (8 days in parallel)',
      (r) => r.indexed,
      () => claimsInWindow(ledger, STOREFRONT, window.from, window.to),
    );
  } finally {
    client.destroy();
    await stopDynamo(child);
    if (!values['data-dir']) await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
await writeJson(values.json, { machine: machine(), measured });
