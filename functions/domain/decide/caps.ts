import type { ClaimRequest } from '../claim.ts';
import type { CustomerHistory } from '../decide.ts';
import { add, type Money, max, min, money, subtract, zero } from '../money.ts';
import { fmt, type Rules } from './rules.ts';

/** The refund value after the caps, split as it was asked for. */
export interface CappedRefund {
  readonly cash: Money;
  /** Store credit given instead of cash. */
  readonly refundCredit: Money;
  /** The order cap took the whole refund away. */
  readonly nothingLeft: boolean;
}

/**
 * Step 5, caps, on refund value only (cash plus store credit given instead of cash; the
 * incentives that follow are outside them):
 * - never more than what the order paid for the covered units plus their refundable shipping
 *   (`claim-cap`; the refundable value is computed from the same facts, so this is a guard);
 * - never more than what is left of the order's payment after other claims' refunds and credits
 *   (`order-cap`, or `order-fully-refunded` when nothing is left).
 */
export function capRefundValue(
  asked: { readonly cash: Money; readonly refundCredit: Money },
  bound: Money,
  claim: ClaimRequest,
  history: CustomerHistory,
  rules: Rules,
): CappedRefund {
  let { cash, refundCredit } = asked;
  const total = add(cash, refundCredit);
  if (total.amount > bound.amount) {
    ({ cash, refundCredit } = lowerTo(cash, refundCredit, bound));
    rules.add('claim-cap', `The refund is capped at what was paid for the claimed items plus refundable shipping, ${fmt(bound)}`);
  }
  const afterClaimCap = add(cash, refundCredit);
  const paid = money(claim.order.paid, afterClaimCap.currency);
  const left = max(subtract(paid, history.orderGranted), zero(afterClaimCap.currency));
  if (afterClaimCap.amount > left.amount) {
    ({ cash, refundCredit } = lowerTo(cash, refundCredit, left));
    rules.add(
      left.amount === 0 ? 'order-fully-refunded' : 'order-cap',
      left.amount === 0
        ? `The order's ${fmt(paid)} has already been refunded or credited in full`
        : `Only ${fmt(left)} of the order's ${fmt(paid)} is left after earlier refunds and credits`,
    );
    return { cash, refundCredit, nothingLeft: left.amount === 0 };
  }
  return { cash, refundCredit, nothingLeft: false };
}

/** Lowers cash + credit to `to`, credit first (a refund owed in cash comes before credit). */
function lowerTo(cash: Money, credit: Money, to: Money): { cash: Money; refundCredit: Money } {
  const cut = subtract(add(cash, credit), to);
  const fromCredit = min(cut, credit);
  return { cash: subtract(cash, subtract(cut, fromCredit)), refundCredit: subtract(credit, fromCredit) };
}
