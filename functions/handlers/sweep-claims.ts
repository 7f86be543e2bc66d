import { retryDueClaims } from '#usecases/retry-claim.ts';
import { sweepUnstartedClaims } from '#usecases/sweep-claims.ts';
import { storefrontsToRun } from './dispatch-webhooks.ts';
import { invocation, logger } from './observability.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * Wakes on a schedule (the embedded runtime's pump locally, and once at its boot), per storefront:
 * starts the workflow of every claim that was received but never started, and retries the failed
 * claims whose automatic retry is due (a transient failure, see `recordFailure`). One storefront
 * failing does not stop the others.
 */
export const handler = invocation(async (event: unknown): Promise<{ started: number; retried: number }> => {
  const deps = runtimeDeps();
  const named = storefrontsToRun(event);
  const storefronts = named === 'all' ? await deps.state.storefronts() : named;
  const graceMs = graceOf(event);
  let started = 0;
  let retried = 0;
  for (const storefrontId of storefronts) {
    try {
      const swept = await sweepUnstartedClaims(storefrontId, deps, graceMs);
      if (swept.started.length > 0)
        logger.warn('Started the workflow of claims whose intake stopped before it', { storefrontId, claims: swept.started });
      started += swept.started.length;
      const again = await retryDueClaims(storefrontId, deps);
      if (again.length > 0) logger.warn('Retried claims that failed on a transient error', { storefrontId, claims: again });
      retried += again.length;
    } catch (err) {
      logger.error('Sweeping claims failed', { storefrontId, error: err as Error });
    }
  }
  return { started, retried };
});

/** `{graceMs: 0}` at the embedded runtime's boot, when no intake of the stopped process is still running. */
function graceOf(event: unknown): number | undefined {
  const grace = (event as { graceMs?: unknown } | null)?.graceMs;
  return typeof grace === 'number' && Number.isInteger(grace) && grace >= 0 ? grace : undefined;
}
