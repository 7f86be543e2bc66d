/**
 * The policy engine's scenario table as a readable list, claim → decision → rules: the same rows
 * that `test/unit/domain/decide.test.ts` proves (shared through `test/unit/domain/scenarios.ts`),
 * decided here again with `decide`, so the list shows what the engine does, not what a test
 * expects. Rows under the demo policy come first, then rows under a changed copy of it.
 *
 *   npx tsx bench/scenarios.ts [--markdown]
 */
import { parseArgs } from 'node:util';
import { type ClaimRequest, claimedLines } from '#domain/claim.ts';
import { type Decision, decide } from '#domain/decide.ts';
import { formatMoney } from '#domain/money.ts';
import { claimOf, NOW, version } from '../test/unit/domain/fixtures.ts';
import { demo, historyOf, type Scenario, scenarios } from '../test/unit/domain/scenarios.ts';

const { values } = parseArgs({ options: { markdown: { type: 'boolean', default: false } } });

const fmt = (amount: number, currency: string) => formatMoney({ amount, currency }, 'en');

function describeClaim(claim: ClaimRequest, s: Scenario): string {
  const { order, complaint } = claim;
  const lines = claimedLines(claim)
    .map((l) => `${l.quantity} × ${l.name} (${l.category}, ${formatMoney(l.unitPrice, 'en')})`)
    .join(' + ');
  const whole =
    complaint.items.length === order.items.length &&
    order.items.every((i) => complaint.items.some((c) => c.sku === i.sku && c.quantity === i.quantity));
  const delivered =
    order.deliveredAt === undefined
      ? 'never delivered'
      : `delivered ${Math.round(((NOW.getTime() - Date.parse(order.deliveredAt)) / 86_400_000) * 100) / 100} days ago`;
  const h = s.history ?? {};
  const history = [
    h.claimsInWindow ? `${h.claimsInWindow} earlier claims` : '',
    h.unreturnedReturns ? `${h.unreturnedReturns} return never received` : '',
    h.refundRate ? `${h.refundRate.claimsWithMoney} of ${h.refundRate.concludedClaims} concluded claims paid` : '',
    h.goodwillSpent ? `${fmt(h.goodwillSpent, order.currency)} goodwill spent` : '',
    h.orderGranted ? `${fmt(h.orderGranted, order.currency)} already granted on the order` : '',
    ...Object.entries(h.covered ?? {}).map(([key, c]) => `${c.units} of ${key} covered by ${c.claims.join(', ')}`),
  ].filter(Boolean);
  return [
    `${complaint.reason}, wants ${complaint.desiredOutcome}: ${lines}${whole ? ' (whole order)' : ''}`,
    `paid ${fmt(order.paid, order.currency)} incl. ${fmt(order.shipping, order.currency)} shipping`,
    delivered,
    complaint.evidence.length > 0 ? 'with a photo' : 'no photo',
    ...(complaint.message !== 'test' ? [`message "${complaint.message}"`] : []),
    ...(history.length > 0 ? [`history: ${history.join(', ')}`] : []),
  ].join('; ');
}

function describeDecision(d: Decision, currency: string): string {
  const money = [
    d.cash.amount > 0 ? `cash ${fmt(d.cash.amount, currency)}` : '',
    d.storeCredit.amount > 0
      ? `store credit ${fmt(d.storeCredit.amount, currency)}${d.goodwill.amount > 0 ? ` (goodwill ${fmt(d.goodwill.amount, currency)})` : ''}`
      : '',
  ].filter(Boolean);
  const units = d.units.length > 0 ? `, covers ${d.units.map((u) => `${u.quantity} × ${u.sku}`).join(', ')}` : '';
  const once = d.orderGoodwill ? `, holds the order's ${d.orderGoodwill} goodwill` : '';
  return `${d.outcome}${money.length > 0 ? `, ${money.join(' + ')}` : ''}${d.returnRequired ? ', goods sent back first' : ''}${units}${once}, approval: ${d.tier}`;
}

const sections: [string, Scenario[]][] = [
  ['Under the demo policy (policies/demo.json)', scenarios.filter((s) => !s.policy || s.policy === demo)],
  ['Under a changed copy of the demo policy (the change is named in each title)', scenarios.filter((s) => s.policy && s.policy !== demo)],
];
let n = 0;
for (const [title, rows] of sections) {
  console.log(values.markdown ? `\n### ${title}\n` : `\n== ${title} ==\n`);
  for (const s of rows) {
    n += 1;
    const claim = claimOf(s.claim);
    const currency = claim.order.currency;
    const d = decide(claim, version(s.policy ?? demo), historyOf(currency, s.history), NOW);
    console.log(`${n}. ${s.name}`);
    console.log(`   claim:    ${describeClaim(claim, s)}`);
    console.log(`   decision: ${describeDecision(d, currency)}`);
    console.log('   rules:');
    for (const r of d.rules) console.log(`     - ${r.id}: ${r.text}`);
  }
}
