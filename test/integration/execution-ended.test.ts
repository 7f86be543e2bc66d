import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import { handler } from '#handlers/execution-ended.ts';
import { demoClaims } from '#local/demo.ts';
import type { ExecutionStatusChange } from '#local/stepfunctions/index.ts';
import { retryClaim } from '#usecases/retry-claim.ts';
import { bootStack, postClaim, waitForClaim } from './harness.ts';

/**
 * An execution that ends outside the workflow's own Catch (here an operator's StopExecution; a
 * passed TimeoutSeconds takes the same path) is recorded on its claim's ledger like any failure,
 * by the function the EventBridge rule invokes on AWS and the engine invokes embedded.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;

beforeAll(async () => {
  stack = await bootStack();
});
afterAll(async () => {
  await stack?.cleanup();
});

describe('an execution that ends without succeeding', () => {
  it('marks its claim failed once, however often the end is told, and leaves it for claims retry', async () => {
    // arrange: a claim waiting for an approver
    const body = demoClaims().approval;
    body.order.id = `ORD-${randomUUID().slice(0, 8)}`;
    const { claimId } = (await postClaim(stack.apiUrl, body)).json;
    // Stopped once RequestApproval has returned (approver and customer told): a step still running
    // when its execution stops goes on, on AWS too, and its entries would come after `failed`.
    await waitForClaim(stack.apiUrl, claimId, (c) => c.timeline.filter((t) => t.type === 'email_sent').length === 2);
    await stack.engine.idle();
    const told: ExecutionStatusChange[] = [];
    const { ledger } = makeDeps(parseConfig(stack.env));

    // act: an operator stops it; the same end is told twice more
    await stack.engine.stopExecution(claimId, 'Operator', 'stopped by hand');
    const failed = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'failed');
    const settled = await stack.engine.whenSettled(claimId);
    await stack.engine.idle();
    const event: ExecutionStatusChange = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'eu-west-1',
      resources: [settled.executionArn],
      detail: {
        executionArn: settled.executionArn,
        stateMachineArn: settled.stateMachineArn,
        name: claimId,
        status: 'ABORTED',
        startDate: Date.parse(settled.startDate),
        stopDate: Date.parse(settled.stopDate ?? ''),
        input: settled.input,
        output: null,
        error: 'Operator',
        cause: 'stopped by hand',
      },
    };
    told.push(event, { ...event, detail: { ...event.detail, input: null as unknown as string } });
    const again = await Promise.all(told.map((e) => handler(e)));
    const entries = await ledger.entries(claimId);
    const retried = await retryClaim(claimId, { kind: 'operator', name: 'test' }, makeDeps(parseConfig(stack.env)));
    const waiting = await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'awaiting_approval');

    // assert
    expect(settled.status).toBe('ABORTED');
    expect(failed.timeline.at(-1)).toMatchObject({ type: 'failed', status: 'failed', actor: 'system' });
    expect(entries.filter((e) => e.type === 'failed')).toHaveLength(1);
    expect(entries.at(-1)).toMatchObject({
      type: 'failed',
      step: 'failed#1',
      data: { error: 'ExecutionAborted', cause: 'Operator: stopped by hand' },
    });
    expect(again).toEqual([
      { status: 'failed', recorded: false },
      { status: 'failed', recorded: false },
    ]);
    expect(retried).toMatchObject({ round: 1, execution: `${claimId}-retry-1`, resumesAt: 'decide', error: 'ExecutionAborted' });
    expect(waiting.timeline.map((t) => t.type).slice(-2)).toContain('retried');
  }, 60_000);

  it('refuses an event that is not a status change of one of the claim’s executions, recording nothing', async () => {
    // arrange
    const detail = { name: 'clm_x-retry-1', status: 'FAILED', input: JSON.stringify({ claimId: 'clm_y' }) };
    const event = { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail };

    // act
    const results = await Promise.allSettled([
      handler({ ...event, source: 'aws.events' }),
      handler({ ...event, detail: { ...detail, status: 'SUCCEEDED' } }),
      handler(event),
      handler({ ...event, detail: { ...detail, name: 'clm_y-retry-x' } }),
    ]);

    // assert
    const reasons = results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : 'fulfilled'));
    expect(reasons[0]).toMatch(/source/);
    expect(reasons[1]).toMatch(/status/);
    expect(reasons[2]).toMatch(/Execution clm_x-retry-1 is not one of claim clm_y's/);
    expect(reasons[3]).toMatch(/Execution clm_y-retry-x is not one of claim clm_y's/);
  });
});
