import { describe, expect, it } from 'vitest';
import { actionIdOf } from '#domain/actions.ts';
import type { EntryOf } from '#domain/ledger.ts';
import type { ApprovalOutcome, ApprovalView } from '#usecases/approvals.ts';
import { ledgerReport } from '#usecases/ledger-report.ts';
import { approvalRequestHtml } from '#views/agent-email.ts';
import { confirmationPage, problemPage, resultPage } from '#views/approval.ts';
import { emailHtml } from '#views/email.ts';
import { html, render } from '#views/html.ts';
import { reportHtml } from '#views/ledger-report.ts';
import { claimOf, emptyHistory } from '../domain/fixtures.ts';
import { actionFailed, appendEntries, buildLedger, claimRef, received, refundAsked, WINDOW } from '../usecases/ledger-fixture.ts';

/** Text that breaks out of every place a careless page puts it: element text, a quoted attribute, a textarea. */
const HOSTILE = `<script>alert(1)</script>"onmouseover=alert(2) ' autofocus </textarea>&amp;`;
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=alert(2) &#39; autofocus &lt;/textarea&gt;&amp;amp;';
/** The same, inside a web address, as a link's href. */
const HOSTILE_URL = `https://evil.test/?q="onmouseover=alert(3)' autofocus</textarea>&amp;<script>`;
const ESCAPED_URL = 'https://evil.test/?q=&quot;onmouseover=alert(3)&#39; autofocus&lt;/textarea&gt;&amp;amp;&lt;script&gt;';

/** Nothing of {@link HOSTILE} or {@link HOSTILE_URL} got through as markup. */
function expectInert(page: string, textareas = 0): void {
  expect(page).not.toMatch(/<script/i);
  expect(page).not.toContain('"onmouseover');
  expect(page).not.toContain("' autofocus");
  expect(page).not.toContain('&amp;<');
  expect(page.match(/<\/textarea>/g) ?? []).toHaveLength(textareas);
}

const euro = (amount: number) => ({ amount, currency: 'EUR' });

function hostileView(): ApprovalView {
  const claim = claimOf({
    items: [{ sku: 'KETTLE-1', category: 'kitchen', unitPrice: 8999 }],
    reason: 'defective',
    shipping: 400,
    evidence: [HOSTILE_URL],
    message: HOSTILE,
  });
  return {
    grant: { claimId: 'clm_1', round: 1, role: 'agent', approver: HOSTILE, expiresAt: 1_800_000_000 },
    claimId: 'clm_1',
    claim: {
      ...claim,
      customer: { ...claim.customer, name: HOSTILE },
      order: { ...claim.order, items: claim.order.items.map((i) => ({ ...i, name: HOSTILE })) },
    },
    decision: {
      outcome: 'return_and_refund',
      cash: euro(9399),
      storeCredit: euro(0),
      goodwill: euro(0),
      returnRequired: true,
      tier: 'agent',
      policyVersion: 3,
      rules: [{ id: HOSTILE, text: HOSTILE }],
      units: [],
    },
    history: emptyHistory(),
    earlier: [],
    limit: null,
    nonce: HOSTILE,
    shopName: HOSTILE,
  };
}

describe('the approval pages', () => {
  it('escape hostile text in element text, attribute values and hrefs of the confirmation page', () => {
    // act
    const page = confirmationPage(hostileView(), `/approvals/${HOSTILE}`);

    // assert: element text (name, message, rule, title), attribute values (nonce, form action), an href (evidence)
    // Four textareas: a note to the customer and an internal note on each of the two forms.
    expectInert(page, 4);
    expect(page).toContain(`<td>${ESCAPED} &lt;ann@example.com&gt;<br>`);
    expect(page).toContain(`<tr><th>Message</th><td>“${ESCAPED}”</td></tr>`);
    expect(page).toContain(`<li><code>${ESCAPED}</code> ${ESCAPED}</li>`);
    expect(page).toContain(`<div class="top"><div>makegood · ${ESCAPED} · approval request</div></div>`);
    expect(page).toContain(`<input type="hidden" name="nonce" value="${ESCAPED}">`);
    expect(page).toContain(`<form method="post" action="/approvals/${ESCAPED}" class="approve">`);
    expect(page).toContain(`<a href="${ESCAPED_URL}" rel="noopener noreferrer nofollow" target="_blank">${ESCAPED_URL}</a>`);
    expect(page).toContain('<meta name="robots" content="noindex,nofollow">');
  });

  it('escape hostile text in the problem and result pages', () => {
    // act
    const problem = problemPage('above_limit', {
      message: HOSTILE,
      use: { claimId: 'clm_1', round: 1, decision: 'reject', approver: HOSTILE, at: '2026-11-23T12:00:00Z' },
      back: HOSTILE_URL,
    });
    const outcome: Extract<ApprovalOutcome, { ok: true }> = {
      ok: true,
      decision: 'reject',
      claimId: HOSTILE,
      orderId: HOSTILE,
      approver: HOSTILE,
      proposal: euro(9000),
      note: HOSTILE,
      next: 'conclude',
    };
    const result = resultPage(outcome, new Date('2026-11-23T12:00:00Z'));

    // assert
    expect(problem.status).toBe(403);
    expectInert(problem.body);
    expect(problem.body).toContain(`<p>${ESCAPED}</p>`);
    expect(problem.body).toContain(`Rejected by ${ESCAPED} on`);
    expect(problem.body).toContain(`<a href="${ESCAPED_URL}">Back to the confirmation page</a>`);
    expectInert(result);
    expect(result).toContain(`<tr><th>Your note</th><td>“${ESCAPED}”</td></tr>`);
    expect(result).toContain(`<code>${ESCAPED}</code>`);
  });
});

describe('the email HTML', () => {
  it('escapes every kind of segment, and the language and subject', () => {
    // act
    const page = emailHtml(
      `en" onload="alert(4)`,
      HOSTILE,
      [
        [
          { text: `Hello ${HOSTILE}\nline two, `, kind: 'literal' },
          { text: HOSTILE, kind: 'user' },
        ],
        [{ text: `€1 ${HOSTILE}`, kind: 'money' }],
        [{ text: `Unit 4 ${HOSTILE}\nDublin`, kind: 'address' }],
        [{ text: HOSTILE_URL, kind: 'link' }],
        [{ text: `javascript:alert(5)${HOSTILE}`, kind: 'link' }],
      ],
      [{ text: HOSTILE, kind: 'text' }],
    );

    // assert
    expectInert(page);
    expect(page).toContain('<html lang="en&quot; onload=&quot;alert(4)" dir="ltr">');
    expect(page).toContain(`<title>${ESCAPED}</title>`);
    expect(page).toContain(`Hello ${ESCAPED}<br>line two, <bdi>${ESCAPED}</bdi>`);
    expect(page).toContain(`<strong style="white-space:nowrap;">€1 ${ESCAPED}</strong>`);
    expect(page).toContain(`<bdi>Unit 4 ${ESCAPED}</bdi><br><bdi>Dublin</bdi>`);
    expect(page).toContain(`<a href="${ESCAPED_URL}" style="color:#0969da;word-break:break-all">${ESCAPED_URL}</a>`);
    // Not a web address: shown as text, never as a link.
    expect(page).toContain(`>javascript:alert(5)${ESCAPED}</p>`);
    expect(page).not.toContain('href="javascript');
    expect(page).toContain(`${ESCAPED}</p></div></body></html>`);
  });

  it('leaves out a footer without text', () => {
    // act
    const page = emailHtml('en', 'Subject', [[{ text: 'Only paragraph', kind: 'literal' }]], [{ text: '', kind: 'literal' }]);

    // assert
    expect(page).toContain('<p style="margin:0;">Only paragraph</p></div></div></body></html>');
  });

  it('escapes the approver email in element text, attribute values and the href', () => {
    // act
    const page = approvalRequestHtml({
      opening: HOSTILE,
      facts: [[HOSTILE, HOSTILE]],
      link: HOSTILE_URL,
      safety: HOSTILE,
      claimId: HOSTILE,
    });

    // assert
    expectInert(page);
    expect(page).toContain(`<p>${ESCAPED}</p>`);
    expect(page).toContain(`>${ESCAPED}</th><td>${ESCAPED}</td></tr>`);
    expect(page).toContain(`<a href="${ESCAPED_URL}" target="_blank"`);
    expect(page).toContain(`<span style="word-break:break-all">${ESCAPED_URL}</span>`);
    expect(page).toContain(`Reference ${ESCAPED}</p>`);
  });
});

describe('the ledger report', () => {
  it('escapes hostile ledger text in element text and attribute values', async () => {
    // arrange: a hostile reason stored in a claim, a hostile failure reason, and a hostile currency code
    const ledger = buildLedger();
    const first = ledger.claims.get('CLM-A')?.[0] as EntryOf<'received'>;
    (first.data.claim.complaint as { reason: string }).reason = HOSTILE;
    const ref = claimRef('CLM-H', 'ORD-H');
    appendEntries(
      ledger,
      ref,
      [received(ref), refundAsked(4000), actionFailed(actionIdOf('CLM-H', 2), 4000, HOSTILE)],
      new Date('2026-11-21T09:00:00Z'),
    );
    const totals = await ledgerReport({ ...WINDOW, staleDays: 3 }, { ledger, state: ledger.state() });
    const t = { ...totals, currencies: totals.currencies.map((c) => ({ ...c, currency: HOSTILE })) };

    // act
    const page = reportHtml(t, new Date('2026-11-23T12:00:00Z'));

    // assert
    expectInert(page);
    expect(page).toContain(`<td>${ESCAPED}</td>`);
    expect(page).toContain(`<h2>${ESCAPED}</h2>`);
    expect(page).toContain(`aria-label="Value by reason, ${ESCAPED}"`);
    expect(page).toContain(`>${ESCAPED}</text>`);
    expect(page).toContain(`<td>${ESCAPED}</td></tr>`);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });
});

describe('render', () => {
  it('throws on a promise rather than send "[object Promise]"', () => {
    // act, assert
    expect(() => render(html`<p>${Promise.resolve('late')}</p>`)).toThrow(TypeError);
    expect(() => render(Promise.resolve(html`<p></p>` as never))).toThrow(TypeError);
  });

  it('renders a synchronous template as its string', () => {
    // act, assert
    expect(render(html`<p>${'<b>'}${html`<i>`}${['&', null, undefined, false]}</p>`)).toBe('<p>&lt;b&gt;<i>&amp;</p>');
  });
});
