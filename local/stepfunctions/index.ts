import { StepFunctionsApiServer } from './api-server.ts';
import { StepFunctionsEngine, type StepFunctionsEngineOptions } from './engine.ts';

/**
 * The embedded Step Functions: runs `statemachines/refund.asl.json` in-process and serves the
 * Step Functions JSON protocol on loopback, so the unmodified `SFNClient` drives it. The pieces:
 * - engine.ts: runs executions on aws-local-stepfunctions, task tokens, timeouts, resume;
 * - checkpoint-store.ts: execution records on disk, and the engine's crash guarantees;
 * - api-server.ts: the wire protocol and its error codes;
 * - asl.ts: checks the definition and prepares the one the library runs.
 */

export type { StepFunctionsApi } from './api-server.ts';
export { StepFunctionsApiServer } from './api-server.ts';
export type { TaskFunction } from './asl.ts';
export type { Checkpoint, ExecutionRecord, ExecutionStatus, Json, TaskAnswer, WaitingTask } from './checkpoint-store.ts';
export { CheckpointStore } from './checkpoint-store.ts';
export type { ExecutionStatusChange, StepFunctionsEngineOptions } from './engine.ts';
export { StepFunctionsEngine } from './engine.ts';
export type { StepFunctionsErrorCode } from './errors.ts';
export { StepFunctionsError } from './errors.ts';

/** Options of {@link LocalStepFunctions}. */
export type LocalStepFunctionsOptions = StepFunctionsEngineOptions;

/**
 * The engine with its API server. Typical boot:
 * ```ts
 * const sfn = new LocalStepFunctions({ definition, functions, dataDir });
 * const url = await sfn.listen();        // give `url` to SFNClient({ endpoint: url })
 * await sfn.resumePending();             // continue what the last process left RUNNING
 * // … on Ctrl-C:
 * await sfn.close();                     // stops runs, leaves them RUNNING on disk
 * ```
 */
export class LocalStepFunctions extends StepFunctionsEngine {
  private readonly api: StepFunctionsApiServer;
  private closingAll: Promise<void> | undefined;

  /** @see StepFunctionsEngine */
  constructor(options: LocalStepFunctionsOptions) {
    super(options);
    this.api = new StepFunctionsApiServer(this, options.log);
  }

  /**
   * Serves the Step Functions JSON protocol (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.*`).
   * @param port 0 picks a free port.
   * @param host must be a loopback address: the API has no authentication.
   * @returns the endpoint URL, e.g. `http://127.0.0.1:41234`.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.assertOpen();
    return this.api.listen(port, host);
  }

  /**
   * Stops the server, then every run, without recording them as failed: they stay RUNNING on
   * disk and resume at the next boot. Idempotent.
   */
  override close(): Promise<void> {
    this.closingAll ??= (async () => {
      const serverClosed = this.api.close();
      await super.close();
      await serverClosed;
    })();
    return this.closingAll;
  }
}
