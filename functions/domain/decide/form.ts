import type { ClaimRequest, Reason } from '../claim.ts';
import type { FiredRule, Outcome } from '../decide.ts';
import { type Money, zero } from '../money.ts';
import type { Policy } from '../policy.ts';
import { type EligibleLine, NOTHING_TO_RETURN } from './eligibility.ts';
import type { Limits } from './limits.ts';
import { fmt, labelOf, type Rules, unitsText } from './rules.ts';
import type { RefundValue } from './value.ts';

/** Reasons where the goods are the shop's to replace. */
const REPLACEABLE: readonly Reason[] = ['damaged', 'defective', 'wrong_item', 'missing_item', 'not_received', 'not_as_described'];

/** How the claim is settled, before the caps. */
export interface Form {
  readonly outcome: Outcome;
  /** Cash to the original payment method. */
  readonly cash: Money;
  /** Store credit given instead of a cash refund (refund value, not an incentive). */
  readonly refundCredit: Money;
  readonly returnRequired: boolean;
  /** Whether the decision covers the claimed units (a refund, a replacement or credit instead of a refund do). */
  readonly coversUnits: boolean;
  readonly alternative?: FiredRule;
  /** Where the refund's sentence waits for the caps (cash or credit outcomes). */
  readonly refundRule?: number;
}

/**
 * Step 4, form. First whether the goods come back:
 * - nothing to send back for an order not received or an item missing (`nothing-to-return`);
 *   perishables and an apology need no return either;
 * - otherwise the claimed items are kept when worth at most the keep-it threshold (`keep-it`),
 *   for the reasons it applies to (`keepItReasons`; all by default), and sent back first when
 *   worth more, when the reason is not one the threshold applies to, or when the threshold is an
 *   amount in another currency (`return-required`).
 *
 * Then the form the customer asked for, where the policy allows it: a replacement for a fault of
 * the shop (`replacement`; otherwise the money is refunded, `replacement-not-offered`), store
 * credit instead of cash (`store-credit`), an apology only (`apology`), or cash
 * (`refund-after-return`, `refund-without-return`). The refund's sentence is written after the
 * caps, with the amount finally refunded.
 */
export function chooseForm(
  claim: ClaimRequest,
  policy: Policy,
  limits: Limits,
  lines: readonly EligibleLine[],
  value: RefundValue,
  rules: Rules,
): Form {
  const { reason, desiredOutcome } = claim.complaint;
  const none = zero(claim.order.currency);
  const perishableOnly = lines.every((l) => policy.perishableCategories.includes(l.category));
  let returnRequired = false;
  if (NOTHING_TO_RETURN.includes(reason)) {
    rules.add('nothing-to-return', `${labelOf(reason)}: there is nothing to send back`);
  } else if (!perishableOnly && desiredOutcome !== 'apology') {
    // An apology settles nothing that would need the goods back.
    returnRequired = keepItOrReturn(policy, limits, reason, value.listValue, rules);
  }

  if (desiredOutcome === 'replacement' && REPLACEABLE.includes(reason)) {
    rules.add('replacement', `As asked, the shop sends a replacement for ${unitsText(lines)}`);
    return { outcome: 'replacement', cash: none, refundCredit: none, returnRequired, coversUnits: true };
  }
  if (desiredOutcome === 'store_credit') {
    return {
      outcome: 'store_credit',
      cash: none,
      refundCredit: value.refundable,
      returnRequired,
      coversUnits: true,
      refundRule: rules.reserve(),
    };
  }
  if (desiredOutcome === 'apology') {
    rules.add('apology', 'The customer asked for an apology rather than money');
    return { outcome: 'goodwill', cash: none, refundCredit: none, returnRequired, coversUnits: false };
  }
  let alternative: FiredRule | undefined;
  if (desiredOutcome === 'replacement') {
    alternative = {
      id: 'alternative-refund',
      text: `A replacement is offered for faults of the shop; for ${labelOf(reason).toLowerCase()} the money is refunded instead`,
    };
    rules.add('replacement-not-offered', alternative.text);
  }
  const form: { -readonly [K in keyof Form]: Form[K] } = {
    outcome: returnRequired ? 'return_and_refund' : 'refund_without_return',
    cash: value.refundable,
    refundCredit: none,
    returnRequired,
    coversUnits: true,
    refundRule: rules.reserve(),
  };
  if (alternative) form.alternative = alternative;
  return form;
}

/** The keep-it rule: true when the goods must be sent back first. */
function keepItOrReturn(policy: Policy, limits: Limits, reason: Reason, listValue: Money, rules: Rules): boolean {
  const sendBack = `sent back first, within ${policy.returns.sendBackDays} days`;
  const threshold = limits.keepItThreshold;
  if (threshold === undefined) {
    rules.add(
      'return-required',
      `The keep-it threshold is an amount in ${policy.currency}, so it is not applied to an order in ${limits.currency}: the claimed items are ${sendBack}`,
    );
    return true;
  }
  if (policy.keepItReasons !== null && !policy.keepItReasons.includes(reason)) {
    rules.add(
      'return-required',
      policy.keepItReasons.length === 0
        ? `The policy lets no claim keep the goods: the claimed items are ${sendBack}`
        : `The keep-it threshold applies only to ${policy.keepItReasons.map(labelOf).join(', ').toLowerCase()}; for ${labelOf(reason).toLowerCase()} the claimed items are ${sendBack}`,
    );
    return true;
  }
  if (listValue.amount <= threshold.amount) {
    rules.add(
      'keep-it',
      `The claimed items are worth ${fmt(listValue)}, at most the ${fmt(threshold)} keep-it threshold: no need to send them back`,
    );
    return false;
  }
  rules.add(
    'return-required',
    `The claimed items are worth ${fmt(listValue)}, above the ${fmt(threshold)} keep-it threshold: they are ${sendBack}`,
  );
  return true;
}
