/**
 * How fast `makegood policy simulate` replays: builds a storefront's ledger in memory (`--claims`
 * claims over 90 days, by customers with one to five claims each, every claim received, decided
 * by the demo policy as assess does, and a third of them settled), then times `simulate` on it
 * against a draft that raises the keep-it threshold and lowers the agent's limit: claims replayed
 * per second (each claim decided twice, with its history rebuilt under each policy). The read
 * from the ledger is not in this figure: `--read` measures it, and the command prints it on every
 * run (`Read … in … ms`).
 *
 *   npm run bench:simulate [-- --claims 100000 --runs 5 --read]
 *
 * With `--read`, the ledger is then written to dynalite and the command's use case
 * (`simulatePolicy`) is timed on it, its reads apart from its replay.
 *
 * Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoLedger, entryItem } from '#adapters/dynamo-ledger.ts';
import { DynamoState } from '#adapters/dynamo-state.ts';
import { type OrderFacts, orderFactsOf, parseClaimRequest } from '#domain/claim.ts';
import { decide } from '#domain/decide.ts';
import { customerHistory } from '#domain/history.ts';
import { chainEntry, decisionData, type LedgerEntry, settlementPostings } from '#domain/ledger.ts';
import { money } from '#domain/money.ts';
import { type PolicyVersion, policySchema } from '#domain/policy.ts';
import { simulate } from '#domain/simulate.ts';
import { ensureTables } from '#local/seed.ts';
import { mapLimit } from '#usecases/ledger-verify.ts';
import { simulatePolicy } from '#usecases/simulate-policy.ts';
import { batchWrite, benchClients, serveDynamo, stopDynamo } from './dynalite.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({
  options: { claims: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' }, read: { type: 'boolean' } },
});
const CLAIMS = Number(values.claims);
const RUNS = Number(values.runs);
const DAY_MS = 86_400_000;
const TO = Date.parse('2026-12-01T00:00:00Z');
const FROM = TO - 90 * DAY_MS;

const document = JSON.parse(readFileSync(new URL('../policies/demo.json', import.meta.url), 'utf8'));
const v1: PolicyVersion = {
  storefrontId: document.storefrontId,
  version: 1,
  policy: policySchema.parse(document),
  publishedAt: '2026-01-01T00:00:00Z',
};
const draft = policySchema.parse({
  ...document,
  keepItThreshold: 4000,
  approval: {
    ...document.approval,
    tiers: document.approval.tiers.map((t: { limit: number | null }, i: number) => (i === 1 ? { ...t, limit: 8000 } : t)),
  },
});

/** A deterministic pseudo-random sequence, so every run builds the same ledger. */
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const PRICES = [900, 1500, 2500, 3000, 4500, 8900, 15000, 30000];
const REASONS = ['defective', 'damaged', 'not_as_described', 'wrong_item'] as const;
const MESSAGES = [
  'It broke after two days of normal use.',
  'The handle came off the first time I used it, which is disappointing.',
  'Not what the photos showed at all; the colour is completely different.',
  'You sent the wrong size. I need this sorted before the weekend or I will buy elsewhere.',
  'Arrived with a crack along the side.',
  'Stopped working. I will contact my bank if this is not refunded.',
];

/** Each order's facts as intake pinned them (the command reads them by GetItem). */
const pinned = new Map<string, OrderFacts>();

function buildLedger(): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  let made = 0;
  for (let c = 0; made < CLAIMS; c++) {
    const customerId = `C-${c}`;
    const own: LedgerEntry[] = [];
    const count = Math.min(CLAIMS - made, 1 + Math.floor(rand() * 5));
    const times = Array.from({ length: count }, () => FROM + Math.floor(rand() * 90 * DAY_MS)).sort((a, b) => a - b);
    for (const at of times) {
      const claimId = `clm_${made++}`;
      const price = PRICES[Math.floor(rand() * PRICES.length)] as number;
      const claim = parseClaimRequest({
        order: {
          id: `ORD-${claimId}`,
          placedAt: new Date(at - 9 * DAY_MS).toISOString(),
          deliveredAt: new Date(at - 5 * DAY_MS).toISOString(),
          currency: 'EUR',
          paid: price,
          shipping: 0,
          items: [{ sku: 'SKU-1', name: 'Thing', category: 'kitchen', quantity: 1, unitPrice: price }],
        },
        customer: { id: customerId, email: `${customerId}@example.com`, name: 'Ann', locale: 'en' },
        complaint: {
          reason: REASONS[Math.floor(rand() * REASONS.length)],
          items: [{ sku: 'SKU-1', quantity: 1 }],
          desiredOutcome: 'refund',
          // A message of its own per claim, as customers write: no two claims share one.
          message: `${MESSAGES[Math.floor(rand() * MESSAGES.length)]} Order ${claimId}.`,
          channel: 'web',
          evidence: ['https://shop.example/1.jpg'],
        },
      });
      pinned.set(claim.order.id, orderFactsOf(claim));
      const ref = { claimId, storefrontId: v1.storefrontId, orderId: claim.order.id, customerId, currency: 'EUR' };
      const received = chainEntry(
        ref,
        undefined,
        {
          type: 'received',
          step: 'received',
          status: 'received',
          actor: { kind: 'system' },
          policyVersion: null,
          data: { claim, idempotencyKey: claimId },
        },
        new Date(at),
      );
      const now = new Date(at + 200);
      const history = customerHistory({
        entries: own,
        policy: v1.policy,
        now,
        currentClaimId: claimId,
        orderGranted: money(0, 'EUR'),
      });
      const decision = decide(claim, v1, history, now);
      const decided = chainEntry(
        ref,
        received,
        {
          type: 'decided',
          step: 'decided#1',
          status: 'assessing',
          actor: { kind: 'system' },
          policyVersion: 1,
          data: { ...decisionData(decision), history: JSON.parse(JSON.stringify(history)) },
        },
        now,
      );
      own.push(received, decided);
      if (decision.outcome !== 'rejected' && rand() < 1 / 3) {
        const { refund } = settlementPostings(decision.cash, money(0, 'EUR'), money(0, 'EUR'));
        own.push(
          chainEntry(
            ref,
            decided,
            {
              type: 'refund_settled',
              step: 'refund',
              status: 'settled',
              actor: { kind: 'system' },
              policyVersion: 1,
              data: { amount: { ...decision.cash }, method: 'original_payment' },
              postings: refund,
            },
            new Date(at + 400),
          ),
        );
      }
    }
    entries.push(...own);
  }
  return entries;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const built = performance.now();
const entries = buildLedger();
console.log(
  `Policy replay (functions/domain/simulate.ts), ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log(`Ledger: ${CLAIMS} claims, ${entries.length} entries, built in memory in ${((performance.now() - built) / 1000).toFixed(1)} s`);
const rates: number[] = [];
let last: ReturnType<typeof simulate> | undefined;
for (let run = 0; run < RUNS; run++) {
  const t = performance.now();
  last = simulate({
    storefrontId: v1.storefrontId,
    from: new Date(FROM),
    to: new Date(TO),
    entries,
    versions: [v1],
    draft,
    pinned,
  });
  rates.push(last.claims / ((performance.now() - t) / 1000));
}
console.log(
  `Replayed ${last?.claims} claims (${last?.changed} changed, ${last?.mismatches.length} mismatches, ${last?.skipped.length} skipped) ${RUNS} times`,
);
console.log(
  `claims replayed/s: median ${Math.round(median(rates))} (min ${Math.round(Math.min(...rates))}, max ${Math.round(Math.max(...rates))}; the first run, cold as the command's one run is: ${Math.round(rates[0] as number)})`,
);

/**
 * `--read`: the same ledger in the embedded stack's store (dynalite on disk, in its own process),
 * then the whole command's use case, timed: its reads (the window by the storefront-day index,
 * each customer by the customer index, each order's facts by key) apart from its replay.
 */
async function measureRead(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'makegood-bench-simulate-'));
  const { url, child } = await serveDynamo(dataDir);
  const { client, db } = benchClients(url);
  const [LEDGER, STATE] = ['makegood-bench-ledger', 'makegood-bench-state'];
  try {
    await ensureTables(client, LEDGER, STATE);
    const ledger = new DynamoLedger(db, LEDGER, { now: () => new Date() });
    const state = new DynamoState(db, STATE);
    const filling = performance.now();
    await state.publishPolicy(v1.storefrontId, v1.policy, new Date(v1.publishedAt));
    const batches = Array.from({ length: Math.ceil(entries.length / 25) }, (_, b) => entries.slice(b * 25, b * 25 + 25));
    await mapLimit(batches, 8, (batch) => batchWrite(db, LEDGER, batch.map(entryItem)));
    await mapLimit([...pinned.values()], 16, (facts) => state.pinOrderFacts(v1.storefrontId, facts));
    console.log(`Filled the embedded store (BatchWriteItem; bench only) in ${((performance.now() - filling) / 1000).toFixed(1)} s`);
    const { report, reads } = await simulatePolicy(
      { ledger, state },
      { storefrontId: v1.storefrontId, draft, from: new Date(FROM), to: new Date(TO) },
    );
    console.log(
      `simulatePolicy: read ${reads.entries} entries of ${reads.customers} customers and ${reads.orders} orders in ${(reads.readMs / 1000).toFixed(1)} s (${Math.round(reads.entries / (reads.readMs / 1000))} entries/s), replayed ${report.claims} claims in ${(reads.replayMs / 1000).toFixed(2)} s (${Math.round(report.claims / (reads.replayMs / 1000))} claims/s), ${report.changed} changed, ${report.mismatches.length} mismatches`,
    );
  } finally {
    client.destroy();
    await stopDynamo(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (values.read) await measureRead();
