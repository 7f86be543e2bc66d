import { escalate } from '#usecases/approvals.ts';
import { runtimeDeps } from './runtime.ts';
import { approvalStepSchema, taskHandler, taskInputSchema } from './task.ts';

/** Workflow task `Escalate`: a tier did not answer in time. */
export const handler = taskHandler(taskInputSchema.extend({ approval: approvalStepSchema }), (input) => escalate(input, runtimeDeps()));
