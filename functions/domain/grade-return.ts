import type { ClaimRequest } from './claim.ts';
import { capRefundValue } from './decide/caps.ts';
import { describeIncentives, goodwillBudgetLeft, type Incentives, withinBudget } from './decide/incentives.ts';
import { limitsFor } from './decide/limits.ts';
import { fmt, labelOf, Rules } from './decide/rules.ts';
import { tierAtLeast } from './decide/tier.ts';
import { type CoveredUnits, type CustomerHistory, type Decision, refundValue } from './decide.ts';
import { UnprocessableClaimError } from './errors.ts';
import { add, allocate, type Money, max, min, percentOf, share, subtract, sum, zero } from './money.ts';
import { higherRole, type PolicyVersion, type Role, returnConditions, returnGrade } from './policy.ts';

export { returnConditions };
/** The condition a returned unit arrives in, as the shop reports it. */
export type ReturnCondition = (typeof returnConditions)[number];

/** Units of one order line reported back, in one condition. */
export interface ReturnedUnits {
  readonly sku: string;
  readonly quantity: number;
  readonly condition: ReturnCondition;
}

const conditionWords: Record<ReturnCondition, string> = { as_new: 'as new', used: 'used', damaged: 'damaged' };

/**
 * Grades the goods that came back for a decision that asked for them, and decides what they are
 * refunded. Pure and deterministic.
 *
 * What happens:
 * 1. The authorised refund value (cash plus store credit, less goodwill; as an approver may have
 *    lowered it) is split over the authorised units in proportion to their list price, exactly
 *    ({@link allocate}): each unit has its share, and the shares sum to the refund value.
 * 2. Returned units take those shares unit by unit, in order: first the units graded in earlier
 *    rounds (`earlier`), then this round's. So units returned over several rounds, all as new,
 *    are refunded exactly the authorised value.
 * 3. Each row of this round is graded by the policy's `returnGrading` for the claim's reason and
 *    the row's condition (`return-graded`): `refundPercent` of its shares is refunded, the
 *    deduction rounded down (the customer's favour), and `minRole` says who must agree.
 * 4. The form stays the authorised one: cash for a return and refund (`refund-after-return`),
 *    store credit for credit (`store-credit`), whose bonus is recomputed on the graded value
 *    (never above the bonus authorised, and within the goodwill budget), and no money for a
 *    replacement. An apology credit the authorised decision carried is granted with the first round.
 * 5. The tier (`approval-tier`) is the highest `minRole` of the graded rows, `auto` by default: the
 *    value itself was approved before the goods were sent back.
 */
export function gradeReturn(args: {
  readonly authorised: Decision;
  readonly claim: ClaimRequest;
  readonly returned: readonly ReturnedUnits[];
  readonly earlier: readonly ReturnedUnits[];
  readonly policyVersion: PolicyVersion;
  readonly history: CustomerHistory;
}): Decision {
  const { authorised, claim, returned, earlier, history } = args;
  const policy = args.policyVersion.policy;
  const currency = claim.order.currency;
  const none = zero(currency);
  const { reason } = claim.complaint;
  const kind = authorised.outcome;
  if (kind !== 'return_and_refund' && kind !== 'store_credit' && kind !== 'replacement') {
    throw new UnprocessableClaimError(`A ${kind} decision asked for no goods back, so there is nothing to grade`);
  }
  const limits = limitsFor(policy, currency);
  const rules = new Rules();

  // 1–2. Each authorised unit's share of the refund value, taken in order.
  const authorisedValue = max(refundValue(authorised), none);
  const slots = authorised.units.flatMap((u) => Array.from({ length: u.quantity }, () => u.sku));
  const shares = allocate(
    authorisedValue,
    slots.map((sku) => claim.order.items.find((i) => i.sku === sku)?.unitPrice ?? 0),
  );
  const taken = new Set<number>();
  const take = (row: ReturnedUnits): Money => {
    let value = none;
    for (let n = 0; n < row.quantity; n++) {
      const at = slots.findIndex((sku, i) => sku === row.sku && !taken.has(i));
      if (at < 0) throw new UnprocessableClaimError(`More units of ${row.sku} came back than the decision authorised`);
      taken.add(at);
      value = add(value, shares[at] ?? none);
    }
    return value;
  };
  const grade = (row: ReturnedUnits) => {
    const value = take(row);
    const { refundPercent, minRole } = returnGrade(policy, reason, row.condition);
    const deduction = share(value, 10_000 - Math.round(refundPercent * 100), 10_000, 'down');
    return { row, value, refundPercent, minRole, refunded: subtract(value, deduction), deduction };
  };
  const before = earlier.filter((r) => r.quantity > 0).map(grade);
  const graded = returned.filter((r) => r.quantity > 0).map(grade);

  // 3. One sentence per row.
  const withMoney = kind !== 'replacement';
  for (const g of graded) rules.add('return-graded', gradedText(g, withMoney, labelOf(reason).toLowerCase(), nameOf(claim, g.row.sku)));

  // 4. The form, and the incentives.
  const refunded = withMoney
    ? sum(
        currency,
        graded.map((g) => g.refunded),
      )
    : none;
  // Per-claim shares are rounded up in the customer's favour, so claims on different units of a
  // discounted order can together pass what it paid by a cent or two: the order cap bounds it.
  const { cash, refundCredit } = capRefundValue(
    { cash: kind === 'return_and_refund' ? refunded : none, refundCredit: kind === 'store_credit' ? refunded : none },
    refunded,
    claim,
    history,
    rules,
  );
  if (kind === 'return_and_refund') {
    rules.add('refund-after-return', `${fmt(cash)} is refunded to the original payment method`);
  } else if (kind === 'store_credit') {
    rules.add('store-credit', `${fmt(refundCredit)} is refunded as store credit`);
  } else {
    rules.add(
      'replacement',
      `The shop sends the replacement for ${graded.map((g) => `${g.row.quantity} × ${nameOf(claim, g.row.sku)}`).join(', ')}`,
    );
  }
  const pct = policy.goodwill.storeCreditBonusPercent;
  const bonusOf = (v: Money, cap: Money): Money => (pct > 0 ? min(percentOf(v, pct, 'up'), cap) : none);
  // The authorised goodwill is the apology credit (served first, as in `decide`) and the bonus.
  const fault = policy.shopFaultReasons.includes(reason);
  const authorisedApology = fault ? min(limits.apologyCredit, authorised.goodwill) : none;
  const authorisedBonus = kind === 'store_credit' ? bonusOf(authorisedValue, subtract(authorised.goodwill, authorisedApology)) : none;
  const earlierValue = sum(
    currency,
    before.map((g) => g.refunded),
  );
  const wanted: Incentives = {
    // The bonus on everything graded so far, less what earlier rounds had: rounds sum to one bonus.
    bonus: subtract(bonusOf(add(earlierValue, refundCredit), authorisedBonus), bonusOf(earlierValue, authorisedBonus)),
    apology: before.length === 0 ? authorisedApology : none,
  };
  const granted = withinBudget(wanted, goodwillBudgetLeft(limits, history));
  describeIncentives(rules, policy, limits, history, wanted, granted);
  const goodwill = add(granted.bonus, granted.apology);

  // 5. Who agrees.
  const minRole = graded.reduce<Role>((r, g) => higherRole(r, g.minRole), 'auto');
  const tier = minRole === 'auto' ? 'auto' : tierAtLeast(policy, minRole);
  const value = add(add(cash, refundCredit), goodwill);
  rules.add(
    'approval-tier',
    tier === 'auto'
      ? `The value was approved before the goods were sent back: the graded ${fmt(value)} needs no further approval`
      : `The condition of the goods needs a person: ${tier} approval is needed for the graded ${fmt(value)}`,
  );

  return {
    outcome: kind,
    cash,
    storeCredit: add(refundCredit, goodwill),
    goodwill,
    returnRequired: false,
    tier,
    policyVersion: authorised.policyVersion,
    rules: rules.list,
    units: unitsBySku(graded.map((g) => g.row)),
  };
}

interface GradedRow {
  readonly row: ReturnedUnits;
  readonly value: Money;
  readonly refundPercent: number;
  readonly minRole: Role;
  readonly refunded: Money;
  readonly deduction: Money;
}

/** `1 × lamp arrived used: 10 % (€4.00) is kept for a change of mind, €36.00 is refunded`. */
function gradedText(g: GradedRow, withMoney: boolean, reason: string, name: string): string {
  const head = `${g.row.quantity} × ${name} arrived ${conditionWords[g.row.condition]}`;
  const person = g.minRole !== 'auto';
  if (!withMoney) return person ? `${head}: a person decides before the replacement is sent` : `${head}: the replacement is sent`;
  if (person) return `${head}: ${g.refundPercent} % (${fmt(g.refunded)}) is proposed and a person decides`;
  if (g.deduction.amount === 0) return `${head}: ${fmt(g.refunded)} refunded in full`;
  return `${head}: ${trim(100 - g.refundPercent)} % (${fmt(g.deduction)}) is kept for ${reason}, ${fmt(g.refunded)} is refunded`;
}

/** A percentage with at most two decimals, without float noise (100 − 90.1 → 9.9). */
function trim(p: number): number {
  return Math.round(p * 100) / 100;
}

function nameOf(claim: ClaimRequest, sku: string): string {
  return claim.order.items.find((i) => i.sku === sku)?.name ?? sku;
}

function unitsBySku(rows: readonly ReturnedUnits[]): CoveredUnits[] {
  const bySku = new Map<string, number>();
  for (const r of rows) bySku.set(r.sku, (bySku.get(r.sku) ?? 0) + r.quantity);
  return [...bySku].map(([sku, quantity]) => ({ sku, quantity }));
}
