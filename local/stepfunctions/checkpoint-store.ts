import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from './errors.ts';

/**
 * The checkpoint store: one JSON file per execution, `<dir>/<name>.json`, holding its
 * {@link ExecutionRecord}: the input, the status, the checkpoint of the top-level state it is in
 * (with the answer its callback task was given, once it was), and the callback tokens it waits on.
 *
 * **How a record is written.** Into a temporary file beside it (`<name>.json.<pid>.<n>.tmp`), then
 * renamed over `<name>.json`. The rename is the commit: `<name>.json` is always a whole version,
 * the old one or the new one. At load, every `*.tmp` is deleted unread, whether a crash tore it
 * or left it whole: a write counts only once its rename is done, and nobody was told of it before
 * that. Writes of one execution are serialised and coalesced (one write at a time, of the newest
 * state), and {@link CheckpointStore.save} resolves only once a write begun after the call has
 * been renamed into place.
 *
 * **What the engine guarantees after `kill -9` at any instant**, once the next process has run
 * `resumePending()` on the same data directory:
 * 1. *No started execution is lost.* StartExecution answers success only once the record is on
 *    disk, and a record on disk is never half-written, so every execution it accepted is loaded
 *    and, if it was RUNNING, resumed.
 * 2. *Names stay taken.* Starting a name that exists answers ExecutionAlreadyExists, before and
 *    after a restart, except the same input while RUNNING, which gets the first answer (as AWS
 *    Standard does). A concurrent duplicate answers only once the first record is on disk.
 * 3. *Write-ahead.* A state's checkpoint (its input, which is what the previous task returned)
 *    and, for a callback task, its token are on disk before its task function is called. So a
 *    restart resumes at the last state whose task had begun, and a token a function saw stays
 *    valid across a restart.
 * 4. *At most the task in flight runs again.* A task runs again after a restart only if the crash
 *    came after its function was called and before the next state's checkpoint was on disk:
 *    the engine cannot know whether its effects happened, and treats it as AWS treats a Lambda
 *    invocation lost to a service error. A task that a later checkpoint follows never runs again.
 *    The Task states inside a Parallel or Map are checkpointed with it and all run again.
 * 5. *Callback answers are kept.* SendTaskSuccess and SendTaskFailure answer only once the answer
 *    is on disk; a restart completes the task with it, without calling its function again. A
 *    callback task still waiting for its token has its function called again, with a fresh token
 *    (the earlier tokens stay valid), as resumePending says.
 * 6. *Retries.* The library keeps Retry attempt counts in memory: after a restart the state in
 *    flight starts its attempts afresh, and a Retry back-off cut short by the crash ends at once.
 * 7. *Timers.* A callback task keeps its deadline and the execution its TimeoutSeconds, counted
 *    from the original times.
 * The flow's task functions are idempotent, which is what makes 4 and 5 safe.
 *
 * Scope: `kill -9` (the process dies, the OS and its page cache do not). Records are not fsynced:
 * a completed rename is in the page cache and survives the process. After a power loss or kernel
 * crash the last writes may be missing, as for the rest of the embedded runtime (dynalite's
 * LevelDB does not sync either); bench/checkpoint-write.ts measures what fsync would cost. The
 * guarantees also assume the disk accepts writes: a failed write is logged, StartExecution then
 * answers InternalFailure, and a running execution carries on from memory.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

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

/** What SendTaskSuccess (the output) or SendTaskFailure (the error its Retry and Catch see) answered. */
export type TaskAnswer = { readonly output: Json } | { readonly error: string; readonly cause: string };

/** Where a RUNNING execution continues after a restart. */
export interface Checkpoint {
  /** The top-level state the execution is in. */
  readonly state: string;
  /** That state's input. */
  readonly input: Json;
  /** When the execution entered it, ISO-8601. */
  readonly enteredAt: string;
  /** Once that state is a callback task whose token was answered: the answer, replayed on resume. */
  readonly answer?: TaskAnswer;
}

/** One execution as persisted in `<dir>/<name>.json`. */
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
  /**
   * False from the moment a FAILED, TIMED_OUT or ABORTED execution is on disk until its status
   * change was handed to `onEnded`: a boot reports what a crash left unreported. Absent (records
   * written before this field) counts as reported.
   */
  reported?: boolean;
}

const answerSchema = z.union([z.object({ output: z.json() }), z.object({ error: z.string(), cause: z.string() })]);

const checkpointSchema = z.object({
  state: z.string(),
  input: z.json(),
  enteredAt: z.string(),
  answer: answerSchema.optional(),
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
  reported: z.boolean().optional(),
});

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /**
   * Receives a line for each file skipped at load and each write that failed.
   * @default no logging
   */
  readonly log?: (line: string) => void;
  /**
   * Called each time an execution's writes have all finished.
   * @default nothing
   */
  readonly onWritten?: () => void;
}

/** The write loop of one execution. */
interface Writer {
  /** The record changed since the running write serialised it. */
  dirty: boolean;
  /** The running write loop; resolves with whether its last write succeeded. */
  running: Promise<boolean> | undefined;
}

/** Execution records on disk, written atomically (see the module comment for the guarantees). */
export class CheckpointStore {
  private readonly writers = new Map<string, Writer>();
  private readonly logLine: (line: string) => void;
  private readonly onWritten: () => void;
  private tmpCounter = 0;

  /** @param dir the directory of `<name>.json` files; created if missing. */
  constructor(
    readonly dir: string,
    options: CheckpointStoreOptions = {},
  ) {
    this.logLine = options.log ?? (() => {});
    this.onWritten = options.onWritten ?? (() => {});
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Reads every record. Deletes every temporary file, torn or whole: none was ever committed.
   * A record that does not parse is logged and skipped (a committed record always parses; such a
   * file was not written by this store).
   */
  load(): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const file of readdirSync(this.dir)) {
      const full = path.join(this.dir, file);
      if (file.endsWith('.tmp')) {
        rmSync(full, { force: true });
        continue;
      }
      if (!file.endsWith('.json')) continue;
      try {
        records.push(recordSchema.parse(JSON.parse(readFileSync(full, 'utf8'))) as ExecutionRecord);
      } catch (error) {
        this.logLine(`stepfunctions: skipped unreadable ${full}: ${errorMessage(error)}`);
      }
    }
    return records;
  }

  /**
   * Writes the record's current state, atomically. Calls for the same execution share one write
   * loop that always writes the newest state, so the record object may change while it runs.
   * Never rejects.
   * @returns true once a write that began after this call is renamed into place; false if the
   *   last write failed (it is logged).
   */
  save(record: ExecutionRecord): Promise<boolean> {
    let writer = this.writers.get(record.name);
    if (!writer) {
      writer = { dirty: false, running: undefined };
      this.writers.set(record.name, writer);
    }
    writer.dirty = true;
    writer.running ??= this.flush(record, writer);
    return writer.running;
  }

  /** Resolves once the execution's pending writes are done (true at once if there are none). */
  flushed(name: string): Promise<boolean> {
    return this.writers.get(name)?.running ?? Promise.resolve(true);
  }

  /** Whether a write of the execution is pending. */
  isWriting(name: string): boolean {
    return this.writers.get(name)?.running !== undefined;
  }

  /** Resolves once no write of any execution is pending. */
  async drain(): Promise<void> {
    while ([...this.writers.values()].some((w) => w.running)) {
      await Promise.all([...this.writers.values()].map((w) => w.running));
    }
  }

  private async flush(record: ExecutionRecord, writer: Writer): Promise<boolean> {
    const file = path.join(this.dir, `${record.name}.json`);
    let ok = true;
    try {
      while (writer.dirty) {
        writer.dirty = false;
        const tmp = `${file}.${process.pid}.${++this.tmpCounter}.tmp`;
        try {
          await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
          await rename(tmp, file);
          ok = true;
        } catch (error) {
          ok = false;
          await rm(tmp, { force: true }).catch(() => {});
          this.logLine(`stepfunctions: could not write ${file}: ${errorMessage(error)}`);
        }
      }
    } finally {
      writer.running = undefined;
      this.writers.delete(record.name);
      this.onWritten();
    }
    return ok;
  }
}
