import * as z from 'zod';
import { flowPointSchema } from '#domain/api/ledger-entry.ts';
import { assessClaim } from '#usecases/assess-claim.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/**
 * Workflow task `Assess`: decide the claim and route it. `state` is its whole input: the input of
 * an execution that `makegood claims retry` started carries `resume`, the step to go back to.
 */
export const handler = taskHandler(taskInputSchema.extend({ state: z.unknown().optional() }), ({ state, ...input }) => {
  const resume = z.object({ resume: flowPointSchema }).safeParse(state);
  return assessClaim(input, runtimeDeps(), resume.success ? resume.data.resume : undefined);
});
