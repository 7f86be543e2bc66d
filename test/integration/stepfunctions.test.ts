import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ExecutionStatusChange,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type TaskFunction,
} from '#local/stepfunctions/index.ts';

const ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:makegood-local';
const INVOKE = 'arn:aws:states:::lambda:invoke';
const INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

const RETRY_TRANSIENT = [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: 'FULL' }];

/**
 * A small flow with the refund workflow's conventions: lambda:invoke with `${…}` placeholders and
 * OutputPath $.Payload, Retry with full jitter, a Catch on a named error, and a callback task with
 * TimeoutSecondsPath. Assess → Route → Done is three states; Route can send it to Approve first.
 * TimeoutSeconds is the refund workflow's 90 days, which the bare library would fire after 1 ms.
 */
const flow = {
  StartAt: 'Assess',
  TimeoutSeconds: 7_776_000,
  States: {
    Assess: {
      Type: 'Task',
      Resource: INVOKE,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a template
      Parameters: { FunctionName: '${AssessFunctionArn}', Payload: { 'claimId.$': '$.claimId', 'plan.$': '$.plan' } },
      OutputPath: '$.Payload',
      TimeoutSeconds: 30,
      Retry: RETRY_TRANSIENT,
      Catch: [{ ErrorEquals: ['OverRefundError'], ResultPath: '$.error', Next: 'Refused' }],
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [{ Variable: '$.next', StringEquals: 'approval', Next: 'Approve' }],
      Default: 'Done',
    },
    Approve: {
      Type: 'Task',
      Resource: INVOKE_WAIT,
      Parameters: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a template
        FunctionName: '${ApproveFunctionArn}',
        Payload: { 'claimId.$': '$.claimId', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSecondsPath: '$.approval.waitSeconds',
      Retry: RETRY_TRANSIENT,
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Escalated' }],
      Next: 'Done',
    },
    Escalated: { Type: 'Pass', End: true },
    Refused: { Type: 'Pass', End: true },
    Done: { Type: 'Succeed' },
  },
};

/** What Assess answers for a claim, chosen by the input's `plan`. */
type Plan = 'conclude' | { approvalSeconds: number };

/** Collects a function's events and lets a test wait for the next one. */
class Inbox<T> {
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

  /** The `index`-th item (0-based), once it has arrived. */
  nth(index: number): Promise<T> {
    const got = this.items[index];
    if (got !== undefined) return Promise.resolve(got);
    return new Promise((resolve) => this.waiters.push({ index, resolve }));
  }
}

interface ApprovalEvent {
  claimId: string;
  taskToken: string;
}

/** The flow's functions, with the approval requests they received. */
function flowFunctions(assess?: TaskFunction) {
  const approvals = new Inbox<ApprovalEvent>();
  const functions: Record<string, TaskFunction> = {
    AssessFunctionArn:
      assess ??
      (async (event) => {
        const { claimId, plan } = event as { claimId: string; plan: Plan };
        return plan === 'conclude'
          ? { claimId, next: 'conclude' }
          : { claimId, next: 'approval', approval: { waitSeconds: plan.approvalSeconds } };
      }),
    ApproveFunctionArn: async (event) => {
      approvals.push(event as ApprovalEvent);
      return { emailed: true };
    },
  };
  return { functions, approvals };
}

const engines: LocalStepFunctions[] = [];
const clients: SFNClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'makegood-sfn-'));
  dirs.push(dir);
  return dir;
}

async function boot(
  functions: Record<string, TaskFunction>,
  options: { dataDir?: string; definition?: object; maxTimerSeconds?: number; onEnded?: LocalStepFunctionsOptions['onEnded'] } = {},
) {
  const dataDir = options.dataDir ?? (await tempDir());
  const config: LocalStepFunctionsOptions = {
    definition: options.definition ?? flow,
    functions,
    dataDir,
    ...(options.maxTimerSeconds !== undefined ? { maxTimerSeconds: options.maxTimerSeconds } : {}),
    ...(options.onEnded ? { onEnded: options.onEnded } : {}),
  };
  const engine = new LocalStepFunctions(config);
  engines.push(engine);
  const url = await engine.listen();
  const sfn = new SFNClient({
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  clients.push(sfn);
  return { engine, sfn, dataDir };
}

function start(sfn: SFNClient, name: string, input: object | string) {
  return sfn.send(
    new StartExecutionCommand({
      stateMachineArn: ARN,
      name,
      input: typeof input === 'string' ? input : JSON.stringify(input),
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error a call fails with (undefined if it succeeds), caught at once so none goes unhandled. */
const failure = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('LocalStepFunctions: construction', () => {
  it('refuses the real refund workflow when a task function is missing, naming the state', async () => {
    // arrange
    const definition = JSON.parse(await readFile(path.resolve('statemachines/refund.asl.json'), 'utf8')) as object;
    const placeholders = [
      'AssessFunctionArn',
      'RequestApprovalFunctionArn',
      'RemindApproversFunctionArn',
      'EscalateFunctionArn',
      'AwaitReturnFunctionArn',
      'CloseUnreturnedFunctionArn',
      'ConcludeFunctionArn',
      'RecordFailureFunctionArn',
    ];
    const all = Object.fromEntries(placeholders.map((p) => [p, async () => ({})]));
    const { RequestApprovalFunctionArn: _missing, ...withoutApproval } = all;
    const dataDir = await tempDir();

    // act
    const build = (functions: Record<string, TaskFunction>) => () => new LocalStepFunctions({ definition, functions, dataDir });

    // assert
    expect(build(withoutApproval)).toThrow(/"RequestApproval".*RequestApprovalFunctionArn/);
    expect(build(all)).not.toThrow();
  });

  it('refuses a Task whose resource is not a lambda:invoke, naming the state', async () => {
    // arrange
    const definition = {
      StartAt: 'Put',
      States: {
        Put: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: 'x', Item: {} },
          End: true,
        },
      },
    };
    const dataDir = await tempDir();

    // act
    const build = () => new LocalStepFunctions({ definition, functions: {}, dataDir });

    // assert
    expect(build).toThrow(/"Put".*dynamodb:putItem/);
  });
});

describe('LocalStepFunctions over the Step Functions wire protocol', () => {
  it('runs a three-state execution to SUCCEEDED with the Payload as output', async () => {
    // arrange
    const { functions } = flowFunctions();
    const { engine, sfn } = await boot(functions);

    // act
    const started = await start(sfn, 'claim-1', { claimId: 'c-1', plan: 'conclude' });
    await engine.whenSettled('claim-1');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    // assert
    expect(started.executionArn).toBe(`${ARN.replace(':stateMachine:', ':execution:')}:claim-1`);
    expect(started.startDate).toBeInstanceOf(Date);
    expect(described.status).toBe('SUCCEEDED');
    expect(described.name).toBe('claim-1');
    expect(JSON.parse(described.input ?? '')).toEqual({ claimId: 'c-1', plan: 'conclude' });
    expect(JSON.parse(described.output ?? '')).toEqual({ claimId: 'c-1', next: 'conclude' });
    expect(engine.transitions('claim-1')).toBe(3);
  });

  it('answers a repeated StartExecution like AWS Standard: same input while running is idempotent', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions);
    const input = { claimId: 'c-2', plan: { approvalSeconds: 60 } };
    const first = await start(sfn, 'claim-2', input);
    const { taskToken } = await approvals.nth(0);

    // act
    const again = await start(sfn, 'claim-2', input);
    const differentInput = await failure(start(sfn, 'claim-2', { ...input, claimId: 'other' }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
    await engine.whenSettled('claim-2');
    const afterEnd = failure(start(sfn, 'claim-2', input));

    // assert
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    expect(differentInput).toBeInstanceOf(ExecutionAlreadyExists);
    expect(await afterEnd).toBeInstanceOf(ExecutionAlreadyExists);
    expect(approvals.items).toHaveLength(1);
  });

  it('routes a named error thrown by a function to the Catch that names it, with an AWS-shaped Cause', async () => {
    // arrange
    class OverRefundError extends Error {
      override readonly name = 'OverRefundError';
    }
    const { functions } = flowFunctions(async () => {
      throw new OverRefundError('refunds would exceed what the order paid');
    });
    const { engine, sfn } = await boot(functions);

    // act
    const started = await start(sfn, 'claim-3', { claimId: 'c-3', plan: 'conclude' });
    await engine.whenSettled('claim-3');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    // assert
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output ?? '') as { error: { Error: string; Cause: string } };
    expect(output.error.Error).toBe('OverRefundError');
    expect(JSON.parse(output.error.Cause)).toEqual({
      errorType: 'OverRefundError',
      errorMessage: 'refunds would exceed what the order paid',
    });
    expect(engine.describe('claim-3')?.checkpoint?.state).toBe('Refused');
  });

  it('retries a transient error (Retry with full jitter) and then succeeds', async () => {
    // arrange
    let calls = 0;
    const { functions } = flowFunctions(async (event) => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('ledger busy'), { name: 'TransientError' });
      return { claimId: (event as { claimId: string }).claimId, next: 'conclude' };
    });
    const { engine, sfn } = await boot(functions);

    // act
    await start(sfn, 'claim-4', { claimId: 'c-4', plan: 'conclude' });
    const settled = await engine.whenSettled('claim-4');

    // assert
    expect(settled.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
  });

  it('completes a callback task with SendTaskSuccess and closes its token', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions);
    const started = await start(sfn, 'claim-5', { claimId: 'c-5', plan: { approvalSeconds: 60 } });
    const { taskToken, claimId } = await approvals.nth(0);

    // act
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: true }) }));
    await engine.whenSettled('claim-5');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const reused = failure(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })));

    // assert
    expect(claimId).toBe('c-5');
    expect(taskToken).toMatch(/^[0-9a-f]{64}$/);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({ approved: true });
    expect(engine.transitions('claim-5')).toBe(4);
    expect(await reused).toBeInstanceOf(TaskTimedOut);
  });

  it('keeps a callback answered while its function still ran, even if the function then fails (as AWS does)', async () => {
    // arrange: the function's own token is answered before it returns, then it throws
    const { functions } = flowFunctions();
    let sfnClient: SFNClient | undefined;
    let calls = 0;
    functions.ApproveFunctionArn = async (event) => {
      calls += 1;
      const { taskToken } = event as ApprovalEvent;
      await sfnClient?.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: true }) }));
      throw Object.assign(new Error('the answer was lost'), { name: 'TransientError' });
    };
    const { engine, sfn } = await boot(functions);
    sfnClient = sfn;

    // act
    const started = await start(sfn, 'claim-5b', { claimId: 'c-5b', plan: { approvalSeconds: 60 } });
    await engine.whenSettled('claim-5b');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    // assert: the answer counts, and the task is not run again
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toEqual({ approved: true });
    expect(calls).toBe(1);
  });

  it('fails a callback task with SendTaskFailure under the error name given', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions);
    const started = await start(sfn, 'claim-6', { claimId: 'c-6', plan: { approvalSeconds: 60 } });
    const { taskToken } = await approvals.nth(0);

    // act
    await sfn.send(new SendTaskFailureCommand({ taskToken, error: 'ApprovalRejected', cause: 'not covered' }));
    await engine.whenSettled('claim-6');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    // assert
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('ApprovalRejected');
    expect(described.cause).toBe('not covered');
  });

  it('rejects tokens it never issued: TaskDoesNotExist when well-formed, InvalidToken otherwise', async () => {
    // arrange
    const { functions } = flowFunctions();
    const { sfn } = await boot(functions);

    // act
    const unknown = failure(sfn.send(new SendTaskSuccessCommand({ taskToken: 'a'.repeat(64), output: '{}' })));
    const garbage = failure(sfn.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'X' })));

    // assert
    expect(await unknown).toBeInstanceOf(TaskDoesNotExist);
    expect(await garbage).toBeInstanceOf(InvalidToken);
  });

  it('times out a callback task after TimeoutSecondsPath seconds into its Catch on States.Timeout', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions);

    // act
    const started = await start(sfn, 'claim-7', { claimId: 'c-7', plan: { approvalSeconds: 1 } });
    const { taskToken } = await approvals.nth(0);
    await engine.whenSettled('claim-7');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const late = failure(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })));

    // assert
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output ?? '') as { timeout: { Error: string }; approval: { waitSeconds: number } };
    expect(output.timeout.Error).toBe('States.Timeout');
    // The state's data is what the flow made of it; the engine's timeout bookkeeping stays out.
    expect(output.approval).toEqual({ waitSeconds: 1 });
    expect(engine.describe('claim-7')?.checkpoint?.state).toBe('Escalated');
    expect(await late).toBeInstanceOf(TaskTimedOut);
  });

  it('times out the whole execution after the definition TimeoutSeconds', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions, { definition: { ...flow, TimeoutSeconds: 1 } });

    // act
    const started = await start(sfn, 'claim-8', { claimId: 'c-8', plan: { approvalSeconds: 600 } });
    const { taskToken } = await approvals.nth(0);
    await engine.whenSettled('claim-8');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const late = failure(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })));

    // assert
    expect(described.status).toBe('TIMED_OUT');
    expect(described.error).toBe('States.Timeout');
    expect(await late).toBeInstanceOf(TaskTimedOut);
  });

  it('stops an execution as ABORTED with StopExecution', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions);
    const started = await start(sfn, 'claim-9', { claimId: 'c-9', plan: { approvalSeconds: 600 } });
    await approvals.nth(0);

    // act
    await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn, error: 'Operator', cause: 'duplicate' }));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    // assert
    expect(described.status).toBe('ABORTED');
    expect(described.error).toBe('Operator');
    expect((await engine.whenSettled('claim-9')).status).toBe('ABORTED');
  });

  it('tells onEnded of a timed-out and an aborted execution, in the EventBridge shape, and of no succeeded one', async () => {
    // arrange
    const told = new Inbox<ExecutionStatusChange>();
    const onEnded = async (event: ExecutionStatusChange) => told.push(event);
    const timingFlow = flowFunctions();
    const stoppingFlow = flowFunctions();
    const timing = await boot(timingFlow.functions, { definition: { ...flow, TimeoutSeconds: 1 }, onEnded });
    const stopping = await boot(stoppingFlow.functions, { onEnded });

    // act
    const timedOut = await start(timing.sfn, 'claim-10', { claimId: 'c-10', plan: { approvalSeconds: 600 } });
    await start(stopping.sfn, 'claim-11', { claimId: 'c-11', plan: 'conclude' });
    await stopping.engine.whenSettled('claim-11');
    const aborted = await start(stopping.sfn, 'claim-12', { claimId: 'c-12', plan: { approvalSeconds: 600 } });
    await stoppingFlow.approvals.nth(0);
    await stopping.sfn.send(new StopExecutionCommand({ executionArn: aborted.executionArn, error: 'Operator', cause: 'duplicate' }));
    const events = [await told.nth(0), await told.nth(1)].sort((a, b) => a.detail.name.localeCompare(b.detail.name));
    await timing.engine.idle();
    await stopping.engine.idle();

    // assert
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      region: 'eu-west-1',
      account: '000000000000',
      resources: [timedOut.executionArn],
      detail: {
        executionArn: timedOut.executionArn,
        stateMachineArn: ARN,
        name: 'claim-10',
        status: 'TIMED_OUT',
        input: JSON.stringify({ claimId: 'c-10', plan: { approvalSeconds: 600 } }),
        error: 'States.Timeout',
      },
    });
    expect(events[1]?.detail).toMatchObject({ name: 'claim-12', status: 'ABORTED', error: 'Operator', cause: 'duplicate' });
    expect(typeof events[1]?.detail.stopDate).toBe('number');
    expect(timing.engine.describe('claim-10')?.reported).toBe(true);
    expect(stopping.engine.describe('claim-11')?.reported).toBeUndefined();
  });

  it('maps bad requests to the SDK exception classes', async () => {
    // arrange
    const { functions } = flowFunctions();
    const { sfn } = await boot(functions);
    const unknownArn = `${ARN.replace(':stateMachine:', ':execution:')}:nobody`;

    // act
    const notAnArn = failure(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })));
    const unknown = failure(sfn.send(new DescribeExecutionCommand({ executionArn: unknownArn })));
    const notJson = failure(start(sfn, 'claim-10', '{not json'));
    const tooLarge = failure(start(sfn, 'claim-11', JSON.stringify({ blob: 'x'.repeat(262_144) })));
    const badName = failure(start(sfn, 'claim 12', {}));
    const otherMachine = failure(sfn.send(new StartExecutionCommand({ stateMachineArn: `${ARN}-other`, name: 'claim-13', input: '{}' })));

    // assert
    expect(await notAnArn).toBeInstanceOf(InvalidArn);
    expect(await unknown).toBeInstanceOf(ExecutionDoesNotExist);
    expect(await notJson).toBeInstanceOf(InvalidExecutionInput);
    expect(await tooLarge).toBeInstanceOf(InvalidExecutionInput);
    expect(await badName).toBeInstanceOf(InvalidName);
    expect(await otherMachine).toBeInstanceOf(StateMachineDoesNotExist);
  });
});

describe('LocalStepFunctions running statemachines/refund.asl.json', () => {
  it('takes a claim through RequestApproval (TimeoutSecondsPath $.approval.remindAfterSeconds) to Conclude', async () => {
    // arrange
    const definition = JSON.parse(await readFile(path.resolve('statemachines/refund.asl.json'), 'utf8')) as object;
    const requests = new Inbox<ApprovalEvent & { approval: unknown }>();
    const step = (next: string) => async (event: unknown) => ({ ...(event as object), next });
    const functions: Record<string, TaskFunction> = {
      AssessFunctionArn: async (event) => ({
        ...(event as object),
        next: 'approval',
        approval: { tier: 'agent', waitSeconds: 172_800, remindAfterSeconds: 129_600, afterReminderSeconds: 43_200 },
      }),
      RequestApprovalFunctionArn: async (event) => {
        requests.push(event as ApprovalEvent & { approval: unknown });
        return {};
      },
      RemindApproversFunctionArn: async () => ({}),
      EscalateFunctionArn: step('approval'),
      AwaitReturnFunctionArn: step('conclude'),
      CloseUnreturnedFunctionArn: step('done'),
      ConcludeFunctionArn: async () => ({ concluded: true }),
      RecordFailureFunctionArn: async () => ({}),
    };
    const { engine, sfn } = await boot(functions, { definition });
    await start(sfn, 'claim-30', { claimId: 'c-30', storefrontId: 'demo' });
    const request = await requests.nth(0);

    // act
    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: request.taskToken,
        output: JSON.stringify({ claimId: 'c-30', storefrontId: 'demo', next: 'conclude' }),
      }),
    );
    const settled = await engine.whenSettled('claim-30');

    // assert
    expect(request.approval).toEqual({ tier: 'agent', waitSeconds: 172_800, remindAfterSeconds: 129_600, afterReminderSeconds: 43_200 });
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ concluded: true });
    // Assess, Route, RequestApproval, Route, Conclude
    expect(settled.transitions).toBe(5);
  });
});

describe('LocalStepFunctions across restarts', () => {
  it('tells onEnded again at the next boot of an end it could not tell, and only once it could', async () => {
    // arrange: the first engine's onEnded fails
    const dataDir = await tempDir();
    const { functions, approvals } = flowFunctions();
    const first = await boot(functions, { dataDir, onEnded: () => Promise.reject(new Error('rule target down')) });
    const started = await start(first.sfn, 'claim-30', { claimId: 'c-30', plan: { approvalSeconds: 600 } });
    await approvals.nth(0);
    await first.sfn.send(new StopExecutionCommand({ executionArn: started.executionArn }));
    await first.engine.whenSettled('claim-30');
    await first.engine.idle();
    await first.engine.close();
    const told = new Inbox<ExecutionStatusChange>();

    // act
    const second = await boot(functions, { dataDir, onEnded: async (event) => told.push(event) });
    await second.engine.resumePending();
    const event = await told.nth(0);
    await second.engine.idle();
    await second.engine.close();
    const third = await boot(functions, { dataDir, onEnded: async (e) => told.push(e) });
    await third.engine.resumePending();
    await third.engine.idle();

    // assert
    expect(event.detail).toMatchObject({ name: 'claim-30', status: 'ABORTED' });
    expect(third.engine.describe('claim-30')?.reported).toBe(true);
    expect(told.items).toHaveLength(1);
  });

  it('resumes a callback task after close(): the new token completes it', async () => {
    // arrange
    const dataDir = await tempDir();
    const before = flowFunctions();
    const first = await boot(before.functions, { dataDir });
    await start(first.sfn, 'claim-20', { claimId: 'c-20', plan: { approvalSeconds: 3600 } });
    const { taskToken: oldToken } = await before.approvals.nth(0);
    await first.engine.idle();
    await first.engine.close();
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'executions', 'claim-20.json'), 'utf8')) as {
      status: string;
      checkpoint: { state: string; input: unknown };
      transitions: number;
    };

    // act
    const after = flowFunctions();
    const second = await boot(after.functions, { dataDir });
    const resumed = await second.engine.resumePending();
    const { taskToken: newToken } = await after.approvals.nth(0);
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: newToken, output: JSON.stringify({ approved: true }) }));
    const settled = await second.engine.whenSettled('claim-20');

    // assert
    expect(onDisk.status).toBe('RUNNING');
    expect(onDisk.checkpoint.state).toBe('Approve');
    expect(onDisk.checkpoint.input).toEqual({ claimId: 'c-20', next: 'approval', approval: { waitSeconds: 3600 } });
    expect(onDisk.transitions).toBe(3);
    expect(resumed).toBe(1);
    expect(newToken).not.toBe(oldToken);
    expect(settled.status).toBe('SUCCEEDED');
    expect(JSON.parse(settled.output ?? '')).toEqual({ approved: true });
    expect(second.engine.transitions('claim-20')).toBe(4);
  });

  it('keeps the token issued before a restart valid, for a function that stored it once', async () => {
    // arrange
    const dataDir = await tempDir();
    const before = flowFunctions();
    const first = await boot(before.functions, { dataDir });
    await start(first.sfn, 'claim-21', { claimId: 'c-21', plan: { approvalSeconds: 3600 } });
    const { taskToken: oldToken } = await before.approvals.nth(0);
    await first.engine.idle();
    await first.engine.close();
    const after = flowFunctions();
    const second = await boot(after.functions, { dataDir });
    await second.engine.resumePending();
    await after.approvals.nth(0);

    // act
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: oldToken, output: '{"approved":true}' }));
    const settled = await second.engine.whenSettled('claim-21');

    // assert
    expect(settled.status).toBe('SUCCEEDED');
  });

  it('resumes a callback task whose deadline passed while stopped straight into its States.Timeout Catch', async () => {
    // arrange
    const dataDir = await tempDir();
    const before = flowFunctions();
    const first = await boot(before.functions, { dataDir });
    await start(first.sfn, 'claim-22', { claimId: 'c-22', plan: { approvalSeconds: 1 } });
    await before.approvals.nth(0);
    await first.engine.idle();
    await first.engine.close();
    await sleep(1_100);

    // act
    const after = flowFunctions();
    const second = await boot(after.functions, { dataDir });
    await second.engine.resumePending();
    const settled = await second.engine.whenSettled('claim-22');

    // assert
    expect(settled.status).toBe('SUCCEEDED');
    expect(settled.checkpoint?.state).toBe('Escalated');
    expect(after.approvals.items).toHaveLength(0);
  });

  it('re-arms a wait longer than its timer limit without calling the function again', async () => {
    // arrange
    const { functions, approvals } = flowFunctions();
    const { engine, sfn } = await boot(functions, { maxTimerSeconds: 1 });
    await start(sfn, 'claim-23', { claimId: 'c-23', plan: { approvalSeconds: 30 } });
    const { taskToken } = await approvals.nth(0);

    // act
    await sleep(1_500);
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"approved":true}' }));
    const settled = await engine.whenSettled('claim-23');

    // assert
    expect(settled.status).toBe('SUCCEEDED');
    expect(approvals.items).toHaveLength(1);
    expect(settled.transitions).toBe(4);
  });
});
