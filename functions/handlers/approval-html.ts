import { decisionValue } from '#domain/decide.ts';
import { escapeHtml as e } from '#domain/email.ts';
import { formatMoney, type Money, minorDigits } from '#domain/money.ts';
import type { ApprovalOutcome, ApprovalView, LinkProblem } from '#usecases/approvals.ts';
import { roleLabel } from '#usecases/approvals.ts';

const STYLE =
  'body{font-family:system-ui,Arial,sans-serif;max-width:760px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}' +
  'table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}' +
  '.box{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}.muted{color:#666}' +
  'button{font-size:1em;padding:.5em 1.2em;margin-right:.6em;border-radius:4px;border:1px solid #888;cursor:pointer}' +
  '.approve{background:#1b7f3b;color:#fff;border-color:#1b7f3b}.reject{background:#fff;color:#a40000;border-color:#a40000}' +
  'input,textarea{font-size:1em;padding:.3em;width:100%;box-sizing:border-box}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${e(title)}</title><style>${STYLE}</style></head><body><h1>${e(title)}</h1>${body}</body></html>`;
}

const fmt = (m: Money) => formatMoney(m, 'en');

/** The read-only confirmation page with the one form that acts. */
export function confirmationPage(view: ApprovalView, action: string): string {
  const { claim, decision, history, grant } = view;
  const value = decisionValue(decision);
  const digits = minorDigits(value.currency);
  const items = claim.complaint.items
    .map((line) => {
      const item = claim.order.items.find((i) => i.sku === line.sku);
      return `<tr><td>${e(line.sku)}</td><td>${e(item?.name ?? '')}</td><td>${e(item?.category ?? '')}</td><td>${line.quantity} of ${item?.quantity ?? '?'}</td><td>${item ? e(fmt({ amount: item.unitPrice, currency: claim.order.currency })) : ''}</td></tr>`;
    })
    .join('');
  const evidence = claim.complaint.evidence.length
    ? `<ul>${claim.complaint.evidence.map((u) => `<li><a href="${e(u)}" rel="noopener noreferrer nofollow">${e(u)}</a></li>`).join('')}</ul>`
    : '<p class="muted">No evidence attached.</p>';
  const rules = decision.rules.map((r) => `<li><code>${e(r.id)}</code> ${e(r.text)}</li>`).join('');
  return page(
    `Approve claim for order ${claim.order.id}?`,
    `<p class="muted">You are deciding as <strong>${e(grant.approver)}</strong> (${e(roleLabel(grant.role))}). Your limit: <strong>${view.limit ? e(fmt(view.limit)) : 'no limit'}</strong>. This link works once, until ${e(new Date(grant.expiresAt * 1000).toISOString())}.</p>
<div class="box"><h2>Proposal</h2><p><strong>${e(decision.outcome)}</strong>: cash ${e(fmt(decision.cash))}, store credit ${e(fmt(decision.storeCredit))} (of which goodwill ${e(fmt(decision.goodwill))}). Total <strong>${e(fmt(value))}</strong>. Policy version ${decision.policyVersion}.${decision.returnRequired ? ' The goods are returned before the money is granted.' : ''}</p>
<h3>Why</h3><ol>${rules}</ol></div>
<div class="box"><h2>Claim</h2><table>
<tr><th>Order</th><td>${e(claim.order.id)}, placed ${e(claim.order.placedAt)}${claim.order.deliveredAt ? `, delivered ${e(claim.order.deliveredAt)}` : ', not delivered'}; paid ${e(fmt({ amount: claim.order.paid, currency: claim.order.currency }))} incl. shipping ${e(fmt({ amount: claim.order.shipping, currency: claim.order.currency }))}</td></tr>
<tr><th>Customer</th><td>${e(claim.customer.name)} &lt;${e(claim.customer.email)}&gt; (${e(claim.customer.id)}, ${e(claim.customer.locale)})</td></tr>
<tr><th>Reason</th><td>${e(claim.complaint.reason)}; asks for ${e(claim.complaint.desiredOutcome)}; via ${e(claim.complaint.channel)}</td></tr>
<tr><th>Message</th><td>${e(claim.complaint.message) || '<span class="muted">(none)</span>'}</td></tr>
</table><h3>Claimed items</h3><table><tr><th>SKU</th><th>Item</th><th>Category</th><th>Claimed</th><th>Unit price</th></tr>${items}</table>
<h3>Evidence</h3>${evidence}</div>
<div class="box"><h2>Customer history</h2><ul><li>Earlier claims in the risk window: ${history.claimsInWindow}</li><li>Authorised returns never received: ${history.unreturnedReturns}</li><li>Goodwill received in the budget window: ${e(fmt(history.goodwillSpent))}</li><li>Already granted on this order: ${e(fmt(history.orderGranted))}</li></ul></div>
<form method="post" action="${e(action)}" class="box"><h2>Your decision</h2>
<input type="hidden" name="nonce" value="${e(view.nonce)}">
<p><label>Approve a lower amount (optional, total in ${e(value.currency)}, at most ${e((value.amount / 10 ** digits).toFixed(digits))})<br><input name="amount" inputmode="decimal" autocomplete="off" placeholder="${e((value.amount / 10 ** digits).toFixed(digits))}"></label></p>
<p><label>Note (optional; required in spirit when you reject)<br><textarea name="note" rows="3" maxlength="2000"></textarea></label></p>
<p><button class="approve" type="submit" name="decision" value="approve">Approve</button><button class="reject" type="submit" name="decision" value="reject">Reject</button></p>
</form>`,
  );
}

const problems: Record<LinkProblem | 'bad_form' | 'above_proposal' | 'above_limit', { status: number; title: string; text: string }> = {
  malformed: {
    status: 400,
    title: 'This link is not valid',
    text: 'The link is incomplete or was changed. Open it again from the email, or ask for a new one.',
  },
  tampered: {
    status: 403,
    title: 'This link is not valid',
    text: 'The link was changed after it was sent, so it cannot be used. Open it again from the email.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    text: 'The time to decide with this link has passed. If the claim still needs a decision, a new link has gone to the next approver.',
  },
  used: { status: 409, title: 'This link was already used', text: 'A decision was already recorded with this link. Nothing was changed.' },
  superseded: {
    status: 410,
    title: 'This link no longer works',
    text: 'The claim moved on (for example it was escalated to another approver), so this link was retired. Nothing was changed.',
  },
  ended: { status: 409, title: 'This claim has already ended', text: 'The claim was settled, rejected or closed. Nothing was changed.' },
  unknown_claim: { status: 404, title: 'Claim not found', text: 'This link points at a claim that does not exist.' },
  bad_form: { status: 400, title: 'Please try again', text: 'The form was incomplete. Nothing was changed.' },
  above_proposal: {
    status: 422,
    title: 'Amount above the proposal',
    text: 'You can approve the proposal or a lower amount, not a higher one. Nothing was changed.',
  },
  above_limit: {
    status: 403,
    title: 'Amount above your limit',
    text: 'That amount is above what your role may approve. Approve a lower amount, or reject. Nothing was changed.',
  },
};

/** A page that explains why nothing happened. */
export function problemPage(problem: keyof typeof problems, message?: string): { status: number; body: string } {
  const p = problems[problem];
  return { status: p.status, body: page(p.title, `<p>${e(message ?? p.text)}</p>${message ? `<p class="muted">${e(p.text)}</p>` : ''}`) };
}

/** The page after a decision was recorded. */
export function resultPage(outcome: Extract<ApprovalOutcome, { ok: true }>): string {
  const what = outcome.decision === 'approve' ? `Approved${outcome.approved ? `: ${fmt(outcome.approved)}` : ''}` : 'Rejected';
  return page(
    `${what}`,
    `<p>Your decision on claim <code>${e(outcome.claimId)}</code> is recorded, and the claim continues. The customer will be told. You can close this page.</p>`,
  );
}
