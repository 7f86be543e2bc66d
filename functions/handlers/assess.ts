import { assessClaim } from '#usecases/assess-claim.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/** Workflow task `Assess`: decide the claim and route it. */
export const handler = taskHandler(taskInputSchema, (input) => assessClaim(input, runtimeDeps()));
