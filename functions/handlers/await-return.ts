import * as z from 'zod';
import { awaitReturn } from '#usecases/returns.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/** Workflow callback task `AwaitReturn`: authorise the return and wait for the goods. */
export const handler = taskHandler(
  taskInputSchema.extend({ returnWaitSeconds: z.number().int().min(1), taskToken: z.string().min(1) }),
  (input) => awaitReturn(input, runtimeDeps()),
);
