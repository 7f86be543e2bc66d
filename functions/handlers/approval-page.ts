import { answerApproval, lookupApproval } from '#usecases/approvals.ts';
import { confirmationPage, problemPage, resultPage } from '#views/approval.ts';
import { type HttpResult, html, httpHandler } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * `GET|HEAD|POST /approvals/{token}`. GET and HEAD only read (mail scanners open links before
 * people do); only a POST of the page's own form, with its nonce, records a decision.
 */
export const handler = httpHandler(async (req): Promise<HttpResult> => {
  const deps = runtimeDeps();
  const token = req.pathParameters.token ?? '';
  if (req.method === 'GET' || req.method === 'HEAD') {
    const found = await lookupApproval(token, deps);
    const res = found.ok
      ? html(200, confirmationPage(found.view, `/approvals/${token}`))
      : problemHtml(problemPage(found.problem, found.use ? { use: found.use } : {}));
    return req.method === 'HEAD' ? { ...res, body: '' } : res;
  }
  if (req.method !== 'POST') return { ...html(405, ''), headers: { ...html(405, '').headers, allow: 'GET, HEAD, POST' } };
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    return problemHtml(
      problemPage('bad_form', { message: 'The decision must be sent from the confirmation page.', back: `/approvals/${token}` }),
    );
  const form = new URLSearchParams(req.rawBody);
  const outcome = await answerApproval(
    token,
    {
      decision: form.get('decision') ?? undefined,
      amount: form.get('amount') ?? undefined,
      note: form.get('note') ?? undefined,
      customerNote: form.get('customerNote') ?? undefined,
      nonce: form.get('nonce') ?? undefined,
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
      back: `/approvals/${token}`,
    }),
  );
});

function problemHtml(p: { status: number; body: string }): HttpResult {
  return html(p.status, p.body);
}
