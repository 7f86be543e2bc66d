import '#local/polyfills.ts';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ExecutionAbortedError, ExecutionError, type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { z } from 'zod';

/**
 * The embedded Step Functions engine: runs `statemachines/refund.asl.json` in-process with
 * aws-local-stepfunctions, speaks the Step Functions JSON protocol on loopback so the unmodified
 * `SFNClient` can drive it, and keeps every execution on disk so a restart continues where the
 * last process stopped.
 *
 * What it adds to the library, and why:
 * - Every Task must be a `lambda:invoke` of a `${…}` placeholder that has a local function, checked
 *   at construction, so nothing in embedded mode can ever call real AWS.
 * - `.waitForTaskToken` tasks get a fresh token per invocation and wait for SendTaskSuccess /
 *   SendTaskFailure, like on AWS.
 * - Timeouts are computed by the engine: the library reads `TimeoutSecondsPath` from the
 *   Parameters output rather than the state input (main.node.esm.js:2395-2416), and any timeout
 *   above 2^31-1 ms overflows Node's timer and fires after 1 ms (main.node.esm.js:3054), which
 *   would end the refund workflow (TimeoutSeconds 7776000) immediately.
 * - Each state entered is checkpointed to `<dataDir>/executions/<name>.json`;
 *   {@link LocalStepFunctions.resumePending} restarts RUNNING executions from their checkpoint.
 */

/** A workflow task function: the same handler Lambda runs, called in-process with the Payload. */
export type TaskFunction = (event: unknown) => Promise<unknown>;

/** Options of {@link LocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  /** The parsed ASL definition, with `${Placeholder}` FunctionNames as deployed by the CDK app. */
  readonly definition: object;
  /** The task functions, keyed by placeholder name without `${}`, e.g. `AssessFunctionArn`. */
  readonly functions: Readonly<Record<string, TaskFunction>>;
  /** Directory that holds `executions/<name>.json`; created if missing. */
  readonly dataDir: string;
  /**
   * ARN the engine answers to.
   * @default 'arn:aws:states:eu-west-1:000000000000:stateMachine:makegood-local'
   */
  readonly stateMachineArn?: string;
  /**
   * Receives one line per execution started, resumed and finished.
   * @default no logging
   */
  readonly log?: (line: string) => void;
  /**
   * Longest single timer the engine arms, in seconds. A callback task that waits longer than
   * twice this is re-armed from its checkpoint (without calling its function again) every
   * `maxTimerSeconds`, because Node timers cannot exceed 2^31-1 ms. Only tests lower it.
   * @default 1_000_000 (about 11.5 days)
   */
  readonly maxTimerSeconds?: number;
}

/** Status of an execution, as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A callback task that waits for its token; persisted so a restart keeps the tokens valid. */
export interface WaitingTask {
  /** The Task state that waits. */
  readonly state: string;
  /** Every token that completes this task: the current one and those issued before a restart. */
  readonly tokens: readonly string[];
  /** When the task times out (States.Timeout), ISO-8601. */
  readonly deadline: string;
}

/** Where a RUNNING execution continues after a restart. */
export interface Checkpoint {
  /** The top-level state the execution is in. */
  readonly state: string;
  /** That state's input. */
  readonly input: Json;
  /** When the execution entered it, ISO-8601. */
  readonly enteredAt: string;
}

/** One execution as persisted in `<dataDir>/executions/<name>.json`. */
export interface ExecutionRecord {
  readonly version: 1;
  readonly name: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  /** The input string exactly as StartExecution received it. */
  readonly input: string;
  status: ExecutionStatus;
  /** ISO-8601. */
  readonly startDate: string;
  /** ISO-8601, once the execution has ended. */
  stopDate?: string;
  /** Absent only between StartExecution and the first state being entered. */
  checkpoint?: Checkpoint;
  /** States entered so far (nested ones included), not counting re-entries after a restart. */
  transitions: number;
  waiting: WaitingTask[];
  /** JSON output string when SUCCEEDED. */
  output?: string;
  /** Error name when FAILED, TIMED_OUT or ABORTED. */
  error?: string;
  cause?: string;
}

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

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type JsonObject = { [key: string]: Json };
type EventLogs = ReturnType<StateMachine['run']>['eventLogs'];
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

const DEFAULT_STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:makegood-local';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** Parameter the engine adds to managed-timeout Tasks; the library reads the timeout from it. */
const TIMEOUT_PARAM = '__makegoodTimeoutSeconds';
/** AWS's limit for execution input, task output and execution output. */
const MAX_PAYLOAD_BYTES = 262_144;
/** What AWS applies to a Task without TimeoutSeconds (about three years). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
const DEFAULT_MAX_TIMER_SECONDS = 1_000_000;
/** Node's setTimeout limit, in seconds, rounded down. */
const NODE_MAX_TIMER_SECONDS = 2_147_483;
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** How long close() lets task functions that are mid-call finish. */
const CLOSE_GRACE_MS = 5_000;
const CLOSED_TOKENS_KEPT = 10_000;
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
// AWS forbids whitespace, brackets, wildcards, these specials and control characters in names.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(stateMachine|execution):.+$/;

/** What the engine knows about one Task state. */
interface TaskInfo {
  readonly name: string;
  readonly callback: boolean;
  readonly placeholder: string;
  readonly fn: TaskFunction;
  /** Where the original timeout came from, for error messages. */
  readonly timeoutSource: string;
}

/** The definition, checked and prepared for the library. */
interface Plan {
  /** The definition the library runs: same flow, engine-managed timeouts. */
  readonly runnable: StateMachineDefinition;
  readonly tasks: ReadonlyMap<string, TaskInfo>;
  /** Top-level state name → names of the states nested in it (Parallel branches, Map). */
  readonly topLevel: ReadonlyMap<string, ReadonlySet<string>>;
  readonly startAt: string;
  readonly executionTimeoutSeconds: number | undefined;
}

/** A callback task waiting for its token. One object per invocation, shared by all its tokens. */
interface PendingTask {
  readonly execution: string;
  readonly state: string;
  readonly tokens: Set<string>;
  readonly deadline: number;
  readonly promise: Promise<Json>;
  readonly resolve: (output: Json) => void;
  readonly reject: (error: Error) => void;
  /** The function has returned; the task now only waits for its token. */
  parked: boolean;
  /** Its token was answered (success or failure): that answer is the task's, whatever the function does after. */
  answered: boolean;
  cancelExpiry: () => void;
}

/** How a run resumes callback tasks, consumed by the first invocation of each state. */
interface ResumeInfo {
  readonly aliases: readonly string[];
  readonly deadline: number | undefined;
  readonly enteredAt: number;
}

/** Where a run starts and what it carries over from an earlier run of the same execution. */
interface LaunchPlan {
  readonly from: { readonly state: string; readonly input: Json };
  /** The start state was entered before (restart or re-arm), so entering it is no transition. */
  readonly resumed: boolean;
  readonly resume: Map<string, ResumeInfo>;
  readonly reattach: Map<string, PendingTask>;
}

function freshPlan(state: string, input: Json): LaunchPlan {
  return { from: { state, input }, resumed: false, resume: new Map(), reattach: new Map() };
}

type StopReason = 'shutdown' | 'timeout' | 'stop' | 'rearm';

/** One library run of an execution; a restart or a re-arm starts another. */
interface Run {
  abort: () => void;
  done: Promise<void>;
  stopReason: StopReason | undefined;
  /** The first StateEntered of a resumed run re-enters the checkpoint; it is not a transition. */
  skipFirstEntry: boolean;
  readonly resume: Map<string, ResumeInfo>;
  readonly reattach: Map<string, PendingTask>;
  cancelRearm: (() => void) | undefined;
  /** The callback tasks a re-arm hands to the next run, taken when it aborts this one. */
  handover: PendingTask[];
}

interface Execution {
  readonly record: ExecutionRecord;
  run: Run | undefined;
  /** Tokens handed out by `$$.Task.Token` and not yet claimed by a task invocation. */
  readonly issued: Set<string>;
  cancelTimeout: (() => void) | undefined;
  dirty: boolean;
  writing: Promise<boolean> | undefined;
}

const checkpointSchema = z.object({
  state: z.string(),
  input: z.json(),
  enteredAt: z.string(),
});

const recordSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  executionArn: z.string(),
  stateMachineArn: z.string(),
  input: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: z.string(),
  stopDate: z.string().optional(),
  checkpoint: checkpointSchema.optional(),
  transitions: z.number().int().nonnegative(),
  waiting: z.array(z.object({ state: z.string(), tokens: z.array(z.string()), deadline: z.string() })),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});

/** An error a Task function threw, as the library must see it: same name, AWS-shaped Cause. */
class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Like the library's own runtime errors: neither Retry nor Catch can match it. */
class TerminalError extends Error {
  // The library duck-types these (main.node.esm.js:2614 and 2642).
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The embedded Step Functions engine. Typical boot:
 * ```ts
 * const sfn = new LocalStepFunctions({ definition, functions, dataDir });
 * const url = await sfn.listen();        // give `url` to SFNClient({ endpoint: url })
 * await sfn.resumePending();             // continue what the last process left RUNNING
 * // … on Ctrl-C:
 * await sfn.close();                     // stops runs, leaves them RUNNING on disk
 * ```
 */
export class LocalStepFunctions {
  /** The ARN StartExecution expects. */
  readonly stateMachineArn: string;

  private readonly plan: Plan;
  private readonly executionsDir: string;
  private readonly logLine: (line: string) => void;
  private readonly maxTimerSeconds: number;
  private readonly executions = new Map<string, Execution>();
  private readonly byToken = new Map<string, PendingTask>();
  private readonly tasks = new Set<PendingTask>();
  /** Tokens that no longer complete anything; AWS answers TaskTimedOut for those. */
  private readonly closedTokens = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly watchers = new Set<() => void>();
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private tmpCounter = 0;

  /**
   * Checks the definition and loads the executions persisted in `dataDir`.
   * @throws Error naming the state, when a Task is not a `lambda:invoke` of a `${…}` placeholder
   *   that has a function, or when the definition uses something the engine cannot run faithfully.
   */
  constructor(options: LocalStepFunctionsOptions) {
    this.stateMachineArn = options.stateMachineArn ?? DEFAULT_STATE_MACHINE_ARN;
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(this.stateMachineArn)) {
      throw new Error(`stateMachineArn ${this.stateMachineArn} is not a state machine ARN`);
    }
    this.maxTimerSeconds = options.maxTimerSeconds ?? DEFAULT_MAX_TIMER_SECONDS;
    const timerLimit = this.maxTimerSeconds;
    if (!Number.isInteger(timerLimit) || timerLimit < 1 || timerLimit * 2 > NODE_MAX_TIMER_SECONDS) {
      throw new Error(`maxTimerSeconds must be an integer from 1 to ${Math.floor(NODE_MAX_TIMER_SECONDS / 2)}`);
    }
    this.logLine = options.log ?? (() => {});
    this.plan = prepare(options.definition, options.functions, this.maxTimerSeconds * 2);
    this.executionsDir = path.join(options.dataDir, 'executions');
    mkdirSync(this.executionsDir, { recursive: true });
    this.load();
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Serves the Step Functions JSON protocol (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.*`).
   * @param port 0 picks a free port.
   * @param host must be a loopback address: the API has no authentication.
   * @returns the endpoint URL, e.g. `http://127.0.0.1:41234`.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.assertOpen();
    if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
      throw new Error(`LocalStepFunctions only listens on loopback, not ${host}`);
    }
    if (this.server) throw new Error('LocalStepFunctions is already listening');
    const server = createServer((req, res) => {
      void this.serve(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${hostPart}:${address.port}`;
  }

  /**
   * Restarts every execution that is RUNNING on disk but not in this process, from its
   * checkpoint: the same definition with `StartAt` set to the checkpointed state and that state's
   * input. A callback task is invoked again with a fresh token (its earlier tokens stay valid)
   * and waits only for what is left of its timeout; if that has passed, its Catch on
   * States.Timeout runs without calling the function. Call once at boot, after the functions work.
   * @returns how many executions were resumed.
   */
  async resumePending(): Promise<number> {
    this.assertOpen();
    let resumed = 0;
    for (const exec of this.executions.values()) {
      if (exec.record.status !== 'RUNNING' || exec.run) continue;
      const at = exec.record.checkpoint?.state;
      if (at !== undefined && !this.plan.topLevel.has(at)) {
        await this.complete(exec, 'FAILED', {
          error: 'States.Runtime',
          cause: `Cannot resume: the definition has no top-level state "${at}" any more`,
        });
        continue;
      }
      if (this.armExecutionTimeout(exec)) {
        this.launch(exec, this.resumePlanFor(exec));
        this.logLine(`stepfunctions: resumed ${exec.record.name} at ${at ?? this.plan.startAt}`);
        resumed += 1;
      }
    }
    return resumed;
  }

  /**
   * Stops the server and every run without recording them as failed: they stay RUNNING on disk
   * with their last checkpoint and resume at the next boot. Task functions in mid-call get a few
   * seconds to finish. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------- the API, in-process

  /**
   * Starts an execution (StartExecution). A name may be used once: starting it again with the
   * same input while it runs returns the first answer, as AWS does for Standard workflows;
   * a different input, or any input once it has ended, is `ExecutionAlreadyExists`.
   * @param input JSON text, at most 256 KiB. @default '{}'
   * @throws StepFunctionsError InvalidName, InvalidExecutionInput, ExecutionAlreadyExists
   */
  async startExecution(name: string, input = '{}'): Promise<{ executionArn: string; startDate: Date }> {
    this.assertOpen();
    if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME_CHARS.test(name)) {
      throw new StepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    }
    if (Buffer.byteLength(input, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsError('InvalidExecutionInput', `Input exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(input) as Json;
    } catch {
      throw new StepFunctionsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn: existing.record.executionArn, startDate: new Date(existing.record.startDate) };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.record.executionArn}'`);
    }
    const exec = this.track({
      version: 1,
      name,
      executionArn: this.executionArn(name),
      stateMachineArn: this.stateMachineArn,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      transitions: 0,
      waiting: [],
    });
    if (!(await this.persist(exec))) {
      this.executions.delete(name);
      throw new StepFunctionsError('InternalFailure', `Could not record execution ${name}`, 500);
    }
    this.logLine(`stepfunctions: started ${name}`);
    // close() began while the record was being written: it is on disk, the next boot runs it.
    if (this.closing) return { executionArn: exec.record.executionArn, startDate: new Date(exec.record.startDate) };
    this.armExecutionTimeout(exec);
    this.launch(exec, freshPlan(this.plan.startAt, parsed));
    return { executionArn: exec.record.executionArn, startDate: new Date(exec.record.startDate) };
  }

  /**
   * Stops a running execution as ABORTED (StopExecution).
   * @throws StepFunctionsError ExecutionDoesNotExist
   */
  async stopExecution(name: string, error?: string, cause?: string): Promise<{ stopDate: Date }> {
    this.assertOpen();
    const exec = this.executions.get(name);
    if (!exec) {
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${this.executionArn(name)}'`);
    }
    if (exec.record.status === 'RUNNING') {
      exec.record.error = error;
      exec.record.cause = cause;
      if (exec.run) {
        const run = exec.run;
        this.stopRun(run, 'stop');
        await run.done;
      } else {
        await this.complete(exec, 'ABORTED', { error, cause });
      }
    }
    return { stopDate: new Date(exec.record.stopDate ?? Date.now()) };
  }

  /**
   * Completes a callback task with its JSON output (SendTaskSuccess).
   * @throws StepFunctionsError InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput
   */
  async sendTaskSuccess(taskToken: string, output: string): Promise<void> {
    const task = this.pendingTask(taskToken);
    if (Buffer.byteLength(output, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsError('InvalidOutput', `Output exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(output) as Json;
    } catch {
      throw new StepFunctionsError('InvalidOutput', 'Invalid Output: not JSON');
    }
    task.answered = true;
    this.settle(task);
    task.resolve(parsed);
  }

  /**
   * Fails a callback task (SendTaskFailure); the state's Retry and Catch see `error` as the
   * error name and `cause` as the Cause.
   * @throws StepFunctionsError InvalidToken, TaskDoesNotExist, TaskTimedOut
   */
  async sendTaskFailure(taskToken: string, error?: string, cause?: string): Promise<void> {
    const task = this.pendingTask(taskToken);
    this.settle(task);
    task.answered = true;
    task.reject(new TaskFailure(error ?? '', cause ?? ''));
  }

  /**
   * Confirms a callback task is still waiting (SendTaskHeartbeat). HeartbeatSeconds is not
   * supported, so there is nothing to extend.
   * @throws StepFunctionsError InvalidToken, TaskDoesNotExist, TaskTimedOut
   */
  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    this.pendingTask(taskToken);
  }

  // ---------------------------------------------------------------- observability

  /** The persisted record of an execution (a copy), or undefined if there is none. */
  describe(name: string): ExecutionRecord | undefined {
    const exec = this.executions.get(name);
    return exec ? structuredClone(exec.record) : undefined;
  }

  /**
   * States entered so far by an execution (nested states included; re-entering the checkpoint
   * after a restart is not counted).
   * @throws Error if there is no such execution.
   */
  transitions(name: string): number {
    const exec = this.executions.get(name);
    if (!exec) throw new Error(`No execution named ${name}`);
    return exec.record.transitions;
  }

  /**
   * Resolves with the record once the execution has ended and its final record is on disk.
   * @param timeoutMs rejects after this long. @default 10_000
   */
  whenSettled(name: string, timeoutMs = 10_000): Promise<ExecutionRecord> {
    return this.waitFor(
      () => {
        const exec = this.executions.get(name);
        if (!exec || exec.record.status === 'RUNNING' || exec.run || exec.writing) return undefined;
        return structuredClone(exec.record);
      },
      timeoutMs,
      `execution ${name} to settle`,
    );
  }

  /**
   * Resolves once nothing is computing: every execution in this process has ended or is parked in
   * a callback task waiting for its token, and every record is on disk.
   * @param timeoutMs rejects after this long. @default 10_000
   */
  idle(timeoutMs = 10_000): Promise<void> {
    return this.waitFor(
      () => {
        for (const exec of this.executions.values()) {
          if (exec.writing) return undefined;
          if (exec.run && !this.isParked(exec.record.name)) return undefined;
        }
        return true;
      },
      timeoutMs,
      'the engine to be idle',
    ).then(() => undefined);
  }

  // ---------------------------------------------------------------- runs

  private launch(exec: Execution, plan: LaunchPlan): void {
    const run: Run = {
      abort: () => {},
      done: Promise.resolve(),
      stopReason: undefined,
      skipFirstEntry: plan.resumed,
      resume: plan.resume,
      reattach: plan.reattach,
      cancelRearm: undefined,
      handover: [],
    };
    const definition = { ...this.plan.runnable, StartAt: plan.from.state };
    const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
    const execution = machine.run(plan.from.input as never, {
      overrides: { taskResourceLocalHandlers: this.handlersFor(exec, run) },
      context: this.contextFor(exec),
    });
    run.abort = execution.abort;
    exec.run = run;
    const following = this.follow(exec, run, execution.eventLogs);
    run.done = Promise.allSettled([execution.result]).then(async ([outcome]) => {
      await following;
      await this.finish(exec, run, outcome);
    });
    this.notify();
  }

  /** Checkpoints every state entered, from the run's event log. */
  private async follow(exec: Execution, run: Run, events: EventLogs): Promise<void> {
    for await (const event of events) {
      if (event.type !== 'StateEntered') continue;
      if (run.skipFirstEntry) {
        run.skipFirstEntry = false;
        continue;
      }
      exec.record.transitions += 1;
      if (this.plan.topLevel.has(event.state.name)) {
        exec.record.checkpoint = {
          state: event.state.name,
          input: structuredClone(event.state.input) as Json,
          enteredAt: new Date(event.timestamp).toISOString(),
        };
      }
      void this.persist(exec);
      this.notify();
    }
  }

  private async finish(exec: Execution, run: Run, outcome: PromiseSettledResult<unknown> | undefined): Promise<void> {
    if (exec.run !== run) return;
    exec.run = undefined;
    run.cancelRearm?.();
    if (outcome?.status === 'fulfilled') {
      const output = JSON.stringify(outcome.value ?? null);
      if (Buffer.byteLength(output, 'utf8') > MAX_PAYLOAD_BYTES) {
        await this.complete(exec, 'FAILED', {
          error: 'States.DataLimitExceeded',
          cause: `The execution output exceeds ${MAX_PAYLOAD_BYTES} bytes`,
        });
      } else {
        await this.complete(exec, 'SUCCEEDED', { output });
      }
      return;
    }
    const reason: unknown = outcome?.reason;
    if (reason instanceof ExecutionAbortedError) {
      switch (run.stopReason) {
        case 'rearm':
          if (!this.closing) {
            this.launch(exec, this.rearmPlanFor(exec, run.handover));
            return;
          }
          await this.persist(exec);
          return;
        case 'timeout':
          await this.complete(exec, 'TIMED_OUT', {
            error: 'States.Timeout',
            cause: `The execution ran longer than its TimeoutSeconds (${this.plan.executionTimeoutSeconds})`,
          });
          return;
        case 'stop':
          await this.complete(exec, 'ABORTED', { error: exec.record.error, cause: exec.record.cause });
          return;
        default:
          // Shutdown: the record keeps RUNNING and its checkpoint, for the next boot.
          await this.persist(exec);
          return;
      }
    }
    const cause: unknown = reason instanceof ExecutionError ? reason.cause : reason;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    await this.complete(exec, 'FAILED', { error: error.name, cause: error.message });
  }

  private async complete(
    exec: Execution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: string; error?: string; cause?: string },
  ): Promise<void> {
    const record = exec.record;
    record.status = status;
    record.stopDate = new Date().toISOString();
    record.output = result.output;
    record.error = result.error;
    record.cause = result.cause;
    record.waiting = [];
    exec.cancelTimeout?.();
    exec.cancelTimeout = undefined;
    for (const task of [...this.tasks]) {
      if (task.execution === record.name) this.settle(task, false);
    }
    await this.persist(exec);
    const error = record.error ? ` (${record.error})` : '';
    this.logLine(`stepfunctions: ${record.name} ${status}${error} after ${record.transitions} transitions`);
    this.notify();
  }

  private stopRun(run: Run, reason: StopReason): void {
    if (run.stopReason) return;
    run.stopReason = reason;
    run.abort();
  }

  /** Enforces the definition's TimeoutSeconds; returns false when it has already passed. */
  private armExecutionTimeout(exec: Execution): boolean {
    const seconds = this.plan.executionTimeoutSeconds;
    if (seconds === undefined) return true;
    const remaining = Date.parse(exec.record.startDate) + seconds * 1000 - Date.now();
    const onTimeout = (): void => {
      exec.cancelTimeout = undefined;
      if (exec.record.status !== 'RUNNING') return;
      if (exec.run) {
        this.stopRun(exec.run, 'timeout');
      } else {
        void this.complete(exec, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: `The execution ran longer than its TimeoutSeconds (${seconds})`,
        });
      }
    };
    if (remaining <= 0) {
      onTimeout();
      return false;
    }
    exec.cancelTimeout = this.setLongTimeout(onTimeout, remaining);
    return true;
  }

  private resumePlanFor(exec: Execution): LaunchPlan {
    const checkpoint = exec.record.checkpoint;
    if (!checkpoint) return freshPlan(this.plan.startAt, JSON.parse(exec.record.input) as Json);
    const enteredAt = Date.parse(checkpoint.enteredAt);
    const scope = new Set([checkpoint.state, ...(this.plan.topLevel.get(checkpoint.state) ?? [])]);
    const resume = new Map<string, ResumeInfo>();
    for (const name of scope) {
      const info = this.plan.tasks.get(name);
      if (!info?.callback) continue;
      const waiting = exec.record.waiting.find((w) => w.state === name);
      resume.set(name, {
        aliases: waiting?.tokens ?? [],
        deadline: waiting ? Date.parse(waiting.deadline) : undefined,
        enteredAt,
      });
    }
    return { from: { state: checkpoint.state, input: checkpoint.input }, resumed: true, resume, reattach: new Map() };
  }

  /**
   * Same checkpoint, but the waiting tasks keep their tokens and are not invoked again. A task
   * completed between the abort and now is handed over too, so its outcome is not lost.
   */
  private rearmPlanFor(exec: Execution, handover: readonly PendingTask[]): LaunchPlan {
    const plan = this.resumePlanFor(exec);
    for (const task of handover) plan.reattach.set(task.state, task);
    return plan;
  }

  // ---------------------------------------------------------------- tasks

  private handlersFor(exec: Execution, run: Run): TaskHandlers {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const info of this.plan.tasks.values()) {
      handlers[info.name] = info.callback
        ? (input) => this.runCallbackTask(exec, run, info, input)
        : (input) => this.runInvokeTask(run, info, input);
    }
    return handlers as TaskHandlers;
  }

  /** The context object; `$$.Task.Token` yields a fresh token each time it is read. */
  private contextFor(exec: Execution): Record<string, unknown> {
    const issued = exec.issued;
    return {
      Execution: {
        Id: exec.record.executionArn,
        Name: exec.record.name,
        RoleArn: 'arn:aws:iam::000000000000:role/makegood-local',
        RedriveCount: 0,
      },
      StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineArn.split(':').at(-1) },
      // The library copies the context shallowly (main.node.esm.js:3086), so this object, and its
      // getter, reach every state and every Parallel branch or Map iteration unchanged.
      Task: {
        get Token(): string {
          const token = randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
          issued.add(token);
          return token;
        },
      },
    };
  }

  // Both task runners are deliberately not async: the library calls a handler and only then reads
  // the timeout from the same input object (main.node.esm.js:2411-2416), so the engine sets it
  // synchronously, and a synchronous throw fails the state before any function is called.
  private runInvokeTask(run: Run, info: TaskInfo, input: Json): Promise<Json> {
    this.assertRunLive(run);
    const params = asObject(input);
    if (TIMEOUT_PARAM in params) {
      params[TIMEOUT_PARAM] = Math.min(readTimeout(params, info), this.maxTimerSeconds * 2);
    }
    const result = this.invoke(info, params.Payload).then(
      (payload): Json => ({ ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 }),
    );
    result.catch(() => {});
    return result;
  }

  private runCallbackTask(exec: Execution, run: Run, info: TaskInfo, input: Json): Promise<Json> {
    this.assertRunLive(run);
    const params = asObject(input);
    const token = this.claimToken(exec, params.Payload);
    const timeoutSeconds = readTimeout(params, info);

    let task = run.reattach.get(info.name);
    run.reattach.delete(info.name);
    let waitFor: Promise<Json>;
    if (task) {
      // Already invoked before the re-arm; it may even have been completed since.
      waitFor = task.promise;
    } else {
      const resumed = run.resume.get(info.name);
      run.resume.delete(info.name);
      const deadline = resumed ? (resumed.deadline ?? resumed.enteredAt + timeoutSeconds * 1000) : Date.now() + timeoutSeconds * 1000;
      if (resumed && deadline <= Date.now()) {
        // Resumed after its deadline: let the library time it out (1 s below) so the state's
        // Catch on States.Timeout runs, without asking anyone to act on an expired request.
        for (const alias of resumed.aliases) this.closeToken(alias);
        this.closeToken(token);
        params[TIMEOUT_PARAM] = 1;
        const never = new Promise<Json>(() => {});
        return never;
      }
      task = this.register(exec, info.name, [token, ...(resumed?.aliases ?? [])], deadline);
      const registered = task;
      const invocation = this.invoke(info, params.Payload);
      waitFor = invocation.then(
        () => {
          registered.parked = true;
          this.notify();
          return registered.promise;
        },
        (error: unknown) => {
          // As on AWS, a token answered while the function still ran completes the task: the
          // function failing afterwards (a lost answer, a timeout) does not run it again.
          if (registered.answered) return registered.promise;
          this.settle(registered);
          throw error;
        },
      );
    }
    this.closeIfUnused(token, task);

    const remaining = Math.max(1, Math.ceil((task.deadline - Date.now()) / 1000));
    if (remaining > this.maxTimerSeconds * 2) {
      params[TIMEOUT_PARAM] = this.maxTimerSeconds * 2;
      run.cancelRearm ??= this.setLongTimeout(() => {
        run.cancelRearm = undefined;
        if (exec.run !== run) return;
        run.handover = [...this.tasks].filter((t) => t.execution === exec.record.name);
        this.stopRun(run, 'rearm');
      }, this.maxTimerSeconds * 1000);
    } else {
      params[TIMEOUT_PARAM] = remaining;
    }
    waitFor.catch(() => {});
    return waitFor;
  }

  /** Calls a task function the way Lambda would: JSON in, JSON out, errors by name. */
  private invoke(info: TaskInfo, payload: Json | undefined): Promise<Json> {
    const event: unknown = payload === undefined ? {} : JSON.parse(JSON.stringify(payload));
    const call = (async () => info.fn(event))();
    this.inflight.add(call);
    const untrack = (): void => {
      this.inflight.delete(call);
    };
    call.then(untrack, untrack);
    return call.then(
      (result) => {
        let text: string;
        try {
          text = JSON.stringify(result ?? null);
        } catch (error) {
          throw new TaskFailure('Runtime.MarshalError', lambdaCause('Runtime.MarshalError', errorMessage(error)));
        }
        if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
          throw new TerminalError('States.DataLimitExceeded', `The result of ${info.name} exceeds ${MAX_PAYLOAD_BYTES} bytes`);
        }
        return JSON.parse(text) as Json;
      },
      (error: unknown) => {
        const name = error instanceof Error ? error.name : 'Error';
        throw new TaskFailure(name, lambdaCause(name, errorMessage(error)));
      },
    );
  }

  /** Finds the token `$$.Task.Token` produced for this invocation in the payload. */
  private claimToken(exec: Execution, payload: Json | undefined): string {
    const token = findString(payload, (s) => exec.issued.has(s));
    exec.issued.clear();
    if (token === undefined) {
      throw new TerminalError('States.Runtime', 'A .waitForTaskToken task must pass $$.Task.Token in its Payload');
    }
    return token;
  }

  private register(exec: Execution, state: string, tokens: string[], deadline: number): PendingTask {
    let resolve!: (output: Json) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<Json>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody awaits between a re-arm's abort and its next run; a failure then must not crash Node.
    promise.catch(() => {});
    const task: PendingTask = {
      execution: exec.record.name,
      state,
      tokens: new Set(tokens),
      deadline,
      promise,
      resolve,
      reject,
      parked: false,
      answered: false,
      cancelExpiry: () => {},
    };
    task.cancelExpiry = this.setLongTimeout(() => this.settle(task), deadline - Date.now());
    this.tasks.add(task);
    for (const token of tokens) this.byToken.set(token, task);
    this.syncWaiting(exec);
    return task;
  }

  /** Ends a pending task's life: its tokens stop working. The caller resolves or rejects it. */
  private settle(task: PendingTask, persist = true): void {
    if (!this.tasks.delete(task)) return;
    task.cancelExpiry();
    for (const token of task.tokens) {
      this.byToken.delete(token);
      this.closeToken(token);
    }
    const exec = this.executions.get(task.execution);
    if (exec && persist) this.syncWaiting(exec);
    this.notify();
  }

  private syncWaiting(exec: Execution): void {
    exec.record.waiting = [...this.tasks]
      .filter((t) => t.execution === exec.record.name)
      .map((t) => ({ state: t.state, tokens: [...t.tokens], deadline: new Date(t.deadline).toISOString() }));
    void this.persist(exec);
  }

  private pendingTask(taskToken: string): PendingTask {
    if (typeof taskToken !== 'string' || !TOKEN_PATTERN.test(taskToken)) {
      throw new StepFunctionsError('InvalidToken', 'Invalid Token');
    }
    const task = this.byToken.get(taskToken);
    if (task) return task;
    if (this.closedTokens.has(taskToken)) {
      throw new StepFunctionsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  private closeToken(token: string): void {
    this.closedTokens.add(token);
    if (this.closedTokens.size > CLOSED_TOKENS_KEPT) {
      const oldest = this.closedTokens.values().next().value;
      if (oldest !== undefined) this.closedTokens.delete(oldest);
    }
  }

  private closeIfUnused(token: string, task: PendingTask): void {
    if (!task.tokens.has(token)) this.closeToken(token);
  }

  private isParked(name: string): boolean {
    for (const task of this.tasks) {
      if (task.execution === name && task.parked) return true;
    }
    return false;
  }

  private assertRunLive(run: Run): void {
    // After an abort the library still retries a failed state (main.node.esm.js:2546), which
    // would call a function for a run that no longer exists.
    if (run.stopReason) throw new TerminalError('States.Runtime', 'The execution run was stopped');
  }

  // ---------------------------------------------------------------- persistence

  private load(): void {
    for (const file of readdirSync(this.executionsDir)) {
      const full = path.join(this.executionsDir, file);
      if (file.endsWith('.tmp')) {
        // A write that a crash interrupted; the previous version was never replaced.
        rmSync(full, { force: true });
        continue;
      }
      if (!file.endsWith('.json')) continue;
      try {
        const record = recordSchema.parse(JSON.parse(readFileSync(full, 'utf8'))) as ExecutionRecord;
        this.track(record);
      } catch (error) {
        this.logLine(`stepfunctions: skipped unreadable ${full}: ${errorMessage(error)}`);
      }
    }
  }

  private track(record: ExecutionRecord): Execution {
    const exec: Execution = {
      record,
      run: undefined,
      issued: new Set(),
      cancelTimeout: undefined,
      dirty: false,
      writing: undefined,
    };
    this.executions.set(record.name, exec);
    return exec;
  }

  /** Writes the record's latest state; concurrent calls share one write loop. Never rejects. */
  private persist(exec: Execution): Promise<boolean> {
    exec.dirty = true;
    exec.writing ??= this.flush(exec);
    return exec.writing;
  }

  private async flush(exec: Execution): Promise<boolean> {
    let ok = true;
    try {
      while (exec.dirty) {
        exec.dirty = false;
        const file = path.join(this.executionsDir, `${exec.record.name}.json`);
        const tmp = `${file}.${process.pid}.${++this.tmpCounter}.tmp`;
        try {
          await writeFile(tmp, `${JSON.stringify(exec.record, null, 2)}\n`);
          await rename(tmp, file);
          ok = true;
        } catch (error) {
          ok = false;
          this.logLine(`stepfunctions: could not write ${file}: ${errorMessage(error)}`);
        }
      }
    } finally {
      exec.writing = undefined;
      this.notify();
    }
    return ok;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    server?.closeAllConnections();
    const runs: Run[] = [];
    for (const exec of this.executions.values()) {
      exec.cancelTimeout?.();
      exec.cancelTimeout = undefined;
      if (exec.run) {
        runs.push(exec.run);
        this.stopRun(exec.run, 'shutdown');
      }
    }
    await Promise.allSettled(runs.map((run) => run.done));
    // In memory only: the records keep their waiting tokens for the next boot.
    for (const task of this.tasks) task.cancelExpiry();
    this.tasks.clear();
    this.byToken.clear();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        grace = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    await Promise.all([...this.executions.values()].map((exec) => exec.writing));
    await serverClosed;
  }

  private assertOpen(): void {
    if (this.closing) throw new StepFunctionsError('InternalFailure', 'The engine is closed', 500);
  }

  // ---------------------------------------------------------------- helpers

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private nameFromExecutionArn(arn: unknown): string {
    if (typeof arn !== 'string' || !ARN_PATTERN.test(arn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const prefix = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
    const name = arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
    if (name === undefined || !this.executions.has(name)) {
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return name;
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      const check = (): void => {
        const value = probe();
        if (value !== undefined) {
          stop();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.watchers.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of [...this.watchers]) check();
  }

  /** setTimeout without Node's 2^31-1 ms limit; returns a cancel function. */
  private setLongTimeout(fn: () => void, ms: number): () => void {
    const due = Date.now() + Math.max(0, ms);
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const left = due - Date.now();
      if (left <= 0) {
        handle = undefined;
        fn();
        return;
      }
      handle = setTimeout(arm, Math.min(left, this.maxTimerSeconds * 1000));
      // The server keeps a running engine alive; a pending timer alone should not.
      handle.unref();
    };
    arm();
    return () => clearTimeout(handle);
  }

  // ---------------------------------------------------------------- wire protocol

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': requestId,
      });
      res.end(text);
    };
    try {
      if (req.method !== 'POST' || (req.url ?? '/') !== '/') {
        throw new StepFunctionsError('UnknownOperationException', 'Only POST / is served', 404);
      }
      const target = req.headers['x-amz-target'];
      const prefix = 'AWSStepFunctions.';
      const operation = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
      if (operation === undefined) {
        throw new StepFunctionsError('UnknownOperationException', 'Missing or foreign X-Amz-Target');
      }
      const raw = await readBody(req, MAX_REQUEST_BYTES);
      if (raw === undefined) throw new StepFunctionsError('ValidationException', 'Request body too large', 413);
      let body: unknown;
      try {
        body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      } catch {
        throw new StepFunctionsError('SerializationException', 'Request body is not JSON');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new StepFunctionsError('SerializationException', 'Request body must be a JSON object');
      }
      send(200, await this.dispatch(operation, body as Record<string, unknown>));
    } catch (error) {
      if (error instanceof StepFunctionsError) {
        send(error.status, { __type: `com.amazonaws.swf.service.v2.model#${error.name}`, message: error.message });
      } else {
        this.logLine(`stepfunctions: request failed: ${errorMessage(error)}`);
        send(500, { __type: 'com.amazonaws.swf.service.v2.model#InternalFailure', message: 'Internal failure' });
      }
    }
  }

  private async dispatch(operation: string, body: Record<string, unknown>): Promise<object> {
    switch (operation) {
      case 'StartExecution': {
        const arn = requireString(body, 'stateMachineArn');
        if (!ARN_PATTERN.test(arn)) throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
        if (arn !== this.stateMachineArn) {
          throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
        }
        const name = requireString(body, 'name');
        const input = optionalString(body, 'input') ?? '{}';
        const started = await this.startExecution(name, input);
        return { executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000 };
      }
      case 'DescribeExecution': {
        const name = this.nameFromExecutionArn(body.executionArn);
        const record = this.describe(name);
        if (!record) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${name}'`);
        return describeResponse(record);
      }
      case 'StopExecution': {
        const name = this.nameFromExecutionArn(body.executionArn);
        const stopped = await this.stopExecution(name, optionalString(body, 'error'), optionalString(body, 'cause'));
        return { stopDate: stopped.stopDate.getTime() / 1000 };
      }
      case 'SendTaskSuccess':
        await this.sendTaskSuccess(requireString(body, 'taskToken'), requireString(body, 'output'));
        return {};
      case 'SendTaskFailure':
        await this.sendTaskFailure(requireString(body, 'taskToken'), optionalString(body, 'error'), optionalString(body, 'cause'));
        return {};
      case 'SendTaskHeartbeat':
        await this.sendTaskHeartbeat(requireString(body, 'taskToken'));
        return {};
      default:
        throw new StepFunctionsError('UnknownOperationException', `The embedded engine has no ${operation}`);
    }
  }
}

// ------------------------------------------------------------------ definition checks

/**
 * Checks the definition and derives the one the library runs. The library's copy differs only in
 * timeouts: the execution's TimeoutSeconds is removed (the engine enforces it), and each callback
 * task or TimeoutSecondsPath task reads its timeout from a parameter the engine sets, because the
 * library would read the path from the wrong document and overflow on long waits.
 */
function prepare(definition: object, functions: Readonly<Record<string, TaskFunction>>, maxLibraryTimeout: number): Plan {
  // Structural validation by the library's own validator (asl-validator), before anything else.
  new StateMachine(definition as StateMachineDefinition);
  const root = structuredClone(definition) as Record<string, unknown>;
  const tasks = new Map<string, TaskInfo>();
  const topLevel = new Map<string, Set<string>>();
  const seen = new Set<string>();

  rejectUnsupportedLanguage(root, 'the definition');
  const visit = (machine: Record<string, unknown>, nestedIn: Set<string> | undefined): void => {
    const states = machine.States as Record<string, Record<string, unknown>>;
    for (const [name, state] of Object.entries(states)) {
      if (seen.has(name)) {
        // The library keys Task overrides by state name, across branches too.
        throw new Error(`State name "${name}" is used more than once; names must be unique in the whole definition`);
      }
      seen.add(name);
      nestedIn?.add(name);
      const inner = nestedIn ?? new Set<string>();
      if (!nestedIn) topLevel.set(name, inner);
      rejectUnsupportedLanguage(state, `state "${name}"`);
      switch (state.Type) {
        case 'Task':
          tasks.set(name, prepareTask(name, state, functions, maxLibraryTimeout));
          break;
        case 'Wait':
          throw new Error(
            `Wait state "${name}" is not supported by the embedded engine: a restart would wait its full ` +
              'time again. Use a callback task with a timeout instead.',
          );
        case 'Parallel':
          for (const branch of state.Branches as Record<string, unknown>[]) visit(branch, inner);
          break;
        case 'Map':
          visit((state.ItemProcessor ?? state.Iterator) as Record<string, unknown>, inner);
          break;
        default:
          break;
      }
    }
  };
  visit(root, undefined);

  const timeout = root.TimeoutSeconds;
  delete root.TimeoutSeconds;
  return {
    runnable: root as unknown as StateMachineDefinition,
    tasks,
    topLevel,
    startAt: root.StartAt as string,
    executionTimeoutSeconds: typeof timeout === 'number' ? timeout : undefined,
  };
}

function rejectUnsupportedLanguage(node: Record<string, unknown>, where: string): void {
  // The library ignores these silently; running a definition that relies on them would be wrong.
  if (node.QueryLanguage === 'JSONata' || 'Assign' in node || 'Arguments' in node || 'Output' in node) {
    throw new Error(`${where} uses JSONata or variables (QueryLanguage/Assign/Arguments/Output), which the embedded engine cannot run`);
  }
}

function prepareTask(
  name: string,
  state: Record<string, unknown>,
  functions: Readonly<Record<string, TaskFunction>>,
  maxLibraryTimeout: number,
): TaskInfo {
  const resource = state.Resource;
  if (resource !== LAMBDA_INVOKE && resource !== LAMBDA_INVOKE_WAIT) {
    throw new Error(
      `Task state "${name}" has Resource ${JSON.stringify(resource)}; ` +
        `the embedded engine runs only ${LAMBDA_INVOKE} and ${LAMBDA_INVOKE_WAIT}`,
    );
  }
  const parameters = state.Parameters;
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new Error(`Task state "${name}" has no Parameters with a FunctionName`);
  }
  const params = parameters as Record<string, unknown>;
  const functionName = params.FunctionName;
  const placeholder = typeof functionName === 'string' ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionName)?.[1] : undefined;
  if (placeholder === undefined) {
    const given = JSON.stringify(functionName ?? params['FunctionName.$']);
    throw new Error(`Task state "${name}" must name its function with a \${…} placeholder, not ${given}`);
  }
  const fn = functions[placeholder];
  if (typeof fn !== 'function') {
    throw new Error(
      `Task state "${name}" invokes \${${placeholder}}, but no function named ${placeholder} was given to the embedded engine`,
    );
  }
  if ('HeartbeatSeconds' in state || 'HeartbeatSecondsPath' in state) {
    throw new Error(`Task state "${name}" sets a heartbeat, which the embedded engine does not enforce`);
  }
  const callback = resource === LAMBDA_INVOKE_WAIT;
  if (callback && !mentionsTaskToken(params)) {
    throw new Error(`Task state "${name}" waits for a task token but does not pass $$.Task.Token in its Parameters`);
  }

  let timeoutSource: string;
  if (callback || 'TimeoutSecondsPath' in state) {
    if (typeof state.TimeoutSecondsPath === 'string') {
      params[`${TIMEOUT_PARAM}.$`] = state.TimeoutSecondsPath;
      timeoutSource = `TimeoutSecondsPath ${state.TimeoutSecondsPath}`;
    } else {
      params[TIMEOUT_PARAM] = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
      timeoutSource = 'TimeoutSeconds';
    }
    delete state.TimeoutSeconds;
    state.TimeoutSecondsPath = `$.${TIMEOUT_PARAM}`;
  } else {
    const seconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
    state.TimeoutSeconds = Math.min(seconds, maxLibraryTimeout);
    timeoutSource = 'TimeoutSeconds';
  }
  return { name, callback, placeholder, fn, timeoutSource };
}

function mentionsTaskToken(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsTaskToken);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => (key.endsWith('.$') && v === '$$.Task.Token') || mentionsTaskToken(v));
  }
  return false;
}

// ------------------------------------------------------------------ small helpers

function readTimeout(params: JsonObject, info: TaskInfo): number {
  const value = params[TIMEOUT_PARAM];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TerminalError(
      'States.Runtime',
      `The ${info.timeoutSource} of state "${info.name}" must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function asObject(value: Json): JsonObject {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  throw new TerminalError('States.Runtime', 'Task parameters must be an object');
}

function findString(value: Json | undefined, match: (s: string) => boolean): string | undefined {
  if (typeof value === 'string') return match(value) ? value : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findString(item, match);
      if (found !== undefined) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) {
      const found = findString(item, match);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The Cause AWS gives a Lambda error. */
function lambdaCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorType, errorMessage });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') {
    throw new StepFunctionsError(
      'ValidationException',
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new StepFunctionsError('ValidationException', `Value at '${key}' must be a string`);
  }
  return value;
}

function describeResponse(record: ExecutionRecord): object {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: Date.parse(record.startDate) / 1000,
    ...(record.stopDate ? { stopDate: Date.parse(record.stopDate) / 1000 } : {}),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
    redriveCount: 0,
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
