import { parseActionQuery } from '#domain/api/requests.ts';
import { listRequestedActions } from '#usecases/actions.ts';
import { authenticateStorefront, httpHandler, json } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `GET /v1/actions`: a storefront polls what it is asked to do, oldest first. */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  const storefrontId = await authenticateStorefront(req, deps);
  const i = req.pathWithQuery.indexOf('?');
  const query = parseActionQuery(new URLSearchParams(i < 0 ? '' : req.pathWithQuery.slice(i + 1)));
  const page = await listRequestedActions({ storefrontId, limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) }, deps);
  return json(200, page, page.next === null ? {} : { 'x-makegood-next-cursor': page.next });
});
