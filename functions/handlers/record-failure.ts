import * as z from 'zod';
import { flowPointSchema } from '#domain/api/ledger-entry.ts';
import { recordFailure } from '#usecases/conclude.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/**
 * Workflow task `RecordFailure`: mark the claim failed so an operator finds it, with where the
 * workflow stood: `state` is the whole input of the step that failed. The step to resume at is
 * kept when that input names one; a failed decision (the input has none) is decided again.
 */
export const handler = taskHandler(
  taskInputSchema.extend({
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    state: z.unknown().optional(),
  }),
  ({ state, ...input }) => {
    const resume = flowPointSchema.safeParse(state);
    return recordFailure({ ...input, ...(resume.success ? { resume: resume.data } : {}) }, runtimeDeps());
  },
);
