import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  chainOf,
  claimRef,
  decidedDraft,
  decision,
  demoClaim,
  itemsOf,
  LEDGER_TABLE,
  policyItem,
  receivedDraft,
  STATE_TABLE,
  stubRuntime,
} from './support.ts';

/** What one invocation writes to stdout: the embedded metric format lines among them. */
let written: string[] = [];

beforeEach(() => {
  written = [];
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  vi.resetModules();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  service: string;
  [metric: string]: unknown;
}
const emf = () =>
  written
    .flatMap((w) => w.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);

describe('business metrics', () => {
  it('are written once per invocation, in namespace makegood under the service dimension the alarms read', async () => {
    // arrange
    const { count, invocation } = await import('#handlers/observability.ts');
    const { businessMetrics } = await import('#handlers/business-metrics.ts');
    const handler = invocation(async () => {
      count(businessMetrics.webhookDeliveriesFailed, 2);
      count(businessMetrics.webhookDeliveriesFailed, 0);
      count(businessMetrics.approvalsOverdue);
      throw new Error('the handler fails after counting');
    });

    // act
    await expect(handler(undefined)).rejects.toThrow('the handler fails after counting');
    await invocation(async () => 'nothing counted')(undefined);

    // assert: one line for the first invocation, none for the second
    expect(emf()).toHaveLength(1);
    const [line] = emf() as [Emf];
    expect(line._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'makegood', Dimensions: [['service']] });
    expect(line).toMatchObject({ service: 'makegood', WebhookDeliveriesFailed: 2, ApprovalsOverdue: 1 });
  });
});

describe('claims by outcome and value granted', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const ses = mockClient(SESv2Client);
  /** The claim's ledger as the fake DynamoDB holds it: every PutItem on the ledger table appends. */
  let ledger: Record<string, unknown>[];
  let restore: () => void;

  beforeEach(() => {
    restore = stubRuntime();
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    ddb.on(QueryCommand, { TableName: LEDGER_TABLE }).callsFake(() => ({ Items: structuredClone(ledger) }));
    ddb.on(PutCommand, { TableName: LEDGER_TABLE }).callsFake((input: { Item: Record<string, unknown> }) => {
      ledger.push(structuredClone(input.Item));
      return {};
    });
    ddb.on(PutCommand, { TableName: STATE_TABLE }).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb
      .on(GetCommand)
      .callsFake((input: { Key: { pk: string; sk: string } }) => (input.Key.pk === 'POLICY#demo' ? { Item: policyItem(1) } : {}));
    ddb.on(QueryCommand, { TableName: STATE_TABLE }).resolves({ Items: [] });
  });
  afterEach(() => {
    ddb.reset();
    ses.reset();
    restore();
  });

  const metricLines = (name: string) => emf().filter((line) => name in line);

  it('are counted once by the Conclude run that records them, not again when the step is retried', async () => {
    // arrange: the first attempt records the refund, then SES refuses the outcome email
    ledger = itemsOf(chainOf(claimRef('clm_metrics'), [receivedDraft(), decidedDraft(decision(2500, 'auto'))]));
    ses
      .on(SendEmailCommand)
      .rejectsOnce(Object.assign(new Error('Sending paused'), { name: 'SendingPausedException' }))
      .resolves({ MessageId: 'msg-1' });
    const { handler } = (await import('#handlers/conclude.ts')) as { handler: (event: unknown) => Promise<unknown> };
    const input = { claimId: 'clm_metrics', storefrontId: 'demo' };

    // act: the attempt that fails, its retry, and a retry of a step that had already finished
    await expect(handler(input)).rejects.toThrow();
    const afterFailure = { granted: metricLines('ValueGranted').length, concluded: metricLines('ClaimsConcluded').length };
    await expect(handler(input)).resolves.toMatchObject({ status: 'settled' });
    await expect(handler(input)).resolves.toMatchObject({ status: 'settled' });

    // assert
    expect(ledger.map((i) => i.step)).toEqual(['received', 'decided#1', 'refund-settled', 'email:outcome']);
    expect(afterFailure).toEqual({ granted: 1, concluded: 0 });
    expect(metricLines('ValueGranted')).toEqual([
      expect.objectContaining({ service: 'makegood', currency: 'EUR', kind: 'cash_refund', ValueGranted: 2500 }),
    ]);
    expect(metricLines('ClaimsConcluded')).toEqual([
      expect.objectContaining({ service: 'makegood', outcome: 'refund_without_return', ClaimsConcluded: 1 }),
    ]);
    const [granted] = metricLines('ValueGranted') as [Emf];
    expect(granted._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'makegood',
      Dimensions: [['service', 'currency', 'kind']],
      Metrics: [{ Name: 'ValueGranted', Unit: 'None' }],
    });
  });

  it('split store credit into its refund part and its goodwill part, and carry no id, name or address', async () => {
    // arrange
    const credit = {
      ...decision(0, 'auto'),
      outcome: 'store_credit' as const,
      storeCredit: { amount: 3000, currency: 'EUR' },
      goodwill: { amount: 500, currency: 'EUR' },
    };
    ledger = itemsOf(chainOf(claimRef('clm_credit'), [receivedDraft(), decidedDraft(credit)]));
    ses.on(SendEmailCommand).resolves({ MessageId: 'msg-2' });
    const { handler } = (await import('#handlers/conclude.ts')) as { handler: (event: unknown) => Promise<unknown> };

    // act
    await handler({ claimId: 'clm_credit', storefrontId: 'demo' });

    // assert
    expect(metricLines('ValueGranted')).toEqual([
      expect.objectContaining({ currency: 'EUR', kind: 'store_credit', ValueGranted: 2500 }),
      expect.objectContaining({ currency: 'EUR', kind: 'goodwill', ValueGranted: 500 }),
    ]);
    expect(metricLines('ClaimsConcluded')).toEqual([expect.objectContaining({ outcome: 'store_credit' })]);
    const lines = JSON.stringify(emf());
    for (const forbidden of ['clm_credit', 'ORD-1001', 'C-42', demoClaim().customer.email, demoClaim().customer.name]) {
      expect(lines).not.toContain(forbidden);
    }
  });
});
