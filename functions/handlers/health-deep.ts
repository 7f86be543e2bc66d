import type * as z from 'zod';
import { healthChecks, type healthySchema, type unhealthySchema } from '#domain/api/responses.ts';
import { financeUnauthorized, httpHandler, isFinance, json } from './http.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * `GET /health/deep`: 200 once the ledger, the state table and the mailer answer, 503 naming what
 * did not. It costs three backend calls, so it asks for the finance key first (401 without it,
 * before any of them).
 */
export const handler = httpHandler(async (req) => {
  const deps = runtimeDeps();
  if (!(await isFinance(req, deps))) return financeUnauthorized();
  const checks = await Promise.allSettled([deps.ledger.entries('health-check'), deps.state.ping(), deps.mailer.ping()]);
  const failed = healthChecks.filter((_, i) => checks[i]?.status === 'rejected');
  return failed.length === 0
    ? json(200, { ok: true } satisfies z.output<typeof healthySchema>)
    : json(503, { ok: false, unavailable: failed } satisfies z.output<typeof unhealthySchema>);
});
