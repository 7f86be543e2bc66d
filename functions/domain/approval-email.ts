import type { ClaimRequest } from './claim.ts';
import { type EmailContent, render } from './email.ts';
import type { StoredDecision } from './ledger.ts';
import { formatMoney, type Money } from './money.ts';

/** The approver's email: the claim in brief, the amount and the link. */
export function approvalRequestEmail(args: {
  claim: ClaimRequest;
  decision: StoredDecision;
  claimId: string;
  role: string;
  link: string;
  expiresAt: Date;
  shopName: string;
}): EmailContent {
  const { claim, decision } = args;
  const fmt = (m: Money) => formatMoney(m, 'en');
  const value = { amount: decision.cash.amount + decision.storeCredit.amount, currency: decision.cash.currency };
  return render(`Approval needed: ${fmt(value)} for order ${claim.order.id}`, [
    `A claim at ${args.shopName} needs your approval as ${args.role}.`,
    `Customer: ${claim.customer.name} <${claim.customer.email}>\nOrder: ${claim.order.id}\nReason: ${claim.complaint.reason}\nProposed: ${decision.outcome}, cash ${fmt(decision.cash)}, store credit ${fmt(decision.storeCredit)}`,
    `Review and decide here (the link works once, until ${args.expiresAt.toISOString()}):\n${args.link}`,
    'Opening the link changes nothing; only the buttons on the page do.',
  ]);
}
