import { type ClaimedLine, type ClaimRequest, goodsTotal } from '../claim.ts';
import { add, type Money, money, percentOf, share, subtract, sum, zero } from '../money.ts';
import type { Policy } from '../policy.ts';
import { fmt, labelOf, type Rules } from './rules.ts';

/** What the order paid for some of its units, and the shipping refundable with them. */
export interface PaidFor {
  /** The units at list price. */
  readonly listValue: Money;
  /** What was actually paid for them: list price, or its share of a discounted order's payment. */
  readonly goods: Money;
  /** The shipping refunded with them for the claim's reason (zero when the reason keeps it). */
  readonly shipping: Money;
  /** Whether the shipping is refunded in full (the whole order, or an order of free goods). */
  readonly shippingInFull: boolean;
}

/**
 * What the order paid for `lines` plus their refundable shipping, from the pinned order facts:
 * - a discounted order refunds what was paid: the lines' share of the payment for goods, by list
 *   value, rounded up;
 * - for a reason in `shippingRefundReasons` the shipping is refunded too: in full for the whole
 *   order (every line, every unit) or an order whose goods are all free, otherwise in proportion
 *   to the lines' list value, rounded up.
 */
export function paidFor(lines: readonly ClaimedLine[], claim: ClaimRequest, policy: Policy): PaidFor {
  const currency = claim.order.currency;
  const listValue = sum(
    currency,
    lines.map((l) => l.listValue),
  );
  const allGoods = goodsTotal(claim);
  const paidForGoods = money(claim.order.paid - claim.order.shipping, currency);
  const goods =
    allGoods.amount > 0 && paidForGoods.amount < allGoods.amount ? share(listValue, paidForGoods.amount, allGoods.amount, 'up') : listValue;
  const wholeOrder =
    lines.length === claim.order.items.length &&
    claim.order.items.every((i) => lines.find((l) => l.sku === i.sku)?.quantity === i.quantity);
  const shippingPaid = money(claim.order.shipping, currency);
  const inFull = wholeOrder || allGoods.amount === 0;
  const refunds = policy.shippingRefundReasons.includes(claim.complaint.reason) && shippingPaid.amount > 0;
  const shipping = !refunds ? zero(currency) : inFull ? shippingPaid : share(shippingPaid, listValue.amount, allGoods.amount, 'up');
  return { listValue, goods, shipping, shippingInFull: inFull };
}

/** The refund value of the covered units, and how it was reached. */
export interface RefundValue extends PaidFor {
  readonly fee: Money;
  /** goods + shipping − fee: what a refund (cash, or store credit instead of cash) pays. */
  readonly refundable: Money;
}

/**
 * Step 3, refundable value: what the order paid for the covered units (`discounted-order` when
 * it was paid at a discount), plus their shipping when the reason refunds it (`shipping-refund`,
 * otherwise `shipping-kept`), less a restocking fee for the reasons that carry one
 * (`restocking-fee`, rounded down: the customer's favour).
 */
export function refundableValue(lines: readonly ClaimedLine[], claim: ClaimRequest, policy: Policy, rules: Rules): RefundValue {
  const { reason } = claim.complaint;
  const paid = paidFor(lines, claim, policy);
  if (paid.goods.amount !== paid.listValue.amount) {
    rules.add('discounted-order', `The order was paid at a discount: ${fmt(paid.listValue)} at list price is ${fmt(paid.goods)} as paid`);
  }
  const shippingPaid = money(claim.order.shipping, claim.order.currency);
  if (policy.shippingRefundReasons.includes(reason) && shippingPaid.amount > 0) {
    rules.add(
      'shipping-refund',
      paid.shippingInFull
        ? `${labelOf(reason)} is the shop's fault: shipping (${fmt(paid.shipping)}) is refunded too`
        : `${labelOf(reason)} is the shop's fault: shipping is refunded in proportion to the claimed items, ${fmt(paid.shipping)} of ${fmt(shippingPaid)}`,
    );
  } else if (shippingPaid.amount > 0) {
    rules.add('shipping-kept', `Shipping (${fmt(shippingPaid)}) is not refunded for ${labelOf(reason).toLowerCase()}`);
  }
  let fee = zero(claim.order.currency);
  if (policy.restockingFee.percent > 0 && policy.restockingFee.reasons.includes(reason)) {
    fee = percentOf(paid.goods, policy.restockingFee.percent, 'down');
    rules.add(
      'restocking-fee',
      `A restocking fee of ${policy.restockingFee.percent} % (${fmt(fee)}) is kept for ${labelOf(reason).toLowerCase()}`,
    );
  }
  const refundable = subtract(add(paid.goods, paid.shipping), fee);
  // Built field by field: on the hot path an object spread costs more than this whole step.
  return { listValue: paid.listValue, goods: paid.goods, shipping: paid.shipping, shippingInFull: paid.shippingInFull, fee, refundable };
}
