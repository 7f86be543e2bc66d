import { closeUnreturned } from '#usecases/returns.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/** Workflow task `CloseUnreturned`: the return deadline passed with nothing received. */
export const handler = taskHandler(taskInputSchema, (input) => closeUnreturned(input, runtimeDeps()));
