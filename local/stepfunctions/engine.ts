import '#local/polyfills.ts';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ExecutionAbortedError, ExecutionError, type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import { type Plan, prepare, readTimeout, type TaskFunction, type TaskInfo, TIMEOUT_PARAM } from './asl.ts';
import {
  type Checkpoint,
  CheckpointStore,
  type ExecutionRecord,
  type ExecutionStatus,
  type Json,
  type TaskAnswer,
} from './checkpoint-store.ts';
import { errorMessage, lambdaCause, StepFunctionsError, TaskFailure, TerminalError } from './errors.ts';
import { newTaskToken, type PendingTask, TaskTokens } from './task-tokens.ts';
import { setLongTimeout } from './timers.ts';

/**
 * The engine: runs executions of one definition with aws-local-stepfunctions, hands out and
 * redeems task tokens, enforces timeouts, and keeps every execution in a {@link CheckpointStore}
 * so that a restart continues where the last process stopped (the crash guarantees are written
 * at the top of checkpoint-store.ts). Retry and Catch are the library's.
 *
 * What it adds to the library, and why:
 * - Every Task must be a `lambda:invoke` of a `${…}` placeholder that has a local function, checked
 *   at construction (asl.ts), so nothing in embedded mode can ever call real AWS.
 * - `.waitForTaskToken` tasks get a fresh token per invocation and wait for SendTaskSuccess /
 *   SendTaskFailure, like on AWS.
 * - Timeouts are computed by the engine: the library reads `TimeoutSecondsPath` from the wrong
 *   document, and any timeout above 2^31-1 ms overflows Node's timer and fires after 1 ms, which
 *   would end the refund workflow (TimeoutSeconds 7776000) immediately.
 * - Each state entered is checkpointed before its task function is called, each callback answer
 *   is on disk before it is acknowledged, and {@link StepFunctionsEngine.resumePending} restarts
 *   RUNNING executions from their checkpoint.
 */

/** Options of {@link StepFunctionsEngine}. */
export interface StepFunctionsEngineOptions {
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
  /**
   * Receives Step Functions' "Execution Status Change" event, in the shape EventBridge delivers,
   * for each execution that ends FAILED, TIMED_OUT or ABORTED: what the rule on AWS does. At least
   * once: an event that was not handled (it threw, or a crash came first) is sent again at boot.
   * @default no one is told
   */
  readonly onEnded?: (event: ExecutionStatusChange) => Promise<unknown>;
}

/** Step Functions' status change event for an execution that did not succeed, as EventBridge sends it. */
export interface ExecutionStatusChange {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly source: 'aws.states';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
    /** Epoch milliseconds, as AWS sends them. */
    readonly startDate: number;
    readonly stopDate: number;
    readonly input: string;
    readonly output: null;
    readonly error: string | null;
    readonly cause: string | null;
  };
}

type JsonObject = { [key: string]: Json };
type EventLogs = ReturnType<StateMachine['run']>['eventLogs'];
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

const DEFAULT_STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:makegood-local';
/** AWS's limit for execution input, task output and execution output. */
const MAX_PAYLOAD_BYTES = 262_144;
const DEFAULT_MAX_TIMER_SECONDS = 1_000_000;
/** Node's setTimeout limit, in seconds, rounded down. */
const NODE_MAX_TIMER_SECONDS = 2_147_483;
/** How long close() lets task functions that are mid-call finish. */
const CLOSE_GRACE_MS = 5_000;
// AWS forbids whitespace, brackets, wildcards, these specials and control characters in names.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** How a run resumes a task, consumed by the first invocation of its state. */
interface ResumeInfo {
  /** A callback task's tokens issued before the restart. */
  readonly aliases: readonly string[];
  readonly deadline: number | undefined;
  readonly enteredAt: number;
  /** The answer a callback task was given before the restart: replayed instead of asking again. */
  readonly answer: TaskAnswer | undefined;
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
  /** Resolves once the record StartExecution created is on disk; false if it could not be written. */
  readonly recorded: Promise<boolean>;
  run: Run | undefined;
  /** Tokens handed out by `$$.Task.Token` and not yet claimed by a task invocation. */
  readonly issued: Set<string>;
  cancelTimeout: (() => void) | undefined;
}

/**
 * The embedded Step Functions engine, without a wire protocol (api-server.ts serves it).
 * ```ts
 * const engine = new StepFunctionsEngine({ definition, functions, dataDir });
 * await engine.resumePending();          // continue what the last process left RUNNING
 * await engine.startExecution('claim-1', '{"claimId":"c-1"}');
 * await engine.close();                  // stops runs, leaves them RUNNING on disk
 * ```
 */
export class StepFunctionsEngine {
  /** The ARN StartExecution expects. */
  readonly stateMachineArn: string;

  private readonly plan: Plan;
  private readonly store: CheckpointStore;
  private readonly logLine: (line: string) => void;
  private readonly maxTimerSeconds: number;
  private readonly onEnded: StepFunctionsEngineOptions['onEnded'];
  private readonly executions = new Map<string, Execution>();
  private readonly tokens: TaskTokens;
  /** Task functions mid-call (with the checkpoint write they wait for); close() lets them finish. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly watchers = new Set<() => void>();
  private closing: Promise<void> | undefined;

  /**
   * Checks the definition and loads the executions persisted in `dataDir`.
   * @throws Error naming the state, when a Task is not a `lambda:invoke` of a `${…}` placeholder
   *   that has a function, or when the definition uses something the engine cannot run faithfully.
   */
  constructor(options: StepFunctionsEngineOptions) {
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
    this.onEnded = options.onEnded;
    this.plan = prepare(options.definition, options.functions, this.maxTimerSeconds * 2);
    this.tokens = new TaskTokens((fn, ms) => this.setLongTimeout(fn, ms));
    this.store = new CheckpointStore(path.join(options.dataDir, 'executions'), {
      log: this.logLine,
      onWritten: () => this.notify(),
    });
    for (const record of this.store.load()) this.track(record, Promise.resolve(true));
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Restarts every execution that is RUNNING on disk but not in this process, from its
   * checkpoint: the same definition with `StartAt` set to the checkpointed state and that state's
   * input. A callback task whose token was answered is completed with that answer. One still
   * waiting is invoked again with a fresh token (its earlier tokens stay valid) and waits only for
   * what is left of its timeout; if that has passed, its Catch on States.Timeout runs without
   * calling the function. Call once at boot, after the functions work.
   * @returns how many executions were resumed.
   */
  async resumePending(): Promise<number> {
    this.assertOpen();
    let resumed = 0;
    for (const exec of this.executions.values()) {
      if (exec.record.reported === false) void this.tracked(this.report(exec));
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
   * Stops every run without recording them as failed: they stay RUNNING on disk with their last
   * checkpoint and resume at the next boot. Task functions in mid-call get a few seconds to
   * finish. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------- the API, in-process

  /**
   * Starts an execution (StartExecution). It answers only once the execution's record is on disk.
   * A name may be used once, across restarts: starting it again with the same input while it runs
   * returns the first answer, as AWS does for Standard workflows; a different input, or any input
   * once it has ended, is `ExecutionAlreadyExists`.
   * @param input JSON text, at most 256 KiB. @default '{}'
   * @throws StepFunctionsError InvalidName, InvalidExecutionInput, ExecutionAlreadyExists, InternalFailure
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
      // A duplicate answers no sooner than the first: once the first record is on disk.
      if (!(await existing.recorded)) throw new StepFunctionsError('InternalFailure', `Could not record execution ${name}`, 500);
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn: existing.record.executionArn, startDate: new Date(existing.record.startDate) };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.record.executionArn}'`);
    }
    const record: ExecutionRecord = {
      version: 1,
      name,
      executionArn: this.executionArn(name),
      stateMachineArn: this.stateMachineArn,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      transitions: 0,
      waiting: [],
    };
    const exec = this.track(record, this.store.save(record));
    if (!(await exec.recorded)) {
      this.executions.delete(name);
      throw new StepFunctionsError('InternalFailure', `Could not record execution ${name}`, 500);
    }
    this.logLine(`stepfunctions: started ${name}`);
    // close() began while the record was being written: it is on disk, the next boot runs it.
    if (this.closing) return { executionArn: record.executionArn, startDate: new Date(record.startDate) };
    this.armExecutionTimeout(exec);
    this.launch(exec, freshPlan(this.plan.startAt, parsed));
    return { executionArn: record.executionArn, startDate: new Date(record.startDate) };
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
   * Completes a callback task with its JSON output (SendTaskSuccess). It answers once the output
   * is on disk, so a restart completes the task with it.
   * @throws StepFunctionsError InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput
   */
  async sendTaskSuccess(taskToken: string, output: string): Promise<void> {
    const task = this.tokens.find(taskToken);
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
    await this.recordAnswer(task, { output: parsed });
    task.resolve(parsed);
  }

  /**
   * Fails a callback task (SendTaskFailure); the state's Retry and Catch see `error` as the
   * error name and `cause` as the Cause. It answers once the failure is on disk.
   * @throws StepFunctionsError InvalidToken, TaskDoesNotExist, TaskTimedOut
   */
  async sendTaskFailure(taskToken: string, error?: string, cause?: string): Promise<void> {
    const task = this.tokens.find(taskToken);
    task.answered = true;
    this.settle(task);
    const failure = new TaskFailure(error ?? '', cause ?? '');
    await this.recordAnswer(task, { error: failure.name, cause: failure.message });
    task.reject(failure);
  }

  /**
   * Confirms a callback task is still waiting (SendTaskHeartbeat). HeartbeatSeconds is not
   * supported, so there is nothing to extend.
   * @throws StepFunctionsError InvalidToken, TaskDoesNotExist, TaskTimedOut
   */
  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    this.tokens.find(taskToken);
  }

  // ---------------------------------------------------------------- observability

  /** The persisted record of an execution (a copy), or undefined if there is none. */
  describe(name: string): ExecutionRecord | undefined {
    const exec = this.executions.get(name);
    return exec ? structuredClone(exec.record) : undefined;
  }

  /**
   * The callback task an execution is parked in (its function has returned; it waits for its
   * token), or undefined: what a benchmark waits for before it plays the person or the shop.
   */
  parkedIn(name: string): string | undefined {
    return this.tokens.parkedIn(name);
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
        if (!exec || exec.record.status === 'RUNNING' || exec.run || this.store.isWriting(name)) return undefined;
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
          if (this.store.isWriting(exec.record.name)) return undefined;
          if (exec.run && !this.tokens.isParked(exec.record.name)) return undefined;
        }
        return true;
      },
      timeoutMs,
      'the engine to be idle',
    ).then(() => undefined);
  }

  /** @throws StepFunctionsError InternalFailure once close() has begun. */
  protected assertOpen(): void {
    if (this.closing) throw new StepFunctionsError('InternalFailure', 'The engine is closed', 500);
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
    // Written with the status, so a crash before the report leaves it for the next boot.
    if (status !== 'SUCCEEDED') record.reported = false;
    exec.cancelTimeout?.();
    exec.cancelTimeout = undefined;
    for (const task of this.tokens.of(record.name)) this.settle(task, false);
    await this.persist(exec);
    const error = record.error ? ` (${record.error})` : '';
    this.logLine(`stepfunctions: ${record.name} ${status}${error} after ${record.transitions} transitions`);
    this.notify();
    if (record.reported === false) void this.tracked(this.report(exec));
  }

  /** Hands an execution that did not succeed to `onEnded`, and records that it did. */
  private async report(exec: Execution): Promise<void> {
    const record = exec.record;
    if (!this.onEnded || record.status === 'RUNNING' || record.status === 'SUCCEEDED') return;
    const [, , , region = '', account = ''] = record.executionArn.split(':');
    try {
      await this.onEnded({
        version: '0',
        id: randomUUID(),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account,
        time: record.stopDate ?? new Date().toISOString(),
        region,
        resources: [record.executionArn],
        detail: {
          executionArn: record.executionArn,
          stateMachineArn: record.stateMachineArn,
          name: record.name,
          status: record.status,
          startDate: Date.parse(record.startDate),
          stopDate: Date.parse(record.stopDate ?? record.startDate),
          input: record.input,
          output: null,
          error: record.error ?? null,
          cause: record.cause ?? null,
        },
      });
    } catch (err) {
      this.logLine(`stepfunctions: telling of ${record.name} ${record.status} failed (told again at the next boot): ${String(err)}`);
      return;
    }
    record.reported = true;
    await this.persist(exec);
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
        answer: name === checkpoint.state ? checkpoint.answer : undefined,
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
        : (input) => this.runInvokeTask(exec, run, info, input);
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
          const token = newTaskToken();
          issued.add(token);
          return token;
        },
      },
    };
  }

  // Both task runners are deliberately not async: the library calls a handler and only then reads
  // the timeout from the same input object (main.node.esm.js:2411-2416), so the engine sets it
  // synchronously, and a synchronous throw fails the state before any function is called.
  private runInvokeTask(exec: Execution, run: Run, info: TaskInfo, input: Json): Promise<Json> {
    this.assertRunLive(run);
    const params = asObject(input);
    if (TIMEOUT_PARAM in params) {
      params[TIMEOUT_PARAM] = Math.min(readTimeout(params, info), this.maxTimerSeconds * 2);
    }
    const result = this.tracked(
      (async (): Promise<Json> => {
        await this.checkpointed(exec, run, info.name);
        const payload = await this.invoke(info, params.Payload);
        return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
      })(),
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
    const resumed = this.takeResume(run, info.name);
    let waitFor: Promise<Json>;
    if (task) {
      // Already invoked before the re-arm; it may even have been completed since.
      waitFor = task.promise;
    } else {
      const deadline = resumed ? (resumed.deadline ?? resumed.enteredAt + timeoutSeconds * 1000) : Date.now() + timeoutSeconds * 1000;
      if (resumed?.answer) {
        // Answered before the restart: that answer completes the task, nobody is asked again.
        for (const alias of resumed.aliases) this.tokens.close(alias);
        this.tokens.close(token);
        params[TIMEOUT_PARAM] = Math.min(timeoutSeconds, this.maxTimerSeconds * 2);
        return replayed(resumed.answer);
      }
      if (resumed && deadline <= Date.now()) {
        // Resumed after its deadline: let the library time it out (1 s below) so the state's
        // Catch on States.Timeout runs, without asking anyone to act on an expired request.
        for (const alias of resumed.aliases) this.tokens.close(alias);
        this.tokens.close(token);
        params[TIMEOUT_PARAM] = 1;
        const never = new Promise<Json>(() => {});
        return never;
      }
      task = this.register(exec, info.name, [token, ...(resumed?.aliases ?? [])], deadline);
      const registered = task;
      const called = this.tracked(
        (async (): Promise<void> => {
          await this.checkpointed(exec, run, info.name);
          try {
            await this.invoke(info, params.Payload);
          } catch (error) {
            // As on AWS, a token answered while the function still ran completes the task: the
            // function failing afterwards (a lost answer, a timeout) does not run it again.
            if (registered.answered) return;
            this.settle(registered);
            throw error;
          }
        })(),
      );
      waitFor = called.then(() => {
        registered.parked = true;
        this.notify();
        return registered.promise;
      });
    }
    if (!task.tokens.has(token)) this.tokens.close(token);

    const remaining = Math.max(1, Math.ceil((task.deadline - Date.now()) / 1000));
    if (remaining > this.maxTimerSeconds * 2) {
      params[TIMEOUT_PARAM] = this.maxTimerSeconds * 2;
      run.cancelRearm ??= this.setLongTimeout(() => {
        run.cancelRearm = undefined;
        if (exec.run !== run) return;
        run.handover = this.tokens.of(exec.record.name);
        this.stopRun(run, 'rearm');
      }, this.maxTimerSeconds * 1000);
    } else {
      params[TIMEOUT_PARAM] = remaining;
    }
    waitFor.catch(() => {});
    return waitFor;
  }

  /** What a resumed run carries over for a state, consumed by its first invocation (a Retry starts afresh). */
  private takeResume(run: Run, state: string): ResumeInfo | undefined {
    const resumed = run.resume.get(state);
    run.resume.delete(state);
    return resumed;
  }

  /**
   * Write-ahead: resolves once the checkpoint of the state whose task is about to run, and the
   * tokens registered for it, are on disk.
   * @throws TerminalError when the run was stopped meanwhile, so that no function is called for it.
   */
  private async checkpointed(exec: Execution, run: Run, state: string): Promise<void> {
    // The library dispatches StateEntered and calls the task handler in the same tick; follow()
    // reads the event a few microtasks later and records the checkpoint. One turn of the event
    // loop lets it do so before this waits for the write.
    await nextTurn();
    const checkpoint = exec.record.checkpoint;
    if (checkpoint?.state === state && checkpoint.answer) {
      // The task runs again, a Retry after SendTaskFailure: the answer recorded for it is spent.
      exec.record.checkpoint = withoutAnswer(checkpoint);
      void this.persist(exec);
    }
    await this.store.flushed(exec.record.name);
    this.assertRunLive(run);
  }

  /**
   * Puts the answer of a top-level callback task on disk, before the library (or whoever sent
   * it) learns it: a restart then completes the task with it instead of asking again. A task
   * nested in a Parallel or Map runs again with its top-level state, so nothing is kept for it.
   */
  private async recordAnswer(task: PendingTask, answer: TaskAnswer): Promise<void> {
    const exec = this.executions.get(task.execution);
    const checkpoint = exec?.record.checkpoint;
    if (!exec || checkpoint?.state !== task.state || exec.record.status !== 'RUNNING') return;
    exec.record.checkpoint = { ...checkpoint, answer: structuredClone(answer) };
    await this.persist(exec);
  }

  /** Calls a task function the way Lambda would: JSON in, JSON out, errors by name. */
  private invoke(info: TaskInfo, payload: Json | undefined): Promise<Json> {
    const event: unknown = payload === undefined ? {} : JSON.parse(JSON.stringify(payload));
    return (async () => info.fn(event))().then(
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

  /** Keeps a task's work in {@link inflight} until it settles. */
  private tracked<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const untrack = (): void => {
      this.inflight.delete(work);
    };
    work.then(untrack, untrack);
    return work;
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
    const task = this.tokens.register(exec.record.name, state, tokens, deadline, (expired) => this.settle(expired));
    this.syncWaiting(exec);
    return task;
  }

  /** Ends a pending task's life: its tokens stop working. The caller resolves or rejects it. */
  private settle(task: PendingTask, persist = true): void {
    if (!this.tokens.end(task)) return;
    const exec = this.executions.get(task.execution);
    if (exec && persist) this.syncWaiting(exec);
    this.notify();
  }

  private syncWaiting(exec: Execution): void {
    exec.record.waiting = this.tokens
      .of(exec.record.name)
      .map((t) => ({ state: t.state, tokens: [...t.tokens], deadline: new Date(t.deadline).toISOString() }));
    void this.persist(exec);
  }

  private assertRunLive(run: Run): void {
    // After an abort the library still retries a failed state (main.node.esm.js:2546), which
    // would call a function for a run that no longer exists.
    if (run.stopReason) throw new TerminalError('States.Runtime', 'The execution run was stopped');
  }

  // ---------------------------------------------------------------- persistence

  private track(record: ExecutionRecord, recorded: Promise<boolean>): Execution {
    const exec: Execution = { record, recorded, run: undefined, issued: new Set(), cancelTimeout: undefined };
    this.executions.set(record.name, exec);
    return exec;
  }

  /** Writes the record's latest state; never rejects (see {@link CheckpointStore.save}). */
  private persist(exec: Execution): Promise<boolean> {
    return this.store.save(exec.record);
  }

  private async shutdown(): Promise<void> {
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
    this.tokens.forget();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        grace = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    await this.store.drain();
  }

  // ---------------------------------------------------------------- helpers

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
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

  /** setTimeout without Node's 2^31-1 ms limit, in chunks of at most maxTimerSeconds. */
  private setLongTimeout(fn: () => void, ms: number): () => void {
    return setLongTimeout(fn, ms, this.maxTimerSeconds * 1000);
  }
}

// ------------------------------------------------------------------ small helpers

/** A recorded answer as the library must see it again. */
function replayed(answer: TaskAnswer): Promise<Json> {
  const result =
    'output' in answer ? Promise.resolve(structuredClone(answer.output)) : Promise.reject(new TaskFailure(answer.error, answer.cause));
  result.catch(() => {});
  return result;
}

function withoutAnswer(checkpoint: Checkpoint): Checkpoint {
  return { state: checkpoint.state, input: checkpoint.input, enteredAt: checkpoint.enteredAt };
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
