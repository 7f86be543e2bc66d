import { approvalRequestHtml } from '#views/agent-email.ts';
import type { ClaimRequest } from './claim.ts';
import type { Outcome } from './decide.ts';
import type { EmailContent } from './email.ts';
import type { StoredDecision } from './ledger.ts';
import { formatMoney, type Money } from './money.ts';
import type { Role } from './policy.ts';
import { plainText } from './text.ts';

/** A decision's outcome in words, for approvers (English, like the rest of the approver's side). */
export function outcomeLabel(outcome: Outcome): string {
  return {
    refund_without_return: 'Refund without return',
    return_and_refund: 'Return and refund',
    replacement: 'Replacement',
    store_credit: 'Store credit',
    goodwill: 'Goodwill credit',
    rejected: 'Rejection',
  }[outcome];
}

/** A role in words, for approvers' pages and emails. */
export function roleLabel(role: Role): string {
  return { auto: 'automatic', agent: 'agent', supervisor: 'supervisor', finance: 'finance' }[role];
}

/** A moment as approvers read it: `25 Nov 2026, 12:00 UTC`. */
export function formatDeadline(at: Date): string {
  const text = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(at);
  return `${text} UTC`;
}

/**
 * The approver's email: the claim in brief, the amount and their own link. The reminder is the
 * same email with a reminder's subject and opening, and a link to the same round with the same
 * expiry, so the first email's link keeps working too. Every value from outside (the order id,
 * the customer's name and address, the shop's name) is shown through {@link plainText}, as in the
 * customer's emails: a line break in an order id must not start a line of its own.
 */
export function approvalRequestEmail(args: {
  claim: ClaimRequest;
  decision: StoredDecision;
  claimId: string;
  role: string;
  link: string;
  expiresAt: Date;
  shopName: string;
  /** True for the one reminder a tier gets before its deadline. @default false */
  reminder?: boolean;
  /** The role the claim goes to if nobody at this tier decides in time; undefined at the top tier. */
  escalatesTo?: string | undefined;
}): EmailContent {
  const { claim, decision } = args;
  const order = plainText(claim.order.id);
  const shop = plainText(args.shopName);
  const fmt = (m: Money) => formatMoney(m, 'en');
  const value = { amount: decision.cash.amount + decision.storeCredit.amount, currency: decision.cash.currency };
  const deadline = formatDeadline(args.expiresAt);
  const subject = args.reminder
    ? `Reminder: approval needed by ${deadline}: ${fmt(value)} for order ${order}`
    : `Approval needed: ${fmt(value)} for order ${order}`;
  const afterDeadline = args.escalatesTo
    ? `After that the claim goes to the ${args.escalatesTo} tier.`
    : 'After that the customer is told that the claim needs more time.';
  const opening = args.reminder
    ? `Reminder: a claim at ${shop} still needs your decision as ${args.role}. Your link works until ${deadline}. ${afterDeadline}`
    : `A claim at ${shop} needs your decision as ${args.role}, by ${deadline}. ${afterDeadline}`;
  const facts: [string, string][] = [
    ['Customer', `${plainText(claim.customer.name)} <${plainText(claim.customer.email)}>`],
    ['Order', order],
    ['Reason', claim.complaint.reason.replaceAll('_', ' ')],
    ['Proposed', `${outcomeLabel(decision.outcome)}: cash ${fmt(decision.cash)}, store credit ${fmt(decision.storeCredit)}`],
    ['Total', fmt(value)],
  ];
  const safety = 'Opening the link changes nothing; only the buttons on the page do. The link is yours and works once.';
  const text = [
    opening,
    facts.map(([k, v]) => `${k}: ${v}`).join('\n'),
    `Review and decide:\n${args.link}`,
    safety,
    `Reference ${args.claimId}`,
  ].join('\n\n');
  const html = approvalRequestHtml({ opening, facts, link: args.link, safety, claimId: args.claimId });
  return { subject, text: `${text}\n`, html };
}
