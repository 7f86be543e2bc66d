import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ExecutionAlreadyExists, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, LocalStepFunctions, StepFunctionsError, type TaskFunction } from '#local/stepfunctions/index.ts';
import { assessed, crashFlow, STORE_RECORDS } from './fixtures/engine-flow.ts';

/**
 * What this proves: the crash guarantees written at the top of local/stepfunctions/checkpoint-store.ts.
 * The first group stops time at one instant: it copies the data directory without yielding to the
 * event loop, which is exactly what a `kill -9` at that instant leaves on disk (the page cache
 * survives a killed process), and boots a second engine on the copy. The second group kills a real
 * child process with SIGKILL and restarts on its data directory.
 */

const ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:makegood-local';
const child = path.join(import.meta.dirname, 'fixtures/engine-child.ts');

const engines: LocalStepFunctions[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];
/** Assess calls that never return, released after each test so close() need not wait for them. */
const hanging: Array<() => void> = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const release of hanging.splice(0)) release();
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'makegood-engine-crash-'));
  dirs.push(dir);
  return dir;
}

/**
 * The data directory as a `kill -9` at this instant would leave it. Synchronous, so no write can
 * be committed while it copies; a temporary file may be caught half-written, as in a real crash.
 */
function crashCopy(dataDir: string): string {
  const copy = tempDir();
  const from = path.join(dataDir, 'executions');
  const to = path.join(copy, 'executions');
  mkdirSync(to);
  for (const file of readdirSync(from)) {
    try {
      copyFileSync(path.join(from, file), path.join(to, file));
    } catch (error) {
      // A temporary file can be gone by the time it is copied; what remains is what a crash leaves.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return copy;
}

/** Collects calls and lets a test wait for the `index`-th (0-based). */
class Calls<T> {
  readonly items: T[] = [];
  private readonly waiters: Array<{ index: number; resolve: (item: T) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      const got = this.items[waiter.index];
      if (got !== undefined) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(got);
      }
    }
  }

  /** Rejects after `timeoutMs`, so that a call that never comes fails the test with its name. */
  nth(index: number, timeoutMs = 10_000): Promise<T> {
    const got = this.items[index];
    if (got !== undefined) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`call #${index + 1} did not come within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        index,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      });
    });
  }
}

interface ApprovalCall {
  claimId: string;
  token: string;
}

/**
 * An engine on crashFlow whose functions record their calls. `onApprove` and `onRecord` run
 * inside those functions, before they return; `hang` makes Assess never return.
 */
function boot(dataDir: string, options: { onApprove?: (call: ApprovalCall) => void; onRecord?: () => void; hang?: boolean } = {}) {
  const assessCalls = new Calls<string>();
  const recordCalls = new Calls<string>();
  const approvals = new Calls<ApprovalCall>();
  const functions: Record<string, TaskFunction> = {
    AssessFunctionArn: async (event) => {
      const { claimId } = event as { claimId: string };
      assessCalls.push(claimId);
      // Like a real function it does I/O, so its state's checkpoint write is over when it returns.
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (options.hang) await new Promise<void>((resolve) => hanging.push(resolve));
      return assessed(claimId);
    },
    RecordFunctionArn: async (event) => {
      const { claimId } = event as { claimId: string };
      options.onRecord?.();
      recordCalls.push(claimId);
      return event;
    },
    ApproveFunctionArn: async (event) => {
      const { claimId, taskToken } = event as { claimId: string; taskToken: string };
      const call = { claimId, token: taskToken };
      options.onApprove?.(call);
      approvals.push(call);
      return { emailed: true };
    },
  };
  const engine = new LocalStepFunctions({ definition: crashFlow, functions, dataDir });
  engines.push(engine);
  return { engine, assessCalls, recordCalls, approvals };
}

/** The error a call fails with (undefined if it succeeds), caught at once so none goes unhandled. */
const failure = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the engine restarted on what a kill -9 at a given instant leaves on disk', () => {
  it('resumes an execution whose StartExecution had just answered', async () => {
    // arrange
    const dataDir = tempDir();
    const first = boot(dataDir);

    // act: the crash comes the instant StartExecution answers
    await first.engine.startExecution('claim-1', JSON.stringify({ claimId: 'c-1' }));
    const crashed = crashCopy(dataDir);
    const second = boot(crashed);
    const resumed = await second.engine.resumePending();
    const approval = await second.approvals.nth(0);
    await second.engine.sendTaskSuccess(approval.token, '{"approved":true}');
    const settled = await second.engine.whenSettled('claim-1');

    // assert
    expect(resumed).toBe(1);
    expect(second.assessCalls.items).toEqual(['c-1']);
    expect(settled.status).toBe('SUCCEEDED');
  });

  it('answers a concurrent duplicate StartExecution only once the first record is on disk', async () => {
    // arrange
    const dataDir = tempDir();
    const first = boot(dataDir, { hang: true });
    const input = JSON.stringify({ claimId: 'c-2' });

    // act: two starts of one name in the same tick; the crash comes when the second answers
    const original = first.engine.startExecution('claim-2', input);
    const duplicate = await first.engine.startExecution('claim-2', input);
    const afterDuplicate = crashCopy(dataDir);
    const other = first.engine.startExecution('claim-3', input);
    const refused = await failure(first.engine.startExecution('claim-3', JSON.stringify({ claimId: 'other' })));
    const afterRefusal = crashCopy(dataDir);
    await Promise.all([original, other]);

    // assert
    expect(duplicate.executionArn).toBe(`${ARN.replace(':stateMachine:', ':execution:')}:claim-2`);
    expect(new CheckpointStore(path.join(afterDuplicate, 'executions')).load().map((r) => r.name)).toContain('claim-2');
    expect(refused).toBeInstanceOf(StepFunctionsError);
    expect((refused as StepFunctionsError).name).toBe('ExecutionAlreadyExists');
    expect(new CheckpointStore(path.join(afterRefusal, 'executions')).load().map((r) => r.name)).toContain('claim-3');
  });

  it('has the checkpoint and the token on disk before the function sees the token: nothing before it runs again', async () => {
    // arrange: the crash comes while Approve's function runs, before it returns
    const dataDir = tempDir();
    let crashed = '';
    const first = boot(dataDir, {
      onApprove: () => {
        crashed ||= crashCopy(dataDir);
      },
    });
    await first.engine.startExecution('claim-4', JSON.stringify({ claimId: 'c-4' }));
    const { token: seenBeforeCrash } = await first.approvals.nth(0);

    // act: restart on what the crash left; the approver answers with the token of the first run
    const second = boot(crashed);
    await second.engine.resumePending();
    await second.approvals.nth(0);
    await second.engine.sendTaskSuccess(seenBeforeCrash, '{"approved":true}');
    const settled = await second.engine.whenSettled('claim-4');

    // assert
    expect(second.assessCalls.items).toEqual([]);
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ approved: true });
  });

  it('has the checkpoint on disk before a task function is called: the task before it does not run again', async () => {
    // arrange: the crash comes while Record's function runs, right after Assess returned
    const dataDir = tempDir();
    let crashed = '';
    const first = boot(dataDir, {
      onRecord: () => {
        crashed ||= crashCopy(dataDir);
      },
    });
    await first.engine.startExecution('claim-7', JSON.stringify({ claimId: 'auto-7' }));
    await first.recordCalls.nth(0);

    // act
    const second = boot(crashed);
    await second.engine.resumePending();
    const settled = await second.engine.whenSettled('claim-7');

    // assert: Record was in flight, so it runs again; Assess had returned before it, so it does not
    expect(second.assessCalls.items).toEqual([]);
    expect(second.recordCalls.items).toEqual(['auto-7']);
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ claimId: 'auto-7', next: 'conclude' });
  });

  it('keeps an acknowledged SendTaskSuccess: the task completes with it and nobody is asked again', async () => {
    // arrange
    const dataDir = tempDir();
    const first = boot(dataDir);
    await first.engine.startExecution('claim-5', JSON.stringify({ claimId: 'c-5' }));
    const { token } = await first.approvals.nth(0);

    // act: the crash comes the instant SendTaskSuccess answers
    await first.engine.sendTaskSuccess(token, '{"approved":true}');
    const crashed = crashCopy(dataDir);
    const second = boot(crashed);
    await second.engine.resumePending();
    const settled = await second.engine.whenSettled('claim-5');

    // assert
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ approved: true });
    expect(second.assessCalls.items).toEqual([]);
    expect(second.approvals.items).toEqual([]);
  });

  it('keeps an acknowledged SendTaskFailure: the task fails with that error after the restart', async () => {
    // arrange
    const dataDir = tempDir();
    const first = boot(dataDir);
    await first.engine.startExecution('claim-6', JSON.stringify({ claimId: 'c-6' }));
    const { token } = await first.approvals.nth(0);

    // act
    await first.engine.sendTaskFailure(token, 'ApprovalRefused', 'the agent said no');
    const crashed = crashCopy(dataDir);
    const second = boot(crashed);
    await second.engine.resumePending();
    const settled = await second.engine.whenSettled('claim-6');

    // assert
    expect(settled.status).toBe('FAILED');
    expect(settled.error).toBe('ApprovalRefused');
    expect(settled.cause).toBe('the agent said no');
    expect(second.approvals.items).toEqual([]);
  });
});

interface ChildLine {
  event: string;
  name?: string;
  url?: string;
  claimId?: string;
  token?: string;
  transitions?: number;
}

/** A child process of fixtures/engine-child.ts, and the JSON lines it prints. */
function spawnChild(mode: 'engine' | 'store', dataDir: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, mode, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  const lines = new Calls<ChildLine>();
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(JSON.parse(line) as ChildLine));
  // 'close' comes after the child's output has all been read, so every line it printed is in.
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  /** The first line after the `from`-th with this event. */
  const next = async (event: string, from = 0): Promise<ChildLine> => {
    for (let i = from; ; i++) {
      const line = await lines.nth(i, 30_000);
      if (line.event === event) return line;
    }
  };
  const kill = async (): Promise<void> => {
    proc.kill('SIGKILL');
    await exited;
  };
  return { lines, next, kill };
}

function sfnClient(url: string): SFNClient {
  return new SFNClient({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

describe('the engine restarted after a real kill -9 of its process', () => {
  it('resumes mid-flow: the finished task is not run again, the token issued before still works, the name stays taken', async () => {
    // arrange: the child is waiting for the approver when it is killed
    const dataDir = tempDir();
    const proc = spawnChild('engine', dataDir);
    const { url } = await proc.next('listening');
    const sfn = sfnClient(url ?? '');
    const input = JSON.stringify({ claimId: 'k-1' });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'claim-k1', input }));
    const { token } = await proc.next('approve');
    await proc.kill();
    sfn.destroy();

    // act
    const second = boot(dataDir);
    const localUrl = await second.engine.listen();
    const resumed = await second.engine.resumePending();
    await second.approvals.nth(0);
    const client = sfnClient(localUrl);
    const whileRunning = await client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'claim-k1', input }));
    const otherInput = await failure(
      client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'claim-k1', input: '{"claimId":"k-other"}' })),
    );
    await client.send(new SendTaskSuccessCommand({ taskToken: token ?? '', output: '{"approved":true}' }));
    const settled = await second.engine.whenSettled('claim-k1');
    const afterEnd = await failure(client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'claim-k1', input })));
    client.destroy();

    // assert
    expect(resumed).toBe(1);
    expect(second.assessCalls.items).toEqual([]);
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ approved: true });
    expect(whileRunning.executionArn).toBe(settled.executionArn);
    expect(otherInput).toBeInstanceOf(ExecutionAlreadyExists);
    expect(afterEnd).toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('runs the task that was mid-call when the process was killed once more, and goes on', async () => {
    // arrange: the child's Assess never returns for this claim
    const dataDir = tempDir();
    const proc = spawnChild('engine', dataDir);
    const { url } = await proc.next('listening');
    const sfn = sfnClient(url ?? '');
    await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'claim-k2', input: '{"claimId":"hang-k2"}' }));
    await proc.next('assess');
    await proc.kill();
    sfn.destroy();

    // act
    const second = boot(dataDir);
    await second.engine.resumePending();
    const approval = await second.approvals.nth(0);
    await second.engine.sendTaskSuccess(approval.token, '{"approved":true}');
    const settled = await second.engine.whenSettled('claim-k2');

    // assert
    expect(second.assessCalls.items).toEqual(['hang-k2']);
    expect(settled.status).toBe('SUCCEEDED');
  });

  it('keeps an answer acknowledged over the wire just before the kill', async () => {
    // arrange
    const dataDir = tempDir();
    const proc = spawnChild('engine', dataDir);
    const { url } = await proc.next('listening');
    const sfn = sfnClient(url ?? '');
    await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'claim-k3', input: '{"claimId":"k-3"}' }));
    const { token } = await proc.next('approve');

    // act: killed the moment the answer is acknowledged
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token ?? '', output: '{"approved":"before the kill"}' }));
    await proc.kill();
    sfn.destroy();
    const second = boot(dataDir);
    await second.engine.resumePending();
    const settled = await second.engine.whenSettled('claim-k3');

    // assert
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ approved: 'before the kill' });
    expect(second.approvals.items).toEqual([]);
  });

  it('never leaves a half-written record, and never loses a save that resolved, however often the writer is killed', async () => {
    // arrange
    const dataDir = tempDir();
    const rounds: Array<{ acknowledged: Map<string, number>; loaded: Map<string, number> }> = [];

    // act: kill a writer of six 1 MiB records at varying moments, five times, on one directory
    for (let round = 0; round < 5; round++) {
      const proc = spawnChild('store', dataDir);
      const ready = await proc.next('ready');
      await proc.next('saved', proc.lines.items.indexOf(ready));
      await new Promise((resolve) => setTimeout(resolve, 5 + round * 11));
      await proc.kill();
      const acknowledged = new Map<string, number>();
      for (const line of proc.lines.items) {
        if (line.event === 'saved')
          acknowledged.set(line.name ?? '', Math.max(acknowledged.get(line.name ?? '') ?? 0, line.transitions ?? 0));
      }
      const loaded = new CheckpointStore(path.join(dataDir, 'executions')).load();
      rounds.push({ acknowledged, loaded: new Map(loaded.map((r) => [r.name, r.transitions])) });
    }
    const left = await readdir(path.join(dataDir, 'executions'));

    // assert: each time, every record loads whole, at least as new as its last save that resolved
    for (const { acknowledged, loaded } of rounds) {
      for (const [name, transitions] of acknowledged) expect(loaded.get(name) ?? 0).toBeGreaterThanOrEqual(transitions);
    }
    expect(rounds.at(-1)?.loaded.size).toBe(STORE_RECORDS.length);
    expect(left.sort()).toEqual(STORE_RECORDS.map((name) => `${name}.json`));
  });
});
