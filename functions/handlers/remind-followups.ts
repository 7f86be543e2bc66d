import { remindFollowUps } from '#usecases/remind-followups.ts';
import { storefrontsToRun } from './dispatch-webhooks.ts';
import { invocation, logger } from './observability.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * Wakes on a schedule (the embedded runtime's pump locally) and reminds the approvers of every
 * follow-up that falls due soon, per storefront. One storefront failing does not stop the others.
 */
export const handler = invocation(async (event: unknown): Promise<{ reminded: number }> => {
  const deps = runtimeDeps();
  const named = storefrontsToRun(event);
  const storefronts = named === 'all' ? await deps.state.storefronts() : named;
  let reminded = 0;
  for (const storefrontId of storefronts) {
    try {
      reminded += (await remindFollowUps(storefrontId, deps)).reminded;
    } catch (err) {
      logger.error('Follow-up reminders failed', { storefrontId, error: err as Error });
    }
  }
  return { reminded };
});
