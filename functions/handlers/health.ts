import { httpHandler, json } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** `GET /health`: 200 once the ledger, the state table and the mailer answer. */
export const handler = httpHandler(async () => {
  const deps = runtimeDeps();
  const checks = await Promise.allSettled([deps.ledger.entries('health-check'), deps.state.ping(), deps.mailer.ping()]);
  const failed = ['ledger', 'state', 'mailer'].filter((_, i) => checks[i]?.status === 'rejected');
  return failed.length === 0 ? json(200, { ok: true }) : json(503, { ok: false, unavailable: failed });
});
