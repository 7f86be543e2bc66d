import type { ClaimRequest } from './claim.ts';
import type { FiredRule } from './decide.ts';
import type { StoredDecision } from './ledger.ts';
import { formatMoney, type Money } from './money.ts';

/** An email ready to send: subject, plain text and simple HTML. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Which customer email a step sends. */
export type CustomerEmailKind = 'outcome' | 'return_instructions' | 'return_not_received' | 'needs_more_time';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Paragraphs as a plain-text part and a simple HTML part. */
export function render(subject: string, paragraphs: readonly string[]): EmailContent {
  const text = `${paragraphs.join('\n\n')}\n`;
  const html = `<!doctype html><html><body style="font-family:Arial,sans-serif;line-height:1.5">${paragraphs
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('')}</body></html>`;
  return { subject, text, html };
}

const FAULT_REASONS = new Set(['damaged', 'defective', 'wrong_item', 'missing_item', 'late_delivery', 'not_received', 'not_as_described']);

/**
 * The customer's email for a claim step. English only for now; the wording follows the house
 * rules: thank the customer, apologise when the shop was at fault, say exactly what happens and
 * when, never blame, and always offer an alternative with a no.
 */
export function customerEmail(
  kind: CustomerEmailKind,
  args: { claim: ClaimRequest; decision: StoredDecision | undefined; shopName: string; claimId: string; sendBackDays?: number },
): EmailContent {
  const { claim, decision, shopName } = args;
  const fmt = (m: Money) => formatMoney(m, 'en');
  const hello = `Dear ${claim.customer.name},`;
  const thanks = `Thank you for telling us about your order ${claim.order.id}.`;
  const sorry = FAULT_REASONS.has(claim.complaint.reason) ? ' We are sorry it went wrong.' : '';
  const sign = `Kind regards,\n${shopName}\n(reference ${args.claimId})`;
  switch (kind) {
    case 'return_instructions':
      return render(`Your return for order ${claim.order.id}`, [
        hello,
        `${thanks}${sorry} Please send the items back within ${args.sendBackDays ?? 30} days, with the reference ${args.claimId} inside the parcel.`,
        decision && decision.cash.amount > 0
          ? `As soon as the parcel reaches us, we refund ${fmt(decision.cash)} to your original payment method.`
          : 'As soon as the parcel reaches us, we settle your claim as agreed.',
        sign,
      ]);
    case 'return_not_received':
      return render(`Your return for order ${claim.order.id}`, [
        hello,
        `We have not received the items for your claim ${args.claimId} within the agreed time, so we have closed it without a refund.`,
        'If you have already sent them, reply with the tracking number and a person will look into it straight away.',
        sign,
      ]);
    case 'needs_more_time':
      return render(`Your claim for order ${claim.order.id} needs a little more time`, [
        hello,
        `${thanks} Your claim needs a closer look by our team, and that is taking longer than we hoped.`,
        'We will write to you as soon as it is decided. You do not need to do anything.',
        sign,
      ]);
    case 'outcome':
      return outcomeEmail(claim, decision, hello, `${thanks}${sorry}`, sign, fmt);
  }
}

function outcomeEmail(
  claim: ClaimRequest,
  decision: StoredDecision | undefined,
  hello: string,
  opening: string,
  sign: string,
  fmt: (m: Money) => string,
): EmailContent {
  if (decision === undefined || decision.outcome === 'rejected') {
    const reason = decision?.rules.find((r) => !r.id.startsWith('alternative') && r.id !== 'approval-tier');
    const alt: FiredRule | undefined = decision?.alternative;
    return render(`About your claim for order ${claim.order.id}`, [
      hello,
      opening,
      `We looked at your claim carefully and cannot refund it under our policy${reason ? `: ${reason.text.charAt(0).toLowerCase()}${reason.text.slice(1)}.` : '.'}`,
      `${alt ? `${alt.text}.` : 'A person from our team will contact you to find another way to help.'} Just reply to this email if you would like to talk it through.`,
      sign,
    ]);
  }
  const lines: string[] = [];
  if (decision.cash.amount > 0)
    lines.push(`We are refunding ${fmt(decision.cash)} to your original payment method. It usually arrives within 5 to 10 business days.`);
  if (decision.storeCredit.amount > 0) {
    const bonus = decision.goodwill.amount > 0 ? `, including ${fmt(decision.goodwill)} from us as a thank-you,` : '';
    lines.push(`We have added ${fmt(decision.storeCredit)} of store credit${bonus} to your account. You can use it on your next order.`);
  }
  if (decision.outcome === 'replacement')
    lines.push('We are sending you a replacement. You will receive the tracking details when it ships.');
  if (decision.outcome === 'refund_without_return') lines.push('There is no need to send anything back.');
  if (lines.length === 0) lines.push('We have noted your feedback and shared it with the team so it does not happen again.');
  return render(`Your claim for order ${claim.order.id} is settled`, [hello, opening, ...lines, sign]);
}
