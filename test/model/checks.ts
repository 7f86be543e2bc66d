import type { DynamoLedger } from '#adapters/dynamo-ledger.ts';
import type { DynamoState } from '#adapters/dynamo-state.ts';
import type { OrderFacts } from '#domain/claim.ts';
import {
  allReturned,
  authorisingDecision,
  currentDecision,
  type EntryOf,
  entriesOf,
  isGraded,
  type LedgerEntry,
  outstandingUnits,
  statusOf,
  unitsBySku,
  verifyChain,
} from '#domain/ledger.ts';
import type { Policy } from '#domain/policy.ts';
import type { DrivenClaim } from './driver.ts';
import type { Scenario } from './scenario.ts';

/**
 * The money rules of DESIGN.md, checked after a scenario came to rest, from the ledger and the
 * stored totals read with the real adapters (never from what the API said). Each rule is
 * computed here from the ledger's facts, independently of `decide`.
 */

/** One broken rule: which check, and what was expected against what was found. */
export interface Violation {
  readonly check: string;
  readonly message: string;
}

/** What the checks read. */
export interface CheckDeps {
  readonly ledger: DynamoLedger;
  readonly state: DynamoState;
  readonly policy: Policy;
}

/** What one claim granted, from its ledger entries. */
interface Granted {
  readonly cash: number;
  readonly credit: number;
  readonly goodwill: number;
  /** Cash plus credit given instead of cash (never goodwill). */
  readonly refund: number;
}

function grantedBy(entries: readonly LedgerEntry[]): Granted {
  const cash = entriesOf(entries, 'refund_settled').reduce((a, e) => a + e.data.amount.amount, 0);
  const credits = entriesOf(entries, 'credit_issued');
  const credit = credits.reduce((a, e) => a + e.data.amount.amount, 0);
  const goodwill = credits.reduce((a, e) => a + e.data.goodwill.amount, 0);
  return { cash, credit, goodwill, refund: cash + credit - goodwill };
}

/** The decided entries of the rounds that were settled: a round whose settlement was refused was decided again. */
function settledRounds(entries: readonly LedgerEntry[]): EntryOf<'decided'>[] {
  const rounds: EntryOf<'decided'>[] = [];
  for (const [i, e] of entries.entries()) {
    if (e.type !== 'decided') continue;
    const next = entries.findIndex((x, j) => j > i && x.type === 'decided');
    const round = entries.slice(i + 1, next < 0 ? undefined : next);
    if (!round.some((x) => x.type === 'settlement_refused')) rounds.push(e);
  }
  return rounds;
}

const add = (to: Map<string, number>, key: string, n: number) => to.set(key, (to.get(key) ?? 0) + n);
const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/**
 * The most the order paid for some of its units plus the shipping refundable with them, as
 * DESIGN.md states the cap: a discounted order's goods at their share of the payment, rounded
 * up; shipping for a reason that refunds it, in full for the whole order (or free goods),
 * otherwise in proportion to list value, rounded up.
 */
function refundCap(facts: OrderFacts, units: ReadonlyMap<string, number>, refundsShipping: boolean): number {
  const price = new Map(facts.items.map((i) => [i.sku, i.unitPrice]));
  const list = [...units].reduce((a, [sku, n]) => a + n * (price.get(sku) ?? 0), 0);
  const allGoods = facts.items.reduce((a, i) => a + i.quantity * i.unitPrice, 0);
  const paidForGoods = facts.paid - facts.shipping;
  const goods = allGoods > 0 && paidForGoods < allGoods ? ceilDiv(list * paidForGoods, allGoods) : list;
  const whole = facts.items.every((i) => units.get(i.sku) === i.quantity);
  const shipping = !refundsShipping ? 0 : whole || allGoods === 0 ? facts.shipping : ceilDiv(facts.shipping * list, allGoods);
  return goods + shipping;
}

/** The check a problem the storefront saw belongs to (see driver.ts). */
function storefrontCheck(problem: string): string {
  if (problem.startsWith('stuck')) return '4 stuck';
  if (problem.startsWith('POST returns')) return '4 report refused';
  if (problem.startsWith('POST /v1/claims')) return 'claim refused';
  return 'replay';
}

/** Checks every money rule on the scenario's order, its claims and its customers. */
export async function checkScenario(
  deps: CheckDeps,
  scenario: Scenario,
  orderId: string,
  driven: readonly DrivenClaim[],
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const fail = (check: string, message: string) => violations.push({ check, message });
  for (const d of driven) for (const p of d.problems) fail(storefrontCheck(p), `claim #${d.index} (${d.claimId ?? 'not posted'}): ${p}`);

  const [orderEntries, facts, total, coverage] = await Promise.all([
    deps.ledger.orderEntries('demo', orderId),
    deps.state.orderFacts('demo', orderId),
    deps.state.orderTotal('demo', orderId),
    deps.state.orderCoverage('demo', orderId),
  ]);
  if (!facts) {
    fail('facts', `order ${orderId} has no pinned facts`);
    return violations;
  }
  const byClaim = new Map<string, LedgerEntry[]>();
  for (const e of orderEntries) byClaim.set(e.claimId, [...(byClaim.get(e.claimId) ?? []), e]);
  for (const list of byClaim.values()) list.sort((a, b) => a.seq - b.seq);

  // Replays create no claim: one claim per posted claim, and no other on the order.
  const posted = new Set(driven.map((d) => d.claimId).filter((id): id is string => id !== undefined));
  for (const id of byClaim.keys())
    if (!posted.has(id)) fail('replay', `claim ${id} on the order was never posted (a replay made a second claim?)`);
  for (const id of posted) if (!byClaim.has(id)) fail('replay', `posted claim ${id} has no ledger entries`);

  const { policy } = deps;
  const quantity = new Map(facts.items.map((i) => [i.sku, i.quantity]));
  const lateRule = policy.goodwill.byReason.late_delivery;
  const bonusPercent = policy.goodwill.storeCreditBonusPercent;
  const budget = policy.risk.goodwillBudget;
  let refundOnOrder = 0;
  const modelCovered = new Map<string, number>();
  const goodwillByCustomer = new Map<string, number>();
  let lateGrants = 0;

  for (const d of driven) {
    if (!d.claimId) continue;
    const entries = byClaim.get(d.claimId) ?? [];
    const tag = `claim #${d.index} ${d.claimId}`;
    const planned = scenario.claims[d.index];
    if (entries.length === 0 || !planned) continue;

    // 4. Ledger chains verify.
    const broken = verifyChain(entries);
    if (broken) fail('4 chain', `${tag}: entry ${broken.seq} ${broken.problem}`);

    const status = statusOf(entries) ?? 'none';
    const decision = currentDecision(entries);
    const g = grantedBy(entries);
    refundOnOrder += g.refund;
    add(goodwillByCustomer, entries[0]?.customerId ?? '', g.goodwill);
    const returned = unitsBySku(allReturned(entries));
    const graded = settledRounds(entries).filter(isGraded);
    const failedEntry = entriesOf(entries, 'failed').at(-1);
    const injectedFailure = failedEntry !== undefined && /Injected: the answer of/.test(failedEntry.data.cause);

    // 4. At rest: terminal, or waiting for a reason the model knows.
    if (status === 'failed' && !injectedFailure) fail('4 status', `${tag} failed: ${failedEntry?.data.error} ${failedEntry?.data.cause}`);
    else if (status === 'awaiting_approval') {
      if (!decision?.rules.some((r) => r.id === 'perishable-needs-evidence')) {
        fail(
          '4 status',
          `${tag} waits for a person, but the model's policy needs none (rules: ${decision?.rules.map((r) => r.id).join(', ')})`,
        );
      }
    } else if (status === 'awaiting_return') {
      const outstanding = outstandingUnits(entries);
      if (outstanding.length === 0) fail('4 status', `${tag} waits for goods, but every authorised unit was reported back`);
    } else if (!['settled', 'rejected', 'closed', 'failed'].includes(status)) {
      fail('4 status', `${tag} came to rest in ${status}`);
    }
    // 4. The status never goes back: nothing after a final status, and no `awaiting_return`
    // between a report and the decision that grades it.
    let gradingDue = false;
    let final: string | undefined;
    for (const e of entries) {
      if (final && e.status !== final)
        fail('4 status order', `${tag}: entry ${e.seq} (${e.type}) is ${e.status} after the claim was ${final}`);
      if (e.type === 'return_received') gradingDue = true;
      else if (e.type === 'decided') gradingDue = false;
      else if (gradingDue && e.status === 'awaiting_return') {
        fail('4 status order', `${tag}: entry ${e.seq} (${e.type}) says awaiting_return while a reported return waits to be graded`);
      }
      if (['settled', 'rejected', 'closed'].includes(e.status)) final ??= e.status;
    }
    const reports = entriesOf(entries, 'return_received').length;
    if (reports !== d.reportsAccepted) fail('4 returns', `${tag}: ${d.reportsAccepted} distinct reports accepted, ${reports} recorded`);
    // Every unit reported back is graded in a settled round (none is left unrefunded).
    const gradedUnits = unitsBySku(graded.flatMap((e) => e.data.decision.units));
    for (const [sku, n] of returned) {
      if ((gradedUnits.get(sku) ?? 0) !== n && status !== 'failed') {
        fail('4 returns', `${tag}: ${n} × ${sku} reported back, ${gradedUnits.get(sku) ?? 0} graded and settled`);
      }
    }

    // Money only for a claim that granted something.
    if ((status === 'rejected' || (status === 'closed' && returned.size === 0)) && g.cash + g.credit > 0) {
      fail('1 rejected', `${tag} is ${status} but granted cash ${g.cash} and credit ${g.credit}`);
    }

    // 2. The units this claim covers: what came back (graded) plus what is still awaited, or its decision's.
    const covers = new Map<string, number>();
    if (graded.length > 0 || returned.size > 0) {
      for (const [sku, n] of returned) add(covers, sku, n);
      if (status === 'awaiting_return') for (const u of outstandingUnits(entries)) add(covers, u.sku, u.quantity);
    } else if (decision && decision.outcome !== 'rejected' && ['settled', 'awaiting_return', 'awaiting_approval'].includes(status)) {
      for (const u of decision.units) add(covers, u.sku, u.quantity);
    }
    for (const [sku, n] of covers) add(modelCovered, sku, n);
    if (['settled', 'rejected', 'closed', 'awaiting_return', 'awaiting_approval'].includes(status)) {
      const keys = new Set([...covers.keys(), ...Object.keys(coverage).filter((k) => !k.startsWith('goodwill#'))]);
      for (const sku of keys) {
        const held = coverage[sku]?.[d.claimId] ?? 0;
        if (held !== (covers.get(sku) ?? 0)) {
          fail(
            '2 coverage',
            `${tag} (${status}) holds ${held} × ${sku} in the order's coverage, the ledger says it covers ${covers.get(sku) ?? 0}`,
          );
        }
      }
    }

    // 1. The claim's refund value within what the order paid for its units plus their shipping.
    const authorised = authorisingDecision(entries) ?? decision;
    const capUnits = unitsBySku(authorised?.units ?? []);
    const cap = refundCap(facts, capUnits, policy.shippingRefundReasons.includes(planned.reason));
    if (g.refund > cap)
      fail(
        '1 claim cap',
        `${tag}: refund value ${g.refund} is above ${cap}, what was paid for ${JSON.stringify([...capUnits])} plus shipping`,
      );

    // 3. Incentives: store credit only, each within its rule.
    if (planned.reason === 'late_delivery') {
      if (g.refund !== 0 || g.cash !== 0)
        fail('3 late delivery', `${tag}: late delivery refunded ${g.refund} (cash ${g.cash}); it is goodwill only`);
      if (g.goodwill > 0) lateGrants += 1;
      if (lateRule) {
        const most = Math.min(
          lateRule.max ?? Number.POSITIVE_INFINITY,
          Math.max(lateRule.min, ceilDiv(facts.paid * lateRule.percentOfPaid, 100)),
        );
        if (g.goodwill > most) fail('3 late delivery', `${tag}: late-delivery credit ${g.goodwill} is above ${most}`);
      }
    } else if (decision?.outcome === 'store_credit') {
      const credited = g.credit - g.goodwill;
      const most = ceilDiv(credited * bonusPercent, 100);
      if (g.goodwill > most)
        fail('3 bonus', `${tag}: bonus ${g.goodwill} on ${credited} of credit is above ${bonusPercent} % rounded up (${most})`);
    } else if (g.goodwill > policy.goodwill.apologyCredit) {
      fail(
        '3 goodwill',
        `${tag}: ${decision?.outcome} granted goodwill ${g.goodwill}, above the apology credit ${policy.goodwill.apologyCredit}`,
      );
    }
    if (decision?.outcome === 'goodwill' && g.cash > 0) fail('3 goodwill', `${tag}: a goodwill-only claim paid cash ${g.cash}`);
  }

  // 1. Refund value on the order: within what it paid, and what the stored total says.
  if (refundOnOrder > facts.paid)
    fail('1 order cap', `refunds and credit instead of cash sum to ${refundOnOrder}, above the ${facts.paid} paid`);
  const granted = total?.granted ?? 0;
  if (granted !== refundOnOrder)
    fail('1 order total', `the order's stored total has granted ${granted}, the ledger sums to ${refundOnOrder}`);
  if (total && total.paid !== facts.paid)
    fail('1 order total', `the order's stored total has paid ${total.paid}, the pinned facts ${facts.paid}`);

  // 2. No unit covered twice: neither in the stored coverage nor by the ledger's decisions.
  for (const [key, holders] of Object.entries(coverage)) {
    const held = Object.values(holders).reduce((a, n) => a + n, 0);
    const limit = key.startsWith('goodwill#') ? 1 : (quantity.get(key) ?? 0);
    if (held > limit) fail('2 units', `the order's coverage holds ${held} of ${key} (${JSON.stringify(holders)}), the order has ${limit}`);
  }
  for (const [sku, n] of modelCovered) {
    if (n > (quantity.get(sku) ?? 0)) fail('2 units', `the claims' decisions cover ${n} × ${sku}, the order has ${quantity.get(sku) ?? 0}`);
  }

  // 3. Late-delivery goodwill at most once per order; goodwill per customer within the budget,
  // and the stored budget agreeing with the ledger.
  if (lateGrants > 1) fail('3 late delivery', `late-delivery goodwill was granted ${lateGrants} times on one order`);
  for (const [customerId, fromLedger] of goodwillByCustomer) {
    const grants = await deps.state.goodwillGrants('demo', customerId, facts.currency);
    const stored = grants.reduce((a, x) => a + x.amount, 0);
    if (budget && fromLedger > budget.amount)
      fail('3 budget', `customer ${customerId} was granted ${fromLedger} of goodwill, above the budget ${budget.amount}`);
    if (budget && stored > budget.amount)
      fail('3 budget', `customer ${customerId}'s stored goodwill is ${stored}, above the budget ${budget.amount}`);
    if (stored !== fromLedger)
      fail('3 budget', `customer ${customerId}'s stored goodwill is ${stored}, the ledger's credit_issued goodwill ${fromLedger}`);
  }
  return violations;
}
