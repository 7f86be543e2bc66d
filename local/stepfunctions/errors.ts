/** Error codes the engine returns; each is an exception class of `@aws-sdk/client-sfn`. */
export type StepFunctionsErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'StateMachineDoesNotExist'
  | 'InvalidArn'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'InternalFailure';

/** A Step Functions API error; `name` is the AWS error code the SDK maps to its exception class. */
export class StepFunctionsError extends Error {
  override readonly name: StepFunctionsErrorCode;
  /** HTTP status of the wire response. */
  readonly status: number;

  constructor(code: StepFunctionsErrorCode, message: string, status = 400) {
    super(message);
    this.name = code;
    this.status = status;
  }
}

/** An error a Task function threw, as the library must see it: same name, AWS-shaped Cause. */
export class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Like the library's own runtime errors: neither Retry nor Catch can match it. */
export class TerminalError extends Error {
  // The library duck-types these (main.node.esm.js:2614 and 2642).
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The Cause AWS gives a Lambda error. */
export function lambdaCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorType, errorMessage });
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
