/**
 * Decisions per second of the policy engine (`decide`) on one core, for a realistic mix of claims
 * under the demo policy: mostly small automatic refunds, some returns, late deliveries, store
 * credit, rejections and risky customers. The claims and histories are built and validated before
 * timing, as the Assess step receives them; only `decide` is timed.
 *
 *   npm run bench:decide [-- --runs 7 --decisions 200000]
 *
 * Warms up, then times several runs and prints each and the median. Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { assertConsistentClaim, type ClaimRequest, parseClaimRequest } from '#domain/claim.ts';
import { type CustomerHistory, type Decision, decide, type Outcome } from '#domain/decide.ts';
import { type PolicyVersion, parsePolicy } from '#domain/policy.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, decisions: { type: 'string', default: '200000' } } });
const runs = Number(values.runs);
const perRun = Number(values.decisions);

const NOW = new Date('2026-11-23T12:00:00Z');
const DAY_MS = 86_400_000;
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY_MS).toISOString();
const policy: PolicyVersion = {
  storefrontId: 'demo',
  version: 1,
  policy: parsePolicy(JSON.parse(readFileSync(new URL('../policies/demo.json', import.meta.url), 'utf8'))),
  publishedAt: '2026-11-01T00:00:00Z',
};

interface Item {
  sku: string;
  category: string;
  unitPrice: number;
  quantity: number;
}

/** A validated claim, as Assess receives it. */
function claim(spec: {
  items: Item[];
  claimed?: { sku: string; quantity: number }[];
  reason: string;
  desired?: string;
  shipping?: number;
  delivered?: number;
  evidence?: boolean;
  customer?: string;
  message?: string;
}): ClaimRequest {
  const shipping = spec.shipping ?? 499;
  const goods = spec.items.reduce((a, i) => a + i.unitPrice * i.quantity, 0);
  const delivered = spec.delivered ?? 5;
  const parsed = parseClaimRequest({
    order: {
      id: 'ORD-1',
      placedAt: daysAgo(delivered + 2),
      deliveredAt: daysAgo(delivered),
      currency: 'EUR',
      paid: goods + shipping,
      shipping,
      items: spec.items.map((i) => ({ ...i, name: i.sku.toLowerCase() })),
    },
    customer: { id: spec.customer ?? 'C-1', email: 'ann@example.com', name: 'Ann', locale: 'en' },
    complaint: {
      reason: spec.reason,
      items: spec.claimed ?? spec.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
      desiredOutcome: spec.desired ?? 'refund',
      message: spec.message ?? 'The parcel arrived today and the item is not what I expected.',
      channel: 'web',
      evidence: spec.evidence === false ? [] : ['https://shop.example/uploads/1.jpg'],
    },
  });
  assertConsistentClaim(parsed, NOW);
  return parsed;
}

const history = (
  h: Partial<{ claims: number; unreturned: number; goodwill: number; granted: number; covered: CustomerHistory['covered'] }> = {},
): CustomerHistory => ({
  claimsInWindow: h.claims ?? 0,
  unreturnedReturns: h.unreturned ?? 0,
  refundRate: { concludedClaims: h.claims ?? 0, claimsWithMoney: h.claims ?? 0 },
  goodwillSpent: { amount: h.goodwill ?? 0, currency: 'EUR' },
  orderGranted: { amount: h.granted ?? 0, currency: 'EUR' },
  covered: h.covered ?? {},
});

const chocolates: Item = { sku: 'CHOC-BOX', category: 'food', unitPrice: 2500, quantity: 2 };
const mug: Item = { sku: 'MUG', category: 'home', unitPrice: 1500, quantity: 1 };
const socks: Item = { sku: 'SOCKS', category: 'clothes', unitPrice: 900, quantity: 3 };
const kettle: Item = { sku: 'KETTLE-1', category: 'kitchen', unitPrice: 8900, quantity: 1 };
const jacket: Item = { sku: 'JACKET', category: 'clothes', unitPrice: 12000, quantity: 1 };
const ebook: Item = { sku: 'EBOOK', category: 'digital', unitPrice: 1200, quantity: 1 };

/** The mix, by weight out of 100. */
const mix: { weight: number; kind: string; claim: ClaimRequest; history: CustomerHistory }[] = [
  // 55 %: small automatic refunds without a return
  {
    weight: 25,
    kind: 'small auto refund',
    claim: claim({ items: [chocolates], claimed: [{ sku: 'CHOC-BOX', quantity: 1 }], reason: 'damaged' }),
    history: history(),
  },
  {
    weight: 15,
    kind: 'small auto refund',
    claim: claim({ items: [mug, socks], claimed: [{ sku: 'MUG', quantity: 1 }], reason: 'defective' }),
    history: history(),
  },
  {
    weight: 10,
    kind: 'small auto refund',
    claim: claim({ items: [socks], claimed: [{ sku: 'SOCKS', quantity: 1 }], reason: 'wrong_item' }),
    history: history({ claims: 1 }),
  },
  { weight: 5, kind: 'small auto refund', claim: claim({ items: [mug], reason: 'not_received', shipping: 0 }), history: history() },
  // 12 %: returns, some above the automatic limit
  { weight: 7, kind: 'return', claim: claim({ items: [kettle], reason: 'defective', evidence: false }), history: history() },
  { weight: 5, kind: 'return', claim: claim({ items: [jacket], reason: 'changed_mind', delivered: 20 }), history: history() },
  // 10 %: late deliveries compensated with credit
  {
    weight: 10,
    kind: 'late delivery',
    claim: claim({ items: [chocolates, mug], reason: 'late_delivery' }),
    history: history({ goodwill: 1200 }),
  },
  // 7 %: store credit instead of cash
  {
    weight: 7,
    kind: 'store credit',
    claim: claim({ items: [jacket], reason: 'not_as_described', desired: 'store_credit' }),
    history: history(),
  },
  // 8 %: rejections
  { weight: 4, kind: 'rejection', claim: claim({ items: [ebook], reason: 'changed_mind' }), history: history() },
  { weight: 4, kind: 'rejection', claim: claim({ items: [mug], reason: 'changed_mind', delivered: 45 }), history: history() },
  // 11 %: risky customers (a threat in the message among them)
  { weight: 5, kind: 'risky customer', claim: claim({ items: [mug], reason: 'damaged' }), history: history({ claims: 4, unreturned: 1 }) },
  {
    weight: 3,
    kind: 'risky customer',
    claim: claim({ items: [chocolates], reason: 'damaged' }),
    history: history({ granted: 2000, claims: 2, covered: { 'CHOC-BOX': { units: 1, claims: ['clm_earlier'] } } }),
  },
  {
    weight: 3,
    kind: 'risky customer',
    claim: claim({
      items: [mug],
      reason: 'damaged',
      message: 'If this is not fixed I will file a chargeback and leave a one-star review.',
    }),
    history: history(),
  },
];

// A shuffled schedule of 1000 slots, so the branch predictor sees the mix, not a pattern.
const schedule: (typeof mix)[number][] = mix.flatMap((m) => Array.from({ length: m.weight * 10 }, () => m));
let seed = 42;
for (let i = schedule.length - 1; i > 0; i--) {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  const j = seed % (i + 1);
  [schedule[i], schedule[j]] = [schedule[j] as (typeof mix)[number], schedule[i] as (typeof mix)[number]];
}

/** Runs `n` decisions; returns decisions per second and a checksum so no work is optimised away. */
function run(n: number): { perSecond: number; checksum: number } {
  let checksum = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = schedule[i % schedule.length] as (typeof mix)[number];
    const d: Decision = decide(s.claim, policy, s.history, NOW);
    checksum += d.cash.amount + d.storeCredit.amount + d.rules.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: n / seconds, checksum };
}

const outcomes = new Map<Outcome, number>();
for (const s of schedule) {
  const o = decide(s.claim, policy, s.history, NOW).outcome;
  outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
}
const kinds = new Map<string, number>();
for (const m of mix) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + m.weight);

console.log(`decide() on one core: ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
console.log(`mix: ${[...kinds].map(([k, w]) => `${k} ${w} %`).join(', ')}`);
console.log(`outcomes: ${[...outcomes].map(([k, n]) => `${k} ${(n / 10).toFixed(1)} %`).join(', ')}`);
run(Math.min(perRun, 50_000)); // warm-up: lets the JIT compile the hot paths before timing
const rates: number[] = [];
for (let r = 1; r <= runs; r++) {
  const { perSecond, checksum } = run(perRun);
  rates.push(perSecond);
  console.log(`run ${r}: ${Math.round(perSecond).toLocaleString('en')} decisions/s (checksum ${checksum})`);
}
const sorted = [...rates].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
console.log(`median of ${runs} runs × ${perRun.toLocaleString('en')} decisions: ${Math.round(median).toLocaleString('en')} decisions/s`);
