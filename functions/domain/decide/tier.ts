import type { ClaimRequest } from '../claim.ts';
import type { CustomerHistory, FiredRule } from '../decide.ts';
import { type Money, money } from '../money.ts';
import { compareRoles, higherRole, matchPhrases, type Policy, type Role } from '../policy.ts';
import type { Limits } from './limits.ts';
import { fmt, type Rules } from './rules.ts';

/** A risk signal that fired: its rule, and the role it asks for at least. */
export interface Signal extends FiredRule {
  readonly minRole: Role;
}

/**
 * The risk signals of a claim. Each only raises the approval tier to at least its `minRole`;
 * none ever rejects.
 * - `risk-frequent-claims`: this claim makes `count` or more in the window.
 * - `risk-unreturned`: an authorised return was never received.
 * - `risk-refund-rate`: more than `maxPercent` of enough concluded claims ended with money.
 * - `risk-blocklist`: the customer (id or email, any case) is on the shop's review list.
 * - `risk-delivered-not-received`: `not_received` for an order recorded as delivered.
 * - `risk-threat`, `risk-competitor`: the message threatens action or names a competitor, by the
 *   policy's phrases in any of its locales ({@link matchPhrases}); the sentence quotes the words.
 */
export function riskSignals(claim: ClaimRequest, policy: Policy, history: CustomerHistory): Signal[] {
  const risk = policy.risk;
  const signals: Signal[] = [];
  if (risk.frequentClaims && history.claimsInWindow + 1 >= risk.frequentClaims.count) {
    signals.push({
      id: 'risk-frequent-claims',
      minRole: risk.frequentClaims.minRole,
      text: `This is the customer's claim number ${history.claimsInWindow + 1} in ${risk.frequentClaims.days} days (${risk.frequentClaims.count} or more need a person)`,
    });
  }
  if (risk.unreturned && history.unreturnedReturns > 0) {
    signals.push({
      id: 'risk-unreturned',
      minRole: risk.unreturned.minRole,
      text: `The customer has ${history.unreturnedReturns} authorised ${history.unreturnedReturns === 1 ? 'return' : 'returns'} never received after ${risk.unreturned.afterDays} days`,
    });
  }
  const rate = risk.refundRate;
  const { concludedClaims, claimsWithMoney } = history.refundRate;
  // Compared in whole numbers: maxPercent has at most two decimals, so ×100 is exact.
  if (rate && concludedClaims >= rate.minClaims && claimsWithMoney * 10_000 > Math.round(rate.maxPercent * 100) * concludedClaims) {
    signals.push({
      id: 'risk-refund-rate',
      minRole: rate.minRole,
      text: `${claimsWithMoney} of the customer's ${concludedClaims} concluded claims in ${rate.days} days ended with money granted, more than the ${rate.maxPercent} % that needs a person`,
    });
  }
  const listed = new Set(risk.blocklist?.customers.map((c) => c.toLowerCase()) ?? []);
  if (risk.blocklist && (listed.has(claim.customer.id.toLowerCase()) || listed.has(claim.customer.email.toLowerCase()))) {
    signals.push({
      id: 'risk-blocklist',
      minRole: risk.blocklist.minRole,
      text: `The customer is on the shop's review list: ${risk.blocklist.minRole} approval is needed`,
    });
  }
  const deliveredAt = claim.order.deliveredAt;
  if (risk.deliveredButNotReceived && claim.complaint.reason === 'not_received' && deliveredAt !== undefined) {
    const role = risk.deliveredButNotReceived.minRole;
    signals.push({
      id: 'risk-delivered-not-received',
      minRole: role,
      text: `The order is recorded as delivered on ${deliveredAt.slice(0, 10)}, but the customer says it never arrived: ${role} approval is needed`,
    });
  }
  const phrases = risk.phrases;
  if (phrases) {
    const threat = matchPhrases(claim.complaint.message, phrases.threats);
    if (threat) {
      signals.push({
        id: 'risk-threat',
        minRole: phrases.minRole,
        text: `The message threatens action against the shop ("${threat.text}"): ${phrases.minRole} approval is needed`,
      });
    }
    const competitor = matchPhrases(claim.complaint.message, phrases.competitors);
    if (competitor) {
      signals.push({
        id: 'risk-competitor',
        minRole: phrases.minRole,
        text: `The message names a competitor ("${competitor.text}"): ${phrases.minRole} approval is needed`,
      });
    }
  }
  return signals;
}

/** The lowest tier of the policy whose role is at least `role` (the top tier if none is). */
export function tierAtLeast(policy: Policy, role: Role): Role {
  const tiers = policy.approval.tiers;
  return tiers.find((t) => compareRoles(t.role, role) >= 0)?.role ?? tiers.at(-1)?.role ?? 'finance';
}

/**
 * Step 7, tier (`approval-tier`): the value of the decision is cash plus all store credit,
 * incentives included; it picks the lowest tier whose limit covers it, in the order's currency's
 * limits. An order in a currency the policy sets no limits for goes to the top tier. Review rules
 * (evidence to check, risk signals) raise the tier to at least their role; the signals' sentences
 * follow the tier's.
 */
export function approvalTier(value: Money, minRole: Role, signals: readonly Signal[], policy: Policy, limits: Limits, rules: Rules): Role {
  const tiers = policy.approval.tiers;
  const top = tiers.at(-1)?.role ?? 'finance';
  let needed = minRole;
  for (const s of signals) needed = higherRole(needed, s.minRole);
  if (limits.tierLimits === undefined) {
    rules.add(
      'approval-tier',
      `The decision is worth ${fmt(value)}: ${top} approval is needed, as the policy sets no limits for ${limits.currency}`,
    );
  } else {
    const byLimits = limits.tierLimits;
    const at = byLimits.findIndex((limit) => limit === null || value.amount <= limit);
    const byValue = tiers[at < 0 ? tiers.length - 1 : at]?.role ?? top;
    const limit = at < 0 ? null : (byLimits[at] ?? null);
    const tier = compareRoles(needed, byValue) > 0 ? tierAtLeast(policy, needed) : byValue;
    rules.add(
      'approval-tier',
      tier !== byValue
        ? `The decision is worth ${fmt(value)}; ${tier} approval is needed because of the review rules in this list`
        : tier === 'auto'
          ? `The decision is worth ${fmt(value)}, within the ${fmt(money(limit ?? 0, value.currency))} approved automatically`
          : `The decision is worth ${fmt(value)}: ${tier} approval is needed${limit === null ? '' : ` (up to ${fmt(money(limit, value.currency))})`}`,
    );
    for (const s of signals) rules.add(s.id, s.text);
    return tier;
  }
  for (const s of signals) rules.add(s.id, s.text);
  return top;
}
