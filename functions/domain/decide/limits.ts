import { type Money, money } from '../money.ts';
import type { Policy } from '../policy.ts';
import type { Rules } from './rules.ts';

/**
 * The amounts of a policy that apply to an order, in the order's currency. A policy's amounts are
 * in its own currency, so an order in another one uses the policy's `currencies` entry for that
 * currency, or, without one, none of them: no amount is ever compared across currencies.
 */
export interface Limits {
  readonly currency: string;
  /** Where the amounts come from: the document itself, its `currencies` entry, or nowhere. */
  readonly source: 'policy' | 'currencies' | 'none';
  /** The keep-it threshold; undefined when there is none in this currency. */
  readonly keepItThreshold: Money | undefined;
  /** One limit per approval tier (null for no limit); undefined when there are none in this currency. */
  readonly tierLimits: readonly (number | null)[] | undefined;
  /** The rolling goodwill budget; undefined when none applies in this currency. */
  readonly goodwillBudget: { readonly amount: Money; readonly days: number } | undefined;
  /** The apology credit when the shop was at fault (zero for none). */
  readonly apologyCredit: Money;
  /** Whether the goodwill rules' minimum and maximum (amounts in the policy's currency) apply. */
  readonly goodwillBounds: boolean;
}

/** The limits of `policy` for an order in `currency`. */
export function limitsFor(policy: Policy, currency: string): Limits {
  const budget = policy.risk.goodwillBudget;
  if (currency === policy.currency) {
    return {
      currency,
      source: 'policy',
      keepItThreshold: money(policy.keepItThreshold, currency),
      tierLimits: policy.approval.tiers.map((t) => t.limit),
      goodwillBudget: budget ? { amount: money(budget.amount, currency), days: budget.days } : undefined,
      apologyCredit: money(policy.goodwill.apologyCredit, currency),
      goodwillBounds: true,
    };
  }
  const entry = policy.currencies[currency];
  if (entry) {
    return {
      currency,
      source: 'currencies',
      keepItThreshold: money(entry.keepItThreshold, currency),
      tierLimits: entry.tierLimits,
      goodwillBudget:
        budget && entry.goodwillBudget !== undefined ? { amount: money(entry.goodwillBudget, currency), days: budget.days } : undefined,
      apologyCredit: money(entry.apologyCredit ?? 0, currency),
      goodwillBounds: false,
    };
  }
  return {
    currency,
    source: 'none',
    keepItThreshold: undefined,
    tierLimits: undefined,
    goodwillBudget: undefined,
    apologyCredit: money(0, currency),
    goodwillBounds: false,
  };
}

/** Says which limits an order in another currency than the policy's meets. */
export function describeLimits(limits: Limits, policy: Policy, rules: Rules): void {
  const { currency } = limits;
  const top = policy.approval.tiers.at(-1)?.role ?? 'finance';
  if (limits.source === 'none') {
    rules.add(
      'currency-no-limits',
      `The order is in ${currency}; the policy sets no limits for ${currency}, so its amounts are not compared with the ${policy.currency} limits and ${top} approves. The keep-it threshold, the goodwill minimum and maximum, the apology credit and the goodwill budget are amounts in ${policy.currency} and are not applied; percentages are`,
    );
  } else if (limits.source === 'currencies') {
    rules.add(
      'currency-limits',
      `The order is in ${currency}: the policy's ${currency} limits apply (keep-it threshold, approval limits${limits.goodwillBudget ? ', goodwill budget' : ''}${limits.apologyCredit.amount > 0 ? ', apology credit' : ''}); the goodwill minimum and maximum are amounts in ${policy.currency} and are not applied`,
    );
  }
}
