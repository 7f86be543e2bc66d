import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsWorkflow } from '#adapters/sfn-workflow.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:makegood-refund';

const sfn = mockClient(SFNClient);
const workflow = new StepFunctionsWorkflow(new SFNClient({ region: 'eu-west-1' }), ARN);

afterEach(() => {
  sfn.reset();
});

describe('StepFunctionsWorkflow.start', () => {
  it('starts an execution of the state machine named by the claim id, with the input as JSON', async () => {
    // arrange
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:clm_1` });

    // act
    await workflow.start('clm_1', { claimId: 'clm_1', storefrontId: 'demo' });

    // assert
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({ stateMachineArn: ARN, name: 'clm_1' });
    expect(JSON.parse(String(input?.input))).toEqual({ claimId: 'clm_1', storefrontId: 'demo' });
  });

  it('treats ExecutionAlreadyExists as already started', async () => {
    // arrange
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution already exists', $metadata: {} }));

    // act
    const starting = workflow.start('clm_1', { claimId: 'clm_1' });

    // assert
    await expect(starting).resolves.toBeUndefined();
  });

  it('rethrows any other failure to start', async () => {
    // arrange
    sfn.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));

    // act
    const starting = workflow.start('clm_1', { claimId: 'clm_1' });

    // assert
    await expect(starting).rejects.toThrow('ThrottlingException');
  });
});

describe('StepFunctionsWorkflow.succeed', () => {
  it('answers the task token with the output as JSON and reports ok', async () => {
    // arrange
    sfn.on(SendTaskSuccessCommand).resolves({});

    // act
    const result = await workflow.succeed('token-1', { next: 'conclude' });

    // assert
    expect(result).toBe('ok');
    const input = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(input?.taskToken).toBe('token-1');
    expect(JSON.parse(String(input?.output))).toEqual({ next: 'conclude' });
  });

  it.each([
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'gone', $metadata: {} })],
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'timed out', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'invalid', $metadata: {} })],
  ])('reports gone when the task no longer waits (%s)', async (_name, error) => {
    // arrange
    sfn.on(SendTaskSuccessCommand).rejects(error());

    // act
    const result = await workflow.succeed('token-1', { next: 'conclude' });

    // assert
    expect(result).toBe('gone');
  });

  it('rethrows failures that do not mean the task is gone', async () => {
    // arrange
    sfn.on(SendTaskSuccessCommand).rejects(new Error('ServiceUnavailable'));

    // act
    const answering = workflow.succeed('token-1', { next: 'conclude' });

    // assert
    await expect(answering).rejects.toThrow('ServiceUnavailable');
  });
});
