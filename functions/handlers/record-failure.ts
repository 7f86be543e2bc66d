import { z } from 'zod';
import { recordFailure } from '#usecases/conclude.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/** Workflow task `RecordFailure`: mark the claim failed so an operator finds it. */
export const handler = taskHandler(
  taskInputSchema.extend({ error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional() }),
  (input) => recordFailure(input, runtimeDeps()),
);
