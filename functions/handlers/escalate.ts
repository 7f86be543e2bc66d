import { escalate } from '#usecases/approvals.ts';
import { businessMetrics } from './business-metrics.ts';
import { count } from './observability.ts';
import { runtimeDeps } from './runtime.ts';
import { approvalStepSchema, taskHandler, taskInputSchema } from './task.ts';

/** Workflow task `Escalate`: a tier did not answer in time. */
export const handler = taskHandler(taskInputSchema.extend({ approval: approvalStepSchema }), (input) => {
  // This step runs only when a tier's wait ended unanswered: an approval past its deadline.
  count(businessMetrics.approvalsOverdue);
  return escalate(input, runtimeDeps());
});
