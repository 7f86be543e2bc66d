import * as z from 'zod';
import { requestApproval } from '#usecases/approvals.ts';
import { runtimeDeps } from './runtime.ts';
import { approvalStepSchema, taskHandler, taskInputSchema } from './task.ts';

/** Workflow callback task `RequestApproval`: email the approvers, keep the task token server-side. */
export const handler = taskHandler(taskInputSchema.extend({ approval: approvalStepSchema, taskToken: z.string().min(1) }), (input) =>
  requestApproval(input, runtimeDeps()),
);
