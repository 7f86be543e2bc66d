import * as z from 'zod';
import { recordExecutionEnd } from '#usecases/conclude.ts';
import { claimOfExecution } from '#usecases/retry-claim.ts';
import { correlate, invocation, logger } from './observability.ts';
import { runtimeDeps } from './runtime.ts';

/**
 * Step Functions' "Execution Status Change" event, as EventBridge delivers it (and the embedded
 * engine sends it): only the fields read here. `input` is the execution's input as a JSON string,
 * or null when it was too large to include.
 */
const executionEndedSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    name: z.string().min(1).max(80),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

const inputSchema = z.object({ claimId: z.string().min(1).max(128) });

/**
 * An execution failed, timed out or was aborted: the claim is marked `failed` unless the
 * workflow's RecordFailure did so already (`recordExecutionEnd`). The rule that invokes this sends
 * the same events to the failed-executions queue, whose alarm tells an operator. A bad event is
 * refused with a ZodError, so the rule retries it and then leaves it on that queue.
 */
export const handler = invocation(async (event: unknown): Promise<{ status: string; recorded: boolean }> => {
  const { detail } = executionEndedSchema.parse(event);
  // The input names the claim; should it be missing, the execution's name does.
  const claimId = detail.input ? inputSchema.parse(JSON.parse(detail.input)).claimId : claimOfExecution(detail.name);
  correlate(claimId);
  const done = await recordExecutionEnd(
    {
      claimId,
      execution: detail.name,
      status: detail.status,
      ...(detail.error ? { error: detail.error } : {}),
      ...(detail.cause ? { cause: detail.cause } : {}),
    },
    runtimeDeps(),
  );
  if (done.recorded) logger.warn('Execution ended without succeeding', { execution: detail.name, status: detail.status });
  return done;
});
