import type { FollowUpReason } from './followups.ts';
import { type Money, money } from './money.ts';
import type { Policy, Role } from './policy.ts';
import { tierFor } from './policy.ts';

/** Hours a tier waits when the policy gives none (only `auto` has none, and it never waits). */
const DEFAULT_WAIT_HOURS = 48;

/** How long a tier's approvers have before the claim escalates one tier up. */
export function approvalWaitHours(policy: Policy, role: Role): number {
  return tierFor(policy, role)?.waitHours ?? DEFAULT_WAIT_HOURS;
}

/** How long the customer has to send authorised goods back, in seconds. */
export function returnWaitSeconds(policy: Policy): number {
  return policy.returns.sendBackDays * 24 * 60 * 60;
}

/**
 * How far back a decision reads the customer's ledger, in days: the longest window any risk
 * rule or budget looks at, and for returns never received the wait for the return on top.
 */
export function historyLookbackDays(policy: Policy): number {
  const r = policy.risk;
  return Math.max(
    r.frequentClaims?.days ?? 0,
    r.goodwillBudget?.days ?? 0,
    r.refundRate?.days ?? 0,
    (r.unreturned?.afterDays ?? 0) + policy.returns.sendBackDays + 365,
  );
}

/**
 * The customer's rolling goodwill budget for an order currency: the policy's own in its
 * currency, the `currencies` entry's in another; undefined when the policy sets none for it.
 */
export function goodwillBudgetFor(policy: Policy, currency: string): { amount: Money; days: number } | undefined {
  const budget = policy.risk.goodwillBudget;
  if (!budget) return undefined;
  const amount = currency === policy.currency ? budget.amount : policy.currencies[currency]?.goodwillBudget;
  return amount === undefined ? undefined : { amount: money(amount, currency), days: budget.days };
}

/**
 * The most a tier may approve in an order currency: the tier's own limit in the policy's
 * currency, the `currencies` entry's in another. In a currency the policy sets no limits for,
 * only the top tier approves (no limit), and every other tier's limit is nothing.
 */
export function tierLimitFor(policy: Policy, role: Role, currency: string): Money | null {
  const tiers = policy.approval.tiers;
  const i = tiers.findIndex((t) => t.role === role);
  const limit = currency === policy.currency ? tiers[i]?.limit : policy.currencies[currency]?.tierLimits[i];
  if (limit === undefined) return i === tiers.length - 1 ? null : money(0, currency);
  return limit === null ? null : money(limit, currency);
}

/**
 * Who keeps a promise that a person will get in touch, and by when (the policy's `followUps`):
 * the role (the configured one when a tier of people has it, else the lowest tier of people),
 * the due time and the moment its approvers are reminded.
 */
export function followUpTerms(policy: Policy, reason: FollowUpReason, now: Date): { role: Role; due: Date; remindAt: Date } {
  const f = policy.followUps;
  const wanted = f.byReason[reason]?.role ?? f.role;
  const people = policy.approval.tiers.filter((t) => t.role !== 'auto' && t.approvers.length > 0);
  const role = people.find((t) => t.role === wanted)?.role ?? people[0]?.role ?? wanted;
  const due = new Date(now.getTime() + (f.byReason[reason]?.dueHours ?? f.dueHours) * 3600_000);
  return { role, due, remindAt: new Date(Math.max(now.getTime(), due.getTime() - f.remindBeforeHours * 3600_000)) };
}

/**
 * The latest moment a claim that waits at `role` is decided: its tier's wait and that of every
 * tier above it (each escalation gives the next tier its own wait).
 */
export function decidedBy(policy: Policy, role: Role, now: Date): Date {
  const tiers = policy.approval.tiers;
  const from = tiers.findIndex((t) => t.role === role);
  const hoursLeft = tiers.slice(Math.max(from, 0)).reduce((sum, t) => sum + (t.role === 'auto' ? 0 : approvalWaitHours(policy, t.role)), 0);
  return new Date(now.getTime() + hoursLeft * 3600_000);
}
