import { conclude } from '#usecases/conclude.ts';
import { settlementMetrics } from './observability.ts';
import { runtimeDeps } from './runtime.ts';
import { taskHandler, taskInputSchema } from './task.ts';

/**
 * Workflow task `Conclude` (and `SettlePart`): grant, record and tell the customer. Each grant
 * and the claim's outcome are counted (`ValueGranted`, `ClaimsConcluded`) by the run that records them.
 */
export const handler = taskHandler(taskInputSchema, (input) => conclude(input, runtimeDeps(), settlementMetrics));
