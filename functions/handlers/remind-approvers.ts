import * as z from 'zod';
import { remindApprovers } from '#usecases/approvals.ts';
import { runtimeDeps } from './runtime.ts';
import { approvalStepSchema, taskHandler, taskInputSchema } from './task.ts';

/** Workflow callback task `RemindApprovers`: remind the round's approvers, wait for the rest of the round. */
export const handler = taskHandler(taskInputSchema.extend({ approval: approvalStepSchema, taskToken: z.string().min(1) }), (input) =>
  remindApprovers(input, runtimeDeps()),
);
