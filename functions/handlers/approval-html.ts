import { formatDeadline, outcomeLabel } from '#domain/approval-email.ts';
import { decisionValue } from '#domain/decide.ts';
import { escapeHtml as e } from '#domain/email.ts';
import { formatMoney, type Money, minorDigits } from '#domain/money.ts';
import type { ApprovalUse } from '#ports';
import type { AnswerProblem, ApprovalOutcome, ApprovalView, LinkProblem } from '#usecases/approvals.ts';
import { roleLabel } from '#usecases/approvals.ts';

/**
 * The approver's pages: plain HTML with inline CSS, no script, no image, nothing loaded from
 * elsewhere (the CSP of `html()` forbids it). Every action is a form POST, so they work in any
 * browser, with JavaScript off, and inside a mail client's preview.
 */
const STYLE = [
  ':root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}',
  '*{box-sizing:border-box}',
  'body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#fff;margin:0}',
  'main{max-width:880px;margin:0 auto;padding:24px 20px 48px}',
  '.top{border-bottom:1px solid var(--line);background:var(--soft)}.top div{max-width:880px;margin:0 auto;padding:10px 20px;color:var(--muted);font-size:14px}',
  'h1{font-size:28px;line-height:1.25;margin:8px 0 8px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:16px 0 6px}',
  '.lead{color:var(--muted);margin:0 0 20px}.lead b{color:var(--ink)}',
  '.card{border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}.card>:first-child{margin-top:0}',
  '.proposal{border-color:#8c959f;background:var(--soft)}',
  '.kicker{text-transform:uppercase;letter-spacing:.06em;font-size:12px;color:var(--muted);font-weight:600}',
  '.big{font-size:24px;font-weight:700;margin:2px 0 8px}',
  '.amounts{display:grid;grid-template-columns:max-content max-content;gap:2px 24px;margin:0}.amounts dt{color:var(--muted)}.amounts dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}',
  '.rules{margin:0;padding-left:22px}.rules li{margin:3px 0}code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eff2f5;border-radius:4px;padding:1px 5px}',
  'table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}th{color:var(--muted);font-weight:500;white-space:nowrap}',
  '.facts th{width:9em}.num{text-align:right;font-variant-numeric:tabular-nums}',
  '.muted{color:var(--muted)}.small{font-size:14px}',
  '.warn{border-left:4px solid var(--warn);background:#fff8c5;padding:8px 12px;border-radius:4px}',
  '.forms{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media (max-width:680px){.forms{grid-template-columns:1fr}}',
  '.forms form{border:1px solid var(--line);border-radius:8px;padding:14px 16px;display:flex;flex-direction:column}',
  '.forms form.approve{border-top:4px solid var(--ok)}.forms form.reject{border-top:4px solid var(--bad)}',
  'label{display:block;font-weight:600;margin:8px 0 4px}label small{display:block;font-weight:400;color:var(--muted)}',
  'input,textarea{font:inherit;width:100%;padding:8px 10px;border:1px solid #8c959f;border-radius:6px;background:#fff}',
  'input:focus,textarea:focus{outline:2px solid #0969da;outline-offset:1px}',
  '.money{display:flex;align-items:center;gap:8px}.money span{color:var(--muted);font-weight:600}.money input{max-width:12em;font-variant-numeric:tabular-nums}',
  'button{font:inherit;font-weight:600;padding:10px 18px;border-radius:6px;cursor:pointer;margin-top:14px;align-self:flex-start}',
  'button.approve{background:var(--ok);color:#fff;border:1px solid var(--ok)}button.reject{background:#fff;color:var(--bad);border:1px solid var(--bad)}',
  '.result{font-size:20px}.mark{display:inline-block;width:34px;height:34px;border-radius:50%;color:#fff;text-align:center;line-height:34px;margin-right:10px;font-size:20px;vertical-align:3px}',
  '.mark.ok{background:var(--ok)}.mark.bad{background:var(--bad)}.mark.info{background:var(--muted)}',
  'a{color:#0969da}',
].join('');

function page(title: string, body: string, topLine = 'makegood · approvals'): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow"><title>${e(title)}</title><style>${STYLE}</style></head><body><div class="top"><div>${e(topLine)}</div></div><main>${body}</main></body></html>`;
}

const fmt = (m: Money) => formatMoney(m, 'en');

/** An amount in the major unit as a person types it: `93.99`. */
function plain(m: Money): string {
  const digits = minorDigits(m.currency);
  return (m.amount / 10 ** digits).toFixed(digits);
}

const words = (s: string) => s.replaceAll('_', ' ');

/** The read-only confirmation page with the forms that act. */
export function confirmationPage(view: ApprovalView, action: string): string {
  const { claim, decision, history, grant } = view;
  const value = decisionValue(decision);
  const currency = claim.order.currency;
  const items = claim.complaint.items
    .map((line) => {
      const item = claim.order.items.find((i) => i.sku === line.sku);
      return `<tr><td>${e(item?.name ?? line.sku)}<br><span class="muted small">${e(line.sku)}${item ? ` · ${e(item.category)}` : ''}</span></td><td class="num">${line.quantity} of ${item?.quantity ?? '?'}</td><td class="num">${item ? e(fmt({ amount: item.unitPrice, currency })) : ''}</td></tr>`;
    })
    .join('');
  const evidence = claim.complaint.evidence.length
    ? claim.complaint.evidence.map((u) => `<a href="${e(u)}" rel="noopener noreferrer nofollow" target="_blank">${e(u)}</a>`).join('<br>')
    : '<span class="muted">None attached</span>';
  const rules = decision.rules.map((r) => `<li><code>${e(r.id)}</code> ${e(r.text)}</li>`).join('');
  const limitText = view.limit ? fmt(view.limit) : 'no limit';
  const overLimit = view.limit !== null && value.amount > view.limit.amount;
  const most = view.limit !== null && view.limit.amount < value.amount ? view.limit : value;
  const hidden = `<input type="hidden" name="nonce" value="${e(view.nonce)}">`;
  const delivered = claim.order.deliveredAt ? `delivered ${e(claim.order.deliveredAt.slice(0, 10))}` : 'not delivered';
  return page(
    `Approve ${fmt(value)} for order ${claim.order.id}?`,
    `<h1>Approve ${e(fmt(value))} for order ${e(claim.order.id)}?</h1>
<p class="lead">You decide as <b>${e(grant.approver)}</b> (${e(roleLabel(grant.role))}), with a limit of <b>${e(limitText)}</b>. This link is yours and works once, until <b>${e(formatDeadline(new Date(grant.expiresAt * 1000)))}</b>. Opening this page changed nothing.</p>
<section class="card proposal"><div class="kicker">Proposal</div>
<div class="big">${e(outcomeLabel(decision.outcome))} · ${e(fmt(value))}</div>
<dl class="amounts"><dt>Cash refund</dt><dd>${e(fmt(decision.cash))}</dd><dt>Store credit</dt><dd>${e(fmt(decision.storeCredit))}</dd><dt>of which goodwill</dt><dd>${e(fmt(decision.goodwill))}</dd></dl>
${decision.returnRequired ? '<p>The goods come back first; the money is granted when the shop reports them received.</p>' : ''}
<h3>Why: the rules that fired</h3><ol class="rules">${rules}</ol>
<p class="muted small">Policy version ${decision.policyVersion} of ${e(view.shopName)}.</p></section>
<section class="card"><h2>The claim</h2><table class="facts">
<tr><th>Customer</th><td>${e(claim.customer.name)} &lt;${e(claim.customer.email)}&gt;<br><span class="muted small">${e(claim.customer.id)} · language ${e(claim.customer.locale)}</span></td></tr>
<tr><th>Order</th><td>${e(claim.order.id)}: placed ${e(claim.order.placedAt.slice(0, 10))}, ${delivered}<br><span class="muted small">paid ${e(fmt({ amount: claim.order.paid, currency }))}, of which shipping ${e(fmt({ amount: claim.order.shipping, currency }))}</span></td></tr>
<tr><th>Complaint</th><td>${e(words(claim.complaint.reason))}; asks for ${e(words(claim.complaint.desiredOutcome))}; by ${e(claim.complaint.channel)}</td></tr>
<tr><th>Message</th><td>${claim.complaint.message ? `“${e(claim.complaint.message)}”` : '<span class="muted">None</span>'}</td></tr>
<tr><th>Evidence</th><td>${evidence}</td></tr>
</table>
<h3>Claimed items</h3><table><tr><th>Item</th><th class="num">Claimed</th><th class="num">Unit price</th></tr>${items}</table></section>
<section class="card"><h2>The customer’s history</h2><table class="facts">
<tr><th>Earlier claims</th><td>${history.claimsInWindow} in the risk window</td></tr>
<tr><th>Returns never received</th><td>${history.unreturnedReturns}</td></tr>
<tr><th>Goodwill this year</th><td>${e(fmt(history.goodwillSpent))}</td></tr>
<tr><th>Granted on this order</th><td>${e(fmt(history.orderGranted))} so far</td></tr>
</table></section>
<section class="card"><h2>Your decision</h2>
${overLimit ? `<p class="warn">The proposal is above your limit of ${e(limitText)}. You can approve at most ${e(fmt(most))}, or reject.</p>` : ''}
<div class="forms">
<form method="post" action="${e(action)}" class="approve">${hidden}
<label for="amount">Amount to approve<small>At most ${e(fmt(most))}. Type a lower amount to approve less.</small></label>
<div class="money"><span>${e(currency)}</span><input id="amount" name="amount" value="${e(plain(most))}" inputmode="decimal" autocomplete="off" required pattern="[0-9]{1,12}([.,][0-9]{1,3})?"></div>
<label for="approve-note">Note <small>Optional; kept in the ledger.</small></label>
<textarea id="approve-note" name="note" rows="2" maxlength="2000"></textarea>
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
</form>
<form method="post" action="${e(action)}" class="reject">${hidden}
<label for="reject-note">Why reject? <small>Required; kept in the ledger. The customer is offered an alternative.</small></label>
<textarea id="reject-note" name="note" rows="5" maxlength="2000" required></textarea>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</form>
</div></section>`,
    `makegood · ${view.shopName} · approval request`,
  );
}

type Problem = LinkProblem | AnswerProblem;

const problems: Record<Problem, { status: number; title: string; text: string; back?: true }> = {
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
    text: 'The time to decide with this link has passed. If the claim still needs a decision, it has gone to the next approver.',
  },
  used: { status: 409, title: 'This link was already used', text: 'A decision was already recorded for this request.' },
  superseded: {
    status: 410,
    title: 'This link no longer works',
    text: 'The claim moved on (for example, it was escalated to another approver), so this link was retired.',
  },
  foreign: {
    status: 403,
    title: 'This link is not for this request',
    text: 'The link was not issued to you for the request that is open on this claim. Use the link from your own, latest email.',
  },
  ended: { status: 409, title: 'This claim has already ended', text: 'The claim was settled, rejected or closed.' },
  unknown_claim: { status: 404, title: 'Claim not found', text: 'This link points at a claim that does not exist.' },
  bad_form: { status: 400, title: 'Please try again', text: 'The form was incomplete.', back: true },
  note_required: {
    status: 400,
    title: 'Please say why you reject',
    text: 'A rejection needs a note: it is kept in the ledger, and it helps the customer and your colleagues.',
    back: true,
  },
  above_proposal: {
    status: 422,
    title: 'Amount above the proposal',
    text: 'You can approve the proposal or a lower amount, not a higher one.',
    back: true,
  },
  above_limit: {
    status: 403,
    title: 'Amount above your limit',
    text: 'That amount is above what your role may approve. Approve a lower amount, or reject.',
    back: true,
  },
};

/**
 * A page that explains why nothing happened. `back` links to the confirmation page again for the
 * problems a person can fix there (a GET, so following it changes nothing either).
 */
export function problemPage(
  problem: Problem,
  opts: { message?: string; use?: ApprovalUse; back?: string } = {},
): { status: number; body: string } {
  const p = problems[problem];
  const parts = [`<p class="result"><span class="mark info">!</span>${e(p.text)}</p>`];
  if (opts.message) parts.push(`<p>${e(opts.message)}</p>`);
  if (opts.use) {
    const what = opts.use.decision === 'approve' ? 'Approved' : 'Rejected';
    parts.push(`<p class="muted">${what} by ${e(opts.use.approver)} on ${e(formatDeadline(new Date(opts.use.at)))}.</p>`);
  }
  parts.push('<p><b>Nothing was changed.</b></p>');
  if (p.back && opts.back) parts.push(`<p><a href="${e(opts.back)}">Back to the confirmation page</a></p>`);
  return { status: p.status, body: page(p.title, `<h1>${e(p.title)}</h1>${parts.join('')}`) };
}

/** The page after a decision was recorded. */
export function resultPage(outcome: Extract<ApprovalOutcome, { ok: true }>, at: Date): string {
  const approved = outcome.decision === 'approve';
  const title = approved ? `Approved: ${fmt(outcome.approved ?? outcome.proposal)}` : 'Rejected';
  const lowered = approved && outcome.approved && outcome.approved.amount < outcome.proposal.amount;
  const what = approved
    ? lowered
      ? `You approved ${fmt(outcome.approved as Money)} instead of the proposed ${fmt(outcome.proposal)}.`
      : `You approved the proposal of ${fmt(outcome.proposal)}.`
    : `You rejected the proposal of ${fmt(outcome.proposal)}.`;
  const next = !approved
    ? 'The customer is told that the claim was declined, and offered an alternative.'
    : outcome.next === 'return'
      ? 'The customer is sent return instructions now; the money is granted when the shop reports the goods received.'
      : 'The money is granted and the customer is emailed now.';
  return page(
    title,
    `<h1><span class="mark ${approved ? 'ok' : 'bad'}">${approved ? '✓' : '✕'}</span>${e(title)}</h1>
<section class="card"><p class="result">${e(what)}</p>
<table class="facts"><tr><th>Order</th><td>${e(outcome.orderId)}</td></tr>
<tr><th>Claim</th><td><code>${e(outcome.claimId)}</code></td></tr>
<tr><th>Decided by</th><td>${e(outcome.approver)}, ${e(formatDeadline(at))}</td></tr>
${outcome.note ? `<tr><th>Your note</th><td>“${e(outcome.note)}”</td></tr>` : ''}
<tr><th>What happens next</th><td>${e(next)}</td></tr></table></section>
<p class="muted">Your decision is recorded in the ledger and this link no longer works. You can close this page.</p>`,
  );
}
