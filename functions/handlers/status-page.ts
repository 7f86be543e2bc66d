import { lookupCustomerStatus } from '#usecases/customer-status.ts';
import { statusPage, statusProblemPage } from '#views/status.ts';
import { type HttpResult, html, httpHandler } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `GET|HEAD /c/{token}`: the customer's read-only status page. It reads only. */
export const handler = httpHandler(async (req): Promise<HttpResult> => {
  const found = await lookupCustomerStatus(req.pathParameters.token ?? '', runtimeDeps());
  const res = found.ok
    ? html(200, statusPage(found.view))
    : (() => {
        const p = statusProblemPage(found.problem, req.headers['accept-language'] ?? 'en');
        return html(p.status, p.body);
      })();
  return req.method === 'HEAD' ? { ...res, body: '' } : res;
});
