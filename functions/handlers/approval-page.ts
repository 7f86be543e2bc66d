import { answerApproval, lookupApproval } from '#usecases/approvals.ts';
import { confirmationPage, problemPage, resultPage } from '#views/approval.ts';
import { type HttpResult, html, httpHandler, isSameOriginPost, ownOrigin, readForm, repeatedFieldMessage } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * `GET|HEAD|POST /approvals/{token}`. GET and HEAD only read (mail scanners open links before
 * people do); only a POST of the page's own form, from the page's own origin, with its nonce and
 * each field once, records a decision.
 */
export const handler = httpHandler(async (req): Promise<HttpResult> => {
  const deps = runtimeDeps();
  const token = req.pathParameters.token ?? '';
  // The token as a path segment of our links: whatever the path parameter holds, a link built from it stays on this page.
  const self = `/approvals/${encodeURIComponent(token)}`;
  if (req.method === 'GET' || req.method === 'HEAD') {
    const found = await lookupApproval(token, deps);
    // The page's forms post to its own origin; under `no-referrer` a browser would send `Origin: null`.
    const res = found.ok
      ? html(200, confirmationPage(found.view, self), { sameOriginReferrer: true })
      : problemHtml(problemPage(found.problem, found.use ? { use: found.use } : {}));
    return req.method === 'HEAD' ? { ...res, body: '' } : res;
  }
  if (req.method !== 'POST') return { ...html(405, ''), headers: { ...html(405, '').headers, allow: 'GET, HEAD, POST' } };
  if (!isSameOriginPost(req, ownOrigin(req, deps.publicUrl), { originRequired: false }))
    return problemHtml(problemPage('cross_site', { back: self }));
  const form = readForm(req);
  if (!form.ok)
    return problemHtml(
      problemPage('bad_form', {
        message:
          form.problem === 'repeated_field' ? repeatedFieldMessage(form.field) : 'The decision must be sent from the confirmation page.',
        back: self,
      }),
    );
  const field = (name: string) => form.fields.get(name);
  const outcome = await answerApproval(
    token,
    {
      decision: field('decision'),
      amount: field('amount'),
      note: field('note'),
      customerNote: field('customerNote'),
      nonce: field('nonce'),
      ip: req.sourceIp,
      userAgent: req.userAgent,
    },
    deps,
  );
  if (outcome.ok) return html(200, resultPage(outcome, deps.clock.now()));
  return problemHtml(
    problemPage(outcome.problem, {
      ...(outcome.message ? { message: outcome.message } : {}),
      ...(outcome.use ? { use: outcome.use } : {}),
      back: self,
    }),
  );
});

function problemHtml(p: { status: number; body: string }): HttpResult {
  return html(p.status, p.body);
}
