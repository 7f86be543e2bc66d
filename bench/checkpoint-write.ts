/**
 * What the embedded Step Functions engine's durable writes cost.
 *
 *   npm run bench:checkpoint-write -- [--writes 300 --executions 200]
 *
 * 1. One checkpoint write, the way the checkpoint store does it (temporary file, rename), and
 *    with the fsyncs that power-loss durability would add (the file; the file and its directory),
 *    for a typical record (about 2 KiB) and a large one (64 KiB).
 * 2. The engine end to end, in-process, no functions doing I/O: one execution of
 *    Assess → Record → Route → Done from StartExecution to its final record on disk, sequentially,
 *    and the latency of SendTaskSuccess (which answers once the answer is on disk).
 *
 * Prints figures (median and p95 of each); asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { StepFunctionsEngine, type TaskFunction } from '#local/stepfunctions/index.ts';

const { values } = parseArgs({ options: { writes: { type: 'string', default: '300' }, executions: { type: 'string', default: '200' } } });
const writes = Number(values.writes);
const executions = Number(values.executions);
const root = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), 'makegood-bench-checkpoints-'));

function summary(samplesMs: number[]): string {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `median ${at(0.5).toFixed(3)} ms, p95 ${at(0.95).toFixed(3)} ms`;
}

type Write = (file: string, text: string, n: number) => Promise<void>;

const renameOnly: Write = async (file, text, n) => {
  const tmp = `${file}.${n}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
};
const fsyncFile: Write = async (file, text, n) => {
  const tmp = `${file}.${n}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
};
const fsyncFileAndDir: Write = async (file, text, n) => {
  await fsyncFile(file, text, n);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
};

async function timeWrites(write: Write, bytes: number): Promise<number[]> {
  const file = path.join(root, `record-${bytes}.json`);
  const text = JSON.stringify({ checkpoint: { input: { padding: 'x'.repeat(bytes) } } });
  const samples: number[] = [];
  for (let n = 0; n < writes; n++) {
    const started = performance.now();
    await write(file, text, n);
    samples.push(performance.now() - started);
  }
  return samples;
}

const flow = {
  StartAt: 'Assess',
  States: {
    Assess: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a template
      Parameters: { FunctionName: '${AssessFunctionArn}', Payload: { 'claimId.$': '$.claimId' } },
      OutputPath: '$.Payload',
      TimeoutSeconds: 30,
      Next: 'Record',
    },
    Record: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a template
      Parameters: { FunctionName: '${RecordFunctionArn}', Payload: { 'claimId.$': '$.claimId', 'next.$': '$.next' } },
      OutputPath: '$.Payload',
      TimeoutSeconds: 30,
      Next: 'Route',
    },
    Route: { Type: 'Choice', Choices: [{ Variable: '$.next', StringEquals: 'approval', Next: 'Approve' }], Default: 'Done' },
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a template
        FunctionName: '${ApproveFunctionArn}',
        Payload: { 'claimId.$': '$.claimId', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSeconds: 3600,
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

async function timeEngine(): Promise<{ execution: number[]; answer: number[] }> {
  const tokens = new Map<string, (token: string) => void>();
  const functions: Record<string, TaskFunction> = {
    AssessFunctionArn: async (event) => {
      const { claimId } = event as { claimId: string };
      return { claimId, next: claimId.startsWith('approve') ? 'approval' : 'conclude' };
    },
    RecordFunctionArn: async (event) => event,
    ApproveFunctionArn: async (event) => {
      const { claimId, taskToken } = event as { claimId: string; taskToken: string };
      tokens.get(claimId)?.(taskToken);
      return {};
    },
  };
  const engine = new StepFunctionsEngine({ definition: flow, functions, dataDir: path.join(root, 'engine') });
  const execution: number[] = [];
  const answer: number[] = [];
  try {
    for (let n = 0; n < executions; n++) {
      const started = performance.now();
      await engine.startExecution(`auto-${n}`, JSON.stringify({ claimId: `auto-${n}` }));
      await engine.whenSettled(`auto-${n}`);
      execution.push(performance.now() - started);

      const claimId = `approve-${n}`;
      const token = new Promise<string>((resolve) => tokens.set(claimId, resolve));
      await engine.startExecution(claimId, JSON.stringify({ claimId }));
      const taskToken = await token;
      await engine.idle();
      const answered = performance.now();
      await engine.sendTaskSuccess(taskToken, '{"approved":true}');
      answer.push(performance.now() - answered);
      await engine.whenSettled(claimId);
    }
  } finally {
    await engine.close();
  }
  return { execution, answer };
}

try {
  console.log(`checkpoint writes in ${root} (${writes} each)`);
  for (const bytes of [2_000, 64_000]) {
    for (const [name, write] of [
      ['temporary file + rename (what the store does)', renameOnly],
      ['+ fsync of the file', fsyncFile],
      ['+ fsync of the file and its directory', fsyncFileAndDir],
    ] as const) {
      console.log(`  ${String(bytes).padStart(6)} B, ${name}: ${summary(await timeWrites(write, bytes))}`);
    }
  }
  const { execution, answer } = await timeEngine();
  console.log(`engine, ${executions} executions`);
  console.log(`  StartExecution → SUCCEEDED on disk (Assess, Record, Route, Done): ${summary(execution)}`);
  console.log(`  SendTaskSuccess answered (its answer on disk first): ${summary(answer)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
