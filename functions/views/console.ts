import type { Action } from '#domain/actions.ts';
import { formatDeadline, roleLabel } from '#domain/approval-email.ts';
import { followUpPromise } from '#domain/console-email.ts';
import { decisionValue } from '#domain/decide.ts';
import type { FollowUp } from '#domain/followups.ts';
import type { LedgerEntry } from '#domain/ledger.ts';
import type { WorkItem } from '#ports';
import type { ApprovalOutcome } from '#usecases/approvals.ts';
import type { ConsoleClaim, ConsoleQueue } from '#usecases/console.ts';
import { claimFacts, decisionCard, decisionForms, decisionSummary, earlierClaimsTable, fmt, safeLink, words } from './claim-parts.ts';
import { type Html, html } from './html.ts';
import { appPage } from './page.ts';

/**
 * The agent console's pages. Plain HTML and inline CSS, no script; every action is a form POST
 * that carries a single-use nonce. Evidence images are the one thing loaded from elsewhere: only
 * http(s) URLs, as `<img>` (which runs no script, SVG included), shown at a bounded size, with no
 * referrer; every other link is listed, never embedded.
 */

const when = (iso: string) => formatDeadline(new Date(iso));
const claimHref = (claimId: string) => `/console/claims/${encodeURIComponent(claimId)}`;

const CONSOLE_STYLE = html`<style>
.evidence{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.evidence figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;max-width:260px}
.evidence img{display:block;max-width:240px;max-height:240px;width:auto;height:auto;object-fit:contain;background:var(--soft)}
.evidence figcaption{font-size:12px;color:var(--muted);word-break:break-all;margin-top:4px}
.who{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
.who form{margin:0}.who button{margin:0;padding:6px 12px;background:#fff;border:1px solid #8c959f}
.overdue{color:var(--bad);font-weight:600}
.closeform textarea{margin-bottom:4px}.closeform button{background:var(--ok);color:#fff;border:1px solid var(--ok)}
</style>`;

function shell(title: string, body: Html, who?: { email: string; shopName: string; logoutNonce: string }): string {
  const top = who
    ? html`<div class="who"><span>Signed in as <b>${who.email}</b> · ${who.shopName} · <a href="/console">Queue</a></span><form method="post" action="/console/logout"><input type="hidden" name="nonce" value="${who.logoutNonce}"><button type="submit">Sign out</button></form></div>`
    : html``;
  return appPage({ title, topLine: 'makegood · agent console', body: html`${CONSOLE_STYLE}${top}${body}` });
}

/** The sign-in form: an address, and a link by email. */
export function signInPage(message?: string): string {
  return shell(
    'Sign in to the agent console',
    html`<h1>Sign in to the agent console</h1>
${message ? html`<p class="warn">${message}</p>` : ''}
<p class="lead">Enter the address your shop’s policy lists you under as an approver. We email you a link that signs you in; it works once, for 15 minutes. There is no password.</p>
<form method="post" action="/console/login" class="card">
<label for="email">Your email address</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="254">
<button class="approve" type="submit">Email me a sign-in link</button>
</form>`,
  );
}

/** After the form: the same words whether or not the address is known. */
export function loginSentPage(): string {
  return shell(
    'Check your inbox',
    html`<h1>Check your inbox</h1>
<p class="result">If this address is an approver at a shop and our mail to it has not bounced, a sign-in link is on its way to it. It works once, for 15 minutes.</p>
<p class="muted">Nothing arrived? Check the address and <a href="/console">ask again</a> in a minute.</p>`,
  );
}

/** A sign-in link's page: opening it changes nothing, the button signs in. */
export function loginConfirmPage(args: { email: string; shopName: string; action: string }): string {
  return shell(
    'Sign in',
    html`<h1>Sign in as ${args.email}?</h1>
<p class="lead">To the agent console of <b>${args.shopName}</b>, for 8 hours. Opening this page changed nothing; the button signs you in, once.</p>
<form method="post" action="${args.action}"><button class="approve" type="submit">Sign in</button></form>`,
  );
}

const loginProblems = {
  malformed: 'This sign-in link is not valid. Ask for a new one.',
  tampered: 'This sign-in link was changed after it was sent. Ask for a new one.',
  expired: 'This sign-in link has expired: it works for 15 minutes. Ask for a new one.',
  used: 'This sign-in link was used already: it works once. Ask for a new one.',
  not_approver: 'This address is no longer an approver in the shop’s policy.',
} as const;

/** Why a sign-in link did not sign in. */
export function loginProblemPage(problem: keyof typeof loginProblems): { status: number; body: string } {
  const status = problem === 'expired' ? 410 : problem === 'used' ? 409 : problem === 'not_approver' ? 403 : 400;
  return {
    status,
    body: shell(
      'Not signed in',
      html`<h1>Not signed in</h1><p class="result">${loginProblems[problem]}</p><p><b>Nothing was changed.</b> <a href="/console">Ask for a new link</a></p>`,
    ),
  };
}

/** A POST that was refused before anything was read: no session, a foreign origin, a nonce used or not ours. */
export function refusedPage(reason: 'session' | 'origin' | 'nonce'): { status: number; body: string } {
  const text = {
    session: 'You are not signed in, or your session has ended.',
    origin: 'This form was not sent from the console’s own page.',
    nonce: 'This form was sent already, or it is not from your session. Open the page again and send it from there.',
  }[reason];
  return {
    status: 403,
    body: shell(
      'Nothing was changed',
      html`<h1>Nothing was changed</h1><p class="result">${text}</p><p><a href="/console">Back to the console</a></p>`,
    ),
  };
}

function workRow(w: WorkItem, now: Date): Html {
  const overdue = Date.parse(w.due) < now.getTime();
  return html`<tr><td><a href="${claimHref(w.claimId)}">${w.orderId}</a><br><span class="muted small">${w.claimId}</span></td>
<td>${w.kind === 'approval' ? html`Round ${w.round ?? 1} · ${roleLabel(w.role)}` : html`${words(w.reason ?? '')} · ${roleLabel(w.role)}`}</td>
<td class="num">${w.value ? fmt(w.value) : ''}</td>
<td class="${overdue ? 'overdue' : ''}">${when(w.due)}${overdue ? ' (overdue)' : ''}</td></tr>`;
}

/** The queue: my approvals by deadline, my follow-ups by due time. */
export function queuePage(q: ConsoleQueue, logoutNonce: string, now: Date): string {
  const table = (items: readonly WorkItem[], empty: string, amount: string) =>
    items.length === 0
      ? html`<p class="muted">${empty}</p>`
      : html`<table><tr><th>Order</th><th>What</th><th class="num">${amount}</th><th>Due</th></tr>${items.map((w) => workRow(w, now))}</table>`;
  return shell(
    'Your queue',
    html`<h1>Your queue</h1>
<p class="lead">You approve as ${q.roles.length ? q.roles.map(roleLabel).join(', ') : 'no tier'} at ${q.shopName}. Soonest first.</p>
<section class="card"><h2>Waiting for your decision (${q.approvals.length})</h2>${table(q.approvals, 'Nothing waits for your decision.', 'Proposal')}</section>
<section class="card"><h2>Your open follow-ups (${q.followUps.length})</h2>${table(q.followUps, 'No follow-up is open for your roles.', '')}</section>`,
    { email: q.email, shopName: q.shopName, logoutNonce },
  );
}

/** Evidence: http(s) images shown (bounded in size), other http(s) links listed, anything else as text. */
function evidence(urls: readonly string[]): Html {
  if (urls.length === 0) return html`<span class="muted">None attached</span>`;
  const parsed = urls.map((u) => {
    try {
      const url = new URL(u);
      const web = url.protocol === 'https:' || url.protocol === 'http:';
      return { u, web, image: web && /\.(png|jpe?g|gif|webp|avif)$/i.test(url.pathname) };
    } catch {
      return { u, web: false, image: false };
    }
  });
  const images = parsed.filter((p) => p.image);
  const others = parsed.filter((p) => !p.image);
  return html`${
    images.length
      ? html`<div class="evidence">${images.map(
          (p) =>
            html`<figure><a href="${p.u}" rel="noopener noreferrer nofollow" target="_blank"><img src="${p.u}" alt="Evidence image" loading="lazy" referrerpolicy="no-referrer"></a><figcaption>${p.u}</figcaption></figure>`,
        )}</div>`
      : ''
  }${others.map((p) => html`<div>${safeLink(p.u)}</div>`)}`;
}

function decisionSection(c: ConsoleClaim, nonce: string): Html {
  const round = c.round;
  if (!round) return html``;
  const { view } = round;
  const value = decisionValue(view.decision);
  const most = view.limit !== null && view.limit.amount < value.amount ? view.limit : value;
  return html`<section class="card"><h2>Your decision (round ${view.grant.round}, ${roleLabel(view.grant.role)})</h2>
<p class="muted">Due by ${when(new Date(view.grant.expiresAt * 1000).toISOString())}. Your limit: ${view.limit ? fmt(view.limit) : 'none'}.</p>
${view.limit !== null && value.amount > view.limit.amount ? html`<p class="warn">The proposal is above your limit. You can approve at most ${fmt(most)}, or reject.</p>` : ''}
${decisionForms({ action: `${claimHref(c.claimId)}/decision`, nonce, most })}</section>`;
}

function followUpList(c: ConsoleClaim, closeNonces: ReadonlyMap<string, string>, now: Date): Html {
  if (c.followUps.length === 0) return html``;
  const row = (f: FollowUp) => {
    const overdue = f.status === 'open' && Date.parse(f.due) < now.getTime();
    const nonce = closeNonces.get(f.followUpId);
    return html`<div class="card"><p><b>${words(f.reason)}</b> · ${roleLabel(f.role)} · ${
      f.status === 'open'
        ? html`<span class="${overdue ? 'overdue' : ''}">due ${when(f.due)}${overdue ? ' (overdue)' : ''}</span>`
        : 'closed'
    }</p><p class="muted small">${followUpPromise(f.reason)}</p>${
      f.closed ? html`<p>Closed by ${f.closed.by}, ${when(f.closed.at)}: “${f.closed.note}”</p>` : ''
    }${
      f.status === 'open' && nonce
        ? html`<form method="post" action="/console/followups/${encodeURIComponent(f.followUpId)}/close" class="closeform"><input type="hidden" name="nonce" value="${nonce}">
<label for="close-${f.followUpId}">What was done <small>Required; it goes to the ledger.</small></label>
<textarea id="close-${f.followUpId}" name="note" rows="2" maxlength="2000" required></textarea>
<button type="submit">Close follow-up</button></form>`
        : ''
    }</div>`;
  };
  return html`<section class="card"><h2>Follow-ups</h2>${c.followUps.map(row)}</section>`;
}

function actionRow(a: Action): Html {
  return html`<tr><td>${words(a.type)}</td><td class="num">${a.amount ? fmt(a.amount) : ''}</td><td>${a.status}</td></tr>`;
}

function historyRow(e: LedgerEntry): Html {
  const who = e.actor.kind === 'approver' ? e.actor.email : e.actor.kind;
  const detail =
    e.type === 'approved' || e.type === 'rejected'
      ? html`${e.data.note ? html`internal note “${e.data.note}”` : ''}${e.data.customerNote ? html` · to the customer “${e.data.customerNote}”` : ''}`
      : e.type === 'escalated'
        ? html`from ${roleLabel(e.data.from)} to ${e.data.to ? roleLabel(e.data.to) : 'nobody (top tier)'}`
        : e.type === 'followup_opened'
          ? html`${words(e.data.reason)} for ${roleLabel(e.data.role)}, due ${when(e.data.due)}`
          : e.type === 'followup_closed'
            ? html`“${e.data.note}”`
            : '';
  return html`<tr><td>${when(e.at)}</td><td>${words(e.type)}</td><td>${who}</td><td>${detail}</td></tr>`;
}

/** A claim: the facts, evidence, earlier claims, rules, what was asked of the shop, follow-ups, and my decision when a round waits for me. */
export function claimPage(
  c: ConsoleClaim,
  nonces: { decide: string; logout: string; close: ReadonlyMap<string, string> },
  who: { email: string },
  now: Date,
): string {
  const { claim, decision } = c;
  return shell(
    `Order ${claim.order.id}`,
    html`<h1>Order ${claim.order.id}</h1>
<p class="lead">Claim <code>${c.claimId}</code> · status <b>${words(c.status)}</b></p>
${decision ? decisionCard('Decision', decision) : ''}
${decisionSection(c, nonces.decide)}
${claimFacts(claim, evidence(claim.complaint.evidence))}
<section class="card"><h2>The customer’s earlier claims (${c.earlier.length})</h2>${earlierClaimsTable(c.earlier)}</section>
${c.actions.length ? html`<section class="card"><h2>Asked of the shop</h2><table><tr><th>Action</th><th class="num">Amount</th><th>Status</th></tr>${c.actions.map(actionRow)}</table></section>` : ''}
${followUpList(c, nonces.close, now)}
${c.history.length ? html`<section class="card"><h2>Decisions and follow-ups</h2><table><tr><th>When</th><th>What</th><th>Who</th><th>Detail</th></tr>${c.history.map(historyRow)}</table></section>` : ''}`,
    { email: who.email, shopName: c.shopName, logoutNonce: nonces.logout },
  );
}

/** After a decision from the console: what was recorded, and the way back. */
export function decidedPage(
  outcome: Extract<ApprovalOutcome, { ok: true }>,
  who: { email: string; shopName: string; logoutNonce: string },
): string {
  const approved = outcome.decision === 'approve';
  const what = decisionSummary(outcome);
  return shell(
    approved ? 'Approved' : 'Rejected',
    html`<h1><span class="mark ${approved ? 'ok' : 'bad'}">${approved ? '✓' : '✕'}</span>${approved ? 'Approved' : 'Rejected'}: order ${outcome.orderId}</h1>
<section class="card"><p class="result">${what}</p><p>The decision is in the ledger and the customer is emailed${outcome.next === 'return' ? ' the return instructions' : ''}.</p></section>
<p><a href="${claimHref(outcome.claimId)}">Back to the claim</a> · <a href="/console">Back to the queue</a></p>`,
    who,
  );
}

const problemText: Record<string, string> = {
  used: 'A decision was already recorded for this round.',
  ended: 'This claim has already ended.',
  superseded: 'No round of this claim waits for your decision now (it was decided, escalated or moved on).',
  foreign: 'This round is not yours to decide.',
  unknown_claim: 'Claim not found.',
  bad_form: 'The form was incomplete.',
  note_required: 'Please say why you reject: the internal note is required for a rejection.',
  above_proposal: 'You can approve the proposal or a lower amount, not a higher one.',
  above_limit: 'That amount is above what your role may approve.',
  not_found: 'No such follow-up on a claim of your shop.',
  not_yours: 'This follow-up belongs to another role.',
  closed: 'This follow-up is closed already.',
};

/** A decision or close the console refused: why, that nothing changed, and the way back. */
export function consoleProblemPage(
  problem: string,
  message: string | undefined,
  back: string,
  who: { email: string; shopName: string; logoutNonce: string },
): string {
  return shell(
    'Nothing was changed',
    html`<h1>Nothing was changed</h1><p class="result">${problemText[problem] ?? problem}</p>${message ? html`<p>${message}</p>` : ''}<p><a href="${back}">Back</a> · <a href="/console">Back to the queue</a></p>`,
    who,
  );
}
