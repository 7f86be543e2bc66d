import { formatDeadline, roleLabel } from '#domain/approval-email.ts';
import { decisionValue } from '#domain/decide.ts';
import type { ApprovalUse } from '#ports';
import type { AnswerProblem, ApprovalOutcome, ApprovalView, LinkProblem } from '#usecases/approvals.ts';
import { claimFacts, decisionCard, decisionForms, decisionSummary, earlierClaimsTable, fmt, safeLink } from './claim-parts.ts';
import { html } from './html.ts';
import { appPage } from './page.ts';

/**
 * The approver's pages: plain HTML with inline CSS, no script, no image, nothing loaded from
 * elsewhere (the CSP of `html()` forbids it). Every action is a form POST, so they work in any
 * browser, with JavaScript off, and inside a mail client's preview. Every value is escaped by the
 * template.
 */

const APPROVALS = 'makegood · approvals';

/** The read-only confirmation page with the forms that act. */
export function confirmationPage(view: ApprovalView, action: string): string {
  const { claim, decision, history, grant } = view;
  const value = decisionValue(decision);
  const evidence = claim.complaint.evidence.length
    ? html`${claim.complaint.evidence.map((u, i) => html`${i > 0 ? html`<br>` : ''}${safeLink(u)}`)}`
    : html`<span class="muted">None attached</span>`;
  const limitText = view.limit ? fmt(view.limit) : 'no limit';
  const overLimit = view.limit !== null && value.amount > view.limit.amount;
  const most = view.limit !== null && view.limit.amount < value.amount ? view.limit : value;
  return appPage({
    title: `Approve ${fmt(value)} for order ${claim.order.id}?`,
    topLine: `makegood · ${view.shopName} · approval request`,
    body: html`<h1>Approve ${fmt(value)} for order ${claim.order.id}?</h1>
<p class="lead">You decide as <b>${grant.approver}</b> (${roleLabel(grant.role)}), with a limit of <b>${limitText}</b>. This link is yours and works once, until <b>${formatDeadline(new Date(grant.expiresAt * 1000))}</b>. Opening this page changed nothing.</p>
${decisionCard('Proposal', decision, html`<p class="muted small">Policy version ${decision.policyVersion} of ${view.shopName}.</p>`)}
${claimFacts(claim, evidence)}
<section class="card"><h2>The customer’s history</h2><table class="facts">
<tr><th>Claims in the risk window</th><td>${history.claimsInWindow}</td></tr>
<tr><th>Returns never received</th><td>${history.unreturnedReturns}</td></tr>
<tr><th>Goodwill this year</th><td>${fmt(history.goodwillSpent)}</td></tr>
<tr><th>Granted on this order</th><td>${fmt(history.orderGranted)} so far</td></tr>
</table>
<h3>Earlier claims (${view.earlier.length})</h3>${earlierClaimsTable(view.earlier)}</section>
<section class="card"><h2>Your decision</h2>
${overLimit ? html`<p class="warn">The proposal is above your limit of ${limitText}. You can approve at most ${fmt(most)}, or reject.</p>` : ''}
${decisionForms({ action, nonce: view.nonce, most })}</section>`,
  });
}

/** `cross_site`: a POST that did not come from the confirmation page's own origin (the handler checks it first). */
type Problem = LinkProblem | AnswerProblem | 'cross_site';

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
  cross_site: {
    status: 403,
    title: 'Send your decision from the confirmation page',
    text: 'This form was not sent from the confirmation page of your link. Open the link from your email and decide there.',
    back: true,
  },
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
  const use = opts.use;
  const body = html`<h1>${p.title}</h1><p class="result"><span class="mark info">!</span>${p.text}</p>${opts.message ? html`<p>${opts.message}</p>` : ''}${
    use
      ? html`<p class="muted">${use.decision === 'approve' ? 'Approved' : 'Rejected'} by ${use.approver} on ${formatDeadline(new Date(use.at))}.</p>`
      : ''
  }<p><b>Nothing was changed.</b></p>${p.back && opts.back ? html`<p><a href="${opts.back}">Back to the confirmation page</a></p>` : ''}`;
  return { status: p.status, body: appPage({ title: p.title, topLine: APPROVALS, body }) };
}

/** The page after a decision was recorded. */
export function resultPage(outcome: Extract<ApprovalOutcome, { ok: true }>, at: Date): string {
  const approved = outcome.decision === 'approve';
  const title = approved ? `Approved: ${fmt(outcome.approved ?? outcome.proposal)}` : 'Rejected';
  const what = decisionSummary(outcome);
  const next = !approved
    ? 'The customer is told that the claim was declined, and offered an alternative.'
    : outcome.next === 'return'
      ? 'The customer is sent return instructions now; the money is granted when the shop reports the goods received.'
      : 'The money is granted and the customer is emailed now.';
  return appPage({
    title,
    topLine: APPROVALS,
    body: html`<h1><span class="mark ${approved ? 'ok' : 'bad'}">${approved ? '✓' : '✕'}</span>${title}</h1>
<section class="card"><p class="result">${what}</p>
<table class="facts"><tr><th>Order</th><td>${outcome.orderId}</td></tr>
<tr><th>Claim</th><td><code>${outcome.claimId}</code></td></tr>
<tr><th>Decided by</th><td>${outcome.approver}, ${formatDeadline(at)}</td></tr>
${outcome.note ? html`<tr><th>Your note</th><td>“${outcome.note}”</td></tr>` : ''}
<tr><th>What happens next</th><td>${next}</td></tr></table></section>
<p class="muted">Your decision is recorded in the ledger and this link no longer works. You can close this page.</p>`,
  });
}
