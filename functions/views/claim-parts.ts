import { outcomeLabel } from '#domain/approval-email.ts';
import type { ClaimRequest } from '#domain/claim.ts';
import { decisionValue } from '#domain/decide.ts';
import type { EarlierClaim } from '#domain/history.ts';
import type { StoredDecision } from '#domain/ledger.ts';
import { formatMoney, type Money, minorDigits } from '#domain/money.ts';
import type { ApprovalOutcome } from '#usecases/approvals.ts';
import { type Html, html } from './html.ts';

/**
 * The parts of a claim that the approval page (`#views/approval.ts`) and the console's claim page
 * (`#views/console.ts`) both show, in English, for the shop's staff: the decision and its rules,
 * the facts, the customer's earlier claims, and the forms that decide.
 */

export const fmt = (m: Money) => formatMoney(m, 'en');

/** An amount in the major unit as a person types it: `93.99`. */
export function plain(m: Money): string {
  const digits = minorDigits(m.currency);
  return (m.amount / 10 ** digits).toFixed(digits);
}

export const words = (s: string) => s.replaceAll('_', ' ');

/** The decision (or proposal), its amounts and the rules that fired; `footer` goes at the end of the card. */
export function decisionCard(kicker: string, decision: StoredDecision, footer: Html | string = ''): Html {
  return html`<section class="card proposal"><div class="kicker">${kicker}</div>
<div class="big">${outcomeLabel(decision.outcome)} · ${fmt(decisionValue(decision))}</div>
<dl class="amounts"><dt>Cash refund</dt><dd>${fmt(decision.cash)}</dd><dt>Store credit</dt><dd>${fmt(decision.storeCredit)}</dd><dt>of which goodwill</dt><dd>${fmt(decision.goodwill)}</dd></dl>
${decision.returnRequired ? html`<p>The goods come back first; the money is granted when the shop reports them received.</p>` : ''}
<h3>Why: the rules that fired</h3><ol class="rules">${decision.rules.map((r) => html`<li><code>${r.id}</code> ${r.text}</li>`)}</ol>${footer}</section>`;
}

/** A web link that opens apart from the page, or, for anything that is not http(s), inert text. */
export function safeLink(u: string): Html {
  return /^https?:\/\//i.test(u)
    ? html`<a href="${u}" rel="noopener noreferrer nofollow" target="_blank">${u}</a>`
    : html`<code>${u}</code> <span class="muted small">(not a web link; not opened)</span>`;
}

/** The customer, the order, the complaint and the claimed items; `evidence` is how the page shows the links. */
export function claimFacts(claim: ClaimRequest, evidence: Html): Html {
  const currency = claim.order.currency;
  const items = claim.complaint.items.map((line) => {
    const item = claim.order.items.find((i) => i.sku === line.sku);
    return html`<tr><td>${item?.name ?? line.sku}<br><span class="muted small">${line.sku}${item ? ` · ${item.category}` : ''}</span></td><td class="num">${line.quantity} of ${item?.quantity ?? '?'}</td><td class="num">${item ? fmt({ amount: item.unitPrice, currency }) : ''}</td></tr>`;
  });
  const delivered = claim.order.deliveredAt ? `delivered ${claim.order.deliveredAt.slice(0, 10)}` : 'not delivered';
  return html`<section class="card"><h2>The claim</h2><table class="facts">
<tr><th>Customer</th><td>${claim.customer.name} &lt;${claim.customer.email}&gt;<br><span class="muted small">${claim.customer.id} · language ${claim.customer.locale}</span></td></tr>
<tr><th>Order</th><td>${claim.order.id}: placed ${claim.order.placedAt.slice(0, 10)}, ${delivered}<br><span class="muted small">paid ${fmt({ amount: claim.order.paid, currency })}, of which shipping ${fmt({ amount: claim.order.shipping, currency })}</span></td></tr>
<tr><th>Complaint</th><td>${words(claim.complaint.reason)}; asks for ${words(claim.complaint.desiredOutcome)}; by ${claim.complaint.channel}</td></tr>
<tr><th>Message</th><td>${claim.complaint.message ? html`“${claim.complaint.message}”` : html`<span class="muted">None</span>`}</td></tr>
<tr><th>Evidence</th><td>${evidence}</td></tr>
</table>
<h3>Claimed items</h3><table><tr><th>Item</th><th class="num">Claimed</th><th class="num">Unit price</th></tr>${items}</table></section>`;
}

/** The customer's other claims in the lookback, newest first, each with date, order, reason, outcome, amount and status. */
export function earlierClaimsTable(earlier: readonly EarlierClaim[]): Html {
  if (earlier.length === 0) return html`<p class="muted">None in the lookback.</p>`;
  return html`<table><tr><th>Received</th><th>Order</th><th>Reason</th><th>Outcome</th><th class="num">Amount</th><th>Status</th></tr>${earlier.map(
    (e) =>
      html`<tr><td>${e.at.slice(0, 10)}</td><td>${e.orderId}</td><td>${words(e.reason)}</td><td>${e.outcome === 'pending' ? 'pending' : outcomeLabel(e.outcome)}</td><td class="num">${e.amount ? fmt(e.amount) : ''}</td><td>${words(e.status)}</td></tr>`,
  )}</table>`;
}

/**
 * Approve (up to `most`, or less) or reject, each with an optional note quoted to the customer
 * and an internal note for the ledger (required to reject). Both forms post to `action` with the
 * page's single-use `nonce`.
 */
export function decisionForms(args: { readonly action: string; readonly nonce: string; readonly most: Money }): Html {
  const { action, most } = args;
  const hidden = html`<input type="hidden" name="nonce" value="${args.nonce}">`;
  return html`<div class="forms">
<form method="post" action="${action}" class="approve">${hidden}
<label for="amount">Amount to approve<small>At most ${fmt(most)}. Type a lower amount to approve less.</small></label>
<div class="money"><span>${most.currency}</span><input id="amount" name="amount" value="${plain(most)}" inputmode="decimal" autocomplete="off" required pattern="[0-9]{1,12}([.,][0-9]{1,3})?"></div>
<label for="approve-customer-note">Note to the customer <small>Optional; quoted in the customer’s email.</small></label>
<textarea id="approve-customer-note" name="customerNote" rows="3" maxlength="2000"></textarea>
<label for="approve-note">Internal note <small>Optional; kept in the ledger, not sent.</small></label>
<textarea id="approve-note" name="note" rows="2" maxlength="2000"></textarea>
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
</form>
<form method="post" action="${action}" class="reject">${hidden}
<label for="reject-customer-note">Note to the customer <small>Optional; quoted in the customer’s email, which also offers an alternative.</small></label>
<textarea id="reject-customer-note" name="customerNote" rows="3" maxlength="2000"></textarea>
<label for="reject-note">Why reject? <small>Required; kept in the ledger, not sent.</small></label>
<textarea id="reject-note" name="note" rows="3" maxlength="2000" required></textarea>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</form></div>`;
}

/** What a recorded decision did, in one sentence for the person who made it. */
export function decisionSummary(outcome: Extract<ApprovalOutcome, { ok: true }>): string {
  if (outcome.decision !== 'approve') return `You rejected the proposal of ${fmt(outcome.proposal)}.`;
  return outcome.approved && outcome.approved.amount < outcome.proposal.amount
    ? `You approved ${fmt(outcome.approved)} instead of the proposed ${fmt(outcome.proposal)}.`
    : `You approved the proposal of ${fmt(outcome.proposal)}.`;
}
