import { conclude } from '#usecases/conclude.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/** Workflow task `Conclude`: grant, record and tell the customer. */
export const handler = taskHandler(taskInputSchema, (input) => conclude(input, runtimeDeps()));
