import * as z from 'zod';
import { roles } from '#domain/policy.ts';
import { correlate, invocation, logger } from './observability.ts';

/** The ids every workflow task receives. */
export const taskInputSchema = z.object({ claimId: z.string().min(1).max(128), storefrontId: z.string().min(1).max(64) });
export const approvalStepSchema = z.object({
  round: z.number().int().min(1),
  role: z.enum(roles),
  waitSeconds: z.number().int().min(2),
  remindAfterSeconds: z.number().int().min(1),
  afterReminderSeconds: z.number().int().min(1),
});

/**
 * Wraps a workflow task: validates the payload the ASL sends, runs the use case, and lets named
 * errors propagate with their names so the ASL's Retry/Catch can match them.
 */
export function taskHandler<S extends z.ZodType, R>(schema: S, fn: (input: z.infer<S>) => Promise<R>): (event: unknown) => Promise<R> {
  return invocation(async (event: unknown) => {
    const input = schema.parse(event);
    const claimId = (input as { claimId?: string }).claimId;
    if (claimId) correlate(claimId);
    try {
      return await fn(input);
    } catch (err) {
      logger.warn('Task failed', { error: err as Error });
      throw err;
    }
  });
}
