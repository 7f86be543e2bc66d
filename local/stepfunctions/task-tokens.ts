import { randomUUID } from 'node:crypto';
import type { Json } from './checkpoint-store.ts';
import { StepFunctionsError } from './errors.ts';

/**
 * Task tokens: the callback tasks waiting for theirs, and the tokens that no longer complete
 * anything (AWS answers TaskTimedOut for those, TaskDoesNotExist for a token it never issued).
 * In memory only; the engine writes the waiting tokens into the execution's record.
 */

/** A callback task waiting for its token. One object per invocation, shared by all its tokens. */
export interface PendingTask {
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

const CLOSED_TOKENS_KEPT = 10_000;
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** A fresh task token: 64 random hex digits. */
export function newTaskToken(): string {
  return randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
}

/** The pending callback tasks of every execution, by token. */
export class TaskTokens {
  private readonly byToken = new Map<string, PendingTask>();
  private readonly pending = new Set<PendingTask>();
  private readonly closed = new Set<string>();

  /** @param setTimer arms the expiry of a task; returns a function that cancels it. */
  constructor(private readonly setTimer: (fn: () => void, ms: number) => () => void) {}

  /**
   * Registers a task that every one of `tokens` completes.
   * @param onExpire called at `deadline` if the task is still pending then.
   */
  register(
    execution: string,
    state: string,
    tokens: readonly string[],
    deadline: number,
    onExpire: (task: PendingTask) => void,
  ): PendingTask {
    let resolve!: (output: Json) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<Json>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody awaits between a re-arm's abort and its next run; a failure then must not crash Node.
    promise.catch(() => {});
    const task: PendingTask = {
      execution,
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
    task.cancelExpiry = this.setTimer(() => onExpire(task), deadline - Date.now());
    this.pending.add(task);
    for (const token of tokens) this.byToken.set(token, task);
    return task;
  }

  /**
   * Ends a pending task's life: its tokens stop working. The caller resolves or rejects it.
   * @returns false if it had ended already.
   */
  end(task: PendingTask): boolean {
    if (!this.pending.delete(task)) return false;
    task.cancelExpiry();
    for (const token of task.tokens) {
      this.byToken.delete(token);
      this.close(token);
    }
    return true;
  }

  /**
   * The pending task a token completes.
   * @throws StepFunctionsError InvalidToken (malformed), TaskTimedOut (closed), TaskDoesNotExist (never issued).
   */
  find(token: string): PendingTask {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
      throw new StepFunctionsError('InvalidToken', 'Invalid Token');
    }
    const task = this.byToken.get(token);
    if (task) return task;
    if (this.closed.has(token)) {
      throw new StepFunctionsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  /** Marks a token as one that completes nothing any more; the oldest are forgotten past 10,000. */
  close(token: string): void {
    this.closed.add(token);
    if (this.closed.size > CLOSED_TOKENS_KEPT) {
      const oldest = this.closed.values().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }

  /** The pending tasks of an execution. */
  of(execution: string): PendingTask[] {
    return [...this.pending].filter((task) => task.execution === execution);
  }

  /** Whether an execution has a task whose function has returned and that waits for its token. */
  isParked(execution: string): boolean {
    return this.parkedIn(execution) !== undefined;
  }

  /** The state of an execution's task whose function has returned and that waits for its token, if any. */
  parkedIn(execution: string): string | undefined {
    for (const task of this.pending) {
      if (task.execution === execution && task.parked) return task.state;
    }
    return undefined;
  }

  /** Drops every pending task without ending it (shutdown: the records keep their tokens). */
  forget(): void {
    for (const task of this.pending) task.cancelExpiry();
    this.pending.clear();
    this.byToken.clear();
  }
}
